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
/// (double-float), summed; 1e-13 leaves a margin of about 20 over double-float's worst case.
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
