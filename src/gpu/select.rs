//! Which adapter runs: enumeration, the `--backend` choice and the `GPUSCI_ADAPTER` variable.

use std::fmt;
use std::str::FromStr;

use super::{backend_name, GpuContext};
use crate::error::{Error, Result};

/// Environment variable naming the adapter to use: a backend (`vulkan`, `gl`, `metal`, `dx12`)
/// or part of an adapter's name (`llvmpipe`, `H100`), case-insensitive.
pub const ADAPTER_ENV: &str = "GPUSCI_ADAPTER";

/// The user's choice of where to compute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// A hardware GPU when one exists, else the CPU path. Software adapters (lavapipe,
    /// llvmpipe) are for tests, not speed, so `auto` never picks them unless
    /// `GPUSCI_ADAPTER` names one.
    #[default]
    Auto,
    /// A GPU adapter, software ones included; an error when there is none.
    Gpu,
    /// The CPU path (rayon).
    Cpu,
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "gpu" => Ok(Backend::Gpu),
            "cpu" => Ok(Backend::Cpu),
            other => Err(format!(
                "unknown backend '{other}' (expected auto, gpu or cpu)"
            )),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::Gpu => "gpu",
            Backend::Cpu => "cpu",
        })
    }
}

/// What `gpusci info` shows of one adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    /// The adapter's name.
    pub name: String,
    /// Its backend, lower case (`vulkan`, `gl`, ...).
    pub backend: &'static str,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: wgpu::DeviceType,
    /// Driver name and version.
    pub driver: String,
    /// Whether it can run compute shaders at all.
    pub compute: bool,
    /// Whether it offers float64 in shaders.
    pub shader_f64: bool,
    /// The adapter's limits.
    pub limits: wgpu::Limits,
}

impl AdapterSummary {
    /// Whether `pattern` (a backend name or part of the adapter name, as `GPUSCI_ADAPTER`)
    /// names this adapter.
    pub fn matches(&self, pattern: &str) -> bool {
        let pattern = pattern.trim().to_ascii_lowercase();
        !pattern.is_empty()
            && (self.backend == pattern || self.name.to_ascii_lowercase().contains(&pattern))
    }

    /// A software rasteriser (lavapipe, llvmpipe, WARP): correct but slow.
    pub fn is_software(&self) -> bool {
        self.device_type == wgpu::DeviceType::Cpu
    }
}

/// A wgpu instance over every backend compiled in, narrowed by `WGPU_BACKEND` when set, with
/// validation as wgpu's build configuration and `WGPU_*` variables say.
pub(crate) fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env())
}

/// Every adapter wgpu finds (narrowed by `WGPU_BACKEND`), best first: hardware before software,
/// Vulkan/Metal/DX12 before GL.
pub fn enumerate_adapters() -> Vec<wgpu::Adapter> {
    let mut found = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    found.sort_by_key(|adapter| {
        let info = adapter.get_info();
        let kind = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 3,
            wgpu::DeviceType::Cpu => 4,
        };
        let api = match info.backend {
            wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
            _ => 1,
        };
        (kind, api)
    });
    found
}

fn summary(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    AdapterSummary {
        name: info.name.clone(),
        backend: backend_name(info.backend),
        device_type: info.device_type,
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        compute: adapter
            .get_downlevel_capabilities()
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS),
        shader_f64: adapter.features().contains(wgpu::Features::SHADER_F64),
        limits: adapter.limits(),
    }
}

/// Every adapter wgpu finds, best first (hardware before software, Vulkan/Metal/DX12 before GL).
pub fn list_adapters() -> Vec<AdapterSummary> {
    enumerate_adapters().iter().map(summary).collect()
}

/// Whether `pattern` (a backend name or part of the adapter name) names this adapter.
pub fn adapter_matches(info: &wgpu::AdapterInfo, pattern: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    !pattern.is_empty()
        && (backend_name(info.backend) == pattern
            || info.name.to_ascii_lowercase().contains(&pattern))
}

/// Where an operation runs: the CPU path or one GPU context.
#[derive(Debug)]
pub enum Executor {
    /// The CPU path.
    Cpu,
    /// A GPU context.
    Gpu(Box<GpuContext>),
}

impl Executor {
    /// Resolves the user's [`Backend`] choice (and `GPUSCI_ADAPTER`) to an executor.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] when `gpu` is asked for, or `GPUSCI_ADAPTER` names an adapter,
    /// and none is found; device errors from [`GpuContext::from_adapter`].
    pub fn select(backend: Backend) -> Result<Self> {
        if backend == Backend::Cpu {
            return Ok(Executor::Cpu);
        }
        let wanted = std::env::var(ADAPTER_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let usable: Vec<wgpu::Adapter> = enumerate_adapters()
            .into_iter()
            .filter(|adapter| summary(adapter).compute)
            .collect();
        let chosen = match &wanted {
            Some(pattern) => usable
                .into_iter()
                .find(|adapter| adapter_matches(&adapter.get_info(), pattern))
                .ok_or_else(|| {
                    Error::NoAdapter(format!("{ADAPTER_ENV}={pattern} matches no adapter"))
                })?,
            None => {
                let hardware = |adapter: &wgpu::Adapter| {
                    adapter.get_info().device_type != wgpu::DeviceType::Cpu
                };
                match backend {
                    Backend::Auto => match usable.into_iter().find(hardware) {
                        Some(adapter) => adapter,
                        None => return Ok(Executor::Cpu),
                    },
                    _ => usable.into_iter().next().ok_or_else(|| {
                        Error::NoAdapter("wgpu found no adapter that runs compute shaders".into())
                    })?,
                }
            }
        };
        Ok(Executor::Gpu(Box::new(GpuContext::from_adapter(&chosen)?)))
    }

    /// The GPU context, if this executor is one.
    pub fn gpu(&self) -> Option<&GpuContext> {
        match self {
            Executor::Cpu => None,
            Executor::Gpu(ctx) => Some(ctx),
        }
    }

    /// `"cpu (2 threads)"` or `"gpu: <adapter> [<backend>]"`, for every command's report.
    pub fn describe(&self) -> String {
        match self {
            Executor::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
            Executor::Gpu(ctx) => format!("gpu: {}", ctx.describe()),
        }
    }
}

/// A context on every adapter that can run compute shaders (software ones included), each with
/// its summary; an adapter whose device fails to open comes with the error instead.
pub fn open_all_adapters() -> Vec<(AdapterSummary, Result<GpuContext>)> {
    enumerate_adapters()
        .iter()
        .map(|adapter| (summary(adapter), adapter))
        .filter(|(summary, _)| summary.compute)
        .map(|(summary, adapter)| (summary, GpuContext::from_adapter(adapter)))
        .collect()
}
