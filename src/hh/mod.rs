//! Hodgkin-Huxley neurons driven by Poisson spike trains, many independent neurons at once.
//!
//! The model follows a short NumPy program, posted as a question about why it became so slow
//! with thousands of inputs, that integrates one such neuron ("the question" below): the
//! classic Hodgkin-Huxley constants and rate functions, I_app = 3, and a forward-Euler loop at
//! dt 0.01 ms over 300 ms from ic = [-65, 0.05, 0.6, 0.32]. `tests/data/make_hh_fixtures.py`
//! holds that loop (without synaptic input; it writes the fixture `tests/data/hh/trace.npy`)
//! and `bench/peers/hh.py` runs it with Poisson inputs.
//!
//! Synaptic input as the question defines it: `n_ex` excitatory and `n_in` inhibitory inputs,
//! each a Poisson process at `rate` Hz; a spike is transmitted with probability `p`; in a step
//! the current is `C_m * G_ex * (E - K * I)` for E excitatory and I inhibitory spikes
//! transmitted in that step (delta pulses on the Euler grid). E and I are drawn per neuron and
//! step as Binomial(n, rate * dt / 1000 * p) counts, which is exactly the distribution of the
//! question's per-input Bernoulli draws, from one Philox call addressed by (seed, neuron,
//! step) and a table of integer thresholds ([`CountTable`]): any neuron can be rerun alone,
//! and the GPU draws the same counts.

pub mod cpu;
pub mod gpu;

use crate::error::{Error, Result};
use crate::gpu::{Device, Precision};
use crate::rng;
use crate::route::{route, Job, Operation};

/// The model and the run, with the question's names, units (ms, mV, uF/cm^2, mS/cm^2,
/// uA/cm^2) and values.
#[derive(Clone, Debug, PartialEq)]
pub struct HhParams {
    /// Membrane capacitance.
    pub c_m: f64,
    /// Maximum sodium conductance.
    pub g_na: f64,
    /// Maximum potassium conductance.
    pub g_k: f64,
    /// Leak conductance.
    pub g_l: f64,
    /// Sodium reversal potential.
    pub e_na: f64,
    /// Potassium reversal potential.
    pub e_k: f64,
    /// Leak reversal potential.
    pub e_l: f64,
    /// Applied current.
    pub i_app: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Simulated time (ms): the question integrates over `np.arange(0, t, dt)`.
    pub t: f64,
    /// Initial V, m, h, n.
    pub initial: [f64; 4],
    /// Excitatory inputs.
    pub n_ex: u32,
    /// Inhibitory inputs.
    pub n_in: u32,
    /// Firing rate of each input (Hz).
    pub rate: f64,
    /// Transmission probability of an input spike.
    pub p: f64,
    /// Inhibitory factor K.
    pub k: f64,
    /// Excitatory pulse size G_ex.
    pub g_ex: f64,
    /// Seed of the input draws.
    pub seed: u64,
}

impl Default for HhParams {
    fn default() -> Self {
        Self {
            c_m: 1.0,
            g_na: 120.0,
            g_k: 36.0,
            g_l: 0.3,
            e_na: 50.0,
            e_k: -77.0,
            e_l: -54.387,
            i_app: 3.0,
            dt: 0.01,
            t: 300.0,
            initial: [-65.0, 0.05, 0.6, 0.32],
            n_ex: 80,
            n_in: 20,
            rate: 10.0,
            p: 0.5,
            k: 4.0,
            g_ex: 1.0,
            seed: 1,
        }
    }
}

impl HhParams {
    /// States of a run: `len(np.arange(0, t, dt))`, the initial one included.
    pub fn states(&self) -> usize {
        (self.t / self.dt).ceil().max(1.0) as usize
    }

    /// Probability that one input delivers a spike in one step.
    pub fn q(&self) -> f64 {
        self.rate * self.dt / 1000.0 * self.p
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a non-finite value, dt, t or C_m not positive, a negative
    /// rate, p outside [0, 1], or a per-step spike probability above 1.
    pub fn validate(&self) -> Result<()> {
        let named = [
            ("c_m", self.c_m),
            ("g_na", self.g_na),
            ("g_k", self.g_k),
            ("g_l", self.g_l),
            ("e_na", self.e_na),
            ("e_k", self.e_k),
            ("e_l", self.e_l),
            ("i_app", self.i_app),
            ("dt", self.dt),
            ("t", self.t),
            ("rate", self.rate),
            ("p", self.p),
            ("k", self.k),
            ("g_ex", self.g_ex),
        ];
        for (name, value) in named {
            if !value.is_finite() {
                return Err(Error::param(name, format!("{value} is not finite")));
            }
        }
        if self.initial.iter().any(|v| !v.is_finite()) {
            return Err(Error::param("initial", "V, m, h, n must be finite"));
        }
        for (name, value) in [("dt", self.dt), ("t", self.t), ("c_m", self.c_m)] {
            if value <= 0.0 {
                return Err(Error::param(name, format!("{value} must be positive")));
            }
        }
        if self.rate < 0.0 {
            return Err(Error::param("rate", "must not be negative"));
        }
        if !(0.0..=1.0).contains(&self.p) {
            return Err(Error::param("p", format!("{} must be in [0, 1]", self.p)));
        }
        if self.rate * self.dt / 1000.0 > 1.0 {
            return Err(Error::param(
                "rate",
                "rate * dt exceeds one spike per input per step: lower dt",
            ));
        }
        if self.states() > crate::lif::MAX_STEPS {
            return Err(Error::ExceedsLimit {
                what: "time steps",
                requested: self.states() as u64,
                max: crate::lif::MAX_STEPS as u64,
            });
        }
        Ok(())
    }
}

/// Most trace values one run keeps (8 GiB of float64).
pub const MAX_TRACE_VALUES: usize = 1 << 30;

impl HhParams {
    /// Checks that `record` traces of this run fit [`MAX_TRACE_VALUES`].
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] past it (a clear error rather than an allocation that aborts).
    pub fn check_traces(&self, record: u32) -> Result<()> {
        let values = self.states() as u128 * 4 * u128::from(record);
        if values > MAX_TRACE_VALUES as u128 {
            return Err(Error::ExceedsLimit {
                what: "trace values (states x 4 x recorded neurons)",
                requested: values.min(u64::MAX as u128) as u64,
                max: MAX_TRACE_VALUES as u64,
            });
        }
        crate::limits::check_allocation("Hodgkin-Huxley traces", values as u64, 8)
    }
}

/// Binomial(n, q) counts drawn from 32-bit words by a table: the count for word `w` is the
/// number of thresholds `t_j <= w`, where `t_j = floor(cdf(j) * 2^32)`, so P(count > j) =
/// 1 - cdf(j) up to 2^-32. The CPU and the GPU both count against the same table of integers,
/// so they draw identical inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct CountTable {
    thresholds: Vec<u32>,
}

/// Most thresholds of one table (a mean of about 3,500 spikes per step).
pub const MAX_TABLE: usize = 4096;

impl CountTable {
    /// The table of Binomial(`n`, `q`).
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] when more than [`MAX_TABLE`] thresholds would be needed.
    pub fn new(n: u32, q: f64) -> Result<Self> {
        let mut thresholds = Vec::new();
        if q > 0.0 {
            let ratio = q / (1.0 - q);
            let mut term = if q < 1.0 {
                (1.0 - q).powf(f64::from(n))
            } else {
                0.0
            };
            let mut cdf = term;
            for j in 0..n {
                let t = (cdf * 4_294_967_296.0).floor();
                if t >= 4_294_967_296.0 {
                    break;
                }
                if thresholds.len() == MAX_TABLE {
                    return Err(Error::ExceedsLimit {
                        what: "input spikes per step (binomial table)",
                        requested: (f64::from(n) * q) as u64,
                        max: MAX_TABLE as u64,
                    });
                }
                thresholds.push(t as u32);
                if q < 1.0 {
                    term *= f64::from(n - j) / f64::from(j + 1) * ratio;
                    cdf += term;
                }
            }
        }
        Ok(Self { thresholds })
    }

    /// The count for `word`.
    pub fn count(&self, word: u32) -> u32 {
        self.thresholds.iter().take_while(|&&t| word >= t).count() as u32
    }

    /// The thresholds, for the GPU.
    pub fn thresholds(&self) -> &[u32] {
        &self.thresholds
    }
}

/// The excitatory and inhibitory tables of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct InputTables {
    /// Binomial(n_ex, q).
    pub ex: CountTable,
    /// Binomial(n_in, q).
    pub inh: CountTable,
    key: [u32; 2],
}

impl InputTables {
    /// The tables of `params`.
    ///
    /// # Errors
    /// As [`CountTable::new`].
    pub fn new(params: &HhParams) -> Result<Self> {
        Ok(Self {
            ex: CountTable::new(params.n_ex, params.q())?,
            inh: CountTable::new(params.n_in, params.q())?,
            key: rng::key(params.seed),
        })
    }

    /// Excitatory and inhibitory spikes transmitted to `neuron` in `step`: words 0 and 1 of
    /// the Philox block at (neuron, step, [`STREAM_INPUTS`], 0).
    pub fn counts(&self, neuron: u32, step: u32) -> (u32, u32) {
        let [a, b, ..] = rng::philox4x32([neuron, step, STREAM_INPUTS, 0], self.key);
        (self.ex.count(a), self.inh.count(b))
    }
}

/// Philox counter word 2 of the input draws.
pub const STREAM_INPUTS: u32 = 3;

/// Runs `neurons` neurons on the device, the first `record` with traces: on a GPU in float32
/// (one thread per neuron: a trace through a spike within 0.0015 mV of float64's, measured;
/// spike times over 60 ms within one 0.01 ms step), on the CPU in float64. `Precision::Double` on a GPU device computes on the CPU in float64 and says so:
/// the kernel's exponentials have no float64 form in WGSL (no `exp` on `f64`).
///
/// The input draws are identical on every path (Philox counters), so the paths differ only by
/// the arithmetic.
///
/// ```
/// use gpusci::hh::{simulate, HhParams};
/// use gpusci::Device;
///
/// // Two neurons for 50 ms with the default Poisson inputs; the first one's trace kept.
/// let params = HhParams { t: 50.0, ..HhParams::default() };
/// let neurons = simulate(Device::Cpu, &params, 2, 1)?;
/// let trace = neurons[0].trace.as_ref().unwrap(); // (states, 4): V (mV), m, h, n
/// assert_eq!(trace.ncols(), 4);
/// assert!((trace[[0, 0]] - (-65.0)).abs() < 1.0); // rest
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`cpu::simulate`] and [`gpu::HhGpu::simulate`].
pub fn simulate<'d>(
    device: impl Into<Device<'d>>,
    params: &HhParams,
    neurons: u32,
    record: u32,
) -> Result<Vec<cpu::HhNeuron>> {
    match route(
        device.into(),
        &Job::new(Operation::Simulation, neurons as usize),
    ) {
        Device::Gpu(_, Precision::Double) | Device::Auto(_, Precision::Double) => {
            crate::gpu::note_cpu_fallback(|| {
                "hodgkin_huxley: precision='double': the GPU kernel computes in float32 (WGSL \
                 has no float64 exp); computed on the CPU in float64"
                    .to_string()
            });
            cpu::simulate(params, neurons, record)
        }
        Device::Gpu(ctx, _) | Device::Auto(ctx, _) => {
            gpu::HhGpu::new(ctx)?.simulate(ctx, params, neurons, record)
        }
        Device::Cpu => cpu::simulate(params, neurons, record),
    }
}
