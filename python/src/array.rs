//! `gpusci.Array`: a NumPy-like array whose data stays on a GPU (any vendor's, float64
//! included), over the library's [`DeviceArray`]. Operators, NumPy's ufuncs
//! (`__array_ufunc__`) and a few NumPy functions (`__array_function__`) record on the device
//! and return new Arrays; `.get()` and `np.asarray(a)` download. Nothing downloads silently:
//! what the device cannot take raises `TypeError` naming it.

use gpusci::fft::Complex;
use numpy::{
    Complex32, Complex64, IntoPyArray, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyDict, PyTuple};

use crate::errors::{type_error, value_error, PyResult};
use crate::runtime::*;
use gpusci::array::elementwise::{self, BinaryOp, Operand, Scalar, UnaryOp};
use gpusci::array::{DType, DeviceArray};

/// An array on a GPU (see the module's notes).
#[pyclass(name = "Array", module = "gpusci")]
pub(crate) struct Array {
    pub(crate) inner: DeviceArray,
}

impl Array {
    pub(crate) fn new(inner: DeviceArray) -> Self {
        Self { inner }
    }
}

/// `gpusci.asarray`'s Rust half: `data` (a C-contiguous float32, float64, complex64,
/// complex128 or bool NumPy array) uploaded to the GPU of `backend` at `precision`; `None`
/// when that backend has no GPU (the caller then returns NumPy's array).
#[pyfunction]
#[pyo3(signature = (data, backend=None, precision=None))]
pub(crate) fn asarray(
    py: Python<'_>,
    data: &Bound<'_, PyUntypedArray>,
    backend: Option<BackendArg>,
    precision: Option<PrecisionArg>,
) -> PyResult<Option<Array>> {
    let exec = executor(backend)?;
    let device = device_at(&exec, precision);
    let (Some(ctx), Some(arith)) = (exec.gpu(), device.float64_arith()) else {
        return Ok(None);
    };
    macro_rules! upload {
        ($t:ty) => {{
            let view: PyReadonlyArrayDyn<'_, $t> = data.extract()?;
            let view = view.as_array();
            compute(py, || DeviceArray::from_host(ctx, view, arith))?
        }};
    }
    // NumPy's name of the dtype (str(dtype)).
    let name = data.dtype().str()?.to_string();
    let inner = match name.as_str() {
        "float32" => upload!(f32),
        "float64" => upload!(f64),
        "complex64" => upload!(Complex32),
        "complex128" => upload!(Complex64),
        "bool" => {
            let view: PyReadonlyArrayDyn<'_, bool> = data.extract()?;
            let view = view.as_array();
            compute(py, || DeviceArray::from_host_bool(ctx, view))?
        }
        other => {
            return Err(type_error(format!(
                "gpusci.Array holds float32, float64, complex64, complex128 or bool, not {other}"
            )))
        }
    };
    Ok(Some(Array::new(inner)))
}

/// One operand of an operator or ufunc: an Array on the same GPU, or a Python scalar.
/// NumPy arrays and scalars are refused (they live on the host: nothing moves silently).
fn operand(this: &DeviceArray, other: &Bound<'_, PyAny>, logical: bool) -> PyResult<OperandOf> {
    if let Ok(array) = other.cast::<Array>() {
        let inner = array.borrow().inner.clone();
        if !inner.gpu().same(this.gpu()) {
            return Err(value_error("the arrays live on different GPUs"));
        }
        return Ok(OperandOf::Array(inner));
    }
    let numpy_type = other
        .get_type()
        .getattr("__module__")
        .is_ok_and(|m| m.extract::<String>().is_ok_and(|m| m == "numpy"));
    if numpy_type && other.hasattr("dtype")? && other.getattr("ndim")?.extract::<usize>()? == 0 {
        if let Some(weak) = as_weak_scalar(this, other)? {
            return Ok(OperandOf::Scalar(weak));
        }
        return numpy_scalar(this, other).map(OperandOf::Array);
    }
    if numpy_type {
        return Err(type_error(format!(
            "a NumPy {} cannot be combined with a gpusci.Array without moving it to the GPU: \
             use gpusci.asarray() first (or a Python scalar)",
            other.get_type().name()?
        )));
    }
    if logical {
        // & | ^ take bool arrays and Python bools (as 0-d bool arrays).
        let Ok(flag) = other.cast::<PyBool>() else {
            return Err(type_error(format!(
                "logical operations on a gpusci.Array take bool Arrays or Python bools, not {}",
                other.get_type().name()?
            )));
        };
        let flag = ndarray::arr0(flag.is_true());
        return Ok(OperandOf::Array(DeviceArray::from_host_bool(
            this.gpu(),
            flag.view(),
        )?));
    }
    if let Ok(z) = other.cast::<PyComplex>() {
        return Ok(OperandOf::Scalar(Scalar::complex(Complex::new(
            z.real(),
            z.imag(),
        ))));
    }
    if let Ok(x) = other.extract::<f64>() {
        return Ok(OperandOf::Scalar(Scalar::real(x)));
    }
    Err(type_error(format!(
        "unsupported operand type {} for gpusci.Array",
        other.get_type().name()?
    )))
}

/// A NumPy scalar as a Python scalar when NumPy 2 would give the same result dtype either
/// way (a `np.float64` with a float64 array, a `np.float32` or small integer with any): it
/// then goes to the kernel as a scalar, not as an array. `None` when its dtype would widen
/// the result (a `np.float64` with a float32 array).
fn as_weak_scalar(this: &DeviceArray, scalar: &Bound<'_, PyAny>) -> PyResult<Option<Scalar>> {
    let kind: String = scalar.getattr("dtype")?.getattr("kind")?.extract()?;
    let itemsize: usize = scalar.getattr("dtype")?.getattr("itemsize")?.extract()?;
    let double = matches!(this.dtype(), DType::Float64 | DType::Complex128);
    let same = match (kind.as_str(), itemsize) {
        ("f", 2 | 4) | ("i" | "u", 1 | 2) | ("b", _) => true,
        ("f" | "i" | "u", _) => double,
        ("c", 8) => true,
        ("c", _) => double,
        _ => false,
    };
    if !same {
        return Ok(None);
    }
    Ok(Some(if kind == "c" {
        Scalar::complex(complex_of(scalar)?)
    } else {
        Scalar::real(scalar.call_method0("__float__")?.extract()?)
    }))
}

/// A complex NumPy scalar's value (by its `real` and `imag`).
fn complex_of(scalar: &Bound<'_, PyAny>) -> PyResult<Complex<f64>> {
    Ok(Complex::new(
        scalar.getattr("real")?.extract()?,
        scalar.getattr("imag")?.extract()?,
    ))
}

/// A NumPy scalar as a 0-d array on `this` array's GPU: NumPy 2 promotes with its dtype
/// (NEP 50: a `np.float64` makes a float32 result float64; an integer scalar counts as
/// float64 here, the device having no integer arrays), which the array operation then does.
fn numpy_scalar(this: &DeviceArray, scalar: &Bound<'_, PyAny>) -> PyResult<DeviceArray> {
    let kind: String = scalar.getattr("dtype")?.getattr("kind")?.extract()?;
    let itemsize: usize = scalar.getattr("dtype")?.getattr("itemsize")?.extract()?;
    let ctx = this.gpu();
    // A float64 scalar is held as the context holds float64 (a float32 array's own
    // arithmetic would round it).
    let arith = ctx.float64_arith();
    let up = |x: ndarray::ArrayView0<'_, _>| DeviceArray::from_host(ctx, x, arith);
    Ok(match (kind.as_str(), itemsize) {
        // float16, float32, bool and integers of 16 bits or fewer promote a float32 array to
        // float32 (NEP 50): held as float32.
        ("f", 2 | 4) | ("i" | "u", 1 | 2) | ("b", _) => {
            let v: f64 = scalar.call_method0("__float__")?.extract()?;
            DeviceArray::from_host(ctx, ndarray::arr0(v as f32).view(), arith)?
        }
        ("c", 8) => {
            let v = complex_of(scalar)?;
            let v = Complex32::new(v.re as f32, v.im as f32);
            DeviceArray::from_host(ctx, ndarray::arr0(v).view(), arith)?
        }
        ("c", _) => {
            let v = complex_of(scalar)?;
            DeviceArray::from_host(ctx, ndarray::arr0(v).view(), arith)?
        }
        ("f" | "i" | "u", _) => {
            let v: f64 = scalar.extract()?;
            up(ndarray::arr0(v).view())?
        }
        _ => {
            return Err(type_error(format!(
                "a NumPy {} scalar cannot be combined with a gpusci.Array",
                scalar.get_type().name()?
            )))
        }
    })
}

/// An operand as owned data (an Array cloned: its buffer is shared, not copied).
enum OperandOf {
    Array(DeviceArray),
    Scalar(Scalar),
}

impl OperandOf {
    fn as_operand(&self) -> Operand<'_> {
        match self {
            OperandOf::Array(x) => Operand::Array(x),
            OperandOf::Scalar(s) => Operand::Scalar(*s),
        }
    }
}

/// `op(a, b)` for operands in either order, without the GIL.
fn apply_binary(
    py: Python<'_>,
    op: BinaryOp,
    this: &DeviceArray,
    other: &Bound<'_, PyAny>,
    reflected: bool,
) -> PyResult<Array> {
    let logical = matches!(
        op,
        BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
    );
    let other = operand(this, other, logical)?;
    let (a, b) = if reflected {
        (other.as_operand(), Operand::Array(this))
    } else {
        (Operand::Array(this), other.as_operand())
    };
    Ok(Array::new(compute(py, || elementwise::binary(op, a, b))?))
}

fn apply_unary(py: Python<'_>, op: UnaryOp, this: &DeviceArray) -> PyResult<Array> {
    Ok(Array::new(compute(py, || elementwise::unary(op, this))?))
}

/// NumPy's ufuncs an Array takes, by name.
fn ufunc_op(name: &str) -> Option<Result<BinaryOp, UnaryOp>> {
    Some(match name {
        "add" => Ok(BinaryOp::Add),
        "subtract" => Ok(BinaryOp::Subtract),
        "multiply" => Ok(BinaryOp::Multiply),
        "divide" | "true_divide" => Ok(BinaryOp::Divide),
        "minimum" => Ok(BinaryOp::Minimum),
        "maximum" => Ok(BinaryOp::Maximum),
        "less" => Ok(BinaryOp::Less),
        "less_equal" => Ok(BinaryOp::LessEqual),
        "greater" => Ok(BinaryOp::Greater),
        "greater_equal" => Ok(BinaryOp::GreaterEqual),
        "equal" => Ok(BinaryOp::Equal),
        "not_equal" => Ok(BinaryOp::NotEqual),
        "logical_and" => Ok(BinaryOp::LogicalAnd),
        "logical_or" => Ok(BinaryOp::LogicalOr),
        "logical_xor" => Ok(BinaryOp::LogicalXor),
        "negative" => Err(UnaryOp::Negative),
        "absolute" => Err(UnaryOp::Absolute),
        "sqrt" => Err(UnaryOp::Sqrt),
        "conjugate" => Err(UnaryOp::Conjugate),
        "logical_not" => Err(UnaryOp::LogicalNot),
        _ => return None,
    })
}

#[pymethods]
impl Array {
    /// The shape, as a tuple.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        Ok(PyTuple::new(py, self.inner.shape())?)
    }

    /// The dtype, as NumPy's `dtype`.
    #[getter]
    fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py
            .import("numpy")?
            .getattr("dtype")?
            .call1((self.inner.dtype().name(),))?)
    }

    /// The number of dimensions.
    #[getter]
    fn ndim(&self) -> usize {
        self.inner.shape().len()
    }

    /// The number of elements.
    #[getter]
    fn size(&self) -> usize {
        self.inner.len()
    }

    /// Bytes the array takes on the host (NumPy's `nbytes`).
    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }

    /// The GPU the data lives on, in words.
    #[getter]
    fn device(&self) -> String {
        self.inner.gpu().describe()
    }

    /// The real part (a copy for a real array), on the device.
    #[getter]
    fn real(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Real, &self.inner)
    }

    /// The imaginary part (zeros for a real array), on the device.
    #[getter]
    fn imag(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Imag, &self.inner)
    }

    /// Downloads the array into a new NumPy array (a copy; one wait).
    fn get<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let x = &self.inner;
        Ok(match x.dtype() {
            DType::Float32 => compute(py, || x.to_host::<f32>())?
                .into_pyarray(py)
                .into_any(),
            DType::Float64 => compute(py, || x.to_host::<f64>())?
                .into_pyarray(py)
                .into_any(),
            DType::Complex64 => compute(py, || x.to_host::<Complex32>())?
                .into_pyarray(py)
                .into_any(),
            DType::Complex128 => compute(py, || x.to_host::<Complex64>())?
                .into_pyarray(py)
                .into_any(),
            DType::Bool => compute(py, || x.to_host_bool())?
                .into_pyarray(py)
                .into_any(),
            other => return Err(type_error(format!("cannot download a {}", other.name()))),
        })
    }

    /// `np.asarray(a)`: downloads (a copy). `copy=False` cannot be honoured.
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        &self,
        py: Python<'py>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if copy == Some(false) {
            return Err(value_error(
                "a gpusci.Array cannot be viewed without a copy: its data is on the GPU",
            ));
        }
        let host = self.get(py)?;
        Ok(match dtype {
            Some(dtype) => host.call_method1("astype", (dtype,))?,
            None => host,
        })
    }

    /// `bool(a)`: as NumPy, only for one element (which it reads back); ValueError else.
    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        if self.inner.len() != 1 {
            return Err(value_error(
                "The truth value of an array with more than one element is ambiguous \
                 (use .get() and NumPy's any() or all())",
            ));
        }
        Ok(self.get(py)?.call_method0("item")?.is_truthy()?)
    }

    fn __len__(&self) -> PyResult<usize> {
        match self.inner.shape().first() {
            Some(&n) => Ok(n),
            None => Err(type_error("len() of unsized object")),
        }
    }

    /// Shape, dtype and device; never the values (that would download).
    fn __repr__(&self) -> String {
        let shape = match self.inner.shape() {
            [n] => format!("({n},)"),
            dims => format!(
                "({})",
                dims.iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "gpusci.Array(shape={shape}, dtype={}, device='{}')",
            self.inner.dtype().name(),
            self.inner.gpu().describe()
        )
    }

    /// A copy on the same GPU.
    fn copy(&self, py: Python<'_>) -> PyResult<Array> {
        Ok(Array::new(compute(py, || elementwise::copy(&self.inner))?))
    }

    /// The complex conjugate (a copy for a real array).
    fn conj(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Conjugate, &self.inner)
    }

    /// As [`Array::conj`].
    fn conjugate(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Conjugate, &self.inner)
    }

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Add, &self.inner, other, false)
    }

    fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Add, &self.inner, other, true)
    }

    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Subtract, &self.inner, other, false)
    }

    fn __rsub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Subtract, &self.inner, other, true)
    }

    fn __mul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Multiply, &self.inner, other, false)
    }

    fn __rmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Multiply, &self.inner, other, true)
    }

    fn __truediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Divide, &self.inner, other, false)
    }

    fn __rtruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::Divide, &self.inner, other, true)
    }

    fn __and__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::LogicalAnd, &self.inner, other, false)
    }

    fn __or__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::LogicalOr, &self.inner, other, false)
    }

    fn __xor__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
        apply_binary(py, BinaryOp::LogicalXor, &self.inner, other, false)
    }

    fn __neg__(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Negative, &self.inner)
    }

    fn __abs__(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::Absolute, &self.inner)
    }

    fn __invert__(&self, py: Python<'_>) -> PyResult<Array> {
        apply_unary(py, UnaryOp::LogicalNot, &self.inner)
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: pyo3::basic::CompareOp,
    ) -> PyResult<Array> {
        use pyo3::basic::CompareOp;
        let op = match op {
            CompareOp::Lt => BinaryOp::Less,
            CompareOp::Le => BinaryOp::LessEqual,
            CompareOp::Gt => BinaryOp::Greater,
            CompareOp::Ge => BinaryOp::GreaterEqual,
            CompareOp::Eq => BinaryOp::Equal,
            CompareOp::Ne => BinaryOp::NotEqual,
        };
        apply_binary(py, op, &self.inner, other, false)
    }

    /// `a[mask] = value`: a bool Array of `a`'s shape and a Python scalar. The array's data
    /// is replaced by the assigned copy, on the device.
    fn __setitem__(
        &mut self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let Ok(mask) = key.cast::<Array>() else {
            return Err(type_error(
                "gpusci.Array assignment takes a boolean mask Array of the same shape \
                 (slices and integer indices are not supported yet)",
            ));
        };
        let mask = mask.borrow().inner.clone();
        let value = match operand(&self.inner, value, false)? {
            OperandOf::Scalar(s) => s,
            _ => {
                return Err(type_error(
                    "gpusci.Array assignment through a mask takes a Python scalar value",
                ))
            }
        };
        let inner = &self.inner;
        let assigned = compute(py, || elementwise::masked_assign(inner, &mask, value))?;
        self.inner = assigned;
        Ok(())
    }

    fn __getitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<Array> {
        Err(type_error(
            "indexing a gpusci.Array is not supported yet: call .get() first for a NumPy copy",
        ))
    }

    /// NumPy's ufuncs on Arrays (see the module's notes), with `out=` (one Array).
    #[pyo3(signature = (ufunc, method, *inputs, **kwargs))]
    fn __array_ufunc__(
        slf: &Bound<'_, Self>,
        ufunc: &Bound<'_, PyAny>,
        method: &str,
        inputs: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let name: String = ufunc.getattr("__name__")?.extract()?;
        let refuse = || {
            type_error(format!(
                "numpy.{name} ({method}) is not supported on a gpusci.Array: call .get() first"
            ))
        };
        if method != "__call__" {
            return Err(refuse());
        }
        let mut out: Option<Bound<'_, Array>> = None;
        if let Some(kwargs) = kwargs {
            for (key, value) in kwargs.iter() {
                let key: String = key.extract()?;
                match key.as_str() {
                    "out" => {
                        let target = match value.cast::<PyTuple>() {
                            Ok(t) if t.len() == 1 => t.get_item(0)?,
                            Ok(_) => return Err(refuse()),
                            Err(_) => value.clone(),
                        };
                        let target = target.cast::<Array>().map_err(|_| {
                            type_error("out= must be a gpusci.Array for a gpusci.Array input")
                        })?;
                        out = Some(target.clone());
                    }
                    _ => {
                        return Err(type_error(format!(
                            "numpy.{name}: keyword {key} is not supported on a gpusci.Array"
                        )))
                    }
                }
            }
        }
        let this = slf.borrow().inner.clone();
        let result = match (ufunc_op(&name), inputs.len()) {
            (Some(Ok(op)), 2) => {
                let (first, second) = (inputs.get_item(0)?, inputs.get_item(1)?);
                let logical = matches!(
                    op,
                    BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
                );
                let (x, y) = (
                    operand(&this, &first, logical)?,
                    operand(&this, &second, logical)?,
                );
                compute(py, || {
                    elementwise::binary(op, x.as_operand(), y.as_operand())
                })?
            }
            (Some(Err(op)), 1) => {
                let first = inputs.get_item(0)?;
                let OperandOf::Array(x) = operand(&this, &first, false)? else {
                    return Err(refuse());
                };
                compute(py, || elementwise::unary(op, &x))?
            }
            _ => return Err(refuse()),
        };
        match out {
            Some(target) => {
                {
                    let mut target_ref = target.borrow_mut();
                    if target_ref.inner.shape() != result.shape()
                        || target_ref.inner.dtype() != result.dtype()
                    {
                        return Err(value_error(format!(
                            "out= has shape {:?} and dtype {}, the result {:?} and {}",
                            target_ref.inner.shape(),
                            target_ref.inner.dtype().name(),
                            result.shape(),
                            result.dtype().name()
                        )));
                    }
                    target_ref.inner = result;
                }
                Ok(target.into_any().unbind())
            }
            None => Ok(Bound::new(py, Array::new(result))?.into_any().unbind()),
        }
    }

    /// NumPy's functions on Arrays: `np.real`, `np.imag`, `np.conjugate`/`np.conj`; any
    /// other raises `TypeError` naming it.
    fn __array_function__(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        _types: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: &Bound<'_, PyDict>,
    ) -> PyResult<Py<PyAny>> {
        let name: String = func.getattr("__name__")?.extract()?;
        let op = match name.as_str() {
            "real" => UnaryOp::Real,
            "imag" => UnaryOp::Imag,
            "conjugate" | "conj" => UnaryOp::Conjugate,
            "absolute" | "abs" => UnaryOp::Absolute,
            _ => {
                return Err(type_error(format!(
                    "numpy.{name} is not supported on a gpusci.Array: call .get() first for a \
                     NumPy copy"
                )))
            }
        };
        if args.len() != 1 || !kwargs.is_empty() {
            return Err(type_error(format!(
                "numpy.{name} on a gpusci.Array takes the array alone"
            )));
        }
        let first = args.get_item(0)?;
        let x = first
            .cast::<Array>()
            .map_err(|_| type_error(format!("numpy.{name}: the argument is not a gpusci.Array")))?
            .borrow()
            .inner
            .clone();
        let result = compute(py, || elementwise::unary(op, &x))?;
        Ok(Bound::new(py, Array::new(result))?.into_any().unbind())
    }
}

/// `np.fft.fft`/`ifft` of an Array along its last axis with NumPy's default `n` and `norm`,
/// on its GPU (a real Array is made complex there first); other requests run on the CPU
/// with a note (`gpusci::fft::fft_device`).
#[pyfunction]
#[pyo3(signature = (a, n, axis, norm, inverse))]
pub(crate) fn array_fft(
    py: Python<'_>,
    a: &Bound<'_, Array>,
    n: Option<usize>,
    axis: isize,
    norm: Option<&str>,
    inverse: bool,
) -> PyResult<Array> {
    let x = a.borrow().inner.clone();
    let norm = match norm {
        Some(text) => crate::errors::parse::<gpusci::fft::Norm>(text)?,
        None => gpusci::fft::Norm::Backward,
    };
    let params = gpusci::fft::FftParams { n, axis, norm };
    let result = compute(py, || -> gpusci::Result<DeviceArray> {
        let complex = match x.dtype() {
            DType::Complex64 | DType::Complex128 => x,
            // + 0j: the complex dtype of the same precision, on the device.
            _ => elementwise::binary(
                BinaryOp::Add,
                Operand::Array(&x),
                Operand::Scalar(Scalar::complex(Complex::new(0.0, 0.0))),
            )?,
        };
        gpusci::fft::fft_device(&complex, &params, inverse)
    })?;
    Ok(Array::new(result))
}

/// Adds the class and its functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> pyo3::PyResult<()> {
    m.add_class::<Array>()?;
    m.add_function(wrap_pyfunction!(asarray, m)?)?;
    m.add_function(wrap_pyfunction!(array_fft, m)?)?;
    Ok(())
}
