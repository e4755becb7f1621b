//! Criterion benches of the blur workloads (W1, W1b, W7 of BENCHMARKS.md), CPU and GPU side
//! by side. GPU iterations include upload and read-back. `GPUSCI_BENCH_QUICK=1` shrinks the
//! sizes so CI can smoke-run them; the GPU is the adapter `--backend gpu` would pick
//! (`GPUSCI_ADAPTER` chooses another), skipped when there is none.

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use gpusci::blur::gpu::BlurGpu;
use gpusci::{Backend, Executor};
use gpusci_cli::bench::blur_workloads;

fn blur(c: &mut Criterion) {
    let quick = std::env::var("GPUSCI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let gpu = Executor::select(Backend::Gpu).ok();
    for workload in blur_workloads(quick) {
        let mut group = c.benchmark_group(workload.id());
        let elements = workload.elements();
        group.throughput(Throughput::Elements(elements as u64));
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("cpu", workload.describe()), |b| {
            b.iter(|| workload.run_cpu().expect("cpu blur"));
        });
        if let Some(ctx) = gpu.as_ref().and_then(Executor::gpu) {
            let pipelines = BlurGpu::new(ctx).expect("pipelines");
            group.bench_function(
                BenchmarkId::new(format!("gpu {}", ctx.describe()), workload.describe()),
                |b| {
                    b.iter(|| workload.run_gpu(ctx, &pipelines).expect("gpu blur"));
                },
            );
        }
        group.finish();
    }
}

#[allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]
mod group {
    use super::blur;
    criterion::criterion_group!(benches, blur);
}
use group::benches;
criterion_main!(benches);
