//! gpusci: the slow NumPy/SciPy loops of scientific Python, fast on the GPU (wgpu, WGSL), with
//! a CPU twin of every kernel that gives SciPy's answers.
//!
//! ```
//! use gpusci::blur::{gaussian_filter1d, BlurParams};
//! use gpusci::{Backend, Executor};
//!
//! let exec = Executor::select(Backend::Cpu)?;
//! let noisy: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 13) as f32).collect();
//! let smooth = gaussian_filter1d(&exec, ndarray::ArrayView1::from(&noisy), &BlurParams::new(10.0))?;
//! assert_eq!(smooth.len(), 1000);
//! # Ok::<(), gpusci::Error>(())
//! ```

pub mod bench;
pub mod blur;
pub mod cancel;
pub mod conv;
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
pub mod signal;
mod simd;
pub mod wave;

pub use error::{Error, Result};
pub use gpu::{Backend, Executor, GpuContext};
