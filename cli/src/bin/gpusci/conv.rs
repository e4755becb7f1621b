//! `gpusci convolve|correlate A.npy V.npy OUT.npy [--mode full|same|valid] [--method
//! auto|direct|fft]` and `gpusci lag A.npy B.npy [--rate HZ]`.

use std::path::{Path, PathBuf};

use anyhow::bail;
use gpusci::conv::{self, two_d, Method, Mode};
use gpusci::io::{read_npy, write_npy, NpyArray};
use gpusci::{Device, Precision};
use ndarray::{Array1, ArrayD, Ix1, Ix2};

use crate::{args, BackendArg, PrecisionArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// First input (1-D).
    a: PathBuf,
    /// Second input (1-D): the kernel.
    v: PathBuf,
    /// Output: float64 for float64 input, float32 for float32 input.
    output: PathBuf,
    /// full, same or valid.
    #[arg(long, default_value = "full")]
    mode: String,
    /// auto (direct for non-finite input or short kernels, else FFT), direct or fft.
    #[arg(long, default_value = "auto")]
    method: String,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

#[derive(Debug, clap::Args)]
pub(crate) struct LagArgs {
    /// First signal (1-D).
    a: PathBuf,
    /// Second signal (1-D).
    b: PathBuf,
    /// Sample rate in Hz, to print the lag in seconds too.
    #[arg(long, value_name = "HZ")]
    rate: Option<String>,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

/// Says on stderr what a GPU computes in (the CPU path is float64; under `--backend auto`
/// the library still picks per size, so this says "up to").
fn note_precision(device: Device<'_>, command: &str) {
    if let (Some(ctx), Some(arith)) = (device.gpu(), device.float64_arith()) {
        let by_size = match device {
            Device::Auto(..) => " past auto's crossover (below it, on the CPU in float64)",
            _ => "",
        };
        eprintln!(
            "gpusci: {command} on {} in {}{by_size}",
            ctx.describe(),
            arith.name()
        );
    }
}

/// A 1-D or 2-D array as float64, and whether the file held float32.
fn array(path: &Path) -> anyhow::Result<(ArrayD<f64>, bool)> {
    let (array, single) = match read_npy(path)? {
        NpyArray::F64(a) => (a, false),
        NpyArray::F32(a) => (a.mapv(f64::from), true),
    };
    if !(1..=2).contains(&array.ndim()) {
        bail!(
            "{}: a {}-D array; give a 1-D signal or a 2-D array",
            path.display(),
            array.ndim()
        );
    }
    if array.is_empty() {
        bail!("{}: the array is empty", path.display());
    }
    Ok((array, single))
}

/// A 1-D signal as float64, and whether the file held float32.
fn signal(path: &Path) -> anyhow::Result<(Array1<f64>, bool)> {
    let (array, single) = array(path)?;
    if array.ndim() != 1 {
        bail!("{}: a 2-D array; give a 1-D signal", path.display());
    }
    Ok((array.into_dimensionality::<Ix1>()?, single))
}

pub(crate) fn run(args: Args, correlate: bool) -> anyhow::Result<()> {
    let command = if correlate { "correlate" } else { "convolve" };
    let exec = args.backend.executor()?;
    let precision = args.precision.parse()?;
    let mode = args.mode.parse::<Mode>()?;
    let method = args.method.parse::<Method>()?;
    let (a, single_a) = array(&args.a)?;
    let (v, single_v) = array(&args.v)?;
    if a.ndim() != v.ndim() {
        bail!(
            "{} is {}-D and {} is {}-D: give two 1-D signals or two 2-D arrays",
            args.a.display(),
            a.ndim(),
            args.v.display(),
            v.ndim()
        );
    }
    // float32 input stays float32 (its answer is written as float32).
    let device = exec.device().with_precision(if single_a && single_v {
        Precision::Single
    } else {
        precision
    });
    note_precision(device, command);
    let out: ArrayD<f64> = if a.ndim() == 2 {
        let (a, v) = (
            a.view().into_dimensionality::<Ix2>()?,
            v.view().into_dimensionality::<Ix2>()?,
        );
        if correlate {
            two_d::correlate_2d(device, a, v, mode, method)?.into_dyn()
        } else {
            two_d::convolve_2d(device, a, v, mode, method)?.into_dyn()
        }
    } else {
        let (a, v) = (
            a.view().into_dimensionality::<Ix1>()?,
            v.view().into_dimensionality::<Ix1>()?,
        );
        if correlate {
            conv::correlate(device, a, v, mode, method)?.into_dyn()
        } else {
            conv::np_convolve(device, a, v, mode, method)?.into_dyn()
        }
    };
    if out.iter().any(|x| x.is_nan()) {
        eprintln!("gpusci: the output holds NaN: the input's NaN propagate as in NumPy");
    }
    if single_a && single_v {
        write_npy(&args.output, &out.mapv(|x| x as f32))?;
    } else {
        write_npy(&args.output, &out)?;
    }
    println!(
        "{command} of {:?} and {:?} ({}) -> {:?} in {}",
        a.shape(),
        v.shape(),
        args.mode,
        out.shape(),
        args.output.display()
    );
    Ok(())
}

pub(crate) fn run_lag(args: LagArgs) -> anyhow::Result<()> {
    let exec = args.backend.executor()?;
    let rate = args
        .rate
        .as_deref()
        .map(|r| args::number("rate", r))
        .transpose()?;
    if let Some(r) = rate {
        if !(r.is_finite() && r > 0.0) {
            bail!("invalid --rate {r}: must be positive");
        }
    }
    let (a, single_a) = signal(&args.a)?;
    let (b, single_b) = signal(&args.b)?;
    let device = exec.device().with_precision(if single_a && single_b {
        Precision::Single
    } else {
        args.precision.parse()?
    });
    let found = conv::lag(device, a.view(), b.view(), Method::Auto)?;
    let seconds = rate.map_or(String::new(), |r| {
        format!(
            " ({} s, refined {} s)",
            found.samples as f64 / r,
            found.refined / r
        )
    });
    println!(
        "refined lag {:.3} samples, Pearson correlation {:.4} at the peak{seconds}; lag in samples: {}",
        found.refined, found.pearson, found.samples
    );
    Ok(())
}
