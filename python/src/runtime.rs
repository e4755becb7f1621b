//! The process's runtime: one executor per backend (opened on first use, never at import),
//! the default backend, the CPU thread pool, the GPU counters, and running work without the
//! GIL with the library's CPU-fallback notes raised as warnings.

use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{runtime_error, PyResult};
use gpusci::{Backend, Executor};

/// The executors, opened once per process on first use (never at import, so a fork before the
/// first call gets a fresh device).
pub(crate) static AUTO: OnceLock<Result<Arc<Executor>, String>> = OnceLock::new();
pub(crate) static GPU: OnceLock<Result<Arc<Executor>, String>> = OnceLock::new();
pub(crate) static CPU: OnceLock<Arc<Executor>> = OnceLock::new();
/// The default of `backend=None`, set by `gpusci.set_backend`.
pub(crate) static DEFAULT_BACKEND: Mutex<Backend> = Mutex::new(Backend::Auto);
/// The thread pool of `gpusci.set_num_threads` (`None`: rayon's global pool, which honours
/// `RAYON_NUM_THREADS`).
pub(crate) static POOL: Mutex<Option<Arc<rayon::ThreadPool>>> = Mutex::new(None);

/// `backend=` as a call gives it, parsed once, when the call's arguments are: `None` is the
/// default `gpusci.set_backend` chose, else `"auto"`, `"gpu"` or `"cpu"` (a `ValueError`
/// otherwise).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BackendArg(pub(crate) Backend);

impl<'a, 'py> FromPyObject<'a, 'py> for BackendArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> Result<Self, Self::Error> {
        let text: String = obj.extract()?;
        text.parse::<Backend>()
            .map(BackendArg)
            .map_err(PyValueError::new_err)
    }
}

/// `precision=` parsed once: `"auto"`, `"double"` or `"single"` (a `ValueError` otherwise).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PrecisionArg(pub(crate) gpusci::Precision);

impl<'a, 'py> FromPyObject<'a, 'py> for PrecisionArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> Result<Self, Self::Error> {
        let text: String = obj.extract()?;
        text.parse::<gpusci::Precision>()
            .map(PrecisionArg)
            .map_err(crate::errors::to_py)
    }
}

/// The process's executor for `backend` (`None`: the default), opened on first use.
pub(crate) fn executor(backend: Option<BackendArg>) -> PyResult<Arc<Executor>> {
    let choice = match backend {
        Some(BackendArg(choice)) => choice,
        None => *DEFAULT_BACKEND.lock().expect("backend lock"),
    };
    let open = |backend| {
        Executor::select(backend)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    };
    let opened = match choice {
        Backend::Cpu => return Ok(CPU.get_or_init(|| Arc::new(Executor::Cpu)).clone()),
        Backend::Auto => AUTO.get_or_init(|| open(Backend::Auto)),
        Backend::Gpu => GPU.get_or_init(|| open(Backend::Gpu)),
    };
    opened.clone().map_err(runtime_error)
}

/// The device of `exec` with float64 input computed at `precision` (`None`: `"auto"`).
pub(crate) fn device_at(exec: &Executor, precision: Option<PrecisionArg>) -> gpusci::Device<'_> {
    let PrecisionArg(precision) = precision.unwrap_or(PrecisionArg(gpusci::Precision::Auto));
    exec.device().with_precision(precision)
}

/// Notes from the library that part of a GPU request ran on the CPU (see
/// `gpusci::gpu::set_cpu_fallback_hook`), until `compute` raises them as warnings.
pub(crate) static CPU_NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Runs `work` without the GIL, in the pool `set_num_threads` chose; then raises a
/// `RuntimeWarning` for each part of a GPU request that ran on the CPU.
pub(crate) fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> T {
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
pub(crate) fn warn_cpu_notes(py: Python<'_>) {
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
pub(crate) fn interruptible<T: Send>(
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
                return Err(interrupt.into());
            }
        }
        let joined = worker.join();
        warn_cpu_notes(py);
        match joined {
            Ok(result) => Ok(result?),
            Err(_) => Err(runtime_error("the simulation thread panicked")),
        }
    })
}

/// `gpusci.set_backend`: the default of every `backend=None`.
#[pyfunction]
pub(crate) fn set_backend(backend: BackendArg) -> PyResult<()> {
    *DEFAULT_BACKEND.lock().expect("backend lock") = backend.0;
    Ok(())
}

/// The current default backend, as its name.
#[pyfunction]
pub(crate) fn get_backend() -> String {
    DEFAULT_BACKEND.lock().expect("backend lock").to_string()
}

/// `gpusci.set_num_threads`: CPU threads for every later call (0: rayon's default).
#[pyfunction]
pub(crate) fn set_num_threads(threads: usize) -> PyResult<()> {
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
pub(crate) fn get_num_threads() -> usize {
    match POOL.lock().expect("pool lock").as_ref() {
        Some(pool) => pool.current_num_threads(),
        None => rayon::current_num_threads(),
    }
}

/// The adapters wgpu finds: one dict each (name, backend, type, software, shader_f64,
/// max_storage_binding).
#[pyfunction]
pub(crate) fn adapters(py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
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
pub(crate) fn gpu_device_open() -> bool {
    [&AUTO, &GPU].iter().any(|cell| {
        cell.get()
            .is_some_and(|opened| opened.as_ref().is_ok_and(|exec| exec.gpu().is_some()))
    })
}

/// The GPU transfer counters and pool figures of the process's open GPU contexts, summed
/// (zeros when none is open); `reset` zeroes the counters after reading them.
#[pyfunction]
#[pyo3(signature = (reset=false))]
pub(crate) fn device_stats(
    py: Python<'_>,
    reset: bool,
) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
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
pub(crate) fn describe_backend(py: Python<'_>, backend: Option<BackendArg>) -> PyResult<String> {
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

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_backend, m)?)?;
    m.add_function(wrap_pyfunction!(get_backend, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(adapters, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_device_open, m)?)?;
    m.add_function(wrap_pyfunction!(device_stats, m)?)?;
    m.add_function(wrap_pyfunction!(describe_backend, m)?)?;
    Ok(())
}
