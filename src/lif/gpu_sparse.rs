//! The GPU path of the LIF network for large n: weights sparse by presynaptic neuron, three
//! dispatches per step (update, deliver, advance; see shaders/lif/sparse.wgsl) recorded in one
//! compute pass per block of steps, so the host waits once per block. Synaptic input is summed
//! in fixed point with integer atomics: exact and the same on every run and adapter.

use bytemuck::{Pod, Zeroable};
use ndarray::Array2;

use super::clock::Grid;
use super::gpu::{NetParams, NeuronState};
use super::{cpu, LifParams, LifRun, SparseNetwork};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The WGSL source: the shared structs and clock, then the kernels (WGSL has no includes).
pub(crate) const SPARSE_WGSL: &str =
    crate::gpu::include_wgsl!("lif/common.wgsl", "lif/sparse.wgsl");
/// Threads per workgroup (`WG_SIZE`).
pub const WG_SIZE: u32 = 64;
/// Words before the spiker lists in the integer buffer (`HEADER`).
pub const HEADER: u32 = 4;
/// Steps per submission.
pub const SPARSE_BLOCK_STEPS: usize = 1000;

/// Kept in sync with `struct SparseUniform` in shaders/lif/sparse.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct SparseUniform {
    /// Neurons.
    pub(crate) n: u32,
    /// First step of the block.
    pub(crate) first_step: u32,
    /// Recorded neurons (the first nrec).
    pub(crate) nrec: u32,
    /// Slots of the block's spike log.
    pub(crate) capacity: u32,
    /// Entries of the time table.
    pub(crate) times_len: u32,
    /// Distinct monitored neurons.
    pub(crate) monitors: u32,
    /// Steps between monitor samples.
    pub(crate) every: u32,
    /// Index of the block's first sample.
    pub(crate) first_sample: u32,
    /// Samples in the block.
    pub(crate) samples: u32,
    /// Workgroups of `sparse_deliver`.
    pub(crate) deliver_groups: u32,
    /// Workgroups of `sparse_update`.
    pub(crate) update_groups: u32,
    /// Steps in the block.
    pub(crate) steps: u32,
    /// 2^-shift: a fixed-point sum to float.
    pub(crate) fixed_to_float: f32,
    /// Padding.
    pub(crate) _pad: [f32; 3],
}

/// The pipelines on one context.
#[derive(Debug)]
pub struct SparseLifGpu {
    update: wgpu::ComputePipeline,
    deliver: wgpu::ComputePipeline,
    advance: wgpu::ComputePipeline,
}

/// The fixed-point shift for weights whose largest possible input to one neuron (all its
/// presynaptic neurons firing at once) is `max_input`: the largest with max_input * 2^shift
/// below 2^30, at most 40.
pub fn fixed_shift(max_input: f64) -> i32 {
    if max_input <= 0.0 {
        return 30;
    }
    ((30.0 - max_input.log2()).floor() as i32).min(40)
}

impl SparseLifGpu {
    /// Fetches (compiling on first use) the pipelines of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            update: ctx.pipeline("lif sparse", SPARSE_WGSL, "sparse_update")?,
            deliver: ctx.pipeline("lif sparse", SPARSE_WGSL, "sparse_deliver")?,
            advance: ctx.pipeline("lif sparse", SPARSE_WGSL, "sparse_advance")?,
        })
    }

    /// Runs `network` with `params`, at most `block_steps` steps per submission.
    ///
    /// # Errors
    /// As [`LifParams::validate`]; [`Error::InvalidParam`] when the synapses, the weights' fixed
    /// point or a block's buffers do not fit this path; GPU errors.
    pub fn simulate(
        &self,
        ctx: &GpuContext,
        network: &SparseNetwork,
        params: &LifParams,
        block_steps: usize,
    ) -> Result<LifRun> {
        let n = network.n();
        params.validate(n)?;
        let p = params;
        let steps = p.steps();
        let binding = ctx.max_binding_bytes() as usize;
        let synapses = network.outgoing.len();
        if synapses * 4 > binding || (3 * n + HEADER as usize) * 4 > binding {
            return Err(Error::param(
                "network",
                format!("{synapses} synapses of {n} neurons exceed one storage binding"),
            ));
        }
        // Fixed point: the largest input one neuron can receive in a step bounds the scale.
        let mut incoming = vec![0.0f64; n];
        for (&t, &w) in network
            .outgoing
            .targets()
            .iter()
            .zip(network.outgoing.weights())
        {
            incoming[t as usize] += f64::from(w).abs();
        }
        let shift = fixed_shift(incoming.iter().copied().fold(0.0, f64::max));
        let scale = 2f64.powi(shift);
        let weights_fixed: Vec<i32> = network
            .outgoing
            .weights()
            .iter()
            .map(|&w| (f64::from(w) * scale).round() as i32)
            .collect();
        let grid = Grid::new(p.dt, p.tref, p.dt * (steps + 2) as f64 + p.tref)?;
        let fixed4 = |x: f64| {
            let [a, b, c] = grid.fixed(x);
            [a, b, c, 0]
        };
        // Monitors: distinct neurons, each with its slot; the requested order is rebuilt below.
        let mut distinct: Vec<u32> = p.monitor.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let gap = ((p.tref / p.dt).floor() as usize).saturating_sub(1).max(1);
        let margin = (p.tref / p.dt).ceil() as usize + 3;
        let block = block_steps
            .max(1)
            .min(binding / ((p.nrec + distinct.len()).max(1) * 4 + 1))
            .min((binding / (n * 8)).saturating_sub(1) * gap)
            .max(1);
        let capacity = n * (block / gap + 1);
        let net = NetParams {
            offset: p.offset as f32,
            vpeak: p.vpeak as f32,
            vreset: p.vreset as f32,
            inv_tm: (1.0 / p.tm) as f32,
            rise: (-p.dt / p.tr).exp() as f32,
            decay: (-p.dt / p.td).exp() as f32,
            kick: (1.0 / (p.tr * p.td)) as f32,
            dt: p.dt as f32,
            tref: fixed4(p.tref),
        };
        let release = cpu::release_step(p.dt, 0.0, p.tref);
        let states: Vec<NeuronState> = network
            .v0
            .iter()
            .map(|&v| NeuronState {
                v: v as f32,
                release,
                ..NeuronState::default()
            })
            .collect();
        let mut ints = vec![0u32; HEADER as usize + 3 * n];
        for (slot, &k) in distinct.iter().enumerate() {
            ints[HEADER as usize + 2 * n + k as usize] = slot as u32 + 1;
        }
        let starts: Vec<u32> = network
            .outgoing
            .starts()
            .iter()
            .map(|&s| s as u32)
            .collect();
        let net_buffer = ctx.upload("lif sparse network", &[net])?;
        let neurons = ctx.upload("lif sparse neurons", &states)?;
        let jd = ctx.upload("lif sparse input", &vec![0i32; n])?;
        let ints_buffer = ctx.upload("lif sparse ints", &ints)?;
        let starts = ctx.upload("lif sparse starts", &starts)?;
        let targets = ctx.upload("lif sparse targets", network.outgoing.targets())?;
        let weights = ctx.upload("lif sparse weights", &weights_fixed)?;
        let spikes = ctx.storage_buffer("lif sparse spikes", (capacity * 8) as u64)?;
        let max_samples = block / p.every + 1;
        let rec_len = block * p.nrec + max_samples * distinct.len();
        let rec = ctx.storage_buffer("lif sparse rec", (rec_len * 4).max(4) as u64)?;
        let update_groups = n.div_ceil(WG_SIZE as usize) as u64;
        let deliver_groups = n.div_ceil(WG_SIZE as usize).clamp(1, 4096) as u32;
        let mut run = LifRun {
            rec: Array2::zeros((steps, p.nrec)),
            monitored: Array2::zeros((p.samples(), p.monitor.len())),
            spikes: Vec::new(),
            dt: p.dt,
            n,
            steps,
        };
        let cancel = crate::cancel::Token::now();
        let mut first_step = 0usize;
        while first_step < steps {
            cancel.check()?;
            let len = block.min(steps - first_step);
            let times: Vec<[u32; 4]> = (first_step..first_step + len + margin)
                .map(|i| fixed4(p.dt * i as f64))
                .collect();
            let times_buffer = ctx.upload("lif sparse times", &times)?;
            let first_sample = first_step.div_ceil(p.every);
            let samples = (first_step + len).div_ceil(p.every) - first_sample;
            let uniform = ctx.uniform(
                "lif sparse uniform",
                &SparseUniform {
                    n: n as u32,
                    first_step: first_step as u32,
                    nrec: p.nrec as u32,
                    capacity: capacity as u32,
                    times_len: times.len() as u32,
                    monitors: distinct.len() as u32,
                    every: p.every as u32,
                    first_sample: first_sample as u32,
                    samples: samples as u32,
                    deliver_groups,
                    update_groups: update_groups as u32,
                    steps: len as u32,
                    fixed_to_float: (1.0 / scale) as f32,
                    _pad: [0.0; 3],
                },
            )?;
            let used = len * p.nrec + samples * distinct.len();
            ctx.poison_f32(&rec, used);
            let update = ctx.bind_group(
                "lif sparse update",
                &self.update,
                &[
                    &uniform,
                    &net_buffer,
                    &neurons,
                    &jd,
                    &ints_buffer,
                    &spikes,
                    &times_buffer,
                    &rec,
                ],
            )?;
            let deliver = ctx.bind_group(
                "lif sparse deliver",
                &self.deliver,
                &[&uniform, &starts, &targets, &weights, &jd, &ints_buffer],
            )?;
            let advance = ctx.bind_group(
                "lif sparse advance",
                &self.advance,
                &[&uniform, &ints_buffer],
            )?;
            let update_dims = ctx.dispatch_dims(update_groups)?;
            let deliver_dims = ctx.dispatch_dims(u64::from(deliver_groups))?;
            let mut encoder = ctx.encoder();
            ctx.scoped("recording a block of sparse LIF steps", || {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                for _ in 0..len {
                    pass.set_pipeline(&self.update);
                    pass.set_bind_group(0, &update, &[]);
                    pass.dispatch_workgroups(update_dims.0, update_dims.1, update_dims.2);
                    pass.set_pipeline(&self.deliver);
                    pass.set_bind_group(0, &deliver, &[]);
                    pass.dispatch_workgroups(deliver_dims.0, deliver_dims.1, deliver_dims.2);
                    pass.set_pipeline(&self.advance);
                    pass.set_bind_group(0, &advance, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
            })?;
            // The header (with the spike count) and the recordings in one read-back; the
            // spikes, whose number it gives, in a second.
            let (mut header, mut block_rec) = (Vec::new(), Vec::new());
            ctx.submit_and_read_parts(
                "a block of sparse LIF steps",
                encoder,
                &[
                    (&ints_buffer, u64::from(HEADER) * 4),
                    // At least one word (the buffer has it): no empty copy.
                    (&rec, (used.max(1) * 4) as u64),
                ],
                |parts| {
                    header = crate::gpu::mapped_as::<u32>(parts[0]).into_owned();
                    block_rec = crate::gpu::mapped_as::<f32>(parts[1]).into_owned();
                    block_rec.truncate(used);
                },
            )?;
            let count = header[3] as usize;
            if count > capacity {
                return Err(Error::Gpu {
                    what: "sparse LIF spike log".into(),
                    message: format!("{count} spikes for {capacity} slots in one block"),
                });
            }
            let mut these: Vec<(u32, u32)> = ctx
                .read_back::<[u32; 2]>(&spikes, 0, count)?
                .into_iter()
                .map(|[step, neuron]| (step, neuron))
                .collect();
            these.sort_unstable();
            run.spikes.extend(these);
            for s in 0..len {
                run.rec
                    .row_mut(first_step + s)
                    .iter_mut()
                    .zip(&block_rec[s * p.nrec..(s + 1) * p.nrec])
                    .for_each(|(o, &v)| *o = f64::from(v));
            }
            let region = len * p.nrec;
            for j in 0..samples {
                let row =
                    &block_rec[region + j * distinct.len()..region + (j + 1) * distinct.len()];
                for (m, &k) in p.monitor.iter().enumerate() {
                    let slot = distinct.binary_search(&k).expect("a monitored neuron");
                    run.monitored[[first_sample + j, m]] = f64::from(row[slot]);
                }
            }
            header[3] = 0;
            ctx.write(&ints_buffer, &header)?;
            first_step += len;
        }
        Ok(run)
    }
}
