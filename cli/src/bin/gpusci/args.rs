//! Parsing helpers shared by the subcommands: comma-separated numbers, one-line errors.

use anyhow::{bail, Context};

/// `text` as `count` comma-separated numbers (`count` of 1..=max accepted when `min < max`).
pub(crate) fn numbers<T: std::str::FromStr>(
    flag: &str,
    text: &str,
    min: usize,
    max: usize,
) -> anyhow::Result<Vec<T>> {
    let values: Result<Vec<T>, _> = text
        .split(',')
        .map(|part| part.trim().parse::<T>())
        .collect();
    match values {
        Ok(v) if (min..=max).contains(&v.len()) => Ok(v),
        _ if min == max => {
            bail!("invalid --{flag} '{text}': expected {min} numbers separated by commas")
        }
        _ => {
            bail!("invalid --{flag} '{text}': expected {min} to {max} numbers separated by commas")
        }
    }
}

/// `text` as one float.
pub(crate) fn number(flag: &str, text: &str) -> anyhow::Result<f64> {
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("invalid --{flag} '{text}': not a number"))
}

/// `X0,X1,Y0,Y1` as `[[x0, x1], [y0, y1]]`.
pub(crate) fn range(text: &str) -> anyhow::Result<[[f64; 2]; 2]> {
    let v = numbers::<f64>("range", text, 4, 4)?;
    Ok([[v[0], v[1]], [v[2], v[3]]])
}
