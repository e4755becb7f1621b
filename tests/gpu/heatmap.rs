//! Heatmaps and point input: CSV and .npy point files, scales, GPU chains against the CPU
//! (the PNG files of `gpusci heatmap` are tested with the CLI, cli/tests/cli/heatmap.rs).

use gpusci::density::PointType;
use gpusci::heatmap::{heatmap, scale_grid, HeatmapParams, Scale};
use gpusci::io::{read_points, Points};
use gpusci::render::{Colormap, LUT_SIZE};
use gpusci::{Error, Executor};
use ndarray::{arr2, Array1};

#[test]
fn zoomed_and_blurred_heatmaps_render_on_every_backend() {
    let points = crate::common::top_left_points();
    let params = HeatmapParams {
        width: 32,
        height: 24,
        range: Some([[0.0, 0.5], [0.5, 1.0]]),
        sigma: 1.5,
        span: None,
        scale: Scale::EqHist,
        colormap: Colormap::Magma,
        transparent_empty: false,
    };
    let cpu = heatmap(&Executor::Cpu, &points, &params).unwrap();
    assert_eq!(cpu.rgba.len(), 32 * 24 * 4, "RGBA size");
    assert!(cpu.rgba.chunks(4).all(|p| p[3] == 255), "opaque when asked");
    crate::common::for_each_adapter(
        "zoomed_and_blurred_heatmaps_render_on_every_backend",
        |ctx| {
            let gpu = gpu_heatmap_like(ctx, &points, &params, &cpu, "same report on the GPU");
            let differing = gpu
                .rgba
                .iter()
                .zip(&cpu.rgba)
                .filter(|(a, b)| a.abs_diff(**b) > 2)
                .count();
            assert_eq!(
                differing, 0,
                "same picture (float32 blur: colours within 2 levels)"
            );
        },
    );
}

/// The heatmap of `points` on a context like `ctx`, checked to report what `cpu` reported.
fn gpu_heatmap_like(
    ctx: &gpusci::GpuContext,
    points: &Points,
    params: &HeatmapParams,
    cpu: &gpusci::heatmap::Heatmap,
    what: &str,
) -> gpusci::heatmap::Heatmap {
    let gpu = heatmap(crate::common::executor_on(ctx), points, params).unwrap();
    assert_eq!(
        (gpu.used, gpu.out_of_range, gpu.non_finite),
        (cpu.used, cpu.out_of_range, cpu.non_finite),
        "{what}: report"
    );
    gpu
}

#[test]
fn scales_map_non_empty_bins_onto_zero_to_one() {
    let grid = arr2(&[[0.0, 1.0], [10.0, 100.0]]);
    for scale in [Scale::Linear, Scale::Log, Scale::Cbrt, Scale::EqHist] {
        let t = scale_grid(grid.view(), scale, None);
        assert!(t[[0, 0]].is_nan(), "{scale:?}: empty stays empty");
        assert_eq!((t[[0, 1]], t[[1, 1]]), (0.0, 1.0), "{scale:?}: ends");
        assert!(t[[1, 0]] > 0.0 && t[[1, 0]] < 1.0, "{scale:?}: middle");
    }
    assert_eq!(
        scale_grid(grid.view(), Scale::EqHist, None)[[1, 0]],
        0.5,
        "eq_hist: ranks"
    );
}

#[test]
fn csv_points_read_with_header_comments_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(
        &path,
        "x, y, weight\n# a comment\n0.1, 0.2, 1\n\n 0.3,0.4,2 \nnan,inf,3\n",
    )
    .unwrap();
    let p = read_points(&path).unwrap();
    assert_eq!(p.x.len(), 3, "three rows");
    assert_eq!(
        p.weights.unwrap().to_vec(),
        vec![1.0, 2.0, 3.0],
        "weights column"
    );
    assert!(
        p.x[2].is_nan() && p.y[2].is_infinite(),
        "nan and inf accepted"
    );
    let bad = |text: &str, line: u64, what: &str| {
        std::fs::write(&path, text).unwrap();
        match read_points(&path) {
            Err(Error::Csv {
                line: l, message, ..
            }) => assert_eq!(l, line, "{what}: line number ({message})"),
            other => panic!("{what}: expected a CSV error, got {other:?}"),
        }
    };
    bad("1,2\n3,4,5\n", 2, "ragged row");
    bad("1,2\n3,abc\n", 2, "non-numeric");
    bad("x,y\n1,2\nfoo,bar\n", 3, "a second header");
    bad("1\n", 1, "one column");
    // No data rows (nothing, or a header alone) is an empty point set, as np.loadtxt reads it.
    for text in ["", "x,y\n", "# comment\nx,y\n\n"] {
        std::fs::write(&path, text).unwrap();
        let p = read_points(&path).unwrap();
        assert_eq!(p.x.len(), 0, "{text:?}");
    }
}

#[test]
fn files_binned_in_chunks_equal_one_pass_for_every_format() {
    use gpusci::density::{histogram2d_file_in_chunks, DensityParams};
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = gpusci::data::clustered_points(30_000, 9);
    let both = ndarray::stack(ndarray::Axis(1), &[x.view(), y.view()]).unwrap();
    let c = dir.path().join("c.npy");
    gpusci::io::write_npy(&c, &both.clone().into_dyn()).unwrap();
    let f = dir.path().join("f.npy");
    // Fortran order: the same array, column-major on disk (all x, then all y).
    let column_major: Vec<u8> = x
        .iter()
        .chain(y.iter())
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let dict = format!(
        "{{'descr': '<f8', 'fortran_order': True, 'shape': ({}, 2), }}",
        x.len()
    );
    std::fs::write(&f, crate::common::npy_bytes(&dict, &column_major)).unwrap();
    let f32_path = dir.path().join("s.npy");
    gpusci::io::write_npy(&f32_path, &both.mapv(|v| v as f32).into_dyn()).unwrap();
    let csv = dir.path().join("p.csv");
    let text: String = x
        .iter()
        .zip(y.iter())
        .map(|(a, b)| format!("{a},{b}\n"))
        .collect();
    std::fs::write(&csv, format!("x,y\n{text}")).unwrap();
    let exec = Executor::Cpu;
    for params in [
        DensityParams::new(37, 41),
        DensityParams::new(64, 64).with_range([0.0, 1.0], [0.0, 1.0]),
    ] {
        let whole = gpusci::density::cpu::histogram2d_reference(
            x.view(),
            y.view(),
            None,
            &params.plan(x.view(), y.view(), PointType::F64).unwrap(),
        )
        .unwrap();
        for path in [&c, &f, &csv] {
            let streamed =
                histogram2d_file_in_chunks(&exec, path, &params, None, 7001, |_, _| {}).unwrap();
            assert_eq!(
                streamed.values,
                whole.values,
                "{}: same counts as one pass",
                path.display()
            );
            assert_eq!(
                streamed.x_edges,
                whole.x_edges,
                "{}: same edges",
                path.display()
            );
        }
        // float32 points: NumPy's float32 edges for an automatic range.
        let (x32, y32) = (
            x.mapv(|v| f64::from(v as f32)),
            y.mapv(|v| f64::from(v as f32)),
        );
        let whole32 = gpusci::density::cpu::histogram2d_reference(
            x32.view(),
            y32.view(),
            None,
            &params.plan(x32.view(), y32.view(), PointType::F32).unwrap(),
        )
        .unwrap();
        let streamed32 =
            histogram2d_file_in_chunks(&exec, &f32_path, &params, None, 7001, |_, _| {}).unwrap();
        assert_eq!(streamed32.values, whole32.values, "float32 file");
        assert_eq!(streamed32.x_edges, whole32.x_edges, "float32 edges");
        // The GPU binner, fed chunk by chunk.
        crate::common::for_each_adapter("files_binned_in_chunks_on_the_gpu", |ctx| {
            let gpu = crate::common::executor_on(ctx);
            let streamed =
                histogram2d_file_in_chunks(gpu, &c, &params, None, 7001, |_, _| {}).unwrap();
            assert_eq!(streamed.values, whole.values, "GPU, chunked");
        });
    }
}

/// A float32 blur's relative error on non-negative data: every term of every sum is
/// non-negative, so each output's rounding error is relative to the output itself; each sums
/// 2 x 4 sigma + 1 taps per pass in float32 (6e-8 each) over two passes, and 1e-5 covers sigma
/// up to 10.
const BLUR_F32_REL: f64 = 1e-5;

/// The transform of a scaling (not `eq_hist`).
fn transform(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Log => v.ln_1p(),
        Scale::Cbrt => v.cbrt(),
        _ => v,
    }
}

/// The resident GPU chain (bin, blur, range, scale, colormap, one read-back) against the CPU's
/// float64 chain, pixel by pixel, for every scaling it runs, spans, transparency, odd sizes, one
/// pixel, and grids past one workgroup of the range reduction (4096 cells).
#[test]
fn gpu_heatmaps_match_the_cpu_on_every_adapter() {
    use gpusci::blur::{gaussian_filter, BlurParams, Mode};
    use gpusci::density::{cpu, DensityParams};
    use gpusci::heatmap::empty_floor;
    let (mut x, mut y) = gpusci::data::clustered_points(20_000, 11);
    x[0] = f64::NAN;
    y[1] = f64::INFINITY;
    x[2] = 7.0;
    let points = Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    };
    let cases = [
        (37, 23, 0.0, Scale::Linear, None, true, Colormap::Gray),
        (64, 96, 1.5, Scale::Log, None, false, Colormap::Viridis),
        (1, 1, 0.0, Scale::Log, None, true, Colormap::Magma),
        (
            200,
            150,
            2.0,
            Scale::Cbrt,
            Some([0.5, 20.0]),
            true,
            Colormap::Turbo,
        ),
        (
            129,
            65,
            3.0,
            Scale::Linear,
            Some([1.0, 5.0]),
            false,
            Colormap::Inferno,
        ),
    ];
    for (width, height, sigma, scale, span, transparent_empty, colormap) in cases {
        let params = HeatmapParams {
            width,
            height,
            range: Some([[0.0, 1.0], [0.0, 1.0]]),
            sigma,
            scale,
            span,
            colormap,
            transparent_empty,
        };
        let what = format!("{width}x{height} sigma {sigma} {scale:?} span {span:?}");
        // The CPU's float64 grid and scaled values, to bound each pixel's difference.
        let plan = DensityParams::new(width, height)
            .with_range([0.0, 1.0], [0.0, 1.0])
            .plan(points.x.view(), points.y.view(), PointType::F64)
            .unwrap();
        let counts = cpu::histogram2d_reference(points.x.view(), points.y.view(), None, &plan)
            .unwrap()
            .values;
        let grid = if sigma > 0.0 {
            let blur = BlurParams::new(sigma).with_mode(Mode::Constant);
            gaussian_filter(&Executor::Cpu, counts.view(), &blur).unwrap()
        } else {
            counts.clone()
        };
        let floor = empty_floor(sigma);
        let floored = grid.mapv(|v| if v < floor { 0.0 } else { v });
        let t = scale_grid(floored.view(), scale, span);
        // The transformed ends t maps between, as scale_grid takes them.
        let (t_lo, t_hi) = match span {
            Some([a, b]) => (transform(scale, a), transform(scale, b)),
            None => floored
                .iter()
                .filter(|&&v| v > 0.0)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(transform(scale, v)), b.max(transform(scale, v)))
                }),
        };
        let rel = if sigma > 0.0 { BLUR_F32_REL } else { 0.0 };
        let lut = colormap.lut();
        let cpu_image = heatmap(&Executor::Cpu, &points, &params).unwrap();
        crate::common::for_each_adapter("gpu_heatmaps_match_the_cpu_on_every_adapter", |ctx| {
            let gpu = gpu_heatmap_like(ctx, &points, &params, &cpu_image, &what);
            assert_eq!(gpu.rgba.len(), width * height * 4, "{what}: size");
            let mut near_floor = 0;
            for r in 0..height {
                for i in 0..width {
                    let j = height - 1 - r;
                    let p = &gpu.rgba[(r * width + i) * 4..(r * width + i) * 4 + 4];
                    let v = grid[[i, j]];
                    let err = rel * v;
                    if rel > 0.0 && (v - floor).abs() <= err {
                        near_floor += 1;
                        continue; // empty on one side of float32 rounding, filled on the other
                    }
                    if t[[i, j]].is_nan() {
                        let empty = if transparent_empty {
                            [0, 0, 0, 0]
                        } else {
                            let [r, g, b] = lut[0];
                            [r, g, b, 255]
                        };
                        assert_eq!(p, empty, "{what}: pixel ({r}, {i}) is empty");
                        continue;
                    }
                    assert_eq!(p[3], 255, "{what}: pixel ({r}, {i}) is filled");
                    // The entry is floor(t * 256) (at most 255): one step for float32 t
                    // falling on the other side of an entry's edge, plus how far the blur's
                    // float32 error moves t through the scaling, plus float32 rounding of
                    // the scaling itself (1e-6 of the range).
                    let k = t[[i, j]] * LUT_SIZE as f64;
                    let clip = |w: f64| span.map_or(w, |[a, b]| w.clamp(a, b));
                    let moved = (transform(scale, clip(v + err))
                        - transform(scale, clip((v - err).max(0.0))))
                    .abs();
                    let steps = 1.0
                        + LUT_SIZE as f64 * (moved / (t_hi - t_lo).max(f64::MIN_POSITIVE) + 1e-6);
                    let matches = lut
                        .iter()
                        .enumerate()
                        .any(|(m, c)| c[..] == p[..3] && (m as f64 - k).abs() <= steps);
                    assert!(
                        matches,
                        "{what}: pixel ({r}, {i}) colour {p:?}, CPU t {}",
                        t[[i, j]]
                    );
                }
            }
            assert!(
                near_floor * 100 <= width * height,
                "{what}: few cells at the floor ({near_floor})"
            );
        });
    }
}

/// A heatmap of a point file, streamed chunk by chunk with the grid kept on the GPU, equals the
/// heatmap of the same points in memory; with a 64 KiB binding the points take many chunks and
/// the 200 x 150 grid no longer fits: the file's grid is binned in bands on the GPU, read back
/// and drawn in bands uploaded from it, the in-memory one binned and drawn in bands on the GPU,
/// still equal.
#[test]
fn streamed_gpu_heatmaps_equal_in_memory_ones() {
    use gpusci::heatmap::heatmap_file;
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("points.npy");
    let (x, y) = gpusci::data::clustered_points(30_001, 12);
    let stacked = ndarray::stack(ndarray::Axis(1), &[x.view(), y.view()]).unwrap();
    gpusci::io::write_npy(&npy, &stacked.into_dyn()).unwrap();
    let points = Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    };
    let params = HeatmapParams {
        width: 200,
        height: 150,
        range: None,
        sigma: 2.0,
        scale: Scale::Log,
        span: None,
        colormap: Colormap::Viridis,
        transparent_empty: true,
    };
    for binding in [None, Some(64 << 10)] {
        crate::common::for_each_adapter_with_limits(
            "streamed_gpu_heatmaps_equal_in_memory_ones",
            |limits| match binding {
                Some(bytes) => wgpu::Limits {
                    max_storage_buffer_binding_size: bytes,
                    ..limits
                },
                None => limits,
            },
            |ctx| {
                let exec = crate::common::executor_on(ctx);
                let whole = heatmap(exec, &points, &params).unwrap();
                let streamed = heatmap_file(exec, &npy, &params, |_, _| {}).unwrap();
                assert_eq!(
                    streamed.rgba, whole.rgba,
                    "binding {binding:?}: same picture"
                );
                assert_eq!(
                    (streamed.used, streamed.out_of_range, streamed.non_finite),
                    (30_001, 0, 0),
                    "binding {binding:?}: report"
                );
            },
        );
    }
}

/// Weighted points bin on the CPU (float64 sums); on a GPU executor the grid is then uploaded
/// once and drawn by the same resident chain. Each pixel matches the CPU's picture within one
/// lookup-table step (float32 values can fall on the other side of an entry's edge of
/// floor(t * 256)).
#[test]
fn weighted_heatmaps_draw_on_the_gpu_like_the_cpu() {
    use rand::{Rng, SeedableRng};
    let mut points = crate::common::top_left_points();
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    points.weights = Some(Array1::from_shape_simple_fn(points.x.len(), || {
        rng.random_range(0.5..2.0)
    }));
    let params = HeatmapParams {
        width: 50,
        height: 40,
        range: Some([[0.0, 1.0], [0.0, 1.0]]),
        sigma: 0.0,
        scale: Scale::Linear,
        span: None,
        colormap: Colormap::Viridis,
        transparent_empty: true,
    };
    let cpu = heatmap(&Executor::Cpu, &points, &params).unwrap();
    let lut = params.colormap.lut();
    let index = |p: &[u8]| -> Vec<i64> {
        lut.iter()
            .enumerate()
            .filter(|(_, c)| c[..] == p[..3])
            .map(|(m, _)| m as i64)
            .collect()
    };
    crate::common::for_each_adapter("weighted_heatmaps_draw_on_the_gpu_like_the_cpu", |ctx| {
        let gpu = gpu_heatmap_like(ctx, &points, &params, &cpu, "weighted");
        for (k, (g, c)) in gpu.rgba.chunks(4).zip(cpu.rgba.chunks(4)).enumerate() {
            assert_eq!(g[3], c[3], "pixel {k}: the same bins are empty");
            if c[3] == 0 {
                continue;
            }
            let (gi, ci) = (index(g), index(c));
            assert!(
                gi.iter().any(|a| ci.iter().any(|b| (a - b).abs() <= 1)),
                "pixel {k}: {g:?} vs {c:?}"
            );
        }
    });
}

/// Weighted files streamed on the GPU: a CSV's weight column (a first pass finds the
/// fixed-point scale) and a separate weight array, chunk by chunk, sum on the device (a
/// `Binner::Gpu`) and equal the CPU's one pass: integer weights exactly, fractional ones within
/// the fixed-point bound. A weight column holding NaN stays on the CPU (NumPy's NaN bins), and
/// a weighted CSV heatmap draws as the in-memory one does.
#[test]
fn weighted_files_stream_on_the_gpu_like_one_pass_on_the_cpu() {
    use gpusci::density::{
        bin_file_in_chunks, cpu::histogram2d_reference, histogram2d_file_in_chunks, Binner,
        DensityParams,
    };
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = gpusci::data::clustered_points(20_001, 13);
    let integer = x.mapv(|v| (v * 1000.0).round() % 7.0 - 3.0);
    let fractional = y.mapv(|v| v * 0.37 - 0.1);
    let csv = |name: &str, w: &ndarray::Array1<f64>| {
        let path = dir.path().join(name);
        let text: String = (0..x.len())
            .map(|i| format!("{},{},{}\n", x[i], y[i], w[i]))
            .collect();
        std::fs::write(&path, format!("x,y,w\n{text}")).unwrap();
        path
    };
    let (int_csv, frac_csv) = (csv("int.csv", &integer), csv("frac.csv", &fractional));
    let npy = dir.path().join("xy.npy");
    let both = ndarray::stack(ndarray::Axis(1), &[x.view(), y.view()]).unwrap();
    gpusci::io::write_npy(&npy, &both.into_dyn()).unwrap();
    let mut with_nan = fractional.clone();
    with_nan[17] = f64::NAN;
    let nan_csv = csv("nan.csv", &with_nan);
    for params in [
        DensityParams::new(48, 40),
        DensityParams::new(64, 64).with_range([0.0, 1.0], [0.0, 1.0]),
    ] {
        let plan = params.plan(x.view(), y.view(), PointType::F64).unwrap();
        let one_pass = |w: &ndarray::Array1<f64>| {
            histogram2d_reference(x.view(), y.view(), Some(w.view()), &plan).unwrap()
        };
        let (int_whole, frac_whole) = (one_pass(&integer), one_pass(&fractional));
        crate::common::for_each_adapter("weighted_files_stream_on_the_gpu", |ctx| {
            let gpu = crate::common::executor_on(ctx);
            // The file's own column, and a separate array beside an unweighted file.
            for (path, weights, whole, exact) in [
                (&int_csv, None, &int_whole, true),
                (&frac_csv, None, &frac_whole, false),
                (&npy, Some(fractional.view()), &frac_whole, false),
            ] {
                let binner =
                    bin_file_in_chunks(gpu, path, &params, weights, 3001, |_, _| {}).unwrap();
                assert!(
                    matches!(binner, Binner::Gpu(_)),
                    "{}: summed on the GPU",
                    path.display()
                );
                let streamed = binner.finish().unwrap();
                assert_eq!(streamed.x_edges, whole.x_edges);
                assert_eq!(streamed.used, whole.used);
                if exact {
                    assert_eq!(streamed.values, whole.values, "integer weights: exact");
                } else {
                    // Fixed point: half a unit of 2^-shift per weight at most (shift >= 24).
                    let bound = 20_001.0 * 2f64.powi(-24);
                    let worst = streamed
                        .values
                        .iter()
                        .zip(&whole.values)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(worst <= bound, "{}: {worst}", path.display());
                }
            }
            let binner = bin_file_in_chunks(gpu, &nan_csv, &params, None, 3001, |_, _| {}).unwrap();
            assert!(
                matches!(binner, Binner::Cpu { .. }),
                "NaN weights: the CPU's float sums"
            );
            let streamed =
                histogram2d_file_in_chunks(gpu, &nan_csv, &params, None, 3001, |_, _| {}).unwrap();
            let whole = one_pass(&with_nan);
            // NaN in the same bins; the rest summed chunk by chunk in float64 (the grids of
            // the chunks added: the last bits differ from one pass).
            for (a, b) in streamed.values.iter().zip(&whole.values) {
                assert!(
                    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "{a} vs {b}"
                );
            }
        });
    }
    // A weighted CSV heatmap streamed on the GPU: the picture of the same points and weights
    // held in memory (both sum in fixed point on the device and draw from the finished grid).
    let positive = integer.mapv(|w| w.abs() + 1.0);
    let positive_csv = csv("positive.csv", &positive);
    let params = HeatmapParams {
        width: 64,
        height: 48,
        ..HeatmapParams::default()
    };
    let points = Points {
        x: x.clone(),
        y: y.clone(),
        weights: Some(positive),
        kind: PointType::F64,
    };
    crate::common::for_each_adapter("weighted_csv_heatmap_on_the_gpu", |ctx| {
        let gpu = crate::common::executor_on(ctx);
        let streamed =
            gpusci::heatmap::heatmap_file(gpu, &positive_csv, &params, |_, _| {}).unwrap();
        let in_memory = heatmap(gpu, &points, &params).unwrap();
        assert_eq!(streamed.used, in_memory.used);
        assert!(
            streamed.rgba == in_memory.rgba,
            "streamed = in memory, pixel for pixel"
        );
    });
}

/// Grids past one binding are drawn in bands with halos, entirely on the GPU. The bands' blur
/// sums the same taps in the same order as the resident chain's, and the range is merged on
/// the device, so at a 16 KiB binding (4,096 cells, bands of 2 to 27 columns) the picture and
/// the report are bit for bit those of the resident chain at the adapter's own limits: every
/// scaling but eq_hist, spans, blurs wider than a band, edges in the last bin, and weighted
/// points (binned in bands on the GPU into a host grid, drawn in bands uploaded from it).
#[test]
fn grids_past_one_binding_render_in_bands_like_the_resident_chain() {
    use std::collections::HashMap;
    use std::sync::Mutex;
    let (mut x, mut y) = gpusci::data::clustered_points(20_000, 12);
    x[0] = f64::NAN;
    x[1] = 5.0;
    // Points exactly on band-closing edges and on the last edge.
    for (i, v) in [0.25, 0.5, 1.0, 0.125].iter().enumerate() {
        x[10 + i] = *v;
        y[10 + i] = *v;
    }
    let points = Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    };
    let cases = [
        (200, 150, 0.0, Scale::Linear, None),
        (200, 150, 2.0, Scale::Log, None),
        (96, 128, 3.0, Scale::Cbrt, Some([0.5, 20.0])),
        (300, 40, 12.0, Scale::Log, None),
    ];
    let params_of =
        |(width, height, sigma, scale, span): (usize, usize, f64, Scale, Option<[f64; 2]>)| {
            HeatmapParams {
                width,
                height,
                range: Some([[0.0, 1.0], [0.0, 1.0]]),
                sigma,
                scale,
                span,
                colormap: Colormap::Viridis,
                transparent_empty: true,
            }
        };
    // Per adapter: each case's pixels and report.
    type Pictures = HashMap<String, Vec<(Vec<u8>, [u64; 3])>>;
    // Weighted points (small integer weights: their sums are exact on every path): binned in
    // bands on the GPU into a host grid past the binding, then drawn in bands uploaded from it.
    let weighted = Points {
        weights: Some(Array1::from_shape_fn(points.x.len(), |i| {
            (i % 3 + 1) as f64
        })),
        ..points.clone()
    };
    let inputs = [&points, &points, &points, &points, &weighted];
    let all_cases = [cases[0], cases[1], cases[2], cases[3], cases[1]];
    let resident: Mutex<Pictures> = Mutex::new(HashMap::new());
    crate::common::for_each_adapter("heatmap bands: resident pictures", |ctx| {
        let exec = crate::common::executor_on(ctx);
        let pictures = all_cases
            .iter()
            .zip(inputs)
            .map(|(&case, input)| {
                let image = heatmap(exec, input, &params_of(case)).unwrap();
                (
                    image.rgba,
                    [image.used, image.out_of_range, image.non_finite],
                )
            })
            .collect();
        resident.lock().unwrap().insert(ctx.describe(), pictures);
    });
    let resident = resident.into_inner().unwrap();
    crate::common::for_each_adapter_with_limits(
        "heatmap bands",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 16 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx);
            let expected = &resident[&ctx.describe()];
            for ((&case, input), (rgba, report)) in all_cases.iter().zip(inputs).zip(expected) {
                let params = params_of(case);
                assert!(
                    !gpusci::heatmap::gpu::HeatmapGpu::supports(ctx, &params),
                    "{case:?} is past the binding"
                );
                assert!(gpusci::heatmap::gpu::Tiling::of(ctx, &params).is_some());
                let image = heatmap(exec, input, &params).unwrap();
                assert_eq!(
                    [image.used, image.out_of_range, image.non_finite],
                    *report,
                    "{case:?}: report"
                );
                let differing = image
                    .rgba
                    .chunks(4)
                    .zip(rgba.chunks(4))
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(
                    differing, 0,
                    "{case:?}: pixels differing from the resident chain"
                );
            }
        },
    );
}
