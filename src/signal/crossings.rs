//! Threshold crossings.
//!
//! With one threshold the events are NumPy's `np.argwhere(np.diff(x > thr, prepend=False))`:
//! index i is an event when `x[i] > thr` differs from `x[i - 1] > thr` (before the first sample
//! the signal counts as not above, so a signal starting above the threshold has an up event at
//! 0); NaN is never above. Beyond NumPy: a separate lower threshold for down events
//! (hysteresis: the signal stays "above" until it falls to `down` or below, so noise around one
//! threshold gives one event, not many), a minimum gap between kept events, and the crossing
//! time interpolated linearly between the two samples around it.
//!
//! Thresholds are float64. For float32 data, NumPy 2 rounds a user's threshold to float32
//! before comparing (NEP 50); [`CrossingParams::for_float32_data`] does the same, and the CLI
//! applies it to float32 `.npy` input.

use std::str::FromStr;

use ndarray::ArrayView1;

use crate::error::{Error, Result};
use crate::gpu::Device;
use crate::route::{route, Job, Operation};

/// Which events are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Rising through the threshold.
    Up,
    /// Falling back.
    Down,
    /// Both.
    #[default]
    Both,
}

impl FromStr for Direction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "up" => Ok(Direction::Up),
            "down" => Ok(Direction::Down),
            "both" => Ok(Direction::Both),
            other => Err(Error::param(
                "direction",
                format!("'{other}' is not one of up, down, both"),
            )),
        }
    }
}

/// What counts as a crossing.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossingParams {
    /// A sample is above when `x > threshold`.
    pub threshold: f64,
    /// Hysteresis: once above, the signal is below again only when `x <= down` (NaN included);
    /// `None` uses `threshold` (NumPy's events).
    pub down: Option<f64>,
    /// Kept events.
    pub direction: Direction,
    /// Events closer than this many samples to the previous kept event are dropped (0 keeps
    /// all).
    pub min_gap: usize,
}

impl CrossingParams {
    /// NumPy's events for `threshold`, both directions.
    pub fn new(threshold: f64) -> Self {
        Self {
            threshold,
            down: None,
            direction: Direction::Both,
            min_gap: 0,
        }
    }

    /// The same request for float32 data, compared as NumPy 2 compares it: a Python float
    /// threshold meets a float32 array in float32 (NEP 50), so `threshold` and `down` are
    /// rounded to the nearest float32 first (beyond float32's range: infinity). Without this,
    /// `x > 0.1` on float32 data would put the float32 sample 0.1 (0.100000001) above 0.1.
    pub fn for_float32_data(&self) -> Self {
        let round = |v: f64| f64::from(v as f32);
        Self {
            threshold: round(self.threshold),
            down: self.down.map(round),
            ..self.clone()
        }
    }

    fn validate(&self) -> Result<()> {
        if self.threshold.is_nan() {
            return Err(Error::param("threshold", "must not be NaN"));
        }
        if let Some(down) = self.down {
            if down.is_nan() || down > self.threshold {
                return Err(Error::param(
                    "down",
                    format!("{down} must be at most the threshold {}", self.threshold),
                ));
            }
        }
        Ok(())
    }
}

/// One event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossing {
    /// The first sample on the new side (NumPy's index).
    pub index: usize,
    /// Whether the signal rose.
    pub up: bool,
    /// The crossing time in samples, interpolated linearly between `index - 1` and `index`
    /// (`index` itself at 0 or where the previous sample is not finite).
    pub time: f64,
}

/// The crossings of `x` on the CPU: the reference, and the path for hysteresis.
///
/// # Errors
/// [`Error::InvalidParam`] for a NaN threshold or a `down` above it.
fn crossings_cpu(x: ArrayView1<'_, f64>, params: &CrossingParams) -> Result<Vec<Crossing>> {
    params.validate()?;
    let up_at = params.threshold;
    let down_at = params.down.unwrap_or(params.threshold);
    let mut above = false;
    let mut transitions = Vec::new();
    for (i, &v) in x.iter().enumerate() {
        let now = if above { v > down_at } else { v > up_at };
        if now != above {
            above = now;
            transitions.push(i);
        }
    }
    Ok(kept(params, transitions, |_, i| {
        (i.checked_sub(1).map(|p| x[p]), x[i])
    }))
}

/// The crossings of `x` (NumPy's `np.argwhere(np.diff(x > thr, prepend=False))`, with
/// directions, gaps, hysteresis and interpolated times), on the device: on the GPU,
/// NumPy's transitions come from a stream compaction there (exact float64 comparisons) and
/// directions, gaps and times are applied here; hysteresis (`down`) is sequential and runs on
/// the CPU.
///
/// ```
/// use gpusci::signal::{crossings, CrossingParams};
/// use gpusci::Device;
/// use ndarray::array;
///
/// // np.argwhere(np.diff(x > 0.5, prepend=False)): where x goes above 0.5, and back.
/// let x = array![0.0, 1.0, 1.0, 0.0, 0.9];
/// let events = crossings(Device::Cpu, x.view(), &CrossingParams::new(0.5))?;
/// let at: Vec<(usize, bool)> = events.iter().map(|c| (c.index, c.up)).collect();
/// assert_eq!(at, vec![(1, true), (3, false), (4, true)]);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParam`] for a NaN threshold or a `down` above it; GPU errors.
pub fn crossings<'d>(
    device: impl Into<Device<'d>>,
    x: ArrayView1<'_, f64>,
    params: &CrossingParams,
) -> Result<Vec<Crossing>> {
    let device = route(
        device.into(),
        &Job::new(Operation::Crossings, x.len()).float64(true),
    );
    match device {
        // No samples, no events (NumPy: an empty int64 array); nothing to send to a GPU.
        Device::Gpu(..) | Device::Auto(..) if x.is_empty() => {
            params.validate()?;
            Ok(Vec::new())
        }
        Device::Gpu(ctx, _) | Device::Auto(ctx, _) if params.down.is_none() => {
            params.validate()?;
            let contiguous = x.as_standard_layout();
            let samples = contiguous.as_slice().expect("standard layout");
            let transitions =
                super::gpu::CrossingsGpu::new(ctx)?.transitions(ctx, samples, params.threshold)?;
            Ok(kept(params, transitions, |_, i| {
                (i.checked_sub(1).map(|p| x[p]), x[i])
            }))
        }
        Device::Gpu(..) | Device::Auto(..) => {
            params.validate()?;
            crate::gpu::note_cpu_fallback(|| {
                "crossings: hysteresis (a separate down threshold) is a sequential state \
                 machine; found on the CPU"
                    .to_string()
            });
            crossings_cpu(x, params)
        }
        Device::Cpu => crossings_cpu(x, params),
    }
}

/// [`crossings`] of a 1-D real device array, found on its GPU: the samples are compared there
/// as float64 bits (float32 arrays widened exactly on the device first, and their thresholds
/// rounded to float32 as NumPy 2 compares them: [`CrossingParams::for_float32_data`]). The
/// events come back to the host with the two samples around each (their number is known only
/// after the count: two waits), for the interpolated times. Hysteresis, double-float arrays
/// (they do not hold float64's bits) and arrays past one storage binding are found on the CPU
/// with a note.
///
/// # Errors
/// [`Error::InvalidParam`] for a NaN threshold, a `down` above it, or an array that is not
/// 1-D float32 or float64; GPU errors.
pub fn crossings_device(
    x: &crate::array::DeviceArray,
    params: &CrossingParams,
) -> Result<Vec<Crossing>> {
    use crate::array::{DType, Storage};
    if x.shape().len() != 1 || !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(Error::param(
            "x",
            format!(
                "crossings take a 1-D float32 or float64 array, not {}-D {}",
                x.shape().len(),
                x.dtype().name()
            ),
        ));
    }
    let params = if x.dtype() == DType::Float32 {
        params.for_float32_data()
    } else {
        params.clone()
    };
    params.validate()?;
    if x.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = x.gpu();
    // Per sample at most: 16 bytes of float32 widened (bound whole), 16 of samples around an
    // event and 20 read back (every sample can be an event).
    let per_sample = 20;
    let refusal = if params.down.is_some() {
        Some("hysteresis (a separate down threshold) is a sequential state machine")
    } else if matches!(x.storage(), Storage::DoubleFloat { .. }) {
        Some("double-float arrays do not hold float64's bits, which the comparison uses")
    } else if x.len() as u64 * per_sample > ctx.max_binding_bytes() || x.len() >= 1 << 30 {
        Some("the array is past one GPU storage binding")
    } else {
        None
    };
    if let Some(reason) = refusal {
        crate::gpu::note_cpu_fallback(|| format!("crossings: {reason}; found on the CPU"));
        let host = x
            .to_host_f64()?
            .into_dimensionality::<ndarray::Ix1>()
            .expect("1-D");
        return crossings_cpu(host.view(), &params);
    }
    let samples = if x.storage() == Storage::F64 {
        x.buffer().clone()
    } else {
        let mut recording = ctx.encoder();
        let samples = crate::density::device::record_float64_bits(&mut recording, x)?;
        ctx.submit("widening the samples", recording)?;
        samples
    };
    let (transitions, around) = super::gpu::CrossingsGpu::new(ctx)?.transitions_on_device(
        ctx,
        &samples,
        x.len(),
        params.threshold,
    )?;
    Ok(kept(&params, transitions, |n, _| around[n]))
}

/// The events kept from the transitions (alternately up and down, the first up): the
/// direction asked for, spaced by the minimum gap, with interpolated times.
fn kept(
    params: &CrossingParams,
    transitions: Vec<usize>,
    around: impl Fn(usize, usize) -> (Option<f64>, f64),
) -> Vec<Crossing> {
    let up_at = params.threshold;
    let down_at = params.down.unwrap_or(params.threshold);
    let mut last_kept: Option<usize> = None;
    let mut events = Vec::new();
    for (n, i) in transitions.into_iter().enumerate() {
        let now = n % 2 == 0;
        let keep = match params.direction {
            Direction::Both => true,
            Direction::Up => now,
            Direction::Down => !now,
        };
        let spaced = last_kept.is_none_or(|k| i - k >= params.min_gap);
        if keep && spaced {
            let level = if now { up_at } else { down_at };
            let (before, v) = around(n, i);
            let time = match before {
                Some(prev) if prev.is_finite() && v.is_finite() && v != prev => {
                    (i - 1) as f64 + ((level - prev) / (v - prev)).clamp(0.0, 1.0)
                }
                _ => i as f64,
            };
            events.push(Crossing {
                index: i,
                up: now,
                time,
            });
            last_kept = Some(i);
        }
    }
    events
}
