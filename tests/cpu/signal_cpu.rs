//! Rolling means and threshold crossings against NumPy (tests/data/signal, made by
//! make_signal_fixtures.py), and the behaviour beyond NumPy: hysteresis, minimum gaps,
//! interpolated crossing times, the NaN policy and long signals without drift.

use gpusci::signal::rolling::NanPolicy;
use gpusci::signal::{crossings, rolling_mean, CrossingParams, Direction, RollingParams};
use gpusci::Error;
use ndarray::{Array1, ArrayD, Ix1};

/// The CPU path (the reference the fixtures check).
const CPU: &gpusci::gpu::Executor = &gpusci::gpu::Executor::Cpu;

/// NumPy scales each sample by 1/k and sums in its own order; the running sum adds whole
/// samples, is resynchronised every 4096 outputs, and scales once: the two differ by a few
/// float64 ulps of the largest |x| per summed term, far below this bound relative to max|x|.
const ROLL_TOL: f64 = 1e-12;

fn load(name: &str) -> ArrayD<f64> {
    crate::common::fixture("signal", name)
}

fn manifest() -> Vec<serde_json::Value> {
    serde_json::from_value(crate::common::manifest("signal")).unwrap()
}

#[test]
fn rolling_means_match_numpy_convolve() {
    let checked = crate::common::check_rolling_fixtures(gpusci::Device::Cpu, ROLL_TOL);
    assert_eq!(checked, 108, "every rolling case");
}

#[test]
fn crossings_match_numpy_argwhere_diff() {
    let mut checked = 0;
    for case in manifest().iter().filter(|c| c["kind"] == "crossings") {
        let name = case["out"].as_str().unwrap();
        let x = load(&format!("x_{}", case["signal"].as_str().unwrap()))
            .into_dimensionality::<Ix1>()
            .unwrap();
        let expected: Vec<usize> = load(name).iter().map(|&v| v as usize).collect();
        let params = CrossingParams::new(case["threshold"].as_f64().unwrap());
        let got: Vec<usize> = crossings(CPU, x.view(), &params)
            .unwrap()
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(got, expected, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 24, "every crossings case");
}

#[test]
fn the_seed_example_crosses_at_3_7_11_14() {
    let x = Array1::from(vec![
        0., 0., 0., 5., 5., 5., 5., 0., 0., 0., 0., 4., 4., 4., 0., 0., 0.,
    ]);
    let events = crossings(CPU, x.view(), &CrossingParams::new(2.0)).unwrap();
    let idx: Vec<usize> = events.iter().map(|c| c.index).collect();
    assert_eq!(idx, [3, 7, 11, 14]);
    assert_eq!(
        events.iter().map(|c| c.up).collect::<Vec<_>>(),
        [true, false, true, false]
    );
    // Interpolated: 0 -> 5 reaches 2 at 2/5 of the way from sample 2 to 3.
    assert!((events[0].time - 2.4).abs() < 1e-12);
    assert!(
        (events[1].time - 6.6).abs() < 1e-12,
        "5 -> 0 falls to 2 at 3/5"
    );
    let ups = CrossingParams {
        direction: Direction::Up,
        ..CrossingParams::new(2.0)
    };
    let up_idx: Vec<usize> = crossings(CPU, x.view(), &ups)
        .unwrap()
        .iter()
        .map(|c| c.index)
        .collect();
    assert_eq!(up_idx, [3, 11]);
}

#[test]
fn hysteresis_and_gaps_suppress_chatter() {
    // Noise around 1.0: one threshold chatters, hysteresis gives one up and one down.
    let x = Array1::from(vec![
        0.0, 1.05, 0.98, 1.02, 0.99, 1.5, 2.0, 0.97, 1.01, 0.4, 0.2,
    ]);
    let plain = crossings(CPU, x.view(), &CrossingParams::new(1.0)).unwrap();
    assert!(plain.len() > 4, "chatter without hysteresis");
    let hyst = CrossingParams {
        down: Some(0.5),
        ..CrossingParams::new(1.0)
    };
    let events = crossings(CPU, x.view(), &hyst).unwrap();
    assert_eq!(
        events.iter().map(|c| (c.index, c.up)).collect::<Vec<_>>(),
        [(1, true), (9, false)]
    );
    let gapped = CrossingParams {
        min_gap: 3,
        ..CrossingParams::new(1.0)
    };
    let kept = crossings(CPU, x.view(), &gapped).unwrap();
    assert!(
        kept.windows(2).all(|w| w[1].index - w[0].index >= 3),
        "gaps respected"
    );
    let bad = CrossingParams {
        down: Some(2.0),
        ..CrossingParams::new(1.0)
    };
    assert!(matches!(
        crossings(CPU, x.view(), &bad),
        Err(Error::InvalidParam { .. })
    ));
}

#[test]
fn long_signals_do_not_drift_and_nan_can_be_omitted() {
    // 2 x 10^6 samples around 10^6: a plain running sum would drift by many ulps.
    let n = 2_000_000;
    let x = Array1::from_shape_fn(n, |i| 1e6 + ((i * 7919) % 1000) as f64 * 1e-3);
    let k = 20;
    let got = rolling_mean(gpusci::Device::Cpu, x.view(), &RollingParams::new(k)).unwrap();
    for j in [0, 12_345, 999_999, n - k] {
        let exact: f64 = x.slice(ndarray::s![j..j + k]).sum() / k as f64;
        assert!(
            (got[j] - exact).abs() <= 1e-9,
            "output {j}: {} vs {exact}",
            got[j]
        );
    }
    let mut y = Array1::from(vec![1.0, 2.0, f64::NAN, 4.0, 5.0]);
    let omit = rolling_mean(
        gpusci::Device::Cpu,
        y.view(),
        &RollingParams::new(3).with_omit(2),
    )
    .unwrap();
    assert_eq!(omit.to_vec(), [1.5, 3.0, 4.5]);
    let strict = rolling_mean(
        gpusci::Device::Cpu,
        y.view(),
        &RollingParams::new(3).with_omit(3),
    )
    .unwrap();
    assert!(
        strict.iter().all(|v| v.is_nan()),
        "min_count 3: every window lacks one"
    );
    y[2] = 3.0;
    let params = RollingParams::new(3);
    assert_eq!(params.nan_policy, NanPolicy::Propagate);
    assert_eq!(
        rolling_mean(gpusci::Device::Cpu, y.view(), &params)
            .unwrap()
            .to_vec(),
        [2.0, 3.0, 4.0]
    );
    assert!(matches!(
        rolling_mean(gpusci::Device::Cpu, Array1::<f64>::zeros(0).view(), &params),
        Err(Error::EmptyInput(_))
    ));
    assert!(matches!(
        rolling_mean(gpusci::Device::Cpu, y.view(), &RollingParams::new(0)),
        Err(Error::InvalidParam { .. })
    ));
}
