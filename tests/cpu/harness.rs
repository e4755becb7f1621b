//! The test harness's own rules: the adapter expectation and `assert_close`.

use std::collections::BTreeSet;

use crate::common::{assert_close, missing_backends, Tol};
use ndarray::arr1;

#[test]
fn expected_backends_that_did_not_run_are_reported() {
    let ran: BTreeSet<String> = ["vulkan".to_string()].into();
    assert_eq!(
        missing_backends("vulkan,gl", &ran),
        ["gl"],
        "gl did not run"
    );
    assert!(missing_backends("vulkan", &ran).is_empty(), "all ran");
    assert_eq!(
        missing_backends("vulkan, gl ,", &BTreeSet::new()),
        ["vulkan", "gl"],
        "nothing ran"
    );
}

#[test]
fn assert_close_accepts_within_bounds_and_matching_nan() {
    let tol = Tol {
        abs: 1e-6,
        rel: 1e-3,
    };
    assert_close(
        arr1(&[1.0005f64, f64::NAN, 0.0, f64::INFINITY]).view(),
        arr1(&[1.0f64, f64::NAN, 1e-7, f64::INFINITY]).view(),
        tol,
        "close",
    );
}

#[test]
#[should_panic(expected = "first at flat index 1")]
fn assert_close_names_the_first_bad_index() {
    let tol = Tol {
        abs: 1e-6,
        rel: 1e-6,
    };
    assert_close(
        arr1(&[1.0f64, 2.0, 3.0]).view(),
        arr1(&[1.0f64, 2.1, 3.5]).view(),
        tol,
        "far",
    );
}

#[test]
#[should_panic(expected = "differ")]
fn assert_close_rejects_nan_against_a_number() {
    let tol = Tol { abs: 1.0, rel: 1.0 };
    assert_close(arr1(&[f64::NAN]).view(), arr1(&[0.0f64]).view(), tol, "nan");
}
