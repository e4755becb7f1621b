//! Hodgkin-Huxley neurons on every adapter against the CPU path: the same inputs (identical
//! draws), float32 traces and spike times close to the float64 ones.

use gpusci::hh::{cpu, gpu::HhGpu, HhParams};

/// float32 against float64 over the no-input run (one spike at about 2 ms, then rest): the
/// Euler step rounds V to about 1e-5 mV each step and the spike's steep flanks (up to ~500
/// mV/ms) magnify a tiny time difference; measured 0.0015 mV on lavapipe and llvmpipe.
const TRACE_MV: f64 = 0.01;
/// Spike times of regularly firing neurons drift apart by float32 rounding of each interval;
/// over 60 ms (3 to 6 spikes each) measured at most 1 step (0.01 ms).
const SPIKE_STEPS: i64 = 2;

fn check(gpu: &[cpu::HhNeuron], cpu: &[cpu::HhNeuron], what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: neurons");
    for (k, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert_eq!(
            g.inputs, c.inputs,
            "{what}: neuron {k} receives the same inputs"
        );
        assert_eq!(
            g.spikes.len(),
            c.spikes.len(),
            "{what}: neuron {k} spike count ({:?} vs {:?})",
            g.spikes,
            c.spikes
        );
        for (a, b) in g.spikes.iter().zip(&c.spikes) {
            assert!(
                (i64::from(*a) - i64::from(*b)).abs() <= SPIKE_STEPS,
                "{what}: neuron {k} spikes at {a} vs {b}"
            );
        }
    }
}

#[test]
fn gpu_neurons_follow_the_cpu_on_every_adapter() {
    let quiet = HhParams {
        n_ex: 0,
        n_in: 0,
        ..HhParams::default()
    };
    let cpu_quiet = cpu::simulate(&quiet, 1, 1).unwrap();
    let driven = HhParams {
        n_ex: 4000,
        n_in: 1000,
        i_app: 10.0,
        t: 60.0,
        seed: 9,
        ..HhParams::default()
    };
    let cpu_driven = cpu::simulate(&driven, 67, 0).unwrap();
    assert!(
        cpu_driven.iter().all(|r| r.spikes.len() >= 3),
        "I_app = 10 fires repetitively"
    );
    for binding in [None, Some(16 << 10)] {
        crate::common::for_each_adapter_with_limits(
            "gpu_neurons_follow_the_cpu_on_every_adapter",
            |limits| match binding {
                Some(bytes) => wgpu::Limits {
                    max_storage_buffer_binding_size: bytes,
                    ..limits
                },
                None => limits,
            },
            |ctx| {
                let hh = HhGpu::new(ctx).unwrap();
                let what = format!("binding {binding:?}");
                let quiet_gpu = hh.simulate(ctx, &quiet, 1, 1).unwrap();
                check(&quiet_gpu, &cpu_quiet, &what);
                let (g, c) = (
                    quiet_gpu[0].trace.as_ref().unwrap(),
                    cpu_quiet[0].trace.as_ref().unwrap(),
                );
                assert_eq!(g.dim(), c.dim(), "{what}: trace shape");
                let worst = g
                    .column(0)
                    .iter()
                    .zip(c.column(0))
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(worst <= TRACE_MV, "{what}: V off by {worst} mV");
                let driven_gpu = hh.simulate(ctx, &driven, 67, 0).unwrap();
                check(&driven_gpu, &cpu_driven, &what);
            },
        );
    }
}
