//! Pictures of spiking networks: a spike raster with the population rate below it, and
//! voltage traces drawn like the seed's figure (neurons offset by 100 mV).

use super::{write_png, Colormap};
use crate::error::{Error, Result};
use crate::lif::LifRun;

/// Neurons drawn in a raster (the population rate counts all of them).
pub const RASTER_NEURONS: usize = 200;

const BACKGROUND: [u8; 4] = [255, 255, 255, 255];
const INK: [u8; 4] = [20, 20, 30, 255];
const AXIS: [u8; 4] = [160, 160, 170, 255];

/// An RGBA8 canvas.
struct Canvas {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            rgba: BACKGROUND.repeat(width * height),
        }
    }

    fn put(&mut self, x: usize, y: usize, colour: [u8; 4]) {
        if x < self.width && y < self.height {
            let k = (y * self.width + x) * 4;
            self.rgba[k..k + 4].copy_from_slice(&colour);
        }
    }

    fn hline(&mut self, y: usize, colour: [u8; 4]) {
        for x in 0..self.width {
            self.put(x, y, colour);
        }
    }

    /// A vertical span from y0 to y1 (either order) in column x.
    fn vspan(&mut self, x: usize, y0: usize, y1: usize, colour: [u8; 4]) {
        for y in y0.min(y1)..=y0.max(y1) {
            self.put(x, y, colour);
        }
    }

    fn save(&self, path: &std::path::Path) -> Result<()> {
        write_png(path, self.width as u32, self.height as u32, &self.rgba)
    }
}

fn check_size(width: usize, height: usize, min_height: usize) -> Result<()> {
    if width < 2 || height < min_height {
        return Err(Error::param(
            "size",
            format!("a {width}x{height} picture is too small (at least 2x{min_height})"),
        ));
    }
    Ok(())
}

/// Writes a spike raster of `run` to `path`: time across, the first [`RASTER_NEURONS`]
/// neurons down (neuron 0 at the top, each a band of rows), a tick per spike, darker where
/// several share a pixel; below it the population rate of all neurons (Hz) over the same time
/// bins, its axis topped at the 99th percentile so the first step's burst does not flatten the
/// rest.
///
/// # Errors
/// [`Error::InvalidParam`] for a picture smaller than 2 x 40; I/O and PNG errors.
pub fn write_raster(
    run: &LifRun,
    path: &std::path::Path,
    width: usize,
    height: usize,
) -> Result<()> {
    check_size(width, height, 40)?;
    let rate_rows = (height / 4).max(10);
    let raster_rows = height - rate_rows - 1;
    let mut hits = vec![0u32; width * raster_rows];
    let mut per_column = vec![0u64; width];
    let steps = run.steps.max(1);
    let shown = run.n.clamp(1, RASTER_NEURONS);
    let band = (raster_rows / shown).max(1);
    for &(step, neuron) in &run.spikes {
        let x = (step as usize * width / steps).min(width - 1);
        per_column[x] += 1;
        if (neuron as usize) < shown {
            let y0 = neuron as usize * raster_rows / shown;
            // A tick of most of the band, so neighbours stay apart.
            for y in y0..(y0 + (band * 3 / 4).max(1)).min(raster_rows) {
                hits[y * width + x] += 1;
            }
        }
    }
    let mut canvas = Canvas::new(width, height);
    let most = hits.iter().copied().max().unwrap_or(0).max(1);
    for y in 0..raster_rows {
        for x in 0..width {
            let h = hits[y * width + x];
            if h > 0 {
                // Darker where more spikes share a pixel.
                let t = 0.35 + 0.65 * f64::from(h) / f64::from(most);
                let [r, g, b] = Colormap::Gray.rgb(1.0 - t);
                canvas.put(x, y, [r, g, b, 255]);
            }
        }
    }
    canvas.hline(raster_rows, AXIS);
    // Population rate: spikes per neuron per second in each column's time bin.
    let seconds_per_column = run.steps as f64 * run.dt / width as f64;
    let rates: Vec<f64> = per_column
        .iter()
        .map(|&c| c as f64 / run.n.max(1) as f64 / seconds_per_column)
        .collect();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let top = (sorted[(sorted.len() - 1) * 99 / 100] * 1.2).max(f64::MIN_POSITIVE);
    let base = height - 1;
    let y_of = |r: f64| base - ((r / top).min(1.0) * (rate_rows - 2) as f64).round() as usize;
    let mut previous = y_of(rates[0]);
    for (x, &r) in rates.iter().enumerate() {
        let y = y_of(r);
        canvas.vspan(x, previous, y, INK);
        previous = y;
    }
    canvas.save(path)
}

/// Writes the first `traces` recorded voltages of `run` to `path` as lines, trace k offset by
/// 100 mV * k (the seed's figure), time across.
///
/// # Errors
/// [`Error::InvalidParam`] for no recorded neurons or a picture smaller than 2 x 40; I/O and
/// PNG errors.
pub fn write_traces(
    run: &LifRun,
    traces: usize,
    path: &std::path::Path,
    width: usize,
    height: usize,
) -> Result<()> {
    check_size(width, height, 40)?;
    let traces = traces.min(run.rec.ncols());
    if traces == 0 || run.rec.nrows() == 0 {
        return Err(Error::param(
            "traces",
            "no recorded voltages to draw (nrec = 0)",
        ));
    }
    let offset = |k: usize| 100.0 * k as f64;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for k in 0..traces {
        for &v in run.rec.column(k) {
            lo = lo.min(v + offset(k));
            hi = hi.max(v + offset(k));
        }
    }
    let span = (hi - lo).max(1e-9);
    let mut canvas = Canvas::new(width, height);
    let y_of = |v: f64| ((hi - v) / span * (height - 1) as f64).round() as usize;
    let steps = run.rec.nrows();
    for k in 0..traces {
        let colour = {
            let [r, g, b] = Colormap::Viridis.rgb(k as f64 / traces.max(2) as f64 * 0.8);
            [r, g, b, 255]
        };
        let column = run.rec.column(k);
        // Each pixel column spans its steps' min and max, so no spike is lost.
        let mut previous: Option<usize> = None;
        for x in 0..width {
            let (s0, s1) = (
                x * steps / width,
                ((x + 1) * steps / width).max(x * steps / width + 1),
            );
            let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
            for s in s0..s1.min(steps) {
                a = a.min(column[s]);
                b = b.max(column[s]);
            }
            if !a.is_finite() {
                continue;
            }
            let (ya, yb) = (y_of(a + offset(k)), y_of(b + offset(k)));
            canvas.vspan(x, ya, yb, colour);
            if let Some(p) = previous {
                canvas.vspan(x, p, yb, colour);
            }
            previous = Some(ya);
        }
    }
    canvas.save(path)
}

/// Writes a Hodgkin-Huxley trace (`(states, 4)`: V, m, h, n) to `path` as the seed question
/// plots it: V (mV) in the top panel, the gating variables m, h, n (0 to 1) below, time across.
///
/// # Errors
/// [`Error::InvalidParam`] for a trace without 4 columns or a picture smaller than 2 x 40; I/O
/// and PNG errors.
pub fn write_hh_trace(
    trace: ndarray::ArrayView2<'_, f64>,
    path: &std::path::Path,
    width: usize,
    height: usize,
) -> Result<()> {
    check_size(width, height, 40)?;
    if trace.ncols() != 4 || trace.nrows() == 0 {
        return Err(Error::param(
            "trace",
            "needs (states, 4) rows of V, m, h, n",
        ));
    }
    let top = height * 3 / 5;
    let mut canvas = Canvas::new(width, height);
    canvas.hline(top, AXIS);
    let (lo, hi) = trace
        .column(0)
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = (hi - lo).max(1e-9);
    let panels: [(usize, f64, f64, usize, usize, [u8; 4]); 4] = [
        (0, lo, span, 0, top - 1, INK),
        (1, 0.0, 1.0, top + 1, height - 1, [214, 39, 40, 255]),
        (2, 0.0, 1.0, top + 1, height - 1, [44, 160, 44, 255]),
        (3, 0.0, 1.0, top + 1, height - 1, [31, 119, 180, 255]),
    ];
    let states = trace.nrows();
    for (column, low, range, y0, y1, colour) in panels {
        let y_of = |v: f64| {
            let t = ((v - low) / range).clamp(0.0, 1.0);
            y1 - (t * (y1 - y0) as f64).round() as usize
        };
        let mut previous: Option<usize> = None;
        for x in 0..width {
            let s0 = x * states / width;
            let s1 = ((x + 1) * states / width).max(s0 + 1).min(states);
            let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
            for s in s0..s1 {
                a = a.min(trace[[s, column]]);
                b = b.max(trace[[s, column]]);
            }
            let (ya, yb) = (y_of(a), y_of(b));
            canvas.vspan(x, ya, yb, colour);
            if let Some(p) = previous {
                canvas.vspan(x, p, yb, colour);
            }
            previous = Some(ya);
        }
    }
    canvas.save(path)
}
