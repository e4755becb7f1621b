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

/// The crossing pipelines of one context.
#[derive(Debug)]
pub struct CrossingsGpu {
    count: wgpu::ComputePipeline,
    scatter: wgpu::ComputePipeline,
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
        })
    }

    /// NumPy's transitions `np.argwhere(np.diff(x > threshold, prepend=False))` of `x`, in
    /// order (`threshold` not NaN: the caller validates).
    ///
    /// # Errors
    /// GPU errors; [`Error::Gpu`] when a workgroup's count is impossible.
    pub fn transitions(&self, ctx: &GpuContext, x: &[f64], threshold: f64) -> Result<Vec<usize>> {
        let key = order_key(threshold);
        // Whole workgroups per chunk, 8 bytes per sample, u32 indices.
        let per_chunk = ((ctx.max_binding_bytes() as usize / 8) / TILE * TILE).min(1 << 30);
        let mut events = Vec::new();
        for start in (0..x.len()).step_by(per_chunk.max(TILE)) {
            let chunk = &x[start..(start + per_chunk).min(x.len())];
            let prev_above = start > 0 && x[start - 1] > threshold;
            let bits: Vec<u64> = chunk.iter().map(|v| v.to_bits()).collect();
            let samples = ctx.upload("crossings samples", &bits)?;
            let uniform = ctx.uniform(
                "crossings uniform",
                &CrossUniform {
                    n: chunk.len() as u32,
                    thr_lo: key as u32,
                    thr_hi: (key >> 32) as u32,
                    prev_above: u32::from(prev_above),
                },
            )?;
            let groups = chunk.len().div_ceil(TILE);
            let counts = ctx.storage_buffer("crossings counts", groups as u64 * 4)?;
            ctx.poison_f32(&counts, groups);
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            ctx.record_dispatch(
                "crossings count",
                &mut encoder,
                &self.count,
                &[&uniform, &samples, &counts],
                groups as u64,
            )?;
            ctx.submit_and_wait("counting crossings", encoder)?;
            let mut offsets = ctx.read_back::<u32>(&counts, 0, groups)?;
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
                continue;
            }
            let offsets = ctx.upload("crossings offsets", &offsets)?;
            let found = ctx.storage_buffer("crossings events", u64::from(total) * 4)?;
            ctx.poison_f32(&found, total as usize);
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            ctx.record_dispatch(
                "crossings scatter",
                &mut encoder,
                &self.scatter,
                &[&uniform, &samples, &offsets, &found],
                groups as u64,
            )?;
            ctx.submit_and_wait("writing crossings", encoder)?;
            events.extend(
                ctx.read_back::<u32>(&found, 0, total as usize)?
                    .into_iter()
                    .map(|i| start + i as usize),
            );
        }
        Ok(events)
    }
}
