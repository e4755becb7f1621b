//! The LIF network on every adapter: the seed program's first 20 ms (tests/data/lif), batches
//! equal to single runs, and a second's statistics, against the CPU paths.

use crate::common::lif::{self, CV_REL, FAST_MV, RATE_REL};
use gpusci::lif::gpu::LifGpu;
use gpusci::lif::{cpu, isi_cv, LifParams, Network, NetworkParams};
use ndarray::Ix2;

#[test]
fn gpu_reproduces_the_seed_program_on_every_adapter() {
    let network = lif::network();
    let params = LifParams {
        t: 0.02,
        monitor: vec![3, 299, 150, 3],
        every: 7,
        ..LifParams::default()
    };
    let cpu_run = cpu::simulate(&network, &params).unwrap();
    let rec = lif::load("rec_20ms.npy")
        .into_dimensionality::<Ix2>()
        .unwrap();
    let spikes = lif::spikes("spikes_20ms.npy", 0.00005);
    crate::common::for_each_adapter("gpu_reproduces_the_seed_program_on_every_adapter", |ctx| {
        let lif = LifGpu::new(ctx).unwrap();
        // Blocks of 64 steps: the state, the pending synaptic input and the clock carry over
        // seven dispatches.
        for block in [1000, 64] {
            let run = lif
                .simulate_batch_in_blocks(ctx, &[(network.clone(), params.clone())], block)
                .unwrap()
                .remove(0);
            let worst = lif::max_diff(run.rec.view(), rec.view());
            assert!(
                worst <= FAST_MV,
                "block {block}: voltages off by {worst} mV"
            );
            assert_eq!(run.spikes, spikes, "block {block}: spike lists");
            // Samples every 7 steps across blocks of 64: the monitors follow the CPU's.
            assert_eq!(
                run.monitored.dim(),
                cpu_run.monitored.dim(),
                "block {block}"
            );
            let worst = lif::max_diff(run.monitored.view(), cpu_run.monitored.view());
            assert!(
                worst <= FAST_MV,
                "block {block}: monitors off by {worst} mV"
            );
        }
    });
}

#[test]
fn gpu_batches_equal_single_runs_and_the_seed_statistics() {
    let network = lif::network();
    let second = LifParams {
        t: 1.0,
        ..LifParams::default()
    };
    let seed = lif::spikes("spikes_1s.npy", 0.00005);
    let (seed_rate, seed_cv) = (seed.len() as f64 / 300.0, isi_cv(&seed, 300).unwrap());
    let drawn: Vec<(Network, LifParams)> = (0..3u64)
        .map(|k| {
            (
                Network::draw(&NetworkParams {
                    n: 300,
                    seed: 70 + k,
                    ..NetworkParams::default()
                })
                .unwrap(),
                LifParams {
                    t: 0.1,
                    offset: -40.5 + 0.5 * k as f64,
                    ..LifParams::default()
                },
            )
        })
        .collect();
    crate::common::for_each_adapter(
        "gpu_batches_equal_single_runs_and_the_seed_statistics",
        |ctx| {
            let lif = LifGpu::new(ctx).unwrap();
            let batch = lif.simulate_batch(ctx, &drawn).unwrap();
            for (k, run) in batch.iter().enumerate() {
                let alone = lif.simulate_batch(ctx, &drawn[k..=k]).unwrap().remove(0);
                assert_eq!(run, &alone, "network {k} of the batch equals its run alone");
                let cpu_run = cpu::simulate(&drawn[k].0, &drawn[k].1).unwrap();
                assert!(
                    (run.spikes.len() as f64 / cpu_run.spikes.len() as f64 - 1.0).abs() < 0.1,
                    "network {k}: {} spikes, the CPU {}",
                    run.spikes.len(),
                    cpu_run.spikes.len()
                );
            }
            let run = lif
                .simulate_batch(ctx, &[(network.clone(), second.clone())])
                .unwrap()
                .remove(0);
            let (rate, cv) = (run.mean_rate(), run.mean_isi_cv());
            assert!(
                (rate - seed_rate).abs() <= RATE_REL * seed_rate,
                "rate {rate} Hz vs the seed's {seed_rate}"
            );
            assert!(
                (cv - seed_cv).abs() <= CV_REL * seed_cv,
                "ISI CV {cv} vs the seed's {seed_cv}"
            );
        },
    );
}

/// The shader's float64-exact clock against the Rust clock (itself checked against float64)
/// on random spike times, time steps and refractory periods, ties included.
#[test]
fn gpu_clock_rounds_as_float64_on_every_adapter() {
    use gpusci::lif::clock::{advance, wake, Grid};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let mut cases = Vec::new();
    for _ in 0..4000 {
        let dt = rng.random_range(1.0..10.0) * 10f64.powi(rng.random_range(-6..-2));
        let tref = if rng.random_bool(0.5) {
            dt * f64::from(rng.random_range(0..200u32))
        } else {
            rng.random_range(0.0..0.01)
        };
        let k1 = rng.random_range(0..2_000_000u64);
        let k2 = k1 + rng.random_range(0..2_000_000u64);
        let grid = Grid::new(dt, tref, dt * (k2 + 2) as f64 + tref).unwrap();
        let tlast = advance(grid.fixed(0.0), grid.fixed(dt * k1 as f64));
        cases.push([tlast, grid.fixed(dt * k2 as f64), grid.fixed(tref)]);
    }
    crate::common::for_each_adapter("gpu_clock_rounds_as_float64_on_every_adapter", |ctx| {
        let out = LifGpu::new(ctx).unwrap().clock_probe(ctx, &cases).unwrap();
        for (k, (case, got)) in cases.iter().zip(&out).enumerate() {
            let [tlast, now, tref] = *case;
            assert_eq!(
                got[0],
                advance(tlast, now),
                "case {k}: tlast += now - tlast"
            );
            assert_eq!(got[1], wake(tlast, tref), "case {k}: tlast + tref");
        }
    });
}

/// The sparse GPU path (large networks): the seed program's first 20 ms spike for spike from
/// the fixture's weights in sparse form, monitors as the CPU's, and a drawn sparse network's
/// run the same twice (integer sums) and close to the CPU's.
#[test]
fn sparse_gpu_path_reproduces_the_seed_program_on_every_adapter() {
    use gpusci::lif::gpu_sparse::SparseLifGpu;
    use gpusci::lif::SparseNetwork;
    let network = SparseNetwork::from_dense(&lif::network());
    let params = LifParams {
        t: 0.02,
        monitor: vec![3, 299, 150, 3],
        every: 7,
        ..LifParams::default()
    };
    let cpu_run = cpu::simulate(&lif::network(), &params).unwrap();
    let rec = lif::load("rec_20ms.npy")
        .into_dimensionality::<Ix2>()
        .unwrap();
    let spikes = lif::spikes("spikes_20ms.npy", 0.00005);
    let drawn = SparseNetwork::draw(&NetworkParams {
        n: 3000,
        p: 0.02,
        seed: 5,
        ..NetworkParams::default()
    })
    .unwrap();
    let drawn_params = LifParams {
        t: 0.05,
        ..LifParams::default()
    };
    let drawn_cpu =
        cpu::simulate_sparse(&drawn.outgoing, drawn.v0.view(), &drawn_params, |_| {}).unwrap();
    crate::common::for_each_adapter(
        "sparse_gpu_path_reproduces_the_seed_program_on_every_adapter",
        |ctx| {
            let sparse = SparseLifGpu::new(ctx).unwrap();
            for block in [1000, 64] {
                let run = sparse.simulate(ctx, &network, &params, block).unwrap();
                let worst = lif::max_diff(run.rec.view(), rec.view());
                assert!(
                    worst <= FAST_MV,
                    "block {block}: voltages off by {worst} mV"
                );
                assert_eq!(run.spikes, spikes, "block {block}: spike lists");
                let worst = lif::max_diff(run.monitored.view(), cpu_run.monitored.view());
                assert!(
                    worst <= FAST_MV,
                    "block {block}: monitors off by {worst} mV"
                );
            }
            let a = sparse.simulate(ctx, &drawn, &drawn_params, 1000).unwrap();
            let b = sparse.simulate(ctx, &drawn, &drawn_params, 1000).unwrap();
            assert_eq!(a, b, "integer sums: the same run twice");
            let ratio = a.spikes.len() as f64 / drawn_cpu.spikes.len() as f64;
            assert!(
                (ratio - 1.0).abs() < 0.1,
                "{} spikes, the CPU {}",
                a.spikes.len(),
                drawn_cpu.spikes.len()
            );
        },
    );
}

/// `lif::simulate`, the one router, on every adapter: a uniform dense batch takes the dense
/// path in one dispatch (equal to `LifGpu` called directly), mixed sizes or sparse networks
/// take the sparse path (equal to `SparseLifGpu` called directly), and progress counts every
/// step once.
#[test]
fn the_router_picks_dense_or_sparse_and_says_which_ran() {
    use gpusci::lif::gpu_sparse::{SparseLifGpu, SPARSE_BLOCK_STEPS};
    use gpusci::lif::{simulate, LifNetwork, LifPath, SparseNetwork};
    let draw = |n: usize, seed: u64| {
        Network::draw(&NetworkParams {
            n,
            seed,
            ..NetworkParams::default()
        })
        .unwrap()
    };
    let params = LifParams {
        t: 0.02,
        ..LifParams::default()
    };
    let uniform: Vec<(LifNetwork, LifParams)> = (0..3)
        .map(|k| (draw(120, 10 + k).into(), params.clone()))
        .collect();
    let mixed: Vec<(LifNetwork, LifParams)> = vec![
        (draw(120, 20).into(), params.clone()),
        (draw(90, 21).into(), params.clone()),
    ];
    let sparse = SparseNetwork::from_dense(&draw(150, 22));
    crate::common::for_each_adapter("the_router_picks_dense_or_sparse", |ctx| {
        let exec = crate::common::executor_on(ctx);
        let steps = std::sync::atomic::AtomicUsize::new(0);
        let count = |done: usize| {
            steps.fetch_add(done, std::sync::atomic::Ordering::Relaxed);
        };
        let dense = simulate(exec, &uniform, count).unwrap();
        assert_eq!(dense.path, LifPath::GpuDense);
        let direct: Vec<(&Network, LifParams)> = uniform
            .iter()
            .map(|(network, p)| match network {
                LifNetwork::Dense(network) => (network, p.clone()),
                LifNetwork::Sparse(_) => unreachable!("drawn dense"),
            })
            .collect();
        assert_eq!(
            dense.runs,
            LifGpu::new(ctx)
                .unwrap()
                .simulate_batch(ctx, &direct)
                .unwrap()
        );
        assert_eq!(
            steps.load(std::sync::atomic::Ordering::Relaxed),
            3 * params.steps()
        );

        let ran = simulate(exec, &mixed, |_| {}).unwrap();
        assert_eq!(
            ran.path,
            LifPath::GpuSparse,
            "two sizes cannot share a dispatch"
        );
        let gpu = SparseLifGpu::new(ctx).unwrap();
        for ((network, p), run) in mixed.iter().zip(&ran.runs) {
            let LifNetwork::Dense(network) = network else {
                unreachable!("drawn dense")
            };
            let alone = gpu
                .simulate(
                    ctx,
                    &SparseNetwork::from_dense(network),
                    p,
                    SPARSE_BLOCK_STEPS,
                )
                .unwrap();
            assert_eq!(run, &alone);
        }

        let held_sparse = [(LifNetwork::Sparse(sparse.clone()), params.clone())];
        let ran = simulate(exec, &held_sparse, |_| {}).unwrap();
        assert_eq!(ran.path, LifPath::GpuSparse);
        assert_eq!(
            ran.runs[0],
            gpu.simulate(ctx, &sparse, &params, SPARSE_BLOCK_STEPS)
                .unwrap()
        );
    });
}
