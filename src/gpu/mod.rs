//! The GPU context: adapter choice, device with the adapter's own limits, the pipeline cache,
//! error scopes that turn wgpu errors into [`Error`] values, and typed upload / read-back.
//!
//! A [`GpuContext`] is made once and passed by reference to every GPU operation; pipelines are
//! compiled on first use and cached in it. [`Executor`] is the `--backend auto|gpu|cpu` choice
//! resolved to either the CPU path or one context.

mod buffers;
mod disk_cache;
mod fallback;
mod pool;
mod precision;
mod select;

pub use buffers::Recording;
pub(crate) use buffers::{mapped_as, Submission};
pub use disk_cache::PIPELINE_CACHE_ENV;
pub use pool::{DeviceStats, GpuBuffer, DEFAULT_POOL_LIMIT};

pub(crate) use fallback::{note_cpu_fallback, or_cpu_when_refused};
pub use fallback::{set_cpu_fallback_hook, FallbackHook};
pub(crate) use precision::{f64_parts, pow2, precision_variants, Scaling, ShaderVariants};
pub use precision::{Arith, DeviceReal, DoubleFloat, Precision, DOUBLE_FLOAT_SPAN_BITS};

pub use select::{
    adapters_named, enumerate_adapters, list_adapters, open_all_adapters, parse_pci_bus_id,
    AdapterSummary, Backend, Device, Executor, ADAPTER_ENV, AUTO_SOFTWARE_ENV,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A shader's WGSL source as the host compiles it: `shaders/prelude.wgsl` (the helpers every
/// shader may use), then the given files of `shaders/`, in order, each after a line break.
/// WGSL has no includes. (Line numbers in naga's and drivers' messages count the prelude.)
macro_rules! include_wgsl {
    ($($file:literal),+ $(,)?) => {
        concat!(
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/prelude.wgsl")),
            // A line break between files, so that a file ending in a comment without one
            // cannot comment out the next file's first line.
            $("\n", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file))),+
        )
    };
}
pub(crate) use include_wgsl;

use crate::error::{Error, Result};

/// How long one wait for the GPU may take before it is reported as [`Error::Timeout`].
/// Software adapters are slow; a real GPU finishes any single submission of ours far sooner.
pub(crate) const WAIT_TIMEOUT_S: u64 = 600;

/// Largest number of workgroups in one dispatch dimension (WebGPU's guaranteed minimum, and the
/// value every adapter we know reports).
pub(crate) const MAX_GROUPS_PER_DIM: u32 = 65_535;

/// A device and queue on one adapter, with the pipelines compiled for it and the pool its
/// calls lease buffers from. A shareable handle: clones are cheap and share everything, so a
/// [`DeviceArray`](crate::array::DeviceArray) keeps its context alive (one context per adapter
/// per process, whoever holds it).
#[derive(Clone)]
pub struct GpuContext {
    inner: Arc<ContextInner>,
}

impl std::ops::Deref for GpuContext {
    type Target = ContextInner;

    fn deref(&self) -> &ContextInner {
        &self.inner
    }
}

impl GpuContext {
    /// The slot where the router keeps this context's crossover table (route.rs owns its
    /// type: the context only holds it, so this module does not depend on the router).
    pub(crate) fn route_table(
        &self,
    ) -> &std::sync::RwLock<Option<Arc<dyn std::any::Any + Send + Sync>>> {
        &self.route_table
    }

    /// Whether `self` and `other` are handles to the same context.
    pub fn same(&self, other: &GpuContext) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// What a [`GpuContext`] handle shares.
#[doc(hidden)]
pub struct ContextInner {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: Mutex<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    constants: Mutex<HashMap<(&'static str, u64), GpuBuffer>>,
    /// Every buffer a call leases, and the transfer counters (pool.rs).
    pool: Arc<pool::Pool>,
    /// Compiled pipelines kept on disk between processes, where the adapter can.
    pub(crate) disk_cache: Option<disk_cache::DiskPipelineCache>,
    /// `backend='auto'`'s crossovers for this adapter, read on first use (route.rs).
    route_table: std::sync::RwLock<Option<Arc<dyn std::any::Any + Send + Sync>>>,
    lost: Arc<Mutex<Option<String>>>,
    poison: std::sync::atomic::AtomicBool,
    emulate_f64: std::sync::atomic::AtomicBool,
    uncaptured: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .finish_non_exhaustive()
    }
}

impl GpuContext {
    /// Opens a device on `adapter`, requesting the adapter's own limits (not wgpu's defaults)
    /// and the optional features the kernels can use.
    ///
    /// # Errors
    /// [`Error::RequestDevice`] when the adapter refuses, [`Error::NoAdapter`] when it cannot
    /// run compute shaders.
    pub fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self> {
        Self::from_adapter_with_limits(adapter, |limits| limits)
    }

    /// Like [`GpuContext::from_adapter`], but lets the caller lower limits before the device
    /// is requested. Tests use this to exercise chunking on small data (e.g. a 1 MiB binding).
    ///
    /// # Errors
    /// As [`GpuContext::from_adapter`]; also when `adjust` raises a limit above the adapter's.
    pub fn from_adapter_with_limits(
        adapter: &wgpu::Adapter,
        adjust: impl FnOnce(wgpu::Limits) -> wgpu::Limits,
    ) -> Result<Self> {
        let info = adapter.get_info();
        let downlevel = adapter.get_downlevel_capabilities();
        if !downlevel
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        {
            return Err(Error::NoAdapter(format!(
                "{} ({}) cannot run compute shaders",
                info.name, info.backend
            )));
        }
        let limits = adjust(adapter.limits());
        if !limits.check_limits(&adapter.limits()) {
            return Err(Error::param(
                "limits",
                "requested limits exceed what the adapter offers",
            ));
        }
        // SHADER_F64 is requested where offered: float64 input then runs native float64
        // kernels (see precision.rs), else double-float ones.
        // PIPELINE_CACHE too (Vulkan): compiled pipelines are kept on disk between processes.
        let features =
            adapter.features() & (wgpu::Features::SHADER_F64 | wgpu::Features::PIPELINE_CACHE);
        let (device, queue) =
            pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
                label: Some("gpusci"),
                required_features: features,
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            }))?;
        Ok(Self::from_device(device, queue, info))
    }

    /// Wraps a device and queue made elsewhere (embedding gpusci in a wgpu application).
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        let lost = Arc::new(Mutex::new(None));
        let lost_in_callback = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut slot) = lost_in_callback.lock() {
                *slot = Some(format!("{reason:?}: {message}"));
            }
        });
        // wgpu's default handler panics; errors outside a scope are kept and reported by the
        // next `check`, never turned into a panic.
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            if let Ok(mut errors) = sink.lock() {
                errors.push(error.to_string());
            }
        }));
        let limits = device.limits();
        let pool = pool::Pool::new(limits.max_buffer_size);
        let disk_cache = disk_cache::DiskPipelineCache::open(&device, &info);
        let inner = ContextInner {
            pool,
            route_table: std::sync::RwLock::new(None),
            disk_cache,
            device,
            queue,
            info,
            limits,
            pipelines: Mutex::new(HashMap::new()),
            constants: Mutex::new(HashMap::new()),
            lost,
            poison: std::sync::atomic::AtomicBool::new(
                cfg!(debug_assertions) || std::env::var("GPUSCI_POISON").is_ok_and(|v| v == "1"),
            ),
            emulate_f64: std::sync::atomic::AtomicBool::new(false),
            uncaptured,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The adapter this context runs on.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The wgpu device (to share it with an application's own work).
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The wgpu queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The limits the device was opened with.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// A short human name: `"llvmpipe (LLVM 15.0.6, 256 bits) [Vulkan]"`.
    pub fn describe(&self) -> String {
        format!("{} [{}]", self.info.name, backend_name(self.info.backend))
    }

    /// Largest storage buffer that can be bound at once, in bytes (the smaller of the binding
    /// and buffer-size limits), rounded down to a multiple of 4.
    pub(crate) fn max_binding_bytes(&self) -> u64 {
        let limit = self
            .limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size);
        limit & !3
    }

    /// Runs `f` inside out-of-memory and validation error scopes and returns its value, or the
    /// first error wgpu reported while it ran.
    pub(crate) fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T> {
        self.check()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let value = f();
        let internal = pollster::block_on(internal.pop());
        let validation = pollster::block_on(validation.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(error) = oom {
            return Err(Error::OutOfMemory {
                what: what.to_string(),
                message: error.to_string(),
            });
        }
        if let Some(error) = validation.or(internal) {
            return Err(Error::Gpu {
                what: what.to_string(),
                message: error.to_string(),
            });
        }
        self.check()?;
        Ok(value)
    }

    /// Reports a lost device or an error that escaped every scope.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(reason) = self.lost.lock().ok().and_then(|slot| slot.clone()) {
            return Err(Error::DeviceLost(reason));
        }
        if let Ok(mut errors) = self.uncaptured.lock() {
            if !errors.is_empty() {
                let message = errors.join("; ");
                errors.clear();
                return Err(Error::Gpu {
                    what: "an earlier operation".into(),
                    message,
                });
            }
        }
        Ok(())
    }

    /// The compute pipeline for `entry` in the WGSL `source` named `shader`, compiled on first
    /// use and cached for the life of the context.
    pub(crate) fn pipeline(
        &self,
        shader: &'static str,
        source: &'static str,
        entry: &'static str,
    ) -> Result<wgpu::ComputePipeline> {
        let mut cache = self
            .pipelines
            .lock()
            .map_err(|_| Error::DeviceLost("pipeline cache poisoned by a panic".into()))?;
        if let Some(pipeline) = cache.get(&(shader, entry)) {
            return Ok(pipeline.clone());
        }
        let pipeline = self.scoped(&format!("compiling {shader}::{entry}"), || {
            let module = self
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(shader),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
            self.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: None,
                    module: &module,
                    entry_point: Some(entry),
                    // Our kernels write every workgroup-memory slot before they read it. wgpu's
                    // zero-init is a single-thread polyfill on GL that cost llvmpipe ~3.5 ms per
                    // workgroup (RELIABILITY.md b.17), so it is off.
                    compilation_options: wgpu::PipelineCompilationOptions {
                        zero_initialize_workgroup_memory: false,
                        ..Default::default()
                    },
                    cache: self.disk_cache.as_ref().map(|c| c.cache()),
                })
        })?;
        cache.insert((shader, entry), pipeline.clone());
        if let Some(disk) = &self.disk_cache {
            disk.mark_changed();
        }
        Ok(pipeline)
    }

    /// A read-only table (`what`, keyed by `size`) made by `make` and uploaded on first use,
    /// then kept for the life of the context: FFT twiddles per transform size, for example.
    ///
    /// # Errors
    /// GPU errors from the upload.
    pub(crate) fn constant<T: bytemuck::Pod>(
        &self,
        what: &'static str,
        size: u64,
        make: impl FnOnce() -> Vec<T>,
    ) -> Result<GpuBuffer> {
        let mut cache = self
            .constants
            .lock()
            .map_err(|_| Error::DeviceLost("constant cache poisoned by a panic".into()))?;
        if let Some(buffer) = cache.get(&(what, size)) {
            return Ok(buffer.clone());
        }
        // Kept for the context's life, outside the pool.
        let data = make();
        let bytes: &[u8] = bytemuck::cast_slice(&data);
        let buffer = self.scoped(what, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: (bytes.len() as u64).max(4).next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        pool::Counters::add(&self.pool.counters.created, 1);
        let buffer = GpuBuffer::unpooled(buffer, (bytes.len() as u64).max(4).next_multiple_of(4));
        self.write_table(what, &buffer, &data)?;
        cache.insert((what, size), buffer.clone());
        Ok(buffer)
    }

    /// Records one dispatch of `groups` workgroups of `pipeline` on `encoder`, with `buffers`
    /// bound in order at bindings 0, 1, 2, ... of group 0.
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] for too many workgroups; validation errors as [`Error::Gpu`].
    pub(crate) fn record_dispatch(
        &self,
        what: &str,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&GpuBuffer],
        groups: u64,
    ) -> Result<()> {
        let bind_group = self.bind_group(what, pipeline, buffers)?;
        self.record_bound(what, encoder, pipeline, &bind_group, groups)
    }

    /// The bind group of `buffers` at bindings 0, 1, 2, ... of `pipeline`'s group 0, for
    /// kernels dispatched many times on the same buffers ([`GpuContext::record_bound`]).
    ///
    /// # Errors
    /// Validation errors as [`Error::Gpu`].
    pub(crate) fn bind_group(
        &self,
        what: &str,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&GpuBuffer],
    ) -> Result<wgpu::BindGroup> {
        self.scoped(what, || {
            let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
                .iter()
                .enumerate()
                .map(|(i, buffer)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    // Exactly the bytes asked for: a pooled buffer's class may be larger.
                    resource: buffer.binding(),
                })
                .collect();
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(what),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
        })
    }

    /// Records one dispatch of `groups` workgroups of `pipeline` with a prepared bind group.
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] for too many workgroups; validation errors as [`Error::Gpu`].
    pub(crate) fn record_bound(
        &self,
        what: &str,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        groups: u64,
    ) -> Result<()> {
        let (x, y, z) = self.dispatch_dims(groups)?;
        self.scoped(what, || {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(x, y, z);
        })
    }

    /// Splits `groups` workgroups into an (x, y, z) dispatch no dimension of which exceeds the
    /// per-dimension limit; shaders recover the linear index with `group_index` (see
    /// `shaders/prelude.wgsl`) and skip indices past `groups`.
    ///
    /// # Errors
    /// [`Error::ExceedsLimit`] past 65,535² × 65,535 workgroups.
    pub(crate) fn dispatch_dims(&self, groups: u64) -> Result<(u32, u32, u32)> {
        let max = u64::from(
            self.limits
                .max_compute_workgroups_per_dimension
                .min(MAX_GROUPS_PER_DIM),
        );
        if groups <= max {
            return Ok((groups.max(1) as u32, 1, 1));
        }
        let y = groups.div_ceil(max);
        if y <= max {
            return Ok((max as u32, y as u32, 1));
        }
        let z = groups.div_ceil(max * max);
        if z > max {
            return Err(Error::ExceedsLimit {
                what: "workgroups in one dispatch",
                requested: groups,
                max: max * max * max,
            });
        }
        Ok((max as u32, max as u32, z as u32))
    }
}

/// The lower-case backend name used by `GPUSCI_ADAPTER` and `GPUSCI_EXPECT_ADAPTERS`.
pub fn backend_name(backend: wgpu::Backend) -> &'static str {
    match backend {
        wgpu::Backend::Vulkan => "vulkan",
        wgpu::Backend::Gl => "gl",
        wgpu::Backend::Metal => "metal",
        wgpu::Backend::Dx12 => "dx12",
        wgpu::Backend::BrowserWebGpu => "webgpu",
        wgpu::Backend::Noop => "noop",
    }
}
