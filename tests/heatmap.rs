//! Heatmaps and point input: the PNG's size, orientation and colours; CSV and .npy point files;
//! `gpusci density` and `gpusci heatmap` through the binary, bad input included.

mod common;

use std::path::Path;
use std::process::Command;

use gpusci::density::PointType;
use gpusci::io::{read_points, Points};
use gpusci::render::{heatmap, scale_grid, Colormap, HeatmapParams, Scale};
use gpusci::{Error, Executor};
use ndarray::{arr2, Array1};

fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn gpusci(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(args)
        .output()
        .expect("run gpusci")
}

/// 2,000 points in the top-left quadrant of [0, 1]^2 (x < 0.5, y > 0.5).
fn top_left_points() -> Points {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let x = Array1::from_shape_simple_fn(2000, || rng.random_range(0.05..0.45));
    let y = Array1::from_shape_simple_fn(2000, || rng.random_range(0.55..0.95));
    Points {
        x,
        y,
        weights: None,
        kind: PointType::F64,
    }
}

#[test]
fn png_has_the_size_orientation_and_colours_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("points.npy");
    let points = top_left_points();
    let stacked = ndarray::stack(ndarray::Axis(1), &[points.x.view(), points.y.view()]).unwrap();
    gpusci::io::write_npy(&npy, &stacked.into_dyn()).unwrap();
    let png_path = dir.path().join("out.png");
    let run = gpusci(&[
        "heatmap",
        npy.to_str().unwrap(),
        png_path.to_str().unwrap(),
        "--size",
        "40,30",
        "--range",
        "0,1,0,1",
        "--scale",
        "linear",
        "--colormap",
        "gray",
        "--backend",
        "cpu",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (w, h, rgba) = decode(&png_path);
    assert_eq!((w, h), (40, 30), "size");
    let alpha = |col: usize, row: usize| rgba[(row * 40 + col) * 4 + 3];
    let lit = |c0: usize, c1: usize, r0: usize, r1: usize| {
        (r0..r1)
            .flat_map(|r| (c0..c1).map(move |c| (c, r)))
            .filter(|&(c, r)| alpha(c, r) > 0)
            .count()
    };
    // The points cover x in [0.05, 0.45], y in [0.55, 0.95]: about 16 x 12 of the quadrant's 20 x 15 pixels.
    let top_left = lit(0, 20, 0, 15);
    assert!(
        top_left > 150,
        "the top-left quadrant is lit ({top_left} pixels)"
    );
    assert_eq!(
        lit(20, 40, 0, 30) + lit(0, 20, 15, 30),
        0,
        "nothing else is: x right, y up"
    );
    // gray: the fullest bin is white, the emptiest non-empty bin black.
    let pixels: Vec<&[u8]> = rgba.chunks(4).filter(|p| p[3] == 255).collect();
    assert!(
        pixels.iter().any(|p| p[..3] == [255, 255, 255]),
        "the top of the colormap appears"
    );
    assert!(
        pixels.iter().any(|p| p[..3] == [0, 0, 0]),
        "the bottom of the colormap appears"
    );
}

#[test]
fn zoomed_and_blurred_heatmaps_render_on_every_backend() {
    let points = top_left_points();
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
    common::for_each_adapter(
        "zoomed_and_blurred_heatmaps_render_on_every_backend",
        |ctx| {
            let gpu = heatmap(
                &Executor::Gpu(Box::new(clone_context(ctx))),
                &points,
                &params,
            )
            .unwrap();
            assert_eq!(
                gpu.histogram.values, cpu.histogram.values,
                "same bins on the GPU"
            );
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

/// A second context on the same adapter as `ctx` (Executor owns its context).
fn clone_context(ctx: &gpusci::GpuContext) -> gpusci::GpuContext {
    let info = ctx.adapter_info().clone();
    let adapter = gpusci::gpu::enumerate_adapters()
        .into_iter()
        .find(|a| a.get_info().backend == info.backend && a.get_info().name == info.name)
        .unwrap();
    gpusci::GpuContext::from_adapter(&adapter).unwrap()
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
    bad("", 0, "empty file");
}

#[test]
fn density_and_heatmap_reject_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let png_out = dir.path().join("out.png");
    let points = dir.path().join("p.csv");
    std::fs::write(&points, "0.1,0.2\n0.5,0.5\n").unwrap();
    let ragged = dir.path().join("r.csv");
    std::fs::write(&ragged, "0.1,0.2\n0.5\n").unwrap();
    let cube = dir.path().join("cube.npy");
    gpusci::io::write_npy(
        &cube,
        &ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[2, 3])),
    )
    .unwrap();
    let weights = dir.path().join("w.npy");
    gpusci::io::write_npy(
        &weights,
        &ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[5])),
    )
    .unwrap();
    let (p, o, q) = (
        points.to_str().unwrap(),
        out.to_str().unwrap(),
        png_out.to_str().unwrap(),
    );
    let cases: [(&[&str], &str); 12] = [
        (&["density", p, o, "--bins", "0,4"], "bins"),
        (&["density", p, o, "--bins", "2.5"], "bins"),
        (
            &["density", p, o, "--bins", "4", "--range", "1,0,0,1"],
            "range",
        ),
        (
            &["density", p, o, "--bins", "4", "--range", "0,nan,0,1"],
            "range",
        ),
        (
            &["density", p, o, "--bins", "4", "--range", "0,1,0"],
            "range",
        ),
        (
            &["density", ragged.to_str().unwrap(), o, "--bins", "4"],
            "line 2",
        ),
        (
            &["density", cube.to_str().unwrap(), o, "--bins", "4"],
            "(N, 2)",
        ),
        (
            &[
                "density",
                p,
                o,
                "--bins",
                "4",
                "--weights",
                weights.to_str().unwrap(),
            ],
            "one weight per point (2)",
        ),
        (
            &["density", "/nonexistent.csv", o, "--bins", "4"],
            "No such file",
        ),
        (&["heatmap", p, q, "--size", "0,10"], "size"),
        (&["heatmap", p, q, "--scale", "sqrt"], "scale"),
        (&["heatmap", p, q, "--colormap", "jet"], "colormap"),
    ];
    for (args, needle) in cases {
        let run = gpusci(args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("XDG_RUNTIME_DIR"))
            .collect();
        assert!(!run.status.success(), "{args:?} fails");
        assert_eq!(lines.len(), 1, "{args:?}: one line: {stderr}");
        assert!(
            lines[0].contains(needle),
            "{args:?}: '{}' mentions '{needle}'",
            lines[0]
        );
        assert!(
            !out.exists() && !png_out.exists(),
            "{args:?}: nothing written"
        );
    }
}

#[test]
fn files_binned_in_chunks_equal_one_pass_for_every_format() {
    use gpusci::density::{histogram2d_file_in_chunks, DensityParams};
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = gpusci::bench::clustered_points(30_000, 9);
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
    std::fs::write(&f, common::npy_bytes(&dict, &column_major)).unwrap();
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
        common::for_each_adapter("files_binned_in_chunks_on_the_gpu", |ctx| {
            let gpu = Executor::Gpu(Box::new(clone_context(ctx)));
            let streamed =
                histogram2d_file_in_chunks(&gpu, &c, &params, None, 7001, |_, _| {}).unwrap();
            assert_eq!(streamed.values, whole.values, "GPU, chunked");
        });
    }
}
