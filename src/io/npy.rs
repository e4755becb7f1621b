//! `.npy` reading and writing.
//!
//! Reading is ours: every file is first checked (magic, version, header length, the header's
//! keys and values, a checked shape product, and the declared data size against the file's real
//! size) before anything is allocated, and the header is read as `np.load` reads it (Python 2's
//! `3L` shape entries, dtype spellings such as `'d'` or `'float64'`). ndarray-npy writes.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{WritableElement, WriteNpyExt};

use crate::error::{Error, Result};

pub use crate::error::{NpyError, MAX_HEADER_LEN};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

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
    // Python 2 wrote long integers as `3L`; NumPy strips the suffix for versions 1.0 and 2.0.
    let python2_longs = major < 3;
    let (descr, fortran_order, shape) = parse_header_dict(text, python2_longs).map_err(&bad)?;
    let descr = canonical_descr(&descr).ok_or_else(|| bad(NpyError::UnsupportedDtype(descr)))?;
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

/// `np.dtype(descr).str` for the dtypes we read (`'d'`, `'float64'`, `'|f8'` and `'<f8'` all
/// give `"<f8"`); `None` for every other dtype, and for spellings `np.dtype` refuses.
fn canonical_descr(descr: &str) -> Option<String> {
    // Names (`float64`, `int`) take no byte-order prefix; codes and typestrs may.
    let named = match descr {
        "float32" | "single" => Some("f4"),
        "float64" | "double" | "float" => Some("f8"),
        "int8" | "byte" => Some("i1"),
        "int16" | "short" => Some("i2"),
        "int32" | "intc" => Some("i4"),
        "int64" | "int" | "long" | "longlong" | "intp" => Some("i8"),
        "uint8" | "ubyte" => Some("u1"),
        "uint16" | "ushort" => Some("u2"),
        "uint32" | "uintc" => Some("u4"),
        "uint64" | "ulonglong" | "uintp" | "uint" => Some("u8"),
        "bool" => Some("b1"),
        _ => None,
    };
    let (order, code) = match named {
        Some(code) => ('=', code),
        None => {
            let (order, rest) = match descr.chars().next()? {
                c @ ('<' | '>' | '=' | '|') => (c, &descr[1..]),
                _ => ('=', descr),
            };
            let code = match rest {
                "f4" | "f" => "f4",
                "f8" | "d" => "f8",
                "i1" | "b" => "i1",
                "i2" | "h" => "i2",
                "i4" | "i" => "i4",
                "i8" | "q" | "l" => "i8",
                "u1" | "B" => "u1",
                "u2" | "H" => "u2",
                "u4" | "I" => "u4",
                "u8" | "Q" | "L" => "u8",
                "b1" | "?" => "b1",
                _ => return None,
            };
            (order, code)
        }
    };
    // Single bytes have no order ('|'); '=' and '|' on wider types mean this machine's order.
    let big = order == '>' || (cfg!(target_endian = "big") && order != '<');
    let order = if code.ends_with('1') {
        '|'
    } else if big {
        '>'
    } else {
        '<'
    };
    Some(format!("{order}{code}"))
}

/// Bytes per element of a canonical dtype (see [`canonical_descr`]); `None` for any other.
fn item_size(descr: &str) -> Option<usize> {
    match descr.get(1..)? {
        "f4" | "i4" | "u4" => Some(4),
        "f8" | "i8" | "u8" => Some(8),
        "i2" | "u2" => Some(2),
        "i1" | "u1" | "b1" => Some(1),
        _ => None,
    }
}

/// A shape entry as Python's `ast.literal_eval` reads an int: an optional `+`, decimal (no
/// leading zeros), `0x`/`0o`/`0b`, `_` between digits; `3L` only from Python 2 headers.
fn parse_python_int(text: &str, python2_longs: bool) -> Option<usize> {
    let text = text.strip_prefix('+').unwrap_or(text).trim_start();
    let text = match text.strip_suffix(['L', 'l']) {
        Some(t) if python2_longs => t,
        Some(_) => return None,
        None => text,
    };
    let lower = text.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.strip_prefix('_').unwrap_or(d))
    } else {
        // Python 3 refuses decimal literals with leading zeros (other than 0 itself).
        if lower.len() > 1
            && lower.starts_with('0')
            && !lower.trim_start_matches(['0', '_']).is_empty()
        {
            return None;
        }
        (10, lower.as_str())
    };
    // Underscores only between digits.
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    usize::from_str_radix(&digits.replace('_', ""), radix).ok()
}

/// Parses NumPy's header dictionary: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header_dict(
    text: &str,
    python2_longs: bool,
) -> std::result::Result<(String, bool, Vec<usize>), NpyError> {
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
                let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                // `(3, 4)`, `(3, 4,)`, `(3,)` and `()`: only the last part may be empty.
                let count = match parts.as_slice() {
                    [""] => 0,
                    [.., last] if last.is_empty() && parts.len() > 1 => parts.len() - 1,
                    _ if parts.len() == 1 => {
                        return Err(bad("a one-element shape needs a trailing comma: (n,)"))
                    }
                    _ => parts.len(),
                };
                for part in &parts[..count] {
                    let dim = parse_python_int(part, python2_longs).ok_or_else(|| {
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
/// ```
/// use gpusci::io::{read_npy, write_npy, NpyArray};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.npy");
/// write_npy(&path, &ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]).into_dyn())?;
/// match read_npy(&path)? {
///     NpyArray::F32(a) => assert_eq!(a.shape(), &[2, 2]), // float32 stays float32
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`read_npy_header`].
pub fn read_npy(path: &Path) -> Result<NpyArray> {
    let header = read_npy_header(path)?;
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    file.seek(SeekFrom::Start(header.data_offset))
        .map_err(|e| Error::io(path, e))?;
    // read_npy_header checked this size against the file's, so the allocation is backed by data.
    let count: usize = header.shape.iter().product();
    let mut bytes = vec![0u8; count * header.item_size];
    file.read_exact(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    // Fortran order: the data is the C-order array of the reversed shape, transposed.
    let shape: Vec<usize> = if header.fortran_order {
        header.shape.iter().rev().copied().collect()
    } else {
        header.shape.clone()
    };
    fn arrange<T: Clone>(shape: Vec<usize>, values: Vec<T>, fortran: bool) -> ArrayD<T> {
        let a = ArrayD::from_shape_vec(IxDyn(&shape), values)
            .expect("read_npy_header checked the element count");
        if fortran {
            a.reversed_axes().as_standard_layout().into_owned()
        } else {
            a
        }
    }
    Ok(if header.descr.ends_with("f4") {
        NpyArray::F32(arrange(
            shape,
            decode_f32(&header.descr, &bytes),
            header.fortran_order,
        ))
    } else {
        NpyArray::F64(arrange(
            shape,
            decode_f64(&header.descr, &bytes),
            header.fortran_order,
        ))
    })
}

/// float32 data (`<f4` or `>f4`) as float32.
fn decode_f32(descr: &str, bytes: &[u8]) -> Vec<f32> {
    let big = descr.starts_with('>');
    bytes
        .chunks_exact(4)
        .map(|c| {
            let a: [u8; 4] = c.try_into().expect("item size");
            if big {
                f32::from_be_bytes(a)
            } else {
                f32::from_le_bytes(a)
            }
        })
        .collect()
}

/// Data of a canonical dtype (see [`read_npy_header`]) as float64, as `astype(float)`:
/// 64-bit integers round to the nearest float64, bools are 0 and 1.
pub(crate) fn decode_f64(descr: &str, bytes: &[u8]) -> Vec<f64> {
    let big = descr.starts_with('>');
    let kind = descr.trim_start_matches(['<', '>', '=', '|']);
    macro_rules! each {
        ($t:ty, $n:expr) => {
            bytes
                .chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().expect("item size");
                    (if big {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    }) as f64
                })
                .collect()
        };
    }
    match kind {
        "f8" => each!(f64, 8),
        "f4" => each!(f32, 4),
        "i8" => each!(i64, 8),
        "i4" => each!(i32, 4),
        "i2" => each!(i16, 2),
        "i1" => each!(i8, 1),
        "u8" => each!(u64, 8),
        "u4" => each!(u32, 4),
        "u2" => each!(u16, 2),
        "u1" => each!(u8, 1),
        // b1: read_npy_header accepts no other dtype.
        _ => bytes.iter().map(|&b| f64::from(u8::from(b != 0))).collect(),
    }
}

/// Writes `array` to `path` as `.npy` (see [`super::write_output`]: a regular file is
/// replaced only once complete, a device or FIFO is written in place, a failure leaves
/// nothing).
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn write_npy<A: WritableElement + Clone>(path: &Path, array: &ArrayD<A>) -> Result<()> {
    super::write_output(path, |writer| {
        array
            .as_standard_layout()
            .write_npy(writer)
            .map_err(|e| match e {
                ndarray_npy::WriteNpyError::Io(e) => Error::io(path, e),
                other => Error::io(path, std::io::Error::other(other.to_string())),
            })
    })
}
