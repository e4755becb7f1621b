//! `gpusci lif`: the balanced LIF network of the NumPy reference program
//! `tests/data/lif/balanced_network.py`, one network or a batch.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use gpusci::io::{read_npy, write_npy, NpyArray};
use gpusci::lif::{LifBatch, LifNetwork, LifParams, LifPath, LifRun, Network, NetworkParams};
use gpusci_cli::pictures::{write_raster, write_traces};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array2, ArrayD, Ix1, Ix2};

use crate::{args, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Neurons (ignored with --weights: n comes from the file).
    #[arg(long, default_value_t = 2000)]
    n: usize,
    /// Simulated time in seconds; the run has round(T / dt) steps.
    #[arg(long, default_value = "2.0", allow_hyphen_values = true)]
    t: String,
    /// Time step (s).
    #[arg(long, default_value = "5e-5", allow_hyphen_values = true)]
    dt: String,
    /// Refractory period (s).
    #[arg(long, default_value = "0.002", allow_hyphen_values = true)]
    tref: String,
    /// Membrane time constant (s).
    #[arg(long, default_value = "0.01", allow_hyphen_values = true)]
    tm: String,
    /// Reset voltage (mV).
    #[arg(long, default_value = "-65", allow_hyphen_values = true)]
    vreset: String,
    /// Spike threshold (mV).
    #[arg(long, default_value = "-40", allow_hyphen_values = true)]
    vpeak: String,
    /// Synaptic decay time (s).
    #[arg(long, default_value = "0.02", allow_hyphen_values = true)]
    td: String,
    /// Synaptic rise time (s).
    #[arg(long, default_value = "0.002", allow_hyphen_values = true)]
    tr: String,
    /// Constant input (mV); with --batch, OFFSET or FIRST:LAST for a sweep over the batch.
    #[arg(long, default_value = "-40", allow_hyphen_values = true)]
    offset: String,
    /// Coupling strength of drawn weights.
    #[arg(long, default_value = "0.04", allow_hyphen_values = true)]
    g: String,
    /// Connection probability of drawn weights.
    #[arg(long, default_value = "0.1", allow_hyphen_values = true)]
    p: String,
    /// Seed of drawn weights and v0 (Philox; network k of a batch uses seed + k).
    #[arg(long, default_value_t = 100)]
    seed: u64,
    /// Weights (n x n .npy, w[i, j] from neuron j onto neuron i) instead of drawing them.
    #[arg(long, value_name = "W.npy")]
    weights: Option<PathBuf>,
    /// Initial voltages (n .npy) instead of drawing them.
    #[arg(long, value_name = "V0.npy")]
    v0: Option<PathBuf>,
    /// Neurons whose voltages are recorded (the first nrec).
    #[arg(long, default_value_t = 10)]
    nrec: usize,
    /// Recorded voltages: (steps, nrec) float64; (B, steps, nrec) with --batch.
    #[arg(long, value_name = "REC.npy")]
    record: Option<PathBuf>,
    /// Spikes: (K, 2) float64 of (time s, neuron) in time order; (K, 3) of (network, time,
    /// neuron) with --batch.
    #[arg(long, value_name = "SPIKES.npy")]
    spikes: Option<PathBuf>,
    /// Neurons whose voltages are also sampled (comma-separated indices), every --every steps.
    #[arg(long, value_name = "I,J,...")]
    monitor: Option<String>,
    /// Steps between samples of --monitor neurons.
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// The monitored voltages: (samples, monitors) float64 after steps 0, every, 2 every, ...;
    /// (B, samples, monitors) with --batch.
    #[arg(long, value_name = "MON.npy")]
    monitor_out: Option<PathBuf>,
    /// Population rate (Hz per neuron) in bins of --rate-bin seconds: (bins,) float64;
    /// (B, bins) with --batch.
    #[arg(long, value_name = "RATE.npy")]
    rate_out: Option<PathBuf>,
    /// Bin of --rate-out, in seconds (rounded to whole steps).
    #[arg(long, default_value = "0.001")]
    rate_bin: String,
    /// Spike raster with the population rate below it (network 0 of a batch).
    #[arg(long, value_name = "OUT.png")]
    raster: Option<PathBuf>,
    /// Voltage traces of the first three recorded neurons, each offset by 100 mV.
    #[arg(long, value_name = "OUT.png")]
    traces: Option<PathBuf>,
    /// Draw the network straight into sparse storage (automatic above 10,000 neurons): no
    /// dense n x n matrix, so 10^5 neurons and more fit in memory.
    #[arg(long)]
    sparse: bool,
    /// Independent networks run together (seeds seed, seed + 1, ...).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    #[command(flatten)]
    backend: BackendArg,
}

fn number(flag: &str, text: &str) -> anyhow::Result<f64> {
    let v = args::number(flag, text)?;
    if !v.is_finite() {
        bail!("invalid --{flag} {text}: not finite");
    }
    Ok(v)
}

fn read_f64(path: &Path) -> anyhow::Result<ArrayD<f64>> {
    Ok(match read_npy(path)? {
        NpyArray::F64(a) => a,
        NpyArray::F32(a) => a.mapv(f64::from),
    })
}

/// `--offset` as one value per network: a single value, or FIRST:LAST spread evenly.
fn offsets(text: &str, batch: usize) -> anyhow::Result<Vec<f64>> {
    match text.split_once(':') {
        None => Ok(vec![number("offset", text)?; batch]),
        Some((a, b)) => {
            let (a, b) = (number("offset", a)?, number("offset", b)?);
            Ok((0..batch)
                .map(|k| {
                    if batch == 1 {
                        a
                    } else {
                        a + (b - a) * k as f64 / (batch - 1) as f64
                    }
                })
                .collect())
        }
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    if args.batch == 0 {
        bail!("invalid --batch 0: at least one network");
    }
    let base = LifParams {
        dt: number("dt", &args.dt)?,
        t: number("t", &args.t)?,
        tref: number("tref", &args.tref)?,
        tm: number("tm", &args.tm)?,
        vreset: number("vreset", &args.vreset)?,
        vpeak: number("vpeak", &args.vpeak)?,
        td: number("td", &args.td)?,
        tr: number("tr", &args.tr)?,
        offset: 0.0,
        // The voltages are kept only when something writes them (a long run without
        // --record would otherwise hold steps x nrec values for nothing); nrec is still
        // checked against n below.
        nrec: if args.record.is_some() || args.traces.is_some() {
            args.nrec
        } else {
            0
        },
        monitor: match &args.monitor {
            Some(text) => args::numbers::<u32>("monitor", text, 1, usize::MAX)?,
            None => Vec::new(),
        },
        every: args.every,
    };
    if args.monitor_out.is_some() && base.monitor.is_empty() {
        bail!("--monitor-out needs --monitor I,J,... (the neurons to sample)");
    }
    let rate_bin = number("rate-bin", &args.rate_bin)?;
    if rate_bin <= 0.0 {
        bail!("invalid --rate-bin {rate_bin}: must be positive");
    }
    let offsets = offsets(&args.offset, args.batch)?;
    // Parameters are checked before weights are drawn or read.
    base.validate(usize::MAX)?;
    let given = match (&args.weights, &args.v0) {
        (Some(w), Some(v0)) => {
            let w = read_f64(w)?.into_dimensionality::<Ix2>().map_err(|_| {
                anyhow::anyhow!("invalid --weights {}: not a 2-D array", w.display())
            })?;
            let v0 = read_f64(v0)?
                .into_dimensionality::<Ix1>()
                .map_err(|_| anyhow::anyhow!("invalid --v0 {}: not a 1-D array", v0.display()))?;
            Some(Network::new(w, v0)?)
        }
        (None, None) => None,
        _ => bail!("--weights and --v0 go together"),
    };
    let g = number("g", &args.g)?;
    let p = number("p", &args.p)?;
    let mut batch: Vec<(LifNetwork, LifParams)> = Vec::with_capacity(args.batch);
    for (k, &offset) in offsets.iter().enumerate() {
        let params = LifParams {
            offset,
            ..base.clone()
        };
        let network = match &given {
            Some(network) => LifNetwork::Dense(network.clone()),
            None => LifNetwork::draw(
                &NetworkParams {
                    n: args.n,
                    p,
                    g,
                    seed: args.seed + k as u64,
                },
                args.sparse,
            )?,
        };
        // Checked here as well as in lif::simulate, so a bad parameter fails before the rest
        // of a batch is drawn; `--nrec` itself too, since params.nrec is 0 when nothing
        // records.
        params.validate(network.n())?;
        if args.nrec > network.n() {
            bail!(
                "invalid nrec: {} is more than the network's {} neurons",
                args.nrec,
                network.n()
            );
        }
        batch.push((network, params));
    }
    let steps = base.steps();
    let bar = if steps * args.batch >= 200_000 {
        ProgressBar::new((steps * args.batch) as u64)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("simulating {bar:40} {human_pos}/{human_len} steps, eta {eta}")
    {
        bar.set_style(style);
    }
    let exec = args.backend.executor()?;
    let start = Instant::now();
    let LifBatch { runs, path } =
        gpusci::lif::simulate(&exec, &batch, |done| bar.inc(done as u64))?;
    let wall = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    write_outputs(&args, &runs, ((rate_bin / base.dt).round() as usize).max(1))?;
    let simulated = steps as f64 * base.dt;
    for (k, run) in runs.iter().enumerate() {
        let label = if args.batch > 1 {
            format!("network {k} (offset {}): ", offsets[k])
        } else {
            String::new()
        };
        println!(
            "{label}{} neurons, {} spikes, {:.2} Hz mean rate, ISI CV {:.3}",
            run.n,
            run.spikes.len(),
            run.mean_rate(),
            run.mean_isi_cv()
        );
    }
    let device = match path {
        LifPath::GpuDense => exec.describe(),
        LifPath::GpuSparse => format!("{} (sparse weights)", exec.describe()),
        LifPath::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
    };
    println!(
        "{} network(s) x {simulated} s simulated ({steps} steps of {} s) in {} on {device}: {:.1}x real time",
        args.batch,
        base.dt,
        gpusci_cli::bench::format_seconds(wall),
        simulated * args.batch as f64 / wall
    );
    Ok(())
}

/// One 2-D array per network, stacked into (B, ...) for a batch.
fn stacked(batched: bool, parts: Vec<Array2<f64>>) -> anyhow::Result<ArrayD<f64>> {
    if !batched {
        return Ok(parts.into_iter().next().expect("one network").into_dyn());
    }
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    Ok(ndarray::stack(ndarray::Axis(0), &views)?.into_dyn())
}

fn write_outputs(args: &Args, runs: &[LifRun], rate_bin_steps: usize) -> anyhow::Result<()> {
    let batched = args.batch > 1;
    if let Some(path) = &args.monitor_out {
        let parts = runs.iter().map(|r| r.monitored.clone()).collect();
        write_npy(path, &stacked(batched, parts)?)?;
    }
    if let Some(path) = &args.rate_out {
        let rates: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| r.population_rate(rate_bin_steps))
            .collect();
        let out = if batched {
            let bins = rates[0].len();
            Array2::from_shape_vec((rates.len(), bins), rates.concat())?.into_dyn()
        } else {
            ndarray::Array1::from(rates[0].clone()).into_dyn()
        };
        write_npy(path, &out)?;
    }
    if let Some(path) = &args.record {
        let parts = runs.iter().map(|r| r.rec.clone()).collect();
        write_npy(path, &stacked(batched, parts)?)?;
    }
    if let Some(path) = &args.spikes {
        let spikes = if batched {
            // Time order across networks: by step, then network, then neuron.
            let mut rows: Vec<(u32, usize, u32)> = runs
                .iter()
                .enumerate()
                .flat_map(|(k, run)| run.spikes.iter().map(move |&(s, j)| (s, k, j)))
                .collect();
            rows.sort_unstable();
            let mut out = Array2::<f64>::zeros((rows.len(), 3));
            for (mut row, &(s, k, j)) in out.outer_iter_mut().zip(&rows) {
                row[0] = k as f64;
                row[1] = runs[k].dt * f64::from(s);
                row[2] = f64::from(j);
            }
            out.into_dyn()
        } else {
            runs[0].spike_array().into_dyn()
        };
        write_npy(path, &spikes)?;
    }
    if let Some(path) = &args.raster {
        write_raster(&runs[0], path, 1200, 800)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.traces {
        write_traces(&runs[0], 3, path, 1200, 600)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
