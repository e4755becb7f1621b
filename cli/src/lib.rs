//! The presentation side of gpusci: what the `gpusci` command line draws and prints, kept out
//! of the library (the `gpusci` crate computes; this crate shows).
//!
//! - [`pictures`]: a spike raster with its population rate, voltage traces, Hodgkin-Huxley
//!   traces and the convergence plot, with labelled axes (plotters, an embedded DejaVu Sans);
//! - [`animate`]: GIF (and MP4 through ffmpeg) animations of point clouds, rasters and fields;
//! - [`mod@bench`]: the standard workloads W1-W7 and the table `gpusci bench` prints.
//!
//! The Python module's `gpusci.animate` uses [`animate`] too, so both draw the same frames.

pub mod animate;
pub mod bench;
pub mod pictures;
