//! Notes that a request for the GPU ran part of its work on the CPU, and why.
//!
//! With a GPU [`super::Device`], every operation runs on the GPU except where a part cannot:
//! `histogram2d` grids or edges the GPU binner refuses, weights with no exact fixed-point
//! scale, `eq_hist`'s ranking, crossings with hysteresis, rolling means whose magnitudes span
//! too much for one fixed-point grid, and any input past one of the adapter's limits (an FFT
//! row, a convolution kernel, blur taps, a rolling window past one binding) or float64 data
//! double-float cannot hold, which each capability's refusal names before anything is
//! uploaded and [`or_cpu_when_refused`] computes on the CPU instead. Those parts say so
//! through this hook instead of running on the CPU silently. The library never prints: front ends choose (the
//! CLI writes each note to stderr; the Python package raises a `RuntimeWarning`).

use std::sync::{Arc, RwLock};

use crate::error::Result;

/// What receives the notes.
pub type FallbackHook = Arc<dyn Fn(&str) + Send + Sync>;

static HOOK: RwLock<Option<FallbackHook>> = RwLock::new(None);

/// Sets (or, with `None`, removes) the process-wide receiver of CPU-fallback notes. Each note
/// is one sentence naming the operation, the reason and what ran on the CPU.
pub fn set_cpu_fallback_hook(hook: Option<FallbackHook>) {
    *HOOK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = hook;
}

/// Sends a note to the hook, if one is set (`note` is only formatted then).
pub(crate) fn note_cpu_fallback(note: impl FnOnce() -> String) {
    let hook = HOOK
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    if let Some(hook) = hook {
        hook(&note());
    }
}

/// Runs `gpu`, unless the capability's refusal (asked before anything is uploaded: one of the
/// adapter's limits, or float64 data double-float cannot hold) says it cannot; then says why
/// and runs `cpu` instead, so no input the CPU takes is refused on a GPU. An
/// [`Error::ExceedsLimit`](crate::Error::ExceedsLimit) from `gpu` is an error: the refusal
/// should have named it.
pub(crate) fn or_cpu_when_refused<T>(
    operation: &str,
    refusal: Option<String>,
    gpu: impl FnOnce() -> Result<T>,
    cpu: impl FnOnce() -> Result<T>,
) -> Result<T> {
    match refusal {
        None => gpu(),
        Some(reason) => {
            note_cpu_fallback(|| format!("{operation}: {reason}; computed on the CPU"));
            cpu()
        }
    }
}
