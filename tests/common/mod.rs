//! Test harness shared by the integration tests: run a body on every adapter, the adapter
//! policy of `GPUSCI_EXPECT_ADAPTERS`, and `assert_close`.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]
#![allow(unreachable_pub, reason = "test helper module")]
#![allow(missing_docs, reason = "test helper module")]

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use gpusci::gpu::{backend_name, enumerate_adapters};
use gpusci::GpuContext;

/// Variable listing the backends that must be exercised (`vulkan,gl` on CI).
pub const EXPECT_ENV: &str = "GPUSCI_EXPECT_ADAPTERS";

/// Runs `body` on a context for every adapter that can run compute shaders, with NaN
/// poisoning of outputs on. Failures are collected, tagged `[backend/adapter]`, and reported
/// together; with `GPUSCI_EXPECT_ADAPTERS` set, a listed backend that was not exercised fails
/// the test; without it, finding no adapter prints a loud skip notice.
#[track_caller]
pub fn for_each_adapter(test: &str, body: impl Fn(&GpuContext)) {
    for_each_adapter_with_limits(test, |limits| limits, body);
}

/// As [`for_each_adapter`], with limits lowered by `adjust` before each device is made (to
/// exercise chunking on small data).
#[track_caller]
pub fn for_each_adapter_with_limits(
    test: &str,
    adjust: impl Fn(wgpu::Limits) -> wgpu::Limits,
    body: impl Fn(&GpuContext),
) {
    let mut exercised = BTreeSet::new();
    let mut failures = Vec::new();
    for adapter in enumerate_adapters() {
        let info = adapter.get_info();
        let tag = format!("[{}/{}]", backend_name(info.backend), info.name);
        if !adapter
            .get_downlevel_capabilities()
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        {
            eprintln!("{test} {tag}: skipped, no compute shaders");
            continue;
        }
        let ctx = match GpuContext::from_adapter_with_limits(&adapter, &adjust) {
            Ok(ctx) => ctx,
            Err(error) => {
                failures.push(format!("{tag} could not open a device: {error}"));
                continue;
            }
        };
        ctx.set_poison_outputs(true);
        exercised.insert(backend_name(info.backend).to_string());
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body(&ctx))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            failures.push(format!("{tag} {message}"));
        } else {
            eprintln!("{test} {tag}: ok");
        }
    }
    if let Ok(expected) = std::env::var(EXPECT_ENV) {
        let missing = missing_backends(&expected, &exercised);
        if !missing.is_empty() {
            failures.push(format!(
                "{EXPECT_ENV}={expected} but {missing:?} were not exercised (found {exercised:?})"
            ));
        }
    } else if exercised.is_empty() {
        eprintln!("*** {test}: NO GPU ADAPTER FOUND: the GPU half of this test was SKIPPED ***");
    }
    assert!(
        failures.is_empty(),
        "{test} failed:\n{}",
        failures.join("\n")
    );
}

/// The backends named in `expected` (comma-separated) that were not exercised.
pub fn missing_backends(expected: &str, exercised: &BTreeSet<String>) -> Vec<String> {
    expected
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty() && !exercised.contains(*b))
        .map(str::to_string)
        .collect()
}

/// Absolute and relative bounds: an element passes when |actual − expected| ≤ max(abs, rel·|expected|).
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    pub abs: f64,
    pub rel: f64,
}

/// Compares two arrays of the same shape. NaN matches NaN; infinities must match exactly.
/// The panic names the first failing index, the values, the tolerance, the largest error and
/// how many elements failed.
#[track_caller]
pub fn assert_close<A, B, D>(
    actual: ndarray::ArrayView<'_, A, D>,
    expected: ndarray::ArrayView<'_, B, D>,
    tol: Tol,
    what: &str,
) where
    A: Copy + Into<f64>,
    B: Copy + Into<f64>,
    D: ndarray::Dimension,
{
    assert_eq!(actual.shape(), expected.shape(), "{what}: shapes differ");
    let mut first = None;
    let mut failed = 0usize;
    let mut max_err = 0.0f64;
    for (i, (&a, &e)) in actual.iter().zip(expected.iter()).enumerate() {
        let (a, e): (f64, f64) = (a.into(), e.into());
        let ok = if e.is_nan() || a.is_nan() {
            e.is_nan() && a.is_nan()
        } else if e.is_infinite() || a.is_infinite() {
            a == e
        } else {
            let err = (a - e).abs();
            max_err = max_err.max(err);
            err <= tol.abs.max(tol.rel * e.abs())
        };
        if !ok {
            failed += 1;
            first.get_or_insert((i, a, e));
        }
    }
    if let Some((i, a, e)) = first {
        let index = ndarray::indices(actual.raw_dim())
            .into_iter()
            .nth(i)
            .map(|d| format!("{d:?}"));
        panic!(
            "{what}: {failed} of {} elements differ; first at flat index {i} {}: actual {a}, expected {e}, diff {}, tol {tol:?}, max abs error {max_err:e}",
            actual.len(),
            index.unwrap_or_default(),
            (a - e).abs()
        );
    }
}

/// Largest absolute value (the scale for absolute tolerances).
pub fn max_abs<A: Copy + Into<f64>, D: ndarray::Dimension>(a: ndarray::ArrayView<'_, A, D>) -> f64 {
    a.iter()
        .map(|&v| v.into().abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// The bytes of a version-1 .npy file with header text `dict` (padded as NumPy pads) and `data`.
pub fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The magnitude float32 blur errors scale with: the largest input times, for each filtered
/// axis, the sum of |weights| (1 for smoothing; much more for derivative kernels with a small
/// sigma, whose outputs and intermediate values grow by that factor).
pub fn blur_error_scale(input_max: f64, params: &gpusci::blur::BlurParams, ndim: usize) -> f64 {
    let plan = params.plan(ndim).expect("valid parameters");
    let gain: f64 = plan
        .passes
        .iter()
        .map(|pass| pass.kernel.weights.iter().map(|w| w.abs()).sum::<f64>())
        .product();
    input_max.max(params.cval.abs()) * gain.max(1.0)
}

/// The `DensityParams` of one case of tests/data/density/manifest.json (bins, range, density).
pub fn density_case_params(case: &serde_json::Value) -> gpusci::density::DensityParams {
    let bins: Vec<usize> = case["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as usize)
        .collect();
    let mut params = gpusci::density::DensityParams::new(bins[0], bins[1])
        .with_density(case["density"].as_bool().unwrap());
    if let Some(r) = case["range"].as_array() {
        let pair = |v: &serde_json::Value| [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()];
        params = params.with_range(pair(&r[0]), pair(&r[1]));
    }
    params
}

/// A `.npy` fixture of `tests/data/<dir>/<name>.npy` as float64 (float32 files widened).
pub fn fixture(dir: &str, name: &str) -> ndarray::ArrayD<f64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
        .join(format!("{name}.npy"));
    match gpusci::io::read_npy(&path).unwrap_or_else(|e| panic!("{dir}/{name}: {e}")) {
        gpusci::io::NpyArray::F64(a) => a,
        gpusci::io::NpyArray::F32(a) => a.mapv(f64::from),
    }
}

/// `tests/data/<dir>/manifest.json`.
pub fn manifest(dir: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
        .join("manifest.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One SciPy `gaussian_filter` case of tests/data/blur/manifest.json (make_fixtures.py).
pub struct BlurCase {
    pub name: String,
    pub input: String,
    pub output: String,
    pub params: gpusci::blur::BlurParams,
}

/// One stack case: N separate SciPy calls, image i with `sigmas[i]`.
pub struct StackCase {
    pub name: String,
    pub input: String,
    pub output: String,
    pub sigmas: Vec<f64>,
    pub params: gpusci::blur::BlurParams,
}

fn json_floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn json_modes(v: &serde_json::Value) -> Vec<gpusci::blur::Mode> {
    let names: Vec<&str> = match v.as_str() {
        Some(one) => vec![one],
        None => v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect(),
    };
    names.iter().map(|m| m.parse().unwrap()).collect()
}

/// The blur manifest's gaussian_filter cases.
pub fn blur_cases() -> Vec<BlurCase> {
    manifest("blur")["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let orders: Vec<u32> = json_floats(&c["order"]).iter().map(|&o| o as u32).collect();
            let mut params = gpusci::blur::BlurParams::per_axis(&json_floats(&c["sigma"]))
                .with_modes(&json_modes(&c["mode"]))
                .with_cval(c["cval"].as_f64().unwrap())
                .with_truncate(c["truncate"].as_f64().unwrap())
                .with_orders(&orders);
            params.radius = match &c["radius"] {
                serde_json::Value::Null => None,
                serde_json::Value::Array(r) => {
                    Some(r.iter().map(|v| v.as_u64().unwrap() as usize).collect())
                }
                one => Some(vec![one.as_u64().unwrap() as usize]),
            };
            if let Some(axes) = c["axes"].as_array() {
                params.axes = Some(axes.iter().map(|a| a.as_i64().unwrap() as isize).collect());
            }
            BlurCase {
                name: c["name"].as_str().unwrap().to_string(),
                input: c["input"].as_str().unwrap().to_string(),
                output: c["output"].as_str().unwrap().to_string(),
                params,
            }
        })
        .collect()
}

/// The blur manifest's stack cases.
pub fn blur_stack_cases() -> Vec<StackCase> {
    manifest("blur")["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .map(|c| StackCase {
            name: c["name"].as_str().unwrap().to_string(),
            input: c["input"].as_str().unwrap().to_string(),
            output: c["output"].as_str().unwrap().to_string(),
            sigmas: json_floats(&c["sigmas"]),
            params: gpusci::blur::BlurParams::new(0.0)
                .with_modes(&json_modes(&c["mode"]))
                .with_cval(c["cval"].as_f64().unwrap())
                .with_truncate(c["truncate"].as_f64().unwrap()),
        })
        .collect()
}

/// One case of tests/data/fft/manifest.json (make_fft_fixtures.py), run through the FFT
/// routers on `device`: (the result as complex float64, NumPy's values).
pub fn run_fft_case(
    device: gpusci::Device<'_>,
    case: &serde_json::Value,
    single: bool,
) -> (
    ndarray::ArrayD<gpusci::fft::Complex<f64>>,
    ndarray::ArrayD<gpusci::fft::Complex<f64>>,
) {
    use gpusci::fft::{self, Complex, FftParams, Norm};
    let complex = |name: &str| {
        let re = fixture("fft", &format!("{name}_re"));
        let im = fixture("fft", &format!("{name}_im"));
        ndarray::Zip::from(&re)
            .and(&im)
            .map_collect(|&re, &im| Complex::new(re, im))
    };
    let name = case["name"].as_str().unwrap();
    let kind = case["kind"].as_str().unwrap();
    let norm: Norm = case["norm"].as_str().unwrap_or("backward").parse().unwrap();
    let mut params = FftParams::default().with_norm(norm);
    if let Some(n) = case["n"].as_u64() {
        params = params.with_n(n as usize);
    }
    if let Some(axis) = case["axis"].as_i64() {
        params = params.with_axis(axis as isize);
    }
    let expected = if case["complex"].as_bool().unwrap() {
        complex(&format!("out_{name}"))
    } else {
        fixture("fft", &format!("out_{name}")).mapv(|v| Complex::new(v, 0.0))
    };
    let x = complex("in_x");
    let r = fixture("fft", "in_r");
    let narrow = |c: &Complex<f64>| Complex::new(c.re as f32, c.im as f32);
    let widen = |c: &Complex<f32>| Complex::new(f64::from(c.re), f64::from(c.im));
    let list = |key: &str| -> Option<Vec<i64>> {
        case[key]
            .as_array()
            .map(|v| v.iter().map(|a| a.as_i64().unwrap()).collect())
    };
    let s: Option<Vec<usize>> = list("s").map(|v| v.iter().map(|&n| n as usize).collect());
    let axes: Option<Vec<isize>> = list("axes").map(|v| v.iter().map(|&a| a as isize).collect());
    let got = match (kind, single) {
        ("fft" | "ifft", false) => fft::fft(device, x.view(), &params, kind == "ifft").unwrap(),
        ("fft" | "ifft", true) => fft::fft(device, x.map(narrow).view(), &params, kind == "ifft")
            .unwrap()
            .map(widen),
        ("rfft", false) => fft::rfft(device, r.view(), &params).unwrap(),
        ("rfft", true) => fft::rfft(device, r.mapv(|v| v as f32).view(), &params)
            .unwrap()
            .map(widen),
        ("irfft", false) => fft::irfft(device, x.view(), &params)
            .unwrap()
            .mapv(|v| Complex::new(v, 0.0)),
        ("irfft", true) => fft::irfft(device, x.map(narrow).view(), &params)
            .unwrap()
            .mapv(|v| Complex::new(f64::from(v), 0.0)),
        ("fftn" | "ifftn", false) => fft::fftn(
            device,
            x.view(),
            s.as_deref(),
            axes.as_deref(),
            norm,
            kind == "ifftn",
        )
        .unwrap(),
        ("fftn" | "ifftn", true) => fft::fftn(
            device,
            x.map(narrow).view(),
            s.as_deref(),
            axes.as_deref(),
            norm,
            kind == "ifftn",
        )
        .unwrap()
        .map(widen),
        other => panic!("unknown case kind {other:?}"),
    };
    (got, expected)
}

/// Runs `f` with the library's CPU-fallback notes captured: the result and every note said
/// by this thread while it ran (the routers say them on the calling thread; tests running
/// beside this one say theirs on their own). The hook is process-wide, so tests that capture
/// take turns.
pub fn capture_cpu_notes<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    use std::sync::{Arc, Mutex};
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let notes = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = notes.clone();
    let caller = std::thread::current().id();
    gpusci::gpu::set_cpu_fallback_hook(Some(Arc::new(move |note: &str| {
        if std::thread::current().id() == caller {
            sink.lock().unwrap().push(note.to_string());
        }
    })));
    let out = f();
    gpusci::gpu::set_cpu_fallback_hook(None);
    let notes = notes.lock().unwrap().clone();
    (out, notes)
}

/// Every rolling-mean case of tests/data/signal/manifest.json on `device`, each output within
/// `tol` of max|x| of NumPy's (non-finite outputs equal); returns the cases checked.
pub fn check_rolling_fixtures(device: gpusci::Device<'_>, tol: f64) -> usize {
    use gpusci::signal::{rolling_mean, ConvMode, RollingParams};
    use ndarray::Ix1;
    let cases: Vec<serde_json::Value> = serde_json::from_value(manifest("signal")).unwrap();
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["kind"] == "rolling") {
        let name = case["out"].as_str().unwrap();
        let x = fixture("signal", &format!("x_{}", case["signal"].as_str().unwrap()))
            .into_dimensionality::<Ix1>()
            .unwrap();
        let expected = fixture("signal", name)
            .into_dimensionality::<Ix1>()
            .unwrap();
        let params = RollingParams::new(case["k"].as_u64().unwrap() as usize)
            .with_mode(case["mode"].as_str().unwrap().parse::<ConvMode>().unwrap());
        let got = rolling_mean(device, x.view(), &params).unwrap();
        assert_eq!(got.len(), expected.len(), "{name}: length");
        let scale = x
            .iter()
            .filter(|v| v.is_finite())
            .fold(1.0f64, |m, v| m.max(v.abs()));
        for (i, (&a, &b)) in got.iter().zip(expected.iter()).enumerate() {
            if b.is_finite() {
                assert!((a - b).abs() <= tol * scale, "{name}[{i}]: {a} vs {b}");
            } else {
                assert!(
                    a == b || (a.is_nan() && b.is_nan()),
                    "{name}[{i}]: {a} vs {b}"
                );
            }
        }
        checked += 1;
    }
    checked
}

/// The harness's context lent to the library's routers as a [`gpusci::Device`], poisoning
/// outputs: the same context (its error callbacks, its pipeline cache), not a second one.
pub fn executor_on(ctx: &GpuContext) -> gpusci::Device<'_> {
    ctx.set_poison_outputs(true);
    gpusci::Device::Gpu(ctx, gpusci::Precision::Auto)
}

/// A PNG file's width, height and RGBA8 pixels.
pub fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// 2,000 points in the top-left quadrant of [0, 1]^2 (x < 0.5, y > 0.5).
pub fn top_left_points() -> gpusci::io::Points {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let x = ndarray::Array1::from_shape_simple_fn(2000, || rng.random_range(0.05..0.45));
    let y = ndarray::Array1::from_shape_simple_fn(2000, || rng.random_range(0.55..0.95));
    gpusci::io::Points {
        x,
        y,
        weights: None,
        kind: gpusci::density::PointType::F64,
    }
}

/// The LIF fixtures (tests/data/lif, made by make_lif_fixtures.py from the seed program).
pub mod lif {
    use gpusci::lif::Network;
    use ndarray::{ArrayD, Ix1, Ix2};

    /// The bound for float32 against float64 over the first 20 ms.
    pub const FAST_MV: f64 = 0.01;
    /// Over 1 s the network is chaotic: the mean rate within 5 % and the mean ISI CV within
    /// 15 % of the seed program's.
    pub const RATE_REL: f64 = 0.05;
    pub const CV_REL: f64 = 0.15;

    /// The largest |a - b| over two arrays of the same shape.
    pub fn max_diff<D: ndarray::Dimension>(
        a: ndarray::ArrayView<'_, f64, D>,
        b: ndarray::ArrayView<'_, f64, D>,
    ) -> f64 {
        assert_eq!(a.shape(), b.shape(), "shapes");
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// A fixture array as float64 (`name` with its `.npy`).
    pub fn load(name: &str) -> ArrayD<f64> {
        super::fixture("lif", name.trim_end_matches(".npy"))
    }

    /// The seed program's weights and v0 (n = 300, NumPy seed 7).
    pub fn network() -> Network {
        Network::new(
            load("w.npy").into_dimensionality::<Ix2>().unwrap(),
            load("v0.npy").into_dimensionality::<Ix1>().unwrap(),
        )
        .unwrap()
    }

    /// (step, neuron) of a fixture's (time, neuron) rows.
    pub fn spikes(name: &str, dt: f64) -> Vec<(u32, u32)> {
        load(name)
            .into_dimensionality::<Ix2>()
            .unwrap()
            .outer_iter()
            .map(|r| ((r[0] / dt).round() as u32, r[1] as u32))
            .collect()
    }
}
