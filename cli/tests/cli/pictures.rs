//! The CLI's pictures: axes labelled (ink in the margins where tick labels go), every spike
//! kept when many steps share a pixel column, and bad sizes or data refused with nothing
//! written.

use std::path::Path;

use gpusci::lif::{LifParams, LifRun, Network, NetworkParams};
use gpusci::Error;
use gpusci_cli::pictures::{
    envelope, write_hh_trace, write_loglog_convergence, write_raster, write_traces,
};
use ndarray::Array2;

/// Dark pixels (all channels below 128: text and axes, not the white page) in the rectangle
/// of columns `x` and rows `y`.
fn ink(path: &Path, x: std::ops::Range<usize>, y: std::ops::Range<usize>) -> usize {
    let (width, _, rgba) = crate::common::decode_png(path);
    let width = width as usize;
    let mut count = 0;
    for row in y {
        for col in x.clone() {
            let p = &rgba[(row * width + col) * 4..][..3];
            count += usize::from(p.iter().all(|&c| c < 128));
        }
    }
    count
}

fn small_run() -> LifRun {
    let network = Network::draw(&NetworkParams {
        n: 300,
        ..NetworkParams::default()
    })
    .unwrap();
    let params = LifParams {
        t: 0.1,
        ..LifParams::default()
    };
    let run = gpusci::lif::simulate(&gpusci::Executor::Cpu, &[(network.into(), params)], |_| {})
        .unwrap()
        .runs
        .remove(0);
    assert!(!run.spikes.is_empty());
    run
}

#[test]
fn pictures_have_labelled_axes_and_titles() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run();
    let raster = dir.path().join("raster.png");
    write_raster(&run, &raster, 600, 400).unwrap();
    let traces = dir.path().join("traces.png");
    write_traces(&run, 3, &traces, 600, 300).unwrap();
    let mut hh = Array2::<f64>::zeros((500, 4));
    for s in 0..500 {
        hh[[s, 0]] = -65.0 + if s % 100 == 50 { 100.0 } else { 0.0 };
        hh[[s, 1]] = 0.05;
        hh[[s, 2]] = 0.6;
        hh[[s, 3]] = 0.3;
    }
    let hh_png = dir.path().join("hh.png");
    write_hh_trace(hh.view(), 0.01, &hh_png, 600, 400).unwrap();
    let conv = dir.path().join("conv.png");
    write_loglog_convergence(
        &conv,
        &[50, 100, 200, 400],
        &[1e-2, 2.5e-3, 6.25e-4, 1.6e-4],
        &[1e-2, 2.5e-3, 6.25e-4, 1.6e-4],
        (600, 400),
    )
    .unwrap();
    for (path, height) in [(&raster, 400), (&traces, 300), (&hh_png, 400), (&conv, 400)] {
        let (w, h, _) = crate::common::decode_png(path);
        assert_eq!((w, h), (600, height as u32), "{}", path.display());
        // Tick labels and the y axis's title left of the plot, the x axis's numbers below it,
        // the title above it.
        assert!(
            ink(path, 0..40, 40..height - 40) > 50,
            "{}: y labels",
            path.display()
        );
        assert!(
            ink(path, 100..500, height - 30..height) > 50,
            "{}: x labels",
            path.display()
        );
        assert!(ink(path, 100..500, 0..20) > 50, "{}: title", path.display());
    }
}

#[test]
fn envelopes_keep_every_spike_however_many_steps_share_a_column() {
    let len = 100_003;
    let value = |s: usize| match s {
        77_777 => 30.0,
        12_345 => -90.0,
        _ => -65.0,
    };
    let line = envelope(len, 100, |s| s as f64, value);
    assert!(line.len() <= 200);
    assert!(line.contains(&(77_777.0, 30.0)), "the spike's peak");
    assert!(line.contains(&(12_345.0, -90.0)), "the trough");
    assert!(line.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    // Short series are drawn as they are.
    assert_eq!(envelope(5, 100, |s| s as f64, |s| s as f64).len(), 5);
}

#[test]
fn bad_sizes_and_data_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run();
    let path = dir.path().join("no.png");
    let param = |r: gpusci::Result<()>| matches!(r, Err(Error::InvalidParam { .. }));
    assert!(param(write_raster(&run, &path, 20, 400)));
    assert!(param(write_raster(&run, &path, 600, 100_000)));
    assert!(param(write_traces(&run, 0, &path, 600, 400)));
    assert!(param(write_hh_trace(
        Array2::<f64>::zeros((10, 3)).view(),
        0.01,
        &path,
        600,
        400
    )));
    assert!(param(write_hh_trace(
        Array2::<f64>::zeros((10, 4)).view(),
        0.0,
        &path,
        600,
        400
    )));
    assert!(param(write_loglog_convergence(
        &path,
        &[10, 20],
        &[1e-2, 0.0],
        &[1e-2, 1e-3],
        (600, 400)
    )));
    assert!(param(write_loglog_convergence(
        &path,
        &[10],
        &[1e-2],
        &[1e-2],
        (600, 400)
    )));
    assert!(!path.exists(), "nothing written");
}
