//! `gpusci.animate`'s Rust half: animations of fields, points, waves and spikes.

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::errors::{parse, value_error, PyResult};
use crate::runtime::*;

pub(crate) fn save_animation(
    py: Python<'_>,
    animation: gpusci_cli::animate::Animation,
    path: std::path::PathBuf,
    frames: Option<usize>,
) -> PyResult<String> {
    let mut animation = animation;
    if let Some(k) = frames {
        if k == 0 {
            return Err(value_error("frames must be at least 1"));
        }
        animation.keep_frames(k);
    }
    let written = py.detach(|| animation.save(&path, |_, _| {}))?;
    Ok(written.to_string())
}

/// A (frames, points) float32 field drawn as a line plot per frame, saved as GIF (or MP4
/// through ffmpeg); returns what was written.
#[pyfunction]
#[pyo3(signature = (field, path, size, fps, frames))]
pub(crate) fn animate_field(
    py: Python<'_>,
    field: PyReadonlyArray2<'_, f32>,
    path: std::path::PathBuf,
    size: (usize, usize),
    fps: f64,
    frames: Option<usize>,
) -> PyResult<String> {
    let rows: Vec<Vec<f32>> = field.as_array().outer_iter().map(|r| r.to_vec()).collect();
    let animation = py.detach(|| {
        gpusci_cli::animate::line_animation(
            &rows,
            &gpusci_cli::animate::LineAxes::default(),
            size,
            fps,
        )
    })?;
    save_animation(py, animation, path, frames)
}

/// Time-stamped points binned per time window (one colour scale), saved as GIF or MP4.
#[pyfunction]
#[pyo3(signature = (x, y, t, path, bins, window, step, cmap, fps, frames, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
pub(crate) fn animate_points(
    py: Python<'_>,
    x: PyReadonlyArray1<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    path: std::path::PathBuf,
    bins: (usize, usize),
    window: f64,
    step: f64,
    cmap: &str,
    fps: f64,
    frames: Option<usize>,
    backend: Option<BackendArg>,
) -> PyResult<String> {
    let windows = gpusci_cli::animate::TimeWindows {
        bins: [bins.0, bins.1],
        window,
        step,
        colormap: parse::<gpusci::render::Colormap>(cmap)?,
    };
    let exec = executor(backend)?;
    let (x, y, t) = (x.as_array(), y.as_array(), t.as_array());
    let animation = compute(py, || {
        gpusci_cli::animate::heatmap_animation(exec.device(), (x, y, t), &windows, fps)
    })?;
    save_animation(py, animation, path, frames)
}

/// The traveling wave sin(2 pi (x - t)) (200 frames of 400 points) as a line animation.
#[pyfunction]
#[pyo3(signature = (path, size, fps, frames))]
pub(crate) fn animate_traveling_wave(
    py: Python<'_>,
    path: std::path::PathBuf,
    size: (usize, usize),
    fps: f64,
    frames: Option<usize>,
) -> PyResult<String> {
    let animation = py.detach(|| {
        gpusci_cli::animate::line_animation(
            &gpusci_cli::animate::traveling_wave(),
            &gpusci_cli::animate::LineAxes::traveling_wave(),
            size,
            fps,
        )
    })?;
    save_animation(py, animation, path, frames)
}

/// A scrolling spike raster of a balanced network (n neurons, t seconds, drawn from `seed`):
/// `count` frames, each the last `window` seconds.
#[pyfunction]
#[pyo3(signature = (path, n, t, seed, window, count, size, fps, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
pub(crate) fn animate_spikes(
    py: Python<'_>,
    path: std::path::PathBuf,
    n: usize,
    t: f64,
    seed: u64,
    window: f64,
    count: usize,
    size: (usize, usize),
    fps: f64,
    backend: Option<BackendArg>,
) -> PyResult<String> {
    if !(window.is_finite() && window > 0.0) {
        return Err(value_error(format!("window {window}: must be positive")));
    }
    let params = gpusci::lif::LifParams {
        t,
        ..Default::default()
    };
    let exec = executor(backend)?;
    let animation = interruptible(py, || {
        let network = gpusci::lif::Network::draw(&gpusci::lif::NetworkParams {
            n,
            seed,
            ..Default::default()
        })?;
        let run =
            gpusci::lif::simulate(exec.device(), &[(network.into(), params.clone())], |_| {})?
                .runs
                .pop()
                .expect("one network, one run");
        let window_steps = ((window / params.dt).round() as usize).min(run.steps);
        gpusci_cli::animate::raster_animation(&run, window_steps, count, size, fps)
    })?;
    save_animation(py, animation, path, None)
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(animate_field, m)?)?;
    m.add_function(wrap_pyfunction!(animate_traveling_wave, m)?)?;
    m.add_function(wrap_pyfunction!(animate_points, m)?)?;
    m.add_function(wrap_pyfunction!(animate_spikes, m)?)?;
    Ok(())
}
