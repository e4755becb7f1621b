//! `gpusci.heatmap`'s Rust half: heatmaps of points and of partial sums, and PNG output.

use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{parse, value_error, PyResult};
use crate::runtime::*;
use gpusci::density::{self, PointType};

/// Points -> RGBA heatmap: `(rgba (H, W, 4) uint8, [used, out_of_range, non_finite])`.
#[pyfunction]
#[pyo3(signature = (x, y, weights, size, range, sigma, scale, cmap, float32, backend))]
#[allow(clippy::too_many_arguments, reason = "the CLI's parameters, one each")]
pub(crate) fn heatmap<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    size: (usize, usize),
    range: Option<[[f64; 2]; 2]>,
    sigma: f64,
    scale: &str,
    cmap: &str,
    float32: bool,
    backend: Option<BackendArg>,
) -> PyResult<(Bound<'py, PyAny>, [u64; 3])> {
    let params = gpusci::heatmap::HeatmapParams {
        width: size.0,
        height: size.1,
        range,
        sigma,
        scale: parse::<gpusci::heatmap::Scale>(scale)?,
        colormap: parse::<gpusci::render::Colormap>(cmap)?,
        ..Default::default()
    };
    let points = gpusci::io::Points {
        x: x.as_array().to_owned(),
        y: y.as_array().to_owned(),
        weights: weights.map(|w| w.as_array().to_owned()),
        kind: if float32 {
            PointType::F32
        } else {
            PointType::F64
        },
    };
    if points.x.len() != points.y.len() {
        return Err(value_error("x and y must have the same length"));
    }
    let exec = executor(backend)?;
    let image = compute(py, || {
        gpusci::heatmap::heatmap(exec.device(), &points, &params)
    })?;
    Ok(heatmap_to_py(py, image))
}

/// A heatmap as Python receives it: the RGBA array (height, width, 4) and the report.
pub(crate) fn heatmap_to_py(
    py: Python<'_>,
    image: gpusci::heatmap::Heatmap,
) -> (Bound<'_, PyAny>, [u64; 3]) {
    let report = [image.used, image.out_of_range, image.non_finite];
    let rgba = ndarray::Array3::from_shape_vec((image.height, image.width, 4), image.rgba)
        .expect("height x width x 4 bytes");
    (rgba.into_pyarray(py).into_any(), report)
}

/// The heatmap of an already binned grid (`(width, height)` bins, NumPy's orientation: the sum
/// of a point set's partition grids): blurred, scaled and coloured once, as `heatmap` draws
/// the grid it bins. `report` is `[used, out_of_range, non_finite]`, carried through.
#[pyfunction]
#[pyo3(signature = (sums, report, sigma, scale, cmap, backend))]
pub(crate) fn heatmap_from_sums<'py>(
    py: Python<'py>,
    sums: PyReadonlyArray2<'py, f64>,
    report: [u64; 3],
    sigma: f64,
    scale: &str,
    cmap: &str,
    backend: Option<BackendArg>,
) -> PyResult<(Bound<'py, PyAny>, [u64; 3])> {
    let values = sums.as_array().to_owned();
    let (width, height) = values.dim();
    let params = gpusci::heatmap::HeatmapParams {
        width,
        height,
        sigma,
        scale: parse::<gpusci::heatmap::Scale>(scale)?,
        colormap: parse::<gpusci::render::Colormap>(cmap)?,
        ..Default::default()
    };
    let histogram = density::Histogram {
        values,
        x_edges: Vec::new(),
        y_edges: Vec::new(),
        used: report[0],
        out_of_range: report[1],
        non_finite: report[2],
    };
    let exec = executor(backend)?;
    let image = compute(py, || {
        gpusci::heatmap::render_histogram(exec.device(), histogram, &params)
    })?;
    Ok(heatmap_to_py(py, image))
}

/// The PNG file of an RGBA (H, W, 4) uint8 array, as bytes.
#[pyfunction]
pub(crate) fn png_bytes<'py>(
    py: Python<'py>,
    rgba: numpy::PyReadonlyArray3<'py, u8>,
) -> PyResult<Bound<'py, PyBytes>> {
    let shape = rgba.shape().to_vec();
    if shape[2] != 4 {
        return Err(value_error("rgba must have shape (H, W, 4)"));
    }
    let data: Vec<u8> = rgba.as_array().iter().copied().collect();
    let bytes = py.detach(|| gpusci::render::png_bytes(shape[1] as u32, shape[0] as u32, &data))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Writes an RGBA (H, W, 4) uint8 array as a PNG file (nothing partial left on failure).
#[pyfunction]
pub(crate) fn write_png(
    py: Python<'_>,
    path: std::path::PathBuf,
    rgba: numpy::PyReadonlyArray3<'_, u8>,
) -> PyResult<()> {
    let shape = rgba.shape().to_vec();
    if shape[2] != 4 {
        return Err(value_error("rgba must have shape (H, W, 4)"));
    }
    let data: Vec<u8> = rgba.as_array().iter().copied().collect();
    Ok(py.detach(|| gpusci::render::write_png(&path, shape[1] as u32, shape[0] as u32, &data))?)
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(heatmap_from_sums, m)?)?;
    m.add_function(wrap_pyfunction!(png_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(write_png, m)?)?;
    m.add_function(wrap_pyfunction!(heatmap, m)?)?;
    Ok(())
}
