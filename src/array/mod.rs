//! Arrays that live on a GPU: [`DeviceArray`], a pooled buffer with its shape, dtype and
//! storage, made from host data once and handed from operation to operation without coming
//! back to the host.
//!
//! The dtype is what NumPy would call the array (float32, float64, complex64, complex128);
//! the [`Storage`] is how its elements sit in the buffer, fixed by the context's arithmetic
//! when the array is made: float32, native float64, or double-float pairs scaled by 2^-e so
//! that float32's exponent range never bites (see [`crate::gpu::Precision`]). The exponent
//! travels with the data, so an operation on a resident float64 array needs no host scan.
//!
//! Every array is contiguous and row-major, as every kernel assumes. This module holds the one
//! `match` from storage to the kernels' element type ([`Storage::arith`]); operations record
//! their dispatches into a [`Recording`] and return a new array (`blur::gaussian_filter_device`).

use ndarray::{ArrayD, ArrayView, Dimension, IxDyn};
use num_complex::Complex;

use crate::error::{Error, Result};
use crate::gpu::{Arith, DeviceReal, DoubleFloat, GpuBuffer, GpuContext, Recording, Scaling};

pub mod elementwise;

/// An element type as NumPy names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: float32 real and imaginary parts.
    Complex64,
    /// `complex128`: float64 parts.
    Complex128,
    /// `bool` (one 32-bit word an element on the device, 0 or 1; storage `F32`).
    Bool,
}

impl DType {
    /// NumPy's name (`"float32"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Complex64 => "complex64",
            DType::Complex128 => "complex128",
            DType::Bool => "bool",
        }
    }

    /// Bytes of one element on the host.
    pub fn itemsize(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Float32 => 4,
            DType::Float64 | DType::Complex64 => 8,
            DType::Complex128 => 16,
        }
    }

    /// Real numbers per element (2 for complex).
    fn parts(self) -> usize {
        match self {
            DType::Float32 | DType::Float64 | DType::Bool => 1,
            DType::Complex64 | DType::Complex128 => 2,
        }
    }
}

/// How the real numbers of an array sit in its buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// float32 words.
    F32,
    /// Native float64 (the adapter has `SHADER_F64`).
    F64,
    /// Double-float pairs of float32 holding each value times 2^-`exponent`.
    DoubleFloat {
        /// The scaling: stored pair = value * 2^-exponent.
        exponent: i32,
    },
}

impl Storage {
    /// The arithmetic of the kernels that read this storage.
    pub fn arith(self) -> Arith {
        match self {
            Storage::F32 => Arith::Single,
            Storage::F64 => Arith::Native64,
            Storage::DoubleFloat { .. } => Arith::DoubleFloat,
        }
    }

    /// Bytes of one real number in the buffer.
    fn real_bytes(self) -> usize {
        match self {
            Storage::F32 => 4,
            Storage::F64 | Storage::DoubleFloat { .. } => 8,
        }
    }

    /// The array's value of a stored real number: times 2^exponent for double-float, in two
    /// steps, since a product's exponent (the sum of its operands') may pass float64's
    /// range although the value does not.
    pub(crate) fn value(self, stored: f64) -> f64 {
        match self {
            // Zero stays zero (and not 0 * inf past float64's range).
            Storage::DoubleFloat { .. } if stored == 0.0 => stored,
            Storage::DoubleFloat { exponent } => {
                let half = exponent / 2;
                stored * crate::gpu::pow2(half) * crate::gpu::pow2(exponent - half)
            }
            _ => stored,
        }
    }

    /// The stored number of an array value (the inverse of [`Storage::value`], in two steps
    /// for the same reason).
    pub(crate) fn stored(self, value: f64) -> f64 {
        match self {
            Storage::DoubleFloat { exponent } if value != 0.0 => {
                let half = exponent / 2;
                value * crate::gpu::pow2(-half) * crate::gpu::pow2(half - exponent)
            }
            _ => value,
        }
    }
}

/// A host element type a [`DeviceArray`] can be made from and read back into.
pub trait HostElement: bytemuck::Pod + Send + Sync + sealed::Sealed {
    /// Its dtype.
    const DTYPE: DType;
    /// Its real parts, in order.
    fn parts(self) -> [f64; 2];
    /// The element of these parts (the second ignored for real types).
    fn from_parts(re: f64, im: f64) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for num_complex::Complex<f32> {}
    impl Sealed for num_complex::Complex<f64> {}
}

impl HostElement for f32 {
    const DTYPE: DType = DType::Float32;
    fn parts(self) -> [f64; 2] {
        [f64::from(self), 0.0]
    }
    fn from_parts(re: f64, _: f64) -> Self {
        re as f32
    }
}

impl HostElement for f64 {
    const DTYPE: DType = DType::Float64;
    fn parts(self) -> [f64; 2] {
        [self, 0.0]
    }
    fn from_parts(re: f64, _: f64) -> Self {
        re
    }
}

impl HostElement for Complex<f32> {
    const DTYPE: DType = DType::Complex64;
    fn parts(self) -> [f64; 2] {
        [f64::from(self.re), f64::from(self.im)]
    }
    fn from_parts(re: f64, im: f64) -> Self {
        Complex::new(re as f32, im as f32)
    }
}

impl HostElement for Complex<f64> {
    const DTYPE: DType = DType::Complex128;
    fn parts(self) -> [f64; 2] {
        [self.re, self.im]
    }
    fn from_parts(re: f64, im: f64) -> Self {
        Complex::new(re, im)
    }
}

/// An array on a GPU: a pooled buffer, its shape, dtype and storage. Cloning shares the
/// buffer (arrays are never written in place by operations: each returns a new one).
#[derive(Clone, Debug)]
pub struct DeviceArray {
    gpu: GpuContext,
    buffer: GpuBuffer,
    shape: Vec<usize>,
    dtype: DType,
    storage: Storage,
    /// Binades a double-float exponent may overstate the data by: elementwise operations
    /// halve their results blindly (no read-back), and past a bound the array is rescaled
    /// (`elementwise`). 0 for data scaled by its largest magnitude.
    drift: u32,
}

impl DeviceArray {
    /// Uploads `data` to `gpu`. float32 (and complex64) data is stored as float32; float64
    /// (and complex128) data in `arith`: native float64, double-float scaled by a power of two,
    /// or float32 for `Arith::Single`. One pass over the data, written straight into the
    /// queue's staging memory (no host copy of the array is made, even for a non-contiguous
    /// view).
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] for double-float data whose finite magnitudes span more than
    /// [`DOUBLE_FLOAT_SPAN_BITS`](crate::gpu::DOUBLE_FLOAT_SPAN_BITS) binades, or an array past
    /// the device's largest buffer; [`Error::InvalidParam`] for float64 values past float32's
    /// range with `Arith::Single`; GPU errors.
    pub fn from_host<T: HostElement, D: Dimension>(
        gpu: &GpuContext,
        data: ArrayView<'_, T, D>,
        arith: Arith,
    ) -> Result<Self> {
        Self::upload(gpu, data, arith, true)
    }

    /// As [`DeviceArray::from_host`], but double-float data spanning more binades than it
    /// holds is scaled by its largest magnitude and its smallest elements flush toward zero
    /// (an error below 2^-90 of the largest: float64 accuracy normwise). For results computed
    /// on the CPU for a device operation, which must come back to the device.
    pub(crate) fn from_host_normwise<T: HostElement, D: Dimension>(
        gpu: &GpuContext,
        data: ArrayView<'_, T, D>,
        arith: Arith,
    ) -> Result<Self> {
        Self::upload(gpu, data, arith, false)
    }

    fn upload<T: HostElement, D: Dimension>(
        gpu: &GpuContext,
        data: ArrayView<'_, T, D>,
        arith: Arith,
        refuse_span: bool,
    ) -> Result<Self> {
        let dtype = T::DTYPE;
        let parts = dtype.parts();
        let storage = match (dtype, arith) {
            (DType::Float32 | DType::Complex64, _) => Storage::F32,
            (_, Arith::Single) => {
                // float64 values past float32's range are refused, not stored as infinities.
                let values = data.iter().flat_map(|v| v.parts().into_iter().take(parts));
                Scaling::for_data::<f32>("input", values)?;
                Storage::F32
            }
            (_, Arith::Native64) => Storage::F64,
            (_, Arith::DoubleFloat) => {
                let values = data.iter().flat_map(|v| v.parts().into_iter().take(parts));
                let exponent = if refuse_span {
                    Scaling::for_data::<DoubleFloat>("input", values)?.exponent()
                } else {
                    Scaling::top_exponent(values)
                };
                Storage::DoubleFloat { exponent }
            }
        };
        let reals = data.len() * parts;
        check_size(gpu, reals, storage)?;
        let shape = data.shape().to_vec();
        let same_layout = matches!(
            (storage, dtype),
            (Storage::F32, DType::Float32 | DType::Complex64)
                | (Storage::F64, DType::Float64 | DType::Complex128)
        );
        let buffer = match (same_layout, data.as_slice()) {
            // The common case: standard layout in the stored type goes up as it is.
            (true, Some(slice)) => gpu.upload("array", slice)?,
            _ => match storage {
                Storage::F32 => upload_reals(gpu, &data, parts, |v| v as f32)?,
                Storage::F64 => upload_reals(gpu, &data, parts, |v| v)?,
                Storage::DoubleFloat { exponent } => {
                    let scaling = Scaling::by_exponent(exponent);
                    upload_reals(gpu, &data, parts, |v| scaling.to::<DoubleFloat>(v))?
                }
            },
        };
        Ok(Self {
            gpu: gpu.clone(),
            buffer,
            shape,
            dtype,
            storage,
            drift: 0,
        })
    }

    /// An array made by an operation: `buffer` holds `shape`'s elements in `storage`.
    pub(crate) fn from_parts(
        gpu: &GpuContext,
        buffer: GpuBuffer,
        shape: Vec<usize>,
        dtype: DType,
        storage: Storage,
    ) -> Self {
        Self {
            gpu: gpu.clone(),
            buffer,
            shape,
            dtype,
            storage,
            drift: 0,
        }
    }

    /// How many binades the double-float exponent may overstate the data by.
    pub(crate) fn drift(&self) -> u32 {
        self.drift
    }

    /// This array with `drift` recorded.
    pub(crate) fn with_drift(mut self, drift: u32) -> Self {
        self.drift = drift;
        self
    }

    /// The context the array lives on.
    pub fn gpu(&self) -> &GpuContext {
        &self.gpu
    }

    /// The buffer holding the elements.
    pub fn buffer(&self) -> &GpuBuffer {
        &self.buffer
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// How the elements sit in the buffer.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// Bytes the array takes on the host (NumPy's `nbytes`).
    pub fn nbytes(&self) -> usize {
        self.len() * self.dtype.itemsize()
    }

    /// Downloads the array (one submit, one wait).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `T` is not the array's dtype; GPU errors.
    pub fn to_host<T: HostElement>(&self) -> Result<ArrayD<T>> {
        let mut out = vec![T::from_parts(0.0, 0.0); self.len()];
        self.to_host_into(&mut out)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&self.shape), out).expect("the array's shape"))
    }

    /// Downloads a real array (float32 or float64) as float64: what CPU fallbacks of device
    /// operations compute on (one submit, one wait).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a complex array; GPU errors.
    pub fn to_host_f64(&self) -> Result<ArrayD<f64>> {
        match self.dtype {
            DType::Float32 => Ok(self.to_host::<f32>()?.mapv(f64::from)),
            DType::Float64 => self.to_host::<f64>(),
            other => Err(Error::param(
                "dtype",
                format!("a {} array has no float64 values", other.name()),
            )),
        }
    }

    /// Downloads the array into `out` (NumPy's output array, say), converting straight from
    /// the mapped memory: no intermediate host copy.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `T` is not the array's dtype; [`Error::ShapeMismatch`] when
    /// `out` does not hold exactly its elements; GPU errors.
    pub fn to_host_into<T: HostElement>(&self, out: &mut [T]) -> Result<()> {
        let recording = self.gpu.encoder();
        self.read_into(recording, out)
    }

    /// Records the copy of the array into a read-back buffer in `recording`, submits it and
    /// waits once, then converts into `out`: the end of a host-in, host-out call.
    pub(crate) fn read_into<T: HostElement>(
        &self,
        recording: Recording,
        out: &mut [T],
    ) -> Result<()> {
        if T::DTYPE != self.dtype {
            return Err(Error::param(
                "dtype",
                format!(
                    "a {} array cannot be read into {} memory",
                    self.dtype.name(),
                    T::DTYPE.name()
                ),
            ));
        }
        if out.len() != self.len() {
            return Err(Error::ShapeMismatch {
                what: "output",
                expected: format!("{} elements", self.len()),
                got: vec![out.len()],
            });
        }
        let parts = self.dtype.parts();
        let reals = self.len() * parts;
        let gpu = &self.gpu;
        let what = "reading an array back";
        match (self.storage, T::DTYPE) {
            // Same layout on both sides: straight into the caller's memory.
            (Storage::F32, DType::Float32 | DType::Complex64)
            | (Storage::F64, DType::Float64 | DType::Complex128) => {
                let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
                gpu.submit_and_read_into(what, recording, &self.buffer, 0, bytes)
            }
            (Storage::F32, _) => {
                gpu.submit_and_read_with::<f32>(what, recording, &self.buffer, reals, |mapped| {
                    fill_host(out, parts, mapped.iter().map(|&v| f64::from(v)))
                })
            }
            (Storage::F64, _) => {
                gpu.submit_and_read_with::<f64>(what, recording, &self.buffer, reals, |mapped| {
                    fill_host(out, parts, mapped.iter().copied())
                })
            }
            (storage @ Storage::DoubleFloat { .. }, _) => gpu.submit_and_read_with::<DoubleFloat>(
                what,
                recording,
                &self.buffer,
                reals,
                |mapped| fill_host(out, parts, mapped.iter().map(|p| storage.value(p.to_f64()))),
            ),
        }
    }
}

impl DeviceArray {
    /// Uploads a bool array (NumPy's `bool`, one byte an element) as 32-bit words.
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] for an array past the device's largest buffer; GPU errors.
    pub fn from_host_bool<D: Dimension>(
        gpu: &GpuContext,
        data: ArrayView<'_, bool, D>,
    ) -> Result<Self> {
        check_size(gpu, data.len(), Storage::F32)?;
        let mut values = data.iter();
        let buffer = gpu.upload_with::<u32>("bool array", data.len(), |_, chunk| {
            for slot in chunk {
                *slot = u32::from(*values.next().expect("one value per slot"));
            }
        })?;
        Ok(Self {
            gpu: gpu.clone(),
            buffer,
            shape: data.shape().to_vec(),
            dtype: DType::Bool,
            storage: Storage::F32,
            drift: 0,
        })
    }

    /// Downloads a bool array (one submit, one wait).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for an array that is not bool; GPU errors.
    pub fn to_host_bool(&self) -> Result<ArrayD<bool>> {
        if self.dtype != DType::Bool {
            return Err(Error::param(
                "dtype",
                format!("a {} array is not bool", self.dtype.name()),
            ));
        }
        let mut out = vec![false; self.len()];
        let recording = self.gpu.encoder();
        self.gpu.submit_and_read_with::<u32>(
            "reading a bool array back",
            recording,
            &self.buffer,
            self.len(),
            |mapped| {
                for (slot, &word) in out.iter_mut().zip(mapped.iter()) {
                    *slot = word != 0;
                }
            },
        )?;
        Ok(ArrayD::from_shape_vec(IxDyn(&self.shape), out).expect("the array's shape"))
    }

    /// The real numbers of this array in float64, from its buffer's bytes as a read-back
    /// mapped them (for operations that read several buffers back in one submission).
    pub(crate) fn reals_from_bytes(&self, bytes: &[u8]) -> Vec<f64> {
        match self.storage {
            Storage::F32 => crate::gpu::mapped_as::<f32>(bytes)
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            Storage::F64 => crate::gpu::mapped_as::<f64>(bytes).into_owned(),
            storage @ Storage::DoubleFloat { .. } => crate::gpu::mapped_as::<DoubleFloat>(bytes)
                .iter()
                .map(|p| storage.value(p.to_f64()))
                .collect(),
        }
    }

    /// Bytes of the buffer that hold the elements.
    pub(crate) fn stored_bytes(&self) -> u64 {
        (self.len() * self.dtype.parts() * self.storage.real_bytes()) as u64
    }
}

/// Host in, host out, written once for every capability that records on device arrays: each
/// input uploaded in `arith` ([`DeviceArray::from_host`]: one pass, straight into staging
/// memory), `record` puts the operation into one encoder, and its result is read back once,
/// straight into a new host array of `U` (one submit, one wait). The capability asks its
/// refusal before calling this, so nothing here falls back.
///
/// # Errors
/// As [`DeviceArray::from_host`] and `record`; [`Error::InvalidParam`] when the result is
/// not of dtype `U`; GPU errors.
pub(crate) fn host_call<T: HostElement, U: HostElement>(
    gpu: &GpuContext,
    arith: Arith,
    inputs: &[ndarray::ArrayViewD<'_, T>],
    record: impl FnOnce(&mut Recording, &[DeviceArray]) -> Result<DeviceArray>,
) -> Result<ArrayD<U>> {
    call_through(gpu, arith, inputs, true, record)
}

/// As [`host_call`], the inputs uploaded with [`DeviceArray::from_host_normwise`]: for
/// pieces of a request already refused or accepted as a whole (a blur's tiles, whose later
/// passes may span more binades than the input did).
pub(crate) fn host_call_normwise<T: HostElement, U: HostElement>(
    gpu: &GpuContext,
    arith: Arith,
    inputs: &[ndarray::ArrayViewD<'_, T>],
    record: impl FnOnce(&mut Recording, &[DeviceArray]) -> Result<DeviceArray>,
) -> Result<ArrayD<U>> {
    call_through(gpu, arith, inputs, false, record)
}

fn call_through<T: HostElement, U: HostElement>(
    gpu: &GpuContext,
    arith: Arith,
    inputs: &[ndarray::ArrayViewD<'_, T>],
    refuse_span: bool,
    record: impl FnOnce(&mut Recording, &[DeviceArray]) -> Result<DeviceArray>,
) -> Result<ArrayD<U>> {
    let arrays = inputs
        .iter()
        .map(|input| DeviceArray::upload(gpu, input.view(), arith, refuse_span))
        .collect::<Result<Vec<_>>>()?;
    let mut recording = gpu.encoder();
    let out = record(&mut recording, &arrays)?;
    let mut host = vec![U::from_parts(0.0, 0.0); out.len()];
    out.read_into(recording, &mut host)?;
    Ok(ArrayD::from_shape_vec(IxDyn(out.shape()), host).expect("the result's shape"))
}

/// `out[i]` from consecutive real numbers (`parts` per element).
fn fill_host<T: HostElement>(out: &mut [T], parts: usize, mut reals: impl Iterator<Item = f64>) {
    for slot in out.iter_mut() {
        let re = reals.next().unwrap_or(f64::NAN);
        let im = if parts == 2 {
            reals.next().unwrap_or(f64::NAN)
        } else {
            0.0
        };
        *slot = T::from_parts(re, im);
    }
}

/// Uploads the real numbers of `data` in logical (row-major) order, each converted by `to`.
fn upload_reals<T: HostElement, D: Dimension, E: bytemuck::Pod>(
    gpu: &GpuContext,
    data: &ArrayView<'_, T, D>,
    parts: usize,
    to: impl Fn(f64) -> E,
) -> Result<GpuBuffer> {
    let mut reals = data.iter().flat_map(|v| v.parts().into_iter().take(parts));
    gpu.upload_with::<E>("array", data.len() * parts, |_, chunk| {
        for slot in chunk {
            *slot = to(reals.next().expect("one real per slot"));
        }
    })
}

/// Refuses an array past the device's largest buffer before anything is allocated.
fn check_size(gpu: &GpuContext, reals: usize, storage: Storage) -> Result<()> {
    let bytes = (reals as u64).saturating_mul(storage.real_bytes() as u64);
    let max = gpu.limits().max_buffer_size;
    if bytes > max {
        return Err(Error::ExceedsLimit {
            what: "bytes of one array on this adapter",
            requested: bytes,
            max,
        });
    }
    Ok(())
}
