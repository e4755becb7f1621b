//! `gpusci bench [--quick] [--json] [--fft]`: the standard workloads on every backend present
//! (and, with `--fft`, a large complex FFT).

use gpusci_cli::bench::{format_table, run_all, BenchOptions};
use indicatif::{ProgressBar, ProgressStyle};

use crate::BackendArg;

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
    #[command(flatten)]
    backend: BackendArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let options = BenchOptions {
        quick: args.quick,
        backend: args.backend.parse()?,
        fft: args.fft,
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
