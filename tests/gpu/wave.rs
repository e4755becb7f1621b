//! The leapfrog wave solver: second-order convergence on the question's and the answer's test
//! problems (CPU and every adapter), GPU against CPU, energy conserved to the scheme's order,
//! bad parameters refused.

use gpusci::wave::{self, energy, Problem, Start, WaveParams};
use gpusci::Error;

/// The question's grid sizes: 50, 100, ..., 950.
fn sizes() -> Vec<usize> {
    (50..1000).step_by(50).collect()
}

/// The bound on the fitted order: 2 within 0.1.
const ORDER_TOL: f64 = 0.1;

fn check_order(exec: &gpusci::Device<'_>, problem: Problem, start: Start, what: &str) {
    let base = WaveParams {
        problem,
        start,
        ..WaveParams::new(0)
    };
    let study = wave::convergence(exec, &base, &sizes()).unwrap();
    eprintln!(
        "{what}: order p {:.3}, u {:.3}; errors at n=50 {:.2e}, n=950 {:.2e}",
        study.order_p, study.order_u, study.error_p[0], study.error_p[18]
    );
    assert!(
        (study.order_p - 2.0).abs() < ORDER_TOL,
        "{what}: order of p {}",
        study.order_p
    );
    assert!(
        (study.order_u - 2.0).abs() < ORDER_TOL,
        "{what}: order of u {}",
        study.order_u
    );
}

#[test]
fn second_order_on_both_problems_on_the_cpu() {
    for problem in [Problem::Question, Problem::Answer] {
        for start in [Start::Exact, Start::Taylor] {
            check_order(
                &gpusci::Device::Cpu,
                problem,
                start,
                &format!("cpu {problem:?} {start:?}"),
            );
        }
    }
}

/// Double-float states on the GPU against float64 on the CPU: the pairs carry about 48 bits,
/// so after ~700 steps the two differ by far less than the scheme's error (measured about
/// 1e-13 on lavapipe and llvmpipe; plain float32 was 1.3e-6).
const GPU_STATE_TOL: f64 = 1e-11;

#[test]
fn gpu_follows_the_cpu_and_converges_at_second_order() {
    crate::common::for_each_adapter("wave", |ctx| {
        let exec = crate::common::executor_on(ctx);
        for problem in [Problem::Question, Problem::Answer] {
            let params = WaveParams {
                problem,
                start: Start::Taylor,
                every: 50,
                ..WaveParams::new(101)
            };
            let cpu = wave::simulate(gpusci::Device::Cpu, &params).unwrap();
            let got = wave::simulate(exec, &params).unwrap();
            assert_eq!(got.steps, cpu.steps);
            assert_eq!(got.frames.len(), cpu.frames.len(), "frames");
            let worst = got
                .p
                .iter()
                .zip(&cpu.p)
                .chain(got.u.iter().zip(&cpu.u))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f64, f64::max);
            eprintln!("{problem:?}: GPU vs CPU {worst:.2e}");
            assert!(worst < GPU_STATE_TOL, "{problem:?}: {worst:.2e}");
            check_order(&exec, problem, Start::Exact, &format!("gpu {problem:?}"));
        }
    });
}

#[test]
fn energy_is_conserved_to_second_order() {
    let drift = |n: usize| {
        let params = WaveParams {
            problem: Problem::Answer,
            ..WaveParams::new(n)
        };
        let (p0, u0) = params.initial();
        let run = wave::simulate(gpusci::Device::Cpu, &params).unwrap();
        let (e0, e1) = (
            energy(&p0, &u0, params.dx()),
            energy(&run.p, &run.u, params.dx()),
        );
        ((e1 - e0) / e0).abs()
    };
    let (coarse, fine) = (drift(100), drift(200));
    eprintln!("energy drift: n=100 {coarse:.2e}, n=200 {fine:.2e}");
    assert!(coarse < 1e-2, "drift {coarse}");
    let order = (coarse / fine).log2();
    assert!(order > 1.8, "energy drift falls at order {order}");
}

#[test]
fn unstable_or_meaningless_parameters_are_refused() {
    for params in [
        WaveParams {
            cfl: 1.0,
            ..WaveParams::new(100)
        },
        WaveParams {
            cfl: f64::NAN,
            ..WaveParams::new(100)
        },
        WaveParams::new(2),
        WaveParams::new(wave::MAX_CELLS + 1),
        WaveParams {
            t: f64::INFINITY,
            ..WaveParams::new(100)
        },
    ] {
        assert!(
            matches!(
                wave::simulate(gpusci::Device::Cpu, &params),
                Err(Error::InvalidParam { .. })
            ),
            "{params:?}"
        );
    }
    assert!(matches!(
        wave::convergence(gpusci::Device::Cpu, &WaveParams::new(10), &[100]),
        Err(Error::InvalidParam { .. })
    ));
}
