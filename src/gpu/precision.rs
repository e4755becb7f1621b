//! The precision policy: how float64 input is computed on a GPU, in one place for every
//! capability.
//!
//! - [`Precision`] is the user's choice (`precision=` in Python, `--precision` on the CLI),
//!   carried by [`Device::Gpu`](super::Device). float32 input is always computed in float32.
//! - [`Arith`] is what a kernel computes in: float32, native float64 (WGSL `f64`, where the
//!   adapter has `SHADER_F64`: Vulkan and DX12 on NVIDIA, AMD and Intel, and lavapipe), or
//!   double-float (pairs of float32, about 48 significant bits, where it has not: GL, Metal,
//!   many mobile parts).
//! - [`DeviceReal`] is one element of a GPU buffer in each arithmetic (`f32`, `f64`,
//!   [`DoubleFloat`]); the kernels that come in three precisions (blur, conv, fft) are generic
//!   over it, and their WGSL is one source put after `shaders/precision/<arith>.wgsl`
//!   ([`ShaderVariants`]).
//!
//! Double-float has float32's exponent range. `Scaling` scales float64 data by a power of two
//! (exact) so that its largest magnitude is about 1, and refuses data whose finite magnitudes
//! span more than [`DOUBLE_FLOAT_SPAN_BITS`] binades (the smallest would lose precision to
//! float32's underflow) with an `ExceedsLimit`, which the routers compute on the CPU, with a
//! note.

use std::fmt;
use std::str::FromStr;

use bytemuck::{Pod, Zeroable};

use super::GpuContext;
use crate::error::{Error, Result};

/// How float64 input is computed on a GPU. float32 input is computed in float32 whatever
/// the choice.
///
/// | choice | float64 input on a GPU | error (relative to the sum of the magnitudes involved) |
/// | --- | --- | --- |
/// | `Single` | float32, as before this policy | about 6e-8 per operation: a blur or direct convolution within 1e-6, an n-point FFT within 4.5e-7 (log2 n + 1) |
/// | `Double` | native float64, else double-float | float64's: a blur or convolution within 1e-13, an FFT within 2e-15 (log2 n + 1) (double-float: about 2^-47 per operation) |
/// | `Auto` | as `Double` | as `Double` |
///
/// Where double-float cannot reach float64's accuracy (finite magnitudes spanning more than
/// 2^90), `Double` and `Auto` compute on the CPU and say so
/// ([`set_cpu_fallback_hook`](super::set_cpu_fallback_hook)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// float64 input computed in float32: fastest, about 7 significant digits.
    Single,
    /// float64 input computed to float64 accuracy.
    Double,
    /// float64 input computed to float64 accuracy (the default).
    #[default]
    Auto,
}

impl Precision {
    /// The names `single`, `double`, `auto`.
    pub const NAMES: [&'static str; 3] = ["single", "double", "auto"];

    /// Whether float64 input keeps float64 accuracy.
    pub fn keeps_float64(self) -> bool {
        self != Precision::Single
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::Single => "single",
            Precision::Double => "double",
            Precision::Auto => "auto",
        })
    }
}

impl FromStr for Precision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "single" => Ok(Precision::Single),
            "double" => Ok(Precision::Double),
            "auto" => Ok(Precision::Auto),
            other => Err(Error::param(
                "precision",
                format!("{other:?}: expected one of single, double, auto"),
            )),
        }
    }
}

/// What a kernel computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arith {
    /// float32.
    Single,
    /// WGSL `f64`.
    Native64,
    /// Pairs of float32 (hi, lo).
    DoubleFloat,
}

impl Arith {
    /// Index into a [`ShaderVariants`] (and into per-arithmetic names).
    pub(crate) fn index(self) -> usize {
        match self {
            Arith::Single => 0,
            Arith::Native64 => 1,
            Arith::DoubleFloat => 2,
        }
    }

    /// `"float32"`, `"float64"`, `"double-float"`: for reports.
    pub fn name(self) -> &'static str {
        ["float32", "float64", "double-float"][self.index()]
    }
}

/// One element of a GPU buffer in one arithmetic: `f32`, `f64` or [`DoubleFloat`].
pub trait DeviceReal: Pod + fmt::Debug + Send + Sync + 'static {
    /// The arithmetic of the kernels that take it.
    const ARITH: Arith;
    /// The element nearest `x` (for `f32`, `x as f32`).
    fn from_f64(x: f64) -> Self;
    /// Its value.
    fn to_f64(self) -> f64;
    /// 32-bit words per element.
    fn words() -> usize {
        std::mem::size_of::<Self>() / 4
    }
}

impl DeviceReal for f32 {
    const ARITH: Arith = Arith::Single;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl DeviceReal for f64 {
    const ARITH: Arith = Arith::Native64;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// A double-float: the value hi + lo, with hi the float32 nearest it and lo the float32 nearest
/// the rest (the layout of `Real` in `shaders/precision/double_float.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct DoubleFloat {
    /// The leading float32.
    pub hi: f32,
    /// The rest, rounded to float32 (0 for infinities and NaN).
    pub lo: f32,
}

impl DeviceReal for DoubleFloat {
    const ARITH: Arith = Arith::DoubleFloat;
    fn from_f64(x: f64) -> Self {
        let hi = x as f32;
        let lo = if hi.is_finite() {
            (x - f64::from(hi)) as f32
        } else {
            0.0
        };
        Self { hi, lo }
    }
    fn to_f64(self) -> f64 {
        f64::from(self.hi) + f64::from(self.lo)
    }
}

/// A float64 as three float32 whose exact sum it is, for uniforms (`real_parts` in the WGSL):
/// hi and lo carry 48 bits, lo2 the rest. Exact for values within float32's normal range.
pub(crate) fn f64_parts(x: f64) -> [f32; 3] {
    let hi = x as f32;
    let rest = x - f64::from(hi);
    let lo = rest as f32;
    let lo2 = (rest - f64::from(lo)) as f32;
    [hi, lo, lo2]
}

/// Binades that finite nonzero magnitudes of double-float data may span: scaled so that the
/// largest is below 2, the smallest then stays above 2^-90, where its lo word (24 bits further
/// down) is still a normal float32 with room for the products and sums of a kernel.
pub const DOUBLE_FLOAT_SPAN_BITS: i32 = 90;

/// How float64 data goes into buffers of one arithmetic: multiplied by 2^-e (exactly; e = 0
/// except for double-float), then rounded to the element; results come back times `up` = 2^e
/// (times each operand's in turn, for products, so that no product of factors overflows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scaling {
    /// 2^-e as two factors: for data below 2^-1023, 2^-e itself is past float64's range.
    down: (f64, f64),
    pub(crate) up: f64,
}

impl Scaling {
    /// Why float64 `data` cannot be held in `arith` on the GPU, in words: magnitudes spanning
    /// more than double-float holds ([`Arith::DoubleFloat`] only); `None` when it can. The
    /// refusal a capability asks before uploading float64 data (one pass over it).
    pub(crate) fn refusal(arith: Arith, data: impl Iterator<Item = f64>) -> Option<String> {
        if arith != Arith::DoubleFloat {
            return None;
        }
        Self::for_data::<DoubleFloat>("input", data)
            .err()
            .map(|error| error.to_string())
    }

    /// The scaling of `data` for elements `E`. Double-float data whose finite magnitudes span
    /// more than [`DOUBLE_FLOAT_SPAN_BITS`] binades is an [`Error::ExceedsLimit`] (a limit of an
    /// adapter without native float64: the routers compute it on the CPU and say so). For
    /// float32, finite values past float32's range are an [`Error::InvalidParam`] named `what`.
    pub(crate) fn for_data<E: DeviceReal>(
        what: &'static str,
        data: impl IntoIterator<Item = f64>,
    ) -> Result<Self> {
        let one = Scaling::by_exponent(0);
        match E::ARITH {
            Arith::Native64 => Ok(one),
            Arith::Single => {
                let past = data
                    .into_iter()
                    .find(|v| v.is_finite() && v.abs() > f64::from(f32::MAX));
                match past {
                    Some(v) => Err(Error::param(
                        what,
                        format!(
                            "{v} is beyond float32's range, which precision='single' computes \
                             in on the GPU; use precision='double' or the CPU"
                        ),
                    )),
                    None => Ok(one),
                }
            }
            Arith::DoubleFloat => {
                let (mut largest, mut smallest) = (0.0f64, f64::INFINITY);
                for m in data.into_iter().map(f64::abs) {
                    if m.is_finite() && m > 0.0 {
                        largest = largest.max(m);
                        smallest = smallest.min(m);
                    }
                }
                if largest == 0.0 {
                    return Ok(one);
                }
                let top = exponent(largest);
                let span = top - exponent(smallest);
                if span > DOUBLE_FLOAT_SPAN_BITS {
                    return Err(Error::ExceedsLimit {
                        what: "binades spanned by float64 magnitudes in double-float (no native \
                               float64)",
                        requested: span as u64,
                        max: DOUBLE_FLOAT_SPAN_BITS as u64,
                    });
                }
                Ok(Scaling::by_exponent(top))
            }
        }
    }

    /// The double-float exponent of `data` by its largest finite magnitude alone (0 for no
    /// nonzero finite value), whatever the span.
    pub(crate) fn top_exponent(data: impl IntoIterator<Item = f64>) -> i32 {
        let largest = data
            .into_iter()
            .map(f64::abs)
            .filter(|m| m.is_finite())
            .fold(0.0f64, f64::max);
        if largest == 0.0 {
            0
        } else {
            exponent(largest)
        }
    }

    /// e of the scaling by 2^-e.
    pub(crate) fn exponent(self) -> i32 {
        exponent(self.up)
    }

    /// The scaling by 2^-e (e in float64's exponent range, subnormals included).
    pub(crate) fn by_exponent(e: i32) -> Self {
        let half = -e / 2;
        Scaling {
            down: (pow2(half), pow2(-e - half)),
            up: pow2(e),
        }
    }

    /// `x` in the buffer's element.
    pub(crate) fn to<E: DeviceReal>(self, x: f64) -> E {
        E::from_f64(x * self.down.0 * self.down.1)
    }
}

/// floor(log2 |x|) of a finite nonzero float64 (subnormals included).
fn exponent(x: f64) -> i32 {
    let bits = x.abs().to_bits();
    let biased = (bits >> 52) as i32;
    if biased == 0 {
        // Subnormal: 2^-1074 times the mantissa.
        -1074 + 63 - bits.leading_zeros() as i32
    } else {
        biased - 1023
    }
}

/// 2^e, exact for e in [-1074, 1023] (two steps, so that no intermediate overflows).
pub(crate) fn pow2(e: i32) -> f64 {
    let half = e / 2;
    f64::powi(2.0, half) * f64::powi(2.0, e - half)
}

/// The WGSL of one kernel in the three arithmetics: the prelude, `shaders/precision/<arith>`,
/// then the kernel's files (see `precision_variants!`), with a pipeline-cache name for each.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShaderVariants {
    pub(crate) names: [&'static str; 3],
    pub(crate) sources: [&'static str; 3],
}

impl ShaderVariants {
    /// The compute pipeline of `entry` in the variant for `arith`.
    pub(crate) fn pipeline(
        &self,
        ctx: &GpuContext,
        arith: Arith,
        entry: &'static str,
    ) -> Result<wgpu::ComputePipeline> {
        let i = arith.index();
        ctx.pipeline(self.names[i], self.sources[i], entry)
    }
}

/// A kernel's [`ShaderVariants`]: `precision_variants!("name", "dir/file.wgsl", ...)`.
macro_rules! precision_variants {
    ($name:literal, $($file:literal),+ $(,)?) => {
        $crate::gpu::ShaderVariants {
            names: [$name, concat!($name, " f64"), concat!($name, " double-float")],
            sources: [
                $crate::gpu::include_wgsl!("precision/single.wgsl", $($file),+),
                $crate::gpu::include_wgsl!("precision/native.wgsl", $($file),+),
                $crate::gpu::include_wgsl!("precision/double_float.wgsl", $($file),+),
            ],
        }
    };
}
pub(crate) use precision_variants;

impl GpuContext {
    /// What float64 work computes in on this context: native float64 where the device was
    /// opened with `SHADER_F64` (and [`GpuContext::emulate_float64`] was not asked for), else
    /// double-float.
    pub fn float64_arith(&self) -> Arith {
        if self.device.features().contains(wgpu::Features::SHADER_F64)
            && !self.emulate_f64.load(std::sync::atomic::Ordering::Relaxed)
        {
            Arith::Native64
        } else {
            Arith::DoubleFloat
        }
    }

    /// Computes float64 work in double-float even where the adapter has native float64: to
    /// test and time the double-float kernels on such an adapter.
    pub fn emulate_float64(&self, emulate: bool) {
        self.emulate_f64
            .store(emulate, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_sum_to_the_value() {
        for x in [1.0 / 3.0, 1.0 / 999_983.0, 0.1, -7.25, 1.0 / 1_048_576.0] {
            let [hi, lo, lo2] = f64_parts(x);
            assert_eq!((f64::from(hi) + f64::from(lo)) + f64::from(lo2), x, "{x}");
        }
    }

    /// `data` scaled into double-floats, with the factor back.
    fn double_floats(data: &[f64]) -> Result<(Vec<DoubleFloat>, f64)> {
        let scaling = Scaling::for_data::<DoubleFloat>("data", data.iter().copied())?;
        Ok((data.iter().map(|&x| scaling.to(x)).collect(), scaling.up))
    }

    #[test]
    fn double_floats_keep_48_bits_and_scaling_is_exact() {
        let data = [
            1e300,
            -3.0e299,
            1.0 / 3.0 * 1e290,
            0.0,
            f64::NAN,
            f64::INFINITY,
        ];
        let (pairs, up) = double_floats(&data).unwrap();
        for (&x, p) in data.iter().zip(&pairs) {
            let back = p.to_f64() * up;
            if x.is_finite() {
                assert!((back - x).abs() <= x.abs() * 2f64.powi(-47), "{x} {back}");
            } else {
                assert_eq!(back.is_nan(), x.is_nan());
            }
        }
        assert!(double_floats(&[1e200, 1e-200]).is_err());
        // Data all below 2^-1022 (subnormals too) scales up without overflow.
        let tiny = [5e-324, -1e-310, 0.0];
        let (pairs, up) = double_floats(&tiny).unwrap();
        for (&x, p) in tiny.iter().zip(&pairs) {
            assert!(p.hi.is_finite() && p.lo.is_finite(), "{x}: {p:?}");
            assert_eq!(p.to_f64() * up, x);
        }
        assert!(double_floats(&[5e-324, 1e-300]).is_ok());
        assert_eq!(exponent(5e-324), -1074);
        assert_eq!(exponent(1.5), 0);
        assert_eq!(pow2(-1074), 5e-324);
        assert_eq!(pow2(1023), 2f64.powi(1023));
    }

    #[test]
    fn precision_names_round_trip() {
        for name in Precision::NAMES {
            assert_eq!(name.parse::<Precision>().unwrap().to_string(), name);
        }
        assert!("half".parse::<Precision>().is_err());
    }
}
