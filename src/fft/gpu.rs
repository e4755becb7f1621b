//! The GPU FFT: Stockham passes (`shaders/fft/fft.wgsl`) and the real/2-D steps around them
//! (`shaders/fft/pack.wgsl`). Buffers hold complex values of `E` ([`DeviceReal`]: float32, or
//! float64 input in native `f64` or double-float), one WGSL source for the three.
//!
//! [`FftGpu`] transforms host data (rows batched, chunked by rows when a batch exceeds one
//! buffer binding); the `record_*` methods chain transforms on data already on the GPU (the
//! convolutions use them).

use bytemuck::{Pod, Zeroable};

use super::{check_rows, check_size, whole_rows, Complex};
use crate::error::{Error, Result};
use crate::gpu::{f64_parts, precision_variants, DeviceReal, GpuContext, ShaderVariants};
use crate::gpu::{Arith, DoubleFloat, GpuBuffer};

/// The Stockham passes.
pub(crate) const FFT_SHADERS: ShaderVariants = precision_variants!("fft", "fft/fft.wgsl");
/// Real-transform packing and the transpose.
pub(crate) const PACK_SHADERS: ShaderVariants = precision_variants!("fft pack", "fft/pack.wgsl");
/// The chirp steps of Bluestein's algorithm.
pub(crate) const BLUESTEIN_SHADERS: ShaderVariants =
    precision_variants!("bluestein", "fft/bluestein.wgsl");
/// Largest radix of the mixed-radix passes (`MAX_RADIX` in fft.wgsl): lengths whose prime
/// factors are all 2, 3, 5, 7, 11 or 13 run as Stockham passes; others through Bluestein.
pub const MAX_RADIX: u32 = 13;
/// The odd primes the mixed-radix passes take.
const ODD_RADICES: [usize; 5] = [3, 5, 7, 11, 13];
/// Longest float32 row transformed in workgroup memory in one dispatch (`LOCAL_MAX` in
/// fft.wgsl): 2048 complex float32 fill WebGPU's guaranteed 16 KiB of workgroup storage.
pub const LOCAL_MAX: usize = 2048;
/// Threads per workgroup of the global passes and packing kernels.
const GLOBAL_WG: u64 = 64;

/// Longest row of `E` transformed in workgroup memory (1024 for 8-byte elements).
pub fn local_max<E: DeviceReal>() -> usize {
    LOCAL_MAX / E::words()
}

/// Bytes of one complex `E`.
fn complex_bytes<E: DeviceReal>() -> u64 {
    2 * std::mem::size_of::<E>() as u64
}

/// Kept in sync with `struct FftUniform` in shaders/fft/fft.wgsl (src/shader_checks.rs compares
/// fields and offsets).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct FftUniform {
    /// Points per row.
    pub(crate) n: u32,
    /// Sub-transform length before this pass.
    pub(crate) p: u32,
    /// Rows in the batch.
    pub(crate) rows: u32,
    /// Twiddle-table entries per 1/n turn.
    pub(crate) tw_stride: u32,
    /// -1 forward, +1 inverse.
    pub(crate) sign: f32,
    /// Applied to this pass's outputs (1/n on the last inverse pass): float32 nearest.
    pub(crate) scale: f32,
    /// `pass_radix_any`: this pass's radix.
    pub(crate) radix: u32,
    /// The rest of the float64 scale (see `f64_parts`).
    pub(crate) scale_lo: f32,
    /// The rest after that.
    pub(crate) scale_lo2: f32,
    /// Uniform-buffer alignment.
    pub(crate) _pad: [u32; 3],
}

/// Kept in sync with `struct BluesteinUniform` in shaders/fft/bluestein.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct BluesteinUniform {
    /// Transform length.
    pub(crate) n: u32,
    /// Padded power-of-two length of the convolution.
    pub(crate) m: u32,
    /// Rows in the batch.
    pub(crate) rows: u32,
    /// -1 forward, +1 inverse.
    pub(crate) sign: f32,
    /// Applied by `chirp_post`: float32 nearest.
    pub(crate) scale: f32,
    /// The rest of the float64 scale (see `f64_parts`).
    pub(crate) scale_lo: f32,
    /// The rest after that.
    pub(crate) scale_lo2: f32,
    /// Uniform-buffer alignment.
    pub(crate) _pad: u32,
}

/// Kept in sync with `struct PackUniform` in shaders/fft/pack.wgsl (src/shader_checks.rs
/// compares fields and offsets).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub(crate) struct PackUniform {
    /// Complex points per row of the packed signal.
    pub(crate) half: u32,
    /// Rows.
    pub(crate) rows: u32,
    /// Twiddle-table entries per 1/n turn (n = 2 half).
    pub(crate) tw_stride: u32,
    /// Transpose only: columns of the source.
    pub(crate) cols: u32,
    /// Always 1.0 (double-float: see shaders/precision/double_float.wgsl).
    pub(crate) one: f32,
    /// Uniform-buffer alignment.
    pub(crate) _pad: [u32; 3],
}

/// The radices of the mixed-radix passes of an n-point transform, first pass first: the
/// power-of-two part as [`global_stages`] plans it (those kernels need the sub-transform
/// length to be a power of two, so they come first), then 3, 5, 7, 11 and 13. `None` when n
/// has a larger prime factor (Bluestein's algorithm then).
pub fn mixed_stages(n: usize) -> Option<Vec<u32>> {
    if n == 0 {
        return None;
    }
    let twos = 1usize << n.trailing_zeros();
    let mut stages = global_stages(twos);
    let mut left = n / twos;
    for radix in ODD_RADICES {
        while left.is_multiple_of(radix) {
            stages.push(radix as u32);
            left /= radix;
        }
    }
    (left == 1).then_some(stages)
}

/// The padded length of Bluestein's convolution for an n-point transform.
pub fn bluestein_len(n: usize) -> usize {
    (2 * n - 1).next_power_of_two()
}

/// The radices of the global passes of an n-point transform, first pass first: radix 8 while
/// it divides what is left, then 4, then 2.
pub fn global_stages(n: usize) -> Vec<u32> {
    let mut stages = Vec::new();
    let mut left = n;
    while left > 1 {
        let radix = if left.is_multiple_of(8) {
            8
        } else if left.is_multiple_of(4) {
            4
        } else {
            2
        };
        stages.push(radix as u32);
        left /= radix;
    }
    stages
}

/// The FFT pipelines of one context, for complex values of `E` (`f32`, `f64` or
/// [`DoubleFloat`]).
#[derive(Debug)]
pub struct FftGpu<E: DeviceReal = f32> {
    local: wgpu::ComputePipeline,
    radix2: wgpu::ComputePipeline,
    radix4: wgpu::ComputePipeline,
    radix8: wgpu::ComputePipeline,
    radix_any: wgpu::ComputePipeline,
    chirp_pre: wgpu::ComputePipeline,
    spectrum_multiply: wgpu::ComputePipeline,
    chirp_post: wgpu::ComputePipeline,
    r2c_post: wgpu::ComputePipeline,
    c2r_pre: wgpu::ComputePipeline,
    transpose: wgpu::ComputePipeline,
    widen_real: wgpu::ComputePipeline,
    first_bins: wgpu::ComputePipeline,
    mirror: wgpu::ComputePipeline,
    keep_real: wgpu::ComputePipeline,
    element: std::marker::PhantomData<E>,
}

impl<E: DeviceReal> FftGpu<E> {
    /// Fetches (compiling on first use) the pipelines of `ctx` for elements `E`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects a shader (`f64` needs the adapter's
    /// `SHADER_F64`).
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        let a = E::ARITH;
        Ok(Self {
            local: FFT_SHADERS.pipeline(ctx, a, "fft_local")?,
            radix2: FFT_SHADERS.pipeline(ctx, a, "pass_radix2")?,
            radix4: FFT_SHADERS.pipeline(ctx, a, "pass_radix4")?,
            radix8: FFT_SHADERS.pipeline(ctx, a, "pass_radix8")?,
            radix_any: FFT_SHADERS.pipeline(ctx, a, "pass_radix_any")?,
            chirp_pre: BLUESTEIN_SHADERS.pipeline(ctx, a, "chirp_pre")?,
            spectrum_multiply: BLUESTEIN_SHADERS.pipeline(ctx, a, "spectrum_multiply")?,
            chirp_post: BLUESTEIN_SHADERS.pipeline(ctx, a, "chirp_post")?,
            r2c_post: PACK_SHADERS.pipeline(ctx, a, "r2c_post")?,
            c2r_pre: PACK_SHADERS.pipeline(ctx, a, "c2r_pre")?,
            transpose: PACK_SHADERS.pipeline(ctx, a, "transpose")?,
            widen_real: PACK_SHADERS.pipeline(ctx, a, "widen_real")?,
            first_bins: PACK_SHADERS.pipeline(ctx, a, "first_bins")?,
            mirror: PACK_SHADERS.pipeline(ctx, a, "mirror")?,
            keep_real: PACK_SHADERS.pipeline(ctx, a, "keep_real")?,
            element: std::marker::PhantomData,
        })
    }

    /// exp(2 pi i m / n) for m < n, computed in float64, stored in `E`; made once per size
    /// and context (the plan cache).
    pub(crate) fn table(ctx: &GpuContext, n: usize) -> Result<GpuBuffer> {
        kept_table::<E>(ctx, TWIDDLES, n, || {
            (0..n.max(1))
                .map(|m| {
                    let angle = std::f64::consts::TAU * m as f64 / n as f64;
                    [angle.cos(), angle.sin()]
                })
                .collect()
        })
    }

    /// Records the complex transform of `rows` rows of `n` points (a length
    /// [`mixed_stages`] plans: powers of two, and products of 2, 3, 5, 7, 11, 13) from
    /// `input` into `output`; `input` is left as it was, `scratch` (same size) is needed
    /// unless `n` is a power of two of at most [`LOCAL_MAX`] (see [`scratch_for`]). `table` is
    /// [`FftGpu::table`] of `n * tw_stride` points. Inverse transforms are scaled by 1/n.
    #[allow(
        clippy::too_many_arguments,
        reason = "one transform's buffers and shape"
    )]
    pub(crate) fn record_c2c(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (input, output, scratch): (&GpuBuffer, &GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
        inverse: bool,
        (table, tw_stride): (&GpuBuffer, usize),
    ) -> Result<()> {
        let sign = if inverse { 1.0 } else { -1.0 };
        let final_scale = if inverse { 1.0 / n as f64 } else { 1.0 };
        let uniform = |p: usize, scale: f64| {
            let [scale, scale_lo, scale_lo2] = scale_parts::<E>(scale);
            FftUniform {
                n: n as u32,
                p: p as u32,
                rows: rows as u32,
                tw_stride: tw_stride as u32,
                sign,
                scale,
                radix: 0,
                scale_lo,
                scale_lo2,
                _pad: [0; 3],
            }
        };
        if n <= local_max::<E>() && n.is_power_of_two() {
            let u = ctx.uniform("fft uniform", &uniform(1, final_scale))?;
            return ctx.record_dispatch(
                "fft local",
                encoder,
                &self.local,
                &[&u, input, output, table],
                rows as u64,
            );
        }
        let stages = mixed_stages(n).ok_or_else(|| {
            Error::param(
                "FFT size",
                format!("{n} has a prime factor above {MAX_RADIX}: use record_any"),
            )
        })?;
        let mut p = 1usize;
        let mut from = input;
        for (pass, &radix) in stages.iter().enumerate() {
            let left = stages.len() - pass;
            // Alternate so that the last pass lands in `output`.
            let to = if left % 2 == 1 { output } else { scratch };
            let last = left == 1;
            let u = ctx.uniform(
                "fft uniform",
                &FftUniform {
                    radix,
                    ..uniform(p, if last { final_scale } else { 1.0 })
                },
            )?;
            let pipeline = match radix {
                8 => &self.radix8,
                4 => &self.radix4,
                2 => &self.radix2,
                _ => &self.radix_any,
            };
            let threads = (rows * n / radix as usize) as u64;
            ctx.record_dispatch(
                "fft pass",
                encoder,
                pipeline,
                &[&u, from, to, table],
                threads.div_ceil(GLOBAL_WG),
            )?;
            from = to;
            p *= radix as usize;
        }
        Ok(())
    }

    /// Records the complex transform of `rows` rows of `n` points, any `n` of at least 1, from
    /// `input` into `output` (`input` left as it was; temporaries allocated here): Stockham
    /// passes for the lengths [`mixed_stages`] plans, Bluestein's algorithm for the others.
    /// Inverse transforms are scaled by 1/n.
    pub(crate) fn record_any(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (input, output): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
        inverse: bool,
    ) -> Result<()> {
        if mixed_stages(n).is_none() {
            return self.record_bluestein(ctx, encoder, (input, output), n, rows, inverse);
        }
        let table = Self::table(ctx, n)?;
        let scratch = scratch_for::<E>(ctx, n, n * rows)?;
        self.record_c2c(
            ctx,
            encoder,
            (input, output, &scratch),
            n,
            rows,
            inverse,
            (&table, 1),
        )
    }

    /// Bluestein's algorithm (see shaders/fft/bluestein.wgsl): the chirp, an m-point FFT,
    /// the product with the chirp's spectrum, the inverse FFT, the chirp again.
    fn record_bluestein(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (input, output): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
        inverse: bool,
    ) -> Result<()> {
        let m = bluestein_len(n);
        let sign = if inverse { 1.0f32 } else { -1.0 };
        let chirp = kept_table::<E>(ctx, CHIRPS, n, || chirp_table(n))?;
        let spectrum = if inverse {
            kept_table::<E>(ctx, INVERSE_SPECTRA, n, || chirp_spectrum(n, true))?
        } else {
            kept_table::<E>(ctx, FORWARD_SPECTRA, n, || chirp_spectrum(n, false))?
        };
        let padded_bytes = (rows * m) as u64 * complex_bytes::<E>();
        let a = ctx.storage_buffer("bluestein padded", padded_bytes)?;
        let b = ctx.storage_buffer("bluestein spectrum", padded_bytes)?;
        let scratch = scratch_for::<E>(ctx, m, rows * m)?;
        let table = Self::table(ctx, m)?;
        let uniform = |scale: f64| {
            let [scale, scale_lo, scale_lo2] = scale_parts::<E>(scale);
            BluesteinUniform {
                n: n as u32,
                m: m as u32,
                rows: rows as u32,
                sign,
                scale,
                scale_lo,
                scale_lo2,
                _pad: 0,
            }
        };
        let padded_groups = ((rows * m) as u64).div_ceil(GLOBAL_WG);
        let u = ctx.uniform("bluestein uniform", &uniform(1.0))?;
        ctx.record_dispatch(
            "bluestein chirp",
            encoder,
            &self.chirp_pre,
            &[&u, input, &a, &chirp],
            padded_groups,
        )?;
        self.record_c2c(
            ctx,
            encoder,
            (&a, &b, &scratch),
            m,
            rows,
            false,
            (&table, 1),
        )?;
        ctx.record_dispatch(
            "bluestein product",
            encoder,
            &self.spectrum_multiply,
            &[&u, &b, &a, &spectrum],
            padded_groups,
        )?;
        self.record_c2c(ctx, encoder, (&a, &b, &scratch), m, rows, true, (&table, 1))?;
        let scale = if inverse { 1.0 / n as f64 } else { 1.0 };
        let u = ctx.uniform("bluestein uniform", &uniform(scale))?;
        ctx.record_dispatch(
            "bluestein chirp",
            encoder,
            &self.chirp_post,
            &[&u, &b, output, &chirp],
            ((rows * n) as u64).div_ceil(GLOBAL_WG),
        )
    }

    /// Records `np.fft.rfft` of `rows` rows of `n` real points (any n of at least 1) from
    /// `real` into `spectrum`: powers of two by the packed half-length transform, other
    /// lengths by [`FftGpu::record_r2c_any`].
    pub(crate) fn record_rfft(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (real, spectrum): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        if n < 2 || !n.is_power_of_two() {
            return self.record_r2c_any(ctx, encoder, (real, spectrum), n, rows);
        }
        let (scratch, scratch2) = real_scratch::<E>(ctx, n, rows)?;
        self.record_r2c(ctx, encoder, real, spectrum, (&scratch, &scratch2), n, rows)
    }

    /// Records `np.fft.irfft(spectrum, n)` of `rows` rows (any n of at least 1) into `real`, as
    /// [`FftGpu::record_rfft`] chooses.
    pub(crate) fn record_irfft(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (spectrum, real): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        if n < 2 || !n.is_power_of_two() {
            return self.record_c2r_any(ctx, encoder, (spectrum, real), n, rows);
        }
        let (scratch, scratch2) = real_scratch::<E>(ctx, n, rows)?;
        self.record_c2r(ctx, encoder, spectrum, real, (&scratch, &scratch2), n, rows)
    }

    /// Records `np.fft.rfft` of `rows` rows of `n` real points (any n of at least 1) in `real`
    /// into `spectrum` (`n / 2 + 1` bins a row) as the n-point complex transform of the samples
    /// widened to complex: what lengths that are not powers of two take.
    pub(crate) fn record_r2c_any(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (real, spectrum): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        let bytes = (rows * n) as u64 * complex_bytes::<E>();
        let u = ctx.uniform("fft pack uniform", &pack(n, rows, 0))?;
        let widened = ctx.storage_buffer("rfft samples as complex", bytes)?;
        let full = ctx.storage_buffer("rfft full spectrum", bytes)?;
        ctx.record_dispatch(
            "rfft: samples to complex",
            encoder,
            &self.widen_real,
            &[&u, real, &widened],
            ((rows * n) as u64).div_ceil(GLOBAL_WG),
        )?;
        self.record_any(ctx, encoder, (&widened, &full), n, rows, false)?;
        ctx.record_dispatch(
            "rfft: the first n / 2 + 1 bins",
            encoder,
            &self.first_bins,
            &[&u, &full, spectrum],
            ((rows * (n / 2 + 1)) as u64).div_ceil(GLOBAL_WG),
        )
    }

    /// Records `np.fft.irfft(spectrum, n)` of `rows` rows of `n / 2 + 1` bins (any n of at
    /// least 1) into `real`: each row's Hermitian spectrum filled out to n bins, the n-point
    /// complex inverse, its real parts.
    pub(crate) fn record_c2r_any(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (spectrum, real): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        let bytes = (rows * n) as u64 * complex_bytes::<E>();
        let u = ctx.uniform("fft pack uniform", &pack(n, rows, 0))?;
        let full = ctx.storage_buffer("irfft full spectrum", bytes)?;
        let back = ctx.storage_buffer("irfft complex result", bytes)?;
        let threads = ((rows * n) as u64).div_ceil(GLOBAL_WG);
        ctx.record_dispatch(
            "irfft: the Hermitian spectrum",
            encoder,
            &self.mirror,
            &[&u, spectrum, &full],
            threads,
        )?;
        self.record_any(ctx, encoder, (&full, &back), n, rows, true)?;
        ctx.record_dispatch(
            "irfft: the real parts",
            encoder,
            &self.keep_real,
            &[&u, &back, real],
            threads,
        )
    }

    /// Records `np.fft.rfft` of `rows` rows of `n` real points in `real` into `spectrum`
    /// (`n / 2 + 1` complex bins per row). `scratch` and `scratch2` hold `rows * n / 2`
    /// complex values each.
    #[allow(
        clippy::too_many_arguments,
        reason = "one transform's buffers and shape"
    )]
    pub(crate) fn record_r2c(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        real: &GpuBuffer,
        spectrum: &GpuBuffer,
        (scratch, scratch2): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        let half = n / 2;
        let table = Self::table(ctx, n)?;
        self.record_c2c(
            ctx,
            encoder,
            (real, scratch, scratch2),
            half,
            rows,
            false,
            (&table, 2),
        )?;
        let u = ctx.uniform("fft pack uniform", &pack(half, rows, 0))?;
        let threads = ((half + 1) * rows) as u64;
        ctx.record_dispatch(
            "rfft unpack",
            encoder,
            &self.r2c_post,
            &[&u, scratch, spectrum, &table],
            threads.div_ceil(GLOBAL_WG),
        )
    }

    /// Records `np.fft.irfft(spectrum, n)` of `rows` rows of `n / 2 + 1` bins into `real`
    /// (`n` points per row). Scratch buffers as [`FftGpu::record_r2c`].
    #[allow(
        clippy::too_many_arguments,
        reason = "one transform's buffers and shape"
    )]
    pub(crate) fn record_c2r(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        spectrum: &GpuBuffer,
        real: &GpuBuffer,
        (scratch, scratch2): (&GpuBuffer, &GpuBuffer),
        n: usize,
        rows: usize,
    ) -> Result<()> {
        let half = n / 2;
        let table = Self::table(ctx, n)?;
        let u = ctx.uniform("fft pack uniform", &pack(half, rows, 0))?;
        let threads = (half * rows) as u64;
        ctx.record_dispatch(
            "irfft pack",
            encoder,
            &self.c2r_pre,
            &[&u, spectrum, scratch, &table],
            threads.div_ceil(GLOBAL_WG),
        )?;
        self.record_c2c(
            ctx,
            encoder,
            (scratch, real, scratch2),
            half,
            rows,
            true,
            (&table, 2),
        )
    }

    fn record_transpose(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (from, to): (&GpuBuffer, &GpuBuffer),
        rows: usize,
        cols: usize,
    ) -> Result<()> {
        let u = ctx.uniform("fft transpose uniform", &pack(0, rows, 0).with_cols(cols))?;
        let tiles = (rows.div_ceil(16) * cols.div_ceil(16)) as u64;
        ctx.record_dispatch(
            "fft transpose",
            encoder,
            &self.transpose,
            &[&u, from, to],
            tiles,
        )
    }

    /// `np.fft.fft` (or `ifft`, scaled 1/n) of each row of `n` points of `data`, any `n` of at
    /// least 1 (Stockham passes, or Bluestein's algorithm for prime factors above
    /// [`MAX_RADIX`]). Batches larger than one buffer binding run in
    /// several submissions of whole rows.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for `n` = 0; [`Error::ShapeMismatch`] when `data` is not whole
    /// rows; [`Error::ExceedsLimit`] for one row (or its Bluestein padding, up to 4n points)
    /// larger than a binding; GPU errors.
    pub fn fft(
        &self,
        ctx: &GpuContext,
        data: &[Complex<E>],
        n: usize,
        inverse: bool,
    ) -> Result<Vec<Complex<E>>> {
        let rows = check_rows_any("FFT input", data.len(), n)?;
        let per_call = rows_per_binding::<E>(ctx, row_bytes::<E>(n), "points in one FFT row")?;
        let mut out = Vec::with_capacity(data.len());
        for first in (0..rows).step_by(per_call) {
            let count = per_call.min(rows - first);
            let chunk = &data[first * n..(first + count) * n];
            out.extend(self.fft_resident(ctx, &to_pairs(chunk), n, count, inverse)?);
        }
        Ok(out)
    }

    /// One submission of [`FftGpu::record_any`] on `count` rows of host pairs.
    fn fft_resident(
        &self,
        ctx: &GpuContext,
        pairs: &[[E; 2]],
        n: usize,
        count: usize,
        inverse: bool,
    ) -> Result<Vec<Complex<E>>> {
        let values = count * n;
        let input = ctx.upload("fft input", pairs)?;
        let output = ctx.storage_buffer("fft output", values as u64 * complex_bytes::<E>())?;
        ctx.poison_f32(&output, 2 * values * E::words());
        let mut encoder = ctx.encoder();
        self.record_any(ctx, &mut encoder, (&input, &output), n, count, inverse)?;
        Ok(from_pairs(&ctx.submit_and_read::<[E; 2]>(
            "the FFT", encoder, &output, 0, values,
        )?))
    }

    /// `np.fft.rfft` of each row of `n` real points, any `n` of at least 1: `n / 2 + 1` bins
    /// per row. Powers of two from 2 up take half the work of a complex transform (an n/2
    /// point transform of the packed signal); other lengths run the n-point complex
    /// transform and keep its first half.
    ///
    /// # Errors
    /// As [`FftGpu::fft`].
    pub fn rfft(&self, ctx: &GpuContext, x: &[E], n: usize) -> Result<Vec<Complex<E>>> {
        if n < 2 || !n.is_power_of_two() {
            let rows = check_rows_any("rfft input", x.len(), n)?;
            let bins = n / 2 + 1;
            let per_call = rows_per_binding::<E>(ctx, row_bytes::<E>(n), "points in one rfft row")?;
            let mut out = Vec::with_capacity(rows * bins);
            for first in (0..rows).step_by(per_call) {
                let count = per_call.min(rows - first);
                let pairs: Vec<[E; 2]> = x[first * n..(first + count) * n]
                    .iter()
                    .map(|&v| [v, E::zeroed()])
                    .collect();
                let full = self.fft_resident(ctx, &pairs, n, count, false)?;
                for row in full.chunks(n) {
                    out.extend_from_slice(&row[..bins]);
                }
            }
            return Ok(out);
        }
        let rows = check_rows("rfft input", x.len(), n, 2)?;
        let bins = n / 2 + 1;
        let per_call = rows_per_binding::<E>(
            ctx,
            bins as u64 * complex_bytes::<E>(),
            "points in one rfft row",
        )?;
        let mut out = Vec::with_capacity(rows * bins);
        for first in (0..rows).step_by(per_call) {
            let count = per_call.min(rows - first);
            let real = ctx.upload("rfft input", &x[first * n..(first + count) * n])?;
            let spectrum =
                ctx.storage_buffer("rfft output", (count * bins) as u64 * complex_bytes::<E>())?;
            let (scratch, scratch2) = real_scratch::<E>(ctx, n, count)?;
            ctx.poison_f32(&spectrum, 2 * count * bins * E::words());
            let mut encoder = ctx.encoder();
            self.record_r2c(
                ctx,
                &mut encoder,
                &real,
                &spectrum,
                (&scratch, &scratch2),
                n,
                count,
            )?;
            out.extend(from_pairs(&ctx.submit_and_read::<[E; 2]>(
                "the rfft",
                encoder,
                &spectrum,
                0,
                count * bins,
            )?));
        }
        Ok(out)
    }

    /// `np.fft.irfft(X, n)` of each row of `n / 2 + 1` bins: `n` real points per row, any `n`
    /// of at least 1. Powers of two from 2 up run the packed half-length transform; other
    /// lengths the n-point complex inverse of the Hermitian spectrum (bins mirrored as
    /// conjugates; the imaginary parts of bin 0 and, for even n, bin n/2 are ignored, as
    /// NumPy's).
    ///
    /// # Errors
    /// As [`FftGpu::fft`].
    pub fn irfft(&self, ctx: &GpuContext, spectrum: &[Complex<E>], n: usize) -> Result<Vec<E>> {
        if n < 2 || !n.is_power_of_two() {
            let bins = n / 2 + 1;
            if n == 0 {
                return Err(Error::param("FFT size", "0 points"));
            }
            let rows = whole_rows("irfft input", spectrum.len(), bins)?;
            let per_call =
                rows_per_binding::<E>(ctx, row_bytes::<E>(n), "points in one irfft row")?;
            let mut out = Vec::with_capacity(rows * n);
            for first in (0..rows).step_by(per_call) {
                let count = per_call.min(rows - first);
                let mut pairs = Vec::with_capacity(count * n);
                for row in spectrum[first * bins..(first + count) * bins].chunks(bins) {
                    pairs.extend((0..n).map(|k| {
                        if k < bins {
                            [row[k].re, row[k].im]
                        } else {
                            // The conjugate of the mirrored bin (negation is exact).
                            let c = row[n - k];
                            [c.re, E::from_f64(-c.im.to_f64())]
                        }
                    }));
                }
                let full = self.fft_resident(ctx, &pairs, n, count, true)?;
                out.extend(full.iter().map(|c| c.re));
            }
            return Ok(out);
        }
        check_size(n, 2)?;
        let bins = n / 2 + 1;
        let rows = whole_rows("irfft input", spectrum.len(), bins)?;
        let per_call = rows_per_binding::<E>(
            ctx,
            bins as u64 * complex_bytes::<E>(),
            "points in one irfft row",
        )?;
        let mut out = Vec::with_capacity(rows * n);
        for first in (0..rows).step_by(per_call) {
            let count = per_call.min(rows - first);
            let input = ctx.upload(
                "irfft input",
                &to_pairs(&spectrum[first * bins..(first + count) * bins]),
            )?;
            let real = ctx.storage_buffer(
                "irfft output",
                (count * n * std::mem::size_of::<E>()) as u64,
            )?;
            let (scratch, scratch2) = real_scratch::<E>(ctx, n, count)?;
            ctx.poison_f32(&real, count * n * E::words());
            let mut encoder = ctx.encoder();
            self.record_c2r(
                ctx,
                &mut encoder,
                &input,
                &real,
                (&scratch, &scratch2),
                n,
                count,
            )?;
            out.extend(ctx.submit_and_read::<E>("the irfft", encoder, &real, 0, count * n)?);
        }
        Ok(out)
    }

    /// `np.fft.fft2` (or `ifft2`) of a `rows x cols` array stored row after row (any sizes of
    /// at least 1): the rows' transforms, a transpose, the columns' transforms as rows and a
    /// transpose back, all on the GPU.
    ///
    /// # Errors
    /// As [`FftGpu::fft`]; [`Error::ExceedsLimit`] when the array exceeds one binding.
    pub fn fft2(
        &self,
        ctx: &GpuContext,
        data: &[Complex<E>],
        rows: usize,
        cols: usize,
        inverse: bool,
    ) -> Result<Vec<Complex<E>>> {
        if rows == 0 || cols == 0 {
            return Err(Error::param(
                "FFT size",
                format!("{rows} x {cols}: a 2-D FFT needs at least one point on each axis"),
            ));
        }
        if data.len() != rows * cols {
            return Err(Error::ShapeMismatch {
                what: "2-D FFT input",
                expected: format!("{rows} x {cols} values"),
                got: vec![data.len()],
            });
        }
        let bytes = data.len() as u64 * complex_bytes::<E>();
        let largest = (row_bytes::<E>(cols) * rows as u64).max(row_bytes::<E>(rows) * cols as u64);
        if largest > ctx.max_binding_bytes() {
            return Err(Error::ExceedsLimit {
                what: "bytes of a 2-D FFT on the GPU",
                requested: bytes,
                max: ctx.max_binding_bytes(),
            });
        }
        let a = ctx.upload("fft2 data", &to_pairs(data))?;
        let b = ctx.storage_buffer("fft2 work", bytes)?;
        let c = ctx.storage_buffer("fft2 scratch", bytes)?;
        // The result goes to a buffer of its own, poisoned before the run (queue writes land
        // before the submission that follows them).
        let out = ctx.storage_buffer("fft2 output", bytes)?;
        ctx.poison_f32(&out, 2 * data.len() * E::words());
        let mut encoder = ctx.encoder();
        self.record_fft2(ctx, &mut encoder, (&a, &b, &c, &out), rows, cols, inverse)?;
        Ok(from_pairs(&ctx.submit_and_read::<[E; 2]>(
            "the 2-D FFT",
            encoder,
            &out,
            0,
            data.len(),
        )?))
    }

    /// Records the 2-D transform of the `rows x cols` complex array in `input` into `output`:
    /// row transforms, a transpose, the columns' transforms as rows, a transpose back. `input`
    /// is overwritten (it holds the transposed intermediate); `work` and `scratch` are the
    /// same size (`scratch` is used for powers of two; other sizes allocate their own).
    pub(crate) fn record_fft2(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        (input, work, scratch, output): (&GpuBuffer, &GpuBuffer, &GpuBuffer, &GpuBuffer),
        rows: usize,
        cols: usize,
        inverse: bool,
    ) -> Result<()> {
        if !rows.is_power_of_two() || !cols.is_power_of_two() {
            self.record_any(ctx, encoder, (input, work), cols, rows, inverse)?;
            self.record_transpose(ctx, encoder, (work, input), rows, cols)?;
            self.record_any(ctx, encoder, (input, work), rows, cols, inverse)?;
            return self.record_transpose(ctx, encoder, (work, output), cols, rows);
        }
        let row_table = Self::table(ctx, cols)?;
        let col_table = Self::table(ctx, rows)?;
        self.record_c2c(
            ctx,
            encoder,
            (input, work, scratch),
            cols,
            rows,
            inverse,
            (&row_table, 1),
        )?;
        self.record_transpose(ctx, encoder, (work, input), rows, cols)?;
        self.record_c2c(
            ctx,
            encoder,
            (input, work, scratch),
            rows,
            cols,
            inverse,
            (&col_table, 1),
        )?;
        self.record_transpose(ctx, encoder, (work, output), cols, rows)
    }
}

impl<E: DeviceReal> FftGpu<E> {
    /// Device time of one complex transform of `rows` rows of `n` points with the data
    /// already on the GPU: `repeats` transforms recorded in one submission, the wall time of
    /// that submission divided by `repeats` (no upload or read-back). For comparing with the
    /// memory-bandwidth floor (each global pass reads and writes the data once).
    ///
    /// # Errors
    /// As [`FftGpu::fft`].
    pub fn time_resident(
        &self,
        ctx: &GpuContext,
        n: usize,
        rows: usize,
        repeats: usize,
    ) -> Result<std::time::Duration> {
        check_rows("FFT input", n * rows, n, 1)?;
        let bytes = (n * rows) as u64 * complex_bytes::<E>();
        if bytes > ctx.max_binding_bytes() {
            return Err(Error::ExceedsLimit {
                what: "bytes of a resident FFT",
                requested: bytes,
                max: ctx.max_binding_bytes(),
            });
        }
        let data: Vec<[E; 2]> = (0..n * rows)
            .map(|i| {
                [
                    E::from_f64((i % 7) as f64 - 3.0),
                    E::from_f64((i % 5) as f64 - 2.0),
                ]
            })
            .collect();
        let input = ctx.upload("fft input", &data)?;
        let output = ctx.storage_buffer("fft output", bytes)?;
        let scratch = scratch_for::<E>(ctx, n, n * rows)?;
        let table = Self::table(ctx, n)?;
        let record = |count: usize| -> Result<crate::gpu::Recording> {
            let mut encoder = ctx.encoder();
            for _ in 0..count {
                self.record_c2c(
                    ctx,
                    &mut encoder,
                    (&input, &output, &scratch),
                    n,
                    rows,
                    false,
                    (&table, 1),
                )?;
            }
            Ok(encoder)
        };
        // Warm-up: pipelines, lazy allocations.
        ctx.submit_and_wait("the FFT warm-up", record(1)?)?;
        let encoder = record(repeats.max(1))?;
        let start = std::time::Instant::now();
        ctx.submit_and_wait("the timed FFTs", encoder)?;
        Ok(start.elapsed() / repeats.max(1) as u32)
    }
}

impl PackUniform {
    fn with_cols(mut self, cols: usize) -> Self {
        self.cols = cols as u32;
        self
    }
}

fn pack(half: usize, rows: usize, cols: usize) -> PackUniform {
    PackUniform {
        half: half as u32,
        rows: rows as u32,
        tw_stride: 1,
        cols: cols as u32,
        one: 1.0,
        _pad: [0; 3],
    }
}

/// A scale for the uniforms: float32 (as before the float64 kernels) for float32 work, else
/// the float64 in three parts the shader sums exactly.
fn scale_parts<E: DeviceReal>(scale: f64) -> [f32; 3] {
    if E::ARITH == crate::gpu::Arith::Single {
        [scale as f32, 0.0, 0.0]
    } else {
        f64_parts(scale)
    }
}

/// Cache names of the tables, one per arithmetic (the context keys its cache by name and size).
type TableNames = [&'static str; 3];
const TWIDDLES: TableNames = [
    "fft twiddles",
    "fft twiddles f64",
    "fft twiddles double-float",
];
const CHIRPS: TableNames = [
    "bluestein chirp",
    "bluestein chirp f64",
    "bluestein chirp double-float",
];
const FORWARD_SPECTRA: TableNames = [
    "bluestein forward spectrum",
    "bluestein forward spectrum f64",
    "bluestein forward spectrum double-float",
];
const INVERSE_SPECTRA: TableNames = [
    "bluestein inverse spectrum",
    "bluestein inverse spectrum f64",
    "bluestein inverse spectrum double-float",
];

/// Lengths up to which every table is kept in the context's cache: above, only powers of two
/// are (a few dozen at most), so a sweep over many long lengths does not pile up device memory
/// (a Bluestein length near 10^6 holds about 56 MiB of tables).
const CACHE_ANY_LENGTH_UP_TO: usize = 1 << 16;

/// A table for length `n`: from the context's cache (made once) for powers of two and short
/// lengths, else made for this call.
fn kept_table<E: DeviceReal>(
    ctx: &GpuContext,
    names: TableNames,
    n: usize,
    make: impl FnOnce() -> Vec<[f64; 2]>,
) -> Result<GpuBuffer> {
    let what = names[crate::gpu::Arith::index(E::ARITH)];
    let stored = || -> Vec<[E; 2]> {
        make()
            .into_iter()
            .map(|[re, im]| [E::from_f64(re), E::from_f64(im)])
            .collect()
    };
    if n.is_power_of_two() || n <= CACHE_ANY_LENGTH_UP_TO {
        ctx.constant(what, n as u64, stored)
    } else {
        ctx.upload(what, &stored())
    }
}

/// exp(+i pi j^2 / n) for j < n, the angle reduced exactly (j^2 mod 2n in integers) before
/// the float64 cosine and sine.
fn chirp_table(n: usize) -> Vec<[f64; 2]> {
    let period = 2 * n as u128;
    (0..n)
        .map(|j| {
            let reduced = (j as u128 * j as u128) % period;
            let angle = std::f64::consts::PI * reduced as f64 / n as f64;
            [angle.cos(), angle.sin()]
        })
        .collect()
}

/// The m-point spectrum (float64 FFT) of conj(c), the chirp of the given direction laid out
/// circularly: b[l] = b[m - l] = conj(c_l) for l < n, zero between.
fn chirp_spectrum(n: usize, inverse: bool) -> Vec<[f64; 2]> {
    let m = bluestein_len(n);
    let period = 2 * n as u128;
    // conj(c_l) = exp(-sign i pi l^2 / n): +angle forward (sign -1), -angle inverse.
    let direction = if inverse { -1.0 } else { 1.0 };
    let mut b = vec![Complex::new(0.0f64, 0.0); m];
    for l in 0..n {
        let reduced = (l as u128 * l as u128) % period;
        let angle = direction * std::f64::consts::PI * reduced as f64 / n as f64;
        let value = Complex::new(angle.cos(), angle.sin());
        b[l] = value;
        if l > 0 {
            b[m - l] = value;
        }
    }
    super::cpu::fft_rows(&mut b, m, false).expect("a power-of-two row");
    b.iter().map(|c| [c.re, c.im]).collect()
}

/// A scratch buffer for the global passes (a 4-byte placeholder when the transform is
/// workgroup-resident and needs none).
fn scratch_for<E: DeviceReal>(ctx: &GpuContext, n: usize, values: usize) -> Result<GpuBuffer> {
    let bytes = if n > local_max::<E>() || !n.is_power_of_two() {
        values as u64 * complex_bytes::<E>()
    } else {
        4
    };
    ctx.storage_buffer("fft scratch", bytes)
}

/// The two scratch buffers of `rows` real transforms of `n` points
/// ([`FftGpu::record_r2c`], [`FftGpu::record_c2r`]): the packed half-length signal, and the
/// global passes' ping-pong buffer (a placeholder when the half length is workgroup-resident).
pub(crate) fn real_scratch<E: DeviceReal>(
    ctx: &GpuContext,
    n: usize,
    rows: usize,
) -> Result<(GpuBuffer, GpuBuffer)> {
    let values = rows * n / 2;
    Ok((
        ctx.storage_buffer("real fft scratch", values as u64 * complex_bytes::<E>())?,
        scratch_for::<E>(ctx, n / 2, values)?,
    ))
}

/// Whether `rows` transforms of `n` points in `arith` fit one storage binding (the rows, or
/// their Bluestein padding): what a device array's transform needs, recorded in one go.
pub(crate) fn fits_one_binding(ctx: &GpuContext, arith: Arith, n: usize, rows: usize) -> bool {
    let bytes = match arith {
        Arith::Single => row_bytes::<f32>(n),
        Arith::Native64 => row_bytes::<f64>(n),
        Arith::DoubleFloat => row_bytes::<DoubleFloat>(n),
    };
    bytes.saturating_mul(rows as u64) <= ctx.max_binding_bytes()
}

/// Why rows of `n` points cannot be transformed on `ctx` in `arith`, in words: one row (or its
/// Bluestein padding; for `real` transforms at powers of two, its `n / 2 + 1` bins) past one
/// storage binding. `None` when they can (in as many submissions as the rows need).
pub(crate) fn rows_refusal(ctx: &GpuContext, arith: Arith, n: usize, real: bool) -> Option<String> {
    fn bytes<E: DeviceReal>(n: usize, real: bool) -> u64 {
        if real && n >= 2 && n.is_power_of_two() {
            (n / 2 + 1) as u64 * complex_bytes::<E>()
        } else {
            row_bytes::<E>(n)
        }
    }
    let row = match arith {
        Arith::Single => bytes::<f32>(n, real),
        Arith::Native64 => bytes::<f64>(n, real),
        Arith::DoubleFloat => bytes::<DoubleFloat>(n, real),
    };
    (row > ctx.max_binding_bytes()).then(|| {
        format!(
            "a row of {n} points ({row} bytes) is past one GPU storage binding ({} bytes)",
            ctx.max_binding_bytes()
        )
    })
}

/// How many rows of `n`-point transforms in `arith` fit one storage binding (at least 1: the
/// caller checked [`rows_refusal`]), with u32 indices in the shaders.
pub(crate) fn rows_in_one_binding(ctx: &GpuContext, arith: Arith, n: usize) -> usize {
    fn rows<E: DeviceReal>(ctx: &GpuContext, n: usize) -> usize {
        rows_per_binding::<E>(ctx, row_bytes::<E>(n), "points in one FFT row").unwrap_or(1)
    }
    match arith {
        Arith::Single => rows::<f32>(ctx, n),
        Arith::Native64 => rows::<f64>(ctx, n),
        Arith::DoubleFloat => rows::<DoubleFloat>(ctx, n),
    }
}

/// Bytes per row of the largest buffer an n-point transform uses: the row itself, or its
/// Bluestein padding.
fn row_bytes<E: DeviceReal>(n: usize) -> u64 {
    let points = if mixed_stages(n).is_some() {
        n
    } else {
        bluestein_len(n)
    };
    points as u64 * complex_bytes::<E>()
}

/// The rows of `n` points in `len` values, for a transform of any length of at least 1.
fn check_rows_any(what: &'static str, len: usize, n: usize) -> Result<usize> {
    if n == 0 {
        return Err(Error::param("FFT size", "0 points"));
    }
    whole_rows(what, len, n)
}

/// Whole rows of `row_bytes` that fit one binding.
fn rows_per_binding<E: DeviceReal>(
    ctx: &GpuContext,
    row_bytes: u64,
    what: &'static str,
) -> Result<usize> {
    let binding = ctx.max_binding_bytes();
    let complex = complex_bytes::<E>();
    if row_bytes > binding {
        return Err(Error::ExceedsLimit {
            what,
            requested: row_bytes / complex,
            max: binding / complex,
        });
    }
    // u32 indices in the shaders: at most 2^31 values per submission.
    let values_per_row = (row_bytes / complex).max(1) as usize;
    Ok(((binding / row_bytes) as usize).clamp(1, (1 << 31) / values_per_row))
}

pub(crate) fn to_pairs<E: Copy>(data: &[Complex<E>]) -> Vec<[E; 2]> {
    data.iter().map(|c| [c.re, c.im]).collect()
}

pub(crate) fn from_pairs<E: Copy>(data: &[[E; 2]]) -> Vec<Complex<E>> {
    data.iter().map(|&[re, im]| Complex::new(re, im)).collect()
}
