//! Typed upload and read-back through the context's pool, the open-encoder guard
//! ([`Recording`]) that tells the pool when buffers are safe to reuse, and the NaN poisoning of
//! handed-out buffers that tests rely on.
//!
//! A call's life on the device: buffers leased from the pool, data written into them through
//! the queue's staging memory (one copy from the caller's memory, no intermediate `Vec`),
//! dispatches recorded in one [`Recording`], the copy of the result into a pooled read-back
//! buffer recorded in the same encoder, one submit, one wait, and one copy out of the mapped
//! memory into the caller's.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytemuck::Pod;

use super::pool::{Counters, DeviceStats, GpuBuffer, Pool, Usage};
use super::{GpuContext, WAIT_TIMEOUT_S};
use crate::error::{Error, Result};

/// The bit pattern written into output buffers before a run when poisoning is on: a quiet NaN
/// with a recognisable payload, so an element the kernel never wrote fails any comparison.
pub(crate) const POISON_BITS: u32 = 0x7fc0_dead;

/// A command encoder being recorded. While one is open, the pool keeps released buffers
/// pending (a dispatch recorded here may still read them); submitting it closes it.
/// Dereferences to the [`wgpu::CommandEncoder`].
pub struct Recording {
    encoder: Option<wgpu::CommandEncoder>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Recording {
    type Target = wgpu::CommandEncoder;

    fn deref(&self) -> &wgpu::CommandEncoder {
        self.encoder
            .as_ref()
            .expect("an open recording has its encoder")
    }
}

impl std::ops::DerefMut for Recording {
    fn deref_mut(&mut self) -> &mut wgpu::CommandEncoder {
        self.encoder
            .as_mut()
            .expect("an open recording has its encoder")
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.pool
            .counters
            .open_encoders
            .fetch_sub(1, Ordering::SeqCst);
    }
}

/// A submission: wgpu's index and our serial number (the pool's notion of progress).
#[derive(Clone, Debug)]
pub(crate) struct Submission {
    index: wgpu::SubmissionIndex,
    serial: u64,
}

impl GpuContext {
    /// Turns NaN poisoning of every output buffer on or off (on in debug builds and whenever
    /// `GPUSCI_POISON=1`). Tests turn it on so that unwritten elements fail loudly.
    pub fn set_poison_outputs(&self, on: bool) {
        self.poison.store(on, Ordering::Relaxed);
    }

    /// The transfer counters and pool figures of this context.
    pub fn stats(&self) -> DeviceStats {
        self.pool.stats(false)
    }

    /// The figures as [`GpuContext::stats`], then zeroes the counters (and restarts the peak
    /// from what the pool holds now).
    pub fn reset_stats(&self) -> DeviceStats {
        self.pool.stats(true)
    }

    /// Destroys every buffer the pool keeps free (device memory back to the driver).
    pub fn trim(&self) {
        self.pool.trim();
    }

    /// Sets how many bytes the pool keeps at most ([`DEFAULT_POOL_LIMIT`](super::DEFAULT_POOL_LIMIT)
    /// by default); free buffers past it are destroyed now, released ones past it later.
    pub fn set_pool_limit(&self, bytes: u64) {
        self.pool.set_limit(bytes);
    }

    /// A new encoder for one call's dispatches.
    pub(crate) fn encoder(&self) -> Recording {
        let counters = &self.pool.counters;
        if counters.open_encoders.load(Ordering::SeqCst) == 0 && !counters.idle() {
            // Work submitted and not waited for (a chain of device-array operations): a
            // non-blocking poll runs the completion callbacks, so what finished frees its
            // buffers for this call.
            let _ = self.device.poll(wgpu::PollType::Poll);
        }
        self.pool.recycle_if_idle();
        self.pool
            .counters
            .open_encoders
            .fetch_add(1, Ordering::SeqCst);
        Recording {
            encoder: Some(self.device.create_command_encoder(&Default::default())),
            pool: Arc::clone(&self.pool),
        }
    }

    /// A pooled buffer of `usage` holding at least `bytes` bytes (contents undefined).
    fn lease(&self, label: &str, usage: Usage, bytes: u64) -> Result<GpuBuffer> {
        self.pool.acquire(usage, bytes, |size, flags| {
            self.scoped(label, || {
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size,
                    usage: flags,
                    mapped_at_creation: false,
                })
            })
        })
    }

    /// A storage buffer of `bytes` bytes, usable as a copy source and target, from the pool.
    /// Its contents are undefined (an earlier call's data): kernels write their outputs whole,
    /// and accumulators are cleared in the encoder. With poisoning on it is filled with the
    /// poison NaN, so stale data cannot pass a test.
    pub(crate) fn storage_buffer(&self, label: &str, bytes: u64) -> Result<GpuBuffer> {
        let buffer = self.lease(label, Usage::Storage, bytes)?;
        if self.poison.load(Ordering::Relaxed) {
            let words = (buffer.bytes() / 4) as usize;
            let poison = vec![POISON_BITS; words];
            self.scoped(label, || {
                self.queue
                    .write_buffer(&buffer, 0, bytemuck::cast_slice(&poison))
            })?;
        }
        Ok(buffer)
    }

    /// Fills the first `count` f32 of `buffer` with the poison NaN when poisoning is on (for
    /// buffers reused within one call, such as a block loop's record buffer).
    pub(crate) fn poison_f32(&self, buffer: &GpuBuffer, count: usize) {
        if self.poison.load(Ordering::Relaxed) && count > 0 {
            let poison = vec![POISON_BITS; count];
            self.queue
                .write_buffer(buffer, 0, bytemuck::cast_slice(&poison));
        }
    }

    /// A storage buffer holding `data`: array data, counted in `uploaded_bytes`.
    ///
    /// Written through the queue rather than `create_buffer_init`, which panics (instead of
    /// reporting an error) when the device has been lost.
    pub(crate) fn upload<T: Pod>(&self, label: &str, data: &[T]) -> Result<GpuBuffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buffer = self.lease(label, Usage::Storage, bytes.len() as u64)?;
        Counters::add(&self.pool.counters.uploaded, bytes.len() as u64);
        self.write_bytes(label, &buffer, bytes)?;
        Ok(buffer)
    }

    /// A storage buffer holding `data`: kernel parameters (taps, edges, tables), counted in
    /// `parameter_bytes`.
    pub(crate) fn upload_table<T: Pod>(&self, label: &str, data: &[T]) -> Result<GpuBuffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buffer = self.lease(label, Usage::Storage, bytes.len() as u64)?;
        Counters::add(&self.pool.counters.parameters, bytes.len() as u64);
        self.write_bytes(label, &buffer, bytes)?;
        Ok(buffer)
    }

    /// A storage buffer of `count` elements of `T` written by `fill(first, chunk)` for
    /// consecutive chunks straight into the queue's staging memory: array data converted on
    /// the way (double-float pairs, NaN masks) with no host copy of the whole array. Counted
    /// in `uploaded_bytes`.
    pub(crate) fn upload_with<T: Pod>(
        &self,
        label: &str,
        count: usize,
        mut fill: impl FnMut(usize, &mut [T]),
    ) -> Result<GpuBuffer> {
        /// Elements converted at a time: small enough to stay in cache.
        const CHUNK: usize = 1 << 14;
        let bytes = (count * std::mem::size_of::<T>()) as u64;
        let buffer = self.lease(label, Usage::Storage, bytes)?;
        Counters::add(&self.pool.counters.uploaded, bytes);
        if count == 0 {
            return Ok(buffer);
        }
        self.scoped(label, || {
            let size = wgpu::BufferSize::new(bytes.next_multiple_of(4)).expect("not empty");
            if let Some(mut view) = self.queue.write_buffer_with(&buffer, 0, size) {
                let mut rest = view.slice(..);
                let mut chunk = vec![T::zeroed(); CHUNK.min(count)];
                let mut first = 0;
                while first < count {
                    let n = (count - first).min(chunk.len());
                    fill(first, &mut chunk[..n]);
                    let (head, tail) = rest.split_at(n * std::mem::size_of::<T>());
                    let mut head = head;
                    head.copy_from_slice(bytemuck::cast_slice(&chunk[..n]));
                    rest = tail;
                    first += n;
                }
                rest.fill(0);
            }
        })?;
        Ok(buffer)
    }

    /// Writes kernel parameters at the start of `buffer` (counted in `parameter_bytes`).
    pub(crate) fn write_table<T: Pod>(
        &self,
        label: &str,
        buffer: &GpuBuffer,
        data: &[T],
    ) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        Counters::add(&self.pool.counters.parameters, bytes.len() as u64);
        self.write_bytes(label, buffer, bytes)
    }

    /// A uniform buffer holding `value` (a kernel parameter).
    pub(crate) fn uniform<T: Pod>(&self, label: &str, value: &T) -> Result<GpuBuffer> {
        let bytes = bytemuck::bytes_of(value);
        let buffer = self.lease(
            label,
            Usage::Uniform,
            (bytes.len() as u64).next_multiple_of(16),
        )?;
        Counters::add(&self.pool.counters.parameters, bytes.len() as u64);
        self.write_bytes(label, &buffer, bytes)?;
        Ok(buffer)
    }

    /// Writes `data` at the start of `buffer` (through the queue, ordered with submissions):
    /// array data, counted in `uploaded_bytes`.
    pub(crate) fn write<T: Pod>(&self, buffer: &GpuBuffer, data: &[T]) -> Result<()> {
        self.write_at(buffer, 0, data)
    }

    /// Writes `data` at byte `offset` of `buffer` (through the queue, ordered with
    /// submissions): array data, counted in `uploaded_bytes`.
    pub(crate) fn write_at<T: Pod>(
        &self,
        buffer: &GpuBuffer,
        offset: u64,
        data: &[T],
    ) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        Counters::add(&self.pool.counters.uploaded, bytes.len() as u64);
        self.write_bytes_at("writing a buffer", buffer, offset, bytes)
    }

    /// Copies `bytes` to the start of `buffer` through the queue's staging memory, padded with
    /// zeros to the 4-byte copy alignment (no padded copy of the data is made).
    fn write_bytes(&self, label: &str, buffer: &wgpu::Buffer, bytes: &[u8]) -> Result<()> {
        self.write_bytes_at(label, buffer, 0, bytes)
    }

    /// Copies `bytes` to byte `offset` of `buffer` through the queue's staging memory, padded
    /// with zeros to the 4-byte copy alignment.
    fn write_bytes_at(
        &self,
        label: &str,
        buffer: &wgpu::Buffer,
        offset: u64,
        bytes: &[u8],
    ) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.scoped(label, || {
            let padded = (bytes.len() as u64).next_multiple_of(4);
            let size = wgpu::BufferSize::new(padded).expect("not empty");
            if let Some(mut view) = self.queue.write_buffer_with(buffer, offset, size) {
                let (mut head, mut tail) = view.slice(..).split_at(bytes.len());
                head.copy_from_slice(bytes);
                tail.fill(0);
            }
        })
    }

    /// Submits `recording`; the pool counts it, and its open encoder closes.
    pub(crate) fn submit(
        &self,
        what: &'static str,
        mut recording: Recording,
    ) -> Result<Submission> {
        let encoder = recording
            .encoder
            .take()
            .expect("an open recording has its encoder");
        // Pipelines compiled for this submission go to the disk cache once, here.
        if let Some(disk) = &self.disk_cache {
            disk.save_if_changed();
        }
        let counters = &self.pool.counters;
        let (index, serial) = {
            let _order = counters
                .submit_order
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let index = self.scoped(what, || self.queue.submit([encoder.finish()]))?;
            let serial = counters.submitted.fetch_add(1, Ordering::SeqCst) + 1;
            // Completion without a wait (a chain that submits and goes on) is learnt here.
            let pool = Arc::clone(&self.pool);
            self.queue.on_submitted_work_done(move || {
                pool.counters.completed.fetch_max(serial, Ordering::SeqCst);
            });
            (index, serial)
        };
        Counters::add(&counters.submits, 1);
        drop(recording);
        Ok(Submission { index, serial })
    }

    /// Waits until `submission` (and every one before it) has finished on the GPU.
    pub(crate) fn wait_for(&self, submission: Submission) -> Result<()> {
        self.wait("an earlier submission", Some(submission))
    }

    /// Submits `recording` and waits for the GPU to finish it.
    pub(crate) fn submit_and_wait(&self, what: &'static str, recording: Recording) -> Result<()> {
        let submission = self.submit(what, recording)?;
        self.wait(what, Some(submission))
    }

    fn wait(&self, what: &'static str, submission: Option<Submission>) -> Result<()> {
        let counters = &self.pool.counters;
        Counters::add(&counters.waits, 1);
        let (index, serial) = match submission {
            Some(s) => (Some(s.index), s.serial),
            None => (None, counters.submitted.load(Ordering::SeqCst)),
        };
        let result = self.device.poll(wgpu::PollType::Wait {
            submission_index: index,
            timeout: Some(Duration::from_secs(WAIT_TIMEOUT_S)),
        });
        match result {
            Ok(_) => {
                counters.completed.fetch_max(serial, Ordering::SeqCst);
                self.pool.recycle_if_idle();
                self.check()
            }
            Err(wgpu::PollError::Timeout) => Err(Error::Timeout {
                what,
                seconds: WAIT_TIMEOUT_S,
            }),
            Err(error) => {
                self.check()?;
                Err(Error::DeviceLost(error.to_string()))
            }
        }
    }

    /// Copies `count` elements of `T` starting at element `first` out of `buffer` into host
    /// memory, in a submission of its own (one submit, one wait).
    pub(crate) fn read_back<T: Pod>(
        &self,
        buffer: &GpuBuffer,
        first: usize,
        count: usize,
    ) -> Result<Vec<T>> {
        self.submit_and_read("the read-back copy", self.encoder(), buffer, first, count)
    }

    /// Records the copy of `count` elements of `T` from element `first` of `buffer` in
    /// `recording`, submits it, waits once, and returns the elements: the end of a call.
    pub(crate) fn submit_and_read<T: Pod>(
        &self,
        what: &'static str,
        recording: Recording,
        buffer: &GpuBuffer,
        first: usize,
        count: usize,
    ) -> Result<Vec<T>> {
        let mut out = vec![T::zeroed(); count];
        self.submit_and_read_into(what, recording, buffer, first, &mut out)?;
        Ok(out)
    }

    /// As [`GpuContext::submit_and_read`], into `out` (the caller's memory: a NumPy array, say)
    /// with no intermediate copy.
    pub(crate) fn submit_and_read_into<T: Pod>(
        &self,
        what: &'static str,
        recording: Recording,
        buffer: &GpuBuffer,
        first: usize,
        out: &mut [T],
    ) -> Result<()> {
        let size = std::mem::size_of::<T>() as u64;
        let bytes = std::mem::size_of_val(out) as u64;
        let copy = [(buffer, first as u64 * size, bytes)];
        self.map_read(what, recording, &copy, |mapped| {
            bytemuck::cast_slice_mut::<T, u8>(out).copy_from_slice(mapped);
        })
    }

    /// Records the copy of the first `count` elements of `S` of `buffer`, submits, waits once,
    /// and hands the mapped elements to `read` (which converts them into the caller's memory).
    pub(crate) fn submit_and_read_with<S: Pod>(
        &self,
        what: &'static str,
        recording: Recording,
        buffer: &GpuBuffer,
        count: usize,
        read: impl FnOnce(&[S]),
    ) -> Result<()> {
        let bytes = (count * std::mem::size_of::<S>()) as u64;
        self.map_read(what, recording, &[(buffer, 0, bytes)], |mapped| {
            match bytemuck::try_cast_slice::<u8, S>(mapped) {
                Ok(elements) => read(elements),
                // Mapped memory is page-aligned in practice; copy if a driver says otherwise.
                Err(_) => read(&bytemuck::pod_collect_to_vec::<u8, S>(mapped)),
            }
        })
    }

    /// Reads several buffers back in one submission: each `(buffer, bytes)` part's first
    /// `bytes` bytes, packed into one pooled read-back buffer (each part at a 4-byte offset),
    /// after what `recording` holds; `read` gets the parts' mapped bytes in order (see
    /// [`mapped_as`] to view them as elements). One submit, one wait, no copy but the caller's.
    pub(crate) fn submit_and_read_parts(
        &self,
        what: &'static str,
        recording: Recording,
        parts: &[(&GpuBuffer, u64)],
        read: impl FnOnce(&[&[u8]]),
    ) -> Result<()> {
        let copies: Vec<(&GpuBuffer, u64, u64)> = parts
            .iter()
            .map(|&(buffer, bytes)| (buffer, 0, bytes))
            .collect();
        self.map_read(what, recording, &copies, |mapped| {
            let mut slices = Vec::with_capacity(parts.len());
            let mut at = 0usize;
            for &(_, bytes) in parts {
                slices.push(&mapped[at..at + bytes as usize]);
                at += (bytes as usize).next_multiple_of(4);
            }
            read(&slices);
        })
    }

    /// The one read-back: each `(buffer, offset, bytes)` copied in `recording` into a pooled
    /// read-back buffer (packed, each at a 4-byte offset), one submit, one wait, then `read`
    /// on the mapped bytes (the parts in order, each padded to 4 bytes). Counted in
    /// `downloaded_bytes`.
    fn map_read(
        &self,
        what: &'static str,
        mut recording: Recording,
        copies: &[(&GpuBuffer, u64, u64)],
        read: impl FnOnce(&[u8]),
    ) -> Result<()> {
        let bytes: u64 = copies.iter().map(|c| c.2).sum();
        if bytes == 0 {
            return self.submit_and_wait(what, recording);
        }
        let padded: u64 = copies
            .iter()
            .map(|c| c.2.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT))
            .sum();
        let staging = self.lease("read-back", Usage::Readback, padded)?;
        self.scoped("read-back copy", || {
            let mut at = 0;
            for &(buffer, offset, size) in copies {
                let size = size.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
                if size > 0 {
                    recording.copy_buffer_to_buffer(buffer, offset, &staging, at, size);
                }
                at += size;
            }
        })?;
        let submission = self.submit(what, recording)?;
        // Until the read completes and unmaps, a failure (a timeout, a map error, a panic in
        // `read`) leaves the buffer in an unknown map state: it must not go back to the pool.
        staging.discard();
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, ..padded, move |result| {
            let _ = sender.send(result);
        });
        self.wait(what, Some(submission))?;
        match receiver.recv_timeout(Duration::from_secs(WAIT_TIMEOUT_S)) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(Error::BufferMap(error)),
            Err(_) => {
                return Err(Error::Timeout {
                    what: "mapping the read-back buffer",
                    seconds: WAIT_TIMEOUT_S,
                })
            }
        }
        {
            let view = staging
                .get_mapped_range(..padded)
                .map_err(|error| Error::Gpu {
                    what: "reading the mapped buffer".into(),
                    message: error.to_string(),
                })?;
            // One part: exactly its bytes; several: each padded to 4 (the caller unpacks).
            let used = if copies.len() == 1 { bytes } else { padded };
            read(&view[..used as usize]);
        }
        staging.unmap();
        staging.keep();
        Counters::add(&self.pool.counters.downloaded, bytes);
        Ok(())
    }
}

/// Mapped bytes as elements of `T`: borrowed where they are aligned for `T` (mapped memory and
/// the first part of a packed read-back are), else copied.
pub(crate) fn mapped_as<T: Pod>(bytes: &[u8]) -> std::borrow::Cow<'_, [T]> {
    match bytemuck::try_cast_slice::<u8, T>(bytes) {
        Ok(elements) => std::borrow::Cow::Borrowed(elements),
        Err(_) => std::borrow::Cow::Owned(bytemuck::pod_collect_to_vec(bytes)),
    }
}
