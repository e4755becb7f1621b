//! Pictures: colormaps (from the `colorous` crate), heatmaps, spike rasters and voltage traces,
//! and PNG output.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::str::FromStr;

pub mod animate;
pub mod gpu;
mod heatmap;
mod raster;

pub use heatmap::{
    density_params, empty_floor, heatmap, heatmap_file, render_histogram, scale_grid, Heatmap,
    HeatmapParams, Scale,
};
pub use raster::{write_hh_trace, write_raster, write_traces, RASTER_NEURONS};

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// A named colormap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Colormap {
    /// Matplotlib's default.
    #[default]
    Viridis,
    /// Perceptually uniform, dark to light through purple.
    Magma,
    /// Perceptually uniform, black to yellow through red.
    Inferno,
    /// Perceptually uniform, blue to yellow.
    Plasma,
    /// Colour-vision-deficiency friendly.
    Cividis,
    /// Rainbow-like, improved.
    Turbo,
    /// Black to white.
    Gray,
}

impl Colormap {
    /// The colour at `t` in [0, 1] as RGB.
    pub fn rgb(self, t: f64) -> [u8; 3] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let gradient = match self {
            Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
            Colormap::Inferno => colorous::INFERNO,
            Colormap::Plasma => colorous::PLASMA,
            Colormap::Cividis => colorous::CIVIDIS,
            Colormap::Turbo => colorous::TURBO,
            Colormap::Gray => colorous::GREYS,
        };
        // colorous's GREYS runs white to black; gray images read better black to white.
        let t = if self == Colormap::Gray { 1.0 - t } else { t };
        let c = gradient.eval_continuous(t);
        [c.r, c.g, c.b]
    }
}

/// Entries of a colormap lookup table: more levels than 8-bit colour can show apart.
pub const LUT_SIZE: usize = 1024;

impl Colormap {
    /// The colormap sampled at `LUT_SIZE` evenly spaced points of [0, 1], as RGB.
    pub fn lut(self) -> Vec<[u8; 3]> {
        (0..LUT_SIZE)
            .map(|i| self.rgb(i as f64 / (LUT_SIZE - 1) as f64))
            .collect()
    }
}

impl FromStr for Colormap {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "viridis" => Ok(Colormap::Viridis),
            "magma" => Ok(Colormap::Magma),
            "inferno" => Ok(Colormap::Inferno),
            "plasma" => Ok(Colormap::Plasma),
            "cividis" => Ok(Colormap::Cividis),
            "turbo" => Ok(Colormap::Turbo),
            "gray" | "grey" | "greys" => Ok(Colormap::Gray),
            other => Err(Error::param(
                "colormap",
                format!(
                    "'{other}' is not one of viridis, magma, inferno, plasma, cividis, turbo, gray"
                ),
            )),
        }
    }
}

/// Colours a 2-D array linearly between `lo` and `hi` (row 0 at the top of the image) into
/// RGBA8. NaN is drawn transparent.
pub fn colorize(values: ArrayView2<'_, f32>, lo: f32, hi: f32, colormap: Colormap) -> Vec<u8> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for &v in values.iter() {
        if v.is_nan() {
            rgba.extend_from_slice(&[0, 0, 0, 0]);
        } else {
            let [r, g, b] = colormap.rgb(f64::from((v - lo) / span));
            rgba.extend_from_slice(&[r, g, b, 255]);
        }
    }
    rgba
}

/// Writes an RGBA8 image to `path` as PNG (through a temporary file: nothing partial is left).
///
/// # Errors
/// [`Error::Io`] or [`Error::Png`].
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<()> {
    let tmp = crate::io::temp_path(path);
    let png_error = |e: png::EncodingError| Error::Png {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let result = (|| -> Result<()> {
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        // Fast deflate, as cv2.imwrite's default: a 1024^2 heatmap encodes several times
        // faster for a file about a fifth larger.
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(rgba).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
