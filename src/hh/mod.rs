//! Hodgkin-Huxley neurons driven by Poisson spike trains: the seed question "Simulating a
//! neuron spike train in python" (`shared/seeds/001_37eb83e4b6ea15f6.txt`), its constants,
//! rate functions and forward-Euler loop (dt 0.01 ms over 300 ms, I_app 3, ic = [-65, 0.05,
//! 0.6, 0.32]), for many independent neurons at once.
//!
//! Synaptic input as the question defines it: `n_ex` excitatory and `n_in` inhibitory inputs,
//! each a Poisson process at `rate` Hz; a spike is transmitted with probability `p`; in a step
//! the current is `C_m * G_ex * (E - K * I)` for E excitatory and I inhibitory spikes
//! transmitted in that step (delta pulses on the Euler grid). E and I are drawn per neuron and
//! step as Binomial(n, rate * dt / 1000 * p) counts, which is exactly the distribution of the
//! question's per-input Bernoulli draws, from one Philox call addressed by (seed, neuron,
//! step): any neuron can be rerun alone, and a GPU twin can draw the same numbers.

pub mod cpu;

use crate::error::{Error, Result};
use crate::rng;

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

/// Binomial(n, q) by inversion of the uniform `u`: the smallest k whose cumulative
/// probability reaches u (about 1 + n q terms).
pub fn binomial(n: u32, q: f64, u: f64) -> u32 {
    if n == 0 || q <= 0.0 {
        return 0;
    }
    if q >= 1.0 {
        return n;
    }
    let ratio = q / (1.0 - q);
    let mut term = (1.0 - q).powf(f64::from(n));
    let mut cumulative = term;
    let mut k = 0;
    while cumulative < u && k < n {
        term *= f64::from(n - k) / f64::from(k + 1) * ratio;
        k += 1;
        cumulative += term;
    }
    k
}

/// Excitatory and inhibitory spikes transmitted to `neuron` in `step`.
pub fn input_counts(params: &HhParams, neuron: u32, step: u32) -> (u32, u32) {
    let [a, b, ..] = rng::philox4x32([neuron, step, STREAM_INPUTS, 0], rng::key(params.seed));
    let q = params.q();
    (
        binomial(params.n_ex, q, rng::uniform(a)),
        binomial(params.n_in, q, rng::uniform(b)),
    )
}

/// Philox counter word 2 of the input draws.
const STREAM_INPUTS: u32 = 3;
