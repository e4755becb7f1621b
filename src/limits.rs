//! Sizes that come from input (bins, image sizes, steps x recorded neurons, frames), checked
//! before anything is allocated: a request past the memory this machine has available is a
//! typed [`Error::MemoryLimit`] (Python's `MemoryError`), like NumPy's "Unable to allocate",
//! never an allocation that aborts the process.

use crate::error::{Error, Result};

/// Bytes a single request may take: the memory available now (`MemAvailable` on Linux), or
/// `GPUSCI_MEMORY_LIMIT` (bytes) when set, whichever is smaller. Without either (another
/// operating system), 2^40 bytes: the checks then still catch overflowing sizes.
pub fn memory_budget() -> u64 {
    let from_env = std::env::var("GPUSCI_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let available = available_memory().unwrap_or(1 << 40);
    from_env.map_or(available, |limit| limit.min(available))
}

fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Checks that `count` items of `item_bytes` each (overflow-checked) fit in
/// [`memory_budget`].
///
/// # Errors
/// [`Error::MemoryLimit`] when they do not, or when the product overflows.
pub fn check_allocation(what: &'static str, count: u64, item_bytes: u64) -> Result<()> {
    let budget = memory_budget();
    match count.checked_mul(item_bytes) {
        Some(bytes) if bytes <= budget => Ok(()),
        bytes => Err(Error::MemoryLimit {
            what,
            requested: bytes.map_or_else(
                || format!("{count} x {item_bytes} bytes (more than 2^64)"),
                |b| format!("{b} bytes"),
            ),
            available: budget,
        }),
    }
}
