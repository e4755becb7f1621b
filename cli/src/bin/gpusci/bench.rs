//! `gpusci bench [--quick] [--json] [--fft] [--extended]`: the standard workloads on every
//! backend present (and, with `--fft`, a large complex FFT; with `--extended`, a 3-D blur and
//! an 8192 x 8192 heatmap).

use gpusci_cli::bench::{format_table, run_all, BenchOptions};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{BackendArg, PrecisionArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Small sizes and few runs (a smoke test, not figures to quote).
    #[arg(long)]
    quick: bool,
    /// One JSON object per line instead of the table.
    #[arg(long)]
    json: bool,
    /// Also time a 2^24-point complex FFT (2^20 with --quick): the WGSL FFT resident on each
    /// adapter (no transfers) against rustfft on the CPU.
    #[arg(long)]
    fft: bool,
    /// Also time W1c (a 128 x 256 x 256 float32 3-D blur, sigma 2) and W3b (W2's points in an
    /// 8192 x 8192 heatmap, drawn in bands where the grid is past one binding).
    #[arg(long)]
    extended: bool,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let options = BenchOptions {
        quick: args.quick,
        backend: args.backend.parse()?,
        fft: args.fft,
        extended: args.extended,
        precision: args.precision.parse()?,
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}")?);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let rows = run_all(options, |message| {
        if message.starts_with("skipping") || message.contains("failed") {
            spinner.println(message);
        }
        spinner.set_message(message.to_string());
    })?;
    spinner.finish_and_clear();
    if args.json {
        for row in &rows {
            println!("{}", row.json());
        }
    } else {
        print!("{}", format_table(&rows));
    }
    Ok(())
}
