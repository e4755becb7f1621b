//! Rolling means on the GPU: exact fixed-point prefix sums ([`RollingGpu`], see
//! `shaders/signal/rolling.wgsl`).
//!
//! Threshold crossings on the GPU as a stream compaction (`shaders/signal/crossings.wgsl`):
//! per workgroup of [`TILE`] samples a count of transitions, an exclusive scan of the counts
//! on the host, then each workgroup writes its transitions' indices in order. Samples travel
//! as float64 bit patterns and are compared exactly (integer keys), so the events are NumPy's
//! to the last bit. Long signals run in chunks of one binding.
//!
//! The GPU finds NumPy's transitions; directions, the minimum gap and interpolated times are
//! then applied on the host (O(events)). Hysteresis is a sequential state machine and runs
//! on the CPU.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::GpuBuffer;
use crate::gpu::GpuContext;

/// The WGSL source.
pub(crate) const CROSSINGS_WGSL: &str = crate::gpu::include_wgsl!("signal/crossings.wgsl");
/// Samples per workgroup (`TILE` in crossings.wgsl).
pub const TILE: usize = 256;

/// Kept in sync with `struct CrossUniform` in shaders/signal/crossings.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct CrossUniform {
    /// Samples in this chunk.
    pub(crate) n: u32,
    /// The threshold's order key, low word.
    pub(crate) thr_lo: u32,
    /// The threshold's order key, high word.
    pub(crate) thr_hi: u32,
    /// Whether the sample before the chunk is above the threshold.
    pub(crate) prev_above: u32,
}

/// The order-preserving integer key of a float64 (not NaN): unsigned comparison of keys is
/// the comparison of the values, with -0.0 equal to 0.0. The shader computes the same.
pub fn order_key(x: f64) -> u64 {
    let bits = if x == 0.0 { 0 } else { x.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The samples around an event at index i: `x[i - 1]` (`None` at 0) and `x[i]`.
pub(crate) type Around = (Option<f64>, f64);

/// The crossing pipelines of one context.
#[derive(Debug)]
pub struct CrossingsGpu {
    count: wgpu::ComputePipeline,
    scatter: wgpu::ComputePipeline,
    pairs: wgpu::ComputePipeline,
}

impl CrossingsGpu {
    /// Fetches (compiling on first use) the pipelines of `ctx`.
    ///
    /// # Errors
    /// [`crate::Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            count: ctx.pipeline("crossings", CROSSINGS_WGSL, "count")?,
            scatter: ctx.pipeline("crossings", CROSSINGS_WGSL, "scatter")?,
            pairs: ctx.pipeline("crossings", CROSSINGS_WGSL, "pairs")?,
        })
    }

    /// NumPy's transitions `np.argwhere(np.diff(x > threshold, prepend=False))` of `x`, in
    /// order (`threshold` not NaN: the caller validates).
    ///
    /// # Errors
    /// GPU errors; [`Error::Gpu`] when a workgroup's count is impossible.
    pub fn transitions(&self, ctx: &GpuContext, x: &[f64], threshold: f64) -> Result<Vec<usize>> {
        // Whole workgroups per chunk, 8 bytes per sample, u32 indices.
        let per_chunk = ((ctx.max_binding_bytes() as usize / 8) / TILE * TILE).min(1 << 30);
        let mut events = Vec::new();
        for start in (0..x.len()).step_by(per_chunk.max(TILE)) {
            let chunk = &x[start..(start + per_chunk).min(x.len())];
            let prev_above = start > 0 && x[start - 1] > threshold;
            // float64 goes up as it is: the shader compares its bits as ordered integers.
            let samples = ctx.upload("crossings samples", chunk)?;
            let (found, _) =
                self.chunk_events(ctx, &samples, chunk.len(), threshold, prev_above, false)?;
            events.extend(found.into_iter().map(|i| start + i as usize));
        }
        Ok(events)
    }

    /// The transitions of `n` samples already on the device as float64 bits (one binding),
    /// with the samples around each (`(x[i - 1], x[i])`, `None` before the first), for the
    /// interpolated times: two waits (the events' count decides what the second reads).
    ///
    /// # Errors
    /// As [`CrossingsGpu::transitions`].
    pub(crate) fn transitions_on_device(
        &self,
        ctx: &GpuContext,
        samples: &GpuBuffer,
        n: usize,
        threshold: f64,
    ) -> Result<(Vec<usize>, Vec<Around>)> {
        let (events, around) = self.chunk_events(ctx, samples, n, threshold, false, true)?;
        let around = around
            .into_iter()
            .zip(&events)
            .map(|(w, &i)| {
                let before = f64::from_bits(u64::from(w[0]) | (u64::from(w[1]) << 32));
                let here = f64::from_bits(u64::from(w[2]) | (u64::from(w[3]) << 32));
                ((i > 0).then_some(before), here)
            })
            .collect();
        Ok((events.into_iter().map(|i| i as usize).collect(), around))
    }

    /// One chunk's events: counted per workgroup (first read-back), offsets by a host scan,
    /// then scattered in order (second read-back, with the samples around each when
    /// `with_pairs`).
    fn chunk_events(
        &self,
        ctx: &GpuContext,
        samples: &GpuBuffer,
        n: usize,
        threshold: f64,
        prev_above: bool,
        with_pairs: bool,
    ) -> Result<(Vec<u32>, Vec<[u32; 4]>)> {
        let key = order_key(threshold);
        let uniform = ctx.uniform(
            "crossings uniform",
            &CrossUniform {
                n: n as u32,
                thr_lo: key as u32,
                thr_hi: (key >> 32) as u32,
                prev_above: u32::from(prev_above),
            },
        )?;
        let groups = n.div_ceil(TILE);
        let counts = ctx.storage_buffer("crossings counts", groups as u64 * 4)?;
        ctx.poison_f32(&counts, groups);
        let mut encoder = ctx.encoder();
        ctx.record_dispatch(
            "crossings count",
            &mut encoder,
            &self.count,
            &[&uniform, samples, &counts],
            groups as u64,
        )?;
        // Two waits per chunk: the events' count decides how much the second reads.
        let mut offsets =
            ctx.submit_and_read::<u32>("counting crossings", encoder, &counts, 0, groups)?;
        let mut total = 0u32;
        for c in &mut offsets {
            let here = *c;
            // A workgroup has at most TILE events; more is a count never written (the
            // poison) or a broken driver, not a number to trust.
            if here as usize > TILE {
                return Err(Error::Gpu {
                    what: "counting crossings".into(),
                    message: format!("a workgroup reported {here} events in {TILE} samples"),
                });
            }
            *c = total;
            total += here;
        }
        if total == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        // The scan's offsets are parameters of the scatter, not data.
        let offsets = ctx.upload_table("crossings offsets", &offsets)?;
        let found = ctx.storage_buffer("crossings events", u64::from(total) * 4)?;
        ctx.poison_f32(&found, total as usize);
        let mut encoder = ctx.encoder();
        ctx.record_dispatch(
            "crossings scatter",
            &mut encoder,
            &self.scatter,
            &[&uniform, samples, &offsets, &found],
            groups as u64,
        )?;
        let mut parts = vec![(&found, u64::from(total) * 4)];
        let around = if with_pairs {
            let around = ctx.storage_buffer("crossings around", u64::from(total) * 16)?;
            let pairs_uniform = ctx.uniform(
                "crossings uniform",
                &CrossUniform {
                    n: total,
                    ..Default::default()
                },
            )?;
            ctx.record_dispatch(
                "the samples around each crossing",
                &mut encoder,
                &self.pairs,
                &[&pairs_uniform, samples, &found, &around],
                u64::from(total).div_ceil(TILE as u64),
            )?;
            Some(around)
        } else {
            None
        };
        if let Some(around) = &around {
            parts.push((around, u64::from(total) * 16));
        }
        let (mut events, mut pairs) = (Vec::new(), Vec::new());
        ctx.submit_and_read_parts("writing crossings", encoder, &parts, |read| {
            events.extend_from_slice(&crate::gpu::mapped_as::<u32>(read[0]));
            if let Some(around) = read.get(1) {
                pairs.extend_from_slice(&crate::gpu::mapped_as::<[u32; 4]>(around));
            }
        })?;
        Ok((events, pairs))
    }
}

/// The rolling-mean kernels (`shaders/signal/rolling.wgsl`).
pub(crate) const ROLLING_WGSL: &str = crate::gpu::include_wgsl!("signal/rolling.wgsl");
/// Items per workgroup of the block scan (`BLOCK` in rolling.wgsl).
pub const SCAN_BLOCK: usize = 1024;
/// Threads per workgroup of the rolling kernels (`WG` in rolling.wgsl).
const ROLLING_WG: usize = 256;
/// Bytes of one scanned item (`struct Item` in rolling.wgsl: a 64-bit sum and three counts).
pub(crate) const ITEM_BYTES: usize = 24;

/// Kept in sync with `struct RollingUniform` in shaders/signal/rolling.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct RollingUniform {
    /// Elements this dispatch covers.
    pub(crate) count: u32,
    /// The fixed-point scale: q = round(x 2^shift).
    pub(crate) shift: i32,
    /// Window length.
    pub(crate) k: u32,
    /// Full-convolution index of output 0 (window kernel).
    pub(crate) first_output: u32,
    /// Global index of the chunk's first sample (window kernel).
    pub(crate) base: u32,
    /// Samples in the whole signal.
    pub(crate) n: u32,
    /// 1 for `nan_policy` omit.
    pub(crate) omit: u32,
    /// Workgroups that do work.
    pub(crate) groups: u32,
}

/// The fixed-point scale for a signal whose largest finite magnitude is `max_abs`, summed in
/// windows of `k`: a `shift` with k max|x| 2^shift <= 2^62 (within a factor 4 of the largest),
/// so that every window's sum (and its rounding) fits a signed 64-bit integer. The rounding of
/// each sample to the grid is then at most 2^-(shift+1) <= 4 k max|x| 2^-63 (under 5e-13 of
/// max|x| for windows up to 10^6 samples).
pub fn fixed_point_shift(max_abs: f64, k: usize) -> i32 {
    if max_abs == 0.0 || !max_abs.is_finite() {
        return 0;
    }
    // max_abs < 2^e_m (for subnormals, 2^-1022 bounds them).
    let biased = ((max_abs.to_bits() >> 52) & 0x7ff) as i32;
    let e_m = biased.max(1) - 1022;
    // k <= 2^k_bits.
    let k_bits = (usize::BITS - (k.max(1) - 1).leading_zeros()) as i32;
    62 - e_m - k_bits
}

/// Significant bits a typical sample must keep on the fixed-point grid: with fewer, the grid
/// (set by the largest |x|) is too coarse for the rest of the signal, as when one outlier
/// (a fill value such as 9.97e36, a glitch) is 10^12 times the data.
pub const MIN_GRID_BITS: i32 = 40;

/// Whether the fixed-point grid of `shift` keeps [`MIN_GRID_BITS`] significant bits for all but
/// 1 % of the finite non-zero samples of `x` (samples below 2^MIN_GRID_BITS grid steps).
pub fn grid_is_fine_enough(x: &[f64], shift: i32) -> bool {
    // 2^(MIN_GRID_BITS - shift), as float64 (a power of two, clamped into range).
    let fine = 2f64.powi((MIN_GRID_BITS - shift).clamp(-1070, 1020));
    let (mut nonzero, mut coarse) = (0usize, 0usize);
    for &v in x {
        if v.is_finite() && v != 0.0 {
            nonzero += 1;
            coarse += usize::from(v.abs() < fine);
        }
    }
    coarse * 100 <= nonzero
}

/// Exact rolling window sums on the GPU (see rolling.wgsl).
#[derive(Debug)]
pub struct RollingGpu {
    to_fixed: wgpu::ComputePipeline,
    scan_blocks: wgpu::ComputePipeline,
    add_offsets: wgpu::ComputePipeline,
    window: wgpu::ComputePipeline,
}

/// The GPU's part of a rolling mean: for each output, its window's sum of finite samples in
/// float64 (NumPy's NaN or infinity for windows holding them under `propagate`), and its
/// count of finite samples.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSums {
    /// Each window's sum (or NaN / infinity, as NumPy's sum gives it).
    pub sums: Vec<f64>,
    /// Each window's finite samples (read back under `omit` only; empty otherwise).
    pub finite: Vec<u32>,
}

impl RollingGpu {
    /// Fetches (compiling on first use) the pipelines of `ctx`.
    ///
    /// # Errors
    /// [`crate::Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            to_fixed: ctx.pipeline("rolling", ROLLING_WGSL, "to_fixed")?,
            scan_blocks: ctx.pipeline("rolling", ROLLING_WGSL, "scan_blocks")?,
            add_offsets: ctx.pipeline("rolling", ROLLING_WGSL, "add_offsets")?,
            window: ctx.pipeline("rolling", ROLLING_WGSL, "window")?,
        })
    }

    /// Samples one chunk may hold: one binding of scanned items, and u32 indices.
    pub fn chunk_samples(ctx: &GpuContext) -> usize {
        (ctx.max_binding_bytes() as usize / ITEM_BYTES).min(1 << 30)
    }

    /// The window sums of outputs `first .. first + count` of the full convolution of `x`
    /// with `k` ones (`omit`: NaN and infinities left out rather than propagated). Chunks of
    /// outputs run one after the other, each with the samples its windows need. `Err` with
    /// the reason, in words, when the GPU path does not take the signal: a window longer than
    /// a chunk ([`RollingGpu::chunk_samples`]), indices past u32, or a range of magnitudes too
    /// wide for one fixed-point grid ([`grid_is_fine_enough`]).
    ///
    /// # Errors
    /// GPU errors.
    pub fn window_sums(
        &self,
        ctx: &GpuContext,
        x: &[f64],
        k: usize,
        (first, count): (usize, usize),
        omit: bool,
    ) -> Result<std::result::Result<WindowSums, String>> {
        let n = x.len();
        let capacity = Self::chunk_samples(ctx);
        if k > capacity {
            return Ok(Err(format!(
                "a window of {k} samples is longer than one GPU chunk ({capacity})"
            )));
        }
        // u32 indices: output and sample indices below 2^32.
        if n + k > u32::MAX as usize {
            return Ok(Err(format!(
                "{n} samples and a window of {k} are past the GPU path's 32-bit indices"
            )));
        }
        let max_abs = x
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let shift = fixed_point_shift(max_abs, k);
        if !grid_is_fine_enough(x, shift) {
            return Ok(Err(format!(
                "the samples span too many orders of magnitude (largest {max_abs:e}) for one \
                 exact fixed-point grid"
            )));
        }
        let per_chunk = capacity + 1 - k;
        let mut out = WindowSums {
            sums: Vec::with_capacity(count),
            finite: Vec::with_capacity(count),
        };
        for o0 in (0..count).step_by(per_chunk) {
            let o1 = (o0 + per_chunk).min(count);
            let (j0, j1) = (first + o0, first + o1 - 1);
            let lo = (j0 + 1).saturating_sub(k);
            let hi = j1.min(n - 1) + 1;
            let uniform = |count: usize, groups: usize| RollingUniform {
                count: count as u32,
                shift,
                k: k as u32,
                first_output: j0 as u32,
                base: lo as u32,
                n: n as u32,
                omit: u32::from(omit),
                groups: groups as u32,
            };
            let samples = hi - lo;
            // float64 goes up as it is: the shader reads its bits as integers.
            let source = ctx.upload("rolling samples", &x[lo..hi])?;
            let items = ctx.storage_buffer("rolling items", (samples * ITEM_BYTES) as u64)?;
            let mut encoder = ctx.encoder();
            let u = ctx.uniform("rolling uniform", &uniform(samples, 0))?;
            ctx.record_dispatch(
                "rolling fixed point",
                &mut encoder,
                &self.to_fixed,
                &[&u, &source, &items],
                samples.div_ceil(ROLLING_WG) as u64,
            )?;
            self.record_scan(ctx, &mut encoder, &items, samples, &uniform)?;
            let outputs = o1 - o0;
            let sums = ctx.storage_buffer("rolling sums", (outputs * 8) as u64)?;
            let finite = ctx.storage_buffer("rolling counts", (outputs * 4) as u64)?;
            ctx.poison_f32(&sums, 2 * outputs);
            ctx.poison_f32(&finite, outputs);
            let u = ctx.uniform("rolling uniform", &uniform(outputs, 0))?;
            ctx.record_dispatch(
                "rolling windows",
                &mut encoder,
                &self.window,
                &[&u, &items, &sums, &finite],
                outputs.div_ceil(ROLLING_WG) as u64,
            )?;
            // Sums, and under `omit` the counts, in one read-back.
            let sums_part = (&sums, (outputs * 8) as u64);
            let counts_part = (&finite, (outputs * 4) as u64);
            let parts = if omit {
                vec![sums_part, counts_part]
            } else {
                vec![sums_part]
            };
            ctx.submit_and_read_parts("the rolling sums", encoder, &parts, |parts| {
                out.sums
                    .extend_from_slice(&crate::gpu::mapped_as::<f64>(parts[0]));
                if let Some(counts) = parts.get(1) {
                    out.finite
                        .extend_from_slice(&crate::gpu::mapped_as::<u32>(counts));
                }
            })?;
        }
        Ok(Ok(out))
    }

    /// Records an inclusive scan of `count` items in `data`: blocks scanned in workgroup
    /// memory, the blocks' totals scanned the same way (recursively), then added back.
    fn record_scan(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        data: &GpuBuffer,
        count: usize,
        uniform: &dyn Fn(usize, usize) -> RollingUniform,
    ) -> Result<()> {
        let blocks = count.div_ceil(SCAN_BLOCK);
        let totals = ctx.storage_buffer("rolling block totals", (blocks * ITEM_BYTES) as u64)?;
        let u = ctx.uniform("rolling uniform", &uniform(count, blocks))?;
        ctx.record_dispatch(
            "rolling block scan",
            encoder,
            &self.scan_blocks,
            &[&u, data, &totals],
            blocks as u64,
        )?;
        if blocks > 1 {
            self.record_scan(ctx, encoder, &totals, blocks, uniform)?;
            ctx.record_dispatch(
                "rolling block offsets",
                encoder,
                &self.add_offsets,
                &[&u, data, &totals],
                count.div_ceil(ROLLING_WG) as u64,
            )?;
        }
        Ok(())
    }
}
