//! The CPU twin of the elementwise operations: the same dtypes and broadcasting, computed in
//! float64 (complex float64) and rounded to the result's dtype (which for float32's sums,
//! products, quotients and square roots is NumPy's float32 answer exactly). The device
//! path's refusals run here, and the tests hold the GPU to it.

use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;

use super::{broadcast_shape, BinaryOp, Scalar, UnaryOp};
use crate::array::{DType, DeviceArray};
use crate::error::{Error, Result};
use crate::gpu::{Arith, GpuContext};

/// A host array of one of the device dtypes.
#[derive(Clone, Debug, PartialEq)]
pub enum HostArray {
    /// float32.
    F32(ArrayD<f32>),
    /// float64.
    F64(ArrayD<f64>),
    /// complex64.
    C64(ArrayD<Complex<f32>>),
    /// complex128.
    C128(ArrayD<Complex<f64>>),
    /// bool.
    Bool(ArrayD<bool>),
}

/// An operand on the host.
#[derive(Clone, Debug)]
pub enum HostOperand {
    /// An array.
    Array(HostArray),
    /// A Python scalar.
    Scalar(Scalar),
}

impl HostArray {
    /// Its dtype.
    pub fn dtype(&self) -> DType {
        match self {
            HostArray::F32(_) => DType::Float32,
            HostArray::F64(_) => DType::Float64,
            HostArray::C64(_) => DType::Complex64,
            HostArray::C128(_) => DType::Complex128,
            HostArray::Bool(_) => DType::Bool,
        }
    }

    /// Its shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            HostArray::F32(x) => x.shape(),
            HostArray::F64(x) => x.shape(),
            HostArray::C64(x) => x.shape(),
            HostArray::C128(x) => x.shape(),
            HostArray::Bool(x) => x.shape(),
        }
    }

    /// Its values as complex float64 (bool as 0 and 1).
    fn widened(&self) -> ArrayD<Complex<f64>> {
        match self {
            HostArray::F32(x) => x.mapv(|v| Complex::new(f64::from(v), 0.0)),
            HostArray::F64(x) => x.mapv(|v| Complex::new(v, 0.0)),
            HostArray::C64(x) => x.mapv(|v| Complex::new(f64::from(v.re), f64::from(v.im))),
            HostArray::C128(x) => x.clone(),
            HostArray::Bool(x) => x.mapv(|v| Complex::new(f64::from(u8::from(v)), 0.0)),
        }
    }

    /// `values` rounded to `dtype` (bool: nonzero).
    fn narrowed(values: ArrayD<Complex<f64>>, dtype: DType) -> HostArray {
        match dtype {
            DType::Float32 => HostArray::F32(values.mapv(|v| v.re as f32)),
            DType::Float64 => HostArray::F64(values.mapv(|v| v.re)),
            DType::Complex64 => {
                HostArray::C64(values.mapv(|v| Complex::new(v.re as f32, v.im as f32)))
            }
            DType::Complex128 => HostArray::C128(values),
            DType::Bool => HostArray::Bool(values.mapv(|v| v.re != 0.0 || v.im != 0.0)),
        }
    }
}

/// Downloads a device array (one wait).
///
/// # Errors
/// GPU errors.
pub fn download(x: &DeviceArray) -> Result<HostArray> {
    Ok(match x.dtype() {
        DType::Float32 => HostArray::F32(x.to_host()?),
        DType::Float64 => HostArray::F64(x.to_host()?),
        DType::Complex64 => HostArray::C64(x.to_host()?),
        DType::Complex128 => HostArray::C128(x.to_host()?),
        DType::Bool => HostArray::Bool(x.to_host_bool()?),
    })
}

/// Uploads a result computed here, float64 in `arith`: in double-float, a result spanning
/// more binades than it holds keeps float64 accuracy normwise (its smallest elements flush
/// toward zero), as the device path would have computed it.
///
/// # Errors
/// As [`DeviceArray::from_host`].
pub fn upload(gpu: &GpuContext, x: &HostArray, arith: Arith) -> Result<DeviceArray> {
    match x {
        HostArray::F32(a) => DeviceArray::from_host_normwise(gpu, a.view(), arith),
        HostArray::F64(a) => DeviceArray::from_host_normwise(gpu, a.view(), arith),
        HostArray::C64(a) => DeviceArray::from_host_normwise(gpu, a.view(), arith),
        HostArray::C128(a) => DeviceArray::from_host_normwise(gpu, a.view(), arith),
        HostArray::Bool(a) => DeviceArray::from_host_bool(gpu, a.view()),
    }
}

fn result_dtype(op: BinaryOp, a: &HostOperand, b: &HostOperand) -> Result<DType> {
    if op.is_logical() || op.is_comparison() {
        return Ok(DType::Bool);
    }
    let dtype_of = |o: &HostOperand, other: Option<DType>| match o {
        HostOperand::Array(x) => x.dtype(),
        HostOperand::Scalar(s) => {
            let base = other.unwrap_or(DType::Float64);
            if s.complex {
                super::complex_of(base)
            } else {
                base
            }
        }
    };
    let (x, y) = match (a, b) {
        (HostOperand::Array(x), HostOperand::Array(y)) => (x.dtype(), y.dtype()),
        (HostOperand::Array(x), s) | (s, HostOperand::Array(x)) => {
            (x.dtype(), dtype_of(s, Some(x.dtype())))
        }
        _ => return Err(Error::param("operands", "one operand must be an array")),
    };
    if x == DType::Bool || y == DType::Bool {
        return Err(Error::param("operands", "arithmetic on bool arrays"));
    }
    let double = super::is_double(x) || super::is_double(y);
    let complex = super::is_complex(x) || super::is_complex(y);
    Ok(match (complex, double) {
        (false, false) => DType::Float32,
        (false, true) => DType::Float64,
        (true, false) => DType::Complex64,
        (true, true) => DType::Complex128,
    })
}

/// `op(a, b)` on the host, broadcast to `shape`.
///
/// # Errors
/// As [`super::binary`].
pub fn binary(op: BinaryOp, a: HostOperand, b: HostOperand, shape: &[usize]) -> Result<HostArray> {
    let dtype = result_dtype(op, &a, &b)?;
    let values = |o: &HostOperand| -> Result<ArrayD<Complex<f64>>> {
        Ok(match o {
            HostOperand::Array(x) => x
                .widened()
                .broadcast(IxDyn(shape))
                .ok_or_else(|| Error::ShapeMismatch {
                    what: "operands that broadcast together",
                    expected: format!("{shape:?}"),
                    got: x.shape().to_vec(),
                })?
                .to_owned(),
            HostOperand::Scalar(s) => ArrayD::from_elem(IxDyn(shape), s.value),
        })
    };
    // Scalars are rounded to the arrays' precision first (NEP 50), comparisons included.
    let single = ![&a, &b].iter().any(|o| match o {
        HostOperand::Array(x) => super::is_double(x.dtype()),
        HostOperand::Scalar(_) => false,
    });
    let round = |o: HostOperand| match o {
        HostOperand::Scalar(s) if single => HostOperand::Scalar(Scalar {
            value: Complex::new(s.value.re as f32 as f64, s.value.im as f32 as f64),
            ..s
        }),
        other => other,
    };
    let (a, b) = (round(a), round(b));
    let (x, y) = (values(&a)?, values(&b)?);
    let complex = [&a, &b].iter().any(|o| match o {
        HostOperand::Array(x) => super::is_complex(x.dtype()),
        HostOperand::Scalar(s) => s.complex,
    });
    let mut out = x.clone();
    ndarray::Zip::from(&mut out)
        .and(&x)
        .and(&y)
        .for_each(|o, &p, &q| *o = apply(op, p, q, complex));
    Ok(HostArray::narrowed(out, dtype))
}

fn truth(v: bool) -> Complex<f64> {
    Complex::new(f64::from(u8::from(v)), 0.0)
}

/// `op` of two values; real operands in real arithmetic (a complex quotient by zero is NaN
/// where a real one is an infinity). Complex values order lexicographically, as NumPy's
/// comparisons, `minimum` and `maximum` (NaN in either part: comparisons false, the NaN
/// operand returned).
fn apply(op: BinaryOp, p: Complex<f64>, q: Complex<f64>, complex: bool) -> Complex<f64> {
    let (x, y) = (p.re, q.re);
    let real = |v: f64| Complex::new(v, 0.0);
    let nan = |z: Complex<f64>| z.re.is_nan() || z.im.is_nan();
    let less = |u: Complex<f64>, v: Complex<f64>| u.re < v.re || (u.re == v.re && u.im < v.im);
    let ordered = !nan(p) && !nan(q);
    match op {
        BinaryOp::Add if !complex => real(x + y),
        BinaryOp::Subtract if !complex => real(x - y),
        BinaryOp::Multiply if !complex => real(x * y),
        BinaryOp::Divide if !complex => real(x / y),
        BinaryOp::Add => p + q,
        BinaryOp::Subtract => p - q,
        BinaryOp::Multiply => p * q,
        BinaryOp::Divide => smith_divide(p, q),
        BinaryOp::Minimum | BinaryOp::Maximum if !ordered => {
            if nan(p) {
                p
            } else {
                q
            }
        }
        BinaryOp::Minimum => {
            if less(q, p) {
                q
            } else {
                p
            }
        }
        BinaryOp::Maximum => {
            if less(p, q) {
                q
            } else {
                p
            }
        }
        BinaryOp::Less => truth(ordered && less(p, q)),
        BinaryOp::LessEqual => truth(ordered && (less(p, q) || p == q)),
        BinaryOp::Greater => truth(ordered && less(q, p)),
        BinaryOp::GreaterEqual => truth(ordered && (less(q, p) || p == q)),
        BinaryOp::Equal => truth(p == q),
        BinaryOp::NotEqual => truth(p != q),
        BinaryOp::LogicalAnd => truth(x != 0.0 && y != 0.0),
        BinaryOp::LogicalOr => truth(x != 0.0 || y != 0.0),
        BinaryOp::LogicalXor => truth((x != 0.0) != (y != 0.0)),
    }
}

/// `p / q` by Smith's algorithm: the larger part of `q` factored out, so that neither
/// |q|^2 overflows nor underflows (NumPy's complex division does the same).
pub(crate) fn smith_divide(p: Complex<f64>, q: Complex<f64>) -> Complex<f64> {
    if q.re.abs() >= q.im.abs() {
        if q.re == 0.0 && q.im == 0.0 {
            return Complex::new(p.re / q.re.abs(), p.im / q.re.abs());
        }
        let r = q.im / q.re;
        let d = q.re + q.im * r;
        Complex::new((p.re + p.im * r) / d, (p.im - p.re * r) / d)
    } else {
        let r = q.re / q.im;
        let d = q.re * r + q.im;
        Complex::new((p.re * r + p.im) / d, (p.im * r - p.re) / d)
    }
}

/// `op(a)` on the host.
///
/// # Errors
/// As [`super::unary`].
pub fn unary(op: UnaryOp, a: &HostArray) -> Result<HostArray> {
    let dtype = a.dtype();
    let complex = super::is_complex(dtype);
    let out_dtype = match op {
        UnaryOp::Absolute | UnaryOp::Real | UnaryOp::Imag => super::real_of(dtype),
        _ => dtype,
    };
    if (op == UnaryOp::LogicalNot) != (dtype == DType::Bool) {
        return Err(Error::param(
            "x",
            format!("{} of a {} array", op.name(), dtype.name()),
        ));
    }
    let values = a.widened().mapv(|z| match op {
        UnaryOp::Negative => -z,
        UnaryOp::Absolute => Complex::new(if complex { z.norm() } else { z.re.abs() }, 0.0),
        UnaryOp::Sqrt => {
            if complex {
                z.sqrt()
            } else {
                Complex::new(z.re.sqrt(), 0.0)
            }
        }
        UnaryOp::Real => Complex::new(z.re, 0.0),
        UnaryOp::Imag => Complex::new(z.im, 0.0),
        UnaryOp::Conjugate => z.conj(),
        UnaryOp::LogicalNot => truth(z.re == 0.0),
    });
    Ok(HostArray::narrowed(values, out_dtype))
}

/// NumPy's broadcast shape of two host operands.
///
/// # Errors
/// As [`broadcast_shape`].
pub fn shape_of(a: &HostOperand, b: &HostOperand) -> Result<Vec<usize>> {
    match (a, b) {
        (HostOperand::Array(x), HostOperand::Array(y)) => broadcast_shape(x.shape(), y.shape()),
        (HostOperand::Array(x), _) | (_, HostOperand::Array(x)) => Ok(x.shape().to_vec()),
        _ => Err(Error::param("operands", "one operand must be an array")),
    }
}

/// `x[mask] = value` on the host (`mask` of `x`'s shape).
///
/// # Errors
/// As [`super::masked_assign`].
pub fn masked_assign(x: HostArray, mask: &ArrayD<bool>, value: Scalar) -> Result<HostArray> {
    if mask.shape() != x.shape() {
        return Err(Error::ShapeMismatch {
            what: "boolean index",
            expected: format!("the array's shape {:?}", x.shape()),
            got: mask.shape().to_vec(),
        });
    }
    let dtype = x.dtype();
    let mut values = x.widened();
    ndarray::Zip::from(&mut values).and(mask).for_each(|v, &m| {
        if m {
            *v = value.value;
        }
    });
    Ok(HostArray::narrowed(values, dtype))
}
