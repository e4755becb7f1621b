//! NumPy's semantics that more than one capability shares, in a home of their own so that no
//! capability borrows another's: the convolution modes (`numpy.convolve`, `scipy.signal`,
//! rolling means) and the dtype rules of point sets (`numpy.histogram2d`, point files).

use std::str::FromStr;

use crate::error::{Error, Result};

/// NumPy's convolution modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConvMode {
    /// Every overlap: n + k - 1 outputs.
    Full,
    /// max(n, k) outputs, centred as NumPy centres them.
    Same,
    /// Only complete overlaps: max(n, k) - min(n, k) + 1 outputs.
    #[default]
    Valid,
}

impl FromStr for ConvMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(ConvMode::Full),
            "same" => Ok(ConvMode::Same),
            "valid" => Ok(ConvMode::Valid),
            other => Err(Error::param(
                "mode",
                format!("'{other}' is not one of full, same, valid"),
            )),
        }
    }
}

impl ConvMode {
    /// The first index into the full output, and the output length, for lengths n and k (both
    /// at least 1): NumPy's `convolve` (which swaps its operands when the kernel is longer).
    pub fn window(self, n: usize, k: usize) -> (usize, usize) {
        let (long, short) = (n.max(k), n.min(k));
        match self {
            ConvMode::Full => (0, n + k - 1),
            ConvMode::Same => ((short - 1) / 2, long),
            ConvMode::Valid => (short - 1, long - short + 1),
        }
    }
}

/// The float type of the points, which decides how NumPy computes the edges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PointType {
    /// float64 (and integers, which NumPy bins with float64 edges).
    #[default]
    F64,
    /// float32: with an automatic range, NumPy computes the edges in float32.
    F32,
}

/// The element type of one coordinate array, for NumPy's type promotion in
/// [`PointType::of_columns`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementType {
    /// float32.
    Float32,
    /// float64.
    Float64,
    /// A signed integer of `bits` bits (8, 16, 32 or 64).
    Int(u8),
    /// An unsigned integer of `bits` bits (8, 16, 32 or 64).
    UInt(u8),
}

impl PointType {
    /// How NumPy bins the columns `x` and `y`: `numpy.histogram2d(x, y)` stacks them
    /// (`np.atleast_2d([x, y])`), so the edges follow `np.result_type(x, y)`: float32 edges
    /// (with an automatic range) only when that common type is float32, which is float32 with
    /// float32, or float32 with an integer of 16 bits or fewer. Anything with float64, a wider
    /// integer, or integers alone bins with float64 edges.
    pub fn of_columns(x: ElementType, y: ElementType) -> PointType {
        use ElementType::{Float32, Int, UInt};
        // float32 absorbs integers that it represents exactly (int8/16, uint8/16).
        let fits_f32 = |t: ElementType| match t {
            Float32 => true,
            Int(bits) | UInt(bits) => bits <= 16,
            ElementType::Float64 => false,
        };
        let float32 = x == Float32 || y == Float32;
        if float32 && fits_f32(x) && fits_f32(y) {
            PointType::F32
        } else {
            PointType::F64
        }
    }
}
