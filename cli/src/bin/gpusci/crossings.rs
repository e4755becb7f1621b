//! `gpusci crossings IN.npy OUT.npy --threshold T [--direction up|down|both]`: NumPy's
//! `np.argwhere(np.diff(x > T, prepend=False))` as int64 indices; a 2-D input is channels x
//! samples and gives (K, 2) rows of (channel, index).

use std::path::PathBuf;

use anyhow::bail;
use gpusci::io::{read_npy, write_npy, NpyArray};
use gpusci::signal::{crossings, CrossingParams, Direction};
use ndarray::{Array1, Array2, ArrayD, Axis};

use crate::{args, BackendArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The signal: 1-D, or 2-D channels x samples.
    input: PathBuf,
    /// int64 indices of the first sample on the new side; (K, 2) of (channel, index) for 2-D.
    output: PathBuf,
    /// A sample is above when x > T.
    #[arg(long, allow_hyphen_values = true, value_name = "T")]
    threshold: String,
    /// Events kept: up, down or both.
    #[arg(long, default_value = "both")]
    direction: String,
    /// Hysteresis: once above, below again only at x <= DOWN (default: the threshold).
    #[arg(long, allow_hyphen_values = true, value_name = "DOWN")]
    down: Option<String>,
    /// Drop events closer than this many samples to the previous kept one.
    #[arg(long, default_value_t = 0)]
    min_gap: usize,
    /// Also write the crossing times in samples, interpolated linearly (float64, one per event).
    #[arg(long, value_name = "TIMES.npy")]
    times: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let exec = args.backend.executor()?;
    let params = CrossingParams {
        threshold: args::number("threshold", &args.threshold)?,
        down: args
            .down
            .as_deref()
            .map(|d| args::number("down", d))
            .transpose()?,
        direction: args.direction.parse::<Direction>()?,
        min_gap: args.min_gap,
    };
    if params.down.is_some() && matches!(exec, gpusci::Executor::Gpu(_)) {
        eprintln!("gpusci: hysteresis (--down) is sequential and runs on the CPU");
    }
    // float32 data is compared with the threshold rounded to float32, as NumPy 2 does.
    let (x, params): (ArrayD<f64>, CrossingParams) = match read_npy(&args.input)? {
        NpyArray::F64(a) => (a, params),
        NpyArray::F32(a) => (a.mapv(f64::from), params.for_float32_data()),
    };
    let (rows, two_d) = match x.ndim() {
        1 => (x.view().insert_axis(Axis(0)).into_dimensionality()?, false),
        2 => (x.view().into_dimensionality()?, true),
        d => bail!(
            "{}: a {d}-D array; crossings take a 1-D signal or 2-D channels x samples",
            args.input.display()
        ),
    };
    let rows: ndarray::ArrayView2<'_, f64> = rows;
    let mut found = Vec::new();
    for (channel, row) in rows.outer_iter().enumerate() {
        for event in crossings(&exec, row, &params)? {
            found.push((channel, event));
        }
    }
    let indices: ArrayD<i64> = if two_d {
        let mut out = Array2::<i64>::zeros((found.len(), 2));
        for (mut row, (channel, event)) in out.outer_iter_mut().zip(&found) {
            row[0] = *channel as i64;
            row[1] = event.index as i64;
        }
        out.into_dyn()
    } else {
        Array1::from_iter(found.iter().map(|(_, e)| e.index as i64)).into_dyn()
    };
    write_npy(&args.output, &indices)?;
    if let Some(path) = &args.times {
        let times = Array1::from_iter(found.iter().map(|(_, e)| e.time)).into_dyn();
        write_npy(path, &times)?;
    }
    println!(
        "{} crossings of {} ({}) in {} channel(s) -> {}",
        found.len(),
        params.threshold,
        args.direction,
        rows.nrows(),
        args.output.display()
    );
    Ok(())
}
