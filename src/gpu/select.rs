//! Which adapter runs: enumeration, the `--backend` choice and the `GPUSCI_ADAPTER` variable.

use std::fmt;
use std::str::FromStr;

use super::{backend_name, Arith, GpuContext, Precision};
use crate::error::{Error, Result};

/// Environment variable naming the adapter to use: a backend (`vulkan`, `gl`, `metal`, `dx12`),
/// part of an adapter's name (`llvmpipe`, `H100`, case-insensitive), an adapter's index in
/// `gpusci info`'s list (`0`, `1`, ...; a number no adapter has as its index is read as part of a
/// name, so `4090` still names an RTX 4090), or a PCI bus id (`0000:3b:00.0`, as `lspci -D`, or
/// `00000000:3B:00.0`, as `nvidia-smi`). Vulkan ignores `CUDA_VISIBLE_DEVICES`: the index or the
/// bus id is how each process of a multi-GPU node takes its own GPU.
pub const ADAPTER_ENV: &str = "GPUSCI_ADAPTER";

/// Environment variable that lets `backend='auto'` pick a software adapter (lavapipe,
/// llvmpipe) when no hardware GPU is found, so that auto's size policy can be tested and
/// calibrated on machines without a GPU. `1` (or `true`, `on`, `yes`) turns it on.
pub const AUTO_SOFTWARE_ENV: &str = "GPUSCI_AUTO_SOFTWARE";

fn auto_considers_software() -> bool {
    let on = ["1", "true", "on", "yes"];
    std::env::var(AUTO_SOFTWARE_ENV)
        .is_ok_and(|v| on.contains(&v.trim().to_ascii_lowercase().as_str()))
}

/// The process's context on `adapter`: opened on first use, then shared, so that every
/// executor on one adapter (Python's `auto` and `gpu`, say) uses one device, one pool and one
/// pipeline cache.
fn shared_context(adapter: &wgpu::Adapter) -> Result<GpuContext> {
    static OPENED: std::sync::Mutex<Vec<(String, GpuContext)>> = std::sync::Mutex::new(Vec::new());
    let info = adapter.get_info();
    let key = format!(
        "{}|{:?}|{}|{}|{}",
        info.name, info.backend, info.vendor, info.device, info.device_pci_bus_id
    );
    let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ctx)) = opened.iter().find(|(k, _)| *k == key) {
        return Ok(ctx.clone());
    }
    let ctx = GpuContext::from_adapter(adapter)?;
    opened.push((key, ctx.clone()));
    Ok(ctx)
}

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
    /// Position in [`list_adapters`]'s order (what `GPUSCI_ADAPTER=<index>` names).
    pub index: usize,
    /// The adapter's name.
    pub name: String,
    /// Its backend, lower case (`vulkan`, `gl`, ...).
    pub backend: &'static str,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: wgpu::DeviceType,
    /// Driver name and version.
    pub driver: String,
    /// PCI bus id (`domain:bus:device.function`, hex) when the driver reports one, else empty.
    pub pci_bus_id: String,
    /// Whether it can run compute shaders at all.
    pub compute: bool,
    /// Whether it offers float64 in shaders.
    pub shader_f64: bool,
    /// The adapter's limits.
    pub limits: wgpu::Limits,
}

impl AdapterSummary {
    /// A software rasteriser (lavapipe, llvmpipe, WARP): correct but slow.
    pub fn is_software(&self) -> bool {
        self.device_type == wgpu::DeviceType::Cpu
    }
}

/// A wgpu instance over every backend compiled in, narrowed by `WGPU_BACKEND` when set, with
/// validation as wgpu's build configuration and `WGPU_*` variables say.
pub(crate) fn instance() -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
    // An adapter named by its backend: only that backend is started (GL's EGL probe alone
    // costs a fresh process tens of milliseconds).
    if let Some(backend) = named_backend() {
        descriptor.backends &= backend;
    }
    wgpu::Instance::new(descriptor)
}

/// The backend `GPUSCI_ADAPTER` names, when it names one (`vulkan`, `gl`, `metal`, `dx12`).
fn named_backend() -> Option<wgpu::Backends> {
    let wanted = std::env::var(ADAPTER_ENV).ok()?;
    match wanted.trim().to_ascii_lowercase().as_str() {
        "vulkan" => Some(wgpu::Backends::VULKAN),
        "gl" => Some(wgpu::Backends::GL),
        "metal" => Some(wgpu::Backends::METAL),
        "dx12" => Some(wgpu::Backends::DX12),
        _ => None,
    }
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

/// The indices of the adapters that `pattern` (as `GPUSCI_ADAPTER`) names among `adapters`:
/// a number is the adapter with that index when there is one, and otherwise part of a name
/// (so `4090` still names an RTX 4090); a PCI bus id names the adapter on that bus; anything
/// else is a backend or part of a name, case-insensitive. An empty pattern names none.
pub fn adapters_named<'a>(
    adapters: impl IntoIterator<Item = &'a AdapterSummary>,
    pattern: &str,
) -> Vec<usize> {
    let pattern = pattern.trim().to_ascii_lowercase();
    let adapters: Vec<&AdapterSummary> = adapters.into_iter().collect();
    if pattern.is_empty() {
        return Vec::new();
    }
    if let Ok(index) = pattern.parse::<usize>() {
        if adapters.iter().any(|a| a.index == index) {
            return vec![index];
        }
    }
    let named = |a: &&AdapterSummary| match parse_pci_bus_id(&pattern) {
        Some(wanted) => parse_pci_bus_id(&a.pci_bus_id) == Some(wanted),
        None => a.backend == pattern || a.name.to_ascii_lowercase().contains(&pattern),
    };
    adapters
        .into_iter()
        .filter(named)
        .map(|a| a.index)
        .collect()
}

/// `[domain:]bus:device.function` in hex (`0000:3b:00.0`, `00000000:3B:00.0`, `3b:00.0`) as
/// numbers, so that lspci's and nvidia-smi's spellings name the same device.
pub fn parse_pci_bus_id(text: &str) -> Option<(u32, u32, u32, u32)> {
    let (rest, function) = text.trim().rsplit_once('.')?;
    let parts: Vec<&str> = rest.split(':').collect();
    let (domain, bus, device) = match parts.as_slice() {
        [domain, bus, device] => (*domain, *bus, *device),
        [bus, device] => ("0", *bus, *device),
        _ => return None,
    };
    let hex = |t: &str| {
        (!t.is_empty() && t.len() <= 8)
            .then(|| u32::from_str_radix(t, 16).ok())
            .flatten()
    };
    Some((hex(domain)?, hex(bus)?, hex(device)?, hex(function)?))
}

fn summary(index: usize, adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    AdapterSummary {
        index,
        pci_bus_id: info.device_pci_bus_id.clone(),
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
    enumerate_adapters()
        .iter()
        .enumerate()
        .map(|(index, adapter)| summary(index, adapter))
        .collect()
}

/// The owner of the user's choice: the CPU path, or a GPU context it opened (see
/// [`Executor::select`]). Operations borrow it as a [`Device`].
#[derive(Debug)]
pub enum Executor {
    /// The CPU path.
    Cpu,
    /// A GPU context.
    Gpu(Box<GpuContext>),
    /// `backend='auto'` on a GPU context: each operation runs on it past its crossover, on
    /// the CPU below ([`crate::route`]).
    Auto(Box<GpuContext>),
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
        let usable: Vec<(AdapterSummary, wgpu::Adapter)> = enumerate_adapters()
            .into_iter()
            .enumerate()
            .map(|(index, adapter)| (summary(index, &adapter), adapter))
            .filter(|(summary, _)| summary.compute)
            .collect();
        let chosen = match &wanted {
            Some(pattern) => {
                let named = adapters_named(usable.iter().map(|(summary, _)| summary), pattern);
                usable
                    .into_iter()
                    .find(|(summary, _)| named.contains(&summary.index))
                    .map(|(_, adapter)| adapter)
                    .ok_or_else(|| {
                        Error::NoAdapter(format!(
                            "{ADAPTER_ENV}={pattern} matches no adapter that runs compute \
                             shaders (`gpusci info` lists them, with their indices and PCI bus \
                             ids)"
                        ))
                    })?
            }
            None => {
                let mut usable = usable.into_iter();
                match backend {
                    Backend::Auto => match usable
                        .find(|(summary, _)| !summary.is_software() || auto_considers_software())
                    {
                        Some((_, adapter)) => adapter,
                        None => return Ok(Executor::Cpu),
                    },
                    _ => usable.next().map(|(_, adapter)| adapter).ok_or_else(|| {
                        Error::NoAdapter("wgpu found no adapter that runs compute shaders".into())
                    })?,
                }
            }
        };
        let ctx = Box::new(shared_context(&chosen)?);
        Ok(match backend {
            Backend::Auto => Executor::Auto(ctx),
            _ => Executor::Gpu(ctx),
        })
    }

    /// The GPU context, if this executor is one.
    pub fn gpu(&self) -> Option<&GpuContext> {
        match self {
            Executor::Cpu => None,
            Executor::Gpu(ctx) | Executor::Auto(ctx) => Some(ctx),
        }
    }

    /// `"cpu (2 threads)"` or `"gpu: <adapter> [<backend>]"`, for every command's report.
    pub fn describe(&self) -> String {
        self.device().describe()
    }

    /// The borrowed handle that operations take.
    pub fn device(&self) -> Device<'_> {
        self.into()
    }
}

/// Where one operation runs: the CPU path, or a GPU context borrowed from whoever owns it (an
/// [`Executor`], a test harness, the Python module's process-wide context, a Dask worker's).
/// Borrowing lets them all share one context, so no second context on the same device replaces
/// its error callbacks or its pipeline cache.
///
/// Every operation takes `impl Into<Device<'_>>`: pass `&executor`, a `&GpuContext`, or
/// `Device::Cpu`.
#[derive(Clone, Copy, Debug)]
pub enum Device<'a> {
    /// The CPU path.
    Cpu,
    /// A GPU context, and how float64 input is computed on it.
    Gpu(&'a GpuContext, Precision),
    /// `backend='auto'`: the GPU context for jobs past its crossover, the CPU below it
    /// ([`crate::route::route`] decides, per operation and size). Where an operation does not
    /// route, it is the GPU.
    Auto(&'a GpuContext, Precision),
}

impl<'a> Device<'a> {
    /// The GPU context, if this is one.
    pub fn gpu(self) -> Option<&'a GpuContext> {
        match self {
            Device::Cpu => None,
            Device::Gpu(ctx, _) | Device::Auto(ctx, _) => Some(ctx),
        }
    }

    /// The same device with float64 input computed at `precision` (no effect on the CPU,
    /// which always computes float64 in float64).
    pub fn with_precision(self, precision: Precision) -> Self {
        match self {
            Device::Cpu => Device::Cpu,
            Device::Gpu(ctx, _) => Device::Gpu(ctx, precision),
            Device::Auto(ctx, _) => Device::Auto(ctx, precision),
        }
    }

    /// What float64 input is computed in on this device: `None` on the CPU (float64).
    pub fn float64_arith(self) -> Option<Arith> {
        match self {
            Device::Cpu => None,
            Device::Gpu(_, Precision::Single) | Device::Auto(_, Precision::Single) => {
                Some(Arith::Single)
            }
            Device::Gpu(ctx, _) | Device::Auto(ctx, _) => Some(ctx.float64_arith()),
        }
    }

    /// `"cpu (2 threads)"` or `"gpu: <adapter> [<backend>]"`, for every command's report.
    pub fn describe(self) -> String {
        match self {
            Device::Cpu => format!("cpu ({} threads)", rayon::current_num_threads()),
            Device::Gpu(ctx, _) => format!("gpu: {}", ctx.describe()),
            // Said after the work: whether any of it reached the GPU.
            Device::Auto(ctx, _) if ctx.stats().submits > 0 => {
                format!("gpu: {} (auto: past the crossover)", ctx.describe())
            }
            Device::Auto(ctx, _) => format!(
                "cpu ({} threads; auto: below the crossover of {})",
                rayon::current_num_threads(),
                ctx.describe()
            ),
        }
    }
}

impl<'a> From<&'a Executor> for Device<'a> {
    fn from(exec: &'a Executor) -> Self {
        match exec {
            Executor::Cpu => Device::Cpu,
            Executor::Gpu(ctx) => Device::Gpu(ctx, Precision::Auto),
            Executor::Auto(ctx) => Device::Auto(ctx, Precision::Auto),
        }
    }
}

impl<'a> From<&'a GpuContext> for Device<'a> {
    fn from(ctx: &'a GpuContext) -> Self {
        Device::Gpu(ctx, Precision::Auto)
    }
}

impl<'a> From<&Device<'a>> for Device<'a> {
    fn from(device: &Device<'a>) -> Self {
        *device
    }
}

/// A context on every adapter that can run compute shaders (software ones included), each with
/// its summary; an adapter whose device fails to open comes with the error instead.
pub fn open_all_adapters() -> Vec<(AdapterSummary, Result<GpuContext>)> {
    enumerate_adapters()
        .iter()
        .enumerate()
        .map(|(index, adapter)| (summary(index, adapter), adapter))
        .filter(|(summary, _)| summary.compute)
        .map(|(summary, adapter)| (summary, GpuContext::from_adapter(adapter)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(index: usize, name: &str, backend: &'static str, pci: &str) -> AdapterSummary {
        AdapterSummary {
            index,
            name: name.into(),
            backend,
            pci_bus_id: pci.into(),
            device_type: wgpu::DeviceType::DiscreteGpu,
            driver: String::new(),
            compute: true,
            shader_f64: true,
            limits: wgpu::Limits::default(),
        }
    }

    #[test]
    fn pci_bus_ids_in_lspci_and_nvidia_smi_spellings_are_one_device() {
        let lspci = parse_pci_bus_id("0000:3b:00.0");
        assert_eq!(lspci, Some((0, 0x3b, 0, 0)));
        assert_eq!(parse_pci_bus_id("00000000:3B:00.0"), lspci);
        assert_eq!(parse_pci_bus_id("3b:00.0"), lspci);
        for not_an_id in [
            "",
            "vulkan",
            "3b:00",
            "0:1:2:3.0",
            "zz:00.0",
            "3b:00.",
            "H100",
        ] {
            assert_eq!(parse_pci_bus_id(not_an_id), None, "{not_an_id}");
        }
    }

    #[test]
    fn gpusci_adapter_names_by_backend_name_index_or_bus_id() {
        let all = [
            adapter(0, "NVIDIA H200", "vulkan", "0000:3b:00.0"),
            adapter(1, "NVIDIA H200", "vulkan", "0000:86:00.0"),
            adapter(2, "llvmpipe (LLVM 19.1.1, 256 bits)", "gl", ""),
            adapter(3, "NVIDIA GeForce RTX 4090", "vulkan", "0000:01:00.0"),
        ];
        for (pattern, expected) in [
            ("1", vec![1]),
            ("0", vec![0]),
            // No adapter 4090 or 256: part of a name.
            ("4090", vec![3]),
            ("256", vec![2]),
            ("7", vec![]),
            ("00000000:86:00.0", vec![1]),
            ("0000:3B:00.0", vec![0]),
            ("h200", vec![0, 1]),
            ("GL", vec![2]),
            ("  ", vec![]),
        ] {
            assert_eq!(
                adapters_named(&all, pattern),
                expected,
                "GPUSCI_ADAPTER={pattern}"
            );
        }
    }
}
