//! Inputs reported from the field (tests/data/exactness, made by make_exactness_fixtures.py
//! with SciPy/NumPy), on the CPU and on every adapter: infinities over SciPy's footprint,
//! constant images that stay constant, blurs that conserve mass, float32 thresholds rounded as
//! NumPy 2 rounds them, empty inputs as SciPy returns them.

use crate::common::{assert_close, fixture, for_each_adapter, manifest, Tol};
use gpusci::blur::{self, BlurParams, Mode};
use gpusci::signal::{crossings, CrossingParams};
use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};

/// float32 blurs against SciPy's float64-computed, float32-rounded answers: a few float32
/// ulps of the largest input (the taps are float32, the sums compensated).
const F32_TOL_OF_MAX: f64 = 4e-7;
/// float64 input on the GPU is computed in float32 today (issue: float64 on the GPU), so it
/// is held to the float32 bound; on the CPU float64 agrees to float64 rounding.
const F64_CPU_TOL_OF_MAX: f64 = 1e-13;

fn params(case: &serde_json::Value) -> BlurParams {
    let mut p = BlurParams::new(case["sigma"].as_f64().unwrap());
    if let Some(t) = case["truncate"].as_f64() {
        p = p.with_truncate(t);
    }
    if let Some(m) = case["mode"].as_str() {
        p = p.with_mode(m.parse::<Mode>().unwrap());
    }
    p
}

/// Runs one blur case on `exec` and returns the output as float64.
fn blur_on(exec: &gpusci::Device<'_>, case: &serde_json::Value) -> ArrayD<f64> {
    let name = case["name"].as_str().unwrap();
    let input = fixture("exactness", &format!("{name}_in"));
    let p = params(case);
    let single = case["dtype"] == "float32";
    let run = || -> gpusci::Result<ArrayD<f64>> {
        Ok(match (input.ndim(), single) {
            (1, true) => {
                let x = input
                    .mapv(|v| v as f32)
                    .into_dimensionality::<Ix1>()
                    .unwrap();
                blur::gaussian_filter1d(exec, x.view(), &p)?
                    .mapv(f64::from)
                    .into_dyn()
            }
            (1, false) => {
                let x = input.clone().into_dimensionality::<Ix1>().unwrap();
                blur::gaussian_filter1d(exec, x.view(), &p)?.into_dyn()
            }
            (_, true) => {
                let x = input
                    .mapv(|v| v as f32)
                    .into_dimensionality::<Ix2>()
                    .unwrap();
                blur::gaussian_filter(exec, x.view(), &p)?
                    .mapv(f64::from)
                    .into_dyn()
            }
            (_, false) => {
                let x = input.clone().into_dimensionality::<Ix2>().unwrap();
                blur::gaussian_filter(exec, x.view(), &p)?.into_dyn()
            }
        })
    };
    run().unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn check_blur_cases(exec: &gpusci::Device<'_>, on: &str) {
    for case in manifest("exactness")["blur"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expected = fixture("exactness", &format!("{name}_out"));
        let actual = blur_on(exec, case);
        let scale = crate::common::max_abs(fixture("exactness", &format!("{name}_in")).view());
        let exact_f64 = case["dtype"] == "float64" && matches!(exec, gpusci::Device::Cpu);
        let rel = if exact_f64 {
            F64_CPU_TOL_OF_MAX
        } else {
            F32_TOL_OF_MAX
        };
        let what = format!("{name} on {on}");
        if name.starts_with("ones") || name.starts_with("const") {
            // A constant image stays exactly constant, as in SciPy.
            assert_eq!(
                actual, expected,
                "{what}: a constant image must stay constant"
            );
        } else {
            // NaN and the infinities must sit exactly where SciPy has them.
            assert_close(
                actual.view(),
                expected.view(),
                Tol {
                    abs: rel * scale,
                    rel: 0.0,
                },
                &what,
            );
        }
    }
}

#[test]
fn blur_field_cases_on_the_cpu() {
    check_blur_cases(&gpusci::Device::Cpu, "cpu");
}

#[test]
fn blur_field_cases_on_every_adapter() {
    for_each_adapter("blur_field_cases_on_every_adapter", |ctx| {
        check_blur_cases(&crate::common::executor_on(ctx), &ctx.describe());
    });
}

/// SciPy's own test (test_gaussian_filter_mass): a float32 ramp blurred with sigma 1 keeps its
/// float64 sum 49995000 within 1.5.
fn check_mass(exec: &gpusci::Device<'_>, on: &str) {
    let ramp = Array2::from_shape_fn((100, 100), |(r, c)| (r * 100 + c) as f32);
    for sigma in [1.0, 2.5, 7.0] {
        let out = blur::gaussian_filter(exec, ramp.view(), &BlurParams::new(sigma)).unwrap();
        let sum: f64 = out.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (sum - 49_995_000.0).abs() <= 1.5,
            "sigma {sigma} on {on}: mass {sum} is {} away from 49995000",
            sum - 49_995_000.0
        );
    }
}

#[test]
fn float32_blur_conserves_mass() {
    check_mass(&gpusci::Device::Cpu, "cpu");
    for_each_adapter("float32_blur_conserves_mass", |ctx| {
        check_mass(&crate::common::executor_on(ctx), &ctx.describe());
    });
}

/// Empty arrays: SciPy returns an empty array of the same shape and dtype.
fn check_empty(exec: &gpusci::Device<'_>, on: &str) {
    for shape in [(0, 5), (5, 0), (0, 0)] {
        let x = Array2::<f32>::zeros(shape);
        let out = blur::gaussian_filter(exec, x.view(), &BlurParams::new(2.0)).unwrap();
        assert_eq!(out.dim(), shape, "{shape:?} on {on}");
        let x = Array2::<f64>::zeros(shape);
        let out = blur::gaussian_filter(exec, x.view(), &BlurParams::new(2.0)).unwrap();
        assert_eq!(out.dim(), shape, "{shape:?} float64 on {on}");
    }
    let x = Array1::<f32>::zeros(0);
    let out = blur::gaussian_filter1d(exec, x.view(), &BlurParams::new(2.0)).unwrap();
    assert_eq!(out.len(), 0, "(0,) on {on}");
    let none = crossings(
        exec,
        Array1::<f64>::zeros(0).view(),
        &CrossingParams::new(0.5),
    );
    assert!(none.unwrap().is_empty(), "crossings of nothing on {on}");
    // Parameters are still validated on empty input.
    let bad = BlurParams::new(2.0).with_truncate(-1.0);
    assert!(
        blur::gaussian_filter(exec, Array2::<f32>::zeros((0, 3)).view(), &bad).is_err(),
        "negative radius on empty input on {on}"
    );
}

#[test]
fn empty_inputs_give_empty_outputs() {
    check_empty(&gpusci::Device::Cpu, "cpu");
    for_each_adapter("empty_inputs_give_empty_outputs", |ctx| {
        check_empty(&crate::common::executor_on(ctx), &ctx.describe());
    });
}

/// NEP 50: a float32 signal meets a Python float threshold in float32.
fn check_crossings(exec: &gpusci::Device<'_>, on: &str) {
    for case in manifest("exactness")["crossings"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = fixture("exactness", &format!("crossings_{name}_x"))
            .into_dimensionality::<Ix1>()
            .unwrap();
        let expected: Vec<usize> = fixture("exactness", &format!("crossings_{name}_idx"))
            .iter()
            .map(|&v| v as usize)
            .collect();
        let params = CrossingParams::new(case["threshold"].as_f64().unwrap()).for_float32_data();
        let found: Vec<usize> = crossings(exec, x.view(), &params)
            .unwrap()
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(found, expected, "{name} on {on}");
    }
}

#[test]
fn float32_thresholds_round_as_numpy() {
    check_crossings(&gpusci::Device::Cpu, "cpu");
    for_each_adapter("float32_thresholds_round_as_numpy", |ctx| {
        check_crossings(&crate::common::executor_on(ctx), &ctx.describe());
    });
}

/// SciPy: "Radius must be a nonnegative integer" for int(truncate * sigma + 0.5) < 0.
#[test]
fn negative_radius_is_refused_as_scipy() {
    let err = BlurParams::new(2.0)
        .with_truncate(-1.0)
        .plan(2)
        .unwrap_err();
    assert!(err.to_string().contains("nonnegative"), "{err}");
    // int(-0.2 * 2 + 0.5) = int(0.1) = 0: allowed, the identity.
    let plan = BlurParams::new(2.0).with_truncate(-0.2).plan(1).unwrap();
    assert_eq!(plan.passes[0].kernel.radius, 0);
}

/// Public helpers that used to panic on edge input return errors instead.
#[test]
fn edge_inputs_of_public_helpers_are_errors() {
    assert!(gpusci::conv::full_convolution(&[], &[], gpusci::conv::Method::Auto).is_err());
    assert!(gpusci::conv::full_convolution(&[1.0], &[], gpusci::conv::Method::Fft).is_err());
    assert_eq!(
        gpusci::conv::full_convolution(&[1.0, 2.0], &[3.0], gpusci::conv::Method::Direct).unwrap(),
        vec![3.0, 6.0]
    );
    // NaN or infinity through the FFT path: NaN out (SciPy's answer), not a panic in the
    // inverse transform (a NaN imaginary part in the DC bin).
    for bad in [f64::NAN, f64::INFINITY] {
        let mut a = vec![1.0; 300];
        a[100] = bad;
        let out =
            gpusci::conv::full_convolution(&a, &[0.5; 40], gpusci::conv::Method::Fft).unwrap();
        assert!(out.iter().any(|v| !v.is_finite()), "{bad} spreads");
    }
    assert!(gpusci::lif::isi_cv(&[(0, 5)], 3).is_err(), "neuron past n");
    assert!(
        gpusci::lif::isi_cv(&[(9, 1), (4, 1)], 3).is_err(),
        "unsorted"
    );
    assert!(gpusci::lif::isi_cv(&[(1, 1), (4, 1), (9, 1)], 3).unwrap() > 0.0);
    for mode in [
        Mode::Reflect,
        Mode::Constant,
        Mode::Nearest,
        Mode::Mirror,
        Mode::Wrap,
    ] {
        assert_eq!(mode.extend(-3, 0), None, "{mode} on an empty line");
        assert_eq!(mode.extend(0, 0), None, "{mode} on an empty line");
    }
}
