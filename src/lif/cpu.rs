//! The CPU paths of the LIF network: the float64 oracle in the order of the reference program
//! (`tests/data/lif/balanced_network.py`), and the fast float32 path with sparse outgoing
//! weights.

use ndarray::Array2;

use super::{LifParams, LifRun, Network};
use crate::density::cpu::pairwise_sum;
use crate::error::Result;

/// The reference program step for step in float64, dense weights: the oracle. Each neuron's input
/// `jd` sums its weights from this step's spikers with NumPy's pairwise summation, as
/// `w[:, index].sum(axis=1)` does, so the reference follows NumPy to the last bit.
///
/// # Errors
/// As [`LifParams::validate`].
pub fn simulate_reference(network: &Network, params: &LifParams) -> Result<LifRun> {
    let n = network.n();
    params.validate(n)?;
    let p = params;
    let steps = p.steps();
    let (rise, decay) = ((-p.dt / p.tr).exp(), (-p.dt / p.td).exp());
    let mut v = network.v0.to_vec();
    let mut ipsc = vec![0.0f64; n];
    let mut hm = vec![0.0f64; n];
    let mut tlast = vec![0.0f64; n];
    let mut jd = vec![0.0f64; n];
    let mut rec = Array2::<f64>::zeros((steps, p.nrec));
    let mut monitored = Array2::<f64>::zeros((p.samples(), p.monitor.len()));
    let mut spikes = Vec::new();
    let mut spikers: Vec<usize> = Vec::new();
    let mut column = Vec::new();
    for i in 0..steps {
        let now = p.dt * i as f64;
        for k in 0..n {
            let inp = ipsc[k] + p.offset;
            let active = if now > tlast[k] + p.tref { 1.0 } else { 0.0 };
            let dv = active * (-v[k] + inp) / p.tm;
            v[k] += p.dt * dv;
        }
        spikers.clear();
        spikers.extend((0..n).filter(|&k| v[k] >= p.vpeak));
        let fired = if spikers.is_empty() { 0.0 } else { 1.0 };
        for (k, out) in jd.iter_mut().enumerate() {
            column.clear();
            column.extend(spikers.iter().map(|&j| network.w[[k, j]]));
            *out = pairwise_sum(&column);
        }
        spikes.extend(spikers.iter().map(|&j| (i as u32, j as u32)));
        for &j in &spikers {
            tlast[j] += now - tlast[j];
        }
        for k in 0..n {
            ipsc[k] = ipsc[k] * rise + hm[k] * p.dt;
            hm[k] = hm[k] * decay + jd[k] * fired / (p.tr * p.td);
        }
        for &j in &spikers {
            v[j] += 30.0 - v[j];
        }
        for (r, &x) in rec.row_mut(i).iter_mut().zip(&v) {
            *r = x;
        }
        if i % p.every == 0 {
            for (r, &k) in monitored.row_mut(i / p.every).iter_mut().zip(&p.monitor) {
                *r = v[k as usize];
            }
        }
        for &j in &spikers {
            v[j] += p.vreset - v[j];
        }
    }
    Ok(LifRun {
        rec,
        monitored,
        spikes,
        dt: p.dt,
        n,
        steps,
    })
}

/// Outgoing weights by presynaptic neuron (compressed sparse columns of w): a spike of neuron
/// j adds `weights[starts[j]..starts[j + 1]]` to `targets[..]`, touching only j's synapses.
#[derive(Clone, Debug)]
pub struct OutgoingWeights {
    starts: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

impl OutgoingWeights {
    /// The non-zero weights of `w`, column by column (w[i, j]: from j onto i).
    pub fn from_dense(w: ndarray::ArrayView2<'_, f64>) -> Self {
        let n = w.ncols();
        let mut starts = Vec::with_capacity(n + 1);
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        starts.push(0);
        for j in 0..n {
            for (i, &x) in w.column(j).iter().enumerate() {
                if x != 0.0 {
                    targets.push(i as u32);
                    weights.push(x as f32);
                }
            }
            starts.push(targets.len());
        }
        Self {
            starts,
            targets,
            weights,
        }
    }

    /// Outgoing weights from parts: `starts` (n + 1 offsets), targets and weights.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParam`] for offsets that are not a non-decreasing cover of the
    /// synapses, targets outside the network, or non-finite weights.
    pub fn from_parts(starts: Vec<usize>, targets: Vec<u32>, weights: Vec<f32>) -> Result<Self> {
        let n = starts.len().saturating_sub(1);
        let bad = |why: &str| Err(crate::Error::param("weights", why.to_string()));
        if starts.first() != Some(&0)
            || starts.last() != Some(&targets.len())
            || targets.len() != weights.len()
            || starts.windows(2).any(|w| w[0] > w[1])
        {
            return bad("sparse offsets do not cover the synapses");
        }
        if targets.iter().any(|&t| t as usize >= n) {
            return bad("a synapse targets a neuron outside the network");
        }
        if weights.iter().any(|w| !w.is_finite()) {
            return bad("a weight is not finite");
        }
        Ok(Self {
            starts,
            targets,
            weights,
        })
    }

    /// Neurons (presynaptic columns).
    pub fn n(&self) -> usize {
        self.starts.len() - 1
    }

    /// Offsets of each presynaptic neuron's synapses (n + 1 values).
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// Target of each synapse.
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// Weight of each synapse.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Synapses stored.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn add_column(&self, j: usize, into: &mut [f32]) {
        let range = self.starts[j]..self.starts[j + 1];
        for (&t, &x) in self.targets[range.clone()].iter().zip(&self.weights[range]) {
            into[t as usize] += x;
        }
    }
}

/// The first step whose time `dt * step` exceeds `tlast + tref`, compared in float64 exactly as
/// the reference program compares them (a refractory period of a whole number of steps is a
/// tie that float rounding decides, so it is decided the same way here).
pub(crate) fn release_step(dt: f64, tlast: f64, tref: f64) -> u32 {
    let limit = tlast + tref;
    let mut step = ((limit / dt).floor() as i64 - 2).max(0) as u64;
    while dt * step as f64 <= limit {
        step += 1;
    }
    step.min(u64::from(u32::MAX)) as u32
}

/// The fast path: float32 voltages and synapses, float64 refractory clock (see
/// `release_step`), weights sparse by presynaptic neuron, one fused pass over the neurons per
/// step (last step's synapse update, then this step's Euler step and spike test) plus the
/// spikers' columns.
///
/// # Errors
/// As [`LifParams::validate`].
pub fn simulate(network: &Network, params: &LifParams) -> Result<LifRun> {
    simulate_sparse(
        &OutgoingWeights::from_dense(network.w.view()),
        network.v0.view(),
        params,
        |_| {},
    )
}

/// [`simulate`] on sparse weights (built once for repeated runs, or drawn sparse for networks
/// too large for a dense matrix, see [`super::SparseNetwork`]);
/// `progress` is told the steps done every [`PROGRESS_STEPS`] steps.
///
/// # Errors
/// As [`LifParams::validate`].
pub fn simulate_sparse(
    outgoing: &OutgoingWeights,
    v0: ndarray::ArrayView1<'_, f64>,
    params: &LifParams,
    mut progress: impl FnMut(usize),
) -> Result<LifRun> {
    let n = v0.len();
    if outgoing.n() != n {
        return Err(crate::Error::ShapeMismatch {
            what: "v0",
            expected: format!("one voltage per neuron ({})", outgoing.n()),
            got: vec![n],
        });
    }
    params.validate(n)?;
    let cancel = crate::cancel::Token::now();
    let p = params;
    let steps = p.steps();
    let dt = p.dt as f32;
    let (rise, decay) = ((-p.dt / p.tr).exp() as f32, (-p.dt / p.td).exp() as f32);
    let inv_tm = 1.0 / p.tm as f32;
    let kick = (1.0 / (p.tr * p.td)) as f32;
    let (offset, vpeak, vreset) = (p.offset as f32, p.vpeak as f32, p.vreset as f32);
    let mut v: Vec<f32> = v0.iter().map(|&x| x as f32).collect();
    let mut ipsc = vec![0.0f32; n];
    let mut hm = vec![0.0f32; n];
    let mut jd = vec![0.0f32; n];
    let mut tlast = vec![0.0f64; n];
    let mut release = vec![release_step(p.dt, 0.0, p.tref); n];
    let mut rec = Array2::<f64>::zeros((steps, p.nrec));
    let mut monitored = Array2::<f64>::zeros((p.samples(), p.monitor.len()));
    let mut spikes = Vec::new();
    let mut spikers: Vec<usize> = Vec::new();
    for i in 0..steps {
        if i % PROGRESS_STEPS == 0 {
            progress(i);
            cancel.check()?;
        }
        let step = i as u32;
        // Last step's synapse update (jd holds its spikers' input), then this step's Euler
        // step: one pass over the neurons.
        let fired = !spikers.is_empty();
        euler_pass(
            &mut v,
            &mut ipsc,
            &mut hm,
            &mut jd,
            &release,
            step,
            fired,
            rise,
            decay,
            kick,
            dt,
            inv_tm,
            offset,
            i > 0,
        );
        spikers.clear();
        spikers.extend((0..n).filter(|&k| v[k] >= vpeak));
        for &j in &spikers {
            outgoing.add_column(j, &mut jd);
            let now = p.dt * i as f64;
            tlast[j] += now - tlast[j];
            release[j] = release_step(p.dt, tlast[j], p.tref);
            v[j] = 30.0;
            spikes.push((step, j as u32));
        }
        for (r, &x) in rec.row_mut(i).iter_mut().zip(&v) {
            *r = f64::from(x);
        }
        if i % p.every == 0 {
            for (r, &k) in monitored.row_mut(i / p.every).iter_mut().zip(&p.monitor) {
                *r = f64::from(v[k as usize]);
            }
        }
        for &j in &spikers {
            v[j] = vreset;
        }
    }
    progress(steps);
    Ok(LifRun {
        rec,
        monitored,
        spikes,
        dt: p.dt,
        n,
        steps,
    })
}

/// Steps between progress reports.
pub const PROGRESS_STEPS: usize = 1000;

/// One pass over the neurons: the synapse update of the previous step (when `synapses`), then
/// the Euler step of neurons past their refractory step. Plain slices and no closures, so the
/// loop vectorises.
#[allow(
    clippy::too_many_arguments,
    reason = "the state vectors and constants of one pass"
)]
#[inline(never)]
fn euler_pass(
    v: &mut [f32],
    ipsc: &mut [f32],
    hm: &mut [f32],
    jd: &mut [f32],
    release: &[u32],
    step: u32,
    fired: bool,
    rise: f32,
    decay: f32,
    kick: f32,
    dt: f32,
    inv_tm: f32,
    offset: f32,
    synapses: bool,
) {
    let kick = if fired { kick } else { 0.0 };
    let n = v.len();
    let (ipsc, hm, jd, release) = (&mut ipsc[..n], &mut hm[..n], &mut jd[..n], &release[..n]);
    for k in 0..n {
        if synapses {
            let new_ipsc = ipsc[k] * rise + hm[k] * dt;
            hm[k] = hm[k] * decay + jd[k] * kick;
            ipsc[k] = new_ipsc;
            jd[k] = 0.0;
        }
        let dv = (ipsc[k] + offset - v[k]) * inv_tm;
        v[k] += if step >= release[k] { dt * dv } else { 0.0 };
    }
}
