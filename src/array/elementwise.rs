//! Elementwise operations on device arrays: NumPy's arithmetic, comparisons and a few ufuncs
//! (`gpusci.Array`'s operators), recorded on the arrays' GPU with NumPy's broadcasting. The
//! result is a new array there; nothing is written in place (NumPy's `x[mask] = v` gives a
//! new array the caller puts in `x`'s place).
//!
//! Result dtypes follow NumPy 2 (NEP 50): two arrays promote (float32 with float64 is float64,
//! a real with a complex is complex); a Python scalar ([`Scalar`]) takes the array's precision
//! (a complex scalar makes a real array complex). Comparisons and logical operations give bool
//! arrays.
//!
//! float64 keeps float64 accuracy on every adapter. Double-float arrays hold value *
//! 2^-exponent with stored magnitudes below 2; each operation picks its output's exponent on
//! the host (no read-back) and scales its operands by exact powers of two so the result stays
//! below 2: a sum's exponent is one above the larger operand's, a product's the sum of both
//! plus one (a zero or power-of-two scalar adds nothing). Those blind halvings are counted
//! (`DeviceArray`'s drift); past [`MAX_DRIFT`] an operand is rescaled by its largest
//! magnitude through the host, with a note. Elements far below the output's largest flush
//! toward zero: float64 accuracy normwise. What the device path does not compute (a
//! double-float quotient of two arrays, operands stored in different arithmetics or more than
//! [`MAX_EXPONENT_GAP`] binades apart, more than 8 dimensions, arrays past one storage
//! binding) runs on the CPU ([`cpu`], the twin) with a note and comes back.

use bytemuck::{Pod, Zeroable};
use num_complex::Complex;

use super::{DType, DeviceArray, Storage};
use crate::error::{Error, Result};
use crate::gpu::{
    f64_parts, pow2, precision_variants, Arith, DeviceReal, DoubleFloat, GpuContext, ShaderVariants,
};

pub mod cpu;

/// The WGSL source in each precision.
pub(crate) const ELEMENTWISE_SHADERS: ShaderVariants =
    precision_variants!("elementwise", "array/elementwise.wgsl");

/// Threads per workgroup (`WG` in WGSL).
pub const WG_SIZE: u32 = 256;
/// Dimensions the device path broadcasts over (the uniform's shape and stride tables).
pub const MAX_DIMS: usize = 8;
/// Binades between two double-float operands' exponents that a sum, a comparison, minimum,
/// maximum or a masked assignment aligns on the device: the side scaled down keeps its
/// elements down to 2^-90 of its largest (`DOUBLE_FLOAT_SPAN_BITS`) with their low words
/// (24 bits further down) above float32's normal range only for a gap of about 12, and with
/// most of them to 30. Past it the request runs on the CPU.
pub const MAX_EXPONENT_GAP: i32 = 30;

/// A two-operand operation, as NumPy's ufunc of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `np.add`, `+`.
    Add,
    /// `np.subtract`, `-`.
    Subtract,
    /// `np.multiply`, `*`.
    Multiply,
    /// `np.divide`, `/` (true division: float results).
    Divide,
    /// `np.minimum` (NaN propagates).
    Minimum,
    /// `np.maximum` (NaN propagates).
    Maximum,
    /// `np.less`, `<`.
    Less,
    /// `np.less_equal`, `<=`.
    LessEqual,
    /// `np.greater`, `>`.
    Greater,
    /// `np.greater_equal`, `>=`.
    GreaterEqual,
    /// `np.equal`, `==`.
    Equal,
    /// `np.not_equal`, `!=`.
    NotEqual,
    /// `np.logical_and` (also `&` of bool arrays).
    LogicalAnd,
    /// `np.logical_or` (also `|`).
    LogicalOr,
    /// `np.logical_xor` (also `^`).
    LogicalXor,
}

impl BinaryOp {
    /// NumPy's name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Subtract => "subtract",
            BinaryOp::Multiply => "multiply",
            BinaryOp::Divide => "divide",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Less => "less",
            BinaryOp::LessEqual => "less_equal",
            BinaryOp::Greater => "greater",
            BinaryOp::GreaterEqual => "greater_equal",
            BinaryOp::Equal => "equal",
            BinaryOp::NotEqual => "not_equal",
            BinaryOp::LogicalAnd => "logical_and",
            BinaryOp::LogicalOr => "logical_or",
            BinaryOp::LogicalXor => "logical_xor",
        }
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Less
                | BinaryOp::LessEqual
                | BinaryOp::Greater
                | BinaryOp::GreaterEqual
                | BinaryOp::Equal
                | BinaryOp::NotEqual
        )
    }

    fn is_logical(self) -> bool {
        matches!(
            self,
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
        )
    }

    fn code(self) -> u32 {
        match self {
            BinaryOp::Add => 0,
            BinaryOp::Subtract => 1,
            BinaryOp::Multiply => 2,
            BinaryOp::Divide => 3,
            BinaryOp::Minimum => 4,
            BinaryOp::Maximum => 5,
            BinaryOp::Less => 6,
            BinaryOp::LessEqual => 7,
            BinaryOp::Greater => 8,
            BinaryOp::GreaterEqual => 9,
            BinaryOp::Equal => 10,
            BinaryOp::NotEqual => 11,
            BinaryOp::LogicalAnd => 19,
            BinaryOp::LogicalOr => 20,
            BinaryOp::LogicalXor => 22,
        }
    }
}

/// A one-operand operation, as NumPy's function of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `np.negative`, unary `-`.
    Negative,
    /// `np.absolute`, `abs` (a complex array's is real).
    Absolute,
    /// `np.sqrt` (real arrays: NaN below zero, as NumPy).
    Sqrt,
    /// `np.real`, `.real` (a real array's is a copy).
    Real,
    /// `np.imag`, `.imag` (a real array's is zeros).
    Imag,
    /// `np.conjugate`.
    Conjugate,
    /// `np.logical_not`, `~` of a bool array.
    LogicalNot,
}

impl UnaryOp {
    /// NumPy's name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Negative => "negative",
            UnaryOp::Absolute => "absolute",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Real => "real",
            UnaryOp::Imag => "imag",
            UnaryOp::Conjugate => "conjugate",
            UnaryOp::LogicalNot => "logical_not",
        }
    }

    fn code(self) -> u32 {
        match self {
            UnaryOp::Negative => 12,
            UnaryOp::Absolute => 13,
            UnaryOp::Sqrt => 14,
            UnaryOp::Real => 15,
            UnaryOp::Imag => 16,
            UnaryOp::Conjugate => 17,
            UnaryOp::LogicalNot => 21,
        }
    }
}

/// A Python scalar operand (NEP 50's "weak" scalar: it takes the array's precision).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar {
    /// The value (a real scalar's imaginary part is 0).
    pub value: Complex<f64>,
    /// Whether it is a Python `complex` (which makes a real array's result complex).
    pub complex: bool,
}

impl Scalar {
    /// A real scalar (a Python `float`, `int` or `bool`).
    pub fn real(value: f64) -> Self {
        Self {
            value: Complex::new(value, 0.0),
            complex: false,
        }
    }

    /// A complex scalar (a Python `complex`).
    pub fn complex(value: Complex<f64>) -> Self {
        Self {
            value,
            complex: true,
        }
    }
}

/// One operand: an array on the device or a scalar.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// A device array.
    Array(&'a DeviceArray),
    /// A Python scalar.
    Scalar(Scalar),
}

/// Kept in sync with `struct EwUniform` in shaders/array/elementwise.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct EwUniform {
    pub(crate) len: u32,
    pub(crate) ndim: u32,
    pub(crate) op: u32,
    pub(crate) flags: u32,
    pub(crate) groups: u32,
    pub(crate) one: f32,
    pub(crate) _pad: [u32; 2],
    pub(crate) a_scale: [f32; 4],
    pub(crate) b_scale: [f32; 4],
    pub(crate) shape: [u32; MAX_DIMS],
    pub(crate) a_strides: [u32; MAX_DIMS],
    pub(crate) b_strides: [u32; MAX_DIMS],
}

const FLAG_A_COMPLEX: u32 = 4;
const FLAG_B_COMPLEX: u32 = 8;
const OP_COPY: u32 = 18;

fn is_complex(dtype: DType) -> bool {
    matches!(dtype, DType::Complex64 | DType::Complex128)
}

/// The real dtype of a complex one (or itself).
fn real_of(dtype: DType) -> DType {
    match dtype {
        DType::Complex64 => DType::Float32,
        DType::Complex128 => DType::Float64,
        other => other,
    }
}

/// The complex dtype of a real one (or itself).
fn complex_of(dtype: DType) -> DType {
    match dtype {
        DType::Float32 => DType::Complex64,
        DType::Float64 => DType::Complex128,
        other => other,
    }
}

fn is_double(dtype: DType) -> bool {
    matches!(dtype, DType::Float64 | DType::Complex128)
}

/// NumPy's result dtype of an arithmetic operation on `a` and `b` (NEP 50: a scalar takes
/// the array's precision).
fn promote(a: Operand<'_>, b: Operand<'_>) -> Result<DType> {
    let (x, y) = match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => (x.dtype(), y.dtype()),
        (Operand::Array(x), Operand::Scalar(s)) | (Operand::Scalar(s), Operand::Array(x)) => {
            let d = x.dtype();
            (d, if s.complex { complex_of(d) } else { d })
        }
        (Operand::Scalar(_), Operand::Scalar(_)) => {
            return Err(Error::param("operands", "one operand must be an array"));
        }
    };
    if x == DType::Bool || y == DType::Bool {
        return Err(Error::param(
            "operands",
            "arithmetic on bool arrays is not supported on the device; use .astype() first",
        ));
    }
    let double = is_double(x) || is_double(y);
    let complex = is_complex(x) || is_complex(y);
    Ok(match (complex, double) {
        (false, false) => DType::Float32,
        (false, true) => DType::Float64,
        (true, false) => DType::Complex64,
        (true, true) => DType::Complex128,
    })
}

/// NumPy's broadcast shape of `a` and `b`.
///
/// # Errors
/// [`Error::ShapeMismatch`] when they do not broadcast.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], k: usize| {
        if k < n - s.len() {
            1
        } else {
            s[k - (n - s.len())]
        }
    };
    (0..n)
        .map(|k| match (dim(a, k), dim(b, k)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::ShapeMismatch {
                what: "operands that broadcast together",
                expected: format!("{a:?}"),
                got: b.to_vec(),
            }),
        })
        .collect()
}

/// Element strides of an array of `shape` read as `out` (0 along broadcast axes), padded to
/// the output's dimensions.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> [u32; MAX_DIMS] {
    let mut strides = [0u32; MAX_DIMS];
    let offset = out.len() - shape.len();
    let mut stride = 1usize;
    for k in (0..shape.len()).rev() {
        strides[k + offset] = if shape[k] == 1 { 0 } else { stride as u32 };
        stride *= shape[k];
    }
    strides
}

/// floor(log2 |x|) of a finite nonzero value.
fn exponent_of(x: f64) -> i32 {
    let bits = x.abs().to_bits();
    let biased = (bits >> 52) as i32;
    if biased == 0 {
        -1074 + 63 - bits.leading_zeros() as i32
    } else {
        biased - 1023
    }
}

/// A scalar's exponent in double-float (stored below 2 when divided by 2^e); `None` for zero
/// and non-finite scalars, which any scaling holds.
fn scalar_exponent(s: Scalar) -> Option<i32> {
    let m = s.value.re.abs().max(s.value.im.abs());
    (m.is_finite() && m > 0.0).then(|| exponent_of(m))
}

/// `x * 2^e` without overflow in the intermediate.
fn times_pow2(x: f64, e: i32) -> f64 {
    let half = e / 2;
    x * pow2(half) * pow2(e - half)
}

/// A power of two as the shader's (hi, lo, lo2), flushed to 0 far below float32's range.
fn factor(e: i32) -> [f32; 4] {
    let [hi, lo, lo2] = f64_parts(pow2(e.clamp(-1074, 1023)));
    [hi, lo, lo2, 0.0]
}

/// A scalar as a one-element complex array in `storage`, divided by 2^`shift` (the output's
/// scaling): uniforms' float32 words could not carry a float64 outside float32's range.
fn scalar_buffer(
    gpu: &GpuContext,
    storage: Storage,
    value: Complex<f64>,
    shift: i32,
) -> Result<crate::gpu::GpuBuffer> {
    let (re, im) = (times_pow2(value.re, -shift), times_pow2(value.im, -shift));
    match storage {
        Storage::F32 => gpu.upload("scalar operand", &[re as f32, im as f32]),
        Storage::F64 => gpu.upload("scalar operand", &[re, im]),
        Storage::DoubleFloat { .. } => gpu.upload(
            "scalar operand",
            &[DoubleFloat::from_f64(re), DoubleFloat::from_f64(im)],
        ),
    }
}

/// How the device computes one request: each operand's factor and stored scalar, the
/// output's storage, and the binades the output's exponent may overstate it by.
struct Scaled {
    a_scale: i32,
    b_scale: i32,
    /// Scalars' values divided by 2^this (the output's exponent, or more).
    scalar_shift: i32,
    storage: Storage,
    /// Blind halvings this operation adds to the operands' drift.
    growth: u32,
}

/// One operand as the scaling planner sees it.
#[derive(Clone, Copy, Debug)]
enum Side {
    /// An array stored with this double-float exponent.
    Array(i32),
    /// A scalar (uploaded exactly, divided by the output's scaling).
    Scalar(Scalar),
    /// No second operand.
    Absent,
}

impl Side {
    fn exponent(self) -> Option<i32> {
        match self {
            Side::Array(e) => Some(e),
            Side::Scalar(s) => scalar_exponent(s),
            Side::Absent => None,
        }
    }
}

/// A scalar stored below this (after dividing by the output's scaling) would lose its low
/// word to float32's subnormals: the request moves to the CPU instead.
const SCALAR_FLOOR_BITS: i32 = 100;

/// The scaling plan of `op` on operands in `storage` (see the module's notes); `None` when
/// the device path cannot hold the result to float64 accuracy (it then runs on the CPU).
fn plan_scaling(
    op: Plan,
    storage: Storage,
    a: Side,
    b: Side,
    complex_product: bool,
) -> Option<Scaled> {
    let Storage::DoubleFloat { .. } = storage else {
        return Some(Scaled {
            a_scale: 0,
            b_scale: 0,
            scalar_shift: 0,
            storage,
            growth: 0,
        });
    };
    let (ea, eb) = (a.exponent(), b.exponent());
    let top = ea.into_iter().chain(eb).max()?;
    let rel = |e: Option<i32>, out: i32| e.map_or(0, |e| e - out);
    let plan = |a_scale, b_scale, scalar_shift, exponent, growth| Scaled {
        a_scale,
        b_scale,
        scalar_shift,
        storage: Storage::DoubleFloat { exponent },
        growth,
    };
    let scalar_too_small = |out: i32| {
        [a, b].iter().any(|side| {
            matches!(side, Side::Scalar(_))
                && side
                    .exponent()
                    .is_some_and(|e| e - out < -SCALAR_FLOOR_BITS)
        })
    };
    if matches!(op, Plan::Sum | Plan::Aligned) {
        // Scaling one array down by 2^gap shifts its smallest elements' low words toward
        // float32's subnormals: past this gap the request moves to the CPU.
        if let (Side::Array(x), Side::Array(y)) = (a, b) {
            if (x - y).abs() > MAX_EXPONENT_GAP {
                return None;
            }
        }
    }
    if matches!(op, Plan::Sum | Plan::Aligned) {
        // Nor may a large scalar scale an array far down: a minimum, maximum, comparison or
        // assignment returns its own values, and a flushed infinity would make NaN.
        let sunk = [a, b]
            .iter()
            .any(|side| matches!(side, Side::Array(e) if top - e > MAX_EXPONENT_GAP));
        if sunk {
            return None;
        }
    }
    let scaled = match op {
        // Each side below 2 in the output's scaling: a sum below 4, halved. Adding a zero
        // (or an infinity, or NaN) scalar does not grow.
        Plan::Sum if matches!(b, Side::Scalar(_)) && eb.is_none() => plan(0, 0, top, top, 0),
        Plan::Sum => {
            let out = top + 1;
            plan(rel(ea, out), rel(eb, out), out, out, 1)
        }
        // The result is one of the operands (or a comparison): no growth.
        Plan::Aligned => plan(rel(ea, top), rel(eb, top), top, top, 0),
        Plan::Product => {
            let ea = ea?;
            match b {
                // Zero, an infinity or NaN: stored as they are, no growth.
                Side::Scalar(_) if eb.is_none() => plan(0, 0, 0, ea, 0),
                // A real power of two is stored as +-1: the product stays below 2.
                Side::Scalar(s)
                    if !complex_product
                        && s.value.im == 0.0
                        && s.value.re.abs() == pow2(eb.unwrap_or(0)) =>
                {
                    let es = eb.unwrap_or(0);
                    plan(0, 0, es, ea + es, 0)
                }
                _ => {
                    let eb = eb.unwrap_or(0);
                    // Real: a product below 4, halved; complex: parts below 8, an eighth.
                    let (a_shift, b_shift, growth) = if complex_product {
                        (-1, -2, 3)
                    } else {
                        (-1, 0, 1)
                    };
                    let out = ea + eb - a_shift - b_shift;
                    plan(a_shift, b_shift, eb - b_shift, out, growth)
                }
            }
        }
        Plan::Same => plan(0, 0, top, ea?, 0),
        Plan::Halved => plan(-1, 0, top, ea? + 1, 1),
        Plan::Root => {
            let ea = ea?;
            let odd = ea.rem_euclid(2);
            plan(odd, 0, top, (ea - odd) / 2, 0)
        }
    };
    (!scalar_too_small(scaled.scalar_shift)).then_some(scaled)
}

/// The scaling families of the operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    Sum,
    Aligned,
    Product,
    Same,
    Halved,
    Root,
}

/// Binades of drift past which an operand is rescaled by its largest magnitude before the
/// next operation (double-float's low words start to fall into float32's subnormals about
/// 100 binades down).
pub const MAX_DRIFT: u32 = 48;

/// `x`, rescaled by its largest magnitude through the host when its drift is past
/// [`MAX_DRIFT`] (with a note: one download and one upload), else as it is.
fn rescaled(x: &DeviceArray) -> Result<std::borrow::Cow<'_, DeviceArray>> {
    if x.drift() <= MAX_DRIFT || !matches!(x.storage(), Storage::DoubleFloat { .. }) {
        return Ok(std::borrow::Cow::Borrowed(x));
    }
    crate::gpu::note_cpu_fallback(|| {
        format!(
            "a double-float array rescaled through the host after {} blind halvings",
            x.drift()
        )
    });
    let host = cpu::download(x)?;
    Ok(std::borrow::Cow::Owned(cpu::upload(
        x.gpu(),
        &host,
        x.storage().arith(),
    )?))
}

fn side(operand: Operand<'_>) -> Side {
    match operand {
        Operand::Array(x) => match x.storage() {
            Storage::DoubleFloat { exponent } => Side::Array(exponent),
            _ => Side::Array(0),
        },
        Operand::Scalar(s) => Side::Scalar(s),
    }
}

fn drift_of(operands: &[Operand<'_>]) -> u32 {
    operands
        .iter()
        .map(|o| match o {
            Operand::Array(x) => x.drift(),
            Operand::Scalar(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Everything one dispatch needs.
struct Dispatch<'a> {
    entry: &'static str,
    arith: Arith,
    /// How the array operands are stored (scalars are uploaded the same way).
    storage_in: Storage,
    op: u32,
    a: Operand<'a>,
    b: Option<Operand<'a>>,
    shape: Vec<usize>,
    dtype: DType,
    scaled: Scaled,
}

fn record(gpu: &GpuContext, dispatch: Dispatch<'_>) -> Result<DeviceArray> {
    let storage_in = dispatch.storage_in;
    let len: usize = dispatch.shape.iter().product();
    let ndim = dispatch.shape.len();
    let storage = dispatch.scaled.storage;
    let words = len
        * dispatch.dtype.parts()
        * if dispatch.dtype == DType::Bool {
            1
        } else {
            storage.real_bytes() / 4
        };
    let output = gpu.storage_buffer("elementwise output", (words.max(1) * 4) as u64)?;
    gpu.poison_f32(&output, words);
    if len > 0 {
        let groups = len.div_ceil(WG_SIZE as usize) as u64;
        let mut uniform = EwUniform {
            len: len as u32,
            ndim: ndim as u32,
            op: dispatch.op,
            groups: groups as u32,
            one: 1.0,
            a_scale: factor(dispatch.scaled.a_scale),
            b_scale: factor(dispatch.scaled.b_scale),
            ..Zeroable::zeroed()
        };
        for (k, &n) in dispatch.shape.iter().enumerate() {
            uniform.shape[k] = n as u32;
        }
        let shift = dispatch.scaled.scalar_shift;
        // logical_not's second binding holds a small unread placeholder: every entry point's
        // bindings are consecutive.
        let mut inputs = Vec::new();
        for (which, operand) in [Some(dispatch.a), dispatch.b].into_iter().enumerate() {
            let complex_flag = if which == 0 {
                FLAG_A_COMPLEX
            } else {
                FLAG_B_COMPLEX
            };
            match operand {
                Some(Operand::Array(x)) => {
                    let strides = broadcast_strides(x.shape(), &dispatch.shape);
                    if which == 0 {
                        uniform.a_strides = strides;
                    } else {
                        uniform.b_strides = strides;
                    }
                    if is_complex(x.dtype()) {
                        uniform.flags |= complex_flag;
                    }
                    inputs.push(x.buffer().clone());
                }
                Some(Operand::Scalar(s)) => {
                    // Strides 0 and factor 1: every output reads the one stored value.
                    uniform.flags |= complex_flag;
                    if which == 0 {
                        uniform.a_scale = factor(0);
                    } else {
                        uniform.b_scale = factor(0);
                    }
                    inputs.push(scalar_buffer(gpu, storage_in, s.value, shift)?);
                }
                None => inputs.push(gpu.storage_buffer("elementwise placeholder", 16)?),
            }
        }
        let pipeline = ELEMENTWISE_SHADERS.pipeline(gpu, dispatch.arith, dispatch.entry)?;
        let uniform = gpu.uniform("elementwise uniform", &uniform)?;
        let mut recording = gpu.encoder();
        let mut bound: Vec<&crate::gpu::GpuBuffer> = vec![&uniform];
        bound.extend(inputs.iter().take(entry_inputs(dispatch.entry)));
        bound.push(&output);
        gpu.record_dispatch(dispatch.entry, &mut recording, &pipeline, &bound, groups)?;
        gpu.submit(dispatch.entry, recording)?;
    }
    Ok(DeviceArray::from_parts(
        gpu,
        output,
        dispatch.shape,
        dispatch.dtype,
        storage,
    ))
}

/// Why arrays past one storage binding move (the kernels bind each array whole).
const PAST_BINDING: &str = "an operand or the result is past one GPU storage binding";

/// Bytes an array of `shape` and `dtype` takes in `storage` (bool: a 32-bit word each).
fn stored_bytes(shape: &[usize], dtype: DType, storage: Storage) -> u64 {
    let len: usize = shape.iter().product();
    let real = if dtype == DType::Bool {
        4
    } else {
        storage.real_bytes()
    };
    (len as u64)
        .saturating_mul(dtype.parts() as u64)
        .saturating_mul(real as u64)
}

/// Whether an array operand or the output (`out_bytes`) is past one storage binding.
fn past_binding(gpu: &GpuContext, operands: &[Operand<'_>], out_bytes: u64) -> bool {
    let budget = gpu.max_binding_bytes();
    out_bytes > budget
        || operands.iter().any(|o| match o {
            Operand::Array(x) => x.stored_bytes() > budget,
            Operand::Scalar(_) => false,
        })
}

/// A logical operation of bool arrays (`b` `None` for `logical_not`): 32-bit words, no
/// scaling.
fn record_logical(
    gpu: &GpuContext,
    op: u32,
    a: Operand<'_>,
    b: Option<Operand<'_>>,
    shape: Vec<usize>,
) -> Result<DeviceArray> {
    let scaled = plan_scaling(Plan::Same, Storage::F32, Side::Absent, Side::Absent, false)
        .expect("float32 plans always hold");
    record(
        gpu,
        Dispatch {
            entry: "logical",
            arith: Arith::Single,
            storage_in: Storage::F32,
            op,
            a,
            b,
            shape,
            dtype: DType::Bool,
            scaled,
        },
    )
}

/// Storage bindings before the output that `entry` reads.
fn entry_inputs(entry: &str) -> usize {
    match entry {
        "unary_real" | "complex_to_real" | "unary_complex" => 1,
        _ => 2,
    }
}

/// The arrays' common storage and GPU, or why the device path cannot take them.
fn common<'a>(operands: &[Operand<'a>]) -> std::result::Result<(&'a GpuContext, Storage), String> {
    let arrays: Vec<&DeviceArray> = operands
        .iter()
        .filter_map(|o| match o {
            Operand::Array(x) => Some(*x),
            Operand::Scalar(_) => None,
        })
        .collect();
    let first = arrays.first().ok_or("no array operand")?;
    for x in &arrays[1..] {
        if !x.gpu().same(first.gpu()) {
            return Err("the arrays live on different GPUs".into());
        }
        if x.storage().arith() != first.storage().arith() {
            return Err(format!(
                "the arrays are stored in different arithmetics ({:?} and {:?})",
                first.storage().arith(),
                x.storage().arith()
            ));
        }
    }
    Ok((first.gpu(), first.storage()))
}

/// `op(a, b)` with NumPy's broadcasting and dtypes; the result on the arrays' GPU.
///
/// # Errors
/// [`Error::ShapeMismatch`] for shapes that do not broadcast; [`Error::InvalidParam`] for
/// arithmetic on bool arrays, logical operations on anything but bool arrays, or two
/// scalars; [`Error::MemoryLimit`] for a result the CPU path could not hold; GPU errors.
pub fn binary(op: BinaryOp, a: Operand<'_>, b: Operand<'_>) -> Result<DeviceArray> {
    // Operands whose double-float exponent may overstate them too far are rescaled first.
    let (ka, kb) = (rescaled_operand(a)?, rescaled_operand(b)?);
    binary_rescaled(op, ka.operand(a), kb.operand(b))
}

/// An operand, rescaled when [`rescaled`] says so.
struct Kept<'a>(Option<std::borrow::Cow<'a, DeviceArray>>);

impl<'a> Kept<'a> {
    fn operand(&'a self, original: Operand<'a>) -> Operand<'a> {
        match &self.0 {
            Some(x) => Operand::Array(x),
            None => original,
        }
    }
}

fn rescaled_operand(operand: Operand<'_>) -> Result<Kept<'_>> {
    Ok(Kept(match operand {
        Operand::Array(x) => Some(rescaled(x)?),
        Operand::Scalar(_) => None,
    }))
}

fn binary_rescaled(op: BinaryOp, a: Operand<'_>, b: Operand<'_>) -> Result<DeviceArray> {
    let shape = match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => broadcast_shape(x.shape(), y.shape())?,
        (Operand::Array(x), _) | (_, Operand::Array(x)) => x.shape().to_vec(),
        _ => return Err(Error::param("operands", "one operand must be an array")),
    };
    if op.is_logical() {
        for operand in [a, b] {
            match operand {
                Operand::Array(x) if x.dtype() != DType::Bool => {
                    return Err(Error::param(
                        "operands",
                        format!("{} takes bool arrays, not {}", op.name(), x.dtype().name()),
                    ));
                }
                Operand::Scalar(_) => {
                    return Err(Error::param(
                        "operands",
                        format!(
                            "{} takes bool arrays (a bool scalar as a 0-d array)",
                            op.name()
                        ),
                    ));
                }
                Operand::Array(_) => {}
            }
        }
    }
    let dtype = if op.is_logical() {
        DType::Bool
    } else {
        promote(a, b)?
    };
    let complex = is_complex(dtype);
    // A complex or double-float quotient by a scalar is a product by its reciprocal (within
    // an ulp; float32 and native float64 arrays divide).
    let double_float = |o: Operand<'_>| matches!(o, Operand::Array(x) if matches!(x.storage(), Storage::DoubleFloat { .. }));
    let (op, b) = match (op, b) {
        (BinaryOp::Divide, Operand::Scalar(s)) if complex || double_float(a) => {
            // A real scalar's reciprocal is real (1 / -0 is -inf, not a complex NaN); a
            // complex one by Smith's algorithm.
            let inverse = if s.complex {
                cpu::smith_divide(Complex::new(1.0, 0.0), s.value)
            } else {
                Complex::new(1.0 / s.value.re, 0.0)
            };
            // A reciprocal past float64's normal range (|s| near 2^1024 or below 2^-1022)
            // would not give the quotient: such a divisor goes to the CPU.
            let exact_enough = |v: f64| v == 0.0 || v.is_normal() || v.is_nan();
            let nonzero_finite = s.value.re.is_finite()
                && s.value.im.is_finite()
                && (s.value.re != 0.0 || s.value.im != 0.0);
            if nonzero_finite && !(exact_enough(inverse.re) && exact_enough(inverse.im)) {
                return refused_binary(
                    op,
                    a,
                    b,
                    &shape,
                    "a divisor past float64's reciprocal range",
                );
            }
            (
                BinaryOp::Multiply,
                Operand::Scalar(Scalar {
                    value: inverse,
                    ..s
                }),
            )
        }
        other => other,
    };
    if complex && matches!(op, BinaryOp::Minimum | BinaryOp::Maximum | BinaryOp::Divide) {
        return refused_binary(op, a, b, &shape, "complex minimum, maximum and division");
    }
    let (gpu, storage) = match common(&[a, b]) {
        Ok(found) => found,
        Err(reason) => return refused_binary(op, a, b, &shape, &reason),
    };
    if shape.len() > MAX_DIMS {
        return refused_binary(op, a, b, &shape, "more than 8 dimensions");
    }
    let out_bytes = stored_bytes(&shape, dtype, storage);
    if past_binding(gpu, &[a, b], out_bytes) {
        return refused_binary(op, a, b, &shape, PAST_BINDING);
    }
    // Operands stored in another arithmetic than the result (float32 with float64) move.
    let arithmetic = !(op.is_logical() || op.is_comparison());
    if arithmetic && is_double(dtype) != is_double(array_dtype(a, b)) {
        return refused_binary(op, a, b, &shape, "operands of different precisions");
    }
    if op.is_logical() {
        return record_logical(gpu, op.code(), a, Some(b), shape);
    }
    // A double-float quotient by an array is not bounded, so it moves.
    if let (BinaryOp::Divide, Storage::DoubleFloat { .. }) = (op, storage) {
        return refused_binary(op, a, b, &shape, "a double-float quotient by an array");
    }
    let family = match op {
        BinaryOp::Add | BinaryOp::Subtract => Plan::Sum,
        BinaryOp::Multiply => Plan::Product,
        BinaryOp::Divide => Plan::Same,
        _ => Plan::Aligned,
    };
    // A product's exponent comes from the array; a scalar first is moved second.
    let (a, b) = match (family, a) {
        (Plan::Product, Operand::Scalar(_)) => (b, a),
        _ => (a, b),
    };
    let Some(scaled) = plan_scaling(family, storage, side(a), side(b), complex) else {
        return refused_binary(op, a, b, &shape, "the scaling of the operands");
    };
    let drift = drift_of(&[a, b]) + scaled.growth;
    let (entry, out_dtype) = if op.is_comparison() {
        ("compare", DType::Bool)
    } else if complex {
        ("binary_complex", dtype)
    } else {
        ("binary_real", dtype)
    };
    let scaled = if out_dtype == DType::Bool {
        Scaled {
            storage: Storage::F32,
            ..scaled
        }
    } else {
        scaled
    };
    record(
        gpu,
        Dispatch {
            entry,
            arith: storage.arith(),
            storage_in: storage,
            op: op.code(),
            a,
            b: Some(b),
            shape,
            dtype: out_dtype,
            scaled,
        },
    )
    .map(|out| out.with_drift(drift))
}

/// The dtype of the array operand(s), the wider of two.
fn array_dtype(a: Operand<'_>, b: Operand<'_>) -> DType {
    let dtypes: Vec<DType> = [a, b]
        .iter()
        .filter_map(|o| match o {
            Operand::Array(x) => Some(x.dtype()),
            Operand::Scalar(_) => None,
        })
        .collect();
    if dtypes.iter().any(|&d| is_double(d)) {
        DType::Float64
    } else {
        DType::Float32
    }
}

/// `op(a)`; the result on the array's GPU.
///
/// # Errors
/// [`Error::InvalidParam`] for `logical_not` of a non-bool array or arithmetic on a bool
/// one; GPU errors.
pub fn unary(op: UnaryOp, a: &DeviceArray) -> Result<DeviceArray> {
    let a = &*rescaled(a)?;
    let dtype = a.dtype();
    if (op == UnaryOp::LogicalNot) != (dtype == DType::Bool) {
        return Err(Error::param(
            "x",
            format!("{} of a {} array is not supported", op.name(), dtype.name()),
        ));
    }
    let gpu = a.gpu();
    let shape = a.shape().to_vec();
    if shape.len() > MAX_DIMS {
        return refused_unary(op, a, "more than 8 dimensions");
    }
    if past_binding(gpu, &[Operand::Array(a)], a.stored_bytes()) {
        return refused_unary(op, a, PAST_BINDING);
    }
    if op == UnaryOp::LogicalNot {
        return record_logical(gpu, op.code(), Operand::Array(a), None, shape);
    }
    let complex = is_complex(dtype);
    let (entry, out_dtype, family, code) = match (op, complex) {
        (UnaryOp::Absolute, true) => ("complex_to_real", real_of(dtype), Plan::Halved, op.code()),
        (UnaryOp::Real | UnaryOp::Imag, true) => {
            ("complex_to_real", real_of(dtype), Plan::Same, op.code())
        }
        (UnaryOp::Sqrt, true) => return refused_unary(op, a, "the square root of complex values"),
        (_, true) => ("unary_complex", dtype, Plan::Same, op.code()),
        (UnaryOp::Sqrt, false) => ("unary_real", dtype, Plan::Root, op.code()),
        (UnaryOp::Real | UnaryOp::Conjugate, false) => ("unary_real", dtype, Plan::Same, OP_COPY),
        // A real array read as complex has imaginary parts 0: zeros, as NumPy.
        (UnaryOp::Imag, false) => ("complex_to_real", dtype, Plan::Same, op.code()),
        _ => ("unary_real", dtype, Plan::Same, op.code()),
    };
    let storage = a.storage();
    let Some(scaled) = plan_scaling(
        family,
        storage,
        side(Operand::Array(a)),
        Side::Absent,
        false,
    ) else {
        return refused_unary(op, a, "the scaling of the operand");
    };
    let drift = a.drift() + scaled.growth;
    record(
        gpu,
        Dispatch {
            entry,
            arith: storage.arith(),
            storage_in: storage,
            op: code,
            a: Operand::Array(a),
            b: None,
            shape,
            dtype: out_dtype,
            scaled,
        },
    )
    .map(|out| out.with_drift(drift))
}

/// NumPy's `x[mask] = value` as a new array: `value` where `mask` (a bool array of `x`'s
/// shape) is true, `x` elsewhere; `x` is not modified. The value takes `x`'s dtype; a complex
/// value with a nonzero imaginary part is refused for a real `x`, as NumPy refuses it.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `mask` is not of `x`'s shape; [`Error::InvalidParam`] for a
/// mask that is not bool, a complex value for a real array, or a bool `x`; GPU errors.
pub fn masked_assign(x: &DeviceArray, mask: &DeviceArray, value: Scalar) -> Result<DeviceArray> {
    let x = &*rescaled(x)?;
    if mask.dtype() != DType::Bool {
        return Err(Error::param("mask", "a boolean index must be a bool array"));
    }
    if mask.shape() != x.shape() {
        return Err(Error::ShapeMismatch {
            what: "boolean index",
            expected: format!("the array's shape {:?}", x.shape()),
            got: mask.shape().to_vec(),
        });
    }
    if !x.gpu().same(mask.gpu()) {
        return Err(Error::param("mask", "the mask lives on another GPU"));
    }
    if x.dtype() == DType::Bool {
        return Err(Error::param(
            "x",
            "assignment into bool arrays is not supported on the device",
        ));
    }
    if value.complex && !is_complex(x.dtype()) && value.value.im != 0.0 {
        return Err(Error::param(
            "value",
            format!(
                "a complex value cannot be assigned into a {} array",
                x.dtype().name()
            ),
        ));
    }
    let storage = x.storage();
    if past_binding(
        x.gpu(),
        &[Operand::Array(x), Operand::Array(mask)],
        x.stored_bytes(),
    ) {
        crate::gpu::note_cpu_fallback(|| {
            format!("masked assignment: {PAST_BINDING}; computed on the CPU")
        });
        return masked_assign_on_cpu(x, mask, value);
    }
    let Some(scaled) = plan_scaling(
        Plan::Aligned,
        storage,
        side(Operand::Array(x)),
        Side::Scalar(value),
        false,
    ) else {
        crate::gpu::note_cpu_fallback(|| {
            "masked assignment: a value far from the array's magnitudes; computed on the CPU"
                .to_string()
        });
        return masked_assign_on_cpu(x, mask, value);
    };
    let len = x.len();
    let gpu = x.gpu();
    let words = len * x.dtype().parts() * storage.real_bytes() / 4;
    let output = gpu.storage_buffer("masked assignment", (words.max(1) * 4) as u64)?;
    gpu.poison_f32(&output, words);
    let out_storage = scaled.storage;
    if len > 0 {
        let groups = len.div_ceil(WG_SIZE as usize) as u64;
        let shift = scaled.scalar_shift;
        let uniform = EwUniform {
            len: len as u32,
            ndim: 0,
            op: 0,
            flags: if is_complex(x.dtype()) {
                FLAG_A_COMPLEX
            } else {
                0
            },
            groups: groups as u32,
            one: 1.0,
            a_scale: factor(scaled.a_scale),
            ..Zeroable::zeroed()
        };
        let scalar = scalar_buffer(gpu, storage, value.value, shift)?;
        let pipeline = ELEMENTWISE_SHADERS.pipeline(gpu, storage.arith(), "masked_assign")?;
        let uniform = gpu.uniform("masked assignment uniform", &uniform)?;
        let mut recording = gpu.encoder();
        gpu.record_dispatch(
            "masked assignment",
            &mut recording,
            &pipeline,
            &[&uniform, mask.buffer(), x.buffer(), &output, &scalar],
            groups,
        )?;
        gpu.submit("masked assignment", recording)?;
    }
    Ok(
        DeviceArray::from_parts(gpu, output, x.shape().to_vec(), x.dtype(), out_storage)
            .with_drift(x.drift()),
    )
}

/// [`masked_assign`] through the host: downloaded, assigned by the twin, put back in `x`'s
/// arithmetic.
fn masked_assign_on_cpu(x: &DeviceArray, mask: &DeviceArray, value: Scalar) -> Result<DeviceArray> {
    let host = cpu::download(x)?;
    let mask = mask.to_host_bool()?;
    let assigned = cpu::masked_assign(host, &mask, value)?;
    cpu::upload(x.gpu(), &assigned, x.storage().arith())
}

/// A copy of `x` (same dtype and storage) on its GPU.
///
/// # Errors
/// GPU errors.
pub fn copy(x: &DeviceArray) -> Result<DeviceArray> {
    let gpu = x.gpu();
    let bytes = x.stored_bytes();
    let output = gpu.storage_buffer("array copy", bytes.max(4))?;
    if bytes > 0 {
        let mut recording = gpu.encoder();
        gpu.scoped("copying an array", || {
            recording.copy_buffer_to_buffer(x.buffer(), 0, &output, 0, bytes);
        })?;
        gpu.submit("an array copy", recording)?;
    }
    Ok(DeviceArray::from_parts(
        gpu,
        output,
        x.shape().to_vec(),
        x.dtype(),
        x.storage(),
    ))
}

fn refused_binary(
    op: BinaryOp,
    a: Operand<'_>,
    b: Operand<'_>,
    shape: &[usize],
    reason: &str,
) -> Result<DeviceArray> {
    // The twin widens to complex float64 (16 bytes) in three arrays: checked before
    // anything is allocated.
    let len: usize = shape.iter().product();
    crate::limits::check_allocation("elements of an operation on the CPU", len as u64, 48)?;
    crate::gpu::note_cpu_fallback(|| format!("{}: {reason}; computed on the CPU", op.name()));
    let arrays: Vec<&DeviceArray> = [a, b]
        .iter()
        .filter_map(|o| match o {
            Operand::Array(x) => Some(*x),
            Operand::Scalar(_) => None,
        })
        .collect();
    let host = |o: Operand<'_>| -> Result<cpu::HostOperand> {
        Ok(match o {
            Operand::Array(x) => cpu::HostOperand::Array(cpu::download(x)?),
            Operand::Scalar(s) => cpu::HostOperand::Scalar(s),
        })
    };
    let result = cpu::binary(op, host(a)?, host(b)?, shape)?;
    cpu::upload(arrays[0].gpu(), &result, widest(&arrays))
}

fn refused_unary(op: UnaryOp, a: &DeviceArray, reason: &str) -> Result<DeviceArray> {
    crate::limits::check_allocation("elements of an operation on the CPU", a.len() as u64, 32)?;
    crate::gpu::note_cpu_fallback(|| format!("{}: {reason}; computed on the CPU", op.name()));
    let result = cpu::unary(op, &cpu::download(a)?)?;
    cpu::upload(a.gpu(), &result, a.storage().arith())
}

/// The arithmetic of the widest storage among `arrays` (native float64 or double-float over
/// float32).
fn widest(arrays: &[&DeviceArray]) -> Arith {
    let ariths: Vec<Arith> = arrays.iter().map(|x| x.storage().arith()).collect();
    [Arith::Native64, Arith::DoubleFloat]
        .into_iter()
        .find(|a| ariths.contains(a))
        .unwrap_or(Arith::Single)
}
