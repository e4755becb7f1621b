//! Criterion benches of W4 (convolution), W4b (rolling mean) and W5 (lag) on the CPU.
//! `GPUSCI_BENCH_QUICK=1` uses sizes 16x (W4, W5) and 10x (W4b) smaller.

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use gpusci::Executor;
use gpusci_cli::bench::{conv_workloads, rolling_workload};

fn conv(c: &mut Criterion) {
    let quick = std::env::var("GPUSCI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let mut workloads = conv_workloads(quick);
    workloads.push(rolling_workload(quick));
    for workload in workloads {
        let mut group = c.benchmark_group(workload.id());
        group.throughput(Throughput::Elements(workload.elements() as u64));
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("cpu", workload.describe()), |b| {
            b.iter(|| workload.run(&Executor::Cpu).expect("cpu"));
        });
        group.finish();
    }
}

#[allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]
mod group {
    use super::conv;
    criterion::criterion_group!(benches, conv);
}
use group::benches;
criterion_main!(benches);
