//! A balanced network of leaky integrate-and-fire neurons (Nicola & Clopath 2017) as the NumPy
//! program `tests/data/lif/balanced_network.py` (the reference program below) simulates it:
//! random weights whose non-zero entries are shifted to mean 0 for each neuron,
//! double-exponential synapses, a refractory period and a constant input, forward-Euler steps
//! of 50 us, the first neurons' voltages recorded. gpusci keeps that program's parameters,
//! defaults and update order:
//!
//! 1. refractory test `dt*i > tlast + tref` (float64), Euler step `v += dt * (-v + ipsc +
//!    offset) / tm` for neurons past it;
//! 2. spike test `v >= vpeak`; `jd` = the sum of the spikers' weight columns (w[i, j] is the
//!    weight from j onto i); `tlast += dt*i - tlast` for spikers;
//! 3. double-exponential synapse: `ipsc = ipsc*exp(-dt/tr) + hm*dt`, `hm = hm*exp(-dt/td) +
//!    jd/(tr*td)`;
//! 4. spikers set to 30 mV, which is what the step records, then reset to `vreset`.
//!
//! The number of steps is `round(T / dt)`, as the reference program computes it.
//!
//! [`simulate`] is the entry: a batch of [`LifNetwork`]s (dense or sparse weights, each with
//! its [`LifParams`]) on an executor; it picks the path below and returns it with the runs.
//!
//! - [`cpu::simulate_reference`]: float64, dense weights, the reference program's order
//!   operation for operation: the oracle.
//! - [`cpu::simulate`]: the fast path: float32 state, weights stored sparse by presynaptic
//!   neuron so a step touches only its spikers' columns, the refractory clock kept in float64
//!   with the reference program's exact comparison (so refractory ends fall on the same
//!   step), batches of networks spread over threads.
//! - [`gpu::LifGpu`]: one workgroup per network, blocks of steps per dispatch, the refractory
//!   clock in exact float64 semantics on integers ([`clock`]).
//! - [`gpu_sparse::SparseLifGpu`]: large networks ([`SparseNetwork`]), one thread per neuron
//!   and three dispatches per step, synaptic input summed in fixed point with integer atomics.

pub mod clock;
pub mod cpu;
pub mod gpu;
pub mod gpu_sparse;
pub mod sparse;

pub use sparse::SparseNetwork;

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};
use crate::gpu::Device;
use crate::rng;

/// Simulation parameters, with the reference program's names, units (seconds, mV) and defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct LifParams {
    /// Time step (s).
    pub dt: f64,
    /// Simulated time (s); the run has `round(t / dt)` steps.
    pub t: f64,
    /// Refractory period (s).
    pub tref: f64,
    /// Membrane time constant (s).
    pub tm: f64,
    /// Reset voltage (mV).
    pub vreset: f64,
    /// Spike threshold (mV).
    pub vpeak: f64,
    /// Synaptic decay time (s).
    pub td: f64,
    /// Synaptic rise time (s).
    pub tr: f64,
    /// Constant input current (mV).
    pub offset: f64,
    /// Neurons whose voltages are recorded every step (the first `nrec`).
    pub nrec: usize,
    /// Neurons whose voltages are also sampled, every [`LifParams::every`] steps (any
    /// neurons, in the order given; empty: none).
    pub monitor: Vec<u32>,
    /// Steps between samples of the monitored neurons (steps 0, every, 2 every, ...).
    pub every: usize,
}

impl Default for LifParams {
    fn default() -> Self {
        Self {
            dt: 0.00005,
            t: 2.0,
            tref: 0.002,
            tm: 0.01,
            vreset: -65.0,
            vpeak: -40.0,
            td: 0.02,
            tr: 0.002,
            offset: -40.0,
            nrec: 10,
            monitor: Vec::new(),
            every: 1,
        }
    }
}

impl LifParams {
    /// Steps of the run: `round(t / dt)`, as the reference program computes `nt`.
    pub fn steps(&self) -> usize {
        (self.t / self.dt).round() as usize
    }

    /// Checks the parameters for a network of `n` neurons.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a non-finite value, dt, T, tm, td or tr not positive, a
    /// negative tref, fewer than one step, or nrec above n.
    pub fn validate(&self, n: usize) -> Result<()> {
        let named = [
            ("dt", self.dt),
            ("t", self.t),
            ("tref", self.tref),
            ("tm", self.tm),
            ("vreset", self.vreset),
            ("vpeak", self.vpeak),
            ("td", self.td),
            ("tr", self.tr),
            ("offset", self.offset),
        ];
        for (name, value) in named {
            if !value.is_finite() {
                return Err(Error::param(name, format!("{value} is not finite")));
            }
        }
        for (name, value) in [
            ("dt", self.dt),
            ("t", self.t),
            ("tm", self.tm),
            ("td", self.td),
            ("tr", self.tr),
        ] {
            if value <= 0.0 {
                return Err(Error::param(name, format!("{value} must be positive")));
            }
        }
        if self.tref < 0.0 {
            return Err(Error::param("tref", "must not be negative"));
        }
        if self.steps() == 0 {
            return Err(Error::param(
                "t",
                format!("T / dt = {} rounds to 0 steps", self.t / self.dt),
            ));
        }
        if self.steps() > MAX_STEPS {
            return Err(Error::ExceedsLimit {
                what: "time steps",
                requested: self.steps() as u64,
                max: MAX_STEPS as u64,
            });
        }
        if self.every == 0 {
            return Err(Error::param("every", "must be at least 1 step"));
        }
        if let Some(&k) = self.monitor.iter().find(|&&k| k as usize >= n) {
            return Err(Error::param(
                "monitor",
                format!("neuron {k} is not in the network's {n} neurons"),
            ));
        }
        let recorded = (self.steps() as u128) * (self.nrec as u128)
            + (self.samples() as u128) * (self.monitor.len() as u128);
        if recorded > MAX_RECORDED as u128 {
            return Err(Error::ExceedsLimit {
                what: "recorded voltages (steps x nrec + samples x monitors; lower nrec, T or sample less often)",
                requested: recorded.min(u64::MAX as u128) as u64,
                max: MAX_RECORDED as u64,
            });
        }
        if self.nrec > n {
            return Err(Error::param(
                "nrec",
                format!("{} is more than the network's {n} neurons", self.nrec),
            ));
        }
        // Below the hard cap, the recording must also fit the memory this machine has.
        crate::limits::check_allocation("recorded voltages", recorded as u64, 8)
    }
}

/// Most voltages one run records (8 GiB of float64), so a long run with recording on is a
/// clear error, not an allocation that aborts.
pub const MAX_RECORDED: usize = 1 << 30;

/// Most steps one run takes (steps are counted in u32).
pub const MAX_STEPS: usize = u32::MAX as usize;

impl LifParams {
    /// Samples of the monitored neurons: steps 0, every, ... below [`LifParams::steps`].
    pub fn samples(&self) -> usize {
        self.steps().div_ceil(self.every.max(1))
    }
}

/// How the reference program draws a network (its `seed_weights`).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkParams {
    /// Neurons.
    pub n: usize,
    /// Connection probability.
    pub p: f64,
    /// Coupling strength.
    pub g: f64,
    /// Seed of the counter-based generator ([`crate::rng`]).
    pub seed: u64,
}

impl Default for NetworkParams {
    fn default() -> Self {
        Self {
            n: 2000,
            p: 0.1,
            g: 0.04,
            seed: 100,
        }
    }
}

/// Largest network drawn or accepted (dense weights: 8 n^2 bytes).
pub const MAX_NEURONS: usize = 50_000;

/// Weights and initial voltages.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// `w[i, j]`: the weight from neuron j onto neuron i.
    pub w: Array2<f64>,
    /// Initial voltages (mV).
    pub v0: Array1<f64>,
}

impl Network {
    /// A network from given weights and initial voltages.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for non-square weights or v0 of another length;
    /// [`Error::EmptyInput`] for no neurons; [`Error::InvalidParam`] for NaN or infinity.
    pub fn new(w: Array2<f64>, v0: Array1<f64>) -> Result<Self> {
        let (rows, cols) = w.dim();
        if rows != cols {
            return Err(Error::ShapeMismatch {
                what: "weights",
                expected: "a square (n, n) matrix".into(),
                got: vec![rows, cols],
            });
        }
        if v0.len() != rows {
            return Err(Error::ShapeMismatch {
                what: "v0",
                expected: format!("one voltage per neuron ({rows})"),
                got: vec![v0.len()],
            });
        }
        if rows == 0 {
            return Err(Error::EmptyInput("weights"));
        }
        if rows > MAX_NEURONS {
            return Err(Error::ExceedsLimit {
                what: "neurons",
                requested: rows as u64,
                max: MAX_NEURONS as u64,
            });
        }
        if let Some(k) = w.iter().position(|x| !x.is_finite()) {
            return Err(Error::param(
                "weights",
                format!("w[{}, {}] is not finite", k / cols, k % cols),
            ));
        }
        if let Some(k) = v0.iter().position(|x| !x.is_finite()) {
            return Err(Error::param("v0", format!("v0[{k}] is not finite")));
        }
        Ok(Self { w, v0 })
    }

    /// Draws a network with the reference program's distributions: `w = g * N(0, 1) *
    /// Bernoulli(p) / (sqrt(n) * p)`, each row's non-zero weights shifted to mean 0, and `v0`
    /// uniform on [-65, 30) mV. The numbers come from Philox keyed by `seed` (see
    /// [`crate::rng`]), addressed by (row, column), so they differ from NumPy's Mersenne
    /// Twister draws but follow the same distributions.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for n = 0, p outside (0, 1], or a non-finite g;
    /// [`Error::ExceedsLimit`] past [`MAX_NEURONS`].
    pub fn draw(params: &NetworkParams) -> Result<Self> {
        let NetworkParams { n, p, g, seed } = *params;
        if n == 0 {
            return Err(Error::param("n", "must be at least 1"));
        }
        if n > MAX_NEURONS {
            return Err(Error::ExceedsLimit {
                what: "neurons",
                requested: n as u64,
                max: MAX_NEURONS as u64,
            });
        }
        if !(p > 0.0 && p <= 1.0) {
            return Err(Error::param("p", format!("{p} must be in (0, 1]")));
        }
        if !g.is_finite() {
            return Err(Error::param("g", format!("{g} is not finite")));
        }
        crate::limits::check_allocation("the dense weight matrix", (n as u64) * (n as u64), 8)?;
        let key = rng::key(seed);
        let scale = g / ((n as f64).sqrt() * p);
        let mut w = Array2::<f64>::zeros((n, n));
        for (i, mut row) in w.outer_iter_mut().enumerate() {
            let (mut sum, mut count) = (0.0, 0usize);
            for (j, x) in row.iter_mut().enumerate() {
                let [a, b, c, _] = rng::philox4x32([i as u32, j as u32, STREAM_WEIGHTS, 0], key);
                if rng::uniform(c) < p {
                    *x = scale * rng::normal(a, b);
                    if *x != 0.0 {
                        sum += *x;
                        count += 1;
                    }
                }
            }
            if count > 0 {
                let mean = sum / count as f64;
                row.iter_mut()
                    .filter(|x| **x != 0.0)
                    .for_each(|x| *x -= mean);
            }
        }
        let v0 = (0..n)
            .map(|i| {
                let [a, ..] = rng::philox4x32([i as u32, 0, STREAM_V0, 0], key);
                -65.0 + rng::uniform(a) * (30.0 - -65.0)
            })
            .collect();
        Ok(Self { w, v0 })
    }

    /// Neurons.
    pub fn n(&self) -> usize {
        self.v0.len()
    }
}

/// Philox counter word 2 of each use, so streams never overlap.
const STREAM_WEIGHTS: u32 = 1;
pub(crate) const STREAM_V0: u32 = 2;

/// What a run gives back.
#[derive(Clone, Debug, PartialEq)]
pub struct LifRun {
    /// `(steps, nrec)`: the first nrec neurons' voltages after each step (30 mV at a spike).
    pub rec: Array2<f64>,
    /// `(samples, monitor.len())`: the monitored neurons' voltages after steps 0, every,
    /// 2 every, ... (30 mV at a spike).
    pub monitored: Array2<f64>,
    /// Spikes as (step, neuron), in the order they happen (step, then neuron index).
    pub spikes: Vec<(u32, u32)>,
    /// The time step, to turn steps into seconds.
    pub dt: f64,
    /// Neurons.
    pub n: usize,
    /// Steps run.
    pub steps: usize,
}

impl LifRun {
    /// Spikes as the reference program returns them: (K, 2) of (time `dt * step` in float64
    /// seconds, neuron index).
    pub fn spike_array(&self) -> Array2<f64> {
        let mut out = Array2::zeros((self.spikes.len(), 2));
        for (row, &(step, neuron)) in out.outer_iter_mut().zip(&self.spikes) {
            let mut row = row;
            row[0] = self.dt * f64::from(step);
            row[1] = f64::from(neuron);
        }
        out
    }

    /// Population rate (Hz per neuron) in bins of `bin_steps` steps (the last bin may be
    /// shorter; its rate is over its own length).
    pub fn population_rate(&self, bin_steps: usize) -> Vec<f64> {
        let bin = bin_steps.max(1);
        let bins = self.steps.div_ceil(bin);
        let mut counts = vec![0u64; bins];
        for &(step, _) in &self.spikes {
            counts[step as usize / bin] += 1;
        }
        counts
            .iter()
            .enumerate()
            .map(|(b, &c)| {
                let len = bin.min(self.steps - b * bin);
                c as f64 / self.n as f64 / (len as f64 * self.dt)
            })
            .collect()
    }

    /// Mean firing rate over all neurons and the whole run (Hz).
    pub fn mean_rate(&self) -> f64 {
        self.spikes.len() as f64 / self.n as f64 / (self.steps as f64 * self.dt)
    }

    /// Mean over neurons with at least three spikes of the coefficient of variation of their
    /// inter-spike intervals (NaN when no neuron has three).
    pub fn mean_isi_cv(&self) -> f64 {
        // A run's own spikes are in time order and within its network.
        isi_cv(&self.spikes, self.n).unwrap_or(f64::NAN)
    }
}

/// See [`LifRun::mean_isi_cv`]; `spikes` as (step, neuron) in time order, each neuron below
/// `n`.
///
/// # Errors
/// [`Error::InvalidParam`] for a neuron index of `n` or more, or spikes out of time order.
pub fn isi_cv(spikes: &[(u32, u32)], n: usize) -> Result<f64> {
    let mut last = vec![None::<u32>; n];
    let mut intervals: Vec<Vec<f64>> = vec![Vec::new(); n];
    for &(step, neuron) in spikes {
        let k = neuron as usize;
        if k >= n {
            return Err(Error::param(
                "spikes",
                format!("neuron {neuron} is not among the {n} neurons"),
            ));
        }
        if let Some(prev) = last[k] {
            if step < prev {
                return Err(Error::param(
                    "spikes",
                    format!("neuron {neuron} spikes at step {step} after step {prev}: spikes must be in time order"),
                ));
            }
            intervals[k].push(f64::from(step - prev));
        }
        last[k] = Some(step);
    }
    Ok(mean_cv(&intervals))
}

/// The same statistic for spike trains given as times (any unit), one train per neuron, each
/// in time order: the mean over trains with at least three spikes of the coefficient of
/// variation of their intervals (NaN when no train has three). For populations other than the
/// balanced network (Hodgkin-Huxley neurons), so that both report one statistic.
pub fn trains_isi_cv<'a>(trains: impl IntoIterator<Item = &'a [f64]>) -> f64 {
    let intervals: Vec<Vec<f64>> = trains
        .into_iter()
        .map(|times| times.windows(2).map(|w| w[1] - w[0]).collect())
        .collect();
    mean_cv(&intervals)
}

/// The mean coefficient of variation of each neuron's intervals, over neurons with two or more.
fn mean_cv(intervals: &[Vec<f64>]) -> f64 {
    let cvs: Vec<f64> = intervals
        .iter()
        .filter(|isi| isi.len() >= 2)
        .map(|isi| {
            let mean = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / mean
        })
        .collect();
    if cvs.is_empty() {
        f64::NAN
    } else {
        cvs.iter().sum::<f64>() / cvs.len() as f64
    }
}

/// A network's weights as they are held: dense (`n x n`, given by the user or drawn at sizes
/// where the matrix fits) or sparse by presynaptic neuron (drawn straight into sparse storage,
/// for 10^5 neurons and more). Both give the same runs on the CPU.
#[derive(Clone, Debug)]
pub enum LifNetwork {
    /// Dense weights: the GPU runs a batch of these in one dispatch when it fits.
    Dense(Network),
    /// Sparse weights: one network at a time on the GPU.
    Sparse(SparseNetwork),
}

/// Drawn networks of more neurons than this are drawn sparse: a dense float64 matrix of 10^4
/// neurons is already 800 MB.
pub const SPARSE_FROM: usize = 10_000;

impl LifNetwork {
    /// Draws a network with the reference program's distributions: sparse when `sparse` is
    /// asked or `params.n` is above [`SPARSE_FROM`], else dense. A sparse draw is another
    /// network than the dense draw of the same seed (see [`SparseNetwork::draw`]).
    ///
    /// # Errors
    /// As [`Network::draw`] and [`SparseNetwork::draw`].
    pub fn draw(params: &NetworkParams, sparse: bool) -> Result<Self> {
        if sparse || params.n > SPARSE_FROM {
            Ok(LifNetwork::Sparse(SparseNetwork::draw(params)?))
        } else {
            Ok(LifNetwork::Dense(Network::draw(params)?))
        }
    }

    /// Neurons.
    pub fn n(&self) -> usize {
        match self {
            LifNetwork::Dense(network) => network.n(),
            LifNetwork::Sparse(network) => network.n(),
        }
    }
}

impl From<Network> for LifNetwork {
    fn from(network: Network) -> Self {
        LifNetwork::Dense(network)
    }
}

impl From<SparseNetwork> for LifNetwork {
    fn from(network: SparseNetwork) -> Self {
        LifNetwork::Sparse(network)
    }
}

/// The path a batch ran on, as [`simulate`] chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifPath {
    /// [`gpu::LifGpu`]: every network in one dispatch per block of steps.
    GpuDense,
    /// [`gpu_sparse::SparseLifGpu`]: one network at a time, sparse weights.
    GpuSparse,
    /// [`cpu::simulate_sparse`]: the fast CPU path, networks over threads.
    Cpu,
}

impl std::fmt::Display for LifPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LifPath::GpuDense => "GPU, dense weights, one dispatch for the batch",
            LifPath::GpuSparse => "GPU, sparse weights",
            LifPath::Cpu => "CPU",
        })
    }
}

/// The runs of a batch, in the batch's order, and the path they took.
#[derive(Clone, Debug)]
pub struct LifBatch {
    /// One run per network.
    pub runs: Vec<LifRun>,
    /// Where they ran.
    pub path: LifPath,
}

/// The network's weights held sparse (a dense network converted).
fn sparse_of(network: &LifNetwork) -> std::borrow::Cow<'_, SparseNetwork> {
    match network {
        LifNetwork::Dense(dense) => std::borrow::Cow::Owned(SparseNetwork::from_dense(dense)),
        LifNetwork::Sparse(sparse) => std::borrow::Cow::Borrowed(sparse),
    }
}

/// Whether a batch can share one dense GPU dispatch: one n, dt, T, nrec and monitors.
fn shares_one_dispatch(batch: &[(LifNetwork, LifParams)]) -> bool {
    let Some((first, p0)) = batch.first() else {
        return false;
    };
    batch.iter().all(|(network, p)| {
        matches!(network, LifNetwork::Dense(_))
            && network.n() == first.n()
            && p.dt == p0.dt
            && p.steps() == p0.steps()
            && p.nrec == p0.nrec
            && p.monitor == p0.monitor
            && p.every == p0.every
    })
}

/// Runs a batch of networks (one or more; each with its own parameters), the one entry of the
/// LIF capability, making every routing decision:
///
/// - a GPU, dense weights that share n, dt, T, nrec and monitors and fit
///   ([`gpu::LifGpu::supports`]): every network in one dispatch per block of steps;
/// - a GPU otherwise: one network at a time with sparse weights (dense ones converted);
/// - the CPU: the fast path (float32 state, sparse weights, the float64 refractory clock),
///   networks over threads; dense and sparse networks give the same runs.
///
/// `progress` is told how many more steps are done, summed over the networks (the dense GPU
/// path reports once, at the end). Returns the runs in the batch's order and the path taken.
///
/// ```
/// use gpusci::lif::{simulate, LifParams, LifPath, Network, NetworkParams};
/// use gpusci::Device;
///
/// let network = Network::draw(&NetworkParams { n: 200, ..NetworkParams::default() })?;
/// let params = LifParams { t: 0.05, ..LifParams::default() };
/// let batch = simulate(Device::Cpu, &[(network.into(), params)], |_| {})?;
/// assert_eq!(batch.path, LifPath::Cpu);
/// assert_eq!(batch.runs[0].steps, 1000); // round(T / dt) steps of 50 us
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`LifParams::validate`] (each network with its own n); [`Error::ShapeMismatch`] for
/// weights and `v0` of different sizes; GPU errors; [`Error::Cancelled`] when cancelled.
pub fn simulate<'d>(
    device: impl Into<Device<'d>>,
    batch: &[(LifNetwork, LifParams)],
    progress: impl Fn(usize) + Sync,
) -> Result<LifBatch> {
    let device: Device<'d> = device.into();
    use rayon::prelude::*;
    for (network, params) in batch {
        // Network's fields are public: a hand-built one may not hold what Network::new checks.
        let (weights_shape, n) = match network {
            LifNetwork::Dense(dense) => (dense.w.shape().to_vec(), dense.n()),
            LifNetwork::Sparse(sparse) => (vec![sparse.outgoing.n()], sparse.n()),
        };
        let square = match weights_shape[..] {
            [rows, cols] => rows == n && cols == n,
            [presynaptic] => presynaptic == n,
            _ => false,
        };
        if !square {
            return Err(Error::ShapeMismatch {
                what: "weights",
                expected: format!("{n} neurons, as v0 has"),
                got: weights_shape,
            });
        }
        params.validate(network.n())?;
    }
    let neurons: usize = batch.iter().map(|(network, _)| network.n()).sum();
    let device = crate::route::route(
        device,
        &crate::route::Job::new(crate::route::Operation::Simulation, neurons),
    );
    let Some(ctx) = device.gpu() else {
        let runs = batch
            .par_iter()
            .map(|(network, params)| {
                let network = sparse_of(network);
                let mut last = 0;
                cpu::simulate_sparse(&network.outgoing, network.v0.view(), params, |done| {
                    progress(done - last);
                    last = done;
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(LifBatch {
            runs,
            path: LifPath::Cpu,
        });
    };
    if shares_one_dispatch(batch)
        && gpu::LifGpu::supports(ctx, batch[0].0.n(), batch.len(), batch[0].1.nrec)
    {
        let dense: Vec<(&Network, LifParams)> = batch
            .iter()
            .filter_map(|(network, params)| match network {
                LifNetwork::Dense(dense) => Some((dense, params.clone())),
                LifNetwork::Sparse(_) => None,
            })
            .collect();
        let runs = gpu::LifGpu::new(ctx)?.simulate_batch(ctx, &dense)?;
        progress(batch.iter().map(|(_, p)| p.steps()).sum());
        return Ok(LifBatch {
            runs,
            path: LifPath::GpuDense,
        });
    }
    let gpu = gpu_sparse::SparseLifGpu::new(ctx)?;
    let runs = batch
        .iter()
        .map(|(network, params)| {
            let run = gpu.simulate(
                ctx,
                &sparse_of(network),
                params,
                gpu_sparse::SPARSE_BLOCK_STEPS,
            )?;
            progress(params.steps());
            Ok(run)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(LifBatch {
        runs,
        path: LifPath::GpuSparse,
    })
}
