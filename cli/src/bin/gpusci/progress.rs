//! Progress bars for reading large point files (indicatif; drawn on stderr, hidden when stderr
//! is not a terminal).

use std::path::Path;

use gpusci::io::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Files below this size finish in about a second: no bar.
const BAR_FROM_BYTES: u64 = 64 << 20;

/// A bar for binning `path`, and the callback `histogram2d_file` reports to.
pub(crate) fn for_file(path: &Path) -> (ProgressBar, impl FnMut(usize, Progress)) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = if size >= BAR_FROM_BYTES {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    let handle = bar.clone();
    let update = move |pass: usize, progress: Progress| {
        let phase = if pass == 0 {
            "finding the range"
        } else {
            "binning"
        };
        let (done, total, unit) = match progress {
            Progress::Points { done, total } => (done, total, "points"),
            Progress::Bytes { done, total } => (done, total, "bytes"),
        };
        if handle.length() != Some(total) {
            handle.set_length(total);
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{{msg}} {{bar:40}} {{human_pos}}/{{human_len}} {unit}, {{per_sec}}, eta {{eta}}"
            )) {
                handle.set_style(style);
            }
        }
        handle.set_message(phase);
        handle.set_position(done);
    };
    (bar, update)
}
