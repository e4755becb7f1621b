//! CPU binning vs numpy.histogram2d (tests/data/density, made by make_density_fixtures.py):
//! counts identical, edges identical, weights and density to float64 rounding.

use std::path::{Path, PathBuf};

use crate::common::{assert_close, Tol};
use gpusci::density::{cpu, BinSpec, DensityParams, PointType, Reduction};
use gpusci::io::{read_npy, NpyArray};
use gpusci::Error;
use ndarray::{Array1, Array2, ArrayD, Axis, Ix1, Ix2};
use rand::{Rng, SeedableRng};

/// Weight sums in a different order than NumPy's bincount (the fast path's per-worker grids),
/// and density's three divisions: a few float64 ulps.
const WEIGHT_TOL: Tol = Tol {
    abs: 1e-12,
    rel: 1e-12,
};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/density")
}

fn load(name: &str) -> (ArrayD<f64>, PointType) {
    match read_npy(&dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}")) {
        NpyArray::F64(a) => (a, PointType::F64),
        NpyArray::F32(a) => (a.mapv(f64::from), PointType::F32),
    }
}

struct Case {
    name: String,
    points: Array2<f64>,
    kind: PointType,
    weights: Option<Array1<f64>>,
    params: DensityParams,
    hist: Array2<f64>,
    x_edges: Array1<f64>,
    y_edges: Array1<f64>,
}

fn cases() -> Vec<Case> {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap())
            .unwrap();
    manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            let (points, kind) = load(&format!("{name}_points.npy"));
            let points = points.into_dimensionality::<Ix2>().unwrap();
            let params = crate::common::density_case_params(c);
            let weights = c["weights"].as_bool().unwrap().then(|| {
                load(&format!("{name}_weights.npy"))
                    .0
                    .into_dimensionality::<Ix1>()
                    .unwrap()
            });
            let one = |suffix: &str| load(&format!("{name}_{suffix}.npy")).0;
            Case {
                points,
                kind,
                weights,
                params,
                hist: one("hist").into_dimensionality::<Ix2>().unwrap(),
                x_edges: one("xedges").into_dimensionality::<Ix1>().unwrap(),
                y_edges: one("yedges").into_dimensionality::<Ix1>().unwrap(),
                name,
            }
        })
        .collect()
}

#[test]
fn cpu_paths_match_numpy_histogram2d() {
    let cases = cases();
    assert_eq!(cases.len(), 17, "every fixture case is read");
    for case in cases {
        let (x, y) = (case.points.column(0), case.points.column(1));
        let plan = case
            .params
            .plan(x, y, case.kind)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            plan.x.as_slice(),
            case.x_edges.as_slice().unwrap(),
            "{}: x edges identical",
            case.name
        );
        assert_eq!(
            plan.y.as_slice(),
            case.y_edges.as_slice().unwrap(),
            "{}: y edges identical",
            case.name
        );
        let w = case.weights.as_ref().map(|w| w.view());
        let reference = cpu::histogram2d_reference(x, y, w, &plan).unwrap();
        let fast = cpu::histogram2d(x, y, w, &plan).unwrap();
        if case.weights.is_none() && !case.params.density {
            assert_eq!(
                reference.values, case.hist,
                "{}: reference counts identical",
                case.name
            );
            assert_eq!(
                fast.values, case.hist,
                "{}: fast counts identical",
                case.name
            );
        } else {
            assert_close(
                reference.values.view(),
                case.hist.view(),
                WEIGHT_TOL,
                &format!("{} reference", case.name),
            );
            assert_close(
                fast.values.view(),
                case.hist.view(),
                WEIGHT_TOL,
                &format!("{} fast", case.name),
            );
        }
        assert_eq!(
            reference.used + reference.out_of_range + reference.non_finite,
            x.len() as u64,
            "{}: every point accounted for",
            case.name
        );
        assert_eq!(
            (fast.used, fast.out_of_range, fast.non_finite),
            (reference.used, reference.out_of_range, reference.non_finite),
            "{}: same report",
            case.name
        );
    }
}

#[test]
fn the_report_counts_what_was_left_out() {
    let x = Array1::from(vec![0.0, 0.5, 1.0, 1.5, f64::NAN, f64::INFINITY, -0.1]);
    let y = Array1::from(vec![0.0, 0.5, 1.0, 0.5, 0.5, 0.5, 0.5]);
    let plan = DensityParams::new(2, 2)
        .with_range([0.0, 1.0], [0.0, 1.0])
        .plan(x.view(), y.view(), PointType::F64)
        .unwrap();
    let h = cpu::histogram2d(x.view(), y.view(), None, &plan).unwrap();
    assert_eq!(
        (h.used, h.out_of_range, h.non_finite),
        (3, 2, 2),
        "3 binned, 1.5 and -0.1 outside, NaN and inf non-finite"
    );
    assert_eq!(h.values.sum(), 3.0, "1.0 lands in the last bin");
    assert_eq!(
        h.values[[1, 1]],
        2.0,
        "0.5 and the right edge share the upper bin"
    );
}

#[test]
fn mean_min_max_reductions() {
    let x = Array1::from(vec![0.1, 0.2, 0.3, 0.9]);
    let y = Array1::from(vec![0.1, 0.1, 0.1, 0.9]);
    let w = Array1::from(vec![1.0, 5.0, 3.0, -2.0]);
    let run = |r| {
        let plan = DensityParams::new(2, 2)
            .with_range([0.0, 1.0], [0.0, 1.0])
            .with_reduction(r)
            .plan(x.view(), y.view(), PointType::F64)
            .unwrap();
        cpu::histogram2d(x.view(), y.view(), Some(w.view()), &plan)
            .unwrap()
            .values
    };
    assert_eq!(run(Reduction::Mean)[[0, 0]], 3.0, "mean");
    assert_eq!(run(Reduction::Min)[[0, 0]], 1.0, "min");
    assert_eq!(run(Reduction::Max)[[0, 0]], 5.0, "max");
    assert_eq!(run(Reduction::Max)[[1, 1]], -2.0, "single point");
    assert!(
        run(Reduction::Mean)[[0, 1]].is_nan(),
        "empty bin has no mean"
    );
}

#[test]
fn explicit_edges_follow_searchsorted() {
    let x = Array1::from(vec![0.0, 1.0, 2.0, 2.0, 5.0, 10.0]);
    let y = Array1::zeros(6);
    let mut params = DensityParams::new(1, 1).with_range([0.0, 1.0], [-1.0, 1.0]);
    params.bins[0] = BinSpec::Edges(vec![0.0, 2.0, 2.0, 10.0]);
    let plan = params.plan(x.view(), y.view(), PointType::F64).unwrap();
    let h = cpu::histogram2d_reference(x.view(), y.view(), None, &plan).unwrap();
    // NumPy: edges [0, 2, 2, 10] -> [[2], [0], [4]]: the zero-width bin stays empty.
    assert_eq!(
        h.values.index_axis(Axis(1), 0).to_vec(),
        vec![2.0, 0.0, 4.0],
        "zero-width bin"
    );
}

#[test]
fn bad_requests_are_typed_errors() {
    let x = Array1::from(vec![0.0, 1.0]);
    let y = Array1::from(vec![0.0, 1.0]);
    let plan = |p: DensityParams| p.plan(x.view(), y.view(), PointType::F64);
    let invalid = |r: gpusci::Result<_>, what: &str| {
        assert!(
            matches!(r, Err(Error::InvalidParam { .. })),
            "{what}: {r:?}"
        )
    };
    invalid(plan(DensityParams::new(0, 3)), "0 bins");
    invalid(
        plan(DensityParams::new(3, 3).with_range([1.0, 0.0], [0.0, 1.0])),
        "inverted range",
    );
    invalid(
        plan(DensityParams::new(3, 3).with_range([0.0, f64::NAN], [0.0, 1.0])),
        "NaN range",
    );
    invalid(
        plan(DensityParams::new(3, 3).with_range([0.0, f64::INFINITY], [0.0, 1.0])),
        "infinite range",
    );
    let mut edges = DensityParams::new(3, 3);
    edges.bins[1] = BinSpec::Edges(vec![0.0, 2.0, 1.0]);
    invalid(plan(edges), "decreasing edges");
    invalid(
        plan(
            DensityParams::new(3, 3)
                .with_density(true)
                .with_reduction(Reduction::Max),
        ),
        "density of a max",
    );
    let nan = Array1::from(vec![0.0, f64::NAN]);
    invalid(
        DensityParams::new(3, 3).plan(nan.view(), y.view(), PointType::F64),
        "automatic range over NaN",
    );
    let short = Array1::from(vec![0.0]);
    assert!(
        matches!(
            DensityParams::new(3, 3).plan(short.view(), y.view(), PointType::F64),
            Err(Error::ShapeMismatch { .. })
        ),
        "x and y lengths"
    );
    let p = DensityParams::new(3, 3)
        .plan(x.view(), y.view(), PointType::F64)
        .unwrap();
    assert!(
        matches!(
            cpu::histogram2d(x.view(), y.view(), Some(short.view()), &p),
            Err(Error::ShapeMismatch { .. })
        ),
        "weights length"
    );
    assert!(
        matches!(
            DensityParams::new(1 << 20, 1 << 20).plan(x.view(), y.view(), PointType::F64),
            Err(Error::ExceedsLimit { .. })
        ),
        "a grid too large"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// The fast bin (arithmetic guess, trusted away from bin boundaries) equals a plain binary
    /// search of the same edges, for points on and a few ulps either side of every edge, over
    /// ranges far from zero and bins from 1 to 5000.
    #[test]
    fn fast_bin_equals_searchsorted(lo in -1e6f64..1e6, width_exp in -8i32..8, n in 1usize..5000, seed in 0u64..1000) {
        let hi = lo + 10f64.powi(width_exp);
        let x = Array1::from(vec![lo, hi]);
        let fast = DensityParams::new(n, 1).plan(x.view(), x.view(), PointType::F64).unwrap();
        let mut explicit = DensityParams::new(1, 1);
        explicit.bins[0] = BinSpec::Edges(fast.x.as_slice().to_vec());
        let slow = explicit.plan(x.view(), x.view(), PointType::F64).unwrap();
        let edges = fast.x.as_slice();
        let step = |v: f64, k: i64| {
            let mut v = v;
            for _ in 0..k.abs() {
                v = if k > 0 { v.next_up() } else { v.next_down() };
            }
            v
        };
        for (i, &e) in edges.iter().enumerate().filter(|(i, _)| (*i as u64 + seed).is_multiple_of(7) || *i == edges.len() - 1) {
            for k in -3..=3 {
                let v = step(e, k);
                proptest::prop_assert_eq!(fast.x.bin(v), slow.x.bin(v), "edge {} of {}, {} ulps: {}", i, n, k, v);
            }
            let mid = (e + edges[(i + 1).min(edges.len() - 1)]) / 2.0;
            proptest::prop_assert_eq!(fast.x.bin(mid), slow.x.bin(mid), "middle of bin {}", i);
        }
    }

    /// The fast path's blocks (cells guessed in SIMD lanes, uncertain points sent to the exact
    /// comparison) count exactly what the reference counts, for points on and a few ulps
    /// either side of edges, outside the range, NaN and infinite, over ranges far from zero.
    #[test]
    fn fast_blocks_equal_the_reference(
        lo in -1e6f64..1e6, width_exp in -8i32..8, nx in 1usize..300, ny in 1usize..300, seed in 0u64..1000,
    ) {
        let hi = lo + 10f64.powi(width_exp);
        let range = DensityParams::new(nx, ny).with_range([lo, hi], [lo, hi]);
        let probe = Array1::from(vec![lo, hi]);
        let plan = range.plan(probe.view(), probe.view(), PointType::F64).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut pick = |edges: &[f64]| -> f64 {
            let e = edges[rng.random_range(0..edges.len())];
            match rng.random_range(0..12) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => lo - (hi - lo) * rng.random::<f64>(),
                3 => hi + (hi - lo) * rng.random::<f64>(),
                4..=6 => lo + (hi - lo) * rng.random::<f64>(),
                k => {
                    let mut v = e;
                    for _ in 0..(k - 9) {
                        v = v.next_down();
                    }
                    for _ in 0..(9 - k.min(9)) {
                        v = v.next_up();
                    }
                    v
                }
            }
        };
        let n = 9_000;
        let x: Array1<f64> = (0..n).map(|_| pick(plan.x.as_slice())).collect();
        let y: Array1<f64> = (0..n).map(|_| pick(plan.y.as_slice())).collect();
        let fast = cpu::histogram2d(x.view(), y.view(), None, &plan).unwrap();
        let reference = cpu::histogram2d_reference(x.view(), y.view(), None, &plan).unwrap();
        proptest::prop_assert_eq!(&fast.values, &reference.values);
        proptest::prop_assert_eq!(
            (fast.used, fast.out_of_range, fast.non_finite),
            (reference.used, reference.out_of_range, reference.non_finite)
        );
    }
}

/// x and y of different dtypes (NumPy stacks them: float32 edges only when np.result_type is
/// float32): counts and edges equal NumPy's on the CPU and on every adapter.
#[test]
fn mixed_dtype_columns_follow_numpy_promotion() {
    use gpusci::density::ElementType;
    let element = |name: &str| match name {
        "float32" => ElementType::Float32,
        "float64" => ElementType::Float64,
        "int16" => ElementType::Int(16),
        "int32" => ElementType::Int(32),
        "int64" => ElementType::Int(64),
        "uint8" => ElementType::UInt(8),
        other => panic!("fixture dtype {other}"),
    };
    let manifest = crate::common::manifest("density");
    let cases = manifest["mixed"].as_array().unwrap();
    assert!(cases.len() >= 7);
    let check = |exec: &gpusci::Device<'_>, on: &str| {
        for c in cases {
            let name = c["name"].as_str().unwrap();
            let kind = PointType::of_columns(
                element(c["x_dtype"].as_str().unwrap()),
                element(c["y_dtype"].as_str().unwrap()),
            );
            let expect_single = c["edges_dtype"] == "float32";
            assert_eq!(kind == PointType::F32, expect_single, "{name}: edge dtype");
            let one = |s: &str| crate::common::fixture("density", &format!("{name}_{s}"));
            let (x, y) = (
                one("x").into_dimensionality::<Ix1>().unwrap(),
                one("y").into_dimensionality::<Ix1>().unwrap(),
            );
            let plan = DensityParams::new(301, 203)
                .plan(x.view(), y.view(), kind)
                .unwrap();
            let xe = one("xedges");
            assert_eq!(plan.x.as_slice(), xe.as_slice().unwrap(), "{name}: x edges");
            let h = gpusci::density::histogram2d(exec, x.view(), y.view(), None, &plan).unwrap();
            assert_eq!(
                h.values,
                one("hist").into_dimensionality::<Ix2>().unwrap(),
                "{name} on {on}"
            );
        }
    };
    check(&gpusci::Device::Cpu, "cpu");
    crate::common::for_each_adapter("mixed_dtype_columns_follow_numpy_promotion", |ctx| {
        check(&crate::common::executor_on(ctx), &ctx.describe());
    });
}

/// A float32 point file streamed in chunks (the CLI's path) bins with NumPy's float32 edges.
#[test]
fn streamed_float32_files_match_numpy() {
    let path = dir().join("float32_fine_grid_points.npy");
    let expected = crate::common::fixture("density", "float32_fine_grid_hist")
        .into_dimensionality::<Ix2>()
        .unwrap();
    let params = DensityParams::new(1500, 997);
    let exec = gpusci::Executor::Cpu;
    let h =
        gpusci::density::histogram2d_file_in_chunks(&exec, &path, &params, None, 777, |_, _| {})
            .unwrap();
    assert_eq!(h.values, expected, "cpu, chunks of 777");
    crate::common::for_each_adapter("streamed_float32_files_match_numpy", |ctx| {
        let exec = crate::common::executor_on(ctx);
        let h =
            gpusci::density::histogram2d_file_in_chunks(exec, &path, &params, None, 777, |_, _| {})
                .unwrap();
        assert_eq!(h.values, expected, "{}", ctx.describe());
    });
}

/// Sizes from the request are refused before anything is allocated.
#[test]
fn huge_bin_counts_are_errors_not_aborts() {
    let x = Array1::from(vec![0.5, 0.25]);
    for (nx, ny) in [(4_000_000_000, 1), (usize::MAX, 2), (1 << 30, 1 << 30)] {
        let err = DensityParams::new(nx, ny)
            .with_range([0.0, 1.0], [0.0, 1.0])
            .plan(x.view(), x.view(), PointType::F64)
            .unwrap_err();
        assert!(
            matches!(err, Error::ExceedsLimit { .. } | Error::MemoryLimit { .. }),
            "{nx} x {ny}: {err}"
        );
    }
}

#[test]
fn no_float32_points_give_numpys_float64_edges_of_0_to_1() {
    // np.histogram2d(np.empty(0, np.float32), np.empty(0, np.float32), 3): NumPy's range of no
    // points is the integers (0, 1), so its edges are float64, not float32.
    let empty = Array1::<f64>::zeros(0);
    let plan = DensityParams::new(3, 3)
        .plan(empty.view(), empty.view(), PointType::F32)
        .unwrap();
    let h = cpu::histogram2d(empty.view(), empty.view(), None, &plan).unwrap();
    assert_eq!(h.x_edges, vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
    assert_eq!(h.y_edges, h.x_edges);
    assert_eq!(h.values.sum(), 0.0);
}
