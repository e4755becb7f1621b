//! 1-D convolution, correlation and lag finding on every adapter in float32
//! (`Precision::Single`; float64 accuracy is held in precision.rs): the direct tiled kernel and
//! FFT overlap-add against NumPy/SciPy's fixtures and the float64 CPU path, in every mode, odd and even kernels, kernels longer than the signal, length-1 operands, signals split
//! across bindings, NaN confined to its footprint, and the GPU argmax of a lag.

use gpusci::conv::gpu::{ConvGpu, GpuPlan};
use gpusci::conv::{self, Method, Mode};
use gpusci::{Error, Executor};
use ndarray::Array1;

/// The CPU path (the reference the fixtures check).
const CPU: &gpusci::gpu::Executor = &gpusci::gpu::Executor::Cpu;

/// Float32 against float64, relative to the sum of the terms' magnitudes bound
/// (max|a| * sum|v|, which bounds every output): the inputs' rounding (6e-8) plus the sums'
/// (the direct sum's fma chain grows as sqrt(k) ulps; the FFT's as log2 of its length).
/// Measured 3.6e-8 on the fixtures (lavapipe, llvmpipe); the chunked and random cases pass too.
const GPU_CONV_REL: f64 = 2e-6;

fn load(name: &str) -> Array1<f64> {
    crate::common::fixture("conv", name)
        .into_dimensionality::<ndarray::Ix1>()
        .unwrap()
}

fn manifest() -> serde_json::Value {
    crate::common::manifest("conv")
}

fn scale(a: &Array1<f64>, v: &Array1<f64>) -> f64 {
    let max_a = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let max_v = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let sum_a: f64 = a.iter().map(|x| x.abs()).sum();
    let sum_v: f64 = v.iter().map(|x| x.abs()).sum();
    (max_a * sum_v).max(max_v * sum_a).max(f64::MIN_POSITIVE)
}

fn close(got: &Array1<f64>, expected: &Array1<f64>, scale: f64, what: &str) -> f64 {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (a, b)) in got.iter().zip(expected.iter()).enumerate() {
        let err = (a - b).abs() / scale;
        assert!(
            err <= GPU_CONV_REL,
            "{what}[{i}]: {a} vs {b} (error {err:.2e} of the scale)"
        );
        worst = worst.max(err);
    }
    worst
}

#[test]
fn every_mode_matches_numpy_and_scipy_on_the_gpu() {
    let cases = manifest()["cases"].as_array().unwrap().clone();
    crate::common::for_each_adapter("conv fixtures", |ctx| {
        let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
        let mut worst = 0.0f64;
        for case in &cases {
            let (tag, mode_name) = (
                case["tag"].as_str().unwrap(),
                case["mode"].as_str().unwrap(),
            );
            let mode: Mode = mode_name.parse().unwrap();
            let (a, v) = (load(&format!("a_{tag}")), load(&format!("v_{tag}")));
            let s = scale(&a, &v);
            for method in [Method::Direct, Method::Fft, Method::Auto] {
                let what = |f: &str| format!("{f} {tag} {mode_name} {method:?}");
                let np = conv::np_convolve(exec, a.view(), v.view(), mode, method).unwrap();
                worst = worst.max(close(
                    &np,
                    &load(&format!("np_convolve_{tag}_{mode_name}")),
                    s,
                    &what("np.convolve"),
                ));
                let sp = conv::convolve(exec, a.view(), v.view(), mode, method).unwrap();
                worst = worst.max(close(
                    &sp,
                    &load(&format!("convolve_{tag}_{mode_name}")),
                    s,
                    &what("signal.convolve"),
                ));
                let c = conv::correlate(exec, a.view(), v.view(), mode, method).unwrap();
                worst = worst.max(close(
                    &c,
                    &load(&format!("correlate_{tag}_{mode_name}")),
                    s,
                    &what("signal.correlate"),
                ));
            }
        }
        eprintln!("worst error against the fixtures: {worst:.2e} of the scale");
    });
}

fn signal(n: usize, seed: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| {
        (((i + seed) * 7919) % 1009) as f64 / 1009.0 - 0.5 + 0.3 * ((i + seed) as f64 * 0.01).sin()
    })
}

/// Random lengths against the float64 CPU path, including blocks of overlap-add (more than
/// one row), a kernel as long as the signal, one longer, and one tap.
#[test]
fn direct_and_fft_follow_the_cpu_on_random_lengths() {
    crate::common::for_each_adapter("conv random", |ctx| {
        let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
        for (n, k) in [
            (1usize, 1usize),
            (1000, 1),
            (1001, 64),
            (5000, 65),
            (3000, 2999),
            (10, 300),
            (40_000, 1000),
        ] {
            let (a, v) = (signal(n, 1), signal(k, 2));
            let s = scale(&a, &v);
            for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                let cpu = conv::np_convolve(CPU, a.view(), v.view(), mode, Method::Direct).unwrap();
                for method in [Method::Direct, Method::Fft] {
                    let got = conv::np_convolve(exec, a.view(), v.view(), mode, method).unwrap();
                    close(&got, &cpu, s, &format!("n={n} k={k} {mode:?} {method:?}"));
                }
            }
        }
        // 40,000 samples with 1,000 taps: overlap-add with several blocks.
        assert!(matches!(
            ConvGpu::plan(ctx, 40_000, 1000, Method::Fft, true).unwrap(),
            GpuPlan::OverlapAdd { size: 8192, block } if block < 40_000
        ));
    });
}

/// With 64 KiB bindings (16,384 floats) a 100,000-sample signal runs in chunks of outputs,
/// each from the slice it needs; the results equal the CPU's.
#[test]
fn signals_past_one_binding_run_in_chunks() {
    crate::common::for_each_adapter_with_limits(
        "conv chunked",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
            let a = signal(100_000, 3);
            for (k, method) in [(37usize, Method::Direct), (700, Method::Fft)] {
                let v = signal(k, 4);
                let s = scale(&a, &v);
                for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                    let cpu =
                        conv::convolve(CPU, a.view(), v.view(), mode, Method::Direct).unwrap();
                    let got = conv::convolve(exec, a.view(), v.view(), mode, method).unwrap();
                    close(&got, &cpu, s, &format!("chunked k={k} {mode:?} {method:?}"));
                    // A correlation reverses its second input, the longer one or not: the
                    // chunks are cut from a reversed view of it.
                    for (x, y) in [(&a, &v), (&v, &a)] {
                        let cpu =
                            conv::correlate(CPU, x.view(), y.view(), mode, Method::Direct).unwrap();
                        let got = conv::correlate(exec, x.view(), y.view(), mode, method).unwrap();
                        let what = format!("chunked correlate {}x{} {mode:?}", x.len(), y.len());
                        close(&got, &cpu, s, &what);
                    }
                }
            }
            // The argmax across chunks: b = a[61,234..62,234] lines up at lag 61,234.
            let b = a.slice(ndarray::s![61_234..62_234]).to_owned();
            let lag = conv::lag(exec, a.view(), b.view(), Method::Fft).unwrap();
            assert_eq!(lag.samples, 61_234, "lag found across chunks");
            let swapped = conv::lag(exec, b.view(), a.view(), Method::Fft).unwrap();
            assert_eq!(swapped.samples, -61_234, "the longer signal second");
            // A kernel whose block spectrum cannot fit a binding: the GPU refuses it, and the
            // router computes it on the CPU and says so.
            let huge = signal(20_000, 5);
            let gpu = ConvGpu::new(ctx).unwrap();
            assert!(matches!(
                gpu.full_window(ctx, &a.to_vec(), &huge.to_vec(), Method::Fft, (0, 119_999)),
                Err(Error::ExceedsLimit { .. })
            ));
            let (routed, notes) = crate::common::capture_cpu_notes(|| {
                conv::convolve(exec, a.view(), huge.view(), Mode::Full, Method::Fft)
            });
            let cpu = conv::convolve(CPU, a.view(), huge.view(), Mode::Full, Method::Fft).unwrap();
            assert_eq!(routed.unwrap(), cpu, "the CPU's answer");
            assert!(
                notes.iter().any(|n| n.starts_with("convolve:")),
                "the fallback is said: {notes:?}"
            );
        },
    );
}

#[test]
fn nan_stays_local_and_bad_input_is_an_error_on_the_gpu() {
    crate::common::for_each_adapter("conv nan", |ctx| {
        let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
        let mut a = Array1::from_shape_fn(4000, |i| (i as f64 * 0.01).sin());
        a[1000] = f64::NAN;
        let v = Array1::from_shape_fn(600, |i| 1.0 / (1.0 + i as f64));
        let out = conv::np_convolve(exec, a.view(), v.view(), Mode::Full, Method::Auto).unwrap();
        let nan: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, x)| x.is_nan())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(nan, (1000..1600).collect::<Vec<_>>(), "auto sums directly");
        let empty = Array1::<f64>::zeros(0);
        assert!(matches!(
            conv::convolve(exec, empty.view(), v.view(), Mode::Full, Method::Auto),
            Err(Error::EmptyInput(_))
        ));
        let big = Array1::from(vec![1.0, 1e300]);
        assert!(matches!(
            conv::convolve(exec, big.view(), v.view(), Mode::Full, Method::Auto),
            Err(Error::InvalidParam { .. })
        ));
    });
}

#[test]
fn lags_on_the_gpu_match_the_seed_and_the_shifts() {
    let (y1, y2) = (load("lag_y1"), load("lag_y2"));
    let expected = manifest()["seed_lag"].as_i64().unwrap();
    let cpu = conv::lag(CPU, y1.view(), y2.view(), Method::Auto).unwrap();
    crate::common::for_each_adapter("conv lag", |ctx| {
        let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
        for method in [Method::Direct, Method::Fft] {
            let found = conv::lag(exec, y1.view(), y2.view(), method).unwrap();
            assert_eq!(found.samples, expected, "seed example {method:?}");
            // Peak, refinement and Pearson are float64 at the GPU's argmax: the CPU's values.
            assert!((found.peak - cpu.peak).abs() <= 1e-9 * cpu.peak.abs());
            assert!((found.refined - cpu.refined).abs() < 1e-9);
            assert!((found.pearson - cpu.pearson).abs() < 1e-12);
        }
        let base: Vec<f64> = (0..500).map(|i| ((i * 7919) % 97) as f64 - 48.0).collect();
        let a = Array1::from(base[100..400].to_vec());
        let b = Array1::from(base[137..337].to_vec());
        let found = conv::lag(exec, a.view(), b.view(), Method::Auto).unwrap();
        assert_eq!(found.samples, 37, "unequal lengths");
        assert!((found.pearson - 1.0).abs() < 1e-12);
        let back = conv::lag(exec, b.view(), a.view(), Method::Fft).unwrap();
        assert_eq!(back.samples, -37, "negative lag");
    });
}

fn load2(name: &str) -> ndarray::Array2<f64> {
    crate::common::fixture("conv", name)
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
}

/// 2-D convolve / correlate on the GPU, direct and through 2-D FFTs, against SciPy; a larger
/// image against the float64 CPU; inputs past one binding (16 KiB here) split into blocks,
/// against the float64 CPU.
#[test]
fn two_dimensional_modes_match_scipy_on_the_gpu() {
    use gpusci::conv::two_d::{convolve_2d, correlate_2d};
    let cases = manifest()["cases_2d"].as_array().unwrap().clone();
    crate::common::for_each_adapter("conv 2-D", |ctx| {
        let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
        for case in &cases {
            let (tag, mode_name) = (
                case["tag"].as_str().unwrap(),
                case["mode"].as_str().unwrap(),
            );
            let mode: Mode = mode_name.parse().unwrap();
            let (a, v) = (load2(&format!("a2_{tag}")), load2(&format!("v2_{tag}")));
            let flat = |x: &ndarray::Array2<f64>| Array1::from_iter(x.iter().copied());
            let s = scale(&flat(&a), &flat(&v));
            for method in [Method::Direct, Method::Fft] {
                for (name, got) in [
                    (
                        "convolve2",
                        convolve_2d(exec, a.view(), v.view(), mode, method).unwrap(),
                    ),
                    (
                        "correlate2",
                        correlate_2d(exec, a.view(), v.view(), mode, method).unwrap(),
                    ),
                ] {
                    let expected = load2(&format!("{name}_{tag}_{mode_name}"));
                    let what = format!("{name} {tag} {mode_name} {method:?}");
                    assert_eq!(got.dim(), expected.dim(), "{what}: shape");
                    close(&flat(&got), &flat(&expected), s, &what);
                }
            }
        }
        let image = ndarray::Array2::from_shape_fn((150, 97), |(r, c)| {
            ((r * 31 + c * 17) % 23) as f64 / 23.0 - 0.5
        });
        let kernel =
            ndarray::Array2::from_shape_fn((21, 9), |(r, c)| ((r + 2 * c) % 5) as f64 - 2.0);
        let flat = |x: &ndarray::Array2<f64>| Array1::from_iter(x.iter().copied());
        let s = scale(&flat(&image), &flat(&kernel));
        for mode in [Mode::Full, Mode::Same, Mode::Valid] {
            let cpu = convolve_2d(
                &Executor::Cpu,
                image.view(),
                kernel.view(),
                mode,
                Method::Direct,
            )
            .unwrap();
            for method in [Method::Direct, Method::Fft] {
                let got = convolve_2d(exec, image.view(), kernel.view(), mode, method).unwrap();
                close(
                    &flat(&got),
                    &flat(&cpu),
                    s,
                    &format!("150x97 {mode:?} {method:?}"),
                );
            }
        }
    });
    crate::common::for_each_adapter_with_limits(
        "conv 2-D past one binding",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 16 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single);
            let pattern = |rows: usize, cols: usize, seed: usize| {
                ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
                    ((r * 31 + c * 17 + seed) % 23) as f64 / 23.0 - 0.5
                })
            };
            let flat = |x: &ndarray::Array2<f64>| Array1::from_iter(x.iter().copied());
            // 16 KiB holds 4,096 floats: an image past it with a small kernel (the image is
            // cut into blocks), then two inputs each past it (both are cut), in either order.
            // (Kernels kept to ~5,000 taps: a direct float32 sum's error grows as sqrt(taps),
            // and GPU_CONV_REL is set for that size.)
            // FFTs past the binding run on the first case only: at 16 KiB a padded transform
            // holds 2,048 values, and cutting both inputs makes thousands of tiny pairs (each a
            // GPU round trip), seconds on a software adapter for nothing the direct cases and
            // the first case do not already prove.
            let cases = [
                (
                    pattern(150, 130, 1),
                    pattern(9, 7, 2),
                    &[Method::Direct, Method::Fft][..],
                ),
                (
                    pattern(75, 70, 3),
                    pattern(70, 66, 4),
                    &[Method::Direct][..],
                ),
                (
                    pattern(20, 30, 5),
                    pattern(80, 60, 6),
                    &[Method::Direct][..],
                ),
            ];
            for (image, kernel, methods) in &cases {
                let s = scale(&flat(image), &flat(kernel));
                for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                    let Ok(cpu) = convolve_2d(
                        &Executor::Cpu,
                        image.view(),
                        kernel.view(),
                        mode,
                        Method::Direct,
                    ) else {
                        // valid mode with neither input the larger in both dimensions
                        continue;
                    };
                    for &method in *methods {
                        let got = convolve_2d(exec, image.view(), kernel.view(), mode, method)
                            .unwrap_or_else(|e| {
                                panic!("{:?} {mode:?} {method:?}: {e}", image.dim())
                            });
                        assert_eq!(got.dim(), cpu.dim());
                        close(
                            &flat(&got),
                            &flat(&cpu),
                            s,
                            &format!("{:?} * {:?} {mode:?} {method:?}", image.dim(), kernel.dim()),
                        );
                    }
                }
                let cpu = correlate_2d(
                    &Executor::Cpu,
                    image.view(),
                    kernel.view(),
                    Mode::Same,
                    Method::Direct,
                )
                .unwrap();
                let got = correlate_2d(exec, image.view(), kernel.view(), Mode::Same, methods[0])
                    .unwrap();
                close(
                    &flat(&got),
                    &flat(&cpu),
                    s,
                    &format!("{:?} correlate same", image.dim()),
                );
            }
        },
    );
}
