//! The float64 leapfrog, the question's update written with periodic neighbours.

use super::{WaveParams, WaveRun};

/// Runs `params` (validated by the caller) in float64.
pub fn simulate(params: &WaveParams) -> WaveRun {
    let (mut p, mut u) = params.initial();
    let (n, steps, dt) = (params.n, params.steps(), params.dt());
    let c = dt / params.dx();
    let mut frames = Vec::new();
    let keep = |p: &[f64], frames: &mut Vec<Vec<f32>>| {
        frames.push(p.iter().map(|&v| v as f32).collect());
    };
    if params.every > 0 {
        keep(&p, &mut frames);
    }
    for step in 1..=steps {
        // p_j += c (u_{j-1} - u_j), u_{-1} = u_{n-1}.
        let last = u[n - 1];
        for j in (1..n).rev() {
            p[j] += c * (u[j - 1] - u[j]);
        }
        p[0] += c * (last - u[0]);
        // u_j += c (p_j - p_{j+1}), p_n = p_0.
        let first = p[0];
        for j in 0..n - 1 {
            u[j] += c * (p[j] - p[j + 1]);
        }
        u[n - 1] += c * (p[n - 1] - first);
        if params.every > 0 && step % params.every == 0 {
            keep(&p, &mut frames);
        }
    }
    WaveRun {
        p,
        u,
        frames,
        steps,
        dt,
    }
}
