//! Point sets for binning: an (N, 2) `.npy` of x, y, or a CSV with x,y[,weight] columns.

use std::fs::File;
use std::path::Path;

use ndarray::{Array1, Axis, Ix2};

use super::{read_npy, NpyArray, NpyError};
use crate::density::PointType;
use crate::error::{Error, Result};

/// Points as columns, with optional weights (from a CSV's third column).
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    /// x coordinates.
    pub x: Array1<f64>,
    /// y coordinates.
    pub y: Array1<f64>,
    /// Weights, when the CSV has a third column.
    pub weights: Option<Array1<f64>>,
    /// float32 for a float32 `.npy` (NumPy then computes automatic edges in float32).
    pub kind: PointType,
}

/// Reads points from `path`: `.npy` (shape (N, 2); float32, float64 or integers) or, for any
/// other extension, CSV.
///
/// # Errors
/// [`Error::Npy`] for a bad `.npy` or one of another shape, [`Error::Csv`] for a ragged or
/// non-numeric CSV row (with its line number), [`Error::Io`].
pub fn read_points(path: &Path) -> Result<Points> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        let (array, kind) = match read_npy(path)? {
            NpyArray::F64(a) => (a, PointType::F64),
            NpyArray::F32(a) => (a.mapv(f64::from), PointType::F32),
        };
        let shape = array.shape().to_vec();
        let array = array
            .into_dimensionality::<Ix2>()
            .ok()
            .filter(|a| a.ncols() == 2)
            .ok_or_else(|| Error::Npy {
                path: path.to_path_buf(),
                kind: NpyError::BadShape(format!(
                    "points must be an (N, 2) array of x, y; got shape {shape:?}"
                )),
            })?;
        return Ok(Points {
            x: array.index_axis(Axis(1), 0).to_owned(),
            y: array.index_axis(Axis(1), 1).to_owned(),
            weights: None,
            kind,
        });
    }
    read_csv(path)
}

/// CSV: comma-separated x,y or x,y,weight; one header line allowed (a first row that is not
/// numbers); blank lines and `#` comments skipped; spaces around values ignored; nan and inf
/// accepted.
fn read_csv(path: &Path) -> Result<Points> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let bad = |line: u64, message: String| Error::Csv {
        path: path.to_path_buf(),
        line,
        message,
    };
    let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
    let mut width = None;
    let mut record = csv::StringRecord::new();
    let mut first = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(line, e.to_string()));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let values: std::result::Result<Vec<f64>, usize> = record
            .iter()
            .enumerate()
            .map(|(col, field)| {
                field
                    .trim_start_matches('\u{feff}')
                    .parse::<f64>()
                    .map_err(|_| col)
            })
            .collect();
        let values = match values {
            Ok(v) => v,
            // A first row of names is a header.
            Err(_) if first => {
                first = false;
                continue;
            }
            Err(col) => {
                return Err(bad(
                    line,
                    format!("column {}: '{}' is not a number", col + 1, &record[col]),
                ));
            }
        };
        first = false;
        if !(2..=3).contains(&values.len()) {
            return Err(bad(
                line,
                format!("expected x,y or x,y,weight; found {} columns", values.len()),
            ));
        }
        match width {
            None => width = Some(values.len()),
            Some(n) if n != values.len() => {
                return Err(bad(
                    line,
                    format!("{} columns where the rows before have {n}", values.len()),
                ));
            }
            _ => {}
        }
        x.push(values[0]);
        y.push(values[1]);
        if values.len() == 3 {
            w.push(values[2]);
        }
    }
    if x.is_empty() {
        return Err(bad(0, "no points in the file".into()));
    }
    Ok(Points {
        x: Array1::from(x),
        y: Array1::from(y),
        weights: (width == Some(3)).then(|| Array1::from(w)),
        kind: PointType::F64,
    })
}
