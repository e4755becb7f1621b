//! Point sets for binning: an (N, 2) `.npy` of x, y, or a CSV with x,y[,weight] columns, read
//! whole ([`read_points`]) or in chunks ([`PointReader`]) so a file larger than memory can be
//! binned.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ndarray::Array1;

use super::npy::decode_f64;
use super::{read_npy_header, NpyError, NpyHeader};
use crate::error::{Error, Result};
use crate::numpy::PointType;

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

/// Points per chunk of [`read_points`].
const WHOLE_FILE_CHUNK: usize = 1 << 22;

/// Reads every point of `path`: `.npy` (shape (N, 2); float32, float64, integers or bool, either
/// byte order, C or Fortran order) or, for any other extension, CSV.
///
/// # Errors
/// [`Error::Npy`] for a bad `.npy` or one of another shape, [`Error::Csv`] for a ragged or
/// non-numeric CSV row (with its line number), [`Error::Io`]. A CSV without data rows is an
/// empty point set.
pub fn read_points(path: &Path) -> Result<Points> {
    let mut reader = PointReader::open(path)?;
    let kind = reader.kind();
    let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
    let mut weighted = false;
    while let Some(chunk) = reader.next_chunk(WHOLE_FILE_CHUNK)? {
        x.extend(chunk.x.iter());
        y.extend(chunk.y.iter());
        if let Some(cw) = chunk.weights {
            weighted = true;
            w.extend(cw.iter());
        }
    }
    Ok(Points {
        x: Array1::from(x),
        y: Array1::from(y),
        weights: weighted.then(|| Array1::from(w)),
        kind,
    })
}

/// Reads a point file in chunks.
#[derive(Debug)]
pub struct PointReader {
    path: PathBuf,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Npy {
        file: BufReader<File>,
        header: NpyHeader,
        /// Rows already read.
        next: u64,
        rows: u64,
    },
    Csv {
        reader: csv::Reader<BufReader<File>>,
        width: Option<usize>,
        first: bool,
        rows: u64,
        file_bytes: u64,
    },
}

/// How progress through a file is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Points read of a known total (`.npy`).
    Points {
        /// Points read so far.
        done: u64,
        /// Points in the file.
        total: u64,
    },
    /// Bytes read of the file's size (CSV).
    Bytes {
        /// Bytes read so far.
        done: u64,
        /// The file's size.
        total: u64,
    },
}

impl PointReader {
    /// Opens `path` (see [`read_points`] for the formats) and checks a `.npy` header against
    /// the file size before anything is read.
    ///
    /// # Errors
    /// As [`read_points`].
    pub fn open(path: &Path) -> Result<Self> {
        let source = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
        {
            let header = read_npy_header(path)?;
            if header.shape.len() != 2 || header.shape[1] != 2 {
                return Err(Error::Npy {
                    path: path.to_path_buf(),
                    kind: NpyError::BadShape(format!(
                        "points must be an (N, 2) array of x, y; got shape {:?}",
                        header.shape
                    )),
                });
            }
            let mut file = BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
            file.seek(SeekFrom::Start(header.data_offset))
                .map_err(|e| Error::io(path, e))?;
            let rows = header.shape[0] as u64;
            Source::Npy {
                file,
                header,
                next: 0,
                rows,
            }
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let file_bytes = file.metadata().map_err(|e| Error::io(path, e))?.len();
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .comment(Some(b'#'))
                .trim(csv::Trim::All)
                .from_reader(BufReader::new(file));
            Source::Csv {
                reader,
                width: None,
                first: true,
                rows: 0,
                file_bytes,
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            source,
        })
    }

    /// float32 for a float32 `.npy`, else float64.
    pub fn kind(&self) -> PointType {
        match &self.source {
            Source::Npy { header, .. } if header.descr.ends_with("f4") => PointType::F32,
            _ => PointType::F64,
        }
    }

    /// How far through the file the reader is.
    pub fn progress(&self) -> Progress {
        match &self.source {
            Source::Npy { next, rows, .. } => Progress::Points {
                done: *next,
                total: *rows,
            },
            Source::Csv {
                reader, file_bytes, ..
            } => Progress::Bytes {
                done: reader.position().byte(),
                total: *file_bytes,
            },
        }
    }

    /// The next chunk of at most `max` points; `None` at the end of the file.
    ///
    /// # Errors
    /// As [`read_points`].
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<Points>> {
        let path = self.path.clone();
        match &mut self.source {
            Source::Npy {
                file,
                header,
                next,
                rows,
            } => {
                if *next >= *rows {
                    return Ok(None);
                }
                let count = (max as u64).min(*rows - *next) as usize;
                let size = header.item_size;
                let io = |e| Error::io(&path, e);
                let (x, y) = if header.fortran_order {
                    // Column-major: all x, then all y.
                    let mut xb = vec![0u8; count * size];
                    let mut yb = vec![0u8; count * size];
                    file.seek(SeekFrom::Start(header.data_offset + *next * size as u64))
                        .map_err(io)?;
                    file.read_exact(&mut xb).map_err(io)?;
                    file.seek(SeekFrom::Start(
                        header.data_offset + (*rows + *next) * size as u64,
                    ))
                    .map_err(io)?;
                    file.read_exact(&mut yb).map_err(io)?;
                    (
                        decode_f64(&header.descr, &xb),
                        decode_f64(&header.descr, &yb),
                    )
                } else {
                    let mut bytes = vec![0u8; count * 2 * size];
                    file.read_exact(&mut bytes).map_err(io)?;
                    let both = decode_f64(&header.descr, &bytes);
                    (
                        both.iter().step_by(2).copied().collect(),
                        both.iter().skip(1).step_by(2).copied().collect(),
                    )
                };
                *next += count as u64;
                Ok(Some(Points {
                    x: Array1::from(x),
                    y: Array1::from(y),
                    weights: None,
                    kind: PointType::F64,
                }))
            }
            Source::Csv {
                reader,
                width,
                first,
                rows,
                ..
            } => {
                let bad = |line: u64, message: String| Error::Csv {
                    path: path.clone(),
                    line,
                    message,
                };
                let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
                let mut record = csv::StringRecord::new();
                while x.len() < max {
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(e) => {
                            return Err(bad(e.position().map_or(0, |p| p.line()), e.to_string()))
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
                        Err(_) if *first => {
                            *first = false;
                            continue;
                        }
                        Err(col) => {
                            return Err(bad(
                                line,
                                format!("column {}: '{}' is not a number", col + 1, &record[col]),
                            ))
                        }
                    };
                    *first = false;
                    if !(2..=3).contains(&values.len()) {
                        return Err(bad(
                            line,
                            format!("expected x,y or x,y,weight; found {} columns", values.len()),
                        ));
                    }
                    match *width {
                        None => *width = Some(values.len()),
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
                *rows += x.len() as u64;
                // A CSV with no data rows (a header line alone, or nothing) is an empty point
                // set, as `np.loadtxt` reads it.
                if x.is_empty() {
                    return Ok(None);
                }
                Ok(Some(Points {
                    x: Array1::from(x),
                    y: Array1::from(y),
                    weights: (*width == Some(3)).then(|| Array1::from(w)),
                    kind: PointType::F64,
                }))
            }
        }
    }
}
