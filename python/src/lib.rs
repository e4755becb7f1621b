//! `gpusci._core`: the Rust half of the Python package. Each function takes NumPy arrays
//! already normalised by the pure-Python layer (`python/gpusci/`: SciPy's and NumPy's
//! signatures, dtype rules and argument forms), borrows them without a copy where the layout
//! allows, releases the GIL while it computes, and hands its result to NumPy without a copy.
//!
//! Errors map to Python's: bad arguments and shapes to `ValueError`, memory to
//! `MemoryError`, files to `OSError`, GPU failures to `RuntimeError`.

#![deny(unsafe_code)]
#![allow(
    clippy::type_complexity,
    reason = "arguments and results are Python tuples of arrays, named where they recur"
)]

use std::sync::{Arc, Mutex, OnceLock};

use ndarray::{Array2, ArrayView1};
use numpy::{
    Complex32, Complex64, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArray3, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use gpusci::blur::{self, BlurParams, Mode, NanPolicy};
use gpusci::conv::{self, Method};
use gpusci::density::{self, BinSpec, DensityParams, PointType, Reduction};
use gpusci::{Backend, Error, Executor};

// ---------------------------------------------------------------------------------------------
// Errors, backends, threads
// ---------------------------------------------------------------------------------------------

/// gpusci's error as the Python exception a NumPy user expects.
fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidParam { .. }
        | Error::ShapeMismatch { .. }
        | Error::EmptyInput(_)
        | Error::ExceedsLimit { .. } => PyValueError::new_err(message),
        Error::MemoryLimit { .. } | Error::OutOfMemory { .. } => PyMemoryError::new_err(message),
        Error::Io { .. } | Error::Npy { .. } | Error::Csv { .. } | Error::Png { .. } => {
            PyOSError::new_err(message)
        }
        Error::Cancelled => pyo3::exceptions::PyKeyboardInterrupt::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

fn parse<T: std::str::FromStr<Err = Error>>(text: &str) -> PyResult<T> {
    text.parse::<T>().map_err(to_py)
}

/// The executors, opened once per process on first use (never at import, so a fork before the
/// first call gets a fresh device).
static AUTO: OnceLock<Result<Arc<Executor>, String>> = OnceLock::new();
static GPU: OnceLock<Result<Arc<Executor>, String>> = OnceLock::new();
static CPU: OnceLock<Arc<Executor>> = OnceLock::new();
/// The default of `backend=None`, set by `gpusci.set_backend`.
static DEFAULT_BACKEND: Mutex<Backend> = Mutex::new(Backend::Auto);
/// The thread pool of `gpusci.set_num_threads` (`None`: rayon's global pool, which honours
/// `RAYON_NUM_THREADS`).
static POOL: Mutex<Option<Arc<rayon::ThreadPool>>> = Mutex::new(None);

fn executor(backend: Option<&str>) -> PyResult<Arc<Executor>> {
    let choice = match backend {
        Some(text) => text.parse::<Backend>().map_err(PyValueError::new_err)?,
        None => *DEFAULT_BACKEND.lock().expect("backend lock"),
    };
    let open = |backend| {
        Executor::select(backend)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    };
    match choice {
        Backend::Cpu => Ok(CPU.get_or_init(|| Arc::new(Executor::Cpu)).clone()),
        Backend::Auto => AUTO
            .get_or_init(|| open(Backend::Auto))
            .clone()
            .map_err(PyRuntimeError::new_err),
        Backend::Gpu => GPU
            .get_or_init(|| open(Backend::Gpu))
            .clone()
            .map_err(PyRuntimeError::new_err),
    }
}

/// The device of `exec` with float64 input computed at `precision` (`None`: `"auto"`).
fn device_at<'e>(exec: &'e Executor, precision: Option<&str>) -> PyResult<gpusci::Device<'e>> {
    let precision = match precision {
        Some(text) => parse::<gpusci::Precision>(text)?,
        None => gpusci::Precision::Auto,
    };
    Ok(exec.device().with_precision(precision))
}

/// Notes from the library that part of a GPU request ran on the CPU (see
/// `gpusci::gpu::set_cpu_fallback_hook`), until `compute` raises them as warnings.
static CPU_NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Runs `work` without the GIL, in the pool `set_num_threads` chose; then raises a
/// `RuntimeWarning` for each part of a GPU request that ran on the CPU.
fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> T {
    let pool = POOL.lock().expect("pool lock").clone();
    let out = py.detach(move || match pool {
        Some(pool) => pool.install(work),
        None => work(),
    });
    warn_cpu_notes(py);
    out
}

/// Raises a `RuntimeWarning` for each part of a GPU request that ran on the CPU since the
/// last call.
fn warn_cpu_notes(py: Python<'_>) {
    let notes = std::mem::take(&mut *CPU_NOTES.lock().unwrap_or_else(|p| p.into_inner()));
    for note in notes {
        let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
        // A warning filter set to "error" cannot fail the computation that already ran.
        let _ = PyErr::warn(
            py,
            &category,
            &std::ffi::CString::new(format!("gpusci: {note}")).unwrap_or_default(),
            1,
        );
    }
}

/// Runs a long simulation without the GIL on a worker thread, while this thread checks for
/// Ctrl-C (Python's signal handlers) every 50 ms: on KeyboardInterrupt the run is cancelled at
/// its next block ([`gpusci::cancel`]) and the interrupt raised.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> gpusci::Result<T> + Send,
) -> PyResult<T> {
    let pool = POOL.lock().expect("pool lock").clone();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || match pool {
            Some(pool) => pool.install(work),
            None => work(),
        });
        loop {
            py.detach(|| {
                for _ in 0..10 {
                    if worker.is_finished() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            });
            if worker.is_finished() {
                break;
            }
            if let Err(interrupt) = py.check_signals() {
                gpusci::cancel::cancel_running();
                // The run stops at its next block; its result (Cancelled) is dropped.
                let _ = py.detach(|| worker.join());
                return Err(interrupt);
            }
        }
        let joined = worker.join();
        warn_cpu_notes(py);
        match joined {
            Ok(result) => result.map_err(to_py),
            Err(_) => Err(PyRuntimeError::new_err("the simulation thread panicked")),
        }
    })
}

/// `gpusci.set_backend`: the default of every `backend=None`.
#[pyfunction]
fn set_backend(backend: &str) -> PyResult<()> {
    let choice = backend.parse::<Backend>().map_err(PyValueError::new_err)?;
    *DEFAULT_BACKEND.lock().expect("backend lock") = choice;
    Ok(())
}

/// The current default backend, as its name.
#[pyfunction]
fn get_backend() -> String {
    DEFAULT_BACKEND.lock().expect("backend lock").to_string()
}

/// `gpusci.set_num_threads`: CPU threads for every later call (0: rayon's default).
#[pyfunction]
fn set_num_threads(threads: usize) -> PyResult<()> {
    let pool = if threads == 0 {
        None
    } else {
        Some(Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?,
        ))
    };
    *POOL.lock().expect("pool lock") = pool;
    Ok(())
}

/// CPU threads the next call uses.
#[pyfunction]
fn get_num_threads() -> usize {
    match POOL.lock().expect("pool lock").as_ref() {
        Some(pool) => pool.current_num_threads(),
        None => rayon::current_num_threads(),
    }
}

/// The adapters wgpu finds: one dict each (name, backend, type, software, shader_f64,
/// max_storage_binding).
#[pyfunction]
fn adapters(py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
    let found = py.detach(gpusci::gpu::list_adapters);
    found
        .into_iter()
        .map(|a| {
            let dict = pyo3::types::PyDict::new(py);
            dict.set_item("index", a.index)?;
            dict.set_item("name", &a.name)?;
            dict.set_item("pci_bus_id", &a.pci_bus_id)?;
            dict.set_item("backend", a.backend)?;
            dict.set_item("type", format!("{:?}", a.device_type))?;
            dict.set_item("software", a.is_software())?;
            dict.set_item("shader_f64", a.shader_f64)?;
            dict.set_item(
                "max_storage_binding",
                a.limits.max_storage_buffer_binding_size,
            )?;
            Ok(dict.into_any().unbind())
        })
        .collect()
}

/// Whether this process has opened a GPU device already (`GPUSCI_ADAPTER` is read once, when
/// the first GPU call opens it).
#[pyfunction]
fn gpu_device_open() -> bool {
    [&AUTO, &GPU].iter().any(|cell| {
        cell.get()
            .is_some_and(|opened| opened.as_ref().is_ok_and(|exec| exec.gpu().is_some()))
    })
}

/// The GPU transfer counters and pool figures of the process's open GPU contexts, summed
/// (zeros when none is open); `reset` zeroes the counters after reading them.
#[pyfunction]
#[pyo3(signature = (reset=false))]
fn device_stats(py: Python<'_>, reset: bool) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    let mut total = gpusci::gpu::DeviceStats::default();
    let mut seen: Vec<&gpusci::GpuContext> = Vec::new();
    for cell in [&AUTO, &GPU] {
        let Some(Ok(exec)) = cell.get() else { continue };
        let Some(ctx) = exec.gpu() else { continue };
        // `auto` and `gpu` share the adapter's one context: counted once.
        if seen.iter().any(|other| other.same(ctx)) {
            continue;
        }
        seen.push(ctx);
        let s = if reset {
            ctx.reset_stats()
        } else {
            ctx.stats()
        };
        total.uploaded_bytes += s.uploaded_bytes;
        total.downloaded_bytes += s.downloaded_bytes;
        total.submits += s.submits;
        total.waits += s.waits;
        total.buffers_created += s.buffers_created;
        total.pool_bytes_held += s.pool_bytes_held;
        total.pool_bytes_in_use += s.pool_bytes_in_use;
        total.pool_peak_bytes += s.pool_peak_bytes;
    }
    let dict = pyo3::types::PyDict::new(py);
    dict.set_item("uploaded_bytes", total.uploaded_bytes)?;
    dict.set_item("downloaded_bytes", total.downloaded_bytes)?;
    dict.set_item("submits", total.submits)?;
    dict.set_item("waits", total.waits)?;
    dict.set_item("buffers_created", total.buffers_created)?;
    dict.set_item("pool_bytes_held", total.pool_bytes_held)?;
    dict.set_item("pool_bytes_in_use", total.pool_bytes_in_use)?;
    dict.set_item("pool_peak_bytes", total.pool_peak_bytes)?;
    Ok(dict)
}

/// What `backend` resolves to, in words ("cpu (2 threads)", "gpu: NAME [vulkan]").
#[pyfunction]
#[pyo3(signature = (backend=None))]
fn describe_backend(py: Python<'_>, backend: Option<&str>) -> PyResult<String> {
    let exec = executor(backend)?;
    Ok(py.detach(|| match &*exec {
        // Asked before any work: where auto will run, not where it ran.
        Executor::Auto(ctx) => format!(
            "{} past each operation's crossover, else the CPU",
            ctx.describe()
        ),
        other => other.describe(),
    }))
}

// ---------------------------------------------------------------------------------------------
// ndimage
// ---------------------------------------------------------------------------------------------

/// SciPy's per-axis lists as [`BlurParams`] (the Python side has checked types and lengths;
/// the library checks values).
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
fn blur_params(
    axes: Option<Vec<isize>>,
    sigma: Vec<f64>,
    order: Vec<u32>,
    modes: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
) -> PyResult<BlurParams> {
    let modes = modes
        .iter()
        .map(|m| parse::<Mode>(m))
        .collect::<PyResult<Vec<Mode>>>()?;
    let mut params = BlurParams::per_axis(&sigma)
        .with_truncate(truncate)
        .with_orders(&order)
        .with_modes(&modes)
        .with_cval(cval)
        .with_nan_policy(parse::<NanPolicy>(nan_policy)?);
    params.radius = radius;
    params.axes = axes;
    Ok(params)
}

/// `gaussian_filter` of a float32 or float64 array of any number of dimensions: `axes` (None:
/// all) and per-axis `sigma`, `order`, `mode` and `radius` (one, or one per filtered axis).
/// The result has the input's dtype.
#[pyfunction]
#[pyo3(signature = (input, axes, sigma, order, mode, cval, truncate, radius, nan_policy, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
fn gaussian_filter_nd<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    axes: Option<Vec<isize>>,
    sigma: Vec<f64>,
    order: Vec<u32>,
    mode: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = blur_params(axes, sigma, order, mode, cval, truncate, radius, nan_policy)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    if let Ok(array) = input.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        let view = array.as_array();
        let out = compute(py, || blur::gaussian_filter(device, view, &params)).map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let Ok(array) = input.extract::<PyReadonlyArrayDyn<'py, f64>>() {
        let view = array.as_array();
        let out = compute(py, || blur::gaussian_filter(device, view, &params)).map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(PyTypeError::new_err(
        "gaussian_filter_nd takes a float32 or float64 array",
    ))
}

/// Each image of a float32 or float64 `(N, H, W)` stack blurred with its own sigma
/// (`gaussian_filter_stack`); `order`, `mode`, `radius` for the image's two axes.
#[pyfunction]
#[pyo3(signature = (input, sigmas, order, mode, cval, truncate, radius, nan_policy, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "SciPy's parameters, one each")]
fn gaussian_filter_stack<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    sigmas: Vec<f64>,
    order: Vec<u32>,
    mode: Vec<String>,
    cval: f64,
    truncate: f64,
    radius: Option<Vec<usize>>,
    nan_policy: &str,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = blur_params(
        None,
        vec![0.0],
        order,
        mode,
        cval,
        truncate,
        radius,
        nan_policy,
    )?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    if let Ok(array) = input.extract::<PyReadonlyArray3<'py, f32>>() {
        let view = array.as_array();
        let out = compute(py, || {
            blur::gaussian_filter_stack(device, view, &sigmas, &params)
        })
        .map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let Ok(array) = input.extract::<PyReadonlyArray3<'py, f64>>() {
        let view = array.as_array();
        let out = compute(py, || {
            blur::gaussian_filter_stack(device, view, &sigmas, &params)
        })
        .map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(PyTypeError::new_err(
        "gaussian_filter_stack takes a 3-D float32 or float64 array",
    ))
}

// ---------------------------------------------------------------------------------------------
// histogram2d
// ---------------------------------------------------------------------------------------------

fn bin_spec(bins: &Bound<'_, PyAny>) -> PyResult<BinSpec> {
    if let Ok(count) = bins.extract::<usize>() {
        return Ok(BinSpec::Count(count));
    }
    let edges: PyReadonlyArray1<'_, f64> = bins
        .extract()
        .map_err(|_| PyTypeError::new_err("bins: an integer or a 1-D float64 array of edges"))?;
    Ok(BinSpec::Edges(edges.as_array().to_vec()))
}

type Histogram<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    [u64; 3],
);

/// One axis's edges in the dtype NumPy returns them in (float32 when computed in float32).
fn edges_to_py<'py>(py: Python<'py>, edges: Vec<f64>, float32: bool) -> Bound<'py, PyAny> {
    if float32 {
        // Computed in float32 arithmetic: each value is a float32 exactly.
        let narrowed: Vec<f32> = edges.iter().map(|&e| e as f32).collect();
        narrowed.into_pyarray(py).into_any()
    } else {
        edges.into_pyarray(py).into_any()
    }
}

/// NumPy's histogram request: bins (counts or edges), range, density, and whether automatic
/// edges are float32.
fn density_request(
    bins_x: &Bound<'_, PyAny>,
    bins_y: &Bound<'_, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    float32_edges: bool,
) -> PyResult<(DensityParams, PointType)> {
    let params = DensityParams {
        bins: [bin_spec(bins_x)?, bin_spec(bins_y)?],
        range,
        density,
        reduction: Reduction::Sum,
    };
    let kind = if float32_edges {
        PointType::F32
    } else {
        PointType::F64
    };
    Ok((params, kind))
}

/// `numpy.histogram2d` of float64 coordinates: `bins_x`/`bins_y` are a count or edges;
/// `float32_edges`: the points are float32 (NumPy then computes automatic edges in float32).
/// Returns `(H, xedges, yedges, [used, out_of_range, non_finite])`, the edges in NumPy's dtype.
#[pyfunction]
#[pyo3(signature = (x, y, bins_x, bins_y, range, density, weights, float32_edges, backend, bounds=None))]
#[allow(clippy::too_many_arguments, reason = "NumPy's parameters, one each")]
fn histogram2d<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    bins_x: &Bound<'py, PyAny>,
    bins_y: &Bound<'py, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    float32_edges: bool,
    backend: Option<&str>,
    bounds: Option<(BoundsTuple, BoundsTuple)>,
) -> PyResult<Histogram<'py>> {
    let (params, kind) = density_request(bins_x, bins_y, range, density, float32_edges)?;
    let exec = executor(backend)?;
    let (xv, yv) = (x.as_array(), y.as_array());
    let wv = weights.as_ref().map(|w| w.as_array());
    let (h, float32) = compute(py, || -> gpusci::Result<(density::Histogram, [bool; 2])> {
        let plan = match bounds {
            // A partition of a larger point set: the edges come from the whole set's bounds.
            Some((bx, by)) => {
                if xv.len() != yv.len() {
                    return Err(Error::ShapeMismatch {
                        what: "y",
                        expected: format!("as many values as x ({})", xv.len()),
                        got: vec![yv.len()],
                    });
                }
                params.plan_from_bounds(to_bounds(bx), to_bounds(by), kind)?
            }
            None => params.plan(xv, yv, kind)?,
        };
        if let Some(w) = wv {
            if w.len() != xv.len() {
                return Err(Error::ShapeMismatch {
                    what: "weights",
                    expected: format!("one weight per point ({})", xv.len()),
                    got: vec![w.len()],
                });
            }
        }
        let float32 = [plan.x.is_float32(), plan.y.is_float32()];
        Ok((
            density::histogram2d(exec.device(), xv, yv, wv, &plan)?,
            float32,
        ))
    })
    .map_err(to_py)?;
    Ok((
        h.values.into_pyarray(py),
        edges_to_py(py, h.x_edges, float32[0]),
        edges_to_py(py, h.y_edges, float32[1]),
        [h.used, h.out_of_range, h.non_finite],
    ))
}

/// `(min, max, nan seen)` of one coordinate: [`density::Bounds`] as Python holds it.
type BoundsTuple = (f64, f64, bool);

fn to_bounds((min, max, nan): BoundsTuple) -> density::Bounds {
    density::Bounds { min, max, nan }
}

/// The bounds of one coordinate of a partition (`(inf, -inf, False)` when empty), for a point
/// set's automatic range found one partition at a time.
#[pyfunction]
fn bounds(py: Python<'_>, values: PyReadonlyArray1<'_, f64>) -> BoundsTuple {
    let view = values.as_array();
    let b = py.detach(|| density::Bounds::of(view));
    (b.min, b.max, b.nan)
}

/// The histogram of a whole point set from its partitions' summed grid: the edges from the
/// set's bounds (as `histogram2d` computes them from all points), then `density=True` as
/// NumPy applies it. Returns `(H, xedges, yedges)`, the edges in NumPy's dtype.
#[pyfunction]
#[pyo3(signature = (sums, bins_x, bins_y, range, density, float32_edges, bounds, report))]
#[allow(clippy::too_many_arguments, reason = "NumPy's parameters, one each")]
fn histogram2d_from_sums<'py>(
    py: Python<'py>,
    sums: PyReadonlyArray2<'py, f64>,
    bins_x: &Bound<'py, PyAny>,
    bins_y: &Bound<'py, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    float32_edges: bool,
    bounds: (BoundsTuple, BoundsTuple),
    report: [u64; 3],
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
)> {
    let (params, kind) = density_request(bins_x, bins_y, range, density, float32_edges)?;
    let values = sums.as_array().to_owned();
    let (h, float32) = py
        .detach(|| -> gpusci::Result<_> {
            let plan = params.plan_from_bounds(to_bounds(bounds.0), to_bounds(bounds.1), kind)?;
            let float32 = [plan.x.is_float32(), plan.y.is_float32()];
            Ok((
                density::Histogram::from_sums(values, &plan, report)?,
                float32,
            ))
        })
        .map_err(to_py)?;
    Ok((
        h.values.into_pyarray(py),
        edges_to_py(py, h.x_edges, float32[0]),
        edges_to_py(py, h.y_edges, float32[1]),
    ))
}

// ---------------------------------------------------------------------------------------------
// signal
// ---------------------------------------------------------------------------------------------

/// `numpy.convolve` (`kind` "numpy"), `scipy.signal.convolve` ("convolve") or
/// `scipy.signal.correlate` ("correlate") of 1-D or 2-D float64 arrays.
#[pyfunction]
#[pyo3(signature = (kind, in1, in2, mode, method, backend, precision=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "SciPy's parameters, then gpusci's two"
)]
fn convolve<'py>(
    py: Python<'py>,
    kind: &str,
    in1: &Bound<'py, PyAny>,
    in2: &Bound<'py, PyAny>,
    mode: &str,
    method: &str,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = parse::<conv::Mode>(mode)?;
    let method = parse::<Method>(method)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    if let (Ok(a), Ok(v)) = (
        in1.extract::<PyReadonlyArray1<'py, f64>>(),
        in2.extract::<PyReadonlyArray1<'py, f64>>(),
    ) {
        let (a, v) = (a.as_array(), v.as_array());
        let out = compute(py, || match kind {
            "numpy" => conv::np_convolve(device, a, v, mode, method),
            "convolve" => conv::convolve(device, a, v, mode, method),
            _ => conv::correlate(device, a, v, mode, method),
        })
        .map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    if let (Ok(a), Ok(v)) = (
        in1.extract::<PyReadonlyArray2<'py, f64>>(),
        in2.extract::<PyReadonlyArray2<'py, f64>>(),
    ) {
        let (a, v) = (a.as_array(), v.as_array());
        let out = compute(py, || match kind {
            "correlate" => conv::two_d::correlate_2d(device, a, v, mode, method),
            _ => conv::two_d::convolve_2d(device, a, v, mode, method),
        })
        .map_err(to_py)?;
        return Ok(out.into_pyarray(py).into_any());
    }
    Err(PyTypeError::new_err(
        "convolve takes two 1-D or two 2-D float64 arrays",
    ))
}

/// `scipy.signal.correlation_lags(in1_len, in2_len, mode)`.
#[pyfunction]
fn correlation_lags<'py>(
    py: Python<'py>,
    in1_len: usize,
    in2_len: usize,
    mode: &str,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let mode = parse::<conv::Mode>(mode)?;
    if in1_len == 0 || in2_len == 0 {
        return Err(PyValueError::new_err("input lengths must be positive"));
    }
    Ok(conv::correlation_lags(in1_len, in2_len, mode).into_pyarray(py))
}

/// The lag of `b` against `a`: `(samples, refined, peak, pearson)`.
#[pyfunction]
#[pyo3(signature = (a, b, method, backend, precision=None))]
fn lag(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, f64>,
    b: PyReadonlyArray1<'_, f64>,
    method: &str,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<(i64, f64, f64, f64)> {
    let method = parse::<Method>(method)?;
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    let (a, b) = (a.as_array(), b.as_array());
    let found = compute(py, || conv::lag(device, a, b, method)).map_err(to_py)?;
    Ok((found.samples, found.refined, found.peak, found.pearson))
}

/// Event indices (int64) and interpolated times (float64).
type Events<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// Threshold crossings of a float64 signal: `(indices, times)`.
#[pyfunction]
#[pyo3(signature = (x, threshold, down, direction, min_gap, float32, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
fn crossings<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    threshold: f64,
    down: Option<f64>,
    direction: &str,
    min_gap: usize,
    float32: bool,
    backend: Option<&str>,
) -> PyResult<Events<'py>> {
    let params = gpusci::signal::CrossingParams {
        threshold,
        down,
        direction: parse::<gpusci::signal::Direction>(direction)?,
        min_gap,
    };
    let params = if float32 {
        params.for_float32_data()
    } else {
        params
    };
    let exec = executor(backend)?;
    let x = x.as_array();
    let found =
        compute(py, || gpusci::signal::crossings(exec.device(), x, &params)).map_err(to_py)?;
    let indices: Vec<i64> = found.iter().map(|c| c.index as i64).collect();
    let times: Vec<f64> = found.iter().map(|c| c.time).collect();
    Ok((indices.into_pyarray(py), times.into_pyarray(py)))
}

/// Rolling mean of a float64 signal (`np.convolve(x, ones(k)/k, mode)`, NaN policy).
#[pyfunction]
#[pyo3(signature = (x, k, mode, nan_policy, min_count, backend=None))]
fn rolling_mean<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    k: usize,
    mode: &str,
    nan_policy: &str,
    min_count: Option<usize>,
    backend: Option<&str>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let mut params = gpusci::signal::RollingParams::new(k);
    params.mode = parse::<gpusci::signal::ConvMode>(mode)?;
    params.nan_policy = match nan_policy {
        "propagate" => gpusci::signal::rolling::NanPolicy::Propagate,
        "omit" => gpusci::signal::rolling::NanPolicy::Omit,
        other => {
            return Err(PyValueError::new_err(format!(
                "nan_policy '{other}' is not one of propagate, omit"
            )))
        }
    };
    if let Some(m) = min_count {
        params.min_count = m;
    }
    let x = x.as_array();
    let exec = executor(backend)?;
    let out = compute(py, || {
        gpusci::signal::rolling_mean(exec.device(), x, &params)
    })
    .map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

// ---------------------------------------------------------------------------------------------
// fft (float64 on the CPU)
// ---------------------------------------------------------------------------------------------

/// Rows of `data` (rows x `n_in`, any layout) through `transform` (all values in row order,
/// giving rows x `n_out`), without the GIL; empty input gives empty output.
fn through_rows<'py, A, B>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, A>,
    n_out: impl FnOnce(usize) -> usize,
    transform: impl FnOnce(Vec<A>, usize) -> gpusci::Result<Vec<B>> + Send,
) -> PyResult<Bound<'py, PyArray2<B>>>
where
    A: numpy::Element + Copy + Send + Sync,
    B: numpy::Element + Send,
{
    let (rows, n) = (data.shape()[0], data.shape()[1]);
    let cols = n_out(n);
    let view = data.as_array();
    let out = compute(py, || -> gpusci::Result<Array2<B>> {
        let values: Vec<A> = view.iter().copied().collect();
        let result = if values.is_empty() {
            Vec::new()
        } else {
            transform(values, n)?
        };
        Ok(Array2::from_shape_vec((rows, cols), result).expect("rows of the transform"))
    })
    .map_err(to_py)?;
    Ok(out.into_pyarray(py))
}

/// Rows of a 2-D array in single (`$single`) or double (`$double`) precision through one row
/// transform written once (`|values, n| body`, generic over the element type), without the
/// GIL; the result keeps the input's precision. `$what` is the `TypeError` for anything else.
macro_rules! rows_in_either_precision {
    ($py:expr, $data:expr, ($single:ty, $double:ty), $what:literal, $n_out:expr,
     |$values:ident, $n:ident| $body:expr) => {{
        if let Ok(rows) = $data.extract::<PyReadonlyArray2<'_, $single>>() {
            return Ok(through_rows($py, rows, $n_out, move |$values, $n| $body)?.into_any());
        }
        let rows: PyReadonlyArray2<'_, $double> =
            $data.extract().map_err(|_| PyTypeError::new_err($what))?;
        Ok(through_rows($py, rows, $n_out, move |$values, $n| $body)?.into_any())
    }};
}

/// `np.fft.fft` (or `ifft`, scaled 1/n) of every row of a complex64 or complex128 2-D array,
/// on `backend`; the result has the input's dtype.
#[pyfunction]
#[pyo3(signature = (data, inverse, backend=None, precision=None))]
fn fft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    inverse: bool,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    rows_in_either_precision!(
        py,
        data,
        (Complex32, Complex64),
        "fft_rows takes a 2-D complex64 or complex128 array",
        |n| n,
        |values, n| gpusci::fft::fft_rows(device, &values, n, inverse)
    )
}

/// `np.fft.rfft` of every row of a float32 or float64 2-D array: `n / 2 + 1` bins a row, on
/// `backend` (complex64 for float32 rows, complex128 for float64).
#[pyfunction]
#[pyo3(signature = (data, backend=None, precision=None))]
fn rfft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    rows_in_either_precision!(
        py,
        data,
        (f32, f64),
        "rfft_rows takes a 2-D float32 or float64 array",
        |n| n / 2 + 1,
        |values, n| gpusci::fft::rfft_rows(device, &values, n)
    )
}

/// `np.fft.irfft(spectrum, n)` of every row of a complex64 or complex128 2-D array of
/// `n / 2 + 1` bins, on `backend` (float32 or float64 rows of `n`).
#[pyfunction]
#[pyo3(signature = (data, n, backend=None, precision=None))]
fn irfft_rows<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    n: usize,
    backend: Option<&str>,
    precision: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision)?;
    rows_in_either_precision!(
        py,
        data,
        (Complex32, Complex64),
        "irfft_rows takes a 2-D complex64 or complex128 array",
        |_| n,
        |values, _bins| gpusci::fft::irfft_rows(device, &values, n)
    )
}

// ---------------------------------------------------------------------------------------------
// heatmap
// ---------------------------------------------------------------------------------------------

/// Points -> RGBA heatmap: `(rgba (H, W, 4) uint8, [used, out_of_range, non_finite])`.
#[pyfunction]
#[pyo3(signature = (x, y, weights, size, range, sigma, scale, cmap, float32, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
fn heatmap<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    size: (usize, usize),
    range: Option<[[f64; 2]; 2]>,
    sigma: f64,
    scale: &str,
    cmap: &str,
    float32: bool,
    backend: Option<&str>,
) -> PyResult<(Bound<'py, PyAny>, [u64; 3])> {
    let params = gpusci::heatmap::HeatmapParams {
        width: size.0,
        height: size.1,
        range,
        sigma,
        scale: parse::<gpusci::heatmap::Scale>(scale)?,
        colormap: parse::<gpusci::render::Colormap>(cmap)?,
        ..Default::default()
    };
    let points = gpusci::io::Points {
        x: x.as_array().to_owned(),
        y: y.as_array().to_owned(),
        weights: weights.map(|w| w.as_array().to_owned()),
        kind: if float32 {
            PointType::F32
        } else {
            PointType::F64
        },
    };
    if points.x.len() != points.y.len() {
        return Err(PyValueError::new_err("x and y must have the same length"));
    }
    let exec = executor(backend)?;
    let image = compute(py, || {
        gpusci::heatmap::heatmap(exec.device(), &points, &params)
    })
    .map_err(to_py)?;
    Ok(heatmap_to_py(py, image))
}

/// A heatmap as Python receives it: the RGBA array (height, width, 4) and the report.
fn heatmap_to_py(py: Python<'_>, image: gpusci::heatmap::Heatmap) -> (Bound<'_, PyAny>, [u64; 3]) {
    let report = [image.used, image.out_of_range, image.non_finite];
    let rgba = ndarray::Array3::from_shape_vec((image.height, image.width, 4), image.rgba)
        .expect("height x width x 4 bytes");
    (rgba.into_pyarray(py).into_any(), report)
}

/// The heatmap of an already binned grid (`(width, height)` bins, NumPy's orientation: the sum
/// of a point set's partition grids): blurred, scaled and coloured once, as `heatmap` draws
/// the grid it bins. `report` is `[used, out_of_range, non_finite]`, carried through.
#[pyfunction]
#[pyo3(signature = (sums, report, sigma, scale, cmap, backend))]
fn heatmap_from_sums<'py>(
    py: Python<'py>,
    sums: PyReadonlyArray2<'py, f64>,
    report: [u64; 3],
    sigma: f64,
    scale: &str,
    cmap: &str,
    backend: Option<&str>,
) -> PyResult<(Bound<'py, PyAny>, [u64; 3])> {
    let values = sums.as_array().to_owned();
    let (width, height) = values.dim();
    let params = gpusci::heatmap::HeatmapParams {
        width,
        height,
        sigma,
        scale: parse::<gpusci::heatmap::Scale>(scale)?,
        colormap: parse::<gpusci::render::Colormap>(cmap)?,
        ..Default::default()
    };
    let histogram = density::Histogram {
        values,
        x_edges: Vec::new(),
        y_edges: Vec::new(),
        used: report[0],
        out_of_range: report[1],
        non_finite: report[2],
    };
    let exec = executor(backend)?;
    let image = compute(py, || {
        gpusci::heatmap::render_histogram(exec.device(), histogram, &params)
    })
    .map_err(to_py)?;
    Ok(heatmap_to_py(py, image))
}

/// The PNG file of an RGBA (H, W, 4) uint8 array, as bytes.
#[pyfunction]
fn png_bytes<'py>(
    py: Python<'py>,
    rgba: numpy::PyReadonlyArray3<'py, u8>,
) -> PyResult<Bound<'py, PyBytes>> {
    let shape = rgba.shape().to_vec();
    if shape[2] != 4 {
        return Err(PyValueError::new_err("rgba must have shape (H, W, 4)"));
    }
    let data: Vec<u8> = rgba.as_array().iter().copied().collect();
    let bytes = py
        .detach(|| gpusci::render::png_bytes(shape[1] as u32, shape[0] as u32, &data))
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Writes an RGBA (H, W, 4) uint8 array as a PNG file (nothing partial left on failure).
#[pyfunction]
fn write_png(
    py: Python<'_>,
    path: std::path::PathBuf,
    rgba: numpy::PyReadonlyArray3<'_, u8>,
) -> PyResult<()> {
    let shape = rgba.shape().to_vec();
    if shape[2] != 4 {
        return Err(PyValueError::new_err("rgba must have shape (H, W, 4)"));
    }
    let data: Vec<u8> = rgba.as_array().iter().copied().collect();
    py.detach(|| gpusci::render::write_png(&path, shape[1] as u32, shape[0] as u32, &data))
        .map_err(to_py)
}

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

/// One network's run: `(rec (steps, nrec), spikes (K, 2) of (time s, neuron), monitored
/// (samples, monitors), [rate Hz, ISI CV])`.
type NetworkRun<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    [f64; 2],
);

/// The reference program's parameters as Python passes them: `(dt, T, tref, tm, vreset,
/// vpeak, td, tr, offset, nrec, monitor, every)`.
type LifTuple = (
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

fn lif_params(params: LifTuple) -> gpusci::lif::LifParams {
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
fn draw_network(network: (usize, f64, f64, u64)) -> gpusci::Result<gpusci::lif::Network> {
    let (n, p, g, seed) = network;
    gpusci::lif::Network::draw(&gpusci::lif::NetworkParams { n, p, g, seed })
}

/// Validates and runs networks with their parameters on one executor, interruptibly.
fn run_networks<'py>(
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
fn balanced_network<'py>(
    py: Python<'py>,
    params: LifTuple,
    network: (usize, f64, f64, u64),
    weights: Option<PyReadonlyArray2<'py, f64>>,
    v0: Option<PyReadonlyArray1<'py, f64>>,
    batch: usize,
    backend: Option<&str>,
) -> PyResult<Vec<NetworkRun<'py>>> {
    let lif = lif_params(params);
    let (n, p, g, seed) = network;
    let given = match (weights, v0) {
        (Some(w), Some(v)) => Some(
            gpusci::lif::Network::new(w.as_array().to_owned(), v.as_array().to_owned())
                .map_err(to_py)?,
        ),
        (None, None) => None,
        _ => {
            return Err(PyValueError::new_err(
                "give both weights and v0, or neither",
            ))
        }
    };
    if batch == 0 {
        return Err(PyValueError::new_err("batch must be at least 1"));
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
fn balanced_network_jobs<'py>(
    py: Python<'py>,
    jobs: Vec<(LifTuple, (usize, f64, f64, u64))>,
    backend: Option<&str>,
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
fn isi_cv(py: Python<'_>, trains: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<f64> {
    let views: Vec<Vec<f64>> = trains.iter().map(|t| t.as_array().to_vec()).collect();
    Ok(py.detach(|| gpusci::lif::trains_isi_cv(views.iter().map(Vec::as_slice))))
}

/// Hodgkin-Huxley neurons with Poisson inputs: per neuron `(spike steps, (excitatory,
/// inhibitory) inputs, trace (states, 4) or None)`.
#[pyfunction]
#[pyo3(signature = (neurons, record, t, dt, i_app, n_ex, n_in, rate, p, seed, backend, precision=None))]
#[allow(clippy::too_many_arguments, reason = "the model's parameters")]
fn hodgkin_huxley<'py>(
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
    backend: Option<&str>,
    precision: Option<&str>,
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
    let device = device_at(&exec, precision)?;
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
fn leapfrog<'py>(
    py: Python<'py>,
    n: usize,
    cfl: f64,
    t: f64,
    problem: &str,
    start: &str,
    every: usize,
    backend: Option<&str>,
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
    })
    .map_err(to_py)?;
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

type LeapfrogRun<'py> = (
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
fn convergence(
    py: Python<'_>,
    sizes: Vec<usize>,
    cfl: f64,
    t: f64,
    problem: &str,
    start: &str,
    backend: Option<&str>,
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
    })
    .map_err(to_py)?;
    Ok((
        study.n,
        study.error_p,
        study.error_u,
        study.order_p,
        study.order_u,
    ))
}

// ---------------------------------------------------------------------------------------------
// animations
// ---------------------------------------------------------------------------------------------

fn save_animation(
    py: Python<'_>,
    animation: gpusci_cli::animate::Animation,
    path: std::path::PathBuf,
    frames: Option<usize>,
) -> PyResult<String> {
    let mut animation = animation;
    if let Some(k) = frames {
        if k == 0 {
            return Err(PyValueError::new_err("frames must be at least 1"));
        }
        animation.keep_frames(k);
    }
    let written = py
        .detach(|| animation.save(&path, |_, _| {}))
        .map_err(to_py)?;
    Ok(written.to_string())
}

/// A (frames, points) float32 field drawn as a line plot per frame, saved as GIF (or MP4
/// through ffmpeg); returns what was written.
#[pyfunction]
#[pyo3(signature = (field, path, size, fps, frames))]
fn animate_field(
    py: Python<'_>,
    field: PyReadonlyArray2<'_, f32>,
    path: std::path::PathBuf,
    size: (usize, usize),
    fps: f64,
    frames: Option<usize>,
) -> PyResult<String> {
    let rows: Vec<Vec<f32>> = field.as_array().outer_iter().map(|r| r.to_vec()).collect();
    let animation = py
        .detach(|| {
            gpusci_cli::animate::line_animation(
                &rows,
                &gpusci_cli::animate::LineAxes::default(),
                size,
                fps,
            )
        })
        .map_err(to_py)?;
    save_animation(py, animation, path, frames)
}

/// Time-stamped points binned per time window (one colour scale), saved as GIF or MP4.
#[pyfunction]
#[pyo3(signature = (x, y, t, path, bins, window, step, cmap, fps, frames, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
fn animate_points(
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
    backend: Option<&str>,
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
    })
    .map_err(to_py)?;
    save_animation(py, animation, path, frames)
}

/// The traveling wave sin(2 pi (x - t)) (200 frames of 400 points) as a line animation.
#[pyfunction]
#[pyo3(signature = (path, size, fps, frames))]
fn animate_traveling_wave(
    py: Python<'_>,
    path: std::path::PathBuf,
    size: (usize, usize),
    fps: f64,
    frames: Option<usize>,
) -> PyResult<String> {
    let animation = py
        .detach(|| {
            gpusci_cli::animate::line_animation(
                &gpusci_cli::animate::traveling_wave(),
                &gpusci_cli::animate::LineAxes::traveling_wave(),
                size,
                fps,
            )
        })
        .map_err(to_py)?;
    save_animation(py, animation, path, frames)
}

/// A scrolling spike raster of a balanced network (n neurons, t seconds, drawn from `seed`):
/// `count` frames, each the last `window` seconds.
#[pyfunction]
#[pyo3(signature = (path, n, t, seed, window, count, size, fps, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
fn animate_spikes(
    py: Python<'_>,
    path: std::path::PathBuf,
    n: usize,
    t: f64,
    seed: u64,
    window: f64,
    count: usize,
    size: (usize, usize),
    fps: f64,
    backend: Option<&str>,
) -> PyResult<String> {
    if !(window.is_finite() && window > 0.0) {
        return Err(PyValueError::new_err(format!(
            "window {window}: must be positive"
        )));
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

/// Checks one 1-D view for the bindings' tests (length and first value), to prove that a
/// borrowed, non-contiguous view arrives intact.
#[pyfunction]
fn _probe_view(x: PyReadonlyArray1<'_, f64>) -> (usize, f64) {
    let view: ArrayView1<'_, f64> = x.as_array();
    (view.len(), view.first().copied().unwrap_or(f64::NAN))
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    gpusci::gpu::set_cpu_fallback_hook(Some(Arc::new(|note: &str| {
        CPU_NOTES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(note.to_string());
    })));
    m.add_function(wrap_pyfunction!(set_backend, m)?)?;
    m.add_function(wrap_pyfunction!(get_backend, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(adapters, m)?)?;
    m.add_function(wrap_pyfunction!(describe_backend, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_filter_nd, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_filter_stack, m)?)?;
    m.add_function(wrap_pyfunction!(histogram2d, m)?)?;
    m.add_function(wrap_pyfunction!(bounds, m)?)?;
    m.add_function(wrap_pyfunction!(histogram2d_from_sums, m)?)?;
    m.add_function(wrap_pyfunction!(heatmap_from_sums, m)?)?;
    m.add_function(wrap_pyfunction!(convolve, m)?)?;
    m.add_function(wrap_pyfunction!(correlation_lags, m)?)?;
    m.add_function(wrap_pyfunction!(lag, m)?)?;
    m.add_function(wrap_pyfunction!(crossings, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_mean, m)?)?;
    m.add_function(wrap_pyfunction!(fft_rows, m)?)?;
    m.add_function(wrap_pyfunction!(rfft_rows, m)?)?;
    m.add_function(wrap_pyfunction!(irfft_rows, m)?)?;
    m.add_function(wrap_pyfunction!(heatmap, m)?)?;
    m.add_function(wrap_pyfunction!(png_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(write_png, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_network, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_network_jobs, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_device_open, m)?)?;
    m.add_function(wrap_pyfunction!(device_stats, m)?)?;
    m.add_function(wrap_pyfunction!(isi_cv, m)?)?;
    m.add_function(wrap_pyfunction!(hodgkin_huxley, m)?)?;
    m.add_function(wrap_pyfunction!(leapfrog, m)?)?;
    m.add_function(wrap_pyfunction!(convergence, m)?)?;
    m.add_function(wrap_pyfunction!(animate_field, m)?)?;
    m.add_function(wrap_pyfunction!(animate_points, m)?)?;
    m.add_function(wrap_pyfunction!(animate_traveling_wave, m)?)?;
    m.add_function(wrap_pyfunction!(animate_spikes, m)?)?;
    m.add_function(wrap_pyfunction!(_probe_view, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
