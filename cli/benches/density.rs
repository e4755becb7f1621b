//! Criterion benches of W2 (density) and W3 (heatmap end to end), CPU and GPU side by side.
//! GPU iterations include upload and read-back. `GPUSCI_BENCH_QUICK=1` uses 10^6 points.

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use gpusci::{Backend, Executor};
use gpusci_cli::bench::density_workloads;

fn density(c: &mut Criterion) {
    let quick = std::env::var("GPUSCI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let gpu = Executor::select(Backend::Gpu).ok();
    for workload in density_workloads(quick) {
        let mut group = c.benchmark_group(workload.id());
        group.throughput(Throughput::Elements(workload.elements() as u64));
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("cpu", workload.describe()), |b| {
            b.iter(|| workload.run(&Executor::Cpu).expect("cpu"));
        });
        if let Some(exec) = &gpu {
            let name = format!("gpu {}", exec.describe());
            group.bench_function(BenchmarkId::new(name, workload.describe()), |b| {
                b.iter(|| workload.run(exec).expect("gpu"));
            });
        }
        group.finish();
    }
}

#[allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]
mod group {
    use super::density;
    criterion::criterion_group!(benches, density);
}
use group::benches;
criterion_main!(benches);
