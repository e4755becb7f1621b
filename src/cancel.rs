//! Stopping long runs between blocks: a caller (the Python module on Ctrl-C) calls
//! [`cancel_running`], and every simulation that started before it stops at its next block
//! boundary with [`Error::Cancelled`]. Runs started afterwards are not affected: each run holds
//! the epoch it started in ([`Token`]) and compares it with the current one.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static EPOCH: AtomicU64 = AtomicU64::new(0);

/// Cancels every run in progress (they stop at their next block boundary).
pub fn cancel_running() {
    EPOCH.fetch_add(1, Ordering::SeqCst);
}

/// The epoch a run started in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token(u64);

impl Token {
    /// A token for a run starting now.
    pub fn now() -> Self {
        Token(EPOCH.load(Ordering::SeqCst))
    }

    /// `Err(Error::Cancelled)` once [`cancel_running`] was called after this token was made.
    ///
    /// # Errors
    /// [`Error::Cancelled`].
    pub fn check(self) -> Result<()> {
        if EPOCH.load(Ordering::Relaxed) == self.0 {
            Ok(())
        } else {
            Err(Error::Cancelled)
        }
    }
}
