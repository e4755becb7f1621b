//! GPU blur vs the float64 CPU reference, on every adapter, with outputs poisoned.

use crate::common::{
    assert_close, blur_cases, blur_stack_cases, executor_on, fixture, for_each_adapter,
    for_each_adapter_with_limits, max_abs, Tol,
};
use gpusci::blur::{
    cpu, gaussian_filter, gaussian_filter_stack, gpu::BlurGpu, BlurParams, Mode, NanPolicy,
};
use ndarray::{Array1, Array2, Array3, ArrayD, Ix3, IxDyn};
use rand::{Rng, SeedableRng};

/// float32 against the float64 reference: each pass sums up to a few hundred float32 products,
/// so the error is a few float32 ulps of the data's magnitude (eps 1.2e-7 x sqrt-ish growth in
/// the tap count); 1e-5 relative to the element, with a floor of 1e-5 of the largest input.
const BLUR_F32_REL: f64 = 1e-5;
const BLUR_F32_ABS_PER_SCALE: f64 = 1e-5;

const MODES: [Mode; 5] = [
    Mode::Reflect,
    Mode::Constant,
    Mode::Nearest,
    Mode::Mirror,
    Mode::Wrap,
];

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-2.0f32..3.0))
}

#[track_caller]
fn check(ctx: &gpusci::GpuContext, input: &Array2<f32>, params: &BlurParams, what: &str) {
    let blur = BlurGpu::new(ctx).expect("pipelines");
    let got = blur
        .run(ctx, input.view(), params)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let wide = input.mapv(f64::from);
    let want = cpu::gaussian_filter_reference(wide.view(), params).expect("reference");
    let scale = crate::common::blur_error_scale(max_abs(input.view()), params, 2).max(1e-30);
    let tol = Tol {
        abs: BLUR_F32_ABS_PER_SCALE * scale,
        rel: BLUR_F32_REL,
    };
    assert_close(got.view(), want.view(), tol, what);
}

#[test]
fn gpu_matches_reference_on_odd_shapes_in_every_mode() {
    let shapes = [(1, 1), (1, 37), (37, 1), (37, 53), (5, 7), (64, 257)];
    let sigmas: [&[f64]; 5] = [&[1.5], &[0.3], &[0.3, 2.5], &[0.0, 1.7], &[6.0, 0.0]];
    for_each_adapter("gpu_matches_reference_on_odd_shapes_in_every_mode", |ctx| {
        for (k, &(rows, cols)) in shapes.iter().enumerate() {
            let input = random(rows, cols, k as u64);
            for mode in MODES {
                for sigma in sigmas {
                    let params = BlurParams::per_axis(sigma).with_mode(mode).with_cval(1.25);
                    check(
                        ctx,
                        &input,
                        &params,
                        &format!("{rows}x{cols} {mode} sigma {sigma:?}"),
                    );
                }
            }
        }
    });
}

#[test]
fn gpu_matches_reference_for_derivatives_radius_and_truncate() {
    for_each_adapter(
        "gpu_matches_reference_for_derivatives_radius_and_truncate",
        |ctx| {
            let input = random(41, 29, 11);
            for mode in MODES {
                let cases = [
                    BlurParams::new(2.0).with_order(1),
                    BlurParams::per_axis(&[1.0, 3.0]).with_orders(&[2, 0]),
                    BlurParams::new(2.0).with_radius(3),
                    BlurParams::new(1.0).with_truncate(2.0),
                ];
                for params in cases {
                    let params = params.with_mode(mode).with_cval(-0.5);
                    check(ctx, &input, &params, &format!("{mode} {params:?}"));
                }
            }
        },
    );
}

#[test]
fn gpu_matches_reference_when_the_kernel_is_wider_than_the_array() {
    for_each_adapter(
        "gpu_matches_reference_when_the_kernel_is_wider_than_the_array",
        |ctx| {
            for (rows, cols) in [(5, 7), (1, 3), (2, 2), (9, 1)] {
                let input = random(rows, cols, 5);
                for mode in MODES {
                    for sigma in [4.0, 10.0, 250.0] {
                        let params = BlurParams::new(sigma).with_mode(mode).with_cval(0.75);
                        check(
                            ctx,
                            &input,
                            &params,
                            &format!("{rows}x{cols} {mode} sigma {sigma}"),
                        );
                    }
                }
            }
        },
    );
}

#[test]
fn gpu_matches_reference_for_large_sigma_beyond_workgroup_memory() {
    // sigma 20: 161 taps, past the column tile (65 taps) -> direct column kernel.
    // sigma 1000 on 3001 columns: 8001 taps, past the row tile, folded to one period.
    for_each_adapter(
        "gpu_matches_reference_for_large_sigma_beyond_workgroup_memory",
        |ctx| {
            let input = random(300, 70, 3);
            for mode in MODES {
                check(
                    ctx,
                    &input,
                    &BlurParams::new(20.0).with_mode(mode),
                    &format!("300x70 sigma 20 {mode}"),
                );
            }
            let line = random(2, 3001, 4);
            for mode in MODES {
                check(
                    ctx,
                    &line,
                    &BlurParams::per_axis(&[0.0, 1000.0]).with_mode(mode),
                    &format!("2x3001 sigma 1000 {mode}"),
                );
            }
        },
    );
}

#[test]
fn gpu_splits_arrays_larger_than_one_storage_binding() {
    // A 64 KiB binding holds 16,384 floats: these arrays need 2 to 13 tiles per pass.
    let small_binding = |mut limits: wgpu::Limits| {
        limits.max_storage_buffer_binding_size = 64 * 1024;
        limits
    };
    for_each_adapter_with_limits(
        "gpu_splits_arrays_larger_than_one_storage_binding",
        small_binding,
        |ctx| {
            assert_eq!(
                ctx.limits().max_storage_buffer_binding_size,
                64 * 1024,
                "the lowered limit took effect"
            );
            let input = random(150, 203, 8);
            for mode in MODES {
                check(
                    ctx,
                    &input,
                    &BlurParams::per_axis(&[3.0, 2.0])
                        .with_mode(mode)
                        .with_cval(2.0),
                    &format!("150x203 tiles {mode}"),
                );
                check(
                    ctx,
                    &input,
                    &BlurParams::new(20.0).with_mode(mode),
                    &format!("150x203 sigma 20 tiles {mode}"),
                );
            }
            // One row longer than a binding: the row is cut into segments with halos.
            let long = random(1, 40_000, 9);
            for mode in MODES {
                check(
                    ctx,
                    &long,
                    &BlurParams::per_axis(&[0.0, 25.0]).with_mode(mode),
                    &format!("1x40000 {mode}"),
                );
            }
            // Wider than a binding and tall: column pass tiles split columns too.
            let wide = random(40, 20_000, 10);
            check(
                ctx,
                &wide,
                &BlurParams::new(4.0).with_mode(Mode::Wrap),
                "40x20000 wrap",
            );
            // NaN omission through the tiled path.
            let mut holes = random(150, 203, 12);
            holes[[10, 10]] = f32::NAN;
            holes[[149, 0]] = f32::NAN;
            check(
                ctx,
                &holes,
                &BlurParams::new(2.0).with_nan_policy(NanPolicy::Omit),
                "tiles, nan omit",
            );
            // The same in Fortran order: the values and the mask are cut in logical order.
            let fortran = holes.clone().reversed_axes();
            assert!(fortran.as_slice().is_none(), "a Fortran-order array");
            check(
                ctx,
                &fortran,
                &BlurParams::new(2.0).with_nan_policy(NanPolicy::Omit),
                "tiles, nan omit, Fortran order",
            );
        },
    );
}

#[test]
fn gpu_spreads_dispatches_past_the_workgroup_count_limit() {
    // 16 workgroups per dimension forces the y and z spreading on small data.
    let few_groups = |mut limits: wgpu::Limits| {
        limits.max_compute_workgroups_per_dimension = 16;
        limits
    };
    for_each_adapter_with_limits(
        "gpu_spreads_dispatches_past_the_workgroup_count_limit",
        few_groups,
        |ctx| {
            let input = random(300, 301, 13);
            check(ctx, &input, &BlurParams::new(2.0), "300x301 sigma 2");
            check(
                ctx,
                &input,
                &BlurParams::new(40.0).with_mode(Mode::Nearest),
                "300x301 sigma 40 direct",
            );
            check(
                ctx,
                &input,
                &BlurParams::new(2.0).with_nan_policy(NanPolicy::Omit),
                "300x301 omit",
            );
        },
    );
}

#[test]
fn gpu_propagates_nan_and_inf_like_scipy_and_omits_nan_on_request() {
    for_each_adapter(
        "gpu_propagates_nan_and_inf_like_scipy_and_omits_nan_on_request",
        |ctx| {
            let mut input = random(33, 40, 14);
            input[[5, 7]] = f32::NAN;
            input[[20, 30]] = f32::INFINITY;
            input[[0, 39]] = f32::NAN;
            for mode in MODES {
                check(
                    ctx,
                    &input,
                    &BlurParams::new(1.5).with_mode(mode),
                    &format!("nan/inf propagate {mode}"),
                );
            }
            let mut holes = random(33, 40, 15);
            for (r, c) in [(0, 0), (5, 7), (6, 7), (32, 39), (16, 20)] {
                holes[[r, c]] = f32::NAN;
            }
            for mode in MODES {
                check(
                    ctx,
                    &holes,
                    &BlurParams::new(2.0)
                        .with_mode(mode)
                        .with_nan_policy(NanPolicy::Omit),
                    &format!("nan omit {mode}"),
                );
            }
            // A cval of NaN is "no data" beyond the edge under omit.
            check(
                ctx,
                &holes,
                &BlurParams::new(2.0)
                    .with_mode(Mode::Constant)
                    .with_cval(f64::NAN)
                    .with_nan_policy(NanPolicy::Omit),
                "omit, nan cval",
            );
            // All NaN: nothing to average, NaN out.
            let all_nan = Array2::from_elem((3, 4), f32::NAN);
            check(
                ctx,
                &all_nan,
                &BlurParams::new(1.0).with_nan_policy(NanPolicy::Omit),
                "all nan omit",
            );
        },
    );
}

#[test]
fn gpu_1d_smoothing_matches_reference_over_a_sweep_of_lengths() {
    for_each_adapter(
        "gpu_1d_smoothing_matches_reference_over_a_sweep_of_lengths",
        |ctx| {
            let blur = BlurGpu::new(ctx).expect("pipelines");
            let mut rng = rand::rngs::StdRng::seed_from_u64(16);
            for len in (1..300)
                .step_by(7)
                .chain([255, 256, 257, 511, 512, 513, 10_000])
            {
                let line = Array1::from_shape_simple_fn(len, || rng.random_range(-1.0f32..1.0));
                for mode in MODES {
                    let params = BlurParams::new(3.3).with_mode(mode);
                    let got = blur.run(ctx, line.view(), &params).expect("gpu");
                    let want =
                        cpu::gaussian_filter1d_reference(line.mapv(f64::from).view(), &params)
                            .expect("cpu");
                    let tol = Tol {
                        abs: BLUR_F32_ABS_PER_SCALE,
                        rel: BLUR_F32_REL,
                    };
                    assert_close(got.view(), want.view(), tol, &format!("len {len} {mode}"));
                }
            }
        },
    );
}

#[test]
fn reused_pipelines_give_identical_results() {
    for_each_adapter("reused_pipelines_give_identical_results", |ctx| {
        let blur = BlurGpu::new(ctx).expect("pipelines");
        let input = random(70, 90, 17);
        let params = BlurParams::new(2.5);
        let first = blur.run(ctx, input.view(), &params).expect("first");
        let again = BlurGpu::new(ctx)
            .expect("cached pipelines")
            .run(ctx, input.view(), &params)
            .expect("second");
        assert_eq!(
            first, again,
            "same input, same context: bit-identical output"
        );
    });
}

#[test]
fn a_destroyed_device_is_an_error_value_not_a_panic() {
    for_each_adapter("a_destroyed_device_is_an_error_value_not_a_panic", |ctx| {
        let blur = BlurGpu::new(ctx).expect("pipelines");
        let input = random(16, 16, 18);
        blur.run(ctx, input.view(), &BlurParams::new(1.0))
            .expect("works before");
        ctx.device().destroy();
        let after = blur.run(ctx, input.view(), &BlurParams::new(1.0));
        assert!(
            after.is_err(),
            "a blur on a destroyed device must fail, got {after:?}"
        );
        let again = BlurGpu::new(ctx).and_then(|b| b.run(ctx, input.view(), &BlurParams::new(1.0)));
        assert!(again.is_err(), "and keep failing cleanly");
    });
}

/// A random float32 array of any shape.
fn random_nd(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-2.0f32..3.0))
}

/// The float32 tolerance for a blur of `input` with `params` (see `BLUR_F32_REL`).
fn f32_tol(input_max: f64, params: &BlurParams, ndim: usize) -> Tol {
    Tol {
        abs: BLUR_F32_ABS_PER_SCALE
            * crate::common::blur_error_scale(input_max, params, ndim).max(1e-30),
        rel: BLUR_F32_REL,
    }
}

/// The router's GPU path on an N-D array against the float64 reference.
#[track_caller]
fn check_nd(ctx: &gpusci::GpuContext, input: &ArrayD<f32>, params: &BlurParams, what: &str) {
    let got = gaussian_filter(executor_on(ctx), input.view(), params)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let want = cpu::gaussian_filter_reference(input.mapv(f64::from).view(), params).expect("cpu");
    let tol = f32_tol(max_abs(input.view()), params, input.ndim());
    assert_close(got.view(), want.view(), tol, what);
}

/// The router's GPU stack path against the float64 reference stack.
#[track_caller]
fn check_stack(
    ctx: &gpusci::GpuContext,
    stack: &Array3<f32>,
    sigmas: &[f64],
    params: &BlurParams,
    what: &str,
) {
    let got = gaussian_filter_stack(executor_on(ctx), stack.view(), sigmas, params)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let want = cpu::gaussian_filter_stack_reference(stack.mapv(f64::from).view(), sigmas, params)
        .expect("cpu");
    let tol = f32_tol(max_abs(stack.view()), &BlurParams::new(0.0), 2);
    assert_close(got.view(), want.view(), tol, what);
}

/// Every SciPy fixture (1-D to 4-D, per-axis modes, `axes`, 1 x N x 1, kernels wider than an
/// axis) and every stack fixture (N separate SciPy calls) through the GPU.
#[test]
fn gpu_matches_scipy_fixtures_in_any_dimension_and_for_stacks() {
    for_each_adapter(
        "gpu_matches_scipy_fixtures_in_any_dimension_and_for_stacks",
        |ctx| {
            for case in blur_cases() {
                let input = fixture("blur", case.input.trim_end_matches(".npy")).mapv(|v| v as f32);
                let expected = fixture("blur", case.output.trim_end_matches(".npy"));
                let got = gaussian_filter(executor_on(ctx), input.view(), &case.params)
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let tol = f32_tol(max_abs(input.view()).max(1.0), &case.params, input.ndim());
                assert_close(got.view(), expected.view(), tol, &case.name);
            }
            for case in blur_stack_cases() {
                let input = fixture("blur", case.input.trim_end_matches(".npy"))
                    .mapv(|v| v as f32)
                    .into_dimensionality::<Ix3>()
                    .unwrap();
                let expected = fixture("blur", case.output.trim_end_matches(".npy"));
                let got = gaussian_filter_stack(
                    executor_on(ctx),
                    input.view(),
                    &case.sigmas,
                    &case.params,
                )
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let tol = f32_tol(max_abs(input.view()).max(1.0), &case.params, 2);
                assert_close(got.into_dyn().view(), expected.view(), tol, &case.name);
            }
        },
    );
}

/// Random volumes with a mode and sigma per axis, some axes of length 1, NaN omission, and
/// stacks whose images need the tiled and the direct kernels.
#[test]
fn gpu_matches_reference_on_random_volumes_and_stacks() {
    for_each_adapter(
        "gpu_matches_reference_on_random_volumes_and_stacks",
        |ctx| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(31);
            for (k, shape) in [
                vec![1, 1, 1],
                vec![5, 1, 9],
                vec![1, 33, 1],
                vec![7, 9, 11],
                vec![3, 70, 300],
                vec![2, 3, 4, 5],
            ]
            .into_iter()
            .enumerate()
            {
                let input = random_nd(&shape, 40 + k as u64);
                let n = shape.len();
                let sigmas: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..5.0)).collect();
                let modes: Vec<Mode> = (0..n).map(|_| MODES[rng.random_range(0..5)]).collect();
                let params = BlurParams::per_axis(&sigmas)
                    .with_modes(&modes)
                    .with_cval(1.5);
                check_nd(ctx, &input, &params, &format!("{shape:?} {modes:?}"));
                let reversed: Vec<isize> = (0..n as isize).rev().collect();
                check_nd(
                    ctx,
                    &input,
                    &params.clone().with_axes(&reversed),
                    &format!("{shape:?} axes reversed"),
                );
            }
            let mut holes = random_nd(&[6, 20, 30], 50);
            holes[[2, 3, 4]] = f32::NAN;
            holes[[5, 19, 29]] = f32::NAN;
            check_nd(
                ctx,
                &holes,
                &BlurParams::per_axis(&[1.0, 2.0, 0.5]).with_nan_policy(NanPolicy::Omit),
                "3-D nan omit",
            );
            let stack = random_nd(&[9, 40, 50], 51)
                .into_dimensionality::<Ix3>()
                .unwrap();
            let sigmas = [0.0, 0.4, 1.0, 2.5, 6.0, 12.0, 30.0, 1e-16, 3.0];
            for mode in MODES {
                check_stack(
                    ctx,
                    &stack,
                    &sigmas,
                    &BlurParams::new(0.0).with_mode(mode).with_cval(-1.0),
                    &format!("stack {mode}"),
                );
            }
            check_stack(
                ctx,
                &stack,
                &sigmas,
                &BlurParams::new(0.0).with_modes(&[Mode::Wrap, Mode::Constant]),
                "stack per-axis modes",
            );
            // No image blurred at all: the stack comes back as it was.
            check_stack(ctx, &stack, &[0.0; 9], &BlurParams::new(0.0), "no blur");
        },
    );
}

/// Volumes and stacks larger than a 64 KiB binding: whole slices per tile, bands of one
/// slice, and per-image kernel tables cut to fit.
#[test]
fn gpu_splits_volumes_and_stacks_larger_than_one_binding() {
    let small_binding = |mut limits: wgpu::Limits| {
        limits.max_storage_buffer_binding_size = 64 * 1024;
        limits
    };
    for_each_adapter_with_limits(
        "gpu_splits_volumes_and_stacks_larger_than_one_binding",
        small_binding,
        |ctx| {
            let volume = random_nd(&[40, 30, 29], 60);
            for mode in MODES {
                check_nd(
                    ctx,
                    &volume,
                    &BlurParams::per_axis(&[2.0, 3.0, 1.5])
                        .with_modes(&[mode, Mode::Wrap, mode])
                        .with_cval(0.5),
                    &format!("40x30x29 tiles {mode}"),
                );
            }
            let many = random_nd(&[300, 7, 9], 61);
            check_nd(
                ctx,
                &many,
                &BlurParams::new(2.0).with_axes(&[1, 2]),
                "300x7x9 axes (1, 2)",
            );
            let mut holes = volume.clone();
            holes[[0, 0, 0]] = f32::NAN;
            check_nd(
                ctx,
                &holes,
                &BlurParams::new(1.5).with_nan_policy(NanPolicy::Omit),
                "tiles, 3-D nan omit",
            );
            let stack = random_nd(&[40, 20, 25], 62)
                .into_dimensionality::<Ix3>()
                .unwrap();
            let sigmas: Vec<f64> = (0..40).map(|i| [0.0, 0.7, 2.0, 20.0][i % 4]).collect();
            check_stack(
                ctx,
                &stack,
                &sigmas,
                &BlurParams::new(0.0).with_mode(Mode::Reflect),
                "stack tiles",
            );
            // 2000 tiny images with 241-tap kernels: the kernel tables, not the data, limit
            // the slices per tile.
            let tiny = random_nd(&[2000, 3, 3], 63)
                .into_dimensionality::<Ix3>()
                .unwrap();
            let sigmas: Vec<f64> = (0..2000).map(|i| 30.0 - (i % 7) as f64).collect();
            check_stack(
                ctx,
                &tiny,
                &sigmas,
                &BlurParams::new(0.0)
                    .with_mode(Mode::Constant)
                    .with_cval(2.0),
                "2000 tiny images",
            );
        },
    );
}
