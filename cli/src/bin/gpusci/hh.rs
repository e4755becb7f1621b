//! `gpusci hh`: Hodgkin-Huxley neurons driven by Poisson spike trains, on the GPU (float32) or
//! the CPU (float64).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use gpusci::hh::HhParams;
use gpusci::io::write_npy;
use gpusci_cli::pictures::write_hh_trace;

use crate::{args, BackendArg, PrecisionArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Independent neurons, each with its own inputs.
    #[arg(long, default_value_t = 1)]
    neurons: u32,
    /// Excitatory inputs per neuron.
    #[arg(long, default_value_t = 80)]
    ex: u32,
    /// Inhibitory inputs per neuron.
    #[arg(long = "in", default_value_t = 20)]
    inh: u32,
    /// Firing rate of each input (Hz).
    #[arg(long, default_value = "10", allow_hyphen_values = true)]
    rate: String,
    /// Transmission probability of an input spike.
    #[arg(long, default_value = "0.5", allow_hyphen_values = true)]
    p: String,
    /// Inhibitory factor K.
    #[arg(long, default_value = "4", allow_hyphen_values = true)]
    k: String,
    /// Excitatory pulse size G_ex.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    g_ex: String,
    /// Applied current (uA/cm^2).
    #[arg(long, default_value = "3", allow_hyphen_values = true)]
    i_app: String,
    /// Time step (ms).
    #[arg(long, default_value = "0.01", allow_hyphen_values = true)]
    dt: String,
    /// Simulated time (ms).
    #[arg(long, default_value = "300", allow_hyphen_values = true)]
    t: String,
    /// Seed of the input draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Neuron 0's trace: (states, 4) float64 of V, m, h, n.
    #[arg(long, value_name = "TRACE.npy")]
    trace: Option<PathBuf>,
    /// Neuron 0's trace drawn as a picture: V above, m, h, n below.
    #[arg(long, value_name = "OUT.png")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    if args.neurons == 0 {
        bail!("invalid --neurons 0: at least one neuron");
    }
    let number = |flag: &str, text: &str| args::number(flag, text);
    let params = HhParams {
        rate: number("rate", &args.rate)?,
        p: number("p", &args.p)?,
        k: number("k", &args.k)?,
        g_ex: number("g-ex", &args.g_ex)?,
        i_app: number("i-app", &args.i_app)?,
        dt: number("dt", &args.dt)?,
        t: number("t", &args.t)?,
        n_ex: args.ex,
        n_in: args.inh,
        seed: args.seed,
        ..HhParams::default()
    };
    params.validate()?;
    let record = u32::from(args.trace.is_some() || args.plot.is_some());
    let exec = args.backend.executor()?;
    let start = Instant::now();
    let device = exec.device().with_precision(args.precision.parse()?);
    let runs = gpusci::hh::simulate(device, &params, args.neurons, record)?;
    let wall = start.elapsed().as_secs_f64();
    if let Some(trace) = runs[0].trace.as_ref() {
        if let Some(path) = &args.trace {
            write_npy(path, &trace.clone().into_dyn())?;
        }
        if let Some(path) = &args.plot {
            write_hh_trace(trace.view(), params.dt, path, 1200, 700)?;
        }
    }
    let spikes: usize = runs.iter().map(|r| r.spikes.len()).sum();
    let inputs: u64 = runs.iter().map(|r| r.inputs.0 + r.inputs.1).sum();
    let seconds = (params.states() - 1) as f64 * params.dt / 1000.0;
    println!(
        "{} neuron(s) x {} ms, {} + {} inputs at {} Hz: {spikes} spikes ({:.2} Hz mean), {inputs} input spikes transmitted",
        args.neurons,
        params.t,
        params.n_ex,
        params.n_in,
        params.rate,
        spikes as f64 / f64::from(args.neurons) / seconds
    );
    println!(
        "{} steps of {} ms in {} on {} ({})",
        params.states() - 1,
        params.dt,
        gpusci_cli::bench::format_seconds(wall),
        exec.describe(),
        if exec.gpu().is_some() && args.precision.parse()? != gpusci::Precision::Double {
            "float32"
        } else {
            "float64"
        }
    );
    Ok(())
}
