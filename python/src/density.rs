//! `gpusci.histogram2d`'s Rust half: histograms of points, in memory or from partial sums.

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::errors::PyResult;
use crate::runtime::*;
use gpusci::density::{self, BinSpec, DensityParams, PointType, Reduction};
use gpusci::Error;

pub(crate) fn bin_spec(bins: &Bound<'_, PyAny>) -> PyResult<BinSpec> {
    if let Ok(count) = bins.extract::<usize>() {
        return Ok(BinSpec::Count(count));
    }
    let edges: PyReadonlyArray1<'_, f64> = bins
        .extract()
        .map_err(|_| PyTypeError::new_err("bins: an integer or a 1-D float64 array of edges"))?;
    Ok(BinSpec::Edges(edges.as_array().to_vec()))
}

pub(crate) type Histogram<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    [u64; 3],
);

/// One axis's edges in the dtype NumPy returns them in (float32 when computed in float32).
pub(crate) fn edges_to_py<'py>(
    py: Python<'py>,
    edges: Vec<f64>,
    float32: bool,
) -> Bound<'py, PyAny> {
    if float32 {
        // Computed in float32 arithmetic: each value is a float32 exactly.
        let narrowed: Vec<f32> = edges.iter().map(|&e| e as f32).collect();
        narrowed.into_pyarray(py).into_any()
    } else {
        edges.into_pyarray(py).into_any()
    }
}

/// NumPy's histogram request: bins (counts or edges), range, density, and whether automatic
/// edges are float32.
pub(crate) fn density_request(
    bins_x: &Bound<'_, PyAny>,
    bins_y: &Bound<'_, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    float32_edges: bool,
) -> PyResult<(DensityParams, PointType)> {
    let params = DensityParams {
        bins: [bin_spec(bins_x)?, bin_spec(bins_y)?],
        range,
        density,
        reduction: Reduction::Sum,
    };
    let kind = if float32_edges {
        PointType::F32
    } else {
        PointType::F64
    };
    Ok((params, kind))
}

/// `numpy.histogram2d` of float64 coordinates: `bins_x`/`bins_y` are a count or edges;
/// `float32_edges`: the points are float32 (NumPy then computes automatic edges in float32).
/// Returns `(H, xedges, yedges, [used, out_of_range, non_finite])`, the edges in NumPy's dtype.
#[pyfunction]
#[pyo3(signature = (x, y, bins_x, bins_y, range, density, weights, float32_edges, backend, bounds=None))]
#[allow(clippy::too_many_arguments, reason = "NumPy's parameters, one each")]
pub(crate) fn histogram2d<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    bins_x: &Bound<'py, PyAny>,
    bins_y: &Bound<'py, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    float32_edges: bool,
    backend: Option<BackendArg>,
    bounds: Option<(BoundsTuple, BoundsTuple)>,
) -> PyResult<Histogram<'py>> {
    let (params, kind) = density_request(bins_x, bins_y, range, density, float32_edges)?;
    let exec = executor(backend)?;
    let (xv, yv) = (x.as_array(), y.as_array());
    let wv = weights.as_ref().map(|w| w.as_array());
    let (h, float32) = compute(py, || -> gpusci::Result<(density::Histogram, [bool; 2])> {
        let plan = match bounds {
            // A partition of a larger point set: the edges come from the whole set's bounds.
            Some((bx, by)) => {
                if xv.len() != yv.len() {
                    return Err(Error::ShapeMismatch {
                        what: "y",
                        expected: format!("as many values as x ({})", xv.len()),
                        got: vec![yv.len()],
                    });
                }
                params.plan_from_bounds(to_bounds(bx), to_bounds(by), kind)?
            }
            None => params.plan(xv, yv, kind)?,
        };
        if let Some(w) = wv {
            if w.len() != xv.len() {
                return Err(Error::ShapeMismatch {
                    what: "weights",
                    expected: format!("one weight per point ({})", xv.len()),
                    got: vec![w.len()],
                });
            }
        }
        let float32 = [plan.x.is_float32(), plan.y.is_float32()];
        Ok((
            density::histogram2d(exec.device(), xv, yv, wv, &plan)?,
            float32,
        ))
    })?;
    Ok((
        h.values.into_pyarray(py),
        edges_to_py(py, h.x_edges, float32[0]),
        edges_to_py(py, h.y_edges, float32[1]),
        [h.used, h.out_of_range, h.non_finite],
    ))
}

/// `(min, max, nan seen)` of one coordinate: [`density::Bounds`] as Python holds it.
pub(crate) type BoundsTuple = (f64, f64, bool);

pub(crate) fn to_bounds((min, max, nan): BoundsTuple) -> density::Bounds {
    density::Bounds { min, max, nan }
}

/// The bounds of one coordinate of a partition (`(inf, -inf, False)` when empty), for a point
/// set's automatic range found one partition at a time.
#[pyfunction]
pub(crate) fn bounds(py: Python<'_>, values: PyReadonlyArray1<'_, f64>) -> BoundsTuple {
    let view = values.as_array();
    let b = py.detach(|| density::Bounds::of(view));
    (b.min, b.max, b.nan)
}

/// The histogram of a whole point set from its partitions' summed grid: the edges from the
/// set's bounds (as `histogram2d` computes them from all points), then `density=True` as
/// NumPy applies it. Returns `(H, xedges, yedges)`, the edges in NumPy's dtype.
#[pyfunction]
#[pyo3(signature = (sums, bins_x, bins_y, range, density, float32_edges, bounds, report))]
#[allow(clippy::too_many_arguments, reason = "NumPy's parameters, one each")]
pub(crate) fn histogram2d_from_sums<'py>(
    py: Python<'py>,
    sums: PyReadonlyArray2<'py, f64>,
    bins_x: &Bound<'py, PyAny>,
    bins_y: &Bound<'py, PyAny>,
    range: Option<[[f64; 2]; 2]>,
    density: bool,
    float32_edges: bool,
    bounds: (BoundsTuple, BoundsTuple),
    report: [u64; 3],
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
)> {
    let (params, kind) = density_request(bins_x, bins_y, range, density, float32_edges)?;
    let values = sums.as_array().to_owned();
    let (h, float32) = py.detach(|| -> gpusci::Result<_> {
        let plan = params.plan_from_bounds(to_bounds(bounds.0), to_bounds(bounds.1), kind)?;
        let float32 = [plan.x.is_float32(), plan.y.is_float32()];
        Ok((
            density::Histogram::from_sums(values, &plan, report)?,
            float32,
        ))
    })?;
    Ok((
        h.values.into_pyarray(py),
        edges_to_py(py, h.x_edges, float32[0]),
        edges_to_py(py, h.y_edges, float32[1]),
    ))
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bounds, m)?)?;
    m.add_function(wrap_pyfunction!(histogram2d, m)?)?;
    m.add_function(wrap_pyfunction!(histogram2d_from_sums, m)?)?;
    Ok(())
}
