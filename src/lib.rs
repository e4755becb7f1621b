//! gpusci: the slow NumPy/SciPy loops of scientific Python, fast on the GPU (wgpu, WGSL), with
//! a CPU twin of every kernel that gives SciPy's answers.
//!
//! # A guide
//!
//! **Choose where to compute once.** [`Executor::select`] turns the user's `--backend
//! auto|gpu|cpu` ([`Backend`]) and the `GPUSCI_ADAPTER` variable into an executor: `auto` takes a
//! hardware GPU when there is one, else the CPU path. Operations borrow it as a [`Device`]
//! (`&executor`, a `&GpuContext` you hold, or `Device::Cpu`); no operation opens a context.
//!
//! **Every capability has the same shape.** A module per capability (`src/<capability>/`):
//! parameters with SciPy's or NumPy's names and defaults, validated before any work; one
//! function per operation that takes the device and makes every routing decision (GPU or CPU,
//! dense or sparse, tiled or not); the CPU reference and fast path in `cpu`; the GPU path in
//! `gpu` (its WGSL in `shaders/<capability>/`). Errors are one [`Error`] enum.
//!
//! ```
//! use gpusci::blur::{gaussian_filter1d, BlurParams};
//! use gpusci::density::{histogram2d, DensityParams, PointType};
//! use gpusci::{Backend, Executor};
//!
//! // The user's choice (here the CPU, so the example runs anywhere).
//! let exec = Executor::select(Backend::Cpu)?;
//! println!("running on {}", exec.describe());
//!
//! // scipy.ndimage.gaussian_filter1d(noisy, 10): float32 in, float32 out.
//! let noisy: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 13) as f32).collect();
//! let smooth = gaussian_filter1d(&exec, ndarray::ArrayView1::from(&noisy), &BlurParams::new(10.0))?;
//! assert_eq!(smooth.len(), 1000);
//!
//! // numpy.histogram2d(x, y, bins=64): counts identical to NumPy's.
//! let (x, y) = gpusci::data::clustered_points(100_000, 1);
//! let plan = DensityParams::new(64, 64).plan(x.view(), y.view(), PointType::F64)?;
//! let h = histogram2d(&exec, x.view(), y.view(), None, &plan)?;
//! assert_eq!(h.values.sum(), 100_000.0);
//! # Ok::<(), gpusci::Error>(())
//! ```
//!
//! # The capabilities
//!
//! | module | entry | matches |
//! | --- | --- | --- |
//! | [`blur`] | [`blur::gaussian_filter`] (N-D), [`blur::gaussian_filter1d`], [`blur::gaussian_filter_stack`] | `scipy.ndimage.gaussian_filter`, `gaussian_filter1d`; a sigma per image of a stack |
//! | [`density`] | [`density::histogram2d`], [`density::histogram2d_file`] (files past memory) | `numpy.histogram2d` |
//! | [`heatmap`] | [`heatmap::heatmap`], [`heatmap::heatmap_file`] | histogram2d, then blur, scale and a matplotlib colormap |
//! | [`conv`] | [`conv::np_convolve`], [`conv::convolve`], [`conv::correlate`], [`conv::lag`], [`conv::two_d::convolve_2d`] | `numpy.convolve`, `scipy.signal.convolve`/`correlate`/`correlation_lags` |
//! | [`fft`] | [`fft::fft`], [`fft::rfft`], [`fft::irfft`], [`fft::fftn`] (n, axis, norm), [`fft::fft_rows`] and the other row routers | `numpy.fft` |
//! | [`signal`] | [`signal::crossings()`], [`signal::rolling_mean`] | threshold crossings, `np.convolve(x, ones(k)/k)` |
//! | [`lif`] | [`lif::simulate`] | a balanced leaky integrate-and-fire network (NumPy reference program) |
//! | [`hh`] | [`hh::simulate`] | Hodgkin-Huxley neurons with Poisson inputs |
//! | [`wave`] | [`wave::simulate`], [`wave::convergence`] | a leapfrog solver of the 1-D wave system |
//!
//! Beside them: [`io`] (`.npy` as `np.load` reads it, CSV points, safe output), [`render`]
//! (matplotlib's colormaps, PNG), [`data`] (built-in sample data), [`gpu`] (contexts,
//! adapters, limits), [`limits`] (sizes checked before allocation), [`cancel`], [`rng`]
//! (Philox), [`numpy`] (shared NumPy semantics).

pub mod array;
pub mod blur;
pub mod cancel;
pub mod conv;
pub mod data;
pub mod density;
pub mod error;
pub mod fft;
pub mod gpu;
pub mod heatmap;
pub mod hh;
pub mod io;
pub mod lif;
pub mod limits;
pub mod numpy;
pub mod render;
pub mod rng;
pub mod route;
// GPU-free checks of every shader against its Rust twin (uniform structs are crate-private).
#[cfg(test)]
mod shader_checks;
pub mod signal;
mod simd;
pub mod wave;

pub use error::{Error, Result};
pub use gpu::{Backend, Device, Executor, GpuContext, Precision};
