//! GPU binning vs the CPU and NumPy on every adapter: counts must be identical, on adapters
//! with and without float64 alike (the shader compares float32 triples).

use std::path::{Path, PathBuf};

use crate::common::{for_each_adapter, for_each_adapter_with_limits};
use gpusci::density::{cpu, gpu::fixed_point_shift, gpu::DensityGpu, DensityParams, PointType};
use gpusci::io::{read_npy, NpyArray};
use ndarray::{Array1, Array2, Ix2};
use rand::{Rng, SeedableRng};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/density")
}

fn points(name: &str) -> (Array2<f64>, PointType) {
    match read_npy(&dir().join(format!("{name}_points.npy"))).unwrap() {
        NpyArray::F64(a) => (a.into_dimensionality::<Ix2>().unwrap(), PointType::F64),
        NpyArray::F32(a) => (
            a.mapv(f64::from).into_dimensionality::<Ix2>().unwrap(),
            PointType::F32,
        ),
    }
}

#[track_caller]
fn same_as_cpu(
    ctx: &gpusci::GpuContext,
    x: &Array1<f64>,
    y: &Array1<f64>,
    params: &DensityParams,
    kind: PointType,
    what: &str,
) {
    let plan = params.plan(x.view(), y.view(), kind).unwrap();
    assert!(DensityGpu::supports(ctx, &plan), "{what}: runs on the GPU");
    let gpu = DensityGpu::new(ctx)
        .unwrap()
        .histogram2d(ctx, x.view(), y.view(), &plan)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let cpu = cpu::histogram2d_reference(x.view(), y.view(), None, &plan).unwrap();
    assert_eq!(gpu.values, cpu.values, "{what}: identical counts");
    assert_eq!(
        (gpu.used, gpu.out_of_range, gpu.non_finite),
        (cpu.used, cpu.out_of_range, cpu.non_finite),
        "{what}: same report"
    );
}

#[test]
fn gpu_counts_equal_numpy_fixtures_on_every_adapter() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap())
            .unwrap();
    for_each_adapter("gpu_counts_equal_numpy_fixtures_on_every_adapter", |ctx| {
        for case in manifest["cases"].as_array().unwrap() {
            if case["weights"].as_bool().unwrap() {
                continue;
            }
            let name = case["name"].as_str().unwrap();
            let (pts, kind) = points(name);
            let params = crate::common::density_case_params(case);
            let (x, y) = (pts.column(0).to_owned(), pts.column(1).to_owned());
            same_as_cpu(ctx, &x, &y, &params, kind, name);
            if !case["density"].as_bool().unwrap() {
                let expected = match read_npy(&dir().join(format!("{name}_hist.npy"))).unwrap() {
                    NpyArray::F64(a) => a.into_dimensionality::<Ix2>().unwrap(),
                    NpyArray::F32(_) => unreachable!("NumPy writes float64 grids"),
                };
                let plan = params.plan(x.view(), y.view(), kind).unwrap();
                let gpu = DensityGpu::new(ctx)
                    .unwrap()
                    .histogram2d(ctx, x.view(), y.view(), &plan)
                    .unwrap();
                assert_eq!(
                    gpu.values, expected,
                    "{name}: GPU counts identical to NumPy's"
                );
            }
        }
    });
}

fn clustered_with_edges(n: usize, bins: usize, seed: u64) -> (Array1<f64>, Array1<f64>) {
    let (mut x, mut y) = gpusci::data::clustered_points(n, seed);
    // Every tenth point exactly on an edge of [0, 1] split into `bins`.
    let edges: Vec<f64> = (0..=bins).map(|i| i as f64 / bins as f64).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for k in (0..n).step_by(10) {
        x[k] = edges[rng.random_range(0..edges.len())];
        y[k] = edges[rng.random_range(0..edges.len())];
    }
    (x, y)
}

#[test]
fn gpu_global_atomics_path_on_a_large_grid() {
    for_each_adapter("gpu_global_atomics_path_on_a_large_grid", |ctx| {
        let (x, y) = clustered_with_edges(50_000, 150, 21);
        same_as_cpu(
            ctx,
            &x,
            &y,
            &DensityParams::new(150, 130).with_range([0.0, 1.0], [0.0, 1.0]),
            PointType::F64,
            "150x130",
        );
        same_as_cpu(
            ctx,
            &x,
            &y,
            &DensityParams::new(97, 1),
            PointType::F64,
            "auto range, one column",
        );
    });
}

#[test]
fn gpu_streams_point_sets_larger_than_one_binding() {
    // A 64 KiB binding holds 4,096 points (16 bytes each): 40,000 points take 10 chunks through
    // two buffers.
    let small = |mut limits: wgpu::Limits| {
        limits.max_storage_buffer_binding_size = 64 * 1024;
        limits
    };
    for_each_adapter_with_limits(
        "gpu_streams_point_sets_larger_than_one_binding",
        small,
        |ctx| {
            let (x, y) = clustered_with_edges(40_000, 64, 22);
            same_as_cpu(
                ctx,
                &x,
                &y,
                &DensityParams::new(64, 64).with_range([0.0, 1.0], [0.0, 1.0]),
                PointType::F64,
                "shared path, 10 chunks",
            );
            same_as_cpu(
                ctx,
                &x,
                &y,
                &DensityParams::new(120, 100).with_range([0.0, 1.0], [0.0, 1.0]),
                PointType::F64,
                "global path, 10 chunks",
            );
        },
    );
}

#[test]
fn gpu_handles_extreme_magnitudes_on_the_host_exactly() {
    for_each_adapter(
        "gpu_handles_extreme_magnitudes_on_the_host_exactly",
        |ctx| {
            let x = Array1::from(vec![
                1e-30,
                -1e-300,
                0.0,
                -0.0,
                1e39,
                5e37,
                f64::NAN,
                1e-25,
                0.5,
                f64::MIN_POSITIVE,
            ]);
            let y = Array1::from(vec![
                0.0,
                0.0,
                1e-40,
                0.0,
                0.0,
                0.0,
                0.0,
                1.0,
                f64::INFINITY,
                0.0,
            ]);
            same_as_cpu(
                ctx,
                &x,
                &y,
                &DensityParams::new(4, 3).with_range([-1.0, 1e38], [0.0, 1.0]),
                PointType::F64,
                "tiny and huge",
            );
            same_as_cpu(
                ctx,
                &x,
                &y,
                &DensityParams::new(5, 5).with_range([0.0, 1.0], [0.0, 1.0]),
                PointType::F64,
                "around zero",
            );
        },
    );
}

#[test]
fn gpu_weight_sums_are_exact_fixed_point_and_deterministic() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("manifest.json")).unwrap())
            .unwrap();
    for_each_adapter(
        "gpu_weight_sums_are_exact_fixed_point_and_deterministic",
        |ctx| {
            let binner = DensityGpu::new(ctx).unwrap();
            for case in manifest["cases"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["weights"].as_bool().unwrap())
            {
                let name = case["name"].as_str().unwrap();
                let (pts, kind) = points(name);
                let w = match read_npy(&dir().join(format!("{name}_weights.npy"))).unwrap() {
                    NpyArray::F64(a) => a.into_dimensionality::<ndarray::Ix1>().unwrap(),
                    NpyArray::F32(_) => unreachable!("float64 weights"),
                };
                let params = crate::common::density_case_params(case);
                let (x, y) = (pts.column(0).to_owned(), pts.column(1).to_owned());
                let plan = params.plan(x.view(), y.view(), kind).unwrap();
                let gpu = binner
                    .histogram2d_weighted(ctx, x.view(), y.view(), w.view(), &plan)
                    .unwrap();
                let again = binner
                    .histogram2d_weighted(ctx, x.view(), y.view(), w.view(), &plan)
                    .unwrap();
                assert_eq!(
                    gpu.values, again.values,
                    "{name}: integer sums do not depend on order"
                );
                let reference =
                    cpu::histogram2d_reference(x.view(), y.view(), Some(w.view()), &plan).unwrap();
                // Each weight is rounded to a multiple of 2^-shift: at most half of that per point.
                let shift = fixed_point_shift(w.view()).unwrap();
                let sum_tol = x.len() as f64 * 2f64.powi(-shift - 1);
                let tol = if plan.density {
                    // v = s / (area * total): an error of sum_tol in s, and of cells * sum_tol
                    // in the total, move v by at most this much.
                    let raw_plan = gpusci::density::DensityPlan {
                        density: false,
                        ..plan.clone()
                    };
                    let raw =
                        cpu::histogram2d_reference(x.view(), y.view(), Some(w.view()), &raw_plan)
                            .unwrap();
                    let total = raw.values.sum().abs();
                    let min_width = |w: Vec<f64>| w.into_iter().fold(f64::INFINITY, f64::min);
                    let min_area = min_width(plan.x.widths()) * min_width(plan.y.widths());
                    let max_v = crate::common::max_abs(reference.values.view());
                    sum_tol / (min_area * total)
                        + max_v * (raw.values.len() as f64 + 1.0) * sum_tol / total
                } else {
                    sum_tol
                };
                crate::common::assert_close(
                    gpu.values.view(),
                    reference.values.view(),
                    crate::common::Tol {
                        abs: tol,
                        rel: 1e-12,
                    },
                    name,
                );
                assert_eq!(gpu.used, reference.used, "{name}: counts");
            }
        },
    );
}

#[test]
fn nan_weights_take_the_cpu_path_like_numpy() {
    let x = Array1::from(vec![0.1, 0.6, 0.6]);
    let y = Array1::from(vec![0.1, 0.6, 0.6]);
    let w = Array1::from(vec![1.0, f64::NAN, 2.0]);
    assert!(
        fixed_point_shift(w.view()).is_none(),
        "NaN cannot be a fixed-point integer"
    );
    for_each_adapter("nan_weights_take_the_cpu_path_like_numpy", |ctx| {
        let plan = DensityParams::new(2, 2)
            .with_range([0.0, 1.0], [0.0, 1.0])
            .plan(x.view(), y.view(), PointType::F64)
            .unwrap();
        assert!(
            DensityGpu::new(ctx)
                .unwrap()
                .histogram2d_weighted(ctx, x.view(), y.view(), w.view(), &plan)
                .is_err(),
            "refused on the GPU"
        );
    });
    let plan = DensityParams::new(2, 2)
        .with_range([0.0, 1.0], [0.0, 1.0])
        .plan(x.view(), y.view(), PointType::F64)
        .unwrap();
    let h = gpusci::density::histogram2d(
        &gpusci::Executor::Cpu,
        x.view(),
        y.view(),
        Some(w.view()),
        &plan,
    )
    .unwrap();
    assert!(
        h.values[[1, 1]].is_nan() && h.values[[0, 0]] == 1.0,
        "NumPy: the NaN's bin is NaN, the others sum"
    );
}

/// Grids past one binding are binned on the GPU in bands (one extra bin closes each band and
/// is dropped) and read back into one grid: counts and integer weight sums equal the CPU's
/// exactly, with `density`, points on band edges and the last edge, NaN and points outside.
#[test]
fn grids_past_one_binding_bin_on_the_gpu_in_bands() {
    use gpusci::density::histogram2d;
    for_each_adapter_with_limits(
        "density bands",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 16 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx);
            let (mut x, y) = clustered_with_edges(30_000, 130, 21);
            x[7] = f64::NAN;
            x[8] = 3.0;
            let weights = Array1::from_shape_fn(x.len(), |i| ((i * 7) % 5) as f64 - 1.0);
            for (bins, density) in [((130, 90), false), ((257, 33), true)] {
                let plan = DensityParams::new(bins.0, bins.1)
                    .with_range([0.0, 1.0], [0.0, 1.0])
                    .with_density(density)
                    .plan(x.view(), y.view(), PointType::F64)
                    .unwrap();
                assert!(!DensityGpu::supports(ctx, &plan), "past the binding");
                for w in [None, Some(weights.view())] {
                    let (gpu, notes) = crate::common::capture_cpu_notes(|| {
                        histogram2d(exec, x.view(), y.view(), w, &plan).unwrap()
                    });
                    assert!(notes.is_empty(), "binned on the GPU: {notes:?}");
                    let want = cpu::histogram2d(x.view(), y.view(), w, &plan).unwrap();
                    assert_eq!(gpu.values, want.values, "{bins:?} weighted {}", w.is_some());
                    assert_eq!(
                        (gpu.used, gpu.out_of_range, gpu.non_finite),
                        (want.used, want.out_of_range, want.non_finite)
                    );
                }
            }
        },
    );
}

/// A point file whose grid is past one binding streams into bands on the GPU (every chunk
/// added to each band): equal to the CPU's one pass, counts and integer weight sums, with no
/// CPU-fallback note.
#[test]
fn streamed_files_past_one_binding_bin_in_bands() {
    use gpusci::density::histogram2d_file_in_chunks;
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = clustered_with_edges(20_000, 120, 22);
    let path = dir.path().join("points.npy");
    let stacked = ndarray::stack(ndarray::Axis(1), &[x.view(), y.view()]).unwrap();
    gpusci::io::write_npy(&path, &stacked.into_dyn()).unwrap();
    let weights = Array1::from_shape_fn(x.len(), |i| ((i * 3) % 4) as f64);
    let params = DensityParams::new(120, 70).with_range([0.0, 1.0], [0.0, 1.0]);
    let plan = params.plan(x.view(), y.view(), PointType::F64).unwrap();
    for_each_adapter_with_limits(
        "density file bands",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 16 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx);
            assert!(!DensityGpu::supports(ctx, &plan), "past the binding");
            for w in [None, Some(weights.view())] {
                let (gpu, notes) = crate::common::capture_cpu_notes(|| {
                    histogram2d_file_in_chunks(exec, &path, &params, w, 3001, |_, _| {}).unwrap()
                });
                assert!(notes.is_empty(), "binned on the GPU: {notes:?}");
                let want = cpu::histogram2d(x.view(), y.view(), w, &plan).unwrap();
                assert_eq!(gpu.values, want.values, "weighted {}", w.is_some());
                assert_eq!(gpu.used, want.used);
            }
        },
    );
}
