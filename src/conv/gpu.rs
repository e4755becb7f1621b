//! The GPU path of 1-D convolution and correlation: the direct sum tiled through
//! workgroup memory for short kernels, FFT convolution by overlap-add (our WGSL FFT) for the
//! rest, and the argmax of a correlation for lag finding. Shader: `shaders/conv/conv.wgsl`.
//!
//! Every call computes a window of the full convolution's outputs. Long signals run in
//! chunks of outputs, each from the slice of the signal it needs (the kernel's length of
//! overlap), so that no buffer exceeds one binding.
//!
//! The kernels come in three precisions (`ConvKernels` over a [`DeviceReal`]): float32, and
//! float64 input in native `f64` or double-float; [`ConvGpu`] holds one of them.

use bytemuck::{Pod, Zeroable};
use ndarray::s;

use super::Method;
use crate::array::{DType, DeviceArray, Storage};
use crate::error::{Error, Result};
use crate::fft::gpu::{local_max, real_scratch, FftGpu};
use crate::gpu::GpuBuffer;
use crate::gpu::{
    precision_variants, Arith, DeviceReal, DoubleFloat, GpuContext, Recording, Scaling,
    ShaderVariants,
};

/// The WGSL source in each precision.
pub(crate) const CONV_SHADERS: ShaderVariants = precision_variants!("conv", "conv/conv.wgsl");
/// Outputs per workgroup of the direct kernel and values per workgroup of the argmax
/// (`TILE` in conv.wgsl).
pub const TILE: usize = 256;
/// Threads per workgroup of the overlap-add steps.
const STEP_WG: u64 = 64;
/// `Method::Auto` on the GPU sums directly up to this many taps. Direct work grows with the
/// taps (k multiply-adds per output, read from workgroup memory); overlap-add costs about
/// 2 log2 L butterfly operations per output (L >= 4096) plus eight or more passes over global
/// memory. 64 is an estimate from those counts, not a measurement: no GPU was lent to this
/// project yet, and `gpusci bench --backend gpu` on one should settle it.
pub const GPU_DIRECT_MAX_TAPS: usize = 64;
/// Smallest overlap-add transform of `E`: blocks of half of it still run in workgroup memory
/// (`local_max`), and shorter blocks only add passes.
fn min_block_transform<E: DeviceReal>() -> usize {
    2 * local_max::<E>()
}

/// Kept in sync with `struct ConvUniform` in shaders/conv/conv.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct ConvUniform {
    /// Samples in the signal slice.
    pub(crate) n: u32,
    /// Kernel taps.
    pub(crate) k: u32,
    /// First output, as a full-convolution index of the slice.
    pub(crate) first: u32,
    /// Outputs.
    pub(crate) count: u32,
    /// Overlap-add: samples per block.
    pub(crate) block: u32,
    /// Overlap-add: transform length per block.
    pub(crate) size: u32,
    /// Overlap-add: blocks.
    pub(crate) rows: u32,
    /// Always 1.0 (double-float: see shaders/precision/double_float.wgsl).
    pub(crate) one: f32,
}

impl Default for ConvUniform {
    fn default() -> Self {
        Self {
            one: 1.0,
            ..Zeroable::zeroed()
        }
    }
}

/// How one convolution runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuPlan {
    /// The tiled direct sum.
    Direct,
    /// Overlap-add: blocks of `block` samples in real transforms of `size` points.
    OverlapAdd {
        /// Transform length (a power of two, at least `block + k - 1`).
        size: usize,
        /// Signal samples per block.
        block: usize,
    },
}

/// The convolution pipelines of one context for elements `E`.
#[derive(Debug)]
pub(crate) struct ConvKernels<E: DeviceReal> {
    fft: FftGpu<E>,
    direct: wgpu::ComputePipeline,
    split: wgpu::ComputePipeline,
    multiply: wgpu::ComputePipeline,
    overlap_add: wgpu::ComputePipeline,
    argmax: wgpu::ComputePipeline,
    reverse: wgpu::ComputePipeline,
    direct_2d: wgpu::ComputePipeline,
    multiply_pointwise: wgpu::ComputePipeline,
    gather_2d: wgpu::ComputePipeline,
    pad_2d: wgpu::ComputePipeline,
}

/// The convolution pipelines of one context in one precision: float32 ([`ConvGpu::new`]), or
/// what float64 input computes in ([`ConvGpu::for_arith`]). Inputs and outputs are float64
/// whatever the precision.
#[derive(Debug)]
pub struct ConvGpu {
    kernels: Kernels,
}

#[derive(Debug)]
enum Kernels {
    Single(ConvKernels<f32>),
    Native64(ConvKernels<f64>),
    DoubleFloat(ConvKernels<DoubleFloat>),
}

/// Runs `$body` with `$k` bound to the kernels of whichever precision `$gpu` holds.
macro_rules! with_kernels {
    ($gpu:expr, $k:ident => $body:expr) => {
        match &$gpu.kernels {
            Kernels::Single($k) => $body,
            Kernels::Native64($k) => $body,
            Kernels::DoubleFloat($k) => $body,
        }
    };
}

impl ConvGpu {
    /// Fetches (compiling on first use) the float32 pipelines of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects a shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Self::for_arith(ctx, Arith::Single)
    }

    /// The pipelines computing in `arith` (`Arith::Native64` needs the adapter's
    /// `SHADER_F64`).
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects a shader.
    pub fn for_arith(ctx: &GpuContext, arith: Arith) -> Result<Self> {
        let kernels = match arith {
            Arith::Single => Kernels::Single(ConvKernels::new(ctx)?),
            Arith::Native64 => Kernels::Native64(ConvKernels::new(ctx)?),
            Arith::DoubleFloat => Kernels::DoubleFloat(ConvKernels::new(ctx)?),
        };
        Ok(Self { kernels })
    }

    /// The float32 plan for a signal of `n` samples and a kernel of `k <= n` taps.
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] when one block's spectrum cannot fit a binding.
    pub fn plan(
        ctx: &GpuContext,
        n: usize,
        k: usize,
        method: Method,
        finite: bool,
    ) -> Result<GpuPlan> {
        ConvKernels::<f32>::plan(ctx, n, k, method, finite)
    }

    /// Why the GPU cannot convolve `a` and `v` in `arith`, in words: a kernel (the shorter
    /// input) or one FFT block past one storage binding, or float64 data double-float cannot
    /// hold. `None` when it can (in as many chunks as the signal needs). Asked before anything
    /// is uploaded.
    pub(crate) fn refusal(
        ctx: &GpuContext,
        arith: Arith,
        (a, v): (ndarray::ArrayView1<'_, f64>, ndarray::ArrayView1<'_, f64>),
        method: Method,
    ) -> Option<String> {
        let (n, k) = (a.len().max(v.len()), a.len().min(v.len()));
        // The method host data run with (Auto sums non-finite input directly).
        let method = if method == Method::Auto && a.iter().chain(v.iter()).any(|x| !x.is_finite()) {
            Method::Direct
        } else {
            method
        };
        // Each input is scaled on its own (double-float).
        chunk_outputs(ctx, arith, n, k, method)
            .err()
            .map(|error| error.to_string())
            .or_else(|| Scaling::refusal(arith, a.iter().copied()))
            .or_else(|| Scaling::refusal(arith, v.iter().copied()))
    }

    /// The arithmetic these pipelines compute in.
    pub(crate) fn arith(&self) -> Arith {
        match self.kernels {
            Kernels::Single(_) => Arith::Single,
            Kernels::Native64(_) => Arith::Native64,
            Kernels::DoubleFloat(_) => Arith::DoubleFloat,
        }
    }

    /// The window `((first row, rows), (first column, columns))` of the full 2-D convolution
    /// of `a` and `v`, in this precision. `Method::Auto` sums directly for non-finite input
    /// or kernels of at most [`GPU_DIRECT_MAX_TAPS`] taps, else multiplies 2-D FFTs of the
    /// inputs zero-padded to powers of two.
    ///
    /// Inputs, outputs or padded transforms larger than one storage binding are split: the
    /// larger input into blocks (and the smaller too when it alone is past the binding), each
    /// pair of blocks convolved on the GPU, and their windows added into the result in
    /// float64 (overlap-add; convolution is linear and commutes).
    ///
    /// # Errors
    /// As [`ConvGpu::full_window`].
    pub fn full_window_2d(
        &self,
        ctx: &GpuContext,
        a: ndarray::ArrayView2<'_, f64>,
        v: ndarray::ArrayView2<'_, f64>,
        method: Method,
        window: ((usize, usize), (usize, usize)),
    ) -> Result<ndarray::Array2<f64>> {
        with_kernels!(self, k => k.full_window_2d(ctx, a, v, method, window))
    }
}

/// Kept in sync with `struct Conv2dUniform` in shaders/conv/conv.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct Conv2dUniform {
    /// Image rows.
    pub(crate) a_rows: u32,
    /// Image columns.
    pub(crate) a_cols: u32,
    /// Kernel rows.
    pub(crate) k_rows: u32,
    /// Kernel columns.
    pub(crate) k_cols: u32,
    /// Window origin in the full output: row.
    pub(crate) first_row: u32,
    /// Window origin: column.
    pub(crate) first_col: u32,
    /// Window rows.
    pub(crate) out_rows: u32,
    /// Window columns.
    pub(crate) out_cols: u32,
    /// FFT path: columns of the padded transform.
    pub(crate) fft_cols: u32,
    /// Always 1.0 (double-float: see shaders/precision/double_float.wgsl).
    pub(crate) one: f32,
    /// Padding.
    pub(crate) _pad: [u32; 2],
}

impl Default for Conv2dUniform {
    fn default() -> Self {
        Self {
            one: 1.0,
            ..Zeroable::zeroed()
        }
    }
}

/// Device memory one batch of tiled 2-D convolutions may hold, in bindings.
const BATCH_BINDINGS: u64 = 4;

/// One pair's window in a batch: (offset in the gathered buffer, (first row, rows) and
/// (first column, columns) of the result it adds to, how its values are stored).
type GatheredPart = (usize, (usize, usize), (usize, usize), Storage);

/// Pairs of blocks recorded into one submission, their windows gathered in one buffer of
/// elements `E`.
struct Batch<E> {
    /// Opened by the first pair recorded, so that between batches no encoder is open and the
    /// pool can reuse what the last batch released.
    encoder: Option<crate::gpu::Recording>,
    gathered: GpuBuffer,
    /// Elements used in `gathered`, of `capacity`.
    used: usize,
    capacity: usize,
    held: u64,
    limit: u64,
    parts: Vec<GatheredPart>,
    element: std::marker::PhantomData<E>,
}

impl<E: DeviceReal> Batch<E> {
    const BYTES: u64 = std::mem::size_of::<E>() as u64;

    fn new(ctx: &GpuContext, budget: u64) -> Result<Self> {
        Ok(Self {
            encoder: None,
            gathered: ctx.storage_buffer("conv2d gathered windows", budget)?,
            used: 0,
            capacity: (budget / Self::BYTES) as usize,
            held: budget,
            limit: BATCH_BINDINGS * budget,
            parts: Vec::new(),
            element: std::marker::PhantomData,
        })
    }

    /// The batch's encoder, opened on first use.
    fn recording(&mut self, ctx: &GpuContext) -> &mut crate::gpu::Recording {
        self.encoder.get_or_insert_with(|| ctx.encoder())
    }

    /// Whether a pair with a window of `count` elements, holding `held` bytes of device memory
    /// while recorded, still fits (an empty batch takes any pair: each fits one binding).
    fn has_room(&self, count: usize, held: u64) -> bool {
        self.parts.is_empty()
            || (self.used + count <= self.capacity && self.held + held <= self.limit)
    }

    fn add(
        &mut self,
        ctx: &GpuContext,
        part: &GpuBuffer,
        held: u64,
        rows: (usize, usize),
        cols: (usize, usize),
        storage: Storage,
    ) -> Result<()> {
        let count = rows.1 * cols.1;
        let (gathered, used) = (&self.gathered, self.used);
        let encoder = self.encoder.get_or_insert_with(|| ctx.encoder());
        ctx.scoped("gathering a 2-D window", || {
            encoder.copy_buffer_to_buffer(
                part,
                0,
                gathered,
                used as u64 * Self::BYTES,
                count as u64 * Self::BYTES,
            );
        })?;
        self.parts.push((self.used, rows, cols, storage));
        self.used += count;
        self.held += held;
        Ok(())
    }

    /// Submits the batch and adds each window's values into `out`; the batch is then empty
    /// again (its gathering buffer reused).
    fn flush(&mut self, ctx: &GpuContext, out: &mut ndarray::Array2<f64>) -> Result<()> {
        if self.parts.is_empty() {
            return Ok(());
        }
        let Some(encoder) = self.encoder.take() else {
            return Ok(());
        };
        let values = ctx.submit_and_read::<E>(
            "a batch of 2-D convolutions",
            encoder,
            &self.gathered,
            0,
            self.used,
        )?;
        for (offset, (r, n_r), (c, n_c), storage) in self.parts.drain(..) {
            let part = &values[offset..offset + n_r * n_c];
            let mut target = out.slice_mut(s![r..r + n_r, c..c + n_c]);
            for (t, &p) in target.iter_mut().zip(part) {
                *t += storage.value(p.to_f64());
            }
        }
        self.used = 0;
        self.held = self.capacity as u64 * Self::BYTES;
        Ok(())
    }
}

/// Bytes of device memory one recorded pair holds until its submission: the window, and the
/// two inputs (direct) or the two padded inputs, work, scratch and two spectra (FFT), in
/// elements of `element` bytes.
fn pair_held(
    element: u64,
    direct: bool,
    a: (usize, usize),
    v: (usize, usize),
    window: usize,
) -> u64 {
    let inputs = if direct {
        (a.0 * a.1 + v.0 * v.1) as u64 * element
    } else {
        let padded = (a.0 + v.0 - 1).next_power_of_two() * (a.1 + v.1 - 1).next_power_of_two();
        6 * padded as u64 * 2 * element
    };
    inputs + window as u64 * element
}

/// Whether a 2-D convolution of an `a`-shaped and a `v`-shaped block runs in one binding:
/// each input and the whole full output (direct), or the padded complex transform (FFT), in
/// elements of `element` bytes.
fn pair_fits(
    element: u64,
    direct: bool,
    budget: u64,
    a: (usize, usize),
    v: (usize, usize),
) -> bool {
    let full = ((a.0 + v.0 - 1) as u64) * ((a.1 + v.1 - 1) as u64);
    if direct {
        let largest = ((a.0 * a.1) as u64).max((v.0 * v.1) as u64).max(full);
        largest * element <= budget
    } else {
        let padded = ((a.0 + v.0 - 1).next_power_of_two() as u64)
            * ((a.1 + v.1 - 1).next_power_of_two() as u64);
        padded * 2 * element <= budget
    }
}

impl<E: DeviceReal> ConvKernels<E> {
    /// Fetches (compiling on first use) the pipelines of `ctx` for elements `E`.
    pub(crate) fn new(ctx: &GpuContext) -> Result<Self> {
        let p = |entry| CONV_SHADERS.pipeline(ctx, E::ARITH, entry);
        Ok(Self {
            fft: FftGpu::new(ctx)?,
            direct: p("direct")?,
            split: p("split_blocks")?,
            multiply: p("multiply")?,
            overlap_add: p("overlap_add")?,
            argmax: p("argmax")?,
            reverse: p("reverse")?,
            direct_2d: p("direct_2d")?,
            multiply_pointwise: p("multiply_pointwise")?,
            gather_2d: p("gather_2d")?,
            pad_2d: p("pad_2d")?,
        })
    }

    /// Bytes of one element.
    const BYTES: u64 = std::mem::size_of::<E>() as u64;

    /// The plan for a signal of `n` samples and a kernel of `k <= n` taps.
    pub(crate) fn plan(
        ctx: &GpuContext,
        n: usize,
        k: usize,
        method: Method,
        finite: bool,
    ) -> Result<GpuPlan> {
        let direct = match method {
            Method::Direct => true,
            Method::Fft => false,
            Method::Auto => !finite || k <= GPU_DIRECT_MAX_TAPS,
        };
        if direct {
            return Ok(GpuPlan::Direct);
        }
        let binding = ctx.max_binding_bytes() as usize;
        let whole = (n + k - 1).next_power_of_two().max(2);
        let blocked = (8 * k).next_power_of_two().max(min_block_transform::<E>());
        let mut size = whole.min(blocked);
        // A smaller transform where a binding cannot hold the spectrum, as long as blocks
        // stay at least as long as the kernel (so at most two overlap at any output).
        while spectrum_bytes::<E>(size) > binding && size / 2 > 2 * k {
            size /= 2;
        }
        if spectrum_bytes::<E>(size) > binding {
            return Err(Error::ExceedsLimit {
                what: "kernel taps for FFT convolution on the GPU",
                requested: k as u64,
                max: (binding / (4 * Self::BYTES as usize)) as u64,
            });
        }
        Ok(GpuPlan::OverlapAdd {
            size,
            block: size - k + 1,
        })
    }

    /// Whether outputs `[start, start + len)` of the full convolution of `n` signal samples
    /// and `k <= n` taps run in one pass under `plan`: the signal, the kernel, the output and
    /// (overlap-add) the blocks' spectra each in one storage binding, with u32 indices. What
    /// device arrays need: their operands cannot be cut into chunks without copies.
    pub(crate) fn fits_one_pass(
        ctx: &GpuContext,
        plan: GpuPlan,
        n: usize,
        k: usize,
        len: usize,
    ) -> bool {
        let binding = ctx.max_binding_bytes();
        let bytes = |count: usize| count as u64 * Self::BYTES;
        let largest = match plan {
            GpuPlan::Direct => bytes(n.max(len)),
            GpuPlan::OverlapAdd { size, block } => {
                (n.div_ceil(block) * spectrum_bytes::<E>(size)) as u64
            }
        };
        n.max(len) < 1 << 30 && bytes(k) <= binding && bytes(len) <= binding && largest <= binding
    }

    /// Records outputs `[start, start + len)` of the full convolution of the `n` samples in
    /// `signal` and the `k <= n` taps in `kernel` (the caller has checked
    /// [`ConvKernels::fits_one_pass`]); returns the buffer of `len` outputs. Nothing is
    /// submitted: the kernel's spectrum (overlap-add) and the convolution share `recording`.
    pub(crate) fn record_window(
        &self,
        ctx: &GpuContext,
        recording: &mut crate::gpu::Recording,
        (signal, n): (&GpuBuffer, usize),
        (kernel, k): (&GpuBuffer, usize),
        plan: GpuPlan,
        (start, len): (usize, usize),
    ) -> Result<GpuBuffer> {
        let out = ctx.storage_buffer("conv output", len as u64 * Self::BYTES)?;
        let uniform = ConvUniform {
            n: n as u32,
            k: k as u32,
            first: start as u32,
            count: len as u32,
            ..Default::default()
        };
        match plan {
            GpuPlan::Direct => {
                let u = ctx.uniform("conv uniform", &uniform)?;
                ctx.record_dispatch(
                    "direct convolution",
                    recording,
                    &self.direct,
                    &[&u, signal, kernel, &out],
                    len.div_ceil(TILE) as u64,
                )?;
            }
            GpuPlan::OverlapAdd { size, block } => {
                let spectrum = self.record_kernel_spectrum(ctx, recording, (kernel, k), size)?;
                self.record_overlap_add(
                    ctx,
                    recording,
                    (signal, &spectrum, &out),
                    ConvUniform {
                        block: block as u32,
                        size: size as u32,
                        rows: n.div_ceil(block) as u32,
                        ..uniform
                    },
                )?;
            }
        }
        Ok(out)
    }

    /// Records the real spectrum of the `k` taps in `kernel` zero-padded to `size` points.
    fn record_kernel_spectrum(
        &self,
        ctx: &GpuContext,
        recording: &mut crate::gpu::Recording,
        (kernel, k): (&GpuBuffer, usize),
        size: usize,
    ) -> Result<GpuBuffer> {
        // split_blocks with one block of the whole transform is the zero padding.
        let u = ctx.uniform(
            "conv uniform",
            &ConvUniform {
                n: k as u32,
                block: size as u32,
                size: size as u32,
                rows: 1,
                ..Default::default()
            },
        )?;
        let padded = ctx.storage_buffer("conv kernel padded", size as u64 * Self::BYTES)?;
        ctx.record_dispatch(
            "conv kernel padding",
            recording,
            &self.split,
            &[&u, kernel, &padded],
            (size as u64).div_ceil(STEP_WG),
        )?;
        let spectrum =
            ctx.storage_buffer("conv kernel spectrum", spectrum_bytes::<E>(size) as u64)?;
        let (scratch, scratch2) = real_scratch::<E>(ctx, size, 1)?;
        self.fft.record_r2c(
            ctx,
            recording,
            &padded,
            &spectrum,
            (&scratch, &scratch2),
            size,
            1,
        )?;
        Ok(spectrum)
    }

    /// Records `buffer`'s `n` elements reversed, into a new buffer.
    pub(crate) fn record_reverse(
        &self,
        ctx: &GpuContext,
        recording: &mut crate::gpu::Recording,
        buffer: &GpuBuffer,
        n: usize,
    ) -> Result<GpuBuffer> {
        let u = ctx.uniform(
            "reverse uniform",
            &ConvUniform {
                n: n as u32,
                ..Default::default()
            },
        )?;
        let out = ctx.storage_buffer("reversed operand", n as u64 * Self::BYTES)?;
        ctx.record_dispatch(
            "reversing an operand",
            recording,
            &self.reverse,
            &[&u, buffer, &out],
            (n as u64).div_ceil(STEP_WG),
        )?;
        Ok(out)
    }

    /// Records the argmax reduction of the `count` values in `values`: per workgroup of
    /// [`TILE`] values, its peak's value and index (the first on ties), in two new buffers.
    pub(crate) fn record_argmax(
        &self,
        ctx: &GpuContext,
        recording: &mut crate::gpu::Recording,
        values: &GpuBuffer,
        count: usize,
    ) -> Result<(GpuBuffer, GpuBuffer)> {
        let groups = count.div_ceil(TILE);
        let uniform = ctx.uniform(
            "argmax uniform",
            &ConvUniform {
                count: count as u32,
                ..Default::default()
            },
        )?;
        let indices = ctx.storage_buffer("argmax indices", groups as u64 * 4)?;
        let peaks = ctx.storage_buffer("argmax values", groups as u64 * Self::BYTES)?;
        ctx.record_dispatch(
            "argmax",
            recording,
            &self.argmax,
            &[&uniform, values, &indices, &peaks],
            groups as u64,
        )?;
        Ok((peaks, indices))
    }

    /// [`ConvGpu::full_window_2d`] in `E`: resident through [`crate::array::host_call`]
    /// when the pair fits one binding, else in blocks.
    fn full_window_2d(
        &self,
        ctx: &GpuContext,
        a: ndarray::ArrayView2<'_, f64>,
        v: ndarray::ArrayView2<'_, f64>,
        method: Method,
        window: ((usize, usize), (usize, usize)),
    ) -> Result<ndarray::Array2<f64>> {
        let finite = a.iter().chain(v.iter()).all(|x| x.is_finite());
        let direct = match method {
            Method::Direct => true,
            Method::Fft => false,
            Method::Auto => !finite || v.len().min(a.len()) <= GPU_DIRECT_MAX_TAPS,
        };
        // Convolution commutes: the larger input is the one cut into many blocks.
        let (a, v) = if a.len() >= v.len() { (a, v) } else { (v, a) };
        if Self::fits_2d(ctx, direct, a.dim(), v.dim(), window) {
            let inputs = [a.into_dyn(), v.into_dyn()];
            let out: ndarray::ArrayD<f64> =
                crate::array::host_call(ctx, E::ARITH, &inputs, |recording, arrays| {
                    record_2d(recording, &arrays[0], &arrays[1], false, direct, window)
                })?;
            return Ok(out.into_dimensionality().expect("2-D"));
        }
        self.window_2d_tiled(ctx, (a, v), direct, window)
    }

    /// Whether a 2-D convolution of an `a`-shaped and a `v`-shaped array runs in one pass:
    /// the inputs, the window and (FFT) the padded transform each in one binding.
    pub(crate) fn fits_2d(
        ctx: &GpuContext,
        direct: bool,
        a: (usize, usize),
        v: (usize, usize),
        ((_, out_rows), (_, out_cols)): ((usize, usize), (usize, usize)),
    ) -> bool {
        let budget = ctx.max_binding_bytes();
        pair_fits(Self::BYTES, direct, budget, a, v)
            && (out_rows * out_cols) as u64 * Self::BYTES <= budget
    }

    /// [`ConvGpu::full_window_2d`] past one binding: blocks of `v` small enough that a block
    /// of `a` as large fits with it, then the largest blocks of `a` that fit; each pair's part
    /// of the window computed on the GPU and added in float64.
    fn window_2d_tiled(
        &self,
        ctx: &GpuContext,
        (a, v): (ndarray::ArrayView2<'_, f64>, ndarray::ArrayView2<'_, f64>),
        direct: bool,
        ((r0, rows), (c0, cols)): ((usize, usize), (usize, usize)),
    ) -> Result<ndarray::Array2<f64>> {
        let budget = ctx.max_binding_bytes();
        let fits = |a, v| pair_fits(Self::BYTES, direct, budget, a, v);
        let halve = |(r, c): (usize, usize)| {
            if r >= c {
                (r.div_ceil(2), c)
            } else {
                (r, c.div_ceil(2))
            }
        };
        let mut v_block = v.dim();
        while !fits(v_block, v_block) {
            if v_block == (1, 1) {
                return Err(Error::ExceedsLimit {
                    what: "bytes of one block of a 2-D convolution on the GPU",
                    requested: 64,
                    max: budget,
                });
            }
            v_block = halve(v_block);
        }
        let mut a_block = a.dim();
        while !fits(a_block, v_block) {
            a_block = halve(a_block);
        }
        let mut out = ndarray::Array2::<f64>::zeros((rows, cols));
        // Where a pair's full convolution (`len` outputs from full-output index `offset`)
        // meets the window (`count` outputs from `first`): (window index, pair index, length).
        let span = |len: usize, offset: usize, first: usize, count: usize| {
            let lo = offset.max(first);
            let hi = (offset + len).min(first + count);
            (lo < hi).then(|| (lo - first, lo - offset, hi - lo))
        };
        // Pairs are recorded in batches, one submission and one read-back each: every pair's
        // window is copied into one buffer of at most a binding, and a batch holds at most
        // BATCH_BINDINGS bindings of device memory (or a single pair, whatever it holds).
        let mut batch = Batch::<E>::new(ctx, budget)?;
        for ai in (0..a.nrows()).step_by(a_block.0) {
            let a_rows = a_block.0.min(a.nrows() - ai);
            for aj in (0..a.ncols()).step_by(a_block.1) {
                let a_cols = a_block.1.min(a.ncols() - aj);
                let a_part = a.slice(s![ai..ai + a_rows, aj..aj + a_cols]);
                for vp in (0..v.nrows()).step_by(v_block.0) {
                    let v_rows = v_block.0.min(v.nrows() - vp);
                    for vq in (0..v.ncols()).step_by(v_block.1) {
                        let v_cols = v_block.1.min(v.ncols() - vq);
                        // The pair's full convolution starts at (ai + vp, aj + vq).
                        let Some((out_r, pair_r, n_r)) =
                            span(a_rows + v_rows - 1, ai + vp, r0, rows)
                        else {
                            continue;
                        };
                        let Some((out_c, pair_c, n_c)) =
                            span(a_cols + v_cols - 1, aj + vq, c0, cols)
                        else {
                            continue;
                        };
                        let held = pair_held(
                            Self::BYTES,
                            direct,
                            (a_rows, a_cols),
                            (v_rows, v_cols),
                            n_r * n_c,
                        );
                        if !batch.has_room(n_r * n_c, held) {
                            batch.flush(ctx, &mut out)?;
                        }
                        let v_part = v.slice(s![vp..vp + v_rows, vq..vq + v_cols]);
                        // Each block uploaded as a device array (a double-float block
                        // with its own scaling), then recorded as a resident pair.
                        let x = DeviceArray::from_host(ctx, a_part, E::ARITH)?;
                        let y = DeviceArray::from_host(ctx, v_part, E::ARITH)?;
                        let part = self.record_window_2d(
                            ctx,
                            batch.recording(ctx),
                            (x.buffer(), a_part.dim()),
                            (y.buffer(), v_part.dim()),
                            direct,
                            ((pair_r, n_r), (pair_c, n_c)),
                        )?;
                        let storage = product_storage(&x, &y);
                        batch.add(ctx, &part, held, (out_r, n_r), (out_c, n_c), storage)?;
                    }
                }
            }
        }
        batch.flush(ctx, &mut out)?;
        Ok(out)
    }

    /// Records one resident 2-D convolution of the `a`-shaped array in `image` and the
    /// `v`-shaped array in `kernel` (row-major `E`) into `encoder`; returns the buffer that
    /// will hold the window (row-major `E`). It holds [`pair_held`] bytes of device memory
    /// until the submission.
    pub(crate) fn record_window_2d(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (image, a): (&GpuBuffer, (usize, usize)),
        (kernel, v): (&GpuBuffer, (usize, usize)),
        direct: bool,
        ((first_row, out_rows), (first_col, out_cols)): ((usize, usize), (usize, usize)),
    ) -> Result<GpuBuffer> {
        let count = out_rows * out_cols;
        let mut uniform = Conv2dUniform {
            a_rows: a.0 as u32,
            a_cols: a.1 as u32,
            k_rows: v.0 as u32,
            k_cols: v.1 as u32,
            first_row: first_row as u32,
            first_col: first_col as u32,
            out_rows: out_rows as u32,
            out_cols: out_cols as u32,
            ..Default::default()
        };
        let out = ctx.storage_buffer("conv2d output", count as u64 * Self::BYTES)?;
        ctx.poison_f32(&out, count * E::words());
        if direct {
            let u = ctx.uniform("conv2d uniform", &uniform)?;
            ctx.record_dispatch(
                "direct 2-D convolution",
                encoder,
                &self.direct_2d,
                &[&u, image, kernel, &out],
                (count as u64).div_ceil(STEP_WG),
            )?;
        } else {
            let rows = (a.0 + v.0 - 1).next_power_of_two();
            let cols = (a.1 + v.1 - 1).next_power_of_two();
            let bytes = (rows * cols) as u64 * 2 * Self::BYTES;
            uniform.fft_cols = cols as u32;
            // Both inputs zero-padded into complex transforms on the device.
            let fa = self.record_pad_2d(ctx, encoder, (image, a), (rows, cols))?;
            let fv = self.record_pad_2d(ctx, encoder, (kernel, v), (rows, cols))?;
            let work = ctx.storage_buffer("conv2d work", bytes)?;
            let scratch = ctx.storage_buffer("conv2d scratch", bytes)?;
            let sa = ctx.storage_buffer("conv2d image spectrum", bytes)?;
            let sv = ctx.storage_buffer("conv2d kernel spectrum", bytes)?;
            self.fft
                .record_fft2(ctx, encoder, (&fa, &work, &scratch, &sa), rows, cols, false)?;
            self.fft
                .record_fft2(ctx, encoder, (&fv, &work, &scratch, &sv), rows, cols, false)?;
            let product = ctx.uniform(
                "conv2d product uniform",
                &ConvUniform {
                    count: (rows * cols) as u32,
                    ..Default::default()
                },
            )?;
            ctx.record_dispatch(
                "2-D spectra product",
                encoder,
                &self.multiply_pointwise,
                &[&product, &sv, &sa],
                ((rows * cols) as u64).div_ceil(STEP_WG),
            )?;
            // The inverse lands in `fa` (its padded input is no longer needed).
            self.fft
                .record_fft2(ctx, encoder, (&sa, &work, &scratch, &fa), rows, cols, true)?;
            let u = ctx.uniform("conv2d uniform", &uniform)?;
            ctx.record_dispatch(
                "2-D window",
                encoder,
                &self.gather_2d,
                &[&u, &fa, &out],
                (count as u64).div_ceil(STEP_WG),
            )?;
        }
        Ok(out)
    }

    /// Records the `dim`-shaped reals in `source` zero-padded into a new `rows x cols`
    /// complex buffer.
    fn record_pad_2d(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (source, dim): (&GpuBuffer, (usize, usize)),
        (rows, cols): (usize, usize),
    ) -> Result<GpuBuffer> {
        let padded = ctx.storage_buffer(
            "conv2d padded input",
            (rows * cols) as u64 * 2 * Self::BYTES,
        )?;
        let u = ctx.uniform(
            "conv2d padding uniform",
            &Conv2dUniform {
                a_rows: dim.0 as u32,
                a_cols: dim.1 as u32,
                out_rows: rows as u32,
                fft_cols: cols as u32,
                ..Default::default()
            },
        )?;
        ctx.record_dispatch(
            "2-D zero padding",
            encoder,
            &self.pad_2d,
            &[&u, source, &padded],
            ((rows * cols) as u64).div_ceil(STEP_WG),
        )?;
        Ok(padded)
    }

    /// The plan for `n` samples and `k <= n` taps, and the outputs one chunk holds (each
    /// chunk's signal slice within one binding).
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] when the kernel alone (or one block's spectrum) is past one
    /// binding: [`ConvGpu::refusal`] names it before anything is uploaded.
    pub(crate) fn chunks(
        ctx: &GpuContext,
        n: usize,
        k: usize,
        method: Method,
        finite: bool,
    ) -> Result<(GpuPlan, usize)> {
        let plan = Self::plan(ctx, n, k, method, finite)?;
        let binding = ctx.max_binding_bytes() as usize;
        let element = Self::BYTES as usize;
        let chunk = match plan {
            GpuPlan::Direct => (binding / element).saturating_sub(k - 1),
            GpuPlan::OverlapAdd { size, block } => {
                (binding / spectrum_bytes::<E>(size) * block).saturating_sub(k - 1)
            }
        }
        // u32 indices in the shaders.
        .min(1 << 30);
        if chunk == 0 || element * k > binding {
            return Err(Error::ExceedsLimit {
                what: "kernel taps for convolution on the GPU",
                requested: k as u64,
                max: (binding / (2 * element)) as u64,
            });
        }
        Ok((plan, chunk))
    }

    /// Blocks, their spectra times the kernel's, inverse transforms, overlapping tails
    /// added: all recorded on one encoder.
    fn record_overlap_add(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (slice, kernel_spectrum, out): (&GpuBuffer, &GpuBuffer, &GpuBuffer),
        u: ConvUniform,
    ) -> Result<()> {
        let (rows, size) = (u.rows as usize, u.size as usize);
        let uniform = ctx.uniform("conv uniform", &u)?;
        let blocks = ctx.storage_buffer("conv blocks", (rows * size) as u64 * Self::BYTES)?;
        let spectra =
            ctx.storage_buffer("conv spectra", (rows * spectrum_bytes::<E>(size)) as u64)?;
        let (scratch, scratch2) = real_scratch::<E>(ctx, size, rows)?;
        ctx.record_dispatch(
            "conv blocks",
            encoder,
            &self.split,
            &[&uniform, slice, &blocks],
            ((rows * size) as u64).div_ceil(STEP_WG),
        )?;
        self.fft.record_r2c(
            ctx,
            encoder,
            &blocks,
            &spectra,
            (&scratch, &scratch2),
            size,
            rows,
        )?;
        ctx.record_dispatch(
            "conv spectra product",
            encoder,
            &self.multiply,
            &[&uniform, kernel_spectrum, &spectra],
            ((rows * (size / 2 + 1)) as u64).div_ceil(STEP_WG),
        )?;
        // The blocks' inverse transforms overwrite the blocks, which are no longer needed.
        self.fft.record_c2r(
            ctx,
            encoder,
            &spectra,
            &blocks,
            (&scratch, &scratch2),
            size,
            rows,
        )?;
        ctx.record_dispatch(
            "conv overlap-add",
            encoder,
            &self.overlap_add,
            &[&uniform, &blocks, out],
            u64::from(u.count).div_ceil(STEP_WG),
        )
    }
}

/// Bytes of the `size / 2 + 1` complex bins of one block.
fn spectrum_bytes<E: DeviceReal>(size: usize) -> usize {
    (size / 2 + 1) * 2 * std::mem::size_of::<E>()
}

/// Both operands non-empty, as NumPy requires.
pub(crate) fn check_operands(a: &[f64], v: &[f64]) -> Result<()> {
    if a.is_empty() {
        return Err(Error::EmptyInput("first input"));
    }
    if v.is_empty() {
        return Err(Error::EmptyInput("second input"));
    }
    Ok(())
}

/// The plan of a one-pass convolution of `n` samples and `k <= n` taps in `arith`, or why
/// there is none.
pub(crate) fn one_pass_plan(
    ctx: &GpuContext,
    arith: Arith,
    n: usize,
    k: usize,
    method: Method,
) -> std::result::Result<GpuPlan, String> {
    match arith {
        Arith::Single => one_pass::<f32>(ctx, n, k, method),
        Arith::Native64 => one_pass::<f64>(ctx, n, k, method),
        Arith::DoubleFloat => one_pass::<DoubleFloat>(ctx, n, k, method),
    }
}

pub(crate) fn one_pass<E: DeviceReal>(
    ctx: &GpuContext,
    n: usize,
    k: usize,
    method: Method,
) -> std::result::Result<GpuPlan, String> {
    let plan = ConvKernels::<E>::plan(ctx, n, k, method, true).map_err(|e| e.to_string())?;
    // The full convolution bounds every mode's window.
    if ConvKernels::<E>::fits_one_pass(ctx, plan, n, k, n + k - 1) {
        Ok(plan)
    } else {
        Err("an input or the output is past one GPU storage binding".into())
    }
}

/// Outputs per chunk of the convolution of `n` samples and `k <= n` taps in `arith`: the most
/// whose slice of the signal (`chunk + k - 1` samples), the kernel and the slice's full
/// convolution run in one pass.
///
/// # Errors
/// [`Error::ExceedsLimit`] when the kernel alone (or one block's spectrum) is past one binding.
pub(crate) fn chunk_outputs(
    ctx: &GpuContext,
    arith: Arith,
    n: usize,
    k: usize,
    method: Method,
) -> Result<usize> {
    let finite = true;
    let (_, first_guess) = match arith {
        Arith::Single => ConvKernels::<f32>::chunks(ctx, n, k, method, finite)?,
        Arith::Native64 => ConvKernels::<f64>::chunks(ctx, n, k, method, finite)?,
        Arith::DoubleFloat => ConvKernels::<DoubleFloat>::chunks(ctx, n, k, method, finite)?,
    };
    // The slice's full convolution is k - 1 outputs longer than the slice: start one kernel
    // shorter than the signal slices fit, and halve until the one-pass plan takes it.
    let mut chunk = first_guess.saturating_sub(k - 1).min(n + k - 1);
    while chunk > 0 && one_pass_plan(ctx, arith, chunk + k - 1, k, method).is_err() {
        chunk /= 2;
    }
    if chunk == 0 {
        return Err(Error::ExceedsLimit {
            what: "kernel taps for convolution on the GPU",
            requested: k as u64,
            max: first_guess.saturating_sub(k) as u64,
        });
    }
    Ok(chunk)
}

/// How a convolution of `in1` and `in2` (stored alike) is stored: double-float stores
/// value * 2^-exponent, and a product's exponents add.
pub(crate) fn product_storage(in1: &DeviceArray, in2: &DeviceArray) -> Storage {
    match (in1.storage(), in2.storage()) {
        (Storage::DoubleFloat { exponent: a }, Storage::DoubleFloat { exponent: b }) => {
            Storage::DoubleFloat { exponent: a + b }
        }
        (storage, _) => storage,
    }
}

/// Rows and columns of a 2-D array.
pub(crate) fn dim2(array: &DeviceArray) -> (usize, usize) {
    (array.shape()[0], array.shape()[1])
}

/// Records the 2-D convolution of `in1` and `in2` (2-D arrays stored alike, the caller has
/// checked the refusal): outputs `window` of the full convolution (`in2` turned by 180
/// degrees on the device when `turn`, for a correlation: reversing the row-major elements turns it).
pub(crate) fn record_2d(
    recording: &mut Recording,
    in1: &DeviceArray,
    in2: &DeviceArray,
    turn: bool,
    direct: bool,
    window: ((usize, usize), (usize, usize)),
) -> Result<DeviceArray> {
    match in1.storage().arith() {
        Arith::Single => record_2d_in::<f32>(recording, in1, in2, turn, direct, window),
        Arith::Native64 => record_2d_in::<f64>(recording, in1, in2, turn, direct, window),
        Arith::DoubleFloat => {
            record_2d_in::<DoubleFloat>(recording, in1, in2, turn, direct, window)
        }
    }
}

fn record_2d_in<E: DeviceReal>(
    recording: &mut Recording,
    in1: &DeviceArray,
    in2: &DeviceArray,
    turn: bool,
    direct: bool,
    window: ((usize, usize), (usize, usize)),
) -> Result<DeviceArray> {
    let ctx = in1.gpu();
    let kernels = ConvKernels::<E>::new(ctx)?;
    let second = if turn {
        kernels.record_reverse(ctx, recording, in2.buffer(), in2.len())?
    } else {
        in2.buffer().clone()
    };
    // Convolution commutes: the larger operand is the image.
    let (first, second) = ((in1.buffer(), dim2(in1)), (&second, dim2(in2)));
    let (image, kernel) = if in1.len() >= in2.len() {
        (first, second)
    } else {
        (second, first)
    };
    let out = kernels.record_window_2d(ctx, recording, image, kernel, direct, window)?;
    let ((_, rows), (_, cols)) = window;
    Ok(DeviceArray::from_parts(
        ctx,
        out,
        vec![rows, cols],
        output_dtype(in1, in2),
        product_storage(in1, in2),
    ))
}

/// NumPy's promotion: float32 only when both inputs are.
pub(crate) fn output_dtype(in1: &DeviceArray, in2: &DeviceArray) -> DType {
    if in1.dtype() == DType::Float32 && in2.dtype() == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    }
}
