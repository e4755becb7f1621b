//! File input and output: `.npy` arrays, validated before anything is allocated, and point sets
//! from `.npy` or CSV.

mod npy;
mod points;

pub(crate) use npy::temp_path;
pub use npy::{
    read_npy, read_npy_header, write_npy, NpyArray, NpyError, NpyHeader, MAX_HEADER_LEN,
};
pub use points::{read_points, PointReader, Points, Progress};
