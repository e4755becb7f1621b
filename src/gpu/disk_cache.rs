//! Compiled pipelines kept on disk between processes (wgpu's `PipelineCache`, Vulkan only):
//! a fresh process's first call then skips the driver's shader compilation.
//!
//! The cache lives in `$XDG_CACHE_HOME/gpusci/` (else `~/.cache/gpusci/`), one file per
//! adapter named by `wgpu::util::pipeline_cache_key` (vendor and device). wgpu checks the
//! data's header against the adapter and driver, and starts empty when it does not match
//! (`fallback`). `GPUSCI_PIPELINE_CACHE=0` turns it off. New pipelines mark it changed; the
//! next submission saves it once (not once per pipeline), and only when its data grew past
//! what was loaded or last saved. It is written whole to a temporary file and renamed, so a
//! reader never sees half a file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Environment variable that turns the on-disk pipeline cache off (`0`, `false`, `off`, `no`).
pub const PIPELINE_CACHE_ENV: &str = "GPUSCI_PIPELINE_CACHE";

/// A pipeline cache and the file it is kept in.
#[derive(Debug)]
pub(crate) struct DiskPipelineCache {
    cache: wgpu::PipelineCache,
    path: PathBuf,
    /// A pipeline was compiled since the last save.
    changed: AtomicBool,
    /// Bytes of the data loaded or last saved.
    saved_len: AtomicUsize,
}

impl DiskPipelineCache {
    /// The cache of `device`'s adapter, loaded from its file when one is there; `None` when the
    /// device has no `PIPELINE_CACHE` feature, the cache is turned off, or no cache folder is
    /// known.
    pub(crate) fn open(device: &wgpu::Device, info: &wgpu::AdapterInfo) -> Option<Self> {
        let off = ["0", "false", "off", "no"];
        if std::env::var(PIPELINE_CACHE_ENV)
            .is_ok_and(|v| off.contains(&v.trim().to_ascii_lowercase().as_str()))
            || !device.features().contains(wgpu::Features::PIPELINE_CACHE)
        {
            return None;
        }
        let key = wgpu::util::pipeline_cache_key(info)?;
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        let path = base.join("gpusci").join(format!("{key}.bin"));
        let data = std::fs::read(&path).ok();
        #[expect(
            unsafe_code,
            reason = "wgpu asks that the data come from PipelineCache::get_data; ours is only \
                      ever written from it (to this adapter's file), and wgpu validates its \
                      header against the adapter and driver, starting empty on a mismatch"
        )]
        // SAFETY: as the reason above says.
        let cache = unsafe {
            device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                label: Some("gpusci pipelines"),
                data: data.as_deref(),
                fallback: true,
            })
        };
        Some(Self {
            cache,
            path,
            changed: AtomicBool::new(false),
            saved_len: AtomicUsize::new(data.map_or(0, |d| d.len())),
        })
    }

    /// The cache, for `ComputePipelineDescriptor::cache`.
    pub(crate) fn cache(&self) -> &wgpu::PipelineCache {
        &self.cache
    }

    /// Notes that a pipeline was compiled through the cache.
    pub(crate) fn mark_changed(&self) {
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Writes the cache's data to its file if a pipeline was compiled since the last save and
    /// the data grew; a failure (a read-only home, a full disk) only costs the next process its
    /// compilations, so it is not an error.
    pub(crate) fn save_if_changed(&self) {
        if !self.changed.swap(false, Ordering::Relaxed) {
            return;
        }
        let Some(data) = self.cache.get_data() else {
            return;
        };
        if data.len() <= self.saved_len.load(Ordering::Relaxed) {
            return;
        }
        self.saved_len.store(data.len(), Ordering::Relaxed);
        let Some(dir) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        if let Ok(mut file) = tempfile::NamedTempFile::new_in(dir) {
            if std::io::Write::write_all(&mut file, &data).is_ok() {
                let _ = file.persist(&self.path);
            }
        }
    }
}
