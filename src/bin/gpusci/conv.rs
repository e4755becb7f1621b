//! `gpusci convolve|correlate A.npy V.npy OUT.npy [--mode full|same|valid] [--method
//! auto|direct|fft]` and `gpusci lag A.npy B.npy [--rate HZ]` (DESIGN.md section 3).

use std::path::{Path, PathBuf};

use anyhow::bail;
use gpusci::conv::{self, Method, Mode};
use gpusci::io::{read_npy, write_npy, NpyArray};
use ndarray::{Array1, Ix1};

use crate::{args, BackendArg};

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
}

/// Checks `--backend` and, when it asks for a GPU, says on stderr that `command` runs on the
/// CPU (its GPU path is not built yet).
pub(crate) fn cpu_only(backend: &BackendArg, command: &str) -> anyhow::Result<()> {
    if backend.parse()? == gpusci::Backend::Gpu {
        eprintln!("gpusci: {command} runs on the CPU (its GPU path is not built yet)");
    }
    Ok(())
}

/// A 1-D signal as float64, and whether the file held float32.
fn signal(path: &Path) -> anyhow::Result<(Array1<f64>, bool)> {
    let (array, single) = match read_npy(path)? {
        NpyArray::F64(a) => (a, false),
        NpyArray::F32(a) => (a.mapv(f64::from), true),
    };
    match array.ndim() {
        1 => {}
        2 => bail!(
            "{}: 2-D convolution (scipy.signal.convolve of 2-D arrays) is not built yet; give 1-D signals",
            path.display()
        ),
        d => bail!("{}: a {d}-D array; give a 1-D signal", path.display()),
    }
    if array.is_empty() {
        bail!("{}: the signal is empty", path.display());
    }
    Ok((array.into_dimensionality::<Ix1>()?, single))
}

pub(crate) fn run(args: Args, correlate: bool) -> anyhow::Result<()> {
    // The CPU path (realfft, overlap-add over threads) runs every size; the GPU FFT is not
    // built yet, and asking for it says so rather than pretending.
    cpu_only(
        &args.backend,
        if correlate { "correlate" } else { "convolve" },
    )?;
    let mode = args.mode.parse::<Mode>()?;
    let method = args.method.parse::<Method>()?;
    let (a, single_a) = signal(&args.a)?;
    let (v, single_v) = signal(&args.v)?;
    let out = if correlate {
        conv::correlate(a.view(), v.view(), mode, method)?
    } else {
        conv::np_convolve(a.view(), v.view(), mode, method)?
    };
    if single_a && single_v {
        write_npy(&args.output, &out.mapv(|x| x as f32).into_dyn())?;
    } else {
        write_npy(&args.output, &out.clone().into_dyn())?;
    }
    println!(
        "{} of {} and {} samples ({}) -> {} values in {}",
        if correlate { "correlate" } else { "convolve" },
        a.len(),
        v.len(),
        args.mode,
        out.len(),
        args.output.display()
    );
    Ok(())
}

pub(crate) fn run_lag(args: LagArgs) -> anyhow::Result<()> {
    cpu_only(&args.backend, "lag")?;
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
    let (a, _) = signal(&args.a)?;
    let (b, _) = signal(&args.b)?;
    let found = conv::lag(a.view(), b.view(), Method::Auto)?;
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
