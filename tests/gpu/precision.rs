//! float64 on the GPU: every kernel that takes float64 input held to SciPy's/NumPy's float64
//! answers, on every adapter, in each float64 arithmetic the adapter has: native `f64` where
//! it has SHADER_F64 (lavapipe's Vulkan), and double-float everywhere (llvmpipe's GL has
//! nothing else; on Vulkan it is forced with `emulate_float64`). `Precision::Single` is held
//! to float32's bounds. The error-free transformations of double-float are checked to survive
//! each adapter's optimiser.

use gpusci::blur::{gaussian_filter, gaussian_filter_stack, BlurParams, Mode};
use gpusci::gpu::Arith;
use gpusci::{Device, GpuContext, Precision};
use ndarray::{ArrayD, Ix3, IxDyn};
use rand::{Rng, SeedableRng};

use crate::common::{
    assert_close, blur_cases, blur_error_scale, blur_stack_cases, capture_cpu_notes, executor_on,
    fixture, for_each_adapter, max_abs, Tol,
};

/// A float64 blur on the GPU against SciPy, relative to the error scale (largest input times
/// the kernels' gains): a few hundred taps each rounded at 2^-53 (native) or about 2^-47
/// (double-float), summed. Measured on the fixtures: 1.0e-15 native, 2.7e-14 double-float.
const BLUR_F64_REL: f64 = 1e-13;
/// `Precision::Single` on float64 input: float32 taps and sums (as the float32 tests' bound).
const BLUR_SINGLE_REL: f64 = 2e-6;

/// Runs `body` with the context in each float64 arithmetic it offers: native float64 where
/// it has it, and double-float always (forced on adapters that have native float64).
fn for_each_float64_arith(ctx: &GpuContext, body: impl Fn(&str)) {
    let native = ctx.float64_arith() == Arith::Native64;
    if native {
        body("native f64");
        ctx.emulate_float64(true);
    }
    assert_eq!(ctx.float64_arith(), Arith::DoubleFloat);
    body("double-float");
    ctx.emulate_float64(false);
}

fn device(ctx: &GpuContext, precision: Precision) -> Device<'_> {
    executor_on(ctx).with_precision(precision)
}

#[test]
fn float64_blurs_match_scipy_to_float64_accuracy() {
    for_each_adapter("float64_blurs_match_scipy_to_float64_accuracy", |ctx| {
        for_each_float64_arith(ctx, |arith| {
            let worst = std::cell::Cell::new(0.0f64);
            // The `_f32` fixtures are SciPy's float32 answers: float64 is held to the others.
            for case in blur_cases()
                .into_iter()
                .filter(|c| !c.name.ends_with("_f32"))
            {
                let input = fixture("blur", case.input.trim_end_matches(".npy"));
                let expected = fixture("blur", case.output.trim_end_matches(".npy"));
                let got =
                    gaussian_filter(device(ctx, Precision::Double), input.view(), &case.params)
                        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let scale = blur_error_scale(max_abs(input.view()), &case.params, input.ndim());
                let tol = Tol {
                    abs: BLUR_F64_REL * scale.max(1e-300),
                    rel: 0.0,
                };
                assert_close(
                    got.view(),
                    expected.view(),
                    tol,
                    &format!("{arith} {}", case.name),
                );
                let error = max_abs((&got - &expected).view()) / scale.max(1e-300);
                worst.set(worst.get().max(error));
            }
            for case in blur_stack_cases()
                .into_iter()
                .filter(|c| !c.name.ends_with("_f32"))
            {
                let input = fixture("blur", case.input.trim_end_matches(".npy"))
                    .into_dimensionality::<Ix3>()
                    .unwrap();
                let expected = fixture("blur", case.output.trim_end_matches(".npy"));
                let got = gaussian_filter_stack(
                    device(ctx, Precision::Auto),
                    input.view(),
                    &case.sigmas,
                    &case.params,
                )
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let scale = blur_error_scale(max_abs(input.view()), &case.params, 2);
                let tol = Tol {
                    abs: BLUR_F64_REL * scale.max(1e-300),
                    rel: 0.0,
                };
                assert_close(
                    got.into_dyn().view(),
                    expected.view(),
                    tol,
                    &format!("{arith} {}", case.name),
                );
            }
            eprintln!(
                "{arith}: worst blur error {:.1e} of the error scale",
                worst.get()
            );
        });
    });
}

/// Magnitudes far from 1 (double-float scales them by a power of two), NaN and infinities as
/// SciPy, constant mode with a cval far from the data, the omit policy, and `Single` held to
/// float32's bound.
#[test]
fn float64_blurs_keep_accuracy_far_from_one_and_with_nan() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let base: ArrayD<f64> =
        ArrayD::from_shape_simple_fn(IxDyn(&[37, 53]), || rng.random_range(-2.0..3.0));
    for_each_adapter(
        "float64_blurs_keep_accuracy_far_from_one_and_with_nan",
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                for magnitude in [1e-200, 1e-30, 1.0, 1e40, 1e300] {
                    let input = base.mapv(|v| v * magnitude);
                    for params in [
                        BlurParams::new(3.0),
                        BlurParams::new(1.5)
                            .with_mode(Mode::Constant)
                            .with_cval(7.0 * magnitude),
                        BlurParams::per_axis(&[2.0, 0.7]).with_order(1),
                    ] {
                        let want =
                            gpusci::blur::cpu::gaussian_filter_reference(input.view(), &params)
                                .unwrap();
                        let got =
                            gaussian_filter(device(ctx, Precision::Double), input.view(), &params)
                                .unwrap();
                        let scale = blur_error_scale(max_abs(input.view()), &params, 2);
                        let what = format!("{arith} magnitude {magnitude:e} {params:?}");
                        assert_close(
                            got.view(),
                            want.view(),
                            Tol {
                                abs: BLUR_F64_REL * scale,
                                rel: 0.0,
                            },
                            &what,
                        );
                    }
                }
                let mut holes = base.clone();
                holes[[3, 4]] = f64::NAN;
                holes[[20, 30]] = f64::INFINITY;
                let params = BlurParams::new(2.0);
                let want =
                    gpusci::blur::cpu::gaussian_filter_reference(holes.view(), &params).unwrap();
                let got =
                    gaussian_filter(device(ctx, Precision::Double), holes.view(), &params).unwrap();
                let scale = blur_error_scale(max_abs(holes.view()), &params, 2);
                assert_close(
                    got.view(),
                    want.view(),
                    Tol {
                        abs: BLUR_F64_REL * scale,
                        rel: 0.0,
                    },
                    &format!("{arith} NaN and inf"),
                );
                let omit = params
                    .clone()
                    .with_nan_policy(gpusci::blur::NanPolicy::Omit);
                let want =
                    gpusci::blur::cpu::gaussian_filter_reference(holes.view(), &omit).unwrap();
                let got =
                    gaussian_filter(device(ctx, Precision::Double), holes.view(), &omit).unwrap();
                assert_close(
                    got.view(),
                    want.view(),
                    Tol {
                        abs: BLUR_F64_REL * scale,
                        rel: 0.0,
                    },
                    &format!("{arith} omit"),
                );
            });
            let params = BlurParams::new(3.0);
            let want = gpusci::blur::cpu::gaussian_filter_reference(base.view(), &params).unwrap();
            let got =
                gaussian_filter(device(ctx, Precision::Single), base.view(), &params).unwrap();
            let scale = blur_error_scale(max_abs(base.view()), &params, 2);
            assert_close(
                got.view(),
                want.view(),
                Tol {
                    abs: BLUR_SINGLE_REL * scale,
                    rel: 0.0,
                },
                "single",
            );
        },
    );
}

/// Data whose magnitudes span more than double-float keeps runs on the CPU, with a note,
/// where the adapter has no native float64; native float64 takes it on the GPU.
#[test]
fn float64_spans_past_double_float_run_on_the_cpu_with_a_note() {
    let input = ndarray::Array1::from(vec![1e200, 1.0, -3.0, 1e-200, 5.0]).into_dyn();
    let params = BlurParams::new(1.0);
    let want = gpusci::blur::cpu::gaussian_filter_reference(input.view(), &params).unwrap();
    for_each_adapter(
        "float64_spans_past_double_float_run_on_the_cpu_with_a_note",
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                let (got, notes) = capture_cpu_notes(|| {
                    gaussian_filter(device(ctx, Precision::Auto), input.view(), &params).unwrap()
                });
                let tol = Tol {
                    abs: 0.0,
                    rel: 1e-13,
                };
                assert_close(got.view(), want.view(), tol, arith);
                let noted = notes.iter().any(|n| n.contains("double-float"));
                assert_eq!(noted, arith == "double-float", "{arith}: {notes:?}");
            });
        },
    );
}

/// A float64 FFT on the GPU against rustfft in float64, in the 2-norm relative to the exact
/// result's norm: the error of a Stockham or Bluestein FFT grows like log2 n; per operation
/// float64 rounds at 2^-53 and double-float at about 2^-47, so 2e-15 (log2 n + 1) holds both
/// (measured: native up to 8e-16, double-float up to 3.2e-15 at n = 64).
const FFT_F64_PER_LOG: f64 = 2e-15;

/// The 2-norm of the difference of two complex vectors.
fn l2_distance(a: &[gpusci::fft::Complex<f64>], b: &[gpusci::fft::Complex<f64>]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).norm_sqr())
        .sum::<f64>()
        .sqrt()
}

fn fft_f64_bound(n: usize) -> f64 {
    FFT_F64_PER_LOG * ((n as f64).log2() + 1.0)
}

#[test]
fn float64_ffts_match_rustfft_to_float64_accuracy_for_every_length_kind() {
    use gpusci::fft::{cpu, fft_rows, irfft_rows, rfft_rows, Complex};
    let mut rng = rand::rngs::StdRng::seed_from_u64(61);
    // Workgroup-resident powers of two, global radix-8/4/2 passes, the odd radices, Bluestein
    // primes, one point; two rows each.
    let lengths = [
        1usize,
        2,
        3,
        8,
        64,
        1000,
        1024,
        2048,
        4096,
        3 * 5 * 7 * 11 * 13,
        1031,
        65_537,
    ];
    let cases: Vec<(usize, Vec<Complex<f64>>)> = lengths
        .iter()
        .map(|&n| {
            let data = (0..2 * n)
                .map(|_| Complex::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
                .collect();
            (n, data)
        })
        .collect();
    for_each_adapter(
        "float64_ffts_match_rustfft_to_float64_accuracy_for_every_length_kind",
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                for (n, data) in &cases {
                    let n = *n;
                    let norm = data.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
                    for inverse in [false, true] {
                        let mut want = data.clone();
                        cpu::fft_rows(&mut want, n, inverse).unwrap();
                        let got =
                            fft_rows(device(ctx, Precision::Double), data, n, inverse).unwrap();
                        let err = l2_distance(&got, &want);
                        // Parseval: the forward result's norm is sqrt(n) times the input's, the
                        // inverse's 1/sqrt(n) times.
                        let root = (n as f64).sqrt();
                        let scale = if inverse { norm / root } else { norm * root };
                        assert!(
                            err <= fft_f64_bound(n) * scale.max(1e-300),
                            "{arith} n={n} inverse={inverse}: error {err:e} of norm {scale:e}"
                        );
                    }
                    // Real transforms: the real parts as the signal.
                    let real: Vec<f64> = data.iter().map(|c| c.re).collect();
                    let want = cpu::rfft_rows(&real, n).unwrap();
                    let got = rfft_rows(device(ctx, Precision::Double), &real, n).unwrap();
                    let rnorm = real.iter().map(|v| v * v).sum::<f64>().sqrt();
                    let err = l2_distance(&got, &want);
                    let root = (n as f64).sqrt();
                    assert!(
                        err <= fft_f64_bound(n) * rnorm * root,
                        "{arith} rfft n={n}: {err:e}"
                    );
                    let back = irfft_rows(device(ctx, Precision::Double), &want, n).unwrap();
                    let err = back
                        .iter()
                        .zip(&real)
                        .map(|(g, w)| (g - w).powi(2))
                        .sum::<f64>()
                        .sqrt();
                    assert!(
                        err <= fft_f64_bound(n) * rnorm,
                        "{arith} irfft n={n}: {err:e}"
                    );
                }
            });
        },
    );
}

/// A float64 convolution on the GPU against NumPy/SciPy, relative to the bound of every output
/// (max|a| sum|v|, the larger way round): a direct sum of k products rounds k times
/// (k <= 2000 here: 2000 * 2^-47 = 1.4e-11 at worst, about sqrt(k) 2^-47 in practice), an FFT
/// convolution about log2 L times. Measured on the fixtures: below 1e-15 native, 2.1e-15
/// double-float.
const CONV_F64_REL: f64 = 1e-13;

fn conv_scale<'a>(
    a: impl Iterator<Item = &'a f64> + Clone,
    v: impl Iterator<Item = &'a f64> + Clone,
) -> f64 {
    let max = |x: &mut dyn Iterator<Item = &'a f64>| x.fold(0.0f64, |m, y| m.max(y.abs()));
    let sum = |x: &mut dyn Iterator<Item = &'a f64>| x.map(|y| y.abs()).sum::<f64>();
    (max(&mut a.clone()) * sum(&mut v.clone()))
        .max(max(&mut v.clone()) * sum(&mut a.clone()))
        .max(f64::MIN_POSITIVE)
}

#[track_caller]
fn conv_close<D: ndarray::Dimension>(
    got: ndarray::ArrayView<'_, f64, D>,
    want: ndarray::ArrayView<'_, f64, D>,
    scale: f64,
    what: &str,
) {
    assert_close(
        got.view(),
        want.view(),
        Tol {
            abs: CONV_F64_REL * scale,
            rel: 0.0,
        },
        what,
    );
    let worst = got
        .iter()
        .zip(want.iter())
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0f64, f64::max);
    if worst > 1e-15 {
        eprintln!("{what}: error {worst:.1e} of the scale");
    }
}

#[test]
fn float64_convolutions_match_numpy_and_scipy_to_float64_accuracy() {
    use gpusci::conv::two_d::{convolve_2d, correlate_2d};
    use gpusci::conv::{self, Method, Mode};
    let manifest = crate::common::manifest("conv");
    let one_d = |name: &str| {
        fixture("conv", name)
            .into_dimensionality::<ndarray::Ix1>()
            .unwrap()
    };
    let two_d = |name: &str| {
        fixture("conv", name)
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
    };
    for_each_adapter(
        "float64_convolutions_match_numpy_and_scipy_to_float64_accuracy",
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                let exec = device(ctx, Precision::Auto);
                for case in manifest["cases"].as_array().unwrap() {
                    let (tag, mode_name) = (
                        case["tag"].as_str().unwrap(),
                        case["mode"].as_str().unwrap(),
                    );
                    let mode: Mode = mode_name.parse().unwrap();
                    let (a, v) = (one_d(&format!("a_{tag}")), one_d(&format!("v_{tag}")));
                    let s = conv_scale(a.iter(), v.iter());
                    for method in [Method::Direct, Method::Fft, Method::Auto] {
                        let what = |f: &str| format!("{arith} {f} {tag} {mode_name} {method:?}");
                        let np = conv::np_convolve(exec, a.view(), v.view(), mode, method).unwrap();
                        let want = one_d(&format!("np_convolve_{tag}_{mode_name}"));
                        conv_close(np.view(), want.view(), s, &what("np.convolve"));
                        let sp = conv::convolve(exec, a.view(), v.view(), mode, method).unwrap();
                        let want = one_d(&format!("convolve_{tag}_{mode_name}"));
                        conv_close(sp.view(), want.view(), s, &what("signal.convolve"));
                        let c = conv::correlate(exec, a.view(), v.view(), mode, method).unwrap();
                        let want = one_d(&format!("correlate_{tag}_{mode_name}"));
                        conv_close(c.view(), want.view(), s, &what("signal.correlate"));
                    }
                }
                for case in manifest["cases_2d"].as_array().unwrap() {
                    let (tag, mode_name) = (
                        case["tag"].as_str().unwrap(),
                        case["mode"].as_str().unwrap(),
                    );
                    let mode: Mode = mode_name.parse().unwrap();
                    let (a, v) = (two_d(&format!("a2_{tag}")), two_d(&format!("v2_{tag}")));
                    let s = conv_scale(a.iter(), v.iter());
                    for method in [Method::Direct, Method::Fft] {
                        let what = |f: &str| format!("{arith} {f} {tag} {mode_name} {method:?}");
                        let got = convolve_2d(exec, a.view(), v.view(), mode, method).unwrap();
                        let want = two_d(&format!("convolve2_{tag}_{mode_name}"));
                        conv_close(got.view(), want.view(), s, &what("convolve2"));
                        let got = correlate_2d(exec, a.view(), v.view(), mode, method).unwrap();
                        let want = two_d(&format!("correlate2_{tag}_{mode_name}"));
                        conv_close(got.view(), want.view(), s, &what("correlate2"));
                    }
                }
                // The seed's lag question: the same lag and peak as the CPU.
                let (y1, y2) = (one_d("lag_y1"), one_d("lag_y2"));
                let expected = manifest["seed_lag"].as_i64().unwrap();
                for method in [Method::Direct, Method::Fft] {
                    let found = conv::lag(exec, y1.view(), y2.view(), method).unwrap();
                    assert_eq!(found.samples, expected, "{arith} seed lag {method:?}");
                }
            });
        },
    );
}

/// Large magnitudes (scaled for double-float), long signals in chunks past a 64 KiB binding
/// (direct and overlap-add), and 2-D blocks past it, against the float64 CPU.
#[test]
fn float64_convolutions_keep_accuracy_past_one_binding_and_far_from_one() {
    use gpusci::conv::two_d::convolve_2d;
    use gpusci::conv::{self, Method, Mode};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let a: ndarray::Array1<f64> = (0..30_000)
        .map(|_| rng.random_range(-1.0..1.0) * 1e120)
        .collect();
    let v: ndarray::Array1<f64> = (0..301)
        .map(|_| rng.random_range(-1.0..1.0) * 1e-80)
        .collect();
    let image = ndarray::Array2::from_shape_fn((150, 97), |(r, c)| {
        ((r * 31 + c * 17) % 23) as f64 / 23.0 - 0.5
    });
    let kernel = ndarray::Array2::from_shape_fn((21, 9), |(r, c)| ((r + 2 * c) % 5) as f64 - 2.0);
    let cpu = gpusci::Device::Cpu;
    let want_1d = conv::convolve(cpu, a.view(), v.view(), Mode::Same, Method::Direct).unwrap();
    let want_2d =
        convolve_2d(cpu, image.view(), kernel.view(), Mode::Full, Method::Direct).unwrap();
    let s1 = conv_scale(a.iter(), v.iter());
    let s2 = conv_scale(image.iter(), kernel.iter());
    crate::common::for_each_adapter_with_limits(
        "float64_convolutions_keep_accuracy_past_one_binding_and_far_from_one",
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                let exec = device(ctx, Precision::Double);
                // Operands scaled by 2^-1000 and 2^-30 (double-float): the factors back are
                // applied one after the other, since their product overflows.
                let mut huge = ndarray::Array1::<f64>::zeros(52);
                huge[0] = 2f64.powi(1000);
                huge[51] = 2f64.powi(950);
                let gain = ndarray::array![2f64.powi(30)];
                let got =
                    conv::convolve(exec, huge.view(), gain.view(), Mode::Full, Method::Direct)
                        .unwrap();
                assert_eq!(
                    got[0],
                    f64::INFINITY,
                    "{arith}: 2^1030 overflows, as on the CPU"
                );
                assert!(
                    got.iter().skip(1).take(50).all(|&x| x == 0.0),
                    "{arith}: {got}"
                );
                assert_eq!(got[51], 2f64.powi(980), "{arith}");
                for method in [Method::Direct, Method::Fft] {
                    let got = conv::convolve(exec, a.view(), v.view(), Mode::Same, method).unwrap();
                    conv_close(
                        got.view(),
                        want_1d.view(),
                        s1,
                        &format!("{arith} 1-D {method:?}"),
                    );
                    let got =
                        convolve_2d(exec, image.view(), kernel.view(), Mode::Full, method).unwrap();
                    conv_close(
                        got.view(),
                        want_2d.view(),
                        s2,
                        &format!("{arith} 2-D {method:?}"),
                    );
                }
            });
        },
    );
}

/// float64 blurs past one storage binding (a 64 KiB binding holds 8,192 float64 values, so
/// these need several tiles a pass), in each float64 arithmetic: every tile goes through the
/// one host-in, host-out wrapper and, in double-float, takes its own scaling. Magnitudes far
/// from 1, constant mode with cval, `omit`, and a stack, against the float64 CPU.
#[test]
fn float64_blurs_keep_accuracy_past_one_binding() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let base: ArrayD<f64> =
        ArrayD::from_shape_simple_fn(IxDyn(&[130, 97]), || rng.random_range(-2.0..3.0));
    let stack: ndarray::Array3<f64> =
        ndarray::Array3::from_shape_simple_fn((12, 40, 33), || rng.random_range(-1.0..1.0));
    let sigmas: Vec<f64> = (0..12).map(|i| [0.0, 0.8, 2.5, 9.0][i % 4]).collect();
    crate::common::for_each_adapter_with_limits(
        "float64_blurs_keep_accuracy_past_one_binding",
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            for_each_float64_arith(ctx, |arith| {
                for magnitude in [1e-250, 1.0, 1e280] {
                    let mut input = base.mapv(|v| v * magnitude);
                    input[[5, 90]] = f64::NAN;
                    for params in [
                        BlurParams::per_axis(&[3.0, 1.5]).with_mode(Mode::Reflect),
                        BlurParams::new(2.0)
                            .with_mode(Mode::Constant)
                            .with_cval(-5.0 * magnitude),
                        BlurParams::new(12.0).with_mode(Mode::Wrap),
                        BlurParams::new(2.0).with_nan_policy(gpusci::blur::NanPolicy::Omit),
                    ] {
                        let want =
                            gpusci::blur::cpu::gaussian_filter_reference(input.view(), &params)
                                .unwrap();
                        let (got, notes) = capture_cpu_notes(|| {
                            gaussian_filter(device(ctx, Precision::Double), input.view(), &params)
                                .unwrap()
                        });
                        let what = format!("{arith} tiles, magnitude {magnitude:e}, {params:?}");
                        assert!(notes.is_empty(), "{what}: ran on the GPU, not {notes:?}");
                        let scale = blur_error_scale(max_abs(input.view()), &params, 2);
                        assert_close(
                            got.view(),
                            want.view(),
                            Tol {
                                abs: BLUR_F64_REL * scale,
                                rel: 0.0,
                            },
                            &what,
                        );
                    }
                }
                let params = BlurParams::new(0.0).with_mode(Mode::Mirror);
                let want =
                    gaussian_filter_stack(Device::Cpu, stack.view(), &sigmas, &params).unwrap();
                let got = gaussian_filter_stack(
                    device(ctx, Precision::Double),
                    stack.view(),
                    &sigmas,
                    &params,
                )
                .unwrap();
                let scale = blur_error_scale(max_abs(stack.view().into_dyn()), &params, 2);
                assert_close(
                    got.view(),
                    want.view(),
                    Tol {
                        abs: BLUR_F64_REL * scale,
                        rel: 0.0,
                    },
                    &format!("{arith} stack tiles"),
                );
            });
        },
    );
}

/// NumPy's FFT fixtures (`n`, `axis`, `norm`, real and N-D transforms) through the routers
/// with float64 input at `Precision::Double`.
#[test]
fn float64_fft_routers_match_numpy_fixtures() {
    let cases = crate::common::manifest("fft")["cases"]
        .as_array()
        .unwrap()
        .clone();
    for_each_adapter("float64_fft_routers_match_numpy_fixtures", |ctx| {
        for_each_float64_arith(ctx, |arith| {
            for case in &cases {
                let (got, expected) =
                    crate::common::run_fft_case(device(ctx, Precision::Double), case, false);
                let err = got
                    .iter()
                    .zip(&expected)
                    .map(|(a, b)| (a - b).norm_sqr())
                    .sum::<f64>()
                    .sqrt();
                let norm = expected.iter().map(|b| b.norm_sqr()).sum::<f64>().sqrt();
                // The fixtures' longest transform is 17 points.
                assert!(
                    err <= fft_f64_bound(17) * norm.max(f64::MIN_POSITIVE),
                    "{arith} {}: {err:e} of {norm:e}",
                    case["name"]
                );
            }
        });
    });
}

/// The double-float error-free transformations survive each adapter's shader compiler: a
/// compiler that rewrote (a + b) - a as b (Mesa's NIR did, in the wave solver) would drop the
/// rounding error two-sum and Dekker's product carry, and these sums and products, exact in
/// double-float, would come out as float32 rounds them.
#[test]
fn double_float_error_terms_survive_each_adapters_optimiser() {
    use gpusci::conv::{self, Method, Mode};
    let e20 = 2f64.powi(-20);
    // 2^30 + (1 + 2^-20) - 2^30: float32 sums lose the 1 + 2^-20 entirely.
    let a = ndarray::array![2f64.powi(30), 1.0 + e20, -(2f64.powi(30))];
    let ones = ndarray::array![1.0, 1.0, 1.0];
    // (1 + 2^-20)^2 = 1 + 2^-19 + 2^-40: a float32 product loses the 2^-40.
    let x = ndarray::array![1.0 + e20];
    for_each_adapter(
        "double_float_error_terms_survive_each_adapters_optimiser",
        |ctx| {
            ctx.emulate_float64(true);
            assert_eq!(ctx.float64_arith(), Arith::DoubleFloat);
            let exec = device(ctx, Precision::Double);
            let sums =
                conv::convolve(exec, a.view(), ones.view(), Mode::Full, Method::Direct).unwrap();
            assert_eq!(
                sums[2],
                1.0 + e20,
                "two-sum's error term was folded away: {sums}"
            );
            let square =
                conv::convolve(exec, x.view(), x.view(), Mode::Full, Method::Direct).unwrap();
            assert_eq!(
                square[0],
                1.0 + 2.0 * e20 + e20 * e20,
                "Dekker's product lost its error term"
            );
            ctx.emulate_float64(false);
        },
    );
}

/// A constant float64 image stays exactly constant in every mode, as SciPy's (smoothing sums
/// run relative to the output's own sample), through the tiled and the direct kernels.
#[test]
fn float64_constant_images_stay_exactly_constant() {
    let image = ArrayD::from_elem(IxDyn(&[7, 300]), 3.25f64);
    for_each_adapter("float64_constant_images_stay_exactly_constant", |ctx| {
        for_each_float64_arith(ctx, |arith| {
            for mode in [
                Mode::Reflect,
                Mode::Constant,
                Mode::Nearest,
                Mode::Mirror,
                Mode::Wrap,
            ] {
                // sigma 2 runs the tiled kernels; 300 the direct one (taps past workgroup memory).
                for sigma in [2.0, 300.0] {
                    let params = BlurParams::new(sigma).with_mode(mode).with_cval(3.25);
                    let out = gaussian_filter(device(ctx, Precision::Auto), image.view(), &params)
                        .unwrap();
                    assert!(
                        out.iter().all(|&v| v == 3.25),
                        "{arith} {mode:?} sigma {sigma}: {:?}",
                        out.iter().find(|&&v| v != 3.25)
                    );
                }
            }
        });
    });
}
