//! Cancelling runs (`gpusci::cancel`): it stops every run of the process, so it has a test
//! binary of its own, where it cannot stop another test's run.

use gpusci::lif::{LifParams, Network, NetworkParams};

/// A long run stops at its next block when cancelled (Ctrl-C in Python); later runs are not
/// affected.
#[test]
fn cancelled_runs_stop_between_blocks() {
    let network = Network::draw(&NetworkParams {
        n: 300,
        ..NetworkParams::default()
    })
    .unwrap();
    let long = LifParams {
        t: 1000.0,
        nrec: 0,
        ..LifParams::default()
    };
    let started = std::time::Instant::now();
    let run = std::thread::scope(|scope| {
        let worker = scope.spawn(|| on_cpu(&network, &long));
        std::thread::sleep(std::time::Duration::from_millis(200));
        gpusci::cancel::cancel_running();
        worker.join().unwrap()
    });
    assert!(matches!(run, Err(gpusci::Error::Cancelled)), "{run:?}");
    assert!(
        started.elapsed().as_secs() < 30,
        "stopped at a block boundary"
    );
    let short = LifParams {
        t: 0.01,
        ..LifParams::default()
    };
    assert!(on_cpu(&network, &short).is_ok(), "later runs go on");
}

/// One network on the CPU through the library's router.
fn on_cpu(network: &Network, params: &LifParams) -> gpusci::Result<gpusci::lif::LifRun> {
    let batch = [(network.clone().into(), params.clone())];
    Ok(
        gpusci::lif::simulate(&gpusci::Executor::Cpu, &batch, |_| {})?
            .runs
            .remove(0),
    )
}
