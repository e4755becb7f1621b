//! The WGSL FFT on every adapter against rustfft / realfft in float64: complex transforms of
//! every length from 1 to 1024 and large ones of each kind (powers of two to 2^20, mixed radix,
//! primes through Bluestein), batched rows, rows split across bindings, forward-inverse round
//! trips, the real-input paths and 2-D transforms, all held to one bound that grows as log n.

use gpusci::fft::gpu::{FftGpu, LOCAL_MAX};
use gpusci::fft::{cpu, Complex};
use gpusci::{Error, GpuContext};
use rand::{Rng, SeedableRng};

/// The bound: relative L2 error against float64 under 1e-5 at 2^20 points. Float32
/// rounding adds about one unit (6e-8) of relative error per pass in RMS terms; the bound
/// below scales with the number of radix stages (log2 n) so small sizes are held tighter:
/// 4.5e-7 per doubling, 1e-5 at 2^20 (measured 1.7e-7 at 2^20 on lavapipe and llvmpipe).
fn bound(n: usize) -> f64 {
    let stages = (n.max(2) as f64).log2();
    (4.5e-7 * (stages + 1.0)).clamp(1e-6, 1e-5)
}

fn random_complex(len: usize, seed: u64) -> Vec<Complex<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| Complex::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
        .collect()
}

fn single(x: &[Complex<f64>]) -> Vec<Complex<f32>> {
    x.iter()
        .map(|c| Complex::new(c.re as f32, c.im as f32))
        .collect()
}

/// The float32-rounded input in float64, so the reference sees exactly what the GPU saw.
fn widened(x: &[Complex<f32>]) -> Vec<Complex<f64>> {
    x.iter()
        .map(|c| Complex::new(f64::from(c.re), f64::from(c.im)))
        .collect()
}

/// ||gpu - reference|| / ||reference|| over `rows` rows separately; the worst row.
fn relative_l2(gpu: &[Complex<f32>], reference: &[Complex<f64>], row: usize) -> f64 {
    assert_eq!(gpu.len(), reference.len());
    gpu.chunks(row)
        .zip(reference.chunks(row))
        .map(|(g, r)| {
            let err: f64 = g
                .iter()
                .zip(r)
                .map(|(g, r)| {
                    let d = Complex::new(f64::from(g.re), f64::from(g.im)) - r;
                    d.norm_sqr()
                })
                .sum();
            let norm: f64 = r.iter().map(|r| r.norm_sqr()).sum();
            (err / norm.max(f64::MIN_POSITIVE)).sqrt()
        })
        .fold(0.0, f64::max)
}

fn check_c2c(ctx: &GpuContext, fft: &FftGpu, n: usize, rows: usize, seed: u64) {
    let input = single(&random_complex(n * rows, seed));
    for inverse in [false, true] {
        let gpu = fft.fft(ctx, &input, n, inverse).unwrap();
        let mut reference = widened(&input);
        cpu::fft_rows(&mut reference, n, inverse).unwrap();
        let err = relative_l2(&gpu, &reference, n);
        eprintln!("c2c n={n} rows={rows} inverse={inverse}: {err:.2e}");
        assert!(
            err < bound(n),
            "c2c n={n} rows={rows} inverse={inverse}: relative L2 {err:.2e} over {:.1e}",
            bound(n)
        );
    }
}

#[test]
fn complex_transforms_match_rustfft_at_every_size() {
    crate::common::for_each_adapter("fft c2c", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        for (i, n) in [1usize, 2, 4, 8, 64, LOCAL_MAX, 4096, 1 << 16, 1 << 20]
            .into_iter()
            .enumerate()
        {
            check_c2c(ctx, &fft, n, 1, i as u64);
        }
    });
}

/// realfft's length sweep, on the GPU: every length from 1 to 1024 (powers of two, the
/// mixed-radix products of 2, 3, 5, 7, 11 and 13, and through Bluestein every length with a
/// larger prime factor), two rows each, forward and inverse, held to the same bound as the
/// powers of two.
#[test]
fn every_length_from_1_to_1024_matches_rustfft() {
    crate::common::for_each_adapter("fft length sweep", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        let mut worst = (0.0f64, 0usize);
        for n in 1..=1024usize {
            let input = single(&random_complex(2 * n, n as u64));
            for inverse in [false, true] {
                let gpu = fft.fft(ctx, &input, n, inverse).unwrap();
                let mut reference = widened(&input);
                cpu::fft_rows(&mut reference, n, inverse).unwrap();
                let err = relative_l2(&gpu, &reference, n);
                assert!(
                    err < bound(n),
                    "n={n} inverse={inverse}: relative L2 {err:.2e} over {:.1e}",
                    bound(n)
                );
                if err / bound(n) > worst.0 {
                    worst = (err / bound(n), n);
                }
            }
        }
        eprintln!(
            "length sweep: worst error {:.2} of the bound, at n = {}",
            worst.0, worst.1
        );
    });
}

/// Large lengths of each kind: primes (Bluestein), 2^k 3^m, 10^6 (2^6 5^6), 7 and 13 smooth.
#[test]
fn large_lengths_of_every_kind_match_rustfft() {
    crate::common::for_each_adapter("fft large lengths", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        for (i, n) in [65_537usize, 999_983, 248_832, 1_000_000, 823_543, 371_293]
            .into_iter()
            .enumerate()
        {
            check_c2c(ctx, &fft, n, 1, 300 + i as u64);
        }
    });
}

#[test]
fn batched_rows_are_independent_transforms() {
    crate::common::for_each_adapter("fft batched", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        check_c2c(ctx, &fft, 1, 5, 10);
        check_c2c(ctx, &fft, 64, 7, 11);
        check_c2c(ctx, &fft, 512, 129, 12);
        check_c2c(ctx, &fft, 8192, 3, 13);
    });
}

#[test]
fn batches_past_one_binding_run_in_whole_rows() {
    // 64 KiB bindings hold 2 rows of 4096 complex values: 5 rows take 3 submissions; one row
    // of 16,384 points (128 KiB) cannot be split and is a typed error.
    crate::common::for_each_adapter_with_limits(
        "fft chunked",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            let fft = FftGpu::new(ctx).unwrap();
            check_c2c(ctx, &fft, 4096, 5, 20);
            let x = single(&random_complex(5 * 2048, 21));
            let real: Vec<f32> = x.iter().map(|c| c.re).collect();
            let gpu = fft.rfft(ctx, &real, 2048).unwrap();
            let reference = cpu::rfft_rows(
                &real.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                2048,
            )
            .unwrap();
            assert!(relative_l2(&gpu, &reference, 1025) < bound(2048));
            // Mixed radix (3000 = 2^3 3 5^3) and Bluestein (2039 is prime: 4096 padded points,
            // 32 KiB a row) past the binding: whole rows per submission.
            check_c2c(ctx, &fft, 3000, 5, 23);
            check_c2c(ctx, &fft, 2039, 5, 24);
            let big = single(&random_complex(1 << 14, 22));
            assert!(matches!(
                fft.fft(ctx, &big, 1 << 14, false),
                Err(Error::ExceedsLimit { .. })
            ));
            // A prime row whose Bluestein padding (16,384 points) is past the binding.
            let prime = single(&random_complex(4099, 25));
            assert!(matches!(
                fft.fft(ctx, &prime, 4099, false),
                Err(Error::ExceedsLimit { .. })
            ));
            // The router takes it on the CPU instead, and says so.
            let (routed, notes) = crate::common::capture_cpu_notes(|| {
                gpusci::fft::fft_rows(crate::common::executor_on(ctx), &prime, 4099, false)
            });
            let mut reference = widened(&prime);
            cpu::fft_rows(&mut reference, 4099, false).unwrap();
            assert!(relative_l2(&routed.unwrap(), &reference, 4099) < bound(4099));
            assert!(notes.iter().any(|n| n.starts_with("fft:")), "{notes:?}");
        },
    );
}

#[test]
fn forward_then_inverse_returns_the_input() {
    crate::common::for_each_adapter("fft round trip", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        for (n, rows) in [(2usize, 3usize), (1024, 2), (1 << 16, 1), (1 << 20, 1)] {
            let x = single(&random_complex(n * rows, n as u64));
            let back = fft
                .fft(ctx, &fft.fft(ctx, &x, n, false).unwrap(), n, true)
                .unwrap();
            let err = relative_l2(&back, &widened(&x), n);
            assert!(err < 2.0 * bound(n), "round trip n={n}: {err:.2e}");
        }
    });
}

#[test]
fn real_transforms_match_realfft() {
    crate::common::for_each_adapter("fft real", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        let odd_lengths = (1..=40usize).chain([97, 100, 127, 360, 1000, 2039, 99_991]);
        for (n, rows) in [
            (2usize, 1usize),
            (4, 3),
            (64, 5),
            (4096, 2),
            (1 << 16, 1),
            (1 << 20, 1),
        ]
        .into_iter()
        .chain(odd_lengths.map(|n| (n, 2)))
        {
            let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64 + 7);
            let x: Vec<f32> = (0..n * rows).map(|_| rng.random_range(-1.0..1.0)).collect();
            let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let spectrum = fft.rfft(ctx, &x, n).unwrap();
            let reference = cpu::rfft_rows(&wide, n).unwrap();
            let err = relative_l2(&spectrum, &reference, n / 2 + 1);
            eprintln!("rfft n={n}: {err:.2e}");
            assert!(err < bound(n), "rfft n={n} rows={rows}: {err:.2e}");
            // irfft of the exact spectrum against NumPy's irfft (realfft's, scaled).
            let exact: Vec<Complex<f32>> = reference
                .iter()
                .map(|c| Complex::new(c.re as f32, c.im as f32))
                .collect();
            let back = fft.irfft(ctx, &exact, n).unwrap();
            let expected = cpu::irfft_rows(&widened(&exact), n).unwrap();
            let err = relative_l2(
                &back
                    .iter()
                    .map(|&v| Complex::new(v, 0.0))
                    .collect::<Vec<_>>(),
                &expected
                    .iter()
                    .map(|&v| Complex::new(v, 0.0))
                    .collect::<Vec<_>>(),
                n,
            );
            eprintln!("irfft n={n}: {err:.2e}");
            assert!(err < bound(n), "irfft n={n} rows={rows}: {err:.2e}");
        }
        assert!(matches!(
            fft.rfft(ctx, &[1.0], 0),
            Err(Error::InvalidParam { .. })
        ));
    });
}

#[test]
fn two_dimensional_transforms_match_rustfft() {
    crate::common::for_each_adapter("fft 2-D", |ctx| {
        let fft = FftGpu::new(ctx).unwrap();
        for (rows, cols) in [
            (1usize, 8usize),
            (8, 1),
            (32, 64),
            (16, 4096),
            (4096, 4),
            (3, 5),
            (1, 13),
            (100, 1),
            (17, 19),
            (97, 64),
            (60, 210),
        ] {
            let x = single(&random_complex(rows * cols, (rows * cols) as u64));
            for inverse in [false, true] {
                let gpu = fft.fft2(ctx, &x, rows, cols, inverse).unwrap();
                let mut reference = widened(&x);
                cpu::fft2(&mut reference, rows, cols, inverse).unwrap();
                let err = relative_l2(&gpu, &reference, rows * cols);
                assert!(
                    err < bound(rows * cols),
                    "fft2 {rows}x{cols} inverse={inverse}: {err:.2e}"
                );
            }
        }
    });
}

/// The routers on the GPU against NumPy's values: `n` cut and padded (prime and mixed-radix
/// lengths), `axis`, `norm`, real transforms of odd and even lengths, `fftn` with `s` and
/// `axes`; float32 and float64 input (both computed in float32: `Precision::Single`), within the bound
/// of the longest transform's length.
#[test]
fn routers_match_numpy_for_n_axis_norm_on_every_adapter() {
    let cases = crate::common::manifest("fft")["cases"]
        .as_array()
        .unwrap()
        .clone();
    crate::common::for_each_adapter("fft routers", |ctx| {
        for case in &cases {
            for single in [false, true] {
                let (got, expected) = crate::common::run_fft_case(
                    crate::common::executor_on(ctx).with_precision(gpusci::Precision::Single),
                    case,
                    single,
                );
                assert_eq!(got.shape(), expected.shape(), "{}", case["name"]);
                let err: f64 = got
                    .iter()
                    .zip(&expected)
                    .map(|(a, b)| (a - b).norm_sqr())
                    .sum::<f64>()
                    .sqrt()
                    / expected
                        .iter()
                        .map(|b| b.norm_sqr())
                        .sum::<f64>()
                        .sqrt()
                        .max(f64::MIN_POSITIVE);
                // The fixtures' longest transform is 17 points; float32 input adds its own
                // rounding (6e-8), inside the bound's floor.
                assert!(
                    err < bound(17),
                    "{} single={single}: {err:.2e}",
                    case["name"]
                );
            }
        }
    });
}
