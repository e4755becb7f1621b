//! Pictures a scientist would put in a paper, drawn with plotters: a spike raster with the
//! population rate below it, voltage traces, a Hodgkin-Huxley neuron's potential and gating
//! variables, and a convergence study on log-log axes. Each has axes with ticks and numbers,
//! units, a title and a legend, in DejaVu Sans (matplotlib's default font, embedded so every
//! machine draws the same letters; its licence is cli/assets/DejaVuSans-LICENSE.txt), and
//! matplotlib's tab10 colours.
//!
//! Long runs are drawn as each pixel column's minimum and maximum, so no spike is lost however
//! many steps share a column. Nothing is written when drawing fails.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::OnceLock;

use gpusci::error::{Error, Result};
use gpusci::lif::LifRun;
use gpusci::render::write_png;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Neurons drawn in a raster (the population rate counts all of them).
pub const RASTER_NEURONS: usize = 200;

/// The font's family name for plotters.
const FONT: &str = "sans-serif";

/// DejaVu Sans, registered with plotters on first use.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// matplotlib's tab10 (blue, orange, green, red): the colours of its first four lines.
pub(crate) const TAB10: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// Population-rate bins at most: a bin is then a few pixels wide at the CLI's sizes.
const RATE_BINS: usize = 400;

/// A picture's drawing area.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// What drawing returns: plotters' errors boxed.
pub(crate) type DrawResult = std::result::Result<(), Box<dyn StdError>>;

/// Font sizes (pixels) for a picture `height` pixels high: tick labels, axis titles, the title.
#[derive(Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) label: u32,
    pub(crate) title: u32,
}

impl Sizes {
    pub(crate) fn for_height(height: usize) -> Self {
        let label = (height / 45).clamp(10, 22) as u32;
        Sizes {
            label,
            title: label * 5 / 4,
        }
    }

    pub(crate) fn label(self) -> TextStyle<'static> {
        (FONT, self.label).into_font().into()
    }

    pub(crate) fn title(self) -> TextStyle<'static> {
        (FONT, self.title).into_font().into()
    }
}

fn font_registered() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::param(
            "font",
            "the embedded DejaVu Sans did not load",
        ))
    }
}

/// `draw` on a white `width x height` canvas; the pixels as RGBA8, row by row.
pub(crate) fn draw_rgba(
    width: usize,
    height: usize,
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> std::result::Result<Vec<u8>, String> {
    font_registered().map_err(|e| e.to_string())?;
    let mut rgb = vec![255u8; width * height * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut rgb, (width as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect())
}

/// Draws with `draw` and writes the PNG to `path`.
fn save(
    path: &Path,
    width: usize,
    height: usize,
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<()> {
    let rgba = draw_rgba(width, height, draw).map_err(|message| Error::Png {
        path: path.to_path_buf(),
        message: format!("drawing the picture: {message}"),
    })?;
    write_png(path, width as u32, height as u32, &rgba)
}

fn check_size(width: usize, height: usize) -> Result<()> {
    const MIN: (usize, usize) = (200, 150);
    if width < MIN.0 || height < MIN.1 || width > 16_384 || height > 16_384 {
        return Err(Error::param(
            "size",
            format!(
                "a {width}x{height} picture: axes with labels need {}x{} to 16384x16384 pixels",
                MIN.0, MIN.1
            ),
        ));
    }
    Ok(())
}

/// A series of `len` samples, sample s at time `time(s)`, as a polyline of at most about
/// 2 x `columns` points: each column's first, minimum and maximum samples, so every peak (a
/// spike's 30 mV) is drawn however many samples share a pixel column.
pub fn envelope(
    len: usize,
    columns: usize,
    time: impl Fn(usize) -> f64,
    value: impl Fn(usize) -> f64,
) -> Vec<(f64, f64)> {
    if len <= 2 * columns.max(1) {
        return (0..len).map(|s| (time(s), value(s))).collect();
    }
    let mut out = Vec::with_capacity(2 * columns + 2);
    for c in 0..columns {
        let (s0, s1) = (c * len / columns, ((c + 1) * len / columns).min(len));
        let (mut lo, mut hi) = (s0, s0);
        for s in s0..s1 {
            if value(s) < value(lo) {
                lo = s;
            }
            if value(s) > value(hi) {
                hi = s;
            }
        }
        // In time order, so the line goes down then up (or up then down) as the data does.
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((time(a), value(a)));
        out.push((time(b), value(b)));
    }
    out
}

/// `lo..hi` of the finite values, padded by 5 % (1 either side when flat).
fn padded_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return None;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    Some((lo - pad, hi + pad))
}

/// A legend in the upper right corner, on white, framed as matplotlib frames it.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    sizes: Sizes,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(204, 204, 204))
        .label_font(sizes.label())
        .draw()
}

/// A short line in `colour`, for legends.
fn legend_line(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
}

/// Writes a spike raster of `run` to `path` (PNG, `width x height` pixels): time (s) across,
/// the first [`RASTER_NEURONS`] neurons up (neuron 0 at the bottom, as matplotlib's
/// `eventplot` draws it), a tick per spike; below it the population rate of all neurons (Hz)
/// over the same time, in at most 400 bins, its axis topped at 1.2 x the 99th percentile so
/// the first step's burst does not flatten the rest (the title says when it is cut).
///
/// # Errors
/// [`Error::InvalidParam`] for a run of no steps or a picture outside 200 x 150 to
/// 16384 x 16384; I/O and PNG errors.
pub fn write_raster(run: &LifRun, path: &Path, width: usize, height: usize) -> Result<()> {
    check_size(width, height)?;
    if run.steps == 0 || run.n == 0 {
        return Err(Error::param(
            "run",
            "a raster needs at least one step and one neuron",
        ));
    }
    let sizes = Sizes::for_height(height);
    let seconds = run.steps as f64 * run.dt;
    let shown = run.n.min(RASTER_NEURONS);
    let bins = run.steps.min(RATE_BINS);
    let mut counts = vec![0u64; bins];
    for &(step, _) in &run.spikes {
        counts[(step as usize * bins / run.steps).min(bins - 1)] += 1;
    }
    let rates: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(b, &c)| {
            let (s0, s1) = (b * run.steps / bins, (b + 1) * run.steps / bins);
            let bin_seconds = (s1 - s0) as f64 * run.dt;
            let centre = (s0 + s1) as f64 / 2.0 * run.dt;
            (centre, c as f64 / run.n as f64 / bin_seconds)
        })
        .collect();
    let mut sorted: Vec<f64> = rates.iter().map(|r| r.1).collect();
    sorted.sort_by(f64::total_cmp);
    let p99 = sorted[(sorted.len() - 1) * 99 / 100];
    let highest = sorted[sorted.len() - 1];
    let top = if p99 > 0.0 {
        p99 * 1.2
    } else {
        highest.max(1.0)
    };
    let cut = highest > top;
    save(path, width, height, |root| {
        let (upper, lower) = root.split_vertically((height * 7 / 10) as u32);
        let mut raster = ChartBuilder::on(&upper)
            .caption(
                format!(
                    "Spike raster: neurons 0-{} of {} ({} spikes in all)",
                    shown - 1,
                    run.n,
                    run.spikes.len()
                ),
                sizes.title(),
            )
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 2)
            .y_label_area_size(sizes.label * 4)
            .build_cartesian_2d(0.0..seconds, -0.5..shown as f64 - 0.5)?;
        raster
            .configure_mesh()
            .disable_mesh()
            .y_desc("neuron index")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        raster.draw_series(
            run.spikes
                .iter()
                .filter(|&&(_, neuron)| (neuron as usize) < shown)
                .map(|&(step, neuron)| {
                    let (t, y) = (f64::from(step) * run.dt, f64::from(neuron));
                    PathElement::new(vec![(t, y - 0.4), (t, y + 0.4)], BLACK)
                }),
        )?;
        let mut rate = ChartBuilder::on(&lower)
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 3)
            .y_label_area_size(sizes.label * 4)
            .build_cartesian_2d(0.0..seconds, 0.0..top)?;
        rate.configure_mesh()
            .disable_mesh()
            .x_desc("time (s)")
            .y_desc("rate (Hz)")
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        let label = if cut {
            format!(
                "population rate, all {} neurons (cut at {top:.1} Hz)",
                run.n
            )
        } else {
            format!("population rate, all {} neurons", run.n)
        };
        rate.draw_series(LineSeries::new(
            rates.iter().map(|&(t, r)| (t, r.min(top))),
            TAB10[0].stroke_width(2),
        ))?
        .label(label)
        .legend(legend_line(TAB10[0]));
        legend(&mut rate, sizes)?;
        Ok(())
    })
}

/// Writes the first `traces` recorded voltages of `run` to `path` (PNG) as matplotlib would
/// plot the seed's figure: membrane potential (mV) against time (s), trace k shifted up by
/// 100 mV x k so the traces do not overlap, one colour and legend entry per neuron.
///
/// # Errors
/// [`Error::InvalidParam`] for no recorded neurons or a picture outside 200 x 150 to
/// 16384 x 16384; I/O and PNG errors.
pub fn write_traces(
    run: &LifRun,
    traces: usize,
    path: &Path,
    width: usize,
    height: usize,
) -> Result<()> {
    check_size(width, height)?;
    let traces = traces.min(run.rec.ncols());
    if traces == 0 || run.rec.nrows() == 0 {
        return Err(Error::param(
            "traces",
            "no recorded voltages to draw (nrec = 0)",
        ));
    }
    let sizes = Sizes::for_height(height);
    let offset = |k: usize| 100.0 * k as f64;
    let steps = run.rec.nrows();
    // Row s is the voltage after step s + 1.
    let time = |s: usize| (s + 1) as f64 * run.dt;
    let lines: Vec<Vec<(f64, f64)>> = (0..traces)
        .map(|k| envelope(steps, width, time, |s| run.rec[[s, k]] + offset(k)))
        .collect();
    let (lo, hi) = padded_range(lines.iter().flatten().map(|p| p.1))
        .ok_or_else(|| Error::param("traces", "the recorded voltages have no finite value"))?;
    save(path, width, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Membrane potential of neurons 0-{}", traces - 1),
                sizes.title(),
            )
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 3)
            .y_label_area_size(sizes.label * 4)
            .build_cartesian_2d(time(0).min(run.dt)..time(steps - 1), lo..hi)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (s)")
            .y_desc("V (mV), neuron k shifted by 100 k mV")
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        for (k, line) in lines.iter().enumerate() {
            let colour = TAB10[k % TAB10.len()];
            chart
                .draw_series(LineSeries::new(line.iter().copied(), colour))?
                .label(if k == 0 {
                    "neuron 0".to_string()
                } else {
                    format!("neuron {k} (+{} mV)", offset(k))
                })
                .legend(legend_line(colour));
        }
        legend(&mut chart, sizes)?;
        Ok(())
    })
}

/// Writes a Hodgkin-Huxley trace (`(states, 4)`: V in mV, m, h, n; state s at time s x
/// `dt_ms`) to `path` (PNG) as the seed question plots it: V (mV) in the top panel, the gating
/// variables m, h and n (0 to 1, with a legend) below, time (ms) across both.
///
/// # Errors
/// [`Error::InvalidParam`] for a trace without 4 columns or rows, a `dt_ms` that is not
/// positive, or a picture outside 200 x 150 to 16384 x 16384; I/O and PNG errors.
pub fn write_hh_trace(
    trace: ndarray::ArrayView2<'_, f64>,
    dt_ms: f64,
    path: &Path,
    width: usize,
    height: usize,
) -> Result<()> {
    check_size(width, height)?;
    if trace.ncols() != 4 || trace.nrows() == 0 {
        return Err(Error::param(
            "trace",
            "needs (states, 4) rows of V, m, h, n",
        ));
    }
    if !(dt_ms.is_finite() && dt_ms > 0.0) {
        return Err(Error::param("dt", format!("{dt_ms} ms: must be positive")));
    }
    let sizes = Sizes::for_height(height);
    let states = trace.nrows();
    let time = |s: usize| s as f64 * dt_ms;
    let end = time(states - 1).max(dt_ms);
    let column = |c: usize| envelope(states, width, time, move |s| trace[[s, c]]);
    let voltage = column(0);
    let (lo, hi) = padded_range(voltage.iter().map(|p| p.1))
        .ok_or_else(|| Error::param("trace", "V has no finite value"))?;
    save(path, width, height, |root| {
        let (upper, lower) = root.split_vertically((height * 3 / 5) as u32);
        let mut top = ChartBuilder::on(&upper)
            .caption(
                "Hodgkin-Huxley neuron: membrane potential and gating variables",
                sizes.title(),
            )
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 2)
            .y_label_area_size(sizes.label * 4)
            .build_cartesian_2d(0.0..end, lo..hi)?;
        top.configure_mesh()
            .disable_mesh()
            .y_desc("V (mV)")
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        top.draw_series(LineSeries::new(voltage.iter().copied(), BLACK))?
            .label("V")
            .legend(legend_line(BLACK));
        legend(&mut top, sizes)?;
        let mut gates = ChartBuilder::on(&lower)
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 3)
            .y_label_area_size(sizes.label * 4)
            .build_cartesian_2d(0.0..end, -0.05..1.05)?;
        gates
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (ms)")
            .y_desc("gating variable")
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        for (c, name, colour) in [(1, "m", TAB10[3]), (2, "h", TAB10[2]), (3, "n", TAB10[0])] {
            gates
                .draw_series(LineSeries::new(column(c), colour))?
                .label(name)
                .legend(legend_line(colour));
        }
        legend(&mut gates, sizes)?;
        Ok(())
    })
}

/// Writes a log-log plot of a convergence study to `path` (PNG, `width x height`): the L2
/// errors of p (blue squares) and u (smaller orange squares) against the grid size n, and the
/// line of slope -2 through p's first error (green), as the seed question draws it, with a
/// legend and decades labelled on both axes.
///
/// # Errors
/// [`Error::InvalidParam`] for fewer than two sizes, lengths that differ, errors that are not
/// positive and finite, or a picture outside 200 x 150 to 16384 x 16384; I/O and PNG errors.
pub fn write_loglog_convergence(
    path: &Path,
    n: &[usize],
    error_p: &[f64],
    error_u: &[f64],
    (width, height): (usize, usize),
) -> Result<()> {
    check_size(width, height)?;
    let positive = |v: &[f64]| v.iter().all(|&e| e.is_finite() && e > 0.0);
    if n.len() < 2
        || error_p.len() != n.len()
        || error_u.len() != n.len()
        || !positive(error_p)
        || !positive(error_u)
        || n.contains(&0)
    {
        return Err(Error::param(
            "convergence",
            "a log-log plot needs at least two sizes with positive, finite errors",
        ));
    }
    let sizes = Sizes::for_height(height);
    let reference: Vec<f64> = n
        .iter()
        .map(|&m| error_p[0] * (n[0] as f64 / m as f64).powi(2))
        .collect();
    let (nx0, nx1) = n.iter().fold((f64::INFINITY, 0.0f64), |(a, b), &m| {
        (a.min(m as f64), b.max(m as f64))
    });
    let (ey0, ey1) = error_p
        .iter()
        .chain(error_u)
        .chain(&reference)
        .fold((f64::INFINITY, 0.0f64), |(a, b), &e| (a.min(e), b.max(e)));
    // A margin of a fifth of a decade (x) and half a decade (y) around the data.
    let (x0, x1) = (nx0 / 10f64.powf(0.2), nx1 * 10f64.powf(0.2));
    let (y0, y1) = (ey0 / 10f64.powf(0.5), ey1 * 10f64.powf(0.5));
    let marker = |colour: RGBColor, half: i32| {
        move |(x, y): (f64, f64)| {
            EmptyElement::at((x, y))
                + Rectangle::new([(-half, -half), (half, half)], colour.filled())
        }
    };
    save(path, width, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Convergence of the leapfrog scheme", sizes.title())
            .margin(sizes.label)
            .x_label_area_size(sizes.label * 3)
            .y_label_area_size(sizes.label * 5)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 232))
            .x_desc("grid points n")
            .y_desc("L2 error")
            // Only 1, 2 and 5 times a power of ten, so the labels of a decade do not collide.
            .x_label_formatter(&|v| {
                let leading = v / 10f64.powf(v.log10().floor());
                if [1.0, 2.0, 5.0].iter().any(|d| (leading - d).abs() < 1e-6) {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style(sizes.label())
            .axis_desc_style(sizes.label())
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                n.iter().zip(&reference).map(|(&m, &e)| (m as f64, e)),
                TAB10[2].stroke_width(2),
            ))?
            .label("slope -2 (second order)")
            .legend(legend_line(TAB10[2]));
        // u's squares are smaller, so both show where the errors coincide.
        for (errors, name, colour, half) in [
            (error_p, "error of p", TAB10[0], 5),
            (error_u, "error of u", TAB10[1], 3),
        ] {
            let draw = marker(colour, half);
            chart
                .draw_series(n.iter().zip(errors).map(|(&m, &e)| draw((m as f64, e))))?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [(x + 5, y - half), (x + 5 + 2 * half, y + half)],
                        colour.filled(),
                    )
                });
        }
        legend(&mut chart, sizes)?;
        Ok(())
    })
}
