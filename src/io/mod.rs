//! File input and output: `.npy` arrays, validated before anything is allocated, and point sets
//! from `.npy` or CSV.

mod npy;
mod output;
mod points;

pub use npy::{
    read_npy, read_npy_header, write_npy, NpyArray, NpyError, NpyHeader, MAX_HEADER_LEN,
};
pub use output::write_output;
pub use points::{read_points, PointReader, Points, Progress};
