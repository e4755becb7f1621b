//! The LIF network's CPU paths against the seed program (tests/data/lif, made by
//! make_lif_fixtures.py from balanced_network.py with given w and v0, n = 300).

use crate::common::lif::{self, CV_REL, FAST_MV, RATE_REL};
use gpusci::lif::{cpu, isi_cv, trains_isi_cv, LifParams, LifRun, Network, NetworkParams};
use gpusci::{Error, Executor};
use ndarray::{Array1, Array2, Ix2};

const CPU: &Executor = &Executor::Cpu;

/// The reference follows NumPy operation for operation (pairwise sums included): only the
/// last bits of exp() may differ.
const REFERENCE_MV: f64 = 1e-9;

fn params(t: f64) -> LifParams {
    LifParams {
        t,
        ..LifParams::default()
    }
}

fn check_20ms(run: &LifRun, tol: f64, what: &str) {
    let rec = lif::load("rec_20ms.npy")
        .into_dimensionality::<Ix2>()
        .unwrap();
    assert_eq!(run.rec.dim(), rec.dim(), "{what}: rec shape");
    let worst = lif::max_diff(run.rec.view(), rec.view());
    assert!(
        worst <= tol,
        "{what}: voltages off by {worst} mV (bound {tol})"
    );
    assert_eq!(
        run.spikes,
        lif::spikes("spikes_20ms.npy", run.dt),
        "{what}: spike lists"
    );
    // The seed's times are dt * step in float64: the same numbers.
    let times = lif::load("spikes_20ms.npy")
        .into_dimensionality::<Ix2>()
        .unwrap();
    assert_eq!(run.spike_array(), times, "{what}: spike array");
}

#[test]
fn reference_reproduces_the_seed_program_step_by_step() {
    let run = cpu::simulate_reference(&lif::network(), &params(0.02)).unwrap();
    check_20ms(&run, REFERENCE_MV, "reference");
}

#[test]
fn fast_path_reproduces_the_first_20_ms() {
    let run = cpu::simulate(&lif::network(), &params(0.02)).unwrap();
    check_20ms(&run, FAST_MV, "fast");
}

#[test]
fn one_second_statistics_match_the_seed_program() {
    let network = lif::network();
    let seed = lif::spikes("spikes_1s.npy", 0.00005);
    let seed_rate = seed.len() as f64 / 300.0;
    let seed_cv = isi_cv(&seed, 300).unwrap();
    for (what, run) in [
        (
            "reference",
            cpu::simulate_reference(&network, &params(1.0)).unwrap(),
        ),
        ("fast", cpu::simulate(&network, &params(1.0)).unwrap()),
    ] {
        let rate = run.mean_rate();
        assert!(
            (rate - seed_rate).abs() <= RATE_REL * seed_rate,
            "{what}: rate {rate} Hz vs the seed's {seed_rate}"
        );
        let cv = run.mean_isi_cv();
        assert!(
            (cv - seed_cv).abs() <= CV_REL * seed_cv,
            "{what}: ISI CV {cv} vs the seed's {seed_cv}"
        );
    }
}

#[test]
fn batch_members_equal_single_runs() {
    let batch: Vec<(Network, LifParams)> = (0..4)
        .map(|k| {
            let network = Network::draw(&NetworkParams {
                n: 150 + 7 * k,
                seed: 40 + k as u64,
                ..NetworkParams::default()
            })
            .unwrap();
            let params = LifParams {
                t: 0.05,
                offset: -40.0 + k as f64,
                ..LifParams::default()
            };
            (network, params)
        })
        .collect();
    let jobs: Vec<(gpusci::lif::LifNetwork, LifParams)> = batch
        .iter()
        .map(|(network, params)| (network.clone().into(), params.clone()))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let ran = gpusci::lif::simulate(CPU, &jobs, |steps| {
        done.fetch_add(steps, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(ran.path, gpusci::lif::LifPath::Cpu);
    let total: usize = batch.iter().map(|(_, p)| p.steps()).sum();
    assert_eq!(done.into_inner(), total, "progress counts every step once");
    let runs = ran.runs;
    for (k, ((network, params), run)) in batch.iter().zip(&runs).enumerate() {
        assert_eq!(run, &cpu::simulate(network, params).unwrap(), "network {k}");
    }
    assert_ne!(runs[0].spikes, runs[1].spikes, "different networks differ");
}

#[test]
fn drawn_networks_follow_the_seed_distributions() {
    let a = Network::draw(&NetworkParams {
        n: 400,
        seed: 3,
        ..NetworkParams::default()
    })
    .unwrap();
    let again = Network::draw(&NetworkParams {
        n: 400,
        seed: 3,
        ..NetworkParams::default()
    })
    .unwrap();
    assert_eq!(a, again, "reproducible from the seed");
    let nonzero = a.w.iter().filter(|&&x| x != 0.0).count() as f64;
    let p = nonzero / (400.0 * 400.0);
    assert!((p - 0.1).abs() < 0.005, "connection probability {p}");
    for row in a.w.outer_iter() {
        let (s, c) = row
            .iter()
            .filter(|&&x| x != 0.0)
            .fold((0.0, 0), |(s, c), &x| (s + x, c + 1));
        assert!((s / c as f64).abs() < 1e-12, "row means removed");
    }
    // Non-zero weights: std g / (sqrt(n) p) before the mean is removed.
    let sd =
        (a.w.iter()
            .filter(|&&x| x != 0.0)
            .map(|x| x * x)
            .sum::<f64>()
            / nonzero)
            .sqrt();
    let expected = 0.04 / (20.0 * 0.1);
    assert!(
        (sd / expected - 1.0).abs() < 0.03,
        "weight spread {sd} vs {expected}"
    );
    assert!(
        a.v0.iter().all(|&v| (-65.0..30.0).contains(&v)),
        "v0 uniform on [-65, 30)"
    );
}

/// The default network (n = 2000, T = 2 s, weights from seed 100) fires at the seed
/// program's mean rate, 18.7 Hz (74,838 spikes with NumPy's seed 100), within 10 %.
#[test]
fn default_network_fires_at_the_seed_rate() {
    let network = Network::draw(&NetworkParams::default()).unwrap();
    let run = cpu::simulate(&network, &LifParams::default()).unwrap();
    let rate = run.mean_rate();
    assert!((rate - 18.7).abs() <= 0.1 * 18.7, "rate {rate} Hz");
}

#[test]
fn bad_input_is_a_typed_error() {
    let square = Array2::<f64>::zeros((3, 3));
    assert!(matches!(
        Network::new(Array2::zeros((3, 4)), Array1::zeros(3)),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        Network::new(square.clone(), Array1::zeros(4)),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut nan = square.clone();
    nan[[1, 2]] = f64::NAN;
    assert!(matches!(
        Network::new(nan, Array1::zeros(3)),
        Err(Error::InvalidParam { .. })
    ));
    assert!(matches!(
        Network::new(square.clone(), Array1::from(vec![0.0, f64::INFINITY, 0.0])),
        Err(Error::InvalidParam { .. })
    ));
    let network = Network::new(square, Array1::zeros(3)).unwrap();
    for bad in [
        LifParams {
            dt: 0.0,
            ..LifParams::default()
        },
        LifParams {
            dt: -1e-4,
            ..LifParams::default()
        },
        LifParams {
            t: 0.0,
            ..LifParams::default()
        },
        LifParams {
            t: 1e-6,
            ..LifParams::default()
        },
        LifParams {
            tm: f64::NAN,
            ..LifParams::default()
        },
        LifParams {
            nrec: 4,
            ..LifParams::default()
        },
    ] {
        assert!(
            matches!(
                cpu::simulate(&network, &bad),
                Err(Error::InvalidParam { .. })
            ),
            "{bad:?}"
        );
        assert!(cpu::simulate_reference(&network, &bad).is_err(), "{bad:?}");
    }
}

/// Monitors sample any neurons every k steps, as rec records the first nrec every step; the
/// population rate counts every spike once.
#[test]
fn monitors_and_population_rate_agree_with_rec_and_spikes() {
    let network = lif::network();
    let params = LifParams {
        t: 0.02,
        monitor: vec![3, 0, 9],
        every: 7,
        ..LifParams::default()
    };
    for run in [
        cpu::simulate_reference(&network, &params).unwrap(),
        cpu::simulate(&network, &params).unwrap(),
    ] {
        assert_eq!(
            run.monitored.dim(),
            (400usize.div_ceil(7), 3),
            "samples x monitors"
        );
        for (j, row) in run.monitored.outer_iter().enumerate() {
            for (m, &k) in [3usize, 0, 9].iter().enumerate() {
                assert_eq!(row[m], run.rec[[7 * j, k]], "sample {j} of neuron {k}");
            }
        }
        let rate = run.population_rate(40);
        assert_eq!(rate.len(), 10, "ten 2 ms bins");
        let total: f64 = rate.iter().map(|r| r * 300.0 * 40.0 * 0.00005).sum();
        assert!(
            (total - run.spikes.len() as f64).abs() < 1e-6,
            "every spike counted once"
        );
    }
    let bad = LifParams {
        monitor: vec![300],
        ..params.clone()
    };
    assert!(matches!(
        cpu::simulate(&network, &bad),
        Err(Error::InvalidParam { .. })
    ));
    let bad = LifParams { every: 0, ..params };
    assert!(matches!(
        cpu::simulate(&network, &bad),
        Err(Error::InvalidParam { .. })
    ));
}

/// Sparse draws (large networks) follow the seed's distributions: connection probability,
/// spread, incoming means removed; v0 as the dense draw's; the default-sized sparse network
/// fires at the seed program's rate.
#[test]
fn sparse_draws_follow_the_seed_distributions() {
    use gpusci::lif::SparseNetwork;
    let params = NetworkParams {
        n: 2000,
        seed: 100,
        ..NetworkParams::default()
    };
    let sparse = SparseNetwork::draw(&params).unwrap();
    let again = SparseNetwork::draw(&params).unwrap();
    assert_eq!(
        sparse.outgoing.targets(),
        again.outgoing.targets(),
        "reproducible"
    );
    assert_eq!(
        sparse.v0,
        Network::draw(&params).unwrap().v0,
        "v0 as the dense draw's"
    );
    let p = sparse.outgoing.len() as f64 / (2000.0 * 2000.0);
    assert!((p - 0.1).abs() < 0.002, "connection probability {p}");
    let mut sum = vec![0.0f64; 2000];
    for (&t, &w) in sparse
        .outgoing
        .targets()
        .iter()
        .zip(sparse.outgoing.weights())
    {
        sum[t as usize] += f64::from(w);
    }
    assert!(
        sum.iter().all(|s| s.abs() < 1e-4),
        "incoming means removed (float32 weights)"
    );
    let sd = (sparse
        .outgoing
        .weights()
        .iter()
        .map(|&w| f64::from(w).powi(2))
        .sum::<f64>()
        / sparse.outgoing.len() as f64)
        .sqrt();
    let expected = 0.04 / (2000f64.sqrt() * 0.1);
    assert!(
        (sd / expected - 1.0).abs() < 0.03,
        "spread {sd} vs {expected}"
    );
    let run = cpu::simulate_sparse(
        &sparse.outgoing,
        sparse.v0.view(),
        &LifParams::default(),
        |_| {},
    )
    .unwrap();
    let rate = run.mean_rate();
    assert!((rate - 18.7).abs() <= 0.1 * 18.7, "rate {rate} Hz");
}

#[test]
fn recording_more_than_memory_holds_is_an_error_not_an_abort() {
    let network = Network::new(Array2::zeros((3, 3)), Array1::zeros(3)).unwrap();
    // 10^5 s at 50 us with 3 recorded neurons: 6 x 10^9 values, more than MAX_RECORDED.
    let long = LifParams {
        t: 1e5,
        nrec: 3,
        ..LifParams::default()
    };
    assert!(matches!(
        cpu::simulate(&network, &long),
        Err(Error::ExceedsLimit { .. })
    ));
    let quiet = LifParams {
        t: 1e5,
        nrec: 0,
        ..LifParams::default()
    };
    assert!(
        quiet.validate(3).is_ok(),
        "the same run without recording is fine"
    );
}

#[test]
fn trains_of_times_give_the_networks_isi_statistic() {
    // (step, neuron) in time order; neuron 2 has too few spikes to count.
    let spikes = [
        (3, 0),
        (4, 1),
        (10, 0),
        (12, 2),
        (14, 1),
        (19, 0),
        (30, 1),
        (31, 0),
    ];
    let mut trains = vec![Vec::new(); 3];
    for &(step, neuron) in &spikes {
        // Times in seconds (dt = 0.5 ms): the CV has no unit.
        trains[neuron as usize].push(f64::from(step) * 5e-4);
    }
    let from_steps = isi_cv(&spikes, 3).unwrap();
    let from_times = trains_isi_cv(trains.iter().map(Vec::as_slice));
    assert!(
        (from_steps - from_times).abs() <= 1e-12 * from_steps,
        "{from_steps} {from_times}"
    );
    assert!(
        trains_isi_cv([[1.0, 2.0].as_slice()]).is_nan(),
        "no train of 3 spikes"
    );
}

/// `lif::simulate` checks what `Network::new` checks: a network built by hand with weights
/// of another size than v0 is a typed error, not a panic (`Network`'s fields are public).
#[test]
fn the_router_refuses_weights_that_do_not_match_v0() {
    let mut network = Network::draw(&NetworkParams {
        n: 50,
        ..NetworkParams::default()
    })
    .unwrap();
    network.w = Array2::zeros((50, 49));
    let params = LifParams {
        t: 0.01,
        ..LifParams::default()
    };
    let batch = [(gpusci::lif::LifNetwork::Dense(network), params)];
    assert!(matches!(
        gpusci::lif::simulate(CPU, &batch, |_| {}),
        Err(Error::ShapeMismatch {
            what: "weights",
            ..
        })
    ));
}
