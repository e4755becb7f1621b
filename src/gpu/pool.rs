//! The buffer pool: every buffer an operation asks its [`GpuContext`](super::GpuContext) for is
//! leased from here, and comes back when the last handle to it is dropped, so a warm call of
//! the same operation creates no buffer (wgpu zero-fills every fresh one, and creating one is
//! a driver round trip).
//!
//! How it works, step by step:
//! 1. [`Pool::acquire`] rounds the request up to a size class (powers of two up to 4 KiB, then
//!    four classes an octave, so at most a quarter is wasted) and takes a free buffer of that
//!    class and usage, or creates one.
//! 2. The caller holds a [`GpuBuffer`]: a cloneable handle that binds only the bytes asked for
//!    ([`GpuBuffer::binding`]), so a larger class never shows through to a shader or past a
//!    binding limit.
//! 3. When its last clone is dropped the buffer goes to a *pending* list, not straight back:
//!    an encoder still being recorded, or a submission still running, may use it.
//! 4. Pending buffers become free when the context is idle: no encoder open (see
//!    [`Recording`](super::Recording)) and every submission waited for. Each call ends with a
//!    wait, so the next call finds its buffers free; a queue write into a reused buffer can
//!    then never land under work that still reads it.
//! 5. Past the byte limit, released buffers are destroyed instead of kept; [`Pool::trim`]
//!    destroys every free one.
//!
//! Usage figures ([`DeviceStats`]) are kept beside the pool, with the transfer counters that the
//! tests use to prove each call's promises (bytes up and down, submits, waits).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes the pool keeps at most (free and leased together) before it destroys released
/// buffers instead of keeping them: 1 GiB, or `GPUSCI_POOL_LIMIT` bytes. A lease is never
/// refused for the limit: it bounds what is *kept*, not what a call may use.
pub const DEFAULT_POOL_LIMIT: u64 = 1 << 30;

/// The smallest size class: uniforms and small tables share it.
const MIN_CLASS: u64 = 256;

/// What a pooled buffer is for; buffers of one kind are never handed out as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Usage {
    /// Storage, readable and writable by shaders, a copy source and target.
    Storage,
    /// A uniform block.
    Uniform,
    /// A read-back target the host maps.
    Readback,
}

impl Usage {
    fn flags(self) -> wgpu::BufferUsages {
        match self {
            Usage::Storage => {
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC
            }
            Usage::Uniform => wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            Usage::Readback => wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        }
    }
}

/// The size class of a request of `bytes`: a power of two up to 4 KiB, past it the next
/// multiple of an eighth of the enclosing power of two (four classes an octave).
pub(crate) fn size_class(bytes: u64) -> u64 {
    let bytes = bytes.max(MIN_CLASS);
    let power = bytes.next_power_of_two();
    if power <= 4096 {
        power
    } else {
        bytes.next_multiple_of(power / 8)
    }
}

/// A context's transfer and memory figures since it was opened (or since the last
/// [`GpuContext::reset_stats`](super::GpuContext::reset_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Array data written from the host to the device, in bytes (inputs and their
    /// conversions; not kernel parameters).
    pub uploaded_bytes: u64,
    /// Array data read back from the device, in bytes.
    pub downloaded_bytes: u64,
    /// Kernel parameters written (uniform blocks, filter taps, bin edges, tables), in bytes:
    /// kept apart from `uploaded_bytes` so that figure is the data alone.
    pub parameter_bytes: u64,
    /// Command submissions to the queue.
    pub submits: u64,
    /// Blocking waits for the device.
    pub waits: u64,
    /// wgpu buffers created (pool misses, and the context's long-lived tables).
    pub buffers_created: u64,
    /// Bytes of the buffers the pool owns, free or leased.
    pub pool_bytes_held: u64,
    /// Bytes of the pooled buffers leased out now.
    pub pool_bytes_in_use: u64,
    /// The largest `pool_bytes_held` seen.
    pub pool_peak_bytes: u64,
}

/// Counters updated without the pool's lock.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) uploaded: AtomicU64,
    pub(crate) downloaded: AtomicU64,
    pub(crate) parameters: AtomicU64,
    pub(crate) submits: AtomicU64,
    pub(crate) waits: AtomicU64,
    pub(crate) created: AtomicU64,
    /// Submissions made (a serial number: the n-th submission is serial n).
    pub(crate) submitted: AtomicU64,
    /// The highest serial known finished.
    pub(crate) completed: AtomicU64,
    /// Encoders made and neither submitted nor dropped.
    pub(crate) open_encoders: AtomicU64,
    /// Held across a queue submission and the numbering of its serial, so that serials follow
    /// the queue's order when threads submit at once.
    pub(crate) submit_order: Mutex<()>,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, value: u64) {
        counter.fetch_add(value, Ordering::Relaxed);
    }

    /// Nothing recorded or in flight can use a released buffer.
    pub(crate) fn idle(&self) -> bool {
        // Encoders first: a submission bumps `submitted` before it closes its encoder, so an
        // encoder seen closed here has its serial counted below.
        self.open_encoders.load(Ordering::SeqCst) == 0
            && self.completed.load(Ordering::SeqCst) >= self.submitted.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Default)]
struct Lists {
    free: HashMap<(Usage, u64), Vec<wgpu::Buffer>>,
    pending: Vec<(Usage, u64, wgpu::Buffer)>,
    held: u64,
    in_use: u64,
    peak: u64,
    limit: u64,
}

impl Lists {
    /// Moves the pending buffers to the free lists (the caller knows the context is idle).
    fn recycle(&mut self) {
        for (usage, class, buffer) in self.pending.drain(..) {
            self.free.entry((usage, class)).or_default().push(buffer);
        }
    }

    /// Destroys free buffers until `held + wanted` is within the limit (all of them when
    /// `wanted` is `u64::MAX`).
    fn shed(&mut self, wanted: u64) {
        if self.held.saturating_add(wanted) <= self.limit {
            return;
        }
        for ((_, class), buffers) in self.free.iter_mut() {
            // Dropped, not destroyed: wgpu frees it once nothing recorded still holds it.
            while buffers.pop().is_some() {
                self.held -= *class;
                if self.held.saturating_add(wanted) <= self.limit {
                    return;
                }
            }
        }
    }
}

/// The pool of one context, shared with every lease it hands out.
#[derive(Debug)]
pub(crate) struct Pool {
    lists: Mutex<Lists>,
    pub(crate) counters: Counters,
    /// Largest buffer the device allows (classes never round past it).
    max_buffer: u64,
}

impl Pool {
    pub(crate) fn new(max_buffer: u64) -> Arc<Self> {
        let limit = match std::env::var("GPUSCI_POOL_LIMIT") {
            Err(_) => DEFAULT_POOL_LIMIT,
            Ok(text) => text.trim().parse().unwrap_or_else(|_| {
                super::note_cpu_fallback(|| {
                    format!(
                        "GPUSCI_POOL_LIMIT={text:?} is not a whole number of bytes; the pool \
                         keeps at most {DEFAULT_POOL_LIMIT} bytes"
                    )
                });
                DEFAULT_POOL_LIMIT
            }),
        };
        Arc::new(Self {
            lists: Mutex::new(Lists {
                limit,
                ..Lists::default()
            }),
            counters: Counters::default(),
            max_buffer,
        })
    }

    fn lists(&self) -> std::sync::MutexGuard<'_, Lists> {
        // A panic while the lock was held leaves consistent lists (every update is one step).
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer of at least `bytes` bytes for `usage`: a free one of the class, or a new one
    /// made by `create(size)`. `bytes` is rounded up to 4 (the copy alignment).
    pub(crate) fn acquire(
        self: &Arc<Self>,
        usage: Usage,
        bytes: u64,
        create: impl FnOnce(u64, wgpu::BufferUsages) -> crate::Result<wgpu::Buffer>,
    ) -> crate::Result<GpuBuffer> {
        let bytes = bytes.max(4).next_multiple_of(4);
        let class = size_class(bytes).min(self.max_buffer.max(bytes));
        let reused = {
            let mut lists = self.lists();
            if self.counters.idle() {
                lists.recycle();
            }
            let found = lists.free.get_mut(&(usage, class)).and_then(Vec::pop);
            if found.is_none() {
                lists.shed(class);
            }
            found
        };
        let buffer = match reused {
            Some(buffer) => buffer,
            None => {
                let buffer = create(class, usage.flags())?;
                Counters::add(&self.counters.created, 1);
                let mut lists = self.lists();
                lists.held += class;
                lists.peak = lists.peak.max(lists.held);
                buffer
            }
        };
        self.lists().in_use += class;
        Ok(GpuBuffer {
            lease: Arc::new(Lease {
                buffer,
                bytes,
                class,
                usage,
                pool: Some(Arc::clone(self)),
                discarded: Default::default(),
            }),
        })
    }

    fn release(&self, usage: Usage, class: u64, buffer: wgpu::Buffer, discarded: bool) {
        let mut lists = self.lists();
        lists.in_use -= class;
        if lists.held > lists.limit || discarded {
            // Dropped, not destroyed: an open encoder may still hold it (wgpu frees it after).
            drop(buffer);
            lists.held -= class;
        } else if self.counters.idle() {
            // The usual case at the end of a call: its submission waited for, its encoder
            // closed, nothing can still read the buffer.
            lists.free.entry((usage, class)).or_default().push(buffer);
        } else {
            lists.pending.push((usage, class, buffer));
        }
    }

    /// Frees the pending buffers if nothing recorded or in flight can use them (called when
    /// an encoder opens and after each wait).
    pub(crate) fn recycle_if_idle(&self) {
        if self.counters.idle() {
            let mut lists = self.lists();
            if !lists.pending.is_empty() {
                lists.recycle();
            }
        }
    }

    /// Destroys every free buffer (pending ones too when the context is idle).
    pub(crate) fn trim(&self) {
        let mut lists = self.lists();
        if self.counters.idle() {
            lists.recycle();
        }
        lists.shed(u64::MAX);
    }

    /// Sets the byte limit and sheds free buffers past it.
    pub(crate) fn set_limit(&self, bytes: u64) {
        let mut lists = self.lists();
        lists.limit = bytes;
        lists.shed(0);
    }

    /// The figures now; `reset` zeroes the counters and restarts the peak from what is held.
    pub(crate) fn stats(&self, reset: bool) -> DeviceStats {
        let c = &self.counters;
        let take = |counter: &AtomicU64| {
            if reset {
                counter.swap(0, Ordering::Relaxed)
            } else {
                counter.load(Ordering::Relaxed)
            }
        };
        let mut lists = self.lists();
        let stats = DeviceStats {
            uploaded_bytes: take(&c.uploaded),
            downloaded_bytes: take(&c.downloaded),
            parameter_bytes: take(&c.parameters),
            submits: take(&c.submits),
            waits: take(&c.waits),
            buffers_created: take(&c.created),
            pool_bytes_held: lists.held,
            pool_bytes_in_use: lists.in_use,
            pool_peak_bytes: lists.peak,
        };
        if reset {
            lists.peak = lists.held;
        }
        stats
    }
}

/// One buffer and where it goes back to.
#[derive(Debug)]
struct Lease {
    buffer: wgpu::Buffer,
    /// The bytes asked for (a multiple of 4): what is bound and copied.
    bytes: u64,
    class: u64,
    usage: Usage,
    /// `None` for buffers kept for the context's life (constant tables).
    pool: Option<Arc<Pool>>,
    /// Not to be reused (a read-back buffer a failed read may have left mapped).
    discarded: std::sync::atomic::AtomicBool,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            let discarded = self.discarded.load(Ordering::Relaxed);
            pool.release(self.usage, self.class, self.buffer.clone(), discarded);
        }
    }
}

/// A device buffer leased from a context's pool: clone it freely; the buffer returns to the
/// pool when the last clone is dropped. Dereferences to the [`wgpu::Buffer`], which may be
/// larger than [`GpuBuffer::bytes`]: bind it with [`GpuBuffer::binding`].
#[derive(Clone, Debug)]
pub struct GpuBuffer {
    lease: Arc<Lease>,
}

impl GpuBuffer {
    /// A buffer outside the pool, kept as long as a handle to it lives.
    pub(crate) fn unpooled(buffer: wgpu::Buffer, bytes: u64) -> Self {
        Self {
            lease: Arc::new(Lease {
                buffer,
                bytes,
                class: bytes,
                usage: Usage::Storage,
                pool: None,
                discarded: Default::default(),
            }),
        }
    }

    /// Keeps the buffer out of the pool once released (its state is not known to be clean).
    pub(crate) fn discard(&self) {
        self.lease.discarded.store(true, Ordering::Relaxed);
    }

    /// Undoes [`GpuBuffer::discard`] (the buffer is clean again).
    pub(crate) fn keep(&self) {
        self.lease.discarded.store(false, Ordering::Relaxed);
    }

    /// The bytes this handle stands for (a multiple of 4; the wgpu buffer may be larger).
    pub fn bytes(&self) -> u64 {
        self.lease.bytes
    }

    /// The binding of exactly [`GpuBuffer::bytes`] from offset 0.
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.lease.buffer,
            offset: 0,
            size: wgpu::BufferSize::new(self.lease.bytes),
        })
    }
}

impl std::ops::Deref for GpuBuffer {
    type Target = wgpu::Buffer;

    fn deref(&self) -> &wgpu::Buffer {
        &self.lease.buffer
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_waste_at_most_a_quarter_past_4_kib() {
        assert_eq!(size_class(1), 256, "the smallest class");
        assert_eq!(size_class(4096), 4096, "a power of two is its own class");
        assert_eq!(size_class(4097), 5120, "4 KiB + 1 rounds to 5 KiB");
        for bytes in [5000u64, 123_457, 4 << 20, (4 << 20) + 4, 1_000_000_007] {
            let class = size_class(bytes);
            assert!(class >= bytes, "class {class} holds {bytes}");
            assert!(
                class as f64 <= bytes as f64 * 1.25 + 1.0,
                "class {class} wastes more than a quarter of {bytes}"
            );
        }
    }
}
