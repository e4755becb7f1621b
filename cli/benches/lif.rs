//! Criterion bench of W6 (the seed's LIF network, n = 2000) on the fast CPU path.
//! `GPUSCI_BENCH_QUICK=1` simulates 0.2 s instead of 2 s.

use criterion::{criterion_main, BenchmarkId, Criterion};
use gpusci::Executor;
use gpusci_cli::bench::network_workload;

fn lif(c: &mut Criterion) {
    let quick = std::env::var("GPUSCI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let workload = network_workload(quick).expect("the default network");
    let mut group = c.benchmark_group(workload.id());
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("cpu", workload.describe()), |b| {
        b.iter(|| workload.run(&Executor::Cpu).expect("cpu"));
    });
    group.finish();
}

#[allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]
mod group {
    use super::lif;
    criterion::criterion_group!(benches, lif);
}
use group::benches;
criterion_main!(benches);
