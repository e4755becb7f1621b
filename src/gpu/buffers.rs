//! Typed upload and read-back, and the NaN poisoning of outputs that tests rely on.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytemuck::Pod;

use super::{GpuContext, WAIT_TIMEOUT_S};
use crate::error::{Error, Result};

/// The bit pattern written into output buffers before a run when poisoning is on: a quiet NaN
/// with a recognisable payload, so an element the kernel never wrote fails any comparison.
pub(crate) const POISON_BITS: u32 = 0x7fc0_dead;

impl GpuContext {
    /// Turns NaN poisoning of every output buffer on or off (on in debug builds and whenever
    /// `GPUSCI_POISON=1`). Tests turn it on so that unwritten elements fail loudly.
    pub fn set_poison_outputs(&self, on: bool) {
        self.poison.store(on, Ordering::Relaxed);
    }

    /// An uninitialised storage buffer of `bytes` bytes, usable as a copy source and target.
    pub(crate) fn storage_buffer(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.scoped(label, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(4).next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_DST
                    | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        })
    }

    /// A storage buffer holding `data`.
    ///
    /// Written through the queue rather than `create_buffer_init`, which panics (instead of
    /// reporting an error) when the device has been lost.
    pub(crate) fn upload<T: Pod>(&self, label: &str, data: &[T]) -> Result<wgpu::Buffer> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buffer = self.storage_buffer(label, bytes.len() as u64)?;
        if !bytes.is_empty() {
            self.scoped(label, || self.write_padded(&buffer, bytes))?;
        }
        Ok(buffer)
    }

    /// A uniform buffer holding `value`.
    pub(crate) fn uniform<T: Pod>(&self, label: &str, value: &T) -> Result<wgpu::Buffer> {
        let bytes = bytemuck::bytes_of(value);
        let buffer = self.scoped(label, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (bytes.len() as u64).next_multiple_of(16),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        self.scoped(label, || self.write_padded(&buffer, bytes))?;
        Ok(buffer)
    }

    /// Writes `data` at the start of `buffer` (through the queue, ordered with submissions).
    pub(crate) fn write<T: Pod>(&self, buffer: &wgpu::Buffer, data: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.is_empty() {
            return Ok(());
        }
        self.scoped("writing a buffer", || self.write_padded(buffer, bytes))
    }

    /// Waits until submission `index` has finished on the GPU.
    pub(crate) fn wait_for(&self, index: wgpu::SubmissionIndex) -> Result<()> {
        self.wait("an earlier submission", Some(index))
    }

    /// `queue.write_buffer`, padding the byte count to the 4-byte copy alignment.
    fn write_padded(&self, buffer: &wgpu::Buffer, bytes: &[u8]) {
        if bytes.len().is_multiple_of(4) {
            self.queue.write_buffer(buffer, 0, bytes);
        } else {
            let mut padded = bytes.to_vec();
            padded.resize(bytes.len().next_multiple_of(4), 0);
            self.queue.write_buffer(buffer, 0, &padded);
        }
    }

    /// Fills the first `count` f32 of `buffer` with the poison NaN when poisoning is on.
    pub(crate) fn poison_f32(&self, buffer: &wgpu::Buffer, count: usize) {
        if self.poison.load(Ordering::Relaxed) && count > 0 {
            let poison = vec![f32::from_bits(POISON_BITS); count];
            self.queue
                .write_buffer(buffer, 0, bytemuck::cast_slice(&poison));
        }
    }

    /// Submits `encoder` and waits for the GPU to finish it.
    pub(crate) fn submit_and_wait(
        &self,
        what: &'static str,
        encoder: wgpu::CommandEncoder,
    ) -> Result<()> {
        let index = self.scoped(what, || self.queue.submit([encoder.finish()]))?;
        self.wait(what, Some(index))
    }

    fn wait(&self, what: &'static str, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
        let result = self.device.poll(wgpu::PollType::Wait {
            submission_index: index,
            timeout: Some(Duration::from_secs(WAIT_TIMEOUT_S)),
        });
        match result {
            Ok(_) => self.check(),
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

    /// Copies `count` elements of `T` starting at element `first` out of `buffer` (which needs
    /// `COPY_SRC`) into host memory, through a staging buffer.
    pub(crate) fn read_back<T: Pod>(
        &self,
        buffer: &wgpu::Buffer,
        first: usize,
        count: usize,
    ) -> Result<Vec<T>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let size = std::mem::size_of::<T>();
        let bytes = (count * size) as u64;
        let padded = bytes.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        let staging = self.scoped("read-back staging buffer", || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("read-back"),
                size: padded,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        let mut encoder = self.device.create_command_encoder(&Default::default());
        self.scoped("read-back copy", || {
            encoder.copy_buffer_to_buffer(buffer, (first * size) as u64, &staging, 0, padded);
        })?;
        self.submit_and_wait("the read-back copy", encoder)?;
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        self.wait("mapping the read-back buffer", None)?;
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
        let out = {
            let view = staging.get_mapped_range(..).map_err(|error| Error::Gpu {
                what: "reading the mapped buffer".into(),
                message: error.to_string(),
            })?;
            bytemuck::pod_collect_to_vec(&view[..bytes as usize])
        };
        staging.unmap();
        Ok(out)
    }
}
