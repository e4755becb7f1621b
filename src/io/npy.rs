//! `.npy` reading and writing.
//!
//! ndarray-npy does the reading and writing, but it allocates whatever a header declares before
//! it reads a byte of data (a 176-byte file declaring 2^34 float64 aborts the process), so every
//! file is first checked here: magic, version, header length, the header's keys and values, a
//! checked shape product, and the declared data size against the file's real size.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, WritableElement, WriteNpyExt};

use crate::error::{Error, Result};

/// Longest header accepted, as NumPy (`np.load` refuses longer ones by default).
pub const MAX_HEADER_LEN: usize = 10_000;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// What is wrong with a `.npy` file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// The file does not start with the `.npy` magic string.
    #[error("not a .npy file (bad magic string)")]
    NotNpy,
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {0}.{1}")]
    UnsupportedVersion(u8, u8),
    /// The header is longer than [`MAX_HEADER_LEN`].
    #[error("header of {0} bytes is longer than the {MAX_HEADER_LEN} allowed")]
    HeaderTooLarge(usize),
    /// The file ends inside the header or the data.
    #[error("file is truncated: {0}")]
    Truncated(String),
    /// The header is not the dictionary NumPy writes.
    #[error("malformed header: {0}")]
    BadHeader(String),
    /// The shape's element count overflows.
    #[error("shape {0:?} is too large")]
    TooLarge(Vec<u64>),
    /// Bytes follow the data.
    #[error("{0} unexpected bytes after the array data")]
    TrailingData(u64),
    /// A dtype gpusci does not read (objects, strings, complex, structured, float16, ...).
    #[error("unsupported dtype '{0}' (expected float32, float64, integer or bool)")]
    UnsupportedDtype(String),
    /// The array has an unsupported number of dimensions for this use.
    #[error("{0}")]
    BadShape(String),
    /// ndarray-npy refused the file after our checks passed.
    #[error("{0}")]
    Parse(String),
}

/// The parsed header of a `.npy` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// The dtype string, e.g. `<f8`.
    pub descr: String,
    /// Whether the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Offset of the data from the start of the file.
    pub data_offset: u64,
    /// Bytes per element.
    pub item_size: usize,
}

/// An array read from a `.npy` file: float32 stays float32, everything else becomes float64
/// (integers and bools are converted, as the CLI contract says).
#[derive(Clone, Debug, PartialEq)]
pub enum NpyArray {
    /// A float32 file.
    F32(ArrayD<f32>),
    /// A float64 file, or integers/bools converted to float64.
    F64(ArrayD<f64>),
}

impl NpyArray {
    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            NpyArray::F32(a) => a.shape(),
            NpyArray::F64(a) => a.shape(),
        }
    }
}

fn npy_error(path: &Path, kind: NpyError) -> Error {
    Error::Npy {
        path: path.to_path_buf(),
        kind,
    }
}

/// Reads and checks the header of the `.npy` file at `path` against the file's size.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Npy`] for every malformed, hostile or
/// unsupported header, and when the declared data does not match the file's length.
pub fn read_npy_header(path: &Path) -> Result<NpyHeader> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let bad = |kind| npy_error(path, kind);
    let mut preamble = [0u8; 8];
    read_exact_or(&mut reader, &mut preamble, || {
        if file_len < 6 {
            NpyError::NotNpy
        } else {
            NpyError::Truncated("ends inside the preamble".into())
        }
    })
    .map_err(&bad)?;
    if &preamble[..6] != MAGIC {
        return Err(bad(NpyError::NotNpy));
    }
    let (major, minor) = (preamble[6], preamble[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => return Err(bad(NpyError::UnsupportedVersion(major, minor))),
    };
    let mut len_buf = [0u8; 4];
    read_exact_or(&mut reader, &mut len_buf[..len_bytes], || {
        NpyError::Truncated("ends inside the header length".into())
    })
    .map_err(&bad)?;
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(bad(NpyError::HeaderTooLarge(header_len)));
    }
    let mut header = vec![0u8; header_len];
    read_exact_or(&mut reader, &mut header, || {
        NpyError::Truncated(format!("ends inside the {header_len}-byte header"))
    })
    .map_err(&bad)?;
    let text = std::str::from_utf8(&header)
        .map_err(|_| bad(NpyError::BadHeader("header is not text".into())))?;
    let (descr, fortran_order, shape) = parse_header_dict(text).map_err(&bad)?;
    let item_size =
        item_size(&descr).ok_or_else(|| bad(NpyError::UnsupportedDtype(descr.clone())))?;
    let data_offset = (8 + len_bytes + header_len) as u64;
    let count = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|n| n.checked_mul(item_size as u64))
        .ok_or_else(|| {
            bad(NpyError::TooLarge(
                shape.iter().map(|&d| d as u64).collect(),
            ))
        })?;
    let available = file_len.saturating_sub(data_offset);
    if count > available {
        return Err(bad(NpyError::Truncated(format!(
            "shape {shape:?} of '{descr}' needs {count} bytes of data, the file holds {available}"
        ))));
    }
    if available > count {
        return Err(bad(NpyError::TrailingData(available - count)));
    }
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
        data_offset,
        item_size,
    })
}

fn read_exact_or(
    reader: &mut impl Read,
    buf: &mut [u8],
    err: impl FnOnce() -> NpyError,
) -> std::result::Result<(), NpyError> {
    reader.read_exact(buf).map_err(|_| err())
}

/// Bytes per element of the dtypes we read; `None` for everything else.
fn item_size(descr: &str) -> Option<usize> {
    let (order, kind) = match descr.as_bytes().first()? {
        b'<' | b'>' | b'=' | b'|' => (descr.as_bytes()[0], &descr[1..]),
        _ => (b'|', descr),
    };
    let size = match kind {
        "f4" | "i4" | "u4" => 4,
        "f8" | "i8" | "u8" => 8,
        "i2" | "u2" => 2,
        "i1" | "u1" | "b1" => 1,
        _ => return None,
    };
    // Multi-byte types need a byte order; `|` only makes sense for single bytes.
    if size > 1 && order == b'|' {
        return None;
    }
    Some(size)
}

/// Parses NumPy's header dictionary: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header_dict(text: &str) -> std::result::Result<(String, bool, Vec<usize>), NpyError> {
    let bad = |why: &str| NpyError::BadHeader(why.to_string());
    let body = text.trim_end_matches(['\n', ' ', '\0']).trim();
    let body = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| bad("not a dictionary"))?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (key, after) = parse_quoted(rest).ok_or_else(|| bad("expected a quoted key"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| bad("expected ':' after a key"))?
            .trim_start();
        let after = match key.as_str() {
            "descr" => {
                let (value, after) = parse_quoted(after).ok_or_else(|| {
                    NpyError::UnsupportedDtype(
                        after.split(',').next().unwrap_or("").trim().to_string(),
                    )
                })?;
                descr = Some(value);
                after
            }
            "fortran_order" => {
                if let Some(a) = after.strip_prefix("True") {
                    fortran = Some(true);
                    a
                } else if let Some(a) = after.strip_prefix("False") {
                    fortran = Some(false);
                    a
                } else {
                    return Err(bad("fortran_order must be True or False"));
                }
            }
            "shape" => {
                let close = after.find(')').ok_or_else(|| bad("shape is not a tuple"))?;
                let inner = after
                    .strip_prefix('(')
                    .ok_or_else(|| bad("shape is not a tuple"))?;
                let inner = &inner[..close - 1];
                let mut dims = Vec::new();
                for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let part = part.strip_suffix('L').unwrap_or(part);
                    let dim: usize = part.parse().map_err(|_| {
                        bad(&format!(
                            "shape entry '{part}' is not a non-negative integer"
                        ))
                    })?;
                    dims.push(dim);
                }
                shape = Some(dims);
                &after[close + 1..]
            }
            other => return Err(bad(&format!("unexpected key '{other}'"))),
        };
        let after = after.trim_start();
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        if !after.starts_with(',') && !rest.is_empty() {
            return Err(bad("expected ',' between entries"));
        }
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err(bad("needs the keys 'descr', 'fortran_order' and 'shape'")),
    }
}

fn parse_quoted(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(quote)? + 1;
    Some((s[1..end].to_string(), &s[end + 1..]))
}

/// Reads a `.npy` file after checking its header against its size. float32 stays float32;
/// float64, integers and bools come back as float64. Fortran-ordered files are returned in
/// standard (C) layout.
///
/// # Errors
/// As [`read_npy_header`].
pub fn read_npy(path: &Path) -> Result<NpyArray> {
    let header = read_npy_header(path)?;
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| Error::io(path, e))
    };
    let parse = |e: ndarray_npy::ReadNpyError| npy_error(path, NpyError::Parse(e.to_string()));
    let kind = header.descr.trim_start_matches(['<', '>', '=', '|']);
    fn to_f64<T: Copy + Into<f64>>(a: ArrayD<T>) -> NpyArray {
        NpyArray::F64(a.mapv(Into::into))
    }
    let array = match kind {
        "f4" => NpyArray::F32(ArrayD::<f32>::read_npy(open()?).map_err(parse)?),
        "f8" => NpyArray::F64(ArrayD::<f64>::read_npy(open()?).map_err(parse)?),
        "i1" => to_f64(ArrayD::<i8>::read_npy(open()?).map_err(parse)?),
        "i2" => to_f64(ArrayD::<i16>::read_npy(open()?).map_err(parse)?),
        "i4" => to_f64(ArrayD::<i32>::read_npy(open()?).map_err(parse)?),
        "u1" => to_f64(ArrayD::<u8>::read_npy(open()?).map_err(parse)?),
        "u2" => to_f64(ArrayD::<u16>::read_npy(open()?).map_err(parse)?),
        "u4" => to_f64(ArrayD::<u32>::read_npy(open()?).map_err(parse)?),
        // 64-bit integers round to the nearest float64, as NumPy's astype(float) does.
        "i8" => NpyArray::F64(
            ArrayD::<i64>::read_npy(open()?)
                .map_err(parse)?
                .mapv(|v| v as f64),
        ),
        "u8" => NpyArray::F64(
            ArrayD::<u64>::read_npy(open()?)
                .map_err(parse)?
                .mapv(|v| v as f64),
        ),
        "b1" => NpyArray::F64(
            ArrayD::<bool>::read_npy(open()?)
                .map_err(parse)?
                .mapv(|v| f64::from(u8::from(v))),
        ),
        _ => return Err(npy_error(path, NpyError::UnsupportedDtype(header.descr))),
    };
    Ok(match array {
        NpyArray::F32(a) if header.fortran_order => {
            NpyArray::F32(a.as_standard_layout().into_owned())
        }
        NpyArray::F64(a) if header.fortran_order => {
            NpyArray::F64(a.as_standard_layout().into_owned())
        }
        other => other,
    })
}

/// Writes `array` to `path` as `.npy`, through a temporary file renamed into place, so that a
/// failure leaves no partial output.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_npy<A: WritableElement + Clone>(path: &Path, array: &ArrayD<A>) -> Result<()> {
    let tmp = temp_path(path);
    let result = (|| -> Result<()> {
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut writer = BufWriter::new(file);
        array
            .as_standard_layout()
            .write_npy(&mut writer)
            .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
        writer.flush().map_err(|e| Error::io(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `dir/.name.tmp-<pid>` beside `path`, so the final rename stays on one file system.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
