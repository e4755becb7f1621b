//! Threshold crossings as a GPU stream compaction on every adapter: NumPy's fixtures, the
//! seed's example, exact float64 comparisons (values one ulp from the threshold, -0.0, NaN,
//! infinities), directions, gaps and times as the CPU, and signals split across bindings.

use gpusci::signal::gpu::order_key;
use gpusci::signal::{crossings, CrossingParams, Direction};
use ndarray::{Array1, ArrayD, Ix1};

/// The CPU path (the reference the fixtures check).
const CPU: &gpusci::gpu::Executor = &gpusci::gpu::Executor::Cpu;

fn load(name: &str) -> ArrayD<f64> {
    crate::common::fixture("signal", name)
}

fn manifest() -> Vec<serde_json::Value> {
    serde_json::from_value(crate::common::manifest("signal")).unwrap()
}

/// A signal that tests exactness: values one float64 ulp either side of the threshold
/// (float32 would round them onto it), -0.0 and 0.0 around a zero threshold, NaN and
/// infinities, long quiet stretches and dense chatter.
fn tricky(n: usize, threshold: f64) -> Array1<f64> {
    let (above, below) = (next_up(threshold), -next_up(-threshold));
    Array1::from_shape_fn(n, |i| match (i * 7919) % 23 {
        0 => above,
        1 => below,
        2 => threshold,
        3 => f64::NAN,
        4 => f64::INFINITY,
        5 => f64::NEG_INFINITY,
        6 => -0.0,
        7 => 0.0,
        r if (i / 1000) % 3 == 0 => threshold - 1.0 - r as f64,
        r => threshold + (r as f64 - 11.0) * 0.1,
    })
}

/// The next float64 above `x` (finite x).
fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

#[test]
fn order_keys_sort_as_the_doubles() {
    let values = [
        f64::NEG_INFINITY,
        -1e300,
        -1.0,
        -f64::MIN_POSITIVE,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        1.0,
        1.0 + f64::EPSILON,
        1e300,
        f64::INFINITY,
    ];
    for w in values.windows(2) {
        if w[0] < w[1] {
            assert!(order_key(w[0]) < order_key(w[1]), "{} < {}", w[0], w[1]);
        } else {
            assert_eq!(order_key(w[0]), order_key(w[1]), "{} == {}", w[0], w[1]);
        }
    }
}

#[test]
fn gpu_crossings_match_numpy_and_the_cpu() {
    let cases: Vec<serde_json::Value> = manifest()
        .into_iter()
        .filter(|c| c["kind"] == "crossings")
        .collect();
    crate::common::for_each_adapter("crossings", |ctx| {
        let exec = crate::common::executor_on(ctx);
        for case in &cases {
            let name = case["out"].as_str().unwrap();
            let x = load(&format!("x_{}", case["signal"].as_str().unwrap()))
                .into_dimensionality::<Ix1>()
                .unwrap();
            let expected: Vec<usize> = load(name).iter().map(|&v| v as usize).collect();
            let params = CrossingParams::new(case["threshold"].as_f64().unwrap());
            let got: Vec<usize> = crossings(exec, x.view(), &params)
                .unwrap()
                .iter()
                .map(|e| e.index)
                .collect();
            assert_eq!(got, expected, "{name}");
        }
        let seed = Array1::from(vec![
            0., 0., 0., 5., 5., 5., 5., 0., 0., 0., 0., 4., 4., 4., 0., 0., 0.,
        ]);
        let got: Vec<usize> = crossings(exec, seed.view(), &CrossingParams::new(2.0))
            .unwrap()
            .iter()
            .map(|e| e.index)
            .collect();
        assert_eq!(got, [3, 7, 11, 14], "the seed's example");
        for threshold in [0.0, 2.5, -7.25] {
            let x = tricky(20_011, threshold);
            for direction in [Direction::Both, Direction::Up, Direction::Down] {
                for min_gap in [0, 5] {
                    let params = CrossingParams {
                        direction,
                        min_gap,
                        ..CrossingParams::new(threshold)
                    };
                    let cpu = crossings(CPU, x.view(), &params).unwrap();
                    let got = crossings(exec, x.view(), &params).unwrap();
                    assert_eq!(
                        got.len(),
                        cpu.len(),
                        "thr {threshold} {direction:?} {min_gap}"
                    );
                    for (g, c) in got.iter().zip(&cpu) {
                        assert_eq!(g.index, c.index);
                        assert_eq!(g.up, c.up);
                        assert!(g.time == c.time || (g.time.is_nan() && c.time.is_nan()));
                    }
                }
            }
        }
    });
}

/// 64 KiB bindings hold 8,192 samples: a 50,000-sample signal runs in 7 chunks, with
/// transitions on the chunks' first samples (the sample before each chunk decides them).
#[test]
fn long_signals_run_in_chunks() {
    crate::common::for_each_adapter_with_limits(
        "crossings chunked",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx);
            let x = Array1::from_shape_fn(50_000, |i| {
                if i % 8192 == 0 || (i / 4096) % 2 == 1 {
                    1.0
                } else {
                    -1.0
                }
            });
            let params = CrossingParams::new(0.0);
            let cpu = crossings(CPU, x.view(), &params).unwrap();
            let got = crossings(exec, x.view(), &params).unwrap();
            assert!(cpu.len() > 10);
            assert_eq!(got, cpu);
            let quiet = Array1::from_elem(30_000, -1.0);
            assert!(crossings(exec, quiet.view(), &params).unwrap().is_empty());
        },
    );
}

/// Rolling means: the GPU's exact fixed-point sums against NumPy's convolutions and the float64
/// CPU path. Both are within a few float64 ulps of the data's scale per summed term (the CPU
/// re-sums every 4096 outputs; the GPU rounds each sample once to k max|x| 2^-63): 1e-12 of
/// max|x| bounds both, as `ROLL_TOL` on the CPU side.
const GPU_ROLL_TOL: f64 = 1e-12;

fn same_mean(a: f64, b: f64, scale: f64, what: &str) {
    if b.is_finite() {
        assert!((a - b).abs() <= GPU_ROLL_TOL * scale, "{what}: {a} vs {b}");
    } else {
        assert!(a == b || (a.is_nan() && b.is_nan()), "{what}: {a} vs {b}");
    }
}

#[test]
fn rolling_means_on_the_gpu_match_numpy_and_the_cpu() {
    use gpusci::signal::{rolling_mean, ConvMode, RollingParams};
    crate::common::for_each_adapter("rolling means", |ctx| {
        let exec = crate::common::executor_on(ctx);
        let checked = crate::common::check_rolling_fixtures(exec, GPU_ROLL_TOL);
        assert_eq!(checked, 108, "every rolling case");
        // NaN, infinities, omit and min_count, every mode, odd lengths, windows longer than the
        // signal, magnitudes from 1e-300 to 1e300, against the CPU.
        // A fill value 10^34 times the data (NetCDF's 9.97e36 among temperatures): one grid
        // for both would erase the data, so the router computes on the CPU and says so.
        let mut temperatures = Array1::from_shape_fn(5000, |i| 290.0 + (i as f64 * 0.01).sin());
        temperatures[1234] = 9.96921e36;
        let params = RollingParams::new(24);
        let (gpu, notes) =
            crate::common::capture_cpu_notes(|| rolling_mean(exec, temperatures.view(), &params));
        assert_eq!(
            gpu.unwrap(),
            rolling_mean(CPU, temperatures.view(), &params).unwrap()
        );
        assert!(
            notes.iter().any(|n| n.contains("orders of magnitude")),
            "{notes:?}"
        );
        let tricky = tricky(3001, 0.25);
        for (label, x) in [
            ("tricky", tricky.clone()),
            ("tiny", tricky.mapv(|v| v * 1e-300)),
            ("huge", tricky.mapv(|v| v * 1e300)),
            ("one", Array1::from_elem(1, 2.5)),
        ] {
            for k in [1usize, 2, 7, 64, 1000, 5000] {
                for mode in [ConvMode::Valid, ConvMode::Same, ConvMode::Full] {
                    for params in [
                        RollingParams::new(k).with_mode(mode),
                        RollingParams::new(k)
                            .with_mode(mode)
                            .with_omit(k.div_ceil(2)),
                    ] {
                        let cpu = rolling_mean(CPU, x.view(), &params).unwrap();
                        let gpu = rolling_mean(exec, x.view(), &params).unwrap();
                        assert_eq!(gpu.len(), cpu.len());
                        let scale = x
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()));
                        for (i, (&a, &b)) in gpu.iter().zip(cpu.iter()).enumerate() {
                            same_mean(a, b, scale, &format!("{label} k={k} {params:?}[{i}]"));
                        }
                    }
                }
            }
        }
    });
}

/// Past a 64 KiB binding (2,730 items a chunk): outputs in chunks, each with the samples its
/// windows need; a window longer than a chunk runs on the CPU and says so.
#[test]
fn rolling_means_split_past_one_binding() {
    use gpusci::signal::{rolling_mean, RollingParams};
    crate::common::for_each_adapter_with_limits(
        "rolling means chunked",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            let exec = crate::common::executor_on(ctx);
            let x = Array1::from_shape_fn(20_011, |i| ((i * 37) % 101) as f64 - 50.5);
            for k in [1usize, 20, 999, 2_000] {
                let params = RollingParams::new(k);
                let cpu = rolling_mean(CPU, x.view(), &params).unwrap();
                let gpu = rolling_mean(exec, x.view(), &params).unwrap();
                for (i, (&a, &b)) in gpu.iter().zip(cpu.iter()).enumerate() {
                    same_mean(a, b, 50.5, &format!("chunked k={k}[{i}]"));
                }
            }
            let params = RollingParams::new(5_000);
            let (gpu, notes) =
                crate::common::capture_cpu_notes(|| rolling_mean(exec, x.view(), &params));
            let cpu = rolling_mean(CPU, x.view(), &params).unwrap();
            assert_eq!(gpu.unwrap(), cpu, "the CPU's answer");
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains("rolling_mean") && n.contains("on the CPU")),
                "the fallback is said: {notes:?}"
            );
        },
    );
}
