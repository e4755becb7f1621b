//! The leapfrog on the GPU (`shaders/wave/leapfrog.wgsl`): double-float states, one dispatch
//! per step (both half steps fused), states ping-ponging between two buffer pairs, up to
//! [`SUBMIT_STEPS`] steps per submission; p read back only for the frames asked for and at
//! the end.

use bytemuck::{Pod, Zeroable};

use super::{WaveParams, WaveRun};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The WGSL source.
/// The double-float arithmetic of the float64 kernels (shaders/precision/), then the step.
pub(crate) const WAVE_WGSL: &str =
    crate::gpu::include_wgsl!("precision/double_float.wgsl", "wave/leapfrog.wgsl");
/// Threads per workgroup (`@workgroup_size` of `step`).
pub const WG_SIZE: u32 = 64;
/// Steps recorded per submission: long enough to amortise a submission, short enough for a
/// GPU's watchdog on large grids.
pub const SUBMIT_STEPS: usize = 512;

/// Kept in sync with `struct WaveUniform` in shaders/wave/leapfrog.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct WaveUniform {
    /// Cells.
    pub(crate) n: u32,
    /// dt / dx, high part.
    pub(crate) c_hi: f32,
    /// dt / dx, low part.
    pub(crate) c_lo: f32,
    /// 1.0, which the shader multiplies by to keep its error-free sums from being optimised
    /// away.
    pub(crate) one: f32,
}

/// The pipeline on one context.
#[derive(Debug)]
pub struct WaveGpu {
    pipeline: wgpu::ComputePipeline,
}

fn split(values: &[f64]) -> Vec<[f32; 2]> {
    values
        .iter()
        .map(|&v| {
            let hi = v as f32;
            [hi, (v - f64::from(hi)) as f32]
        })
        .collect()
}

fn join(pairs: &[[f32; 2]]) -> Vec<f64> {
    pairs
        .iter()
        .map(|&[hi, lo]| f64::from(hi) + f64::from(lo))
        .collect()
}

impl WaveGpu {
    /// Fetches (compiling on first use) the pipeline of `ctx`.
    ///
    /// # Errors
    /// [`Error::Gpu`] if the driver rejects the shader.
    pub fn new(ctx: &GpuContext) -> Result<Self> {
        Ok(Self {
            pipeline: ctx.pipeline("wave", WAVE_WGSL, "step")?,
        })
    }

    /// Runs `params` on the GPU.
    ///
    /// # Errors
    /// As [`WaveParams::validate`]; [`Error::ExceedsLimit`] when the grid exceeds a binding;
    /// GPU errors.
    pub fn simulate(&self, ctx: &GpuContext, params: &WaveParams) -> Result<WaveRun> {
        params.validate()?;
        let n = params.n;
        let bytes = (n * 8) as u64;
        if bytes > ctx.max_binding_bytes() {
            return Err(Error::ExceedsLimit {
                what: "cells of a wave grid on the GPU",
                requested: n as u64,
                max: ctx.max_binding_bytes() / 8,
            });
        }
        let (p0, u0) = params.initial();
        let (steps, dt) = (params.steps(), params.dt());
        let uniform = ctx.uniform(
            "wave uniform",
            &WaveUniform {
                n: n as u32,
                c_hi: split(&[dt / params.dx()])[0][0],
                c_lo: split(&[dt / params.dx()])[0][1],
                one: 1.0,
            },
        )?;
        let p = [
            ctx.upload("wave p", &split(&p0))?,
            ctx.storage_buffer("wave p", bytes)?,
        ];
        let u = [
            ctx.upload("wave u", &split(&u0))?,
            ctx.storage_buffer("wave u", bytes)?,
        ];
        ctx.poison_f32(&p[1], 2 * n);
        ctx.poison_f32(&u[1], 2 * n);
        let forward = ctx.bind_group(
            "wave step",
            &self.pipeline,
            &[&uniform, &p[0], &u[0], &p[1], &u[1]],
        )?;
        let backward = ctx.bind_group(
            "wave step",
            &self.pipeline,
            &[&uniform, &p[1], &u[1], &p[0], &u[0]],
        )?;
        let groups = (n as u64).div_ceil(u64::from(WG_SIZE));
        let mut frames = Vec::new();
        if params.every > 0 {
            frames.push(p0.iter().map(|&v| v as f32).collect());
        }
        let chunk = if params.every > 0 {
            params.every.min(SUBMIT_STEPS)
        } else {
            SUBMIT_STEPS
        };
        let mut done = 0usize;
        while done < steps {
            let count = chunk.min(steps - done);
            let mut encoder = ctx.encoder();
            for k in 0..count {
                let bind = if (done + k).is_multiple_of(2) {
                    &forward
                } else {
                    &backward
                };
                ctx.record_bound("wave step", &mut encoder, &self.pipeline, bind, groups)?;
            }
            ctx.submit_and_wait("the wave steps", encoder)?;
            done += count;
            if params.every > 0 && done.is_multiple_of(params.every) {
                let current = &p[done % 2];
                let pairs = ctx.read_back::<[f32; 2]>(current, 0, n)?;
                frames.push(join(&pairs).iter().map(|&v| v as f32).collect());
            }
        }
        let last = steps % 2;
        Ok(WaveRun {
            p: join(&ctx.read_back::<[f32; 2]>(&p[last], 0, n)?),
            u: join(&ctx.read_back::<[f32; 2]>(&u[last], 0, n)?),
            frames,
            steps,
            dt,
        })
    }
}
