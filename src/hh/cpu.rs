//! The CPU path of the Hodgkin-Huxley neurons: the question's forward-Euler step in float64,
//! operation for operation, neurons spread over threads.

use ndarray::Array2;
use rayon::prelude::*;

use super::{HhParams, InputTables};
use crate::error::Result;

/// One neuron's run.
#[derive(Clone, Debug, PartialEq)]
pub struct HhNeuron {
    /// Steps at whose end V first reached 0 mV from below (spikes).
    pub spikes: Vec<u32>,
    /// Excitatory and inhibitory input spikes transmitted over the run.
    pub inputs: (u64, u64),
    /// `(states, 4)`: V, m, h, n from the initial state on, when recorded.
    pub trace: Option<Array2<f64>>,
}

/// The right-hand side of the question's `dALLdt`, with its synaptic current `isyn`.
#[inline(always)]
fn derivatives(p: &HhParams, [v, m, h, n]: [f64; 4], isyn: f64) -> [f64; 4] {
    let alpha_m = 0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp());
    let beta_m = 4.0 * (-(v + 65.0) / 18.0).exp();
    let alpha_h = 0.07 * (-(v + 65.0) / 20.0).exp();
    let beta_h = 1.0 / (1.0 + (-(v + 35.0) / 10.0).exp());
    let alpha_n = 0.01 * (v + 55.0) / (1.0 - (-(v + 55.0) / 10.0).exp());
    let beta_n = 0.125 * (-(v + 65.0) / 80.0).exp();
    let i_na = p.g_na * m.powf(3.0) * h * (v - p.e_na);
    let i_k = p.g_k * n.powf(4.0) * (v - p.e_k);
    let i_l = p.g_l * (v - p.e_l);
    [
        (p.i_app + isyn - i_na - i_k - i_l) / p.c_m,
        alpha_m * (1.0 - m) - beta_m * m,
        alpha_h * (1.0 - h) - beta_h * h,
        alpha_n * (1.0 - n) - beta_n * n,
    ]
}

/// Neuron `index` (its inputs are drawn for that index), with its trace when `record`.
///
/// # Errors
/// As [`HhParams::validate`] and [`HhParams::check_traces`].
pub fn simulate_neuron(params: &HhParams, index: u32, record: bool) -> Result<HhNeuron> {
    params.validate()?;
    params.check_traces(u32::from(record))?;
    Ok(run(params, &InputTables::new(params)?, index, record))
}

fn run(p: &HhParams, tables: &InputTables, index: u32, record: bool) -> HhNeuron {
    let states = p.states();
    let mut x = p.initial;
    let mut trace = record.then(|| Array2::<f64>::zeros((states, 4)));
    if let Some(t) = &mut trace {
        t.row_mut(0).iter_mut().zip(&x).for_each(|(o, &v)| *o = v);
    }
    let mut spikes = Vec::new();
    let mut inputs = (0u64, 0u64);
    let synaptic = p.n_ex > 0 || p.n_in > 0;
    for step in 1..states {
        let isyn = if synaptic {
            let (e, i) = tables.counts(index, step as u32);
            inputs.0 += u64::from(e);
            inputs.1 += u64::from(i);
            p.c_m * p.g_ex * (f64::from(e) - p.k * f64::from(i))
        } else {
            0.0
        };
        let d = derivatives(p, x, isyn);
        let before = x[0];
        for (value, rate) in x.iter_mut().zip(d) {
            *value += p.dt * rate;
        }
        if before < 0.0 && x[0] >= 0.0 {
            spikes.push(step as u32);
        }
        if let Some(t) = &mut trace {
            t.row_mut(step)
                .iter_mut()
                .zip(&x)
                .for_each(|(o, &v)| *o = v);
        }
    }
    HhNeuron {
        spikes,
        inputs,
        trace,
    }
}

/// `neurons` independent neurons (inputs drawn for indices 0, 1, ...), spread over threads;
/// the first `record` keep their traces. Neuron k equals [`simulate_neuron`]`(params, k, ..)`.
///
/// # Errors
/// As [`HhParams::validate`] and [`HhParams::check_traces`].
pub fn simulate(params: &HhParams, neurons: u32, record: u32) -> Result<Vec<HhNeuron>> {
    params.validate()?;
    params.check_traces(record.min(neurons))?;
    let tables = InputTables::new(params)?;
    let cancel = crate::cancel::Token::now();
    (0..neurons)
        .into_par_iter()
        .map(|k| {
            cancel.check()?;
            Ok(run(params, &tables, k, k < record))
        })
        .collect()
}
