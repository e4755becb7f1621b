//! Criterion benches of the FFT: rustfft (float64, the CPU twin) and the WGSL FFT on the first
//! adapter found (float32, resident on the device: no transfers), complex, 2^16 and 2^20
//! points. `GPUSCI_BENCH_QUICK=1` keeps 2^16 only. Software adapters are not GPU speed.

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use gpusci::fft::{cpu, gpu::FftGpu, Complex};
use gpusci::gpu::open_all_adapters;

fn fft(c: &mut Criterion) {
    let quick = std::env::var("GPUSCI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let sizes: &[usize] = if quick {
        &[1 << 16]
    } else {
        &[1 << 16, 1 << 20]
    };
    let gpu = open_all_adapters()
        .into_iter()
        .find_map(|(summary, ctx)| ctx.ok().map(|ctx| (summary.name, ctx)));
    let mut group = c.benchmark_group("fft");
    group.sample_size(10);
    for &n in sizes {
        group.throughput(Throughput::Elements(n as u64));
        let mut data: Vec<Complex<f64>> = (0..n)
            .map(|i| Complex::new((i % 7) as f64, (i % 5) as f64))
            .collect();
        group.bench_function(BenchmarkId::new("cpu rustfft f64", n), |b| {
            b.iter(|| cpu::fft_rows(&mut data, n, false).expect("fft"));
        });
        if let Some((name, ctx)) = &gpu {
            let fft = FftGpu::<f32>::new(ctx).expect("pipelines");
            group.bench_function(BenchmarkId::new(format!("gpu {name} resident"), n), |b| {
                b.iter_custom(|iters| {
                    fft.time_resident(ctx, n, 1, iters as usize).expect("fft") * iters as u32
                });
            });
        }
    }
    group.finish();
}

#[allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]
mod group {
    use super::fft;
    criterion::criterion_group!(benches, fft);
}
use group::benches;
criterion_main!(benches);
