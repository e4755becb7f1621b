//! Networks too large for a dense weight matrix (10^5 neurons and more): the reference
//! program's distributions drawn straight into outgoing (presynaptic) sparse storage.

use ndarray::Array1;
use rayon::prelude::*;

use super::cpu::OutgoingWeights;
use super::{NetworkParams, STREAM_V0};
use crate::error::{Error, Result};
use crate::rng;

/// Most synapses of a drawn sparse network (u32 indices on the GPU).
pub const MAX_SYNAPSES: usize = u32::MAX as usize;

/// A network held as outgoing sparse weights and initial voltages.
#[derive(Clone, Debug)]
pub struct SparseNetwork {
    /// Each neuron's outgoing synapses.
    pub outgoing: OutgoingWeights,
    /// Initial voltages (mV).
    pub v0: Array1<f64>,
}

/// Philox counter word 2 of the sparse draw.
const STREAM_SPARSE: u32 = 4;

impl SparseNetwork {
    /// Draws a network with the reference program's distributions (connection with probability p,
    /// weight g N(0, 1) / (sqrt(n) p), each neuron's incoming non-zero weights shifted to mean
    /// 0, v0 uniform on [-65, 30)) without a dense matrix: each presynaptic neuron's targets
    /// come from geometric gaps between connections (the same Bernoulli(p) law), addressed in
    /// Philox by (neuron, synapse). It is another network than [`super::Network::draw`] of the
    /// same seed (that one addresses (row, column)); v0 is the same.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for n = 0, p outside (0, 1] or a non-finite g;
    /// [`Error::ExceedsLimit`] past [`MAX_SYNAPSES`] expected synapses.
    pub fn draw(params: &NetworkParams) -> Result<Self> {
        let NetworkParams { n, p, g, seed } = *params;
        if n == 0 {
            return Err(Error::param("n", "must be at least 1"));
        }
        if !(p > 0.0 && p <= 1.0) {
            return Err(Error::param("p", format!("{p} must be in (0, 1]")));
        }
        if !g.is_finite() {
            return Err(Error::param("g", format!("{g} is not finite")));
        }
        let expected = (n as f64) * (n as f64) * p;
        if expected > MAX_SYNAPSES as f64 * 0.9 || n > u32::MAX as usize {
            return Err(Error::ExceedsLimit {
                what: "synapses",
                requested: expected as u64,
                max: MAX_SYNAPSES as u64,
            });
        }
        // Targets (u32) and weights (f64), held twice while the columns are joined.
        crate::limits::check_allocation("the sparse network's synapses", expected as u64, 24)?;
        let key = rng::key(seed);
        let scale = g / ((n as f64).sqrt() * p);
        let log_miss = (1.0 - p).ln();
        // Columns are independent draws: built in parallel, then joined in order.
        let columns: Vec<(Vec<u32>, Vec<f64>)> = (0..n)
            .into_par_iter()
            .map(|j| {
                let (mut targets, mut weights) = (Vec::new(), Vec::new());
                let mut position: i64 = -1;
                for k in 0u32.. {
                    let [a, b, c, _] = rng::philox4x32([j as u32, k, STREAM_SPARSE, 0], key);
                    // Failures before the next connection: Geometric(p).
                    let gap = if p < 1.0 {
                        (rng::uniform(a).ln() / log_miss).floor() as i64
                    } else {
                        0
                    };
                    position += gap + 1;
                    if position >= n as i64 {
                        break;
                    }
                    targets.push(position as u32);
                    weights.push(scale * rng::normal(b, c));
                }
                (targets, weights)
            })
            .collect();
        let total: usize = columns.iter().map(|(t, _)| t.len()).sum();
        if total > MAX_SYNAPSES {
            return Err(Error::ExceedsLimit {
                what: "synapses",
                requested: total as u64,
                max: MAX_SYNAPSES as u64,
            });
        }
        let mut starts = Vec::with_capacity(n + 1);
        let mut targets: Vec<u32> = Vec::with_capacity(total);
        let mut weights: Vec<f64> = Vec::with_capacity(total);
        starts.push(0);
        for (t, w) in columns {
            targets.extend(t);
            weights.extend(w);
            starts.push(targets.len());
        }
        // Each neuron's incoming non-zero weights to mean 0, as the seed's row means.
        let mut sum = vec![0.0f64; n];
        let mut count = vec![0u32; n];
        for (&t, &w) in targets.iter().zip(&weights) {
            if w != 0.0 {
                sum[t as usize] += w;
                count[t as usize] += 1;
            }
        }
        let weights: Vec<f32> = targets
            .iter()
            .zip(&weights)
            .map(|(&t, &w)| {
                let t = t as usize;
                if w != 0.0 {
                    (w - sum[t] / f64::from(count[t])) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let v0 = (0..n)
            .map(|i| {
                let [a, ..] = rng::philox4x32([i as u32, 0, STREAM_V0, 0], key);
                -65.0 + rng::uniform(a) * (30.0 - -65.0)
            })
            .collect();
        Ok(Self {
            outgoing: OutgoingWeights::from_parts(starts, targets, weights)?,
            v0,
        })
    }

    /// A dense network as sparse storage.
    pub fn from_dense(network: &super::Network) -> Self {
        Self {
            outgoing: OutgoingWeights::from_dense(network.w.view()),
            v0: network.v0.clone(),
        }
    }

    /// Neurons.
    pub fn n(&self) -> usize {
        self.v0.len()
    }
}
