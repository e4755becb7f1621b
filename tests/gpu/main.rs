//! Every GPU path against its CPU twin and the fixtures, on every adapter (with
//! `GPUSCI_EXPECT_ADAPTERS`, a listed backend that did not run fails), and the WGSL files'
//! GPU-free checks. One test crate, one link: each module is what used to be a test binary.

#[path = "../common/mod.rs"]
mod common;

mod blur_gpu;
mod conv_gpu;
mod density_gpu;
mod device_ops;
mod elementwise;
mod exactness;
mod fft_gpu;
mod heatmap;
mod hh_gpu;
mod lif_gpu;
mod precision;
mod runtime;
mod signal_gpu;
mod wave;
