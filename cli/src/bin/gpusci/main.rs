//! `gpusci`: the command-line face of the crate. One file per subcommand; README.md's
//! "Command line" section describes them. Errors are one line on stderr and a non-zero exit;
//! nothing is written on failure.

mod animate;
mod args;
mod bench;
mod blur;
mod conv;
mod crossings;
mod demo;
mod density;
mod heatmap;
mod hh;
mod info;
mod lif;
mod progress;
mod wave;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gpusci::{Backend, Executor};

/// NumPy/SciPy answers, fast on the GPU.
#[derive(Debug, Parser)]
#[command(name = "gpusci", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Adapters found, their limits and which one `--backend auto` picks.
    Info(info::Args),
    /// scipy.ndimage.gaussian_filter (2-D input) or gaussian_filter1d (1-D input) of a .npy file.
    Blur(blur::Args),
    /// numpy.histogram2d of a point set (.npy or CSV) into a float64 .npy grid.
    Density(density::Args),
    /// Points (.npy or CSV) -> binned, blurred, scaled and coloured PNG.
    Heatmap(heatmap::Args),
    /// A balanced LIF network (Nicola & Clopath 2017; one, or a batch): spikes, voltages, raster.
    Lif(Box<lif::Args>),
    /// Hodgkin-Huxley neurons driven by Poisson spike trains (forward Euler, many neurons).
    Hh(Box<hh::Args>),
    /// numpy.convolve(a, v, mode) of two 1-D .npy signals (scipy.signal.convolve for 2-D).
    Convolve(conv::Args),
    /// scipy.signal.correlate(a, v, mode) of two 1-D (or two 2-D) .npy arrays.
    Correlate(conv::Args),
    /// The lag of b against a: correlation_lags(...)[argmax(correlate(a, b, 'full'))].
    Lag(conv::LagArgs),
    /// Threshold crossings of a signal (np.argwhere(np.diff(x > T, prepend=False))).
    Crossings(crossings::Args),
    /// Animations (GIF, or MP4 through ffmpeg): points over time, a spiking run, a 1-D field.
    Animate(animate::Args),
    /// The leapfrog wave solver (periodic, staggered): one run or a convergence study.
    Wave(wave::Args),
    /// GPU vs CPU table of the standard workloads.
    Bench(bench::Args),
    /// Runs the main job on built-in data: pictures and a timing table.
    Demo(demo::Args),
}

/// `--backend auto|gpu|cpu`, shared by every subcommand.
#[derive(Debug, clap::Args)]
struct BackendArg {
    /// Where to compute: auto (a hardware GPU if present, else the CPU), gpu or cpu.
    #[arg(long, default_value = "auto", value_name = "auto|gpu|cpu")]
    backend: String,
}

impl BackendArg {
    fn parse(&self) -> anyhow::Result<Backend> {
        self.backend.parse::<Backend>().map_err(anyhow::Error::msg)
    }

    fn executor(&self) -> anyhow::Result<Executor> {
        Ok(Executor::select(self.parse()?)?)
    }
}

/// `--precision single|double|auto`, for the subcommands that take float64 input on a GPU.
#[derive(Debug, clap::Args)]
struct PrecisionArg {
    /// How float64 input is computed on a GPU: double (float64 accuracy: native float64 where
    /// the adapter has it, else double-float), single (float32: faster, relative error about
    /// 1e-6 for blurs and direct sums, 5e-7 (log2 n + 1) for FFTs) or auto (= double). float32
    /// input is computed in float32; the CPU always computes float64 in float64.
    #[arg(long, default_value = "auto", value_name = "single|double|auto")]
    precision: String,
}

impl PrecisionArg {
    fn parse(&self) -> anyhow::Result<gpusci::Precision> {
        Ok(self.precision.parse::<gpusci::Precision>()?)
    }
}

/// Mesa's Vulkan driver (lavapipe) reaches libwayland-client while its devices are enumerated,
/// and libwayland prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment."
/// on every probe when the variable is missing, as on cluster nodes, containers and CI. It only
/// checks that the variable is an absolute path (then finds no compositor there, quietly), so
/// an unset or relative value is replaced by the temporary directory before any thread starts.
fn quiet_headless_wayland_probe() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR")
        .is_some_and(|dir| std::path::Path::new(&dir).is_absolute());
    if !valid {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
}

fn main() -> ExitCode {
    quiet_headless_wayland_probe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = error.print();
                return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line, as every other error: clap's text up to its usage hint, joined.
            let text = error.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .take_while(|line| {
                    !line.starts_with("Usage:") && !line.starts_with("For more information")
                })
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect();
            eprintln!(
                "gpusci: {}",
                message.join(" ").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    // A part of a GPU request that must run on the CPU says so, on stderr (the library never
    // prints; stdout keeps each command's contract).
    gpusci::gpu::set_cpu_fallback_hook(Some(std::sync::Arc::new(|note: &str| {
        eprintln!("gpusci: note: {note}");
    })));
    let result = match cli.command {
        Command::Info(args) => info::run(args),
        Command::Blur(args) => blur::run(args),
        Command::Density(args) => density::run(args),
        Command::Heatmap(args) => heatmap::run(args),
        Command::Lif(args) => lif::run(*args),
        Command::Hh(args) => hh::run(*args),
        Command::Crossings(args) => crossings::run(args),
        Command::Convolve(args) => conv::run(args, false),
        Command::Correlate(args) => conv::run(args, true),
        Command::Lag(args) => conv::run_lag(args),
        Command::Animate(args) => animate::run(args),
        Command::Wave(args) => wave::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes, each said once: gpusci's errors already include their
            // source's text (`path: OS message`).
            let mut message = String::new();
            for cause in error.chain() {
                let text = cause.to_string();
                if !message.contains(&text) {
                    if !message.is_empty() {
                        message.push_str(": ");
                    }
                    message.push_str(&text);
                }
            }
            let message = message.replace('\n', " ");
            eprintln!("gpusci: error: {message}");
            ExitCode::FAILURE
        }
    }
}
