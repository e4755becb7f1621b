//! The GPU path of the Hodgkin-Huxley neurons: one thread per neuron, blocks of steps per
//! dispatch with the state kept on the GPU, inputs drawn by Philox in the shader against the
//! host's threshold tables (identical to the CPU's draws), float32 arithmetic. After each block
//! the spikes of the block (and the recorded neurons' traces) are read back.

use bytemuck::{Pod, Zeroable};
use ndarray::Array2;

use super::cpu::HhNeuron;
use super::{HhParams, InputTables};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The WGSL source.
pub(crate) const HH_WGSL: &str = crate::gpu::include_wgsl!("hh/hh.wgsl");
/// Threads (neurons) per workgroup (`WG_SIZE`).
pub const WG_SIZE: u32 = 64;
/// Most steps per dispatch: long enough to amortise a submission, short enough for a GPU's
/// watchdog on large populations.
const MAX_BLOCK_STEPS: usize = 1000;

/// Kept in sync with `struct HhUniform` in shaders/hh/hh.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct HhUniform {
    /// Neurons.
    pub(crate) neurons: u32,
    /// First step of this dispatch.
    pub(crate) first_step: u32,
    /// Steps in this dispatch.
    pub(crate) steps: u32,
    /// Neurons whose states are written to the trace buffer (the first ones).
    pub(crate) recorded: u32,
    /// Excitatory thresholds.
    pub(crate) ex_len: u32,
    /// Inhibitory thresholds.
    pub(crate) in_len: u32,
    /// Philox key.
    pub(crate) key0: u32,
    /// Philox key, high word.
    pub(crate) key1: u32,
    /// Slots of the spike buffer.
    pub(crate) spike_capacity: u32,
    /// Padding.
    pub(crate) _pad: [u32; 3],
    /// Model constants, as in [`HhParams`].
    pub(crate) c_m: f32,
    /// g_Na.
    pub(crate) g_na: f32,
    /// g_K.
    pub(crate) g_k: f32,
    /// g_L.
    pub(crate) g_l: f32,
    /// E_Na.
    pub(crate) e_na: f32,
    /// E_K.
    pub(crate) e_k: f32,
    /// E_L.
    pub(crate) e_l: f32,
    /// I_app.
    pub(crate) i_app: f32,
    /// dt (ms).
    pub(crate) dt: f32,
    /// Inhibitory factor.
    pub(crate) k: f32,
    /// Excitatory pulse size.
    pub(crate) g_ex: f32,
    /// Padding.
    pub(crate) _pad_end: f32,
}

/// The pipeline on one context.
#[derive(Debug)]
pub struct HhGpu {
    pipeline: wgpu::ComputePipeline,
}

impl HhGpu {
    /// Fetches (compiling on first use) the pipeline of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            pipeline: ctx.pipeline("hh", HH_WGSL, "hh_steps")?,
        })
    }

    /// `neurons` independent neurons (inputs drawn for indices 0, 1, ...), the first `record`
    /// with traces, as [`super::cpu::simulate`] but in float32 on the GPU.
    ///
    /// # Errors
    /// As [`HhParams::validate`]; [`Error::ExceedsLimit`] when one block of steps cannot fit
    /// the spike or trace buffers in a binding; GPU errors.
    pub fn simulate(
        &self,
        ctx: &GpuContext,
        params: &HhParams,
        neurons: u32,
        record: u32,
    ) -> Result<Vec<HhNeuron>> {
        params.validate()?;
        let record = record.min(neurons);
        params.check_traces(record)?;
        let tables = InputTables::new(params)?;
        let n = neurons as usize;
        let states = params.states();
        let binding = ctx.max_binding_bytes() as usize;
        // A neuron crosses 0 mV upward at most every other step: (steps / 2 + 1) slots each.
        let by_spikes = (binding / (8 * n.max(1))).saturating_sub(1) * 2;
        let by_trace = binding / (16 * (record as usize).max(1));
        let block = MAX_BLOCK_STEPS.min(by_spikes).min(by_trace);
        if block == 0 {
            return Err(Error::ExceedsLimit {
                what: "neurons in one GPU run",
                requested: u64::from(neurons),
                max: (binding / 16) as u64,
            });
        }
        let capacity = n * (block / 2 + 1);
        let state = ctx.upload("hh state", &vec![params.initial.map(|v| v as f32); n])?;
        let mut table: Vec<u32> = tables.ex.thresholds().to_vec();
        table.extend_from_slice(tables.inh.thresholds());
        table.push(0); // never empty
        let table_buffer = ctx.upload_table("hh tables", &table)?;
        let inputs = ctx.upload("hh inputs", &vec![[0u32; 2]; n])?;
        let spikes = ctx.storage_buffer("hh spikes", (capacity * 8) as u64)?;
        let spike_count = ctx.storage_buffer("hh spike count", 4)?;
        let trace =
            ctx.storage_buffer("hh trace", (block * record as usize * 16).max(16) as u64)?;
        let key = crate::rng::key(params.seed);
        let groups = u64::from(neurons.div_ceil(WG_SIZE));
        let mut per_neuron: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut traces: Vec<Array2<f64>> = (0..record)
            .map(|_| {
                let mut t = Array2::<f64>::zeros((states, 4));
                t.row_mut(0)
                    .iter_mut()
                    .zip(&params.initial)
                    .for_each(|(o, &v)| *o = f64::from(v as f32));
                t
            })
            .collect();
        let mut first = 1usize;
        let cancel = crate::cancel::Token::now();
        while first < states {
            cancel.check()?;
            let steps = block.min(states - first);
            let uniform = HhUniform {
                neurons,
                first_step: first as u32,
                steps: steps as u32,
                recorded: record,
                ex_len: tables.ex.thresholds().len() as u32,
                in_len: tables.inh.thresholds().len() as u32,
                key0: key[0],
                key1: key[1],
                spike_capacity: capacity as u32,
                _pad: [0; 3],
                c_m: params.c_m as f32,
                g_na: params.g_na as f32,
                g_k: params.g_k as f32,
                g_l: params.g_l as f32,
                e_na: params.e_na as f32,
                e_k: params.e_k as f32,
                e_l: params.e_l as f32,
                i_app: params.i_app as f32,
                dt: params.dt as f32,
                k: params.k as f32,
                g_ex: params.g_ex as f32,
                _pad_end: 0.0,
            };
            let uniform = ctx.uniform("hh uniform", &uniform)?;
            ctx.poison_f32(&trace, steps * record as usize * 4);
            let mut encoder = ctx.encoder();
            encoder.clear_buffer(&spike_count, 0, None);
            ctx.record_dispatch(
                "recording a block of HH steps",
                &mut encoder,
                &self.pipeline,
                &[
                    &uniform,
                    &state,
                    &table_buffer,
                    &inputs,
                    &spikes,
                    &spike_count,
                    &trace,
                ],
                groups,
            )?;
            // The spike count and the traces in one read-back; the spikes, whose number the
            // count gives, in a second.
            let mut parts = vec![(&spike_count, 4u64)];
            if record > 0 {
                parts.push((&trace, (steps * record as usize * 16) as u64));
            }
            let (mut count, mut block_trace) = (0usize, Vec::<[f32; 4]>::new());
            ctx.submit_and_read_parts("a block of HH steps", encoder, &parts, |read| {
                count = crate::gpu::mapped_as::<u32>(read[0])[0] as usize;
                if let Some(traced) = read.get(1) {
                    block_trace = crate::gpu::mapped_as::<[f32; 4]>(traced).into_owned();
                }
            })?;
            if count > capacity {
                // Cannot happen (the capacity is the most crossings a block can hold); checked
                // so that a driver fault is an error, not missing spikes.
                return Err(Error::Gpu {
                    what: "HH spike buffer".into(),
                    message: format!("{count} spikes for {capacity} slots"),
                });
            }
            for [neuron, step] in ctx.read_back::<[u32; 2]>(&spikes, 0, count)? {
                per_neuron[neuron as usize].push(step);
            }
            if record > 0 {
                for (s, row) in block_trace.chunks(record as usize).enumerate() {
                    for (k, x) in row.iter().enumerate() {
                        traces[k]
                            .row_mut(first + s)
                            .iter_mut()
                            .zip(x)
                            .for_each(|(o, &v)| *o = f64::from(v));
                    }
                }
            }
            first += steps;
        }
        let received: Vec<[u32; 2]> = ctx.read_back(&inputs, 0, n)?;
        let mut traces = traces.into_iter();
        Ok(per_neuron
            .into_iter()
            .zip(received)
            .map(|(mut spikes, [e, i])| {
                spikes.sort_unstable();
                HhNeuron {
                    spikes,
                    inputs: (u64::from(e), u64::from(i)),
                    trace: traces.next(),
                }
            })
            .collect())
    }
}
