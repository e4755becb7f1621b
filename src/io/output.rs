//! The one way gpusci writes an output file, as `np.save(path, ...)` would, but never leaving a
//! partial file behind:
//!
//! - a new path or an existing regular file: written to a temporary file in the same folder
//!   (`tempfile`) and renamed over the path once complete, so a failure leaves the old file (or
//!   nothing) in place;
//! - a symbolic link: followed, and its target written the same way (the link stays a link);
//! - anything else (a device such as `/dev/full` or `/dev/null`, a FIFO): opened and written
//!   directly, as NumPy does, and every OS error reported; renaming over it would replace the
//!   device with a regular file.
//!
//! A folder, or a path whose folder is missing, is the OS error it gives, and nothing is
//! written.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes the file at `path` with `write`, which gets a buffered writer.
///
/// # Errors
/// [`Error::Io`] for every failure to open, write, flush or rename (with the OS's message);
/// whatever `write` returns. On any error nothing is left at `path` that was not there before.
pub fn write_output(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    match regular_target(path).map_err(io)? {
        Some(target) => {
            // The file keeps the mode it had; a new one gets 0666 less the umask, as
            // `np.save` (open(2)) gives it. tempfile alone would make every output 0600.
            let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
            let folder = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let prefix = format!(
                ".{}.",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            let mut builder = tempfile::Builder::new();
            builder.prefix(&prefix).suffix(".tmp");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // open(2) with O_CREAT and 0666 (less the umask), as File::create and np.save.
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let tmp = builder.tempfile_in(&folder).map_err(io)?;
            if let Some(permissions) = existing {
                tmp.as_file().set_permissions(permissions).map_err(io)?;
            }
            {
                let mut writer = BufWriter::new(tmp.as_file());
                write(&mut writer)?;
                writer.flush().map_err(io)?;
            }
            // On an error above, dropping `tmp` removes it.
            tmp.persist(&target).map_err(|e| io(e.error))?;
            Ok(())
        }
        None => {
            // A device or FIFO (or a dangling link, whose target this creates): write into
            // it, as np.save does.
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .map_err(io)?;
            let mut writer = BufWriter::new(file);
            write(&mut writer)?;
            writer.flush().map_err(io)?;
            writer
                .into_inner()
                .map_err(|e| io(e.into_error()))?
                .sync_data()
                .or_else(ignore_unsupported_sync)
                .map_err(io)
        }
    }
}

/// The regular file to replace for `path` (itself, or a symlink's final target), or `None`
/// when the path names something else that must be written in place. A folder is an error.
fn regular_target(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(path.to_path_buf())),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return match std::fs::canonicalize(path) {
            Ok(target) => regular_target(&target),
            // A dangling link: opening it creates its target, as np.save would.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
    }
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    Ok(meta.is_file().then(|| path.to_path_buf()))
}

/// Devices such as `/dev/null` and FIFOs refuse `fsync` with EINVAL; that is no write error.
fn ignore_unsupported_sync(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        Ok(())
    } else {
        Err(e)
    }
}
