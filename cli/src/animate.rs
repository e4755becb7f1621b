//! Animations: frames drawn as palette indices and written as an animated GIF (the `gif`
//! crate), or as MP4 through `ffmpeg` when it is on the PATH (a GIF otherwise, said in the
//! result). Three sources, as in the seed "Animations with Matplotlib" ("anything that can be
//! plotted can also be animated"):
//!
//! - [`line_animation`]: a 1-D field over time, a line plot per frame on fixed axes (the
//!   seed's traveling wave, [`traveling_wave`], and the leapfrog solver's p);
//! - [`heatmap_animation`]: time-stamped points binned per time window (tumbling or sliding)
//!   on the executor (GPU binning where there is one), one colour scale across frames;
//! - [`raster_animation`]: a spiking network run as a scrolling raster.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::ArrayView1;

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

/// A frame of palette indices with a few drawing operations.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize, background: u8) -> Self {
        Self {
            width,
            height,
            pixels: vec![background; width * height],
        }
    }

    fn put(&mut self, x: i64, y: i64, colour: u8) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = colour;
        }
    }

    /// Bresenham's line, `thick` pixels wide (downward).
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), colour: u8, thick: i64) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            for t in 0..thick {
                self.put(x, y + t, colour);
            }
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// `text` in a 3 x 5 pixel font scaled by `scale`, top-left at (x, y); characters
    /// without a glyph are left blank.
    fn text(&mut self, (x, y): (i64, i64), text: &str, colour: u8, scale: i64) {
        for (k, c) in text.chars().enumerate() {
            let rows = glyph(c);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        for dy in 0..scale {
                            for dx in 0..scale {
                                self.put(
                                    x + (k as i64 * 4 + col) * scale + dx,
                                    y + r as i64 * scale + dy,
                                    colour,
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn rect(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), colour: u8) {
        self.line((x0, y0), (x1, y0), colour, 1);
        self.line((x0, y1), (x1, y1), colour, 1);
        self.line((x0, y0), (x0, y1), colour, 1);
        self.line((x1, y0), (x1, y1), colour, 1);
    }
}

/// Rows (top first, 3 bits each, leftmost the high bit) of a 3 x 5 pixel glyph: digits and
/// the few letters the plots' labels use.
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        '^' => [0b010, 0b101, 0b000, 0b000, 0b000],
        '=' => [0b000, 0b111, 0b000, 0b111, 0b000],
        'e' => [0b000, 0b111, 0b111, 0b100, 0b111],
        'n' => [0b000, 0b110, 0b101, 0b101, 0b101],
        'p' => [0b000, 0b111, 0b101, 0b111, 0b100],
        'u' => [0b000, 0b101, 0b101, 0b101, 0b111],
        'r' => [0b000, 0b111, 0b100, 0b100, 0b100],
        'o' => [0b000, 0b111, 0b101, 0b101, 0b111],
        't' => [0b010, 0b111, 0b010, 0b010, 0b011],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        _ => [0; 5],
    }
}

/// `v` with two significant digits in the font's characters (`1.5e-3`, `0.25`, `-1`).
fn short_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor();
    if (-2.0..4.0).contains(&magnitude) {
        let decimals = (1.0 - magnitude).max(0.0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.1e}")
    }
}

const WHITE: u8 = 0;
const GRID: u8 = 1;
const AXIS: u8 = 2;
const INK: u8 = 3;
const PLOT_PALETTE: [[u8; 3]; 4] = [
    [255, 255, 255],
    [225, 225, 232],
    [140, 140, 150],
    [20, 20, 30],
];

/// A line plot per frame: `frames[k][i]` is the field at point i in frame k, x evenly
/// spaced across the plot, y on one scale for every frame (the data's range, 5 % margins,
/// the zero line drawn when inside), so motion reads as motion.
///
/// # Errors
/// [`Error::InvalidParam`] for no frames, frames of different lengths or fewer than 2
/// points, a field with no finite value, or a size or fps out of range.
pub fn line_animation(
    frames: &[Vec<f32>],
    width: usize,
    height: usize,
    fps: f64,
) -> Result<Animation> {
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
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    let (lo, hi) = (f64::from(lo - pad), f64::from(hi + pad));
    // Labels of the y range in the left margin (font scale 1 below 200 pixels high, else 2).
    let scale = if height >= 200 { 2 } else { 1 };
    let (hi_label, lo_label) = (short_number(hi), short_number(lo));
    let label_width = hi_label.len().max(lo_label.len()) as i64 * 4 * scale;
    let margin = 8i64;
    let (left, right) = (margin + label_width + 4, width as i64 - 1 - margin);
    let (top, bottom) = (margin, height as i64 - 1 - margin);
    let x_of =
        |i: usize| left + ((right - left) as f64 * i as f64 / (points - 1) as f64).round() as i64;
    let y_of = |v: f64| bottom - ((bottom - top) as f64 * (v - lo) / (hi - lo)).round() as i64;
    let thick = (height as i64 / 180).max(1);
    let drawn = frames
        .iter()
        .map(|frame| {
            let mut canvas = Canvas::new(width, height, WHITE);
            for k in 1..4 {
                let y = top + (bottom - top) * k / 4;
                canvas.line((left, y), (right, y), GRID, 1);
            }
            if lo < 0.0 && hi > 0.0 {
                canvas.line((left, y_of(0.0)), (right, y_of(0.0)), AXIS, 1);
            }
            canvas.rect((left, top), (right, bottom), AXIS);
            canvas.text((margin, top), &hi_label, AXIS, scale);
            canvas.text((margin, bottom - 5 * scale), &lo_label, AXIS, scale);
            let mut previous: Option<(i64, i64)> = None;
            for (i, &v) in frame.iter().enumerate() {
                if v.is_finite() {
                    let here = (x_of(i), y_of(f64::from(v)));
                    if let Some(p) = previous {
                        canvas.line(p, here, INK, thick);
                    }
                    previous = Some(here);
                } else {
                    previous = None; // a gap where the field is not finite
                }
            }
            canvas.pixels
        })
        .collect();
    Ok(Animation {
        width,
        height,
        fps,
        palette: PLOT_PALETTE.to_vec(),
        frames: drawn,
    })
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
/// time (frame k ends at `window + k (steps - window) / (frames - 1)`), time across, the first
/// [`crate::pictures::RASTER_NEURONS`] neurons down (fewer when the frame has under 3 rows for each).
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
    // At least 3 rows per neuron so ticks stay apart.
    let shown = run
        .n
        .clamp(1, crate::pictures::RASTER_NEURONS.min(height / 3));
    let band = (height / shown).max(1);
    let ends: Vec<usize> = (0..frames)
        .map(|k| {
            if frames == 1 {
                run.steps
            } else {
                window + k * (run.steps - window) / (frames - 1)
            }
        })
        .collect();
    let drawn = ends
        .iter()
        .map(|&end| {
            let start = end - window;
            let mut canvas = Canvas::new(width, height, WHITE);
            let first = run.spikes.partition_point(|&(s, _)| (s as usize) < start);
            for &(step, neuron) in &run.spikes[first..] {
                if step as usize >= end {
                    break;
                }
                if (neuron as usize) < shown {
                    let x = ((step as usize - start) * width / window) as i64;
                    let y0 = (neuron as usize * height / shown) as i64;
                    for dy in 0..(band * 3 / 4).max(1) as i64 {
                        canvas.put(x, y0 + dy, INK);
                        canvas.put(x + 1, y0 + dy, INK);
                    }
                }
            }
            canvas.pixels
        })
        .collect();
    Ok(Animation {
        width,
        height,
        fps,
        palette: PLOT_PALETTE.to_vec(),
        frames: drawn,
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
