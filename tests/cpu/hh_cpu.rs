//! Hodgkin-Huxley neurons on the CPU against the seed question's forward-Euler loop
//! (tests/data/hh/trace.npy, made by make_hh_fixtures.py), and the Poisson inputs' statistics.

use std::path::PathBuf;

use gpusci::hh::{cpu, CountTable, HhParams};
use gpusci::io::{read_npy, NpyArray};
use gpusci::Error;

/// NumPy's exp and pow (SIMD loops) and libm's may differ in the last bit; the trajectory is
/// stable (one spike, then rest), so such differences stay near 1e-12 mV over 30,000 steps.
const TRACE_TOL: f64 = 1e-7;

fn fixture() -> ndarray::Array2<f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/hh/trace.npy");
    match read_npy(&path).unwrap() {
        NpyArray::F64(a) => a.into_dimensionality().unwrap(),
        NpyArray::F32(_) => panic!("float64 fixture"),
    }
}

fn no_input() -> HhParams {
    HhParams {
        n_ex: 0,
        n_in: 0,
        ..HhParams::default()
    }
}

#[test]
fn euler_trace_equals_the_seed_question() {
    let seed = fixture();
    let run = cpu::simulate_neuron(&no_input(), 0, true).unwrap();
    let trace = run.trace.unwrap();
    assert_eq!(trace.dim(), seed.dim(), "states x (V, m, h, n)");
    let worst = trace
        .iter()
        .zip(seed.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= TRACE_TOL, "trace off by {worst}");
    let v = seed.column(0);
    let seed_spikes = (1..v.len())
        .filter(|&i| v[i - 1] < 0.0 && v[i] >= 0.0)
        .count();
    assert_eq!(
        run.spikes.len(),
        seed_spikes,
        "spike count with I_app = 3 and no input"
    );
    assert_eq!(run.inputs, (0, 0));
}

#[test]
fn poisson_inputs_arrive_at_the_asked_rate() {
    let params = HhParams {
        n_ex: 4000,
        n_in: 1000,
        t: 100.0,
        ..HhParams::default()
    };
    let neurons = cpu::simulate(&params, 16, 0).unwrap();
    let steps = (params.states() - 1) as f64 * 16.0;
    for (got, n) in [
        (neurons.iter().map(|r| r.inputs.0).sum::<u64>(), 4000.0),
        (neurons.iter().map(|r| r.inputs.1).sum::<u64>(), 1000.0),
    ] {
        // Binomial(n, q) per step: mean n q, variance n q (1 - q); 5 standard deviations.
        let mean = steps * n * params.q();
        let sd = (steps * n * params.q() * (1.0 - params.q())).sqrt();
        assert!(
            (got as f64 - mean).abs() <= 5.0 * sd,
            "{got} transmitted spikes from {n} inputs, expected {mean} +- {sd}"
        );
    }
    // Excitation outweighs inhibition here (4000 vs 1000 x K = 4): the neurons fire.
    assert!(
        neurons.iter().all(|r| r.trace.is_none()),
        "no traces asked for"
    );
}

#[test]
fn neuron_k_of_many_equals_neuron_k_alone() {
    let params = HhParams {
        n_ex: 4000,
        n_in: 1000,
        t: 50.0,
        ..HhParams::default()
    };
    let many = cpu::simulate(&params, 5, 2).unwrap();
    for (k, run) in many.iter().enumerate() {
        let alone = cpu::simulate_neuron(&params, k as u32, k < 2).unwrap();
        assert_eq!(run, &alone, "neuron {k}");
    }
    assert_ne!(
        many[0].inputs, many[1].inputs,
        "neurons draw their own inputs"
    );
}

#[test]
fn count_tables_draw_binomial_counts() {
    let (n, q) = (50u32, 0.1f64);
    let table = CountTable::new(n, q).unwrap();
    let samples: Vec<f64> = (0..20_000u32)
        .map(|i| {
            let [a, ..] = gpusci::rng::philox4x32([i, 0, 9, 0], gpusci::rng::key(5));
            f64::from(table.count(a))
        })
        .collect();
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / samples.len() as f64;
    assert!((mean - 5.0).abs() < 0.06, "mean {mean}");
    assert!((var - 4.5).abs() < 0.2, "variance {var}");
    // P(0) = 0.9^50: the first threshold.
    let p0 = 0.9f64.powi(50);
    assert_eq!(table.thresholds()[0], (p0 * 4_294_967_296.0).floor() as u32);
    assert_eq!(CountTable::new(7, 0.0).unwrap().count(u32::MAX), 0, "q = 0");
    assert_eq!(CountTable::new(7, 1.0).unwrap().count(0), 7, "q = 1");
    assert!(
        CountTable::new(7, 0.5).unwrap().count(u32::MAX) <= 7,
        "never past n"
    );
    assert!(matches!(
        CountTable::new(1_000_000, 0.5),
        Err(Error::ExceedsLimit { .. })
    ));
}

#[test]
fn bad_parameters_are_typed_errors() {
    for bad in [
        HhParams {
            dt: 0.0,
            ..HhParams::default()
        },
        HhParams {
            t: -1.0,
            ..HhParams::default()
        },
        HhParams {
            p: 1.5,
            ..HhParams::default()
        },
        HhParams {
            rate: -1.0,
            ..HhParams::default()
        },
        HhParams {
            rate: 1e6,
            ..HhParams::default()
        },
        HhParams {
            g_na: f64::NAN,
            ..HhParams::default()
        },
        HhParams {
            initial: [f64::INFINITY, 0.0, 0.0, 0.0],
            ..HhParams::default()
        },
    ] {
        assert!(
            matches!(cpu::simulate(&bad, 1, 0), Err(Error::InvalidParam { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn traces_larger_than_memory_are_an_error_not_an_abort() {
    let long = HhParams {
        t: 1e8,
        ..HhParams::default()
    };
    assert!(matches!(
        cpu::simulate(&long, 1, 1),
        Err(Error::ExceedsLimit { .. })
    ));
    assert!(
        long.check_traces(0).is_ok(),
        "without traces the run is allowed"
    );
}
