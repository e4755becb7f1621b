//! `gpusci wave`: the leapfrog solver of the 1-D acoustic system with periodic boundaries
//! (`gpusci::wave`), one run or a convergence study, with an animation and a log-log plot.

use std::path::PathBuf;

use anyhow::bail;
use gpusci::wave::{self, Problem, Start, WaveParams};
use gpusci_cli::animate::{line_animation, LineAxes};
use gpusci_cli::pictures::write_loglog_convergence;

use crate::{args, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Grid cells over the unit period (one run).
    #[arg(long, default_value_t = 200)]
    n: usize,
    /// CFL number dt/dx, below 1 (leapfrog is unstable at 1 and above).
    #[arg(long, default_value = "0.3")]
    cfl: String,
    /// End time.
    #[arg(long, default_value = "2")]
    t: String,
    /// Test problem: question (p0 = cos 2 pi x, u0 = -cos 2 pi x) or answer (f = cos 2 pi x,
    /// g = 2 sin 6 pi x), named after the published convergence test that posed the first and
    /// the answer to it that proposed the second.
    #[arg(long, default_value = "question")]
    problem: String,
    /// How u starts half a step ahead: exact or taylor.
    #[arg(long, default_value = "exact")]
    start: String,
    /// A convergence study over --sizes instead of one run.
    #[arg(long)]
    convergence: bool,
    /// Grid sizes of the study: FIRST:END:STEP (END excluded) or a comma list.
    #[arg(long, default_value = "50:1000:50")]
    sizes: String,
    /// The study's errors against n on log-log axes (PNG).
    #[arg(long, value_name = "PLOT.png")]
    plot: Option<PathBuf>,
    /// One run: animate p over time (GIF, or MP4 through ffmpeg).
    #[arg(long, value_name = "OUT.gif")]
    gif: Option<PathBuf>,
    /// Frames of the animation.
    #[arg(long, default_value_t = 100)]
    frames: usize,
    #[command(flatten)]
    backend: BackendArg,
}

fn sizes(text: &str) -> anyhow::Result<Vec<usize>> {
    let parse = |s: &str| -> anyhow::Result<usize> {
        s.trim()
            .parse::<usize>()
            .map_err(|_| anyhow::anyhow!("invalid --sizes entry '{s}'"))
    };
    let parts: Vec<&str> = text.split(':').collect();
    let list = if parts.len() == 3 {
        let (first, end, step) = (parse(parts[0])?, parse(parts[1])?, parse(parts[2])?);
        if step == 0 {
            bail!("invalid --sizes {text}: the step is 0");
        }
        (first..end).step_by(step).collect()
    } else {
        text.split(',')
            .map(parse)
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    Ok(list)
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    // The same rule as `gpusci animate --frames`, before any work is done.
    if args.frames == 0 {
        anyhow::bail!("invalid --frames 0: at least 1");
    }
    let exec = args.backend.executor()?;
    let base = WaveParams {
        n: args.n,
        cfl: args::number("cfl", &args.cfl)?,
        t: args::number("t", &args.t)?,
        problem: args.problem.parse::<Problem>()?,
        start: args.start.parse::<Start>()?,
        every: 0,
    };
    if args.convergence {
        let sizes = sizes(&args.sizes)?;
        let study = wave::convergence(&exec, &base, &sizes)?;
        println!("{:>6} {:>12} {:>12}", "n", "error p", "error u");
        for (i, n) in study.n.iter().enumerate() {
            println!(
                "{n:>6} {:>12.4e} {:>12.4e}",
                study.error_p[i], study.error_u[i]
            );
        }
        if let Some(path) = &args.plot {
            write_loglog_convergence(path, &study.n, &study.error_p, &study.error_u, (800, 500))?;
            println!("log-log plot -> {}", path.display());
        }
        println!(
            "fitted order: p {:.3}, u {:.3} (L2 errors scaled by sqrt(dx), CFL {}, T {})",
            study.order_p, study.order_u, base.cfl, base.t
        );
        return Ok(());
    }
    base.validate()?;
    let every = (base.steps() / args.frames.max(1)).max(1);
    let params = WaveParams {
        every: if args.gif.is_some() { every } else { 0 },
        ..base
    };
    let run = wave::simulate(&exec, &params)?;
    let (ep, eu) = run.errors(&params);
    println!(
        "n {} cells, {} steps of dt {:.4e}: L2 error p {ep:.4e}, u {eu:.4e}",
        params.n, run.steps, run.dt
    );
    if let Some(path) = &args.gif {
        let axes = LineAxes::wave(params.n, params.every as f64 * run.dt);
        let mut animation = line_animation(&run.frames, &axes, (640, 360), 30.0)?;
        crate::animate::save(&mut animation, path, Some(args.frames + 1))?;
    }
    Ok(())
}
