//! The GPU path of the LIF network: one workgroup per network (so a batch of networks shares
//! each dispatch), a block of steps per dispatch with no host round trip inside it, spikes and
//! recorded voltages read back once per block. float32 state as the CPU fast path; the
//! refractory clock in exact float64 semantics on integers ([`super::clock`]), so refractory
//! periods end on the reference program's step on every adapter, with or without float64.
//!
//! Weights are dense (stored by column, so a spiker's column is read contiguously): networks
//! of up to [`MAX_GPU_NEURONS`] neurons whose n^2 weights fit one storage binding.

use std::borrow::Borrow;

use bytemuck::{Pod, Zeroable};
use ndarray::Array2;

use super::clock::Grid;
use super::{cpu, LifParams, LifRun, Network};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The WGSL source: the shared structs and clock, then the kernels (WGSL has no includes).
pub(crate) const LIF_WGSL: &str = crate::gpu::include_wgsl!("lif/common.wgsl", "lif/lif.wgsl");
/// Threads per workgroup (`WG_SIZE`).
pub const WG_SIZE: u32 = 256;
/// Neurons one thread owns at most (`MAX_PER_THREAD`).
pub const MAX_PER_THREAD: u32 = 28;
/// Largest network of this path (the spiker list lives in workgroup memory).
pub const MAX_GPU_NEURONS: usize = (WG_SIZE * MAX_PER_THREAD) as usize;
/// Steps per dispatch.
const BLOCK_STEPS: usize = 1000;

/// Kept in sync with `struct LifUniform` in shaders/lif/lif.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct LifUniform {
    /// Neurons per network.
    pub(crate) n: u32,
    /// Networks.
    pub(crate) networks: u32,
    /// First step of the block.
    pub(crate) first_step: u32,
    /// Steps in the block.
    pub(crate) steps: u32,
    /// Recorded neurons.
    pub(crate) nrec: u32,
    /// Spike slots per network per block.
    pub(crate) capacity: u32,
    /// Entries of the time table.
    pub(crate) times_len: u32,
    /// Monitored neurons.
    pub(crate) monitors: u32,
    /// Steps between their samples.
    pub(crate) every: u32,
    /// Index of the block's first sample.
    pub(crate) first_sample: u32,
    /// Samples in the block.
    pub(crate) samples: u32,
    /// Padding.
    pub(crate) _pad: u32,
}

/// Kept in sync with `struct NetParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct NetParams {
    /// Input offset (mV).
    pub(crate) offset: f32,
    /// Threshold.
    pub(crate) vpeak: f32,
    /// Reset.
    pub(crate) vreset: f32,
    /// 1 / tm.
    pub(crate) inv_tm: f32,
    /// exp(-dt / tr).
    pub(crate) rise: f32,
    /// exp(-dt / td).
    pub(crate) decay: f32,
    /// 1 / (tr td).
    pub(crate) kick: f32,
    /// dt.
    pub(crate) dt: f32,
    /// tref on the clock's grid.
    pub(crate) tref: [u32; 4],
}

/// Kept in sync with `struct NeuronState`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct NeuronState {
    /// Voltage.
    pub(crate) v: f32,
    /// Synaptic current.
    pub(crate) ipsc: f32,
    /// Synaptic auxiliary variable.
    pub(crate) hm: f32,
    /// This step's input.
    pub(crate) jd: f32,
    /// Last spike time on the clock's grid.
    pub(crate) tlast: [u32; 4],
    /// First step out of refractoriness.
    pub(crate) release: u32,
    /// Padding.
    pub(crate) _pad: [u32; 3],
}

/// The pipeline on one context.
#[derive(Debug)]
pub struct LifGpu {
    pipeline: wgpu::ComputePipeline,
}

impl LifGpu {
    /// Fetches (compiling on first use) the pipeline of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            pipeline: ctx.pipeline("lif", LIF_WGSL, "lif_steps")?,
        })
    }

    /// Runs the shader's clock on `cases` of (tlast, now, tref) and returns, per case, tlast
    /// advanced to now and tlast + tref, each rounded as float64: the tests compare them with
    /// [`super::clock`].
    ///
    /// A test hook, hidden from the docs: not part of the API (tests/gpu/lif_gpu.rs needs it
    /// from outside the crate).
    ///
    /// # Errors
    /// GPU errors.
    #[doc(hidden)]
    pub fn clock_probe(
        &self,
        ctx: &GpuContext,
        cases: &[[super::clock::Fixed; 3]],
    ) -> Result<Vec<[super::clock::Fixed; 2]>> {
        let pipeline = ctx.pipeline("lif", LIF_WGSL, "clock_probe")?;
        let words: Vec<[u32; 4]> = cases
            .iter()
            .flatten()
            .map(|&[a, b, c]| [a, b, c, 0])
            .collect();
        let input = ctx.upload("clock probe input", &words)?;
        let output = ctx.storage_buffer("clock probe output", (cases.len() * 32) as u64)?;
        ctx.poison_f32(&output, cases.len() * 8);
        let uniform = ctx.uniform(
            "clock probe uniform",
            &LifUniform {
                n: cases.len() as u32,
                ..LifUniform::default()
            },
        )?;
        let mut encoder = ctx.encoder();
        ctx.record_dispatch(
            "recording the clock probe",
            &mut encoder,
            &pipeline,
            &[&uniform, &input, &output],
            cases.len().div_ceil(WG_SIZE as usize) as u64,
        )?;
        ctx.submit_and_wait("the clock probe", encoder)?;
        let out: Vec<[u32; 4]> = ctx.read_back(&output, 0, cases.len() * 2)?;
        Ok(out
            .chunks_exact(2)
            .map(|pair| {
                [
                    [pair[0][0], pair[0][1], pair[0][2]],
                    [pair[1][0], pair[1][1], pair[1][2]],
                ]
            })
            .collect())
    }

    /// Whether a batch of `networks` networks of `n` neurons, recording `nrec`, fits this path
    /// on `ctx`.
    pub fn supports(ctx: &GpuContext, n: usize, networks: usize, nrec: usize) -> bool {
        let binding = ctx.max_binding_bytes() as usize;
        n <= MAX_GPU_NEURONS
            && networks * n * n * 4 <= binding
            && networks * n * 48 <= binding
            && networks * BLOCK_STEPS.min(64) * nrec.max(1) * 4 <= binding
            && networks * (n + 2) * 4 <= binding
    }

    /// Runs every network of `batch` (same n, dt and T; other parameters and the weights may
    /// differ) in one dispatch per block of steps.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for networks of different sizes, time steps or lengths, or a
    /// batch [`LifGpu::supports`] rejects; as [`LifParams::validate`]; GPU errors.
    pub fn simulate_batch<N: Borrow<Network>>(
        &self,
        ctx: &GpuContext,
        batch: &[(N, LifParams)],
    ) -> Result<Vec<LifRun>> {
        self.simulate_batch_in_blocks(ctx, batch, BLOCK_STEPS)
    }

    /// [`LifGpu::simulate_batch`] with at most `block_steps` steps per dispatch (tests use
    /// short blocks to check that the state carries across dispatches).
    ///
    /// # Errors
    /// As [`LifGpu::simulate_batch`].
    pub fn simulate_batch_in_blocks<N: Borrow<Network>>(
        &self,
        ctx: &GpuContext,
        batch: &[(N, LifParams)],
        block_steps: usize,
    ) -> Result<Vec<LifRun>> {
        let Some((first, first_params)) = batch.first() else {
            return Ok(Vec::new());
        };
        let n = first.borrow().n();
        let (dt, steps, nrec) = (first_params.dt, first_params.steps(), first_params.nrec);
        let (monitor, every) = (&first_params.monitor, first_params.every);
        for (network, params) in batch {
            let network = network.borrow();
            params.validate(network.n())?;
            if network.n() != n
                || params.dt != dt
                || params.steps() != steps
                || params.nrec != nrec
                || &params.monitor != monitor
                || params.every != every
            {
                return Err(Error::param(
                    "batch",
                    "networks of one GPU batch share n, dt, T, nrec and the monitors",
                ));
            }
        }
        let monitors = monitor.len();
        let networks = batch.len();
        if !Self::supports(ctx, n, networks, nrec) {
            return Err(Error::param(
                "batch",
                format!("{networks} networks of {n} neurons exceed this GPU path (at most {MAX_GPU_NEURONS} neurons, dense weights within one binding)"),
            ));
        }
        let max_tref = batch.iter().map(|(_, p)| p.tref).fold(0.0, f64::max);
        let min_positive_tref = batch
            .iter()
            .map(|(_, p)| p.tref)
            .filter(|&t| t > 0.0)
            .fold(f64::INFINITY, f64::min);
        let grid = Grid::new(
            dt,
            if min_positive_tref.is_finite() {
                min_positive_tref
            } else {
                0.0
            },
            dt * (steps + 2) as f64 + max_tref,
        )?;
        let fixed4 = |x: f64| {
            let [a, b, c] = grid.fixed(x);
            [a, b, c, 0]
        };
        // A neuron's spikes lie at least `gap` steps apart (its release step comes at least
        // floor(tref / dt) - 1 steps after a spike), so a block of len steps holds at most
        // len / gap + 1 of them.
        let min_tref = batch
            .iter()
            .map(|(_, p)| p.tref)
            .fold(f64::INFINITY, f64::min);
        let gap = ((min_tref / dt).floor() as usize).saturating_sub(1).max(1);
        let margin = (max_tref / dt).ceil() as usize + 3;
        let binding = ctx.max_binding_bytes() as usize;
        // Per step at most nrec values and one sample of the monitors per network.
        let block = block_steps
            .max(1)
            .min(binding / (networks * (nrec + monitors).max(1) * 4 + 1))
            .min((binding / (networks * n * 8)).saturating_sub(1) * gap)
            .max(1);
        let capacity = n * (block / gap + 1);
        let nets: Vec<NetParams> = batch
            .iter()
            .map(|(_, p)| NetParams {
                offset: p.offset as f32,
                vpeak: p.vpeak as f32,
                vreset: p.vreset as f32,
                inv_tm: (1.0 / p.tm) as f32,
                rise: (-p.dt / p.tr).exp() as f32,
                decay: (-p.dt / p.td).exp() as f32,
                kick: (1.0 / (p.tr * p.td)) as f32,
                dt: p.dt as f32,
                tref: fixed4(p.tref),
            })
            .collect();
        let mut weights = Vec::with_capacity(networks * n * n);
        let mut states = Vec::with_capacity(networks * n);
        for (network, params) in batch {
            let network = network.borrow();
            for j in 0..n {
                weights.extend(network.w.column(j).iter().map(|&x| x as f32));
            }
            let release = cpu::release_step(dt, 0.0, params.tref);
            states.extend(network.v0.iter().map(|&v| NeuronState {
                v: v as f32,
                release,
                ..NeuronState::default()
            }));
        }
        let nets = ctx.upload("lif networks", &nets)?;
        let weights = ctx.upload("lif weights", &weights)?;
        let neurons = ctx.upload("lif neurons", &states)?;
        let mut carry = vec![0u32; 2 * networks];
        let mut ints = carry.clone();
        ints.extend_from_slice(monitor);
        let carry_buffer = ctx.upload("lif carry", &ints)?;
        let max_samples = block / every + 1;
        let spikes = ctx.storage_buffer("lif spikes", (networks * capacity * 8) as u64)?;
        let rec_len = networks * (block * nrec + max_samples * monitors);
        let rec = ctx.storage_buffer("lif rec", (rec_len * 4).max(4) as u64)?;
        let mut runs: Vec<LifRun> = batch
            .iter()
            .map(|(_, p)| LifRun {
                rec: Array2::zeros((steps, nrec)),
                monitored: Array2::zeros((p.samples(), monitors)),
                spikes: Vec::new(),
                dt,
                n,
                steps,
            })
            .collect();
        let cancel = crate::cancel::Token::now();
        let mut first_step = 0usize;
        while first_step < steps {
            cancel.check()?;
            let len = block.min(steps - first_step);
            let times: Vec<[u32; 4]> = (first_step..first_step + len + margin)
                .map(|i| fixed4(dt * i as f64))
                .collect();
            let times_buffer = ctx.upload("lif times", &times)?;
            let first_sample = first_step.div_ceil(every);
            let samples = (first_step + len).div_ceil(every) - first_sample;
            let uniform = ctx.uniform(
                "lif uniform",
                &LifUniform {
                    n: n as u32,
                    networks: networks as u32,
                    first_step: first_step as u32,
                    steps: len as u32,
                    nrec: nrec as u32,
                    capacity: capacity as u32,
                    times_len: times.len() as u32,
                    monitors: monitors as u32,
                    every: every as u32,
                    first_sample: first_sample as u32,
                    samples: samples as u32,
                    _pad: 0,
                },
            )?;
            let used = networks * (len * nrec + samples * monitors);
            ctx.poison_f32(&rec, used);
            let mut encoder = ctx.encoder();
            ctx.record_dispatch(
                "recording a block of LIF steps",
                &mut encoder,
                &self.pipeline,
                &[
                    &uniform,
                    &nets,
                    &weights,
                    &neurons,
                    &carry_buffer,
                    &times_buffer,
                    &spikes,
                    &rec,
                ],
                networks as u64,
            )?;
            // The block's carry, spikes and recordings in one read-back: one submit, one wait.
            let (mut block_spikes, mut block_rec) = (Vec::new(), Vec::new());
            ctx.submit_and_read_parts(
                "a block of LIF steps",
                encoder,
                &[
                    (&carry_buffer, (2 * networks * 4) as u64),
                    (&spikes, (networks * capacity * 8) as u64),
                    // At least one word (the buffer has it): no empty copy.
                    (&rec, (used.max(1) * 4) as u64),
                ],
                |parts| {
                    carry = crate::gpu::mapped_as::<u32>(parts[0]).into_owned();
                    block_spikes = crate::gpu::mapped_as::<[u32; 2]>(parts[1]).into_owned();
                    block_rec = crate::gpu::mapped_as::<f32>(parts[2]).into_owned();
                    block_rec.truncate(used);
                },
            )?;
            let region = networks * len * nrec;
            for (g, run) in runs.iter_mut().enumerate() {
                let count = carry[2 * g + 1] as usize;
                if count > capacity {
                    return Err(Error::Gpu {
                        what: "LIF spike buffer".into(),
                        message: format!("{count} spikes for {capacity} slots in one block"),
                    });
                }
                let mut these: Vec<(u32, u32)> = block_spikes[g * capacity..g * capacity + count]
                    .iter()
                    .map(|&[step, neuron]| (step, neuron))
                    .collect();
                // Within a step the seed lists spikers by neuron index.
                these.sort_unstable();
                run.spikes.extend(these);
                for s in 0..len {
                    let row = &block_rec[(g * len + s) * nrec..(g * len + s + 1) * nrec];
                    run.rec
                        .row_mut(first_step + s)
                        .iter_mut()
                        .zip(row)
                        .for_each(|(o, &v)| *o = f64::from(v));
                }
                for j in 0..samples {
                    let at = region + (g * samples + j) * monitors;
                    run.monitored
                        .row_mut(first_sample + j)
                        .iter_mut()
                        .zip(&block_rec[at..at + monitors])
                        .for_each(|(o, &v)| *o = f64::from(v));
                }
                carry[2 * g + 1] = 0;
            }
            ctx.write(&carry_buffer, &carry)?;
            first_step += len;
        }
        Ok(runs)
    }
}
