//! CPU blur paths: analytic facts, SciPy's values (tests/data/blur, made by make_fixtures.py),
//! fast paths vs the reference, and bad input through the API.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::{assert_close, blur_cases, blur_stack_cases, Tol};
use gpusci::blur::{
    cpu, gaussian_filter, gaussian_filter1d, gaussian_filter_stack, AxisKernel, BlurParams, Mode,
    NanPolicy,
};
use gpusci::io::{read_npy, NpyArray};
use gpusci::{Error, Executor};
use ndarray::{Array1, Array2, ArrayD, Ix1, Ix3};
use proptest::prelude::*;

const CPU: &Executor = &Executor::Cpu;

/// float64 paths against SciPy: same formulas in the same precision; only summation order
/// differs, which moves results by a few ulps of the data's magnitude.
const F64_TOL: Tol = Tol {
    abs: 1e-10,
    rel: 1e-10,
};
/// float32 paths: intermediate values are rounded to float32 between the passes (as SciPy
/// does for float32 arrays), and the weights are float32; relative 1e-5 with a matching floor.
const F32_TOL: Tol = Tol {
    abs: 1e-5,
    rel: 1e-5,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blur")
}

fn load(name: &str) -> NpyArray {
    read_npy(&data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_f64(name: &str) -> ArrayD<f64> {
    match load(name) {
        NpyArray::F64(a) => a,
        NpyArray::F32(a) => a.mapv(f64::from),
    }
}

fn run_reference(input: &ArrayD<f64>, params: &BlurParams) -> ArrayD<f64> {
    cpu::gaussian_filter_reference(input.view(), params).unwrap()
}

fn run_fast<T: gpusci::blur::BlurElement>(input: &ArrayD<T>, params: &BlurParams) -> ArrayD<T> {
    gaussian_filter(CPU, input.view(), params).unwrap()
}

#[test]
fn cpu_paths_match_scipy_fixtures() {
    let cases = blur_cases();
    assert!(
        cases.len() >= 100,
        "the fixture set is complete ({} cases)",
        cases.len()
    );
    for case in cases {
        let expected = load_f64(&case.output);
        match load(&case.input) {
            NpyArray::F64(input) => {
                assert_close(
                    run_reference(&input, &case.params).view(),
                    expected.view(),
                    F64_TOL,
                    &format!("{} reference", case.name),
                );
                assert_close(
                    run_fast(&input, &case.params).view(),
                    expected.view(),
                    F64_TOL,
                    &format!("{} fast f64", case.name),
                );
                let narrow = input.mapv(|v| v as f32);
                let tol = Tol {
                    abs: F32_TOL.abs
                        * crate::common::blur_error_scale(
                            crate::common::max_abs(input.view()).max(1.0),
                            &case.params,
                            input.ndim(),
                        ),
                    ..F32_TOL
                };
                assert_close(
                    run_fast(&narrow, &case.params).view(),
                    expected.view(),
                    tol,
                    &format!("{} fast f32", case.name),
                );
            }
            NpyArray::F32(input) => {
                // SciPy's float32 result (rounded between passes) against our float32 path.
                let tol = Tol {
                    abs: F32_TOL.abs
                        * crate::common::blur_error_scale(
                            crate::common::max_abs(input.view()).max(1.0),
                            &case.params,
                            input.ndim(),
                        ),
                    ..F32_TOL
                };
                assert_close(
                    run_fast(&input, &case.params).view(),
                    expected.view(),
                    tol,
                    &format!("{} fast f32", case.name),
                );
            }
        }
    }
}

/// Each image of a stack with its own sigma equals N separate SciPy calls (the reference and
/// the fast path, float64 and float32).
#[test]
fn stacks_match_separate_scipy_calls() {
    let cases = blur_stack_cases();
    assert!(cases.len() >= 6, "{} stack cases", cases.len());
    for case in cases {
        let input = load_f64(&case.input).into_dimensionality::<Ix3>().unwrap();
        let expected = load_f64(&case.output);
        let reference =
            cpu::gaussian_filter_stack_reference(input.view(), &case.sigmas, &case.params).unwrap();
        assert_close(
            reference.into_dyn().view(),
            expected.view(),
            F64_TOL,
            &format!("{} reference", case.name),
        );
        let fast = gaussian_filter_stack(CPU, input.view(), &case.sigmas, &case.params).unwrap();
        assert_close(
            fast.into_dyn().view(),
            expected.view(),
            F64_TOL,
            &format!("{} fast f64", case.name),
        );
        let narrow = input.mapv(|v| v as f32);
        let fast32 = gaussian_filter_stack(CPU, narrow.view(), &case.sigmas, &case.params).unwrap();
        let tol = Tol {
            abs: F32_TOL.abs * crate::common::max_abs(input.view()).max(1.0),
            ..F32_TOL
        };
        assert_close(
            fast32.into_dyn().view(),
            expected.view(),
            tol,
            &format!("{} fast f32", case.name),
        );
    }
}

/// N-D requests SciPy refuses, and stack requests that do not fit the stack, are typed errors.
#[test]
fn bad_axes_modes_and_stack_sigmas_are_typed_errors() {
    let volume = ndarray::Array3::<f64>::zeros((3, 4, 5));
    let invalid = |p: BlurParams, name: &str| match gaussian_filter(CPU, volume.view(), &p) {
        Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name, "{p:?}"),
        other => panic!("{p:?}: expected an error on {name}, got {other:?}"),
    };
    invalid(BlurParams::new(1.0).with_axes(&[3]), "axes");
    invalid(BlurParams::new(1.0).with_axes(&[-4]), "axes");
    invalid(BlurParams::new(1.0).with_axes(&[0, -3]), "axes");
    invalid(
        BlurParams::per_axis(&[1.0, 2.0, 3.0]).with_axes(&[0, 1]),
        "sigma",
    );
    invalid(
        BlurParams::new(1.0).with_modes(&[Mode::Wrap, Mode::Reflect]),
        "mode",
    );
    // One value per filtered axis: two modes for axes=(0, 2) is right.
    gaussian_filter(
        CPU,
        volume.view(),
        &BlurParams::new(1.0)
            .with_axes(&[0, 2])
            .with_modes(&[Mode::Wrap, Mode::Reflect]),
    )
    .unwrap();
    let stack = |sigmas: &[f64], p: BlurParams, name: &str| match gaussian_filter_stack(
        CPU,
        volume.view(),
        sigmas,
        &p,
    ) {
        Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
        other => panic!("expected an error on {name}, got {other:?}"),
    };
    stack(&[1.0, 2.0], BlurParams::new(0.0), "sigmas");
    stack(&[1.0, 2.0, -1.0], BlurParams::new(0.0), "sigma");
    stack(&[1.0; 3], BlurParams::new(0.0).with_axes(&[1]), "axes");
    // An empty stack needs no sigma and gives an empty stack.
    let empty = ndarray::Array3::<f32>::zeros((0, 4, 5));
    let out = gaussian_filter_stack(CPU, empty.view(), &[], &BlurParams::new(0.0)).unwrap();
    assert_eq!(out.dim(), (0, 4, 5));
}

#[test]
fn seed_question_smoothing_equals_scipy_and_takes_milliseconds() {
    let input = load_f64("in_seed10000.npy")
        .into_dimensionality::<Ix1>()
        .unwrap();
    let expected = load_f64("out_seed_sigma100.npy");
    let params = BlurParams::new(100.0);
    let exec = Executor::Cpu;
    gpusci::blur::gaussian_filter1d(&exec, input.view(), &params).unwrap();
    let start = Instant::now();
    let got = gpusci::blur::gaussian_filter1d(&exec, input.view(), &params).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    assert_close(
        got.view().into_dyn(),
        expected.view(),
        F64_TOL,
        "seed question",
    );
    // The question's loop took seconds to minutes; a generous bound that still means "milliseconds".
    assert!(elapsed < 0.25, "10,000 samples, sigma 100 took {elapsed} s");
}

#[test]
fn nan_propagates_over_exactly_the_kernel_footprint() {
    let input = load_f64("in_nan40.npy")
        .into_dimensionality::<Ix1>()
        .unwrap();
    let params = BlurParams::new(2.0);
    let got = gaussian_filter1d(CPU, input.view(), &params).unwrap();
    let nan: Vec<usize> = got
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_nan())
        .map(|(i, _)| i)
        .collect();
    // radius 8 around index 17, as SciPy: 17 NaN outputs, 9..=25.
    assert_eq!(nan, (9..=25).collect::<Vec<_>>(), "NaN footprint");
}

#[test]
fn kernel_weights_sum_to_one_and_derivatives_to_zero() {
    for sigma in [0.3, 1.0, 2.5, 17.0] {
        let k = AxisKernel::gaussian(sigma, 0, (4.0 * sigma + 0.5) as usize);
        assert!(
            (k.weights.iter().sum::<f64>() - 1.0).abs() < 1e-14,
            "order 0 sums to 1 at sigma {sigma}"
        );
        let d1 = AxisKernel::gaussian(sigma, 1, (4.0 * sigma + 0.5) as usize);
        assert!(
            d1.weights.iter().sum::<f64>().abs() < 1e-14,
            "order 1 sums to 0 at sigma {sigma}"
        );
        // The first derivative of a ramp is its slope (1 per sample) away from the edges, up to
        // the discrete kernel's variance: sampling (sigma >= 1) and the cut at 4 sigma shift it
        // by about 1e-3.
        if sigma >= 1.0 {
            let ramp: Array1<f64> = (0..200).map(f64::from).collect();
            let slope = cpu::gaussian_filter1d_reference(
                ramp.view(),
                &BlurParams::new(sigma).with_order(1),
            )
            .unwrap();
            assert!(
                (slope[100] - 1.0).abs() < 2e-3,
                "slope {} at sigma {sigma}",
                slope[100]
            );
        }
    }
}

#[test]
fn delta_gives_back_the_kernel_and_constants_are_preserved() {
    let mut delta = Array1::<f64>::zeros(41);
    delta[20] = 1.0;
    let params = BlurParams::new(3.0).with_mode(Mode::Constant);
    let out = cpu::gaussian_filter1d_reference(delta.view(), &params).unwrap();
    let kernel = AxisKernel::gaussian(3.0, 0, 12);
    for (k, w) in kernel.weights.iter().enumerate() {
        assert!((out[8 + k] - w).abs() < 1e-15, "tap {k}");
    }
    let constant = Array2::<f64>::from_elem((9, 13), 4.25);
    for mode in [Mode::Reflect, Mode::Nearest, Mode::Mirror, Mode::Wrap] {
        let out =
            gaussian_filter(CPU, constant.view(), &BlurParams::new(5.0).with_mode(mode)).unwrap();
        assert!(
            out.iter().all(|v| (v - 4.25).abs() < 1e-12),
            "constant preserved in {mode}"
        );
    }
}

#[test]
fn mass_is_preserved_like_scipy_test_gauss03() {
    // scipy.ndimage test_gauss03: 100x100 arange float32, sigma (1, 2): |sum out - sum in| < 1.
    let input = Array2::from_shape_fn((100, 100), |(r, c)| (r * 100 + c) as f32);
    let out = gaussian_filter(CPU, input.view(), &BlurParams::per_axis(&[1.0, 2.0])).unwrap();
    let (a, b): (f64, f64) = (
        input.iter().map(|&v| f64::from(v)).sum(),
        out.iter().map(|&v| f64::from(v)).sum(),
    );
    assert!((a - b).abs() < 1.0, "sums {a} vs {b}");
}

#[test]
fn nan_omit_renormalises_around_holes() {
    let mut input = Array2::<f64>::from_elem((7, 9), 2.0);
    input[[3, 4]] = f64::NAN;
    let out = cpu::gaussian_filter_reference(
        input.view(),
        &BlurParams::new(1.0).with_nan_policy(NanPolicy::Omit),
    )
    .unwrap();
    assert!(
        out.iter().all(|v| (v - 2.0).abs() < 1e-12),
        "a constant with a hole stays constant, hole filled"
    );
    let fast = gaussian_filter(
        CPU,
        input.view(),
        &BlurParams::new(1.0).with_nan_policy(NanPolicy::Omit),
    )
    .unwrap();
    assert_close(fast.view(), out.view(), F64_TOL, "fast omit");
}

#[test]
fn bad_parameters_are_typed_errors() {
    let a = Array2::<f64>::zeros((4, 4));
    let v = a.view();
    let invalid = |p: BlurParams, name: &str| match cpu::gaussian_filter_reference(v, &p) {
        Err(Error::InvalidParam { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{p:?}: expected InvalidParam({name}), got {other:?}"),
    };
    invalid(BlurParams::new(-1.0), "sigma");
    invalid(BlurParams::new(f64::NAN), "sigma");
    invalid(BlurParams::new(f64::INFINITY), "sigma");
    invalid(BlurParams::new(1.0).with_truncate(f64::NAN), "truncate");
    invalid(
        BlurParams::new(1.0).with_truncate(f64::INFINITY),
        "truncate",
    );
    invalid(BlurParams::per_axis(&[1.0, 2.0, 3.0]), "sigma");
    invalid(BlurParams::new(1.0).with_order(9), "order");
    invalid(
        BlurParams::new(1.0)
            .with_order(1)
            .with_nan_policy(NanPolicy::Omit),
        "nan_policy",
    );
    invalid(BlurParams::new(1.0).with_cval(f64::INFINITY), "cval");
    assert!(
        matches!(
            "bogus".parse::<Mode>(),
            Err(Error::InvalidParam { name: "mode", .. })
        ),
        "unknown mode"
    );
    assert!(
        matches!(
            cpu::gaussian_filter_reference(v, &BlurParams::new(1e12)),
            Err(Error::ExceedsLimit { .. })
        ),
        "radius past MAX_RADIUS"
    );
    // An empty array gives an empty array of the same shape, as SciPy.
    let empty = Array2::<f64>::zeros((0, 5));
    assert_eq!(
        gaussian_filter(CPU, empty.view(), &BlurParams::new(1.0))
            .unwrap()
            .dim(),
        (0, 5),
        "empty"
    );
    // sigma 0 and tiny sigmas are the identity, as SciPy's gaussian_filter.
    let x = Array2::from_shape_fn((3, 5), |(r, c)| (r * 5 + c) as f64);
    assert_eq!(
        gaussian_filter(CPU, x.view(), &BlurParams::new(0.0)).unwrap(),
        x,
        "sigma 0"
    );
    assert_eq!(
        gaussian_filter(CPU, x.view(), &BlurParams::new(1e-16)).unwrap(),
        x,
        "sigma 1e-16"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// N-D fast path vs the reference: random 3-D shapes (axes of length 1 included), a
    /// sigma and a mode per axis, and a random choice and order of axes.
    #[test]
    fn nd_fast_path_matches_the_reference(
        shape in proptest::collection::vec(1usize..14, 3),
        sigmas in proptest::collection::vec(0.0f64..6.0, 3),
        modes in proptest::collection::vec(0usize..5, 3),
        order in Just(vec![0isize, 1, 2]).prop_shuffle(),
        keep in 1usize..=3,
        seed in any::<u64>(),
    ) {
        let all = [Mode::Reflect, Mode::Constant, Mode::Nearest, Mode::Mirror, Mode::Wrap];
        let axes = &order[..keep];
        let params = BlurParams::per_axis(&sigmas[..keep])
            .with_modes(&modes[..keep].iter().map(|&m| all[m]).collect::<Vec<_>>())
            .with_axes(axes)
            .with_cval(0.25);
        let flat = gpusci::data::normal_image(shape[0] * shape[1], shape[2], seed).mapv(f64::from);
        let input = flat.into_shape_with_order(shape.clone()).unwrap().into_dyn();
        let want = cpu::gaussian_filter_reference(input.view(), &params).unwrap();
        let fast = gaussian_filter(CPU, input.view(), &params).unwrap();
        assert_close(fast.view(), want.view(), F64_TOL, "fast f64");
        let narrow = input.mapv(|v| v as f32);
        let fast32 = gaussian_filter(CPU, narrow.view(), &params).unwrap();
        let tol = Tol { abs: F32_TOL.abs * crate::common::max_abs(input.view()).max(1.0), ..F32_TOL };
        assert_close(fast32.view(), want.view(), tol, "fast f32");
    }

    /// Fast paths vs the reference on random shapes, sigmas and modes.
    #[test]
    fn fast_paths_match_the_reference(
        rows in 1usize..40, cols in 1usize..40, s0 in 0.0f64..12.0, s1 in 0.0f64..12.0,
        mode in 0usize..5, order in 0u32..3, seed in any::<u64>(),
    ) {
        let mode = [Mode::Reflect, Mode::Constant, Mode::Nearest, Mode::Mirror, Mode::Wrap][mode];
        let input = gpusci::data::normal_image(rows, cols, seed).mapv(f64::from);
        let params = BlurParams::per_axis(&[s0, s1]).with_mode(mode).with_cval(0.5).with_order(order);
        let want = cpu::gaussian_filter_reference(input.view(), &params).unwrap();
        let fast = gaussian_filter(CPU, input.view(), &params).unwrap();
        assert_close(fast.view(), want.view(), F64_TOL, "fast f64");
        let narrow = input.mapv(|v| v as f32);
        let fast32 = gaussian_filter(CPU, narrow.view(), &params).unwrap();
        let tol = Tol { abs: F32_TOL.abs * crate::common::blur_error_scale(crate::common::max_abs(input.view()).max(1.0), &params, 2), ..F32_TOL };
        assert_close(fast32.view(), want.view(), tol, "fast f32");
    }
}
