//! `gpusci blur IN.npy OUT.npy --sigma S[,S1,...] ...`: `scipy.ndimage.gaussian_filter` of an
//! N-D array, or of each image of an `(N, H, W)` stack with its own sigma (`--stack-sigmas`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use gpusci::blur::{self, BlurElement, BlurParams, Mode, NanPolicy};
use gpusci::io::{read_npy, write_npy, NpyArray};
use gpusci::Device;
use ndarray::{ArrayD, Ix3};

use crate::{BackendArg, PrecisionArg};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Input .npy of any number of dimensions (1-D: gaussian_filter1d; a (time, y, x) movie,
    /// a z-stack...). float32 stays float32; float64 and integers give float64.
    input: PathBuf,
    /// Output .npy.
    output: PathBuf,
    /// Standard deviation in samples: one value, or one per filtered axis (S0,S1,...). 0 = no
    /// blur on that axis.
    #[arg(
        long,
        value_name = "S[,S1,...]",
        allow_hyphen_values = true,
        required_unless_present = "stack_sigmas"
    )]
    sigma: Option<String>,
    /// A 1-D .npy of N sigmas for a 3-D (N, H, W) input: image i is blurred with sigma i on
    /// both of its axes (one dispatch sequence on the GPU).
    #[arg(long, value_name = "SIGMAS.npy", conflicts_with_all = ["sigma", "axes"])]
    stack_sigmas: Option<PathBuf>,
    /// The axes filtered, in order (SciPy's axes=; negative counts from the end). Default: all.
    #[arg(long, value_name = "A[,A1,...]", allow_hyphen_values = true)]
    axes: Option<String>,
    /// Kernel half-width in sigmas: radius = int(truncate*sigma + 0.5).
    #[arg(
        long,
        default_value = "4.0",
        value_name = "T",
        allow_hyphen_values = true
    )]
    truncate: String,
    /// Explicit kernel radius (one, or one per filtered axis), instead of --truncate.
    #[arg(long, value_name = "R[,R1,...]", allow_hyphen_values = true)]
    radius: Option<String>,
    /// Derivative order (0 to 4; one, or one per filtered axis).
    #[arg(
        long,
        default_value = "0",
        value_name = "O[,O1,...]",
        allow_hyphen_values = true
    )]
    order: String,
    /// Edge mode: reflect, constant, nearest, mirror or wrap; one, or one per filtered axis.
    #[arg(long, default_value = "reflect", value_name = "M[,M1,...]")]
    mode: String,
    /// The value beyond the edges in constant mode.
    #[arg(
        long,
        default_value = "0.0",
        value_name = "C",
        allow_hyphen_values = true
    )]
    cval: String,
    /// NaN handling: propagate (SciPy) or omit (normalised blur that ignores NaN cells).
    #[arg(long, default_value = "propagate")]
    nan_policy: String,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    precision: PrecisionArg,
}

fn parse_list<T: std::str::FromStr>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    let values: Result<Vec<T>, _> = text
        .split(',')
        .map(|part| part.trim().parse::<T>())
        .collect();
    match values {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => bail!(
            "invalid --{name} '{text}': expected one value, or one per axis separated by commas"
        ),
    }
}

fn parse_number(name: &str, text: &str) -> anyhow::Result<f64> {
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("invalid --{name} '{text}': not a number"))
}

/// The stack's sigmas from a 1-D .npy (any float or integer dtype).
fn read_sigmas(path: &std::path::Path) -> anyhow::Result<Vec<f64>> {
    let sigmas = match read_npy(path)? {
        NpyArray::F32(a) => a.mapv(f64::from),
        NpyArray::F64(a) => a,
    };
    if sigmas.ndim() != 1 {
        bail!(
            "{}: expected a 1-D array of sigmas, got shape {:?}",
            path.display(),
            sigmas.shape()
        );
    }
    Ok(sigmas.iter().copied().collect())
}

/// Blurs `input` (the whole array, or each image of the stack with its sigma).
fn filter<T: BlurElement>(
    exec: Device<'_>,
    input: &ArrayD<T>,
    stack_sigmas: Option<&[f64]>,
    params: &BlurParams,
) -> anyhow::Result<ArrayD<T>> {
    Ok(match stack_sigmas {
        Some(sigmas) => {
            let stack = input.view().into_dimensionality::<Ix3>()?;
            blur::gaussian_filter_stack(exec, stack, sigmas, params)?.into_dyn()
        }
        None => blur::gaussian_filter(exec, input.view(), params)?,
    })
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let modes = args
        .mode
        .split(',')
        .map(|m| m.trim().parse::<Mode>())
        .collect::<Result<Vec<Mode>, _>>()?;
    let stack_sigmas = args.stack_sigmas.as_deref().map(read_sigmas).transpose()?;
    let sigma = match &args.sigma {
        Some(text) => parse_list::<f64>("sigma", text)?,
        None => vec![0.0],
    };
    let mut params = BlurParams::per_axis(&sigma)
        .with_truncate(parse_number("truncate", &args.truncate)?)
        .with_orders(&parse_list::<u32>("order", &args.order)?)
        .with_modes(&modes)
        .with_cval(parse_number("cval", &args.cval)?)
        .with_nan_policy(args.nan_policy.parse::<NanPolicy>()?);
    if let Some(radius) = &args.radius {
        params.radius = Some(parse_list::<usize>("radius", radius)?);
    }
    if let Some(axes) = &args.axes {
        params.axes = Some(parse_list::<isize>("axes", axes)?);
    }
    // Validate before touching the data or the GPU.
    let input = read_npy(&args.input)?;
    let shape = input.shape().to_vec();
    match &stack_sigmas {
        Some(sigmas) => {
            if shape.len() != 3 {
                bail!(
                    "{}: --stack-sigmas takes a 3-D (N, H, W) stack, got shape {shape:?}",
                    args.input.display()
                );
            }
            params.plan_stack(shape[0], sigmas)?;
        }
        None => {
            if shape.is_empty() {
                bail!(
                    "{}: expected an array of at least 1 dimension, got a 0-D array",
                    args.input.display()
                );
            }
            // An empty array is blurred into an empty array of the same shape and dtype, as SciPy.
            params.plan(shape.len())?;
        }
    }
    let exec = args.backend.executor()?;
    let device = exec.device().with_precision(args.precision.parse()?);
    let start = Instant::now();
    let dtype = match input {
        NpyArray::F32(a) => {
            write_npy(
                &args.output,
                &filter(device, &a, stack_sigmas.as_deref(), &params)?,
            )?;
            "float32"
        }
        NpyArray::F64(a) => {
            write_npy(
                &args.output,
                &filter(device, &a, stack_sigmas.as_deref(), &params)?,
            )?;
            "float64"
        }
    };
    let sigma_text = match (&args.sigma, &args.stack_sigmas) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => format!("per image from {}", path.display()),
        (None, None) => unreachable!("clap requires --sigma or --stack-sigmas"),
    };
    println!(
        "blur {shape:?} {dtype}, sigma {sigma_text}, {} -> {} on {} in {}",
        params.mode_names(),
        args.output.display(),
        exec.describe(),
        gpusci_cli::bench::format_seconds(start.elapsed().as_secs_f64())
    );
    Ok(())
}
