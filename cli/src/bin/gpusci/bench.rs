//! `gpusci bench [--quick] [--json] [--fft] [--extended] [--resident] [--calibrate]`: the
//! standard workloads on every backend present (and, with `--fft`, a large complex FFT; with
//! `--extended`, a 3-D blur and an 8192 x 8192 heatmap; with `--resident`, a chain of blurs on
//! device arrays against the same blurs as host calls). `--calibrate` measures `auto`'s
//! crossovers instead.

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
    /// Also time the resident chain R1: W1b's image (1024 x 1024 float32) blurred three
    /// times, as three host calls and as one chain of device arrays (one upload, one
    /// read-back), with each GPU row's transfer counters.
    #[arg(long)]
    resident: bool,
    /// Measure, on each adapter, the sizes from which the GPU beats the CPU (blur, FFT,
    /// convolution, histogram2d; float32 and float64), and store them as the crossovers that
    /// `backend='auto'` uses: in the file GPUSCI_CROSSOVER_FILE names, else in the adapter's
    /// cache file (~/.cache/gpusci/crossovers-<adapter>.txt).
    #[arg(long)]
    calibrate: bool,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    if args.calibrate {
        return calibrate(args.quick, args.json);
    }
    let options = BenchOptions {
        quick: args.quick,
        backend: args.backend.parse()?,
        fft: args.fft,
        extended: args.extended,
        precision: args.precision.parse()?,
        resident: args.resident,
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

/// `gpusci bench --calibrate`: per adapter, each operation's times and crossover, and the file
/// written.
fn calibrate(quick: bool, json: bool) -> anyhow::Result<()> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}")?);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let calibrations = gpusci_cli::bench::calibrate(quick, |message| {
        if message.starts_with("skipping") {
            spinner.println(message);
        }
        spinner.set_message(message.to_string());
    })?;
    spinner.finish_and_clear();
    for c in &calibrations {
        for row in &c.rows {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "adapter": c.adapter,
                        "operation": row.operation.name(),
                        "arithmetic": row.arith.name(),
                        "crossover_elements": (row.crossover != u64::MAX).then_some(row.crossover),
                        "sizes": row.times.iter().map(|t| t.0).collect::<Vec<_>>(),
                        "cpu_seconds": row.times.iter().map(|t| t.1).collect::<Vec<_>>(),
                        "gpu_seconds": row.times.iter().map(|t| t.2).collect::<Vec<_>>(),
                        "file": c.path.as_ref().map(|p| p.display().to_string()),
                    })
                );
            } else {
                let crossover = if row.crossover == u64::MAX {
                    "never".to_string()
                } else {
                    row.crossover.to_string()
                };
                println!(
                    "{} {:<12} {:<12} crossover {crossover:>9} elements  (gpu/cpu time: {})",
                    c.adapter,
                    row.operation.name(),
                    row.arith.name(),
                    row.times
                        .iter()
                        .map(|(n, cpu, gpu)| format!("2^{} {:.2}", n.trailing_zeros(), gpu / cpu))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if !json {
            match &c.path {
                Some(path) => println!("{}: written to {}", c.adapter, path.display()),
                None => println!(
                    "{}: no cache directory (set HOME or XDG_CACHE_HOME)",
                    c.adapter
                ),
            }
        }
    }
    Ok(())
}
