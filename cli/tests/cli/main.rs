//! The `gpusci-cli` crate's tests: the binary's contract (arguments, messages, files written or
//! not) and the animations on every adapter. One test crate, one link.

#[path = "../../../tests/common/mod.rs"]
mod common;

mod animate;
mod commands;
mod heatmap;
mod pictures;
