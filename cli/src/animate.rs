//! Animations: frames drawn as palette indices and written as an animated GIF (the `gif`
//! crate), or as MP4 through `ffmpeg` when it is on the PATH (a GIF otherwise, said in the
//! result). Three sources (anything that can be plotted can also be animated, as Matplotlib's
//! animation guide says):
//!
//! - [`line_animation`]: a 1-D field over time, a line plot per frame on fixed, labelled axes
//!   (a traveling wave, [`traveling_wave`], and the leapfrog solver's p);
//! - [`heatmap_animation`]: time-stamped points binned per time window (tumbling or sliding)
//!   on the executor (GPU binning where there is one), one colour scale across frames;
//! - [`raster_animation`]: a spiking network run as a scrolling raster.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::ArrayView1;
use rayon::prelude::*;

use gpusci::density::{histogram2d, DensityParams, PointType};
use gpusci::error::{Error, Result};
use gpusci::gpu::Device;
use gpusci::lif::LifRun;
use gpusci::render::Colormap;

/// Most frames in one animation (a GIF of more is unwieldy; ask for a larger step instead).
pub const MAX_FRAMES: usize = 10_000;

/// Frames of palette indices sharing one palette.
#[derive(Clone, Debug, PartialEq)]
pub struct Animation {
    /// Frame width in pixels.
    pub width: usize,
    /// Frame height in pixels.
    pub height: usize,
    /// Frames per second.
    pub fps: f64,
    /// Up to 256 RGB colours.
    pub palette: Vec<[u8; 3]>,
    /// `width * height` palette indices per frame, row 0 at the top.
    pub frames: Vec<Vec<u8>>,
}

/// What [`Animation::save`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    /// An animated GIF at this path.
    Gif(PathBuf),
    /// An MP4 (H.264 through ffmpeg) at this path.
    Mp4(PathBuf),
    /// A GIF at this path because MP4 was asked for and ffmpeg is not on the PATH.
    GifInsteadOfMp4(PathBuf),
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Written::Gif(p) => write!(f, "GIF {}", p.display()),
            Written::Mp4(p) => write!(f, "MP4 {} (through ffmpeg)", p.display()),
            Written::GifInsteadOfMp4(p) => {
                write!(
                    f,
                    "GIF {} (ffmpeg is not on the PATH, so no MP4)",
                    p.display()
                )
            }
        }
    }
}

fn check_frame_params(width: usize, height: usize, fps: f64, frames: usize) -> Result<()> {
    if width < 8 || height < 8 || width > 4096 || height > 4096 {
        return Err(Error::param(
            "size",
            format!("{width}x{height}: frames are 8 to 4096 pixels on a side"),
        ));
    }
    if !(fps.is_finite() && fps > 0.0 && fps <= 100.0) {
        return Err(Error::param("fps", format!("{fps}: must be in (0, 100]")));
    }
    if frames == 0 || frames > MAX_FRAMES {
        return Err(Error::param(
            "frames",
            format!("{frames}: between 1 and {MAX_FRAMES}"),
        ));
    }
    // Every frame is held (one palette byte a pixel) until the file is encoded.
    gpusci::limits::check_allocation(
        "the animation's frames",
        (frames as u64) * (width as u64) * (height as u64),
        1,
    )
}

impl Animation {
    /// Keeps at most `count` frames, evenly spaced, the first and the last included.
    pub fn keep_frames(&mut self, count: usize) {
        let total = self.frames.len();
        if count == 0 || total <= count {
            return;
        }
        let picks: Vec<usize> = if count == 1 {
            vec![0]
        } else {
            (0..count).map(|k| k * (total - 1) / (count - 1)).collect()
        };
        let frames = std::mem::take(&mut self.frames);
        self.frames = picks.into_iter().map(|i| frames[i].clone()).collect();
    }

    /// Writes the animation: MP4 through ffmpeg when `path` ends in `.mp4` and ffmpeg runs,
    /// else an animated GIF (at `path`, or `path` with `.gif` when MP4 was asked for).
    /// `progress` is called with (frames written, total).
    ///
    /// # Errors
    /// [`Error::Io`] for files and ffmpeg's pipe; [`Error::Png`]-like encoder failures are
    /// reported as [`Error::Io`].
    pub fn save(&self, path: &Path, mut progress: impl FnMut(usize, usize)) -> Result<Written> {
        let mp4 = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mp4"));
        if mp4 {
            if ffmpeg_available() {
                self.save_mp4(path, &mut progress)?;
                return Ok(Written::Mp4(path.to_path_buf()));
            }
            let gif = path.with_extension("gif");
            self.save_gif(&gif, &mut progress)?;
            return Ok(Written::GifInsteadOfMp4(gif));
        }
        self.save_gif(path, &mut progress)?;
        Ok(Written::Gif(path.to_path_buf()))
    }

    fn save_gif(&self, path: &Path, progress: &mut impl FnMut(usize, usize)) -> Result<()> {
        let encoding =
            |e: gif::EncodingError| Error::io(path, std::io::Error::other(e.to_string()));
        gpusci::io::write_output(path, |file| {
            let mut palette: Vec<u8> = self.palette.iter().flatten().copied().collect();
            // GIF palettes hold a power of two of colours.
            let entries = self.palette.len().max(2).next_power_of_two();
            palette.resize(entries * 3, 0);
            let mut encoder =
                gif::Encoder::new(file, self.width as u16, self.height as u16, &palette)
                    .map_err(encoding)?;
            encoder
                .set_repeat(gif::Repeat::Infinite)
                .map_err(encoding)?;
            // GIF delays are in hundredths of a second.
            let delay = (100.0 / self.fps).round().clamp(1.0, 65_535.0) as u16;
            for (k, frame) in self.frames.iter().enumerate() {
                let frame = gif::Frame {
                    width: self.width as u16,
                    height: self.height as u16,
                    delay,
                    buffer: std::borrow::Cow::Borrowed(frame),
                    ..gif::Frame::default()
                };
                encoder.write_frame(&frame).map_err(encoding)?;
                progress(k + 1, self.frames.len());
            }
            Ok(())
        })
    }

    fn save_mp4(&self, path: &Path, progress: &mut impl FnMut(usize, usize)) -> Result<()> {
        let io = |e: std::io::Error| Error::io(path, e);
        // H.264 in yuv420p needs even sizes: pad by one black row or column where odd.
        let (w, h) = (self.width + self.width % 2, self.height + self.height % 2);
        // ffmpeg writes a scratch file, copied to the target by the one output writer once
        // complete, so a failure leaves nothing.
        let scratch = scratch_file(".mp4")?;
        let tmp = scratch.path().to_path_buf();
        let mut child = std::process::Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
            ])
            .args([
                "-s",
                &format!("{w}x{h}"),
                "-r",
                &format!("{}", self.fps),
                "-i",
                "-",
            ])
            .args(["-pix_fmt", "yuv420p", "-vcodec", "libx264", "-f", "mp4"])
            .arg(&tmp)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map_err(io)?;
        let mut feed = || -> std::io::Result<()> {
            let stdin = child
                .stdin
                .as_mut()
                .ok_or_else(|| std::io::Error::other("ffmpeg's stdin"))?;
            let mut rgb = vec![0u8; w * h * 3];
            for (k, frame) in self.frames.iter().enumerate() {
                for y in 0..self.height {
                    for x in 0..self.width {
                        let c = self.palette[frame[y * self.width + x] as usize];
                        rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&c);
                    }
                }
                stdin.write_all(&rgb)?;
                progress(k + 1, self.frames.len());
            }
            Ok(())
        };
        let fed = feed();
        // `wait` closes ffmpeg's stdin first, so it finishes the file (or fails).
        let status = child.wait();
        let outcome = match (fed, status) {
            (Ok(()), Ok(status)) if status.success() => Ok(()),
            (Ok(()), Ok(status)) => Err(std::io::Error::other(format!("ffmpeg failed: {status}"))),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        outcome.map_err(io)?;
        gpusci::io::write_output(path, |out| {
            let mut encoded = std::fs::File::open(&tmp).map_err(io)?;
            std::io::copy(&mut encoded, out).map_err(io)?;
            Ok(())
        })
    }
}

/// Whether `ffmpeg -version` runs.
pub fn ffmpeg_available() -> bool {
    std::process::Command::new("ffmpeg")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What the axes of a [`line_animation`] say.
#[derive(Clone, Debug, PartialEq)]
pub struct LineAxes {
    /// The x of the first and the last point (points evenly spaced between); `None`: the point
    /// index, 0 to points - 1.
    pub x: Option<(f64, f64)>,
    /// The x axis's title, with its unit (`"x (m)"`).
    pub x_label: String,
    /// The y axis's title, with its unit.
    pub y_label: String,
    /// The title above the plot.
    pub title: String,
    /// The time of frame 0 and between frames, shown after the title (`t = 0.125`), in the
    /// unit `time_unit` names; `None`: the title alone, the same on every frame.
    pub time: Option<(f64, f64)>,
    /// The unit of `time` (`"s"`).
    pub time_unit: String,
}

impl Default for LineAxes {
    fn default() -> Self {
        LineAxes {
            x: None,
            x_label: "grid point".into(),
            y_label: "value".into(),
            title: String::new(),
            time: None,
            time_unit: "s".into(),
        }
    }
}

impl LineAxes {
    /// The axes of [`traveling_wave`]: x from 0 to 3.99, `sin(2 pi (x - t))`, 0.01 s a frame.
    pub fn traveling_wave() -> Self {
        LineAxes {
            x: Some((0.0, 3.99)),
            x_label: "x (wavelengths)".into(),
            y_label: "sin(2\u{3c0}(x \u{2212} t))".into(),
            title: "Traveling wave".into(),
            time: Some((0.0, 0.01)),
            time_unit: "s".into(),
        }
    }

    /// The axes of the leapfrog solver's p on `n` cells of the unit period, a frame every
    /// `frame_dt` (the solver's time unit).
    pub fn wave(n: usize, frame_dt: f64) -> Self {
        LineAxes {
            x: Some((0.0, (n.max(2) - 1) as f64 / n.max(2) as f64)),
            x_label: "x (unit period)".into(),
            y_label: "p".into(),
            title: format!("Leapfrog wave solver, {n} cells"),
            time: Some((0.0, frame_dt)),
            time_unit: "time units".into(),
        }
    }
}

/// Frames smaller than this are drawn without tick labels, titles or a caption (no room).
const LABELLED_FROM: (usize, usize) = (200, 150);

/// A line plot per frame, drawn with plotters as [`crate::pictures`] draws (axes with ticks
/// and numbers, the axis titles and a title from `axes`, DejaVu Sans): `frames[k][i]` is the
/// field at point i in frame k, x evenly spaced, y on one scale for every frame (the data's
/// range, 5 % margins), so motion reads as motion. Frames under 200 x 150 pixels keep only the
/// line and the frame. Colours are reduced to a GIF palette of greys and the line's blue.
///
/// # Errors
/// [`Error::InvalidParam`] for no frames, frames of different lengths or fewer than 2
/// points, a field with no finite value, or a size or fps out of range.
pub fn line_animation(
    frames: &[Vec<f32>],
    axes: &LineAxes,
    (width, height): (usize, usize),
    fps: f64,
) -> Result<Animation> {
    use plotters::prelude::*;
    check_frame_params(width, height, fps, frames.len())?;
    let points = frames[0].len();
    if points < 2 || frames.iter().any(|f| f.len() != points) {
        return Err(Error::param(
            "field",
            "every frame needs the same number of points, at least 2",
        ));
    }
    let (lo, hi) = frames
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return Err(Error::param("field", "no finite value to draw"));
    }
    // In float64: the span of float32 data near its limits overflows float32, and plotters'
    // ticks never finish on an infinite range.
    let (lo, hi) = (f64::from(lo), f64::from(hi));
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    let (lo, hi) = (lo - pad, hi + pad);
    let (x0, x1) = axes.x.unwrap_or((0.0, (points - 1) as f64));
    if !((x1 - x0).is_finite() && x1 > x0) {
        return Err(Error::param(
            "x",
            format!("({x0}, {x1}): needs x0 < x1 and a finite span"),
        ));
    }
    let x_of = |i: usize| x0 + (x1 - x0) * i as f64 / (points - 1) as f64;
    let labelled = width >= LABELLED_FROM.0 && height >= LABELLED_FROM.1;
    let sizes = crate::pictures::Sizes::for_height(height);
    let line = crate::pictures::TAB10[0];
    let thick = (height as u32 / 180).max(1);
    let caption = |k: usize| match axes.time {
        Some((t0, step)) => {
            // Enough decimals to tell one frame's time from the next.
            let decimals = (-step.abs().log10().floor()).clamp(0.0, 9.0) as usize;
            let t = t0 + step * k as f64;
            let when = format!("t = {t:.decimals$} {}", axes.time_unit);
            if axes.title.is_empty() {
                when
            } else {
                format!("{}, {when}", axes.title)
            }
        }
        None => axes.title.clone(),
    };
    plotted_frames(frames.len(), (width, height), fps, |k, root| {
        let frame = &frames[k];
        let mut chart = ChartBuilder::on(root);
        let title = caption(k);
        if labelled && !title.is_empty() {
            chart.caption(title, sizes.title());
        }
        if labelled {
            chart
                .margin(sizes.label / 2)
                .x_label_area_size(sizes.label * 3)
                .y_label_area_size(sizes.label * 4);
        } else {
            chart.margin(2);
        }
        let mut chart = chart.build_cartesian_2d(x0..x1, lo..hi)?;
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 232));
        if labelled {
            mesh.x_desc(axes.x_label.as_str())
                .y_desc(axes.y_label.as_str())
                .label_style(sizes.label())
                .axis_desc_style(sizes.label());
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw()?;
        // A gap where the field is not finite.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for (i, &v) in frame.iter().enumerate() {
            if v.is_finite() {
                segment.push((x_of(i), f64::from(v)));
            } else if !segment.is_empty() {
                chart.draw_series(LineSeries::new(segment.drain(..), line.stroke_width(thick)))?;
            }
        }
        chart.draw_series(LineSeries::new(segment, line.stroke_width(thick)))?;
        Ok(())
    })
}

/// `count` frames drawn with plotters by `draw(k, area)` (in parallel), each reduced to the
/// palette of [`line_palette`] (greys and the line's blue).
fn plotted_frames(
    count: usize,
    (width, height): (usize, usize),
    fps: f64,
    draw: impl Fn(usize, &crate::pictures::Area<'_>) -> crate::pictures::DrawResult + Sync,
) -> Result<Animation> {
    let line = crate::pictures::TAB10[0];
    let palette = line_palette(line);
    let frames = (0..count)
        .into_par_iter()
        .map(|k| {
            let rgba = crate::pictures::draw_rgba(width, height, |root| draw(k, root))
                .map_err(|message| Error::param("frame", format!("drawing a frame: {message}")))?;
            Ok(to_palette(&rgba, &palette, line))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Animation {
        width,
        height,
        fps,
        palette,
        frames,
    })
}

/// Greys in [`GREYS`] steps from white (index 0) to black, then `line` and its blends with
/// white: what plotters' anti-aliased text and lines leave on a white page.
const GREYS: usize = 192;
const LINE_SHADES: usize = 64;

fn line_palette(line: plotters::style::RGBColor) -> Vec<[u8; 3]> {
    let mut palette: Vec<[u8; 3]> = (0..GREYS)
        .map(|k| {
            let v = (255 - k * 255 / (GREYS - 1)) as u8;
            [v, v, v]
        })
        .collect();
    for k in 0..LINE_SHADES {
        // Shade k: the line's colour over white with opacity (k + 1) / LINE_SHADES.
        let a = (k + 1) as f64 / LINE_SHADES as f64;
        let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * a).round() as u8;
        palette.push([mix(line.0), mix(line.1), mix(line.2)]);
    }
    palette
}

/// Each RGBA pixel as the nearest palette entry: greys by their level, other colours by the
/// line blend nearest in opacity (the mesh's light grey-blue counts as grey).
fn to_palette(rgba: &[u8], palette: &[[u8; 3]], line: plotters::style::RGBColor) -> Vec<u8> {
    let grey = |v: u8| ((255 - v) as usize * (GREYS - 1) + 127) / 255;
    // Opacity of the line colour over white along the channel that moves most.
    let span = 255.0 - f64::from(line.0.min(line.1).min(line.2));
    rgba.chunks_exact(4)
        .map(|p| {
            let (r, g, b) = (p[0], p[1], p[2]);
            let (lo, hi) = (r.min(g).min(b), r.max(g).max(b));
            if hi - lo < 24 {
                grey(((u32::from(r) + u32::from(g) + u32::from(b)) / 3) as u8) as u8
            } else {
                let a = (255.0 - f64::from(lo)) / span;
                let k = ((a * LINE_SHADES as f64).round() as usize).clamp(1, LINE_SHADES) - 1;
                debug_assert!(GREYS + k < palette.len());
                (GREYS + k) as u8
            }
        })
        .collect()
}

/// The seed's traveling wave: `sin(2 pi (x - speed t) / wavelength)` for x in [0, 4) and t in
/// [0, 2), both in steps of 0.01 (200 frames of 400 points), wavelength 1, speed 1.
pub fn traveling_wave() -> Vec<Vec<f32>> {
    (0..200)
        .map(|k| {
            let t = k as f64 * 0.01;
            (0..400)
                .map(|i| {
                    let x = i as f64 * 0.01;
                    (std::f64::consts::TAU * (x - t)).sin() as f32
                })
                .collect()
        })
        .collect()
}

/// How time-stamped points become frames.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeWindows {
    /// Bins along x and y (the frame is `bins[0]` wide, `bins[1]` high).
    pub bins: [usize; 2],
    /// Each frame counts the points with `start <= t < start + window` (the last window
    /// includes its end).
    pub window: f64,
    /// Start of frame k: `t_min + k * step`; `step == window` tumbles, smaller slides.
    pub step: f64,
    /// The colormap.
    pub colormap: Colormap,
}

/// One frame per time window of `(x, y, t)` points: counts binned on `device` over the whole
/// set's x and y range, scaled by log1p against the largest count of any frame (one colour
/// scale for the whole animation), y up. Points with a non-finite coordinate are skipped.
///
/// # Errors
/// [`Error::InvalidParam`] for a non-positive or non-finite window or step, more than
/// [`MAX_FRAMES`] frames, no finite point; [`Error::ShapeMismatch`] for columns of different
/// lengths; binning errors.
pub fn heatmap_animation<'d>(
    device: impl Into<Device<'d>>,
    (x, y, t): (
        ArrayView1<'_, f64>,
        ArrayView1<'_, f64>,
        ArrayView1<'_, f64>,
    ),
    windows: &TimeWindows,
    fps: f64,
) -> Result<Animation> {
    let device: Device<'d> = device.into();
    if x.len() != y.len() || x.len() != t.len() {
        return Err(Error::ShapeMismatch {
            what: "points",
            expected: format!("x, y and t of the same length ({})", x.len()),
            got: vec![y.len(), t.len()],
        });
    }
    for (name, v) in [("window", windows.window), ("step", windows.step)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::param(name, format!("{v}: must be positive")));
        }
    }
    // Finite points, ordered by time, so each window is a contiguous range.
    let mut order: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].is_finite() && y[i].is_finite() && t[i].is_finite())
        .collect();
    if order.is_empty() {
        return Err(Error::param("points", "no point with finite x, y and t"));
    }
    order.sort_by(|&a, &b| t[a].total_cmp(&t[b]));
    let times: Vec<f64> = order.iter().map(|&i| t[i]).collect();
    let (t0, t1) = (times[0], times[times.len() - 1]);
    let count = (((t1 - t0 - windows.window) / windows.step).ceil().max(0.0) as usize) + 1;
    check_frame_params(
        windows.bins[0],
        windows.bins[1],
        fps,
        count.min(MAX_FRAMES + 1),
    )?;
    let range = |v: ArrayView1<'_, f64>| {
        let (lo, hi) = order
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &i| {
                (lo.min(v[i]), hi.max(v[i]))
            });
        if hi > lo {
            [lo, hi]
        } else {
            [lo - 0.5, lo + 0.5]
        }
    };
    let params =
        DensityParams::new(windows.bins[0], windows.bins[1]).with_range(range(x), range(y));
    let plan = params.plan(x, y, PointType::F64)?;
    let mut grids = Vec::with_capacity(count);
    for k in 0..count {
        let start = t0 + k as f64 * windows.step;
        let end = start + windows.window;
        let first = times.partition_point(|&v| v < start);
        let last = if k + 1 == count && end >= t1 {
            times.len()
        } else {
            times.partition_point(|&v| v < end)
        };
        let xs: Vec<f64> = order[first..last].iter().map(|&i| x[i]).collect();
        let ys: Vec<f64> = order[first..last].iter().map(|&i| y[i]).collect();
        let h = histogram2d(
            device,
            ArrayView1::from(&xs),
            ArrayView1::from(&ys),
            None,
            &plan,
        )?;
        grids.push(h.values);
    }
    let top = grids
        .iter()
        .flat_map(|g| g.iter())
        .fold(0.0f64, |m, &v| m.max(v))
        .max(1.0)
        .ln_1p();
    let [nx, ny] = windows.bins;
    let frames = grids
        .iter()
        .map(|g| {
            let mut pixels = vec![0u8; nx * ny];
            for ((i, j), &c) in g.indexed_iter() {
                let level = (255.0 * c.ln_1p() / top).round() as u8;
                pixels[(ny - 1 - j) * nx + i] = level;
            }
            pixels
        })
        .collect();
    Ok(Animation {
        width: nx,
        height: ny,
        fps,
        palette: (0..256)
            .map(|i| windows.colormap.rgb(i as f64 / 255.0))
            .collect(),
        frames,
    })
}

/// A scrolling spike raster of `run`: `frames` frames, each the last `window` steps up to its
/// time (frame k ends at `window + k (steps - window) / (frames - 1)`), time (s) across, the
/// first [`crate::pictures::RASTER_NEURONS`] neurons up (fewer when the frame has under 3 rows
/// for each), drawn with plotters: axes, ticks, numbers and a title from 200 x 150 pixels up.
///
/// # Errors
/// [`Error::InvalidParam`] for a window of 0 steps or longer than the run, or sizes out of
/// range.
pub fn raster_animation(
    run: &LifRun,
    window: usize,
    frames: usize,
    (width, height): (usize, usize),
    fps: f64,
) -> Result<Animation> {
    check_frame_params(width, height, fps, frames)?;
    if window == 0 || window > run.steps {
        return Err(Error::param(
            "window",
            format!(
                "{window} steps: between 1 and the run's {} steps",
                run.steps
            ),
        ));
    }
    let labelled = width >= LABELLED_FROM.0 && height >= LABELLED_FROM.1;
    let sizes = crate::pictures::Sizes::for_height(height);
    // At least 3 rows of the plot per neuron so ticks stay apart (labels take the title's and
    // the x axis's rows).
    let plot_rows = if labelled {
        height.saturating_sub((sizes.title * 2 + sizes.label * 4) as usize)
    } else {
        height
    };
    let shown = run
        .n
        .clamp(1, crate::pictures::RASTER_NEURONS.min(plot_rows / 3).max(1));
    let ends: Vec<usize> = (0..frames)
        .map(|k| {
            if frames == 1 {
                run.steps
            } else {
                window + k * (run.steps - window) / (frames - 1)
            }
        })
        .collect();
    let ink = plotters::style::RGBColor(0, 0, 0);
    plotted_frames(ends.len(), (width, height), fps, |k, root| {
        let end = ends[k];
        use plotters::prelude::*;
        let start = end - window;
        let mut chart = ChartBuilder::on(root);
        if labelled {
            chart
                .caption(
                    format!("Spike raster, neurons 0-{} of {}", shown - 1, run.n),
                    sizes.title(),
                )
                .margin(sizes.label / 2)
                .x_label_area_size(sizes.label * 3)
                .y_label_area_size(sizes.label * 4);
        } else {
            chart.margin(1);
        }
        let (t0, t1) = (start as f64 * run.dt, end as f64 * run.dt);
        let mut chart = chart.build_cartesian_2d(t0..t1, -0.5..shown as f64 - 0.5)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_mesh();
        if labelled {
            mesh.x_desc("time (s)")
                .y_desc("neuron index")
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(sizes.label())
                .axis_desc_style(sizes.label());
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw()?;
        let first = run.spikes.partition_point(|&(s, _)| (s as usize) < start);
        let ticks = run.spikes[first..]
            .iter()
            .take_while(|&&(step, _)| (step as usize) < end)
            .filter(|&&(_, neuron)| (neuron as usize) < shown)
            .map(|&(step, neuron)| {
                let (t, y) = (f64::from(step) * run.dt, f64::from(neuron));
                PathElement::new(vec![(t, y - 0.4), (t, y + 0.4)], ink.stroke_width(2))
            });
        chart.draw_series(ticks)?;
        Ok(())
    })
}

/// A temporary file for a writer that needs a real file path (ffmpeg), for [`gpusci::io::write_output`]
/// to copy from; removed when dropped.
fn scratch_file(suffix: &str) -> Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix("gpusci-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| Error::io(std::env::temp_dir(), e))
}
