//! The crate's one error type.

use std::path::PathBuf;

/// Shorthand for results carrying the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in gpusci, as a typed value (never a panic).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No GPU adapter matched the request (`--backend gpu`, or `GPUSCI_ADAPTER` named none).
    #[error("no GPU adapter found: {0}")]
    NoAdapter(String),
    /// The adapter refused to open a device.
    #[error("could not open the GPU device: {0}")]
    RequestDevice(#[from] wgpu::RequestDeviceError),
    /// A wgpu validation or internal error, caught by an error scope.
    #[error("GPU error during {what}: {message}")]
    Gpu {
        /// The operation that failed.
        what: String,
        /// wgpu's description.
        message: String,
    },
    /// The GPU ran out of memory.
    #[error("GPU out of memory during {what}: {message}")]
    OutOfMemory {
        /// The operation that failed.
        what: String,
        /// wgpu's description.
        message: String,
    },
    /// The GPU device was lost (driver reset, hang, removal); the context is unusable.
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// Waiting for the GPU took longer than the allowed time.
    #[error("GPU did not finish {what} within {seconds} s")]
    Timeout {
        /// The operation waited for.
        what: &'static str,
        /// The limit that ran out.
        seconds: u64,
    },
    /// Mapping a buffer for read-back failed.
    #[error("GPU buffer read-back failed: {0}")]
    BufferMap(#[from] wgpu::BufferAsyncError),
    /// A parameter is out of its valid range.
    #[error("invalid {name}: {reason}")]
    InvalidParam {
        /// The parameter's name as the user wrote it.
        name: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// An array has the wrong shape or number of dimensions.
    #[error("{what}: expected shape {expected}, got {got:?}")]
    ShapeMismatch {
        /// Which array.
        what: &'static str,
        /// The shape (or rule) expected, in words.
        expected: String,
        /// The shape found.
        got: Vec<usize>,
    },
    /// The input holds no elements.
    #[error("{0} is empty (0 elements)")]
    EmptyInput(&'static str),
    /// A size exceeds a hard limit that chunking cannot work around.
    #[error("{what} needs {requested} but at most {max} is possible")]
    ExceedsLimit {
        /// What was too large.
        what: &'static str,
        /// The size asked for.
        requested: u64,
        /// The largest size possible.
        max: u64,
    },
    /// The run was cancelled ([`crate::cancel::cancel_running`], Ctrl-C in Python).
    #[error("cancelled before the run finished")]
    Cancelled,
    /// A size from the input needs more memory than this machine has available.
    #[error("{what} needs {requested}, more than the {available} bytes of memory available")]
    MemoryLimit {
        /// What would be allocated.
        what: &'static str,
        /// The bytes asked for, in words.
        requested: String,
        /// The bytes available.
        available: u64,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A `.npy` file is malformed, hostile or of an unsupported kind.
    #[error("{}: {kind}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        kind: NpyError,
    },
    /// A CSV file has a row that is not numbers, or a row of another width.
    #[error("{}: line {line}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Encoding a PNG failed.
    #[error("{}: PNG encoding failed: {message}", path.display())]
    Png {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParam`] (also for the CLI crate's own checks).
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParam {
            name,
            reason: reason.into(),
        }
    }

    /// x and y coordinate arrays of different lengths.
    pub(crate) fn points_mismatch(x: usize, y: usize) -> Self {
        Error::ShapeMismatch {
            what: "points",
            expected: format!("x and y of the same length ({x})"),
            got: vec![y],
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Longest `.npy` header accepted, as NumPy (`np.load` refuses longer ones by default).
pub const MAX_HEADER_LEN: usize = 10_000;

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
