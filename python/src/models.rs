//! `gpusci.models`' Rust half: the balanced LIF network, Hodgkin-Huxley and the wave solver.

use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::errors::{parse, value_error, PyResult};
use crate::runtime::*;
use gpusci::Executor;

/// One network's run: `(rec (steps, nrec), spikes (K, 2) of (time s, neuron), monitored
/// (samples, monitors), [rate Hz, ISI CV])`.
pub(crate) type NetworkRun<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    [f64; 2],
);

/// The reference program's parameters as Python passes them: `(dt, T, tref, tm, vreset,
/// vpeak, td, tr, offset, nrec, monitor, every)`.
pub(crate) type LifTuple = (
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    f64,
    usize,
    Vec<u32>,
    usize,
);

pub(crate) fn lif_params(params: LifTuple) -> gpusci::lif::LifParams {
    let (dt, t, tref, tm, vreset, vpeak, td, tr, offset, nrec, monitor, every) = params;
    gpusci::lif::LifParams {
        dt,
        t,
        tref,
        tm,
        vreset,
        vpeak,
        td,
        tr,
        offset,
        nrec,
        monitor,
        every,
    }
}

/// The network drawn from `(n, p, g, seed)`.
pub(crate) fn draw_network(
    network: (usize, f64, f64, u64),
) -> gpusci::Result<gpusci::lif::Network> {
    let (n, p, g, seed) = network;
    gpusci::lif::Network::draw(&gpusci::lif::NetworkParams { n, p, g, seed })
}

/// Validates and runs networks with their parameters on one executor, interruptibly.
pub(crate) fn run_networks<'py>(
    py: Python<'py>,
    exec: &Executor,
    jobs: impl FnOnce() -> gpusci::Result<Vec<(gpusci::lif::Network, gpusci::lif::LifParams)>> + Send,
) -> PyResult<Vec<NetworkRun<'py>>> {
    let runs = interruptible(py, || -> gpusci::Result<Vec<gpusci::lif::LifRun>> {
        // lif::simulate validates every network's parameters.
        let jobs: Vec<(gpusci::lif::LifNetwork, gpusci::lif::LifParams)> = jobs()?
            .into_iter()
            .map(|(network, params)| (network.into(), params))
            .collect();
        Ok(gpusci::lif::simulate(exec, &jobs, |_| {})?.runs)
    })?;
    Ok(runs
        .into_iter()
        .map(|run| {
            let stats = [run.mean_rate(), run.mean_isi_cv()];
            let spikes = run.spike_array().into_pyarray(py);
            (
                run.rec.into_pyarray(py),
                spikes,
                run.monitored.into_pyarray(py),
                stats,
            )
        })
        .collect())
}

/// The balanced LIF network (one, or a batch: network k drawn from `seed + k`), on the
/// executor's device. `weights`/`v0` given: that one network.
#[pyfunction]
#[pyo3(signature = (params, network, weights, v0, batch, backend))]
pub(crate) fn balanced_network<'py>(
    py: Python<'py>,
    params: LifTuple,
    network: (usize, f64, f64, u64),
    weights: Option<PyReadonlyArray2<'py, f64>>,
    v0: Option<PyReadonlyArray1<'py, f64>>,
    batch: usize,
    backend: Option<BackendArg>,
) -> PyResult<Vec<NetworkRun<'py>>> {
    let lif = lif_params(params);
    let (n, p, g, seed) = network;
    let given = match (weights, v0) {
        (Some(w), Some(v)) => Some(gpusci::lif::Network::new(
            w.as_array().to_owned(),
            v.as_array().to_owned(),
        )?),
        (None, None) => None,
        _ => return Err(value_error("give both weights and v0, or neither")),
    };
    if batch == 0 {
        return Err(value_error("batch must be at least 1"));
    }
    let exec = executor(backend)?;
    run_networks(py, &exec, move || {
        let networks: Vec<gpusci::lif::Network> = match given {
            Some(network) => vec![network],
            None => (0..batch as u64)
                .map(|k| draw_network((n, p, g, seed + k)))
                .collect::<gpusci::Result<_>>()?,
        };
        Ok(networks.into_iter().map(|w| (w, lif.clone())).collect())
    })
}

/// Drawn networks, each with its own parameters and `(n, p, g, seed)`, run as one batch (a
/// sweep's share on one worker): on a GPU in shared dispatches when their sizes agree.
#[pyfunction]
#[pyo3(signature = (jobs, backend))]
pub(crate) fn balanced_network_jobs<'py>(
    py: Python<'py>,
    jobs: Vec<(LifTuple, (usize, f64, f64, u64))>,
    backend: Option<BackendArg>,
) -> PyResult<Vec<NetworkRun<'py>>> {
    let exec = executor(backend)?;
    run_networks(py, &exec, move || {
        jobs.into_iter()
            .map(|(params, network)| Ok((draw_network(network)?, lif_params(params))))
            .collect()
    })
}

/// The balanced network's ISI statistic for spike trains given as times, one array per
/// neuron in time order: the mean CV of the intervals over trains with 3+ spikes (NaN if none).
#[pyfunction]
pub(crate) fn isi_cv(py: Python<'_>, trains: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<f64> {
    let views: Vec<Vec<f64>> = trains.iter().map(|t| t.as_array().to_vec()).collect();
    Ok(py.detach(|| gpusci::lif::trains_isi_cv(views.iter().map(Vec::as_slice))))
}

/// Hodgkin-Huxley neurons with Poisson inputs: per neuron `(spike steps, (excitatory,
/// inhibitory) inputs, trace (states, 4) or None)`.
#[pyfunction]
#[pyo3(signature = (neurons, record, t, dt, i_app, n_ex, n_in, rate, p, seed, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "the model's parameters")]
pub(crate) fn hodgkin_huxley<'py>(
    py: Python<'py>,
    neurons: u32,
    record: u32,
    t: f64,
    dt: f64,
    i_app: f64,
    n_ex: u32,
    n_in: u32,
    rate: f64,
    p: f64,
    seed: u64,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<
    Vec<(
        Bound<'py, PyArray1<u32>>,
        (u64, u64),
        Option<Bound<'py, PyArray2<f64>>>,
    )>,
> {
    let params = gpusci::hh::HhParams {
        t,
        dt,
        i_app,
        n_ex,
        n_in,
        rate,
        p,
        seed,
        ..Default::default()
    };
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    let found = interruptible(py, || -> gpusci::Result<_> {
        params.validate()?;
        params.check_traces(record)?;
        gpusci::hh::simulate(device, &params, neurons, record)
    })?;
    Ok(found
        .into_iter()
        .map(|neuron| {
            (
                neuron.spikes.into_pyarray(py),
                neuron.inputs,
                neuron.trace.map(|t| t.into_pyarray(py)),
            )
        })
        .collect())
}

/// The staggered leapfrog wave solver: `(p, u, frames (k, n) float32, steps, dt, (error p,
/// error u))`.
#[pyfunction]
#[pyo3(signature = (n, cfl, t, problem, start, every, backend))]
#[allow(clippy::too_many_arguments, reason = "the solver's parameters")]
pub(crate) fn leapfrog<'py>(
    py: Python<'py>,
    n: usize,
    cfl: f64,
    t: f64,
    problem: &str,
    start: &str,
    every: usize,
    backend: Option<BackendArg>,
) -> PyResult<LeapfrogRun<'py>> {
    let params = gpusci::wave::WaveParams {
        cfl,
        t,
        problem: parse::<gpusci::wave::Problem>(problem)?,
        start: parse::<gpusci::wave::Start>(start)?,
        every,
        ..gpusci::wave::WaveParams::new(n)
    };
    let exec = executor(backend)?;
    let run = compute(py, || -> gpusci::Result<_> {
        params.validate()?;
        gpusci::wave::simulate(exec.device(), &params)
    })?;
    let errors = run.errors(&params);
    let k = run.frames.len();
    let frames: Vec<f32> = run.frames.concat();
    let frames = Array2::from_shape_vec((k, frames.len().checked_div(k).unwrap_or(0)), frames)
        .expect("frames of one length");
    Ok((
        run.p.into_pyarray(py),
        run.u.into_pyarray(py),
        frames.into_pyarray(py),
        run.steps,
        run.dt,
        errors,
    ))
}

pub(crate) type LeapfrogRun<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray2<f32>>,
    usize,
    f64,
    (f64, f64),
);

/// The convergence study: `(n, error p, error u, order p, order u)`.
#[pyfunction]
#[pyo3(signature = (sizes, cfl, t, problem, start, backend))]
pub(crate) fn convergence(
    py: Python<'_>,
    sizes: Vec<usize>,
    cfl: f64,
    t: f64,
    problem: &str,
    start: &str,
    backend: Option<BackendArg>,
) -> PyResult<(Vec<usize>, Vec<f64>, Vec<f64>, f64, f64)> {
    let base = gpusci::wave::WaveParams {
        cfl,
        t,
        problem: parse::<gpusci::wave::Problem>(problem)?,
        start: parse::<gpusci::wave::Start>(start)?,
        ..gpusci::wave::WaveParams::new(sizes.first().copied().unwrap_or(3))
    };
    let exec = executor(backend)?;
    let study = compute(py, || {
        gpusci::wave::convergence(exec.device(), &base, &sizes)
    })?;
    Ok((
        study.n,
        study.error_p,
        study.error_u,
        study.order_p,
        study.order_u,
    ))
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(balanced_network, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_network_jobs, m)?)?;
    m.add_function(wrap_pyfunction!(isi_cv, m)?)?;
    m.add_function(wrap_pyfunction!(convergence, m)?)?;
    m.add_function(wrap_pyfunction!(hodgkin_huxley, m)?)?;
    m.add_function(wrap_pyfunction!(leapfrog, m)?)?;
    Ok(())
}
