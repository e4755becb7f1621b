//! The CPU paths against NumPy's and SciPy's values (fixtures in tests/data, made by the
//! scripts there; a few binning checks also run on every adapter beside them), the test
//! harness's own rules, `.npy` reading, and the tree's own rules (no import cycle, no doc
//! naming a missing file). One test crate, one link: each module is what used to be a test
//! binary of its own.

#[path = "../common/mod.rs"]
mod common;

mod blur_cpu;
mod colormaps;
mod conv_cpu;
mod density_cpu;
mod docs;
mod fft_cpu;
mod harness;
mod hh_cpu;
mod imports;
mod lif_cpu;
mod npy;
mod signal_cpu;
