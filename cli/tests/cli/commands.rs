//! The `gpusci` binary: the CLI contract (README.md, Command line) and its errors.

use std::path::{Path, PathBuf};

use crate::common;
use std::process::{Command, Output};

use gpusci::io::{read_npy, NpyArray};

fn gpusci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(args)
        .output()
        .expect("run gpusci")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/blur")
        .join(name)
}

fn f64s(path: &Path) -> Vec<f64> {
    match read_npy(path).unwrap() {
        NpyArray::F64(a) => a.iter().copied().collect(),
        NpyArray::F32(a) => a.iter().map(|&v| f64::from(v)).collect(),
    }
}

/// Runs gpusci and checks that it succeeded (its stderr in the message otherwise).
#[track_caller]
fn succeeds(args: &[&str]) -> Output {
    let out = gpusci(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[track_caller]
fn fails_cleanly(args: &[&str], output_file: &Path, needle: &str) {
    let out = gpusci(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: one line of error, got {stderr:?}"
    );
    assert!(
        lines[0].to_lowercase().contains(&needle.to_lowercase()),
        "{args:?}: '{}' should mention '{needle}'",
        lines[0]
    );
    assert!(!stderr.contains("panicked"), "{args:?}: no panic");
    assert!(
        !output_file.exists(),
        "{args:?}: nothing written on failure"
    );
}

#[test]
fn blur_matches_scipy_in_any_dimension_and_keeps_the_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let cases = [
        (
            "in_grid13x17.npy",
            "out_wrap_2d_s1.5.npy",
            vec!["--sigma", "1.5", "--mode", "wrap"],
        ),
        (
            "in_grid13x17.npy",
            "out_constant_2d_per_axis.npy",
            vec!["--sigma", "0.3,2.5", "--mode", "constant", "--cval", "1.5"],
        ),
        (
            "in_line29.npy",
            "out_mirror_1d_order2.npy",
            vec!["--sigma", "2", "--mode", "mirror", "--order", "2"],
        ),
        (
            "in_line29.npy",
            "out_nearest_1d_radius3.npy",
            vec!["--sigma", "2", "--mode", "nearest", "--radius", "3"],
        ),
        (
            "in_seed10000.npy",
            "out_seed_sigma100.npy",
            vec!["--sigma", "100"],
        ),
        // N-D: a mode per axis, and SciPy's axes= (in the order given).
        (
            "in_vol7x9x11.npy",
            "out_3d_modes_per_axis.npy",
            vec![
                "--sigma",
                "1,1.5,2",
                "--mode",
                "wrap,constant,mirror",
                "--cval",
                "0.5",
            ],
        ),
        (
            "in_vol7x9x11.npy",
            "out_3d_axes_reversed.npy",
            vec!["--sigma", "2,1", "--mode", "nearest,wrap", "--axes", "2,0"],
        ),
    ];
    for (input, expected, flags) in cases {
        let input = fixture(input);
        let mut args = vec!["blur", input.to_str().unwrap(), out.to_str().unwrap()];
        args.extend(flags.iter().copied());
        args.extend(["--backend", "cpu"]);
        let run = gpusci(&args);
        assert!(
            run.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(
            String::from_utf8_lossy(&run.stdout).contains("on cpu"),
            "says which backend ran"
        );
        assert!(
            matches!(read_npy(&out).unwrap(), NpyArray::F64(_)),
            "float64 in, float64 out"
        );
        let (got, want) = (f64s(&out), f64s(&fixture(expected)));
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-10, "{args:?}: max error {worst}");
    }
    let run = succeeds(&[
        "blur",
        fixture("in_grid_f32.npy").to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "2",
        "--backend",
        "cpu",
    ]);
    assert!(run.status.success(), "float32 input");
    assert!(
        matches!(read_npy(&out).unwrap(), NpyArray::F32(_)),
        "float32 in, float32 out"
    );
}

#[test]
fn blur_takes_a_stack_with_a_sigma_per_image() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let sigmas = dir.path().join("sigmas.npy");
    // The fixture's sigmas: N separate SciPy calls, image i with sigma i.
    gpusci::io::write_npy(
        &sigmas,
        &ndarray::arr1(&[0.0, 0.7, 1.5, 3.0, 20.0]).into_dyn(),
    )
    .unwrap();
    let stack = fixture("in_stack5x12x10.npy");
    let run = succeeds(&[
        "blur",
        stack.to_str().unwrap(),
        out.to_str().unwrap(),
        "--stack-sigmas",
        sigmas.to_str().unwrap(),
        "--mode",
        "wrap",
        "--backend",
        "cpu",
    ]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("per image"),
        "says the sigmas are per image"
    );
    let (got, want) = (f64s(&out), f64s(&fixture("out_stack_wrap.npy")));
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-10, "max error {worst}");
    // Refused before anything is written: sigmas that do not match the images, a 2-D input,
    // and both --sigma and --stack-sigmas.
    let bad = dir.path().join("bad.npy");
    let b = bad.to_str().unwrap();
    let short = dir.path().join("short.npy");
    gpusci::io::write_npy(&short, &ndarray::arr1(&[1.0, 2.0]).into_dyn()).unwrap();
    let st = stack.to_str().unwrap();
    let sh = short.to_str().unwrap();
    fails_cleanly(&["blur", st, b, "--stack-sigmas", sh], &bad, "sigmas");
    let grid = fixture("in_grid13x17.npy");
    let s = sigmas.to_str().unwrap();
    fails_cleanly(
        &["blur", grid.to_str().unwrap(), b, "--stack-sigmas", s],
        &bad,
        "3-D",
    );
    fails_cleanly(
        &["blur", st, b, "--stack-sigmas", s, "--sigma", "1"],
        &bad,
        "cannot be used with",
    );
    fails_cleanly(
        &["blur", st, b, "--sigma", "1", "--axes", "0,3"],
        &bad,
        "axes",
    );
    fails_cleanly(
        &["blur", st, b, "--sigma", "1", "--mode", "wrap,reflect"],
        &bad,
        "mode",
    );
}

#[test]
fn blur_runs_on_the_gpu_backend_when_an_adapter_exists() {
    if gpusci::gpu::list_adapters().is_empty() {
        eprintln!("*** no GPU adapter: the CLI GPU check was SKIPPED ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let run = gpusci(&[
        "blur",
        fixture("in_grid13x17.npy").to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "1.5",
        "--backend",
        "gpu",
    ]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("on gpu:"),
        "says the GPU ran"
    );
    // The numbers are the library's concern (tests/gpu/blur_gpu.rs holds the GPU to the CPU
    // and SciPy); here: the file written, its shape and dtype as the contract says.
    match read_npy(&out).unwrap() {
        NpyArray::F64(a) => assert_eq!(a.shape(), &[13, 17]),
        other => panic!("float64 in, float64 out: {other:?}"),
    }
}

#[test]
fn bad_input_gives_one_line_errors_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let o = out.to_str().unwrap();
    let grid = fixture("in_grid13x17.npy");
    let g = grid.to_str().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let header = |dict: &str| common::npy_bytes(dict, &[]);
    let hostile = write(
        "hostile.npy",
        &header("{'descr': '<f8', 'fortran_order': False, 'shape': (17179869184,), }"),
    );
    let mut short = header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }");
    short.extend_from_slice(&[0u8; 31]);
    let truncated = write("truncated.npy", &short);
    let mut cube = header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }");
    cube.extend_from_slice(&[0u8; 64]);
    let cube = write("cube.npy", &cube);
    let empty = write(
        "empty.npy",
        &header("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }"),
    );
    let garbage = write("garbage.npy", b"hello world, not numpy");
    let p = |path: &PathBuf| path.to_str().unwrap().to_string();
    fails_cleanly(
        &["blur", "/nonexistent/in.npy", o, "--sigma", "1"],
        &out,
        "No such file",
    );
    fails_cleanly(
        &["blur", &p(&garbage), o, "--sigma", "1"],
        &out,
        "not a .npy",
    );
    fails_cleanly(
        &["blur", &p(&hostile), o, "--sigma", "1"],
        &out,
        "truncated",
    );
    fails_cleanly(
        &["blur", &p(&truncated), o, "--sigma", "1"],
        &out,
        "truncated",
    );
    // N-D arrays are blurred (a 2 x 2 x 2 cube of zeros stays zero); a 0-D array is refused.
    succeeds(&["blur", &p(&cube), o, "--sigma", "1"]);
    assert_eq!(read_npy(&out).unwrap().shape(), &[2, 2, 2]);
    std::fs::remove_file(&out).unwrap();
    let mut scalar = header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
    scalar.extend_from_slice(&[0u8; 8]);
    let scalar = write("scalar.npy", &scalar);
    fails_cleanly(&["blur", &p(&scalar), o, "--sigma", "1"], &out, "0-D");
    // An empty array is blurred into an empty array, as SciPy.
    succeeds(&["blur", &p(&empty), o, "--sigma", "1"]);
    assert_eq!(read_npy(&out).unwrap().shape(), &[0]);
    std::fs::remove_file(&out).unwrap();
    let bad_flags: [(&[&str], &str); 11] = [
        (&["--sigma", "-1"], "sigma"),
        (&["--sigma", "nan"], "sigma"),
        (&["--sigma", "inf"], "sigma"),
        (&["--sigma", "abc"], "sigma"),
        (&["--sigma", "1,2,3"], "sigma"),
        (&["--sigma", "1", "--mode", "bogus"], "mode"),
        (&["--sigma", "1", "--truncate", "nan"], "truncate"),
        (&["--sigma", "1", "--truncate", "inf"], "truncate"),
        (&["--sigma", "1", "--backend", "quantum"], "backend"),
        (&["--sigma", "1", "--nan-policy", "ignore"], "nan_policy"),
        (&["--sigma", "1", "--order", "9"], "order"),
    ];
    for (flags, needle) in bad_flags {
        let mut args = vec!["blur", g, o];
        args.extend_from_slice(flags);
        fails_cleanly(&args, &out, needle);
    }
    fails_cleanly(&["blur", g, o], &out, "--sigma");
    fails_cleanly(
        &[
            "blur",
            fixture("in_line29.npy").to_str().unwrap(),
            o,
            "--sigma",
            "1,2",
        ],
        &out,
        "sigma",
    );
}

#[test]
fn info_lists_adapters_and_the_auto_choice() {
    let run = succeeds(&["info"]);
    assert!(run.status.success(), "info runs");
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("--backend auto runs on:"), "{text}");
}

#[test]
fn bench_json_lines_follow_the_design() {
    let run = gpusci(&["bench", "--quick", "--json", "--backend", "cpu"]);
    let text = String::from_utf8_lossy(&run.stdout);
    let ids: Vec<String> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).expect("one JSON object per line");
            for key in ["workload", "backend", "adapter", "seconds", "runs"] {
                assert!(v.get(key).is_some(), "{key} in {line}");
            }
            assert!(v["seconds"].as_f64().unwrap() > 0.0, "a time");
            v["workload"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        ids,
        ["W1", "W1b", "W2", "W3", "W4", "W4b", "W5", "W6", "W7"],
        "the standard workloads, no more"
    );
    // --extended adds W1c (3-D blur) and W3b (8192^2 heatmap) after the standard rows.
    let run = gpusci(&[
        "bench",
        "--quick",
        "--json",
        "--backend",
        "cpu",
        "--extended",
    ]);
    let ids: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["workload"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        ids,
        ["W1", "W1b", "W2", "W3", "W4", "W4b", "W5", "W6", "W7", "W1c", "W3b"]
    );
    // --fft adds the FFT row (2^20 points with --quick).
    let run = gpusci(&["bench", "--quick", "--json", "--backend", "cpu", "--fft"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("\"workload\":\"FFT\"") && l.contains("2^20")),
        "{text}"
    );
}

#[test]
fn gpusci_adapter_picks_the_adapter_or_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let input = fixture("in_line29.npy");
    let args = [
        "blur",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "2",
    ];
    let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(args)
        .env("GPUSCI_ADAPTER", "no-such-adapter")
        .output()
        .unwrap();
    assert!(
        !run.status.success(),
        "an adapter that does not exist is an error"
    );
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("GPUSCI_ADAPTER=no-such-adapter matches no adapter"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!out.exists(), "nothing written");
    for backend in gpusci::gpu::list_adapters()
        .iter()
        .filter(|a| a.compute)
        .map(|a| a.backend)
    {
        let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
            .args(args)
            .env("GPUSCI_ADAPTER", backend)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            stdout.contains(&format!("[{backend}]")),
            "GPUSCI_ADAPTER={backend} ran there: {stdout}"
        );
    }
    // An index in `gpusci info`'s list, or a PCI bus id, names one adapter too (how each
    // worker of a multi-GPU node takes its own: Vulkan ignores CUDA_VISIBLE_DEVICES).
    for adapter in gpusci::gpu::list_adapters().iter().filter(|a| a.compute) {
        let mut names = vec![adapter.index.to_string()];
        if !adapter.pci_bus_id.is_empty() {
            names.push(adapter.pci_bus_id.to_uppercase());
        }
        for name in names {
            let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
                .args(args)
                .env("GPUSCI_ADAPTER", &name)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&run.stdout);
            assert!(
                run.status.success() && stdout.contains(&adapter.name),
                "GPUSCI_ADAPTER={name} runs on {}: {stdout} {}",
                adapter.name,
                String::from_utf8_lossy(&run.stderr)
            );
        }
    }
    let _ = std::fs::remove_file(&out);
    let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(args)
        .env("GPUSCI_ADAPTER", "97")
        .output()
        .unwrap();
    assert!(!run.status.success(), "adapter 97 does not exist");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("GPUSCI_ADAPTER=97 matches no adapter"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!out.exists(), "nothing written");
}

fn lif_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/lif")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `gpusci lif` with the seed's weights and v0: REC.npy (steps, nrec) and SPIKES.npy (K, 2) as
/// the contract says, the first 20 ms equal to the reference program's, a raster PNG, a batch.
#[test]
fn lif_writes_the_seed_formats_and_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (w, v0) = (lif_fixture("w.npy"), lif_fixture("v0.npy"));
    let run = succeeds(&[
        "lif",
        "--weights",
        &w,
        "--v0",
        &v0,
        "--t",
        "0.02",
        "--record",
        &out("rec.npy"),
        "--spikes",
        &out("spikes.npy"),
        "--raster",
        &out("raster.png"),
        "--traces",
        &out("traces.png"),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("300 neurons, 243 spikes"), "{stdout}");
    assert!(
        stdout.contains("real time"),
        "real-time factor printed: {stdout}"
    );
    let (rec, seed_rec) = (
        f64s(Path::new(&out("rec.npy"))),
        f64s(Path::new(&lif_fixture("rec_20ms.npy"))),
    );
    assert_eq!(rec.len(), 400 * 10, "(steps, nrec)");
    let worst = rec
        .iter()
        .zip(&seed_rec)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.01,
        "voltages within 0.01 mV of the seed's ({worst})"
    );
    assert_eq!(
        f64s(Path::new(&out("spikes.npy"))),
        f64s(Path::new(&lif_fixture("spikes_20ms.npy"))),
        "spikes (time, neuron) as the seed's"
    );
    for png in ["raster.png", "traces.png"] {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(out(png)).unwrap(),
        ));
        let info = decoder.read_info().unwrap().info().clone();
        assert!(info.width >= 600 && info.height >= 400, "{png} size");
    }
    succeeds(&[
        "lif",
        "--weights",
        &w,
        "--v0",
        &v0,
        "--t",
        "0.02",
        "--monitor",
        "5,7",
        "--every",
        "10",
        "--monitor-out",
        &out("mon.npy"),
        "--rate-out",
        &out("rate.npy"),
        "--rate-bin",
        "0.002",
    ]);
    assert_eq!(
        f64s(Path::new(&out("mon.npy"))).len(),
        40 * 2,
        "(samples, monitors)"
    );
    assert_eq!(f64s(Path::new(&out("rate.npy"))).len(), 10, "ten 2 ms bins");
    let batch = succeeds(&[
        "lif",
        "--n",
        "120",
        "--t",
        "0.05",
        "--batch",
        "3",
        "--offset=-41:-39",
        "--spikes",
        &out("batch.npy"),
        "--record",
        &out("batch_rec.npy"),
    ]);
    let spikes = f64s(Path::new(&out("batch.npy")));
    assert_eq!(spikes.len() % 3, 0, "(K, 3) rows of network, time, neuron");
    assert!(spikes.chunks(3).all(|r| r[0] < 3.0), "network ids");
    assert_eq!(
        f64s(Path::new(&out("batch_rec.npy"))).len(),
        3 * 1000 * 10,
        "(B, steps, nrec)"
    );
    let drawn_sparse = succeeds(&[
        "lif",
        "--n",
        "500",
        "--p",
        "0.05",
        "--sparse",
        "--t",
        "0.02",
        "--spikes",
        &out("sparse.npy"),
        "--backend",
        "cpu",
    ]);
    assert!(String::from_utf8_lossy(&drawn_sparse.stdout).contains("500 neurons"));
    assert_eq!(
        f64s(Path::new(&out("sparse.npy"))).len() % 2,
        0,
        "(K, 2) spikes"
    );
    let text = String::from_utf8_lossy(&batch.stdout);
    assert_eq!(
        text.matches("network ").count(),
        3,
        "a line per network: {text}"
    );
}

#[test]
fn lif_rejects_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let spikes = dir.path().join("spikes.npy");
    let s = spikes.to_str().unwrap();
    let (w, v0) = (lif_fixture("w.npy"), lif_fixture("v0.npy"));
    let rec = lif_fixture("rec_20ms.npy");
    fails_cleanly(&["lif", "--dt", "0", "--spikes", s], &spikes, "dt");
    fails_cleanly(&["lif", "--dt", "-1e-4", "--spikes", s], &spikes, "dt");
    fails_cleanly(&["lif", "--t", "0", "--spikes", s], &spikes, "t");
    fails_cleanly(&["lif", "--t", "nan", "--spikes", s], &spikes, "not finite");
    fails_cleanly(
        &["lif", "--n", "5", "--nrec", "10", "--spikes", s],
        &spikes,
        "nrec",
    );
    fails_cleanly(&["lif", "--weights", &w, "--spikes", s], &spikes, "--v0");
    fails_cleanly(
        &["lif", "--weights", &rec, "--v0", &v0, "--spikes", s],
        &spikes,
        "square",
    );
    fails_cleanly(
        &["lif", "--weights", &w, "--v0", &rec, "--spikes", s],
        &spikes,
        "1-D",
    );
    fails_cleanly(&["lif", "--batch", "0", "--spikes", s], &spikes, "batch");
    fails_cleanly(
        &["lif", "--n", "50", "--monitor", "50", "--spikes", s],
        &spikes,
        "monitor",
    );
    fails_cleanly(&["lif", "--monitor-out", s], &spikes, "--monitor");
}

#[test]
fn hh_writes_the_trace_and_plot_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.npy");
    let plot = dir.path().join("plot.png");
    let run = succeeds(&[
        "hh",
        "--t",
        "50",
        "--ex",
        "400",
        "--in",
        "100",
        "--trace",
        trace.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(f64s(&trace).len(), 5000 * 4, "(states, 4) of V, m, h, n");
    assert!(plot.exists(), "the plot");
    assert!(String::from_utf8_lossy(&run.stdout).contains("input spikes transmitted"));
    let out = dir.path().join("bad.npy");
    let o = out.to_str().unwrap();
    fails_cleanly(&["hh", "--dt", "0", "--trace", o], &out, "dt");
    fails_cleanly(&["hh", "--p", "2", "--trace", o], &out, "p");
    fails_cleanly(&["hh", "--rate", "nan", "--trace", o], &out, "not finite");
    fails_cleanly(&["hh", "--neurons", "0", "--trace", o], &out, "neurons");
}

#[test]
fn lif_runs_the_seed_network_on_the_gpu_backend() {
    if gpusci::gpu::list_adapters().is_empty() {
        eprintln!("*** no GPU adapter: the CLI LIF GPU check was SKIPPED ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spikes = dir.path().join("spikes.npy");
    let (w, v0) = (lif_fixture("w.npy"), lif_fixture("v0.npy"));
    let run = succeeds(&[
        "lif",
        "--weights",
        &w,
        "--v0",
        &v0,
        "--t",
        "0.02",
        "--spikes",
        spikes.to_str().unwrap(),
        "--backend",
        "gpu",
    ]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("on gpu:"),
        "ran on the GPU: {}",
        String::from_utf8_lossy(&run.stdout)
    );
    // The spikes themselves are the library's concern (tests/gpu/lif_gpu.rs); here: the
    // contract's (K, 2) float64 of (time s, neuron), in time order.
    match read_npy(&spikes).unwrap() {
        NpyArray::F64(a) => {
            assert_eq!(a.shape()[1], 2);
            assert!(a.shape()[0] > 0, "the network spikes within 20 ms");
            let times: Vec<f64> = a.index_axis(ndarray::Axis(1), 0).iter().copied().collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
            assert!(times.iter().all(|&t| (0.0..0.02).contains(&t)));
        }
        other => panic!("spikes are float64: {other:?}"),
    }
}

#[test]
fn crossings_follow_numpy_for_1d_and_2d_and_reject_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let seed = ndarray::Array1::from(vec![
        0., 0., 0., 5., 5., 5., 5., 0., 0., 0., 0., 4., 4., 4., 0., 0., 0.,
    ]);
    gpusci::io::write_npy(&path("x.npy"), &seed.clone().into_dyn()).unwrap();
    let x = path("x.npy");
    let out = path("out.npy");
    let (xs, os) = (x.to_str().unwrap(), out.to_str().unwrap());
    succeeds(&["crossings", xs, os, "--threshold", "2"]);
    let read_i64 = |p: &Path| -> Vec<i64> {
        let bytes = std::fs::read(p).unwrap();
        let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert!(
            String::from_utf8_lossy(&bytes[10..10 + header]).contains("<i8"),
            "int64"
        );
        bytes[10 + header..]
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    assert_eq!(read_i64(&out), [3, 7, 11, 14], "the seed's answer");
    succeeds(&[
        "crossings",
        xs,
        os,
        "--threshold",
        "2",
        "--direction",
        "down",
    ]);
    assert_eq!(read_i64(&out), [7, 14]);
    let two = ndarray::stack(ndarray::Axis(0), &[seed.view(), seed.view()]).unwrap();
    gpusci::io::write_npy(&path("x2.npy"), &two.into_dyn()).unwrap();
    succeeds(&[
        "crossings",
        path("x2.npy").to_str().unwrap(),
        os,
        "--threshold",
        "2",
        "--direction",
        "up",
    ]);
    assert_eq!(
        read_i64(&out),
        [0, 3, 0, 11, 1, 3, 1, 11],
        "(channel, index) rows"
    );
    let bad = path("bad.npy");
    let b = bad.to_str().unwrap();
    gpusci::io::write_npy(
        &path("x3.npy"),
        &ndarray::ArrayD::<f64>::zeros(vec![2, 2, 2]),
    )
    .unwrap();
    fails_cleanly(
        &[
            "crossings",
            path("x3.npy").to_str().unwrap(),
            b,
            "--threshold",
            "1",
        ],
        &bad,
        "3-D",
    );
    // No samples, no crossings: NumPy's argwhere gives an empty int64 array.
    gpusci::io::write_npy(&path("x0.npy"), &ndarray::ArrayD::<f64>::zeros(vec![0])).unwrap();
    let none = path("none.npy");
    succeeds(&[
        "crossings",
        path("x0.npy").to_str().unwrap(),
        none.to_str().unwrap(),
        "--threshold",
        "1",
    ]);
    assert_eq!(read_npy(&none).unwrap().shape(), &[0]);
    fails_cleanly(
        &[
            "crossings",
            xs,
            b,
            "--threshold",
            "1",
            "--direction",
            "sideways",
        ],
        &bad,
        "direction",
    );
    fails_cleanly(
        &["crossings", xs, b, "--threshold", "1", "--down", "3"],
        &bad,
        "down",
    );
    fails_cleanly(
        &["crossings", xs, b, "--threshold", "nan"],
        &bad,
        "threshold",
    );
}

fn conv_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/conv")
        .join(format!("{name}.npy"))
}

#[test]
fn convolve_correlate_and_lag_follow_numpy_and_scipy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let (a, v) = (conv_fixture("a_4_11"), conv_fixture("v_4_11"));
    for mode in ["full", "same", "valid"] {
        for (command, expected) in [("convolve", "np_convolve"), ("correlate", "correlate")] {
            succeeds(&[
                command,
                a.to_str().unwrap(),
                v.to_str().unwrap(),
                out.to_str().unwrap(),
                "--mode",
                mode,
            ]);
            let (got, want) = (
                f64s(&out),
                f64s(&conv_fixture(&format!("{expected}_4_11_{mode}"))),
            );
            assert_eq!(got.len(), want.len(), "{command} {mode}: length");
            assert!(
                got.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12),
                "{command} {mode}"
            );
        }
    }
    let run = succeeds(&[
        "lag",
        conv_fixture("lag_y1").to_str().unwrap(),
        conv_fixture("lag_y2").to_str().unwrap(),
        "--rate",
        "1024",
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        text.split_whitespace().last(),
        Some("-1024"),
        "last word = samples: {text}"
    );
    assert!(text.contains("-1 s"), "seconds with --rate: {text}");
    let bad = dir.path().join("bad.npy");
    let b = bad.to_str().unwrap();
    let two = dir.path().join("two.npy");
    gpusci::io::write_npy(&two, &ndarray::ArrayD::<f64>::zeros(vec![3, 3])).unwrap();
    let empty = dir.path().join("empty.npy");
    gpusci::io::write_npy(&empty, &ndarray::ArrayD::<f64>::zeros(vec![0])).unwrap();
    let (a, v, t, e) = (
        a.to_str().unwrap(),
        v.to_str().unwrap(),
        two.to_str().unwrap(),
        empty.to_str().unwrap(),
    );
    fails_cleanly(&["convolve", t, v, b], &bad, "2-D");
    fails_cleanly(&["convolve", e, v, b], &bad, "empty");
    fails_cleanly(&["convolve", a, v, b, "--mode", "middle"], &bad, "mode");
    fails_cleanly(&["correlate", a, v, b, "--method", "magic"], &bad, "method");
    fails_cleanly(&["lag", a, v, "--rate", "0"], &bad, "rate");
    let cube = dir.path().join("cube.npy");
    gpusci::io::write_npy(&cube, &ndarray::ArrayD::<f64>::zeros(vec![2, 2, 2])).unwrap();
    fails_cleanly(&["convolve", cube.to_str().unwrap(), v, b], &bad, "3-D");
    // 2-D by the inputs' shape: scipy.signal.convolve / correlate, zero fill, on the CPU and
    // (where an adapter exists) the GPU.
    let (a2, v2) = (conv_fixture("a2_16x7_5x5"), conv_fixture("v2_16x7_5x5"));
    let backends: &[&str] = if gpusci::gpu::list_adapters().is_empty() {
        eprintln!("*** no GPU adapter: the 2-D convolve GPU check was SKIPPED ***");
        &["cpu"]
    } else {
        &["cpu", "gpu"]
    };
    for &backend in backends {
        for (command, expected) in [("convolve", "convolve2"), ("correlate", "correlate2")] {
            succeeds(&[
                command,
                a2.to_str().unwrap(),
                v2.to_str().unwrap(),
                out.to_str().unwrap(),
                "--mode",
                "same",
                "--backend",
                backend,
            ]);
            let (got, want) = (
                f64s(&out),
                f64s(&conv_fixture(&format!("{expected}_16x7_5x5_same"))),
            );
            assert_eq!(got.len(), 16 * 7, "{command}: the first input's shape");
            assert!(
                got.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-4),
                "{command} 2-D"
            );
        }
    }
}

/// `--precision`: float64 input on a GPU (whichever adapter `--backend gpu` takes) at float64
/// accuracy by default and with `double`, at float32's with `single` (the stderr note names the
/// arithmetic); float32 input stays float32; a bad value is a clean error.
#[test]
fn precision_chooses_float64_or_float32_arithmetic_on_the_gpu() {
    if gpusci::gpu::list_adapters().is_empty() {
        eprintln!("*** no GPU adapter: the --precision check was SKIPPED ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let (a, v) = (conv_fixture("a_100_37"), conv_fixture("v_100_37"));
    let want = f64s(&conv_fixture("correlate_100_37_full"));
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (precision, bound, arith) in [
        ("auto", 1e-13, "float64"),
        ("double", 1e-13, "float64"),
        ("single", 1e-5, "float32"),
    ] {
        let run = succeeds(&[
            "correlate",
            a.to_str().unwrap(),
            v.to_str().unwrap(),
            out.to_str().unwrap(),
            "--backend",
            "gpu",
            "--precision",
            precision,
        ]);
        let note = String::from_utf8_lossy(&run.stderr);
        // float64 runs in native float64 or in double-float, as the adapter has it.
        let named = if arith == "float64" {
            note.contains(" in float64") || note.contains(" in double-float")
        } else {
            note.contains(" in float32")
        };
        assert!(named, "--precision {precision}: {note}");
        let got = f64s(&out);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= bound * scale,
            "--precision {precision}: error {worst:e} of {scale:e}"
        );
    }
    let bad = dir.path().join("bad.npy");
    fails_cleanly(
        &[
            "convolve",
            a.to_str().unwrap(),
            v.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--precision",
            "half",
        ],
        &bad,
        "precision",
    );
    // A float64 blur at float64 accuracy against SciPy.
    succeeds(&[
        "blur",
        fixture("in_grid13x17.npy").to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "1.5",
        "--backend",
        "gpu",
        "--precision",
        "double",
    ]);
    let (got, want) = (f64s(&out), f64s(&fixture("out_reflect_2d_s1.5.npy")));
    assert!(got.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12));
}

#[test]
fn wave_and_animate_write_pictures_and_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("conv.png");
    let run = succeeds(&[
        "wave",
        "--convergence",
        "--sizes",
        "50:400:50",
        "--plot",
        plot.to_str().unwrap(),
        "--backend",
        "cpu",
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    let order: f64 = text
        .split("fitted order: p ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("an order in {text}"));
    assert!((order - 2.0).abs() < 0.1, "order {order}");
    assert!(std::fs::metadata(&plot).unwrap().len() > 0);
    let gif = dir.path().join("p.gif");
    succeeds(&[
        "wave",
        "--n",
        "64",
        "--t",
        "0.5",
        "--gif",
        gif.to_str().unwrap(),
        "--frames",
        "10",
        "--backend",
        "cpu",
    ]);
    assert!(std::fs::read(&gif).unwrap().starts_with(b"GIF89a"));
    let bad = dir.path().join("bad.gif");
    fails_cleanly(
        &["wave", "--cfl", "1.2", "--gif", bad.to_str().unwrap()],
        &bad,
        "unstable",
    );
    fails_cleanly(&["wave", "--n", "2"], &bad, "at least 3");
    fails_cleanly(&["wave", "--t", "nan"], &bad, "t");
    let wave = dir.path().join("wave.gif");
    let run = succeeds(&[
        "animate",
        "traveling-wave",
        wave.to_str().unwrap(),
        "--width",
        "160",
        "--height",
        "90",
        "--frames",
        "20",
    ]);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("20 frames"),
        "--frames keeps 20 of 200"
    );
    assert!(std::fs::read(&wave).unwrap().starts_with(b"GIF89a"));
    let field = dir.path().join("field.npy");
    gpusci::io::write_npy(
        &field,
        &ndarray::Array2::from_shape_fn((5, 40), |(t, i)| ((i + 3 * t) as f64 * 0.3).sin())
            .into_dyn(),
    )
    .unwrap();
    let out = dir.path().join("field.gif");
    succeeds(&[
        "animate",
        "field",
        field.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    let points = dir.path().join("pts.csv");
    std::fs::write(&points, "0,0,0\n1,1,0.5\n0.5,0.2,1.5\n0.1,0.9,2.5\n").unwrap();
    let out = dir.path().join("pts.gif");
    let run = succeeds(&[
        "animate",
        "points",
        points.to_str().unwrap(),
        out.to_str().unwrap(),
        "--window",
        "1",
        "--bins",
        "32",
    ]);
    assert!(String::from_utf8_lossy(&run.stdout).contains("3 frames"));
    let bad = dir.path().join("bad.gif");
    fails_cleanly(
        &[
            "animate",
            "points",
            points.to_str().unwrap(),
            bad.to_str().unwrap(),
            "--window",
            "0",
        ],
        &bad,
        "window",
    );
    fails_cleanly(
        &[
            "animate",
            "field",
            points.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        &bad,
        "pts.csv",
    );
}

/// Output paths that are not regular files: a device is written in place (and its error
/// reported), a symlink is followed, a folder is an error; nothing is replaced, and no
/// temporary file is left behind.
#[test]
fn outputs_to_devices_links_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("in_line29.npy");
    let i = input.to_str().unwrap();
    // /dev/full: "No space left on device", as np.save says, and /dev/full is still a device.
    if Path::new("/dev/full").exists() {
        let out = gpusci(&["blur", i, "/dev/full", "--sigma", "1", "--backend", "cpu"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("No space left"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata("/dev/full").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/full must stay a device");
    }
    if Path::new("/dev/null").exists() {
        succeeds(&["blur", i, "/dev/null", "--sigma", "1", "--backend", "cpu"]);
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/null must stay a device");
    }
    // A symlink is written through: the link stays, its target gets the array.
    let target = dir.path().join("target.npy");
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    succeeds(&[
        "blur",
        i,
        link.to_str().unwrap(),
        "--sigma",
        "1",
        "--backend",
        "cpu",
    ]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read_npy(&target).unwrap().shape(), &[29]);
    // A folder: one line of error; no temporary file left in or beside it.
    let folder = dir.path().join("out.gif");
    std::fs::create_dir(&folder).unwrap();
    for args in [
        vec![
            "animate",
            "traveling-wave",
            folder.to_str().unwrap(),
            "--frames",
            "2",
        ],
        vec!["blur", i, folder.to_str().unwrap(), "--sigma", "1"],
    ] {
        let out = gpusci(&args);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(&folder).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        ["link.npy", "out.gif", "target.npy"],
        "nothing else left"
    );
}

/// Outputs get the mode `np.save` gives them: a new file 0666 less the umask (the same as a
/// file this process creates), a replaced file keeps its own.
#[test]
fn outputs_keep_the_modes_np_save_gives() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let input = fixture("in_line29.npy");
    let out = dir.path().join("new.npy");
    succeeds(&[
        "blur",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "1",
    ]);
    assert_eq!(mode(&out), mode(&reference), "a new output");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    succeeds(&[
        "blur",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        "--sigma",
        "2",
    ]);
    assert_eq!(mode(&out), 0o640, "a replaced output keeps its mode");
}

/// A FIFO is written into (a reader gets the .npy), not replaced by a regular file.
#[test]
fn outputs_to_a_fifo_are_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.npy");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable: skipped");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let input = fixture("in_line29.npy");
    succeeds(&[
        "blur",
        input.to_str().unwrap(),
        fifo.to_str().unwrap(),
        "--sigma",
        "1",
        "--backend",
        "cpu",
    ]);
    let bytes = reader.join().unwrap();
    assert!(
        bytes.starts_with(b"\x93NUMPY"),
        "a .npy came through the FIFO"
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// Sizes from the command line are checked before anything is allocated: one line, no abort.
#[test]
fn huge_sizes_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let points = dir.path().join("p.csv");
    std::fs::write(&points, "0.1,0.2\n0.5,0.5\n").unwrap();
    let p = points.to_str().unwrap();
    let out = dir.path().join("o.npy");
    let o = out.to_str().unwrap();
    for bins in ["4000000000,1", "18446744073709551615,2", "1073741824,1"] {
        fails_cleanly(
            &[
                "density",
                p,
                o,
                "--bins",
                bins,
                "--range",
                "0,1,0,1",
                "--backend",
                "cpu",
            ],
            &out,
            "needs",
        );
    }
    let png = dir.path().join("o.png");
    fails_cleanly(
        &[
            "heatmap",
            p,
            png.to_str().unwrap(),
            "--size",
            "4294967296,1",
            "--backend",
            "cpu",
        ],
        &png,
        "needs",
    );
}

/// The same option means the same everywhere: GPUSCI_ADAPTER naming nothing is an error for
/// bench too, and --frames 0 is refused by wave as by animate.
#[test]
fn options_are_honoured_by_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(["bench", "--quick", "--backend", "gpu"])
        .env("GPUSCI_ADAPTER", "nosuch-adapter")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "bench must refuse an adapter that matches nothing"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches no adapter"));
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("w.gif");
    fails_cleanly(
        &["wave", "--gif", gif.to_str().unwrap(), "--frames", "0"],
        &gif,
        "frames",
    );
    fails_cleanly(
        &[
            "animate",
            "traveling-wave",
            gif.to_str().unwrap(),
            "--frames",
            "0",
        ],
        &gif,
        "frames",
    );
}

/// A negative radius (int(truncate * sigma + 0.5) < 0) is SciPy's ValueError, not the input.
#[test]
fn negative_radius_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.npy");
    let input = fixture("in_line29.npy");
    fails_cleanly(
        &[
            "blur",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--sigma",
            "2",
            "--truncate",
            "-1",
        ],
        &out,
        "nonnegative",
    );
}

/// A CSV with a header line and no points is an empty point set: a zero grid, as NumPy's
/// loadtxt + histogram2d.
#[test]
fn header_only_csv_is_an_empty_point_set() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("empty.csv");
    std::fs::write(&csv, "x,y\n").unwrap();
    let out = dir.path().join("o.npy");
    succeeds(&[
        "density",
        csv.to_str().unwrap(),
        out.to_str().unwrap(),
        "--bins",
        "4,3",
    ]);
    assert_eq!(f64s(&out), vec![0.0; 12]);
    let png = dir.path().join("o.png");
    succeeds(&[
        "heatmap",
        csv.to_str().unwrap(),
        png.to_str().unwrap(),
        "--size",
        "8,6",
    ]);
}

/// On a headless machine without XDG_RUNTIME_DIR (cluster nodes, containers, CI) a successful
/// run prints no line that says error.
#[test]
fn no_error_lines_without_xdg_runtime_dir() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["info"],
        vec!["wave", "--n", "20", "--t", "0.1", "--backend", "auto"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_gpusci"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(!stderr.contains("error"), "{args:?} printed: {stderr}");
    }
    // With a GPU asked for (software adapters included), too.
    if !gpusci::gpu::list_adapters().is_empty() {
        let out = Command::new(env!("CARGO_BIN_EXE_gpusci"))
            .args(["wave", "--n", "20", "--t", "0.1", "--backend", "gpu"])
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(!stderr.contains("error"), "printed: {stderr}");
    }
}

/// `bench --calibrate` writes a crossover table `backend auto` reads; one file takes one
/// adapter; `--resident` adds the R1 rows, with each GPU row's transfer counters.
#[test]
fn bench_calibrates_auto_and_times_the_resident_chain() {
    let Some(backend) = gpusci::gpu::list_adapters()
        .iter()
        .find(|a| a.compute)
        .map(|a| a.backend)
    else {
        eprintln!("*** no GPU adapter: the calibration test was SKIPPED ***");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("crossovers.txt");
    let several = gpusci::gpu::list_adapters()
        .iter()
        .filter(|a| a.compute)
        .count()
        > 1;
    if several {
        let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
            .args(["bench", "--calibrate", "--quick"])
            .env("GPUSCI_CROSSOVER_FILE", &table)
            .env_remove("GPUSCI_ADAPTER")
            .output()
            .unwrap();
        assert!(!run.status.success(), "one file, several adapters: refused");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("name one with GPUSCI_ADAPTER"),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!table.exists(), "nothing written");
    }
    let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args(["bench", "--calibrate", "--quick", "--json"])
        .env("GPUSCI_CROSSOVER_FILE", &table)
        .env("GPUSCI_ADAPTER", backend)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(
        rows.iter().any(|r| r["operation"] == "blur") && rows.iter().all(|r| r["sizes"].is_array()),
        "{rows:?}"
    );
    let text = std::fs::read_to_string(&table).expect("the table was written");
    let read = gpusci::route::Crossovers::default()
        .read_file(&table)
        .expect("the table reads back");
    assert!(text.contains("blur float32 "), "{text}");
    assert_ne!(
        read,
        gpusci::route::Crossovers::default(),
        "it holds crossovers"
    );

    let run = Command::new(env!("CARGO_BIN_EXE_gpusci"))
        .args([
            "bench",
            "--quick",
            "--json",
            "--backend",
            "gpu",
            "--resident",
        ])
        .env("GPUSCI_ADAPTER", backend)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let chain: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["workload"] == "R1" && r["backend"] == "gpu")
        .collect();
    assert_eq!(chain.len(), 2, "host calls and device arrays");
    let waits: Vec<u64> = chain
        .iter()
        .map(|r| r["device_stats"]["waits"].as_u64().unwrap())
        .collect();
    assert_eq!(
        waits,
        [3, 1],
        "three calls wait three times, the chain once"
    );
    assert!(rows
        .iter()
        .filter(|r| r["backend"] == "gpu")
        .all(|r| r["device_stats"]["buffers_created"].is_u64()));
}
