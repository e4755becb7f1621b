//! `gpusci density` and `gpusci heatmap` through the binary: the PNG's size, orientation and
//! colours, and bad input refused in one line with nothing written.

use std::process::Command;

fn gpusci(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(args)
        .output()
        .expect("run gpusci")
}

#[test]
fn png_has_the_size_orientation_and_colours_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("points.npy");
    let points = crate::common::top_left_points();
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
    let (w, h, rgba) = crate::common::decode_png(&png_path);
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

/// With `--backend gpu`, a part that must run on the CPU says so on stderr (eq_hist's ranking,
/// crossings with hysteresis); with `--backend cpu` nothing is said.
#[test]
fn gpu_requests_say_which_parts_ran_on_the_cpu() {
    if gpusci::gpu::list_adapters().is_empty() {
        eprintln!("*** no GPU adapter: the CPU-fallback notes were not checked ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("points.npy");
    let points = crate::common::top_left_points();
    let stacked = ndarray::stack(ndarray::Axis(1), &[points.x.view(), points.y.view()]).unwrap();
    gpusci::io::write_npy(&npy, &stacked.into_dyn()).unwrap();
    let png = dir.path().join("out.png");
    let heatmap = |backend: &str| {
        gpusci(&[
            "heatmap",
            npy.to_str().unwrap(),
            png.to_str().unwrap(),
            "--size",
            "40,30",
            "--scale",
            "eq_hist",
            "--backend",
            backend,
        ])
    };
    let run = heatmap("gpu");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("note: heatmap: eq_hist") && stderr.contains("on the CPU"),
        "says that eq_hist scaled on the CPU: {stderr:?}"
    );
    let run = heatmap("cpu");
    assert!(run.status.success());
    assert!(
        !String::from_utf8_lossy(&run.stderr).contains("note:"),
        "no note when the CPU was asked for"
    );
    let signal = dir.path().join("x.npy");
    gpusci::io::write_npy(
        &signal,
        &ndarray::Array1::from_iter((0..200).map(|i| (f64::from(i) * 0.1).sin())).into_dyn(),
    )
    .unwrap();
    let out = dir.path().join("events.npy");
    let run = gpusci(&[
        "crossings",
        signal.to_str().unwrap(),
        out.to_str().unwrap(),
        "--threshold",
        "0.5",
        "--down",
        "-0.5",
        "--backend",
        "gpu",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("note: crossings: hysteresis"),
        "says that hysteresis ran on the CPU"
    );
}
