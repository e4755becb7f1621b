//! Colour and PNG output: matplotlib's colormaps and the PNG encoder that heatmaps and the
//! pictures of the CLI (the `gpusci-cli` crate: rasters, traces, animations) share. Heatmaps
//! are a capability of their own ([`crate::heatmap`]).

use std::path::Path;
use std::str::FromStr;

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Colormaps in [`Colormap`]: nine maps and their reversed (`_r`) forms.
pub const COLORMAPS: usize = 18;

/// Entries of a colormap table: matplotlib's 256. [`lut_index`] picks one for a value.
pub const LUT_SIZE: usize = 256;

/// matplotlib's tables, made by tests/data/make_colormap_tables.py: the tables of
/// [`Colormap::ALL`] in order, each `LUT_SIZE` RGB triples, entry 0 first.
static TABLES: [[[u8; 3]; LUT_SIZE]; COLORMAPS] = tables(include_bytes!("colormaps.bin"));

const fn tables(bytes: &[u8; COLORMAPS * LUT_SIZE * 3]) -> [[[u8; 3]; LUT_SIZE]; COLORMAPS] {
    let mut out = [[[0; 3]; LUT_SIZE]; COLORMAPS];
    let mut k = 0;
    while k < bytes.len() {
        out[k / (3 * LUT_SIZE)][(k / 3) % LUT_SIZE][k % 3] = bytes[k];
        k += 1;
    }
    out
}

/// The table entry matplotlib draws for `t`: `min(floor(t * 256), 255)` for `t` in [0, 1]
/// (matplotlib's `Colormap.__call__`: `xa *= N; xa[xa == N] = N - 1`, then truncation), the
/// end entries outside [0, 1] (matplotlib's default under and over colours), and entry 0 for
/// NaN (where matplotlib draws its "bad" colour).
pub fn lut_index(t: f64) -> usize {
    if t.is_nan() {
        0
    } else {
        ((t.clamp(0.0, 1.0) * LUT_SIZE as f64) as usize).min(LUT_SIZE - 1)
    }
}

/// A colormap: matplotlib's table of 256 colours, named as matplotlib names it. `_r` forms
/// (`Colormap::ViridisR` is `viridis_r`) run the map backwards, with matplotlib's own table.
/// Colours equal matplotlib's byte for byte (`cmap(t, bytes=True)`).
///
/// ```
/// use gpusci::render::Colormap;
///
/// let viridis: Colormap = "viridis".parse().unwrap();
/// assert_eq!(viridis.rgb(0.0), [68, 1, 84]); // matplotlib's viridis(0.0, bytes=True)
/// assert_eq!(viridis.reversed().rgb(1.0), [68, 1, 84]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Colormap {
    /// `viridis`, matplotlib's default: perceptually uniform, dark blue to yellow.
    #[default]
    Viridis,
    /// `magma`: perceptually uniform, black to light yellow through purple.
    Magma,
    /// `inferno`: perceptually uniform, black to yellow through red.
    Inferno,
    /// `plasma`: perceptually uniform, blue to yellow through magenta.
    Plasma,
    /// `cividis`: blue to yellow, for colour-vision deficiency.
    Cividis,
    /// `turbo`: an improved rainbow, dark blue to dark red.
    Turbo,
    /// `gray` (also parsed from `grey`): black to white.
    Gray,
    /// `hot`: black to white through red and yellow.
    Hot,
    /// `coolwarm`: diverging, blue to red through light grey.
    Coolwarm,
    /// `viridis_r`: viridis reversed.
    ViridisR,
    /// `magma_r`: magma reversed.
    MagmaR,
    /// `inferno_r`: inferno reversed.
    InfernoR,
    /// `plasma_r`: plasma reversed.
    PlasmaR,
    /// `cividis_r`: cividis reversed.
    CividisR,
    /// `turbo_r`: turbo reversed.
    TurboR,
    /// `gray_r` (also parsed from `grey_r`): white to black.
    GrayR,
    /// `hot_r`: hot reversed.
    HotR,
    /// `coolwarm_r`: coolwarm reversed.
    CoolwarmR,
}

impl Colormap {
    /// Every colormap: the nine maps, then their `_r` forms in the same order (the order of
    /// their tables in src/render/colormaps.bin).
    pub const ALL: [Colormap; COLORMAPS] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Inferno,
        Colormap::Plasma,
        Colormap::Cividis,
        Colormap::Turbo,
        Colormap::Gray,
        Colormap::Hot,
        Colormap::Coolwarm,
        Colormap::ViridisR,
        Colormap::MagmaR,
        Colormap::InfernoR,
        Colormap::PlasmaR,
        Colormap::CividisR,
        Colormap::TurboR,
        Colormap::GrayR,
        Colormap::HotR,
        Colormap::CoolwarmR,
    ];

    /// matplotlib's name: `viridis`, ..., `coolwarm`, `viridis_r`, ..., `coolwarm_r`.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; COLORMAPS] = [
            "viridis",
            "magma",
            "inferno",
            "plasma",
            "cividis",
            "turbo",
            "gray",
            "hot",
            "coolwarm",
            "viridis_r",
            "magma_r",
            "inferno_r",
            "plasma_r",
            "cividis_r",
            "turbo_r",
            "gray_r",
            "hot_r",
            "coolwarm_r",
        ];
        NAMES[self as usize]
    }

    /// Whether this is an `_r` form.
    pub fn is_reversed(self) -> bool {
        self as usize >= COLORMAPS / 2
    }

    /// The same map run the other way: `viridis` <-> `viridis_r`.
    pub fn reversed(self) -> Colormap {
        Colormap::ALL[(self as usize + COLORMAPS / 2) % COLORMAPS]
    }

    /// The colour matplotlib draws for `t`: entry [`lut_index`]`(t)` of the table (values
    /// outside [0, 1] take the end colours; NaN takes entry 0).
    pub fn rgb(self, t: f64) -> [u8; 3] {
        self.lut()[lut_index(t)]
    }

    /// matplotlib's table of the map: `LUT_SIZE` RGB entries, entry `i` the colour of values in
    /// [i / 256, (i + 1) / 256) (entry 255 also of 1).
    pub fn lut(self) -> &'static [[u8; 3]; LUT_SIZE] {
        &TABLES[self as usize]
    }
}

impl FromStr for Colormap {
    type Err = Error;

    /// matplotlib's names ([`Colormap::name`]), in any case; `grey` and `grey_r` are `gray`
    /// and `gray_r`.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        let name = match lower.as_str() {
            "grey" => "gray",
            "grey_r" => "gray_r",
            other => other,
        };
        Colormap::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Colormap::ALL.iter().map(|c| c.name()).collect();
                Error::param(
                    "colormap",
                    format!(
                        "'{s}' is not one of {} (grey and grey_r are gray and gray_r)",
                        names.join(", ")
                    ),
                )
            })
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

/// Writes an RGBA8 image to `path` as PNG (through [`crate::io::write_output`]: nothing
/// partial is left).
///
/// # Errors
/// [`Error::Io`] or [`Error::Png`].
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<()> {
    crate::io::write_output(path, |out| encode_png(out, path, width, height, rgba))
}

/// The PNG file of an RGBA8 image, in memory (a notebook's `_repr_png_`).
///
/// # Errors
/// [`Error::Png`] when `rgba` is not `width x height x 4` bytes.
pub fn png_bytes(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    encode_png(&mut bytes, Path::new("<memory>"), width, height, rgba)?;
    Ok(bytes)
}

fn encode_png(
    out: &mut dyn std::io::Write,
    path: &Path,
    width: u32,
    height: u32,
    rgba: &[u8],
) -> Result<()> {
    let png_error = |e: png::EncodingError| Error::Png {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // Fast deflate, as cv2.imwrite's default: a 1024^2 heatmap encodes several times faster
    // for a file about a fifth larger.
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(rgba).map_err(png_error)?;
    writer.finish().map_err(png_error)
}
