//! The one router: where a request under `backend='auto'` runs.
//!
//! The rule, for every operation:
//! - The output lives where the input lives. A [`DeviceArray`](crate::array::DeviceArray)
//!   input computes on its own GPU (its operation asks the capability's refusal first, and moves
//!   to the CPU with a note only when the GPU path cannot run it).
//! - `backend='gpu'` ([`Device::Gpu`]) and `backend='cpu'` ([`Device::Cpu`]) force the choice.
//! - Under `backend='auto'` ([`Device::Auto`]), a host input goes to the GPU only past a
//!   crossover in elements for that (operation, arithmetic, adapter class): below it a GPU round
//!   trip (submit, wait, map) costs more than the CPU takes for the whole job.
//!
//! The crossovers come from, in order: a table set on the context
//! ([`GpuContext::set_crossovers`]), the file named by `GPUSCI_CROSSOVER_FILE`, the adapter's
//! cache file written by `gpusci bench --calibrate` ([`Crossovers::cache_path`]), and the
//! conservative defaults of [`Crossovers::defaults`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::gpu::{Arith, Device, GpuContext};

/// Environment variable naming a crossover file to use instead of the adapter's cache.
pub const CROSSOVER_FILE_ENV: &str = "GPUSCI_CROSSOVER_FILE";

/// The operations the router knows, with the elements each counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `gaussian_filter` and its stack: elements of the array.
    Blur,
    /// `histogram2d`: points.
    Histogram2d,
    /// `heatmap`: points.
    Heatmap,
    /// The FFT functions: elements of the input.
    Fft,
    /// `convolve`, `correlate`, `lag` (1-D and 2-D): elements of both inputs.
    Convolve,
    /// `rolling_mean`: samples.
    RollingMean,
    /// `crossings`: samples.
    Crossings,
    /// Network and neuron simulations (LIF, Hodgkin-Huxley, the wave solver): neurons or
    /// grid points.
    Simulation,
}

impl Operation {
    /// Every operation, in table order.
    pub const ALL: [Operation; 8] = [
        Operation::Blur,
        Operation::Histogram2d,
        Operation::Heatmap,
        Operation::Fft,
        Operation::Convolve,
        Operation::RollingMean,
        Operation::Crossings,
        Operation::Simulation,
    ];

    /// The name in crossover files.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Blur => "blur",
            Operation::Histogram2d => "histogram2d",
            Operation::Heatmap => "heatmap",
            Operation::Fft => "fft",
            Operation::Convolve => "convolve",
            Operation::RollingMean => "rolling_mean",
            Operation::Crossings => "crossings",
            Operation::Simulation => "simulation",
        }
    }

    /// The default crossover on a discrete GPU in float32, in elements. A GPU call costs a
    /// fixed 0.05-0.2 ms (submit, wait, map, plus the transfers); these are sizes at which
    /// a multi-core CPU takes about that long, rounded up to stay on the CPU when unsure.
    fn default_elements(self) -> u64 {
        match self {
            Operation::Blur | Operation::Fft | Operation::Convolve => 1 << 16,
            Operation::Histogram2d | Operation::Heatmap => 1 << 18,
            Operation::RollingMean | Operation::Crossings => 1 << 20,
            Operation::Simulation => 1 << 10,
        }
    }
}

impl FromStr for Operation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Operation::ALL
            .into_iter()
            .find(|op| op.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
                Error::param(
                    "operation",
                    format!("unknown operation '{s}' (one of {})", names.join(", ")),
                )
            })
    }
}

/// The kind of adapter, for the crossover: a discrete GPU reaches its speed at smaller sizes
/// than an integrated one, and a software adapter never does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdapterClass {
    /// A discrete GPU.
    Discrete,
    /// An integrated GPU (Apple silicon, laptop GPUs).
    Integrated,
    /// A software rasteriser (lavapipe, llvmpipe, WARP).
    Software,
    /// Virtual or unknown.
    Other,
}

impl AdapterClass {
    /// The class of `ctx`'s adapter.
    pub fn of(ctx: &GpuContext) -> Self {
        match ctx.adapter_info().device_type {
            wgpu::DeviceType::DiscreteGpu => AdapterClass::Discrete,
            wgpu::DeviceType::IntegratedGpu => AdapterClass::Integrated,
            wgpu::DeviceType::Cpu => AdapterClass::Software,
            _ => AdapterClass::Other,
        }
    }

    /// How much larger than a discrete GPU's the default crossovers are (`None`: never, for
    /// software adapters, which the CPU path beats at every size).
    fn default_factor(self) -> Option<u64> {
        match self {
            AdapterClass::Discrete => Some(1),
            AdapterClass::Integrated => Some(2),
            AdapterClass::Other => Some(16),
            AdapterClass::Software => None,
        }
    }
}

/// The arithmetic a crossover is for, by its file name.
fn arith_name(arith: Arith) -> &'static str {
    match arith {
        Arith::Single => "float32",
        Arith::Native64 => "float64",
        Arith::DoubleFloat => "double-float",
    }
}

fn parse_arith(s: &str) -> Result<Arith> {
    match s {
        "float32" => Ok(Arith::Single),
        "float64" => Ok(Arith::Native64),
        "double-float" => Ok(Arith::DoubleFloat),
        other => Err(Error::param(
            "arithmetic",
            format!("unknown arithmetic '{other}' (float32, float64 or double-float)"),
        )),
    }
}

/// One request, as the router sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// The operation.
    pub operation: Operation,
    /// Its size, in the elements [`Operation`] counts.
    pub elements: u64,
    /// Whether the data is float64 (computed in the device's float64 arithmetic).
    pub float64: bool,
}

impl Job {
    /// A job of `elements` of float32 (or integer) data.
    pub fn new(operation: Operation, elements: usize) -> Self {
        Self {
            operation,
            elements: elements as u64,
            float64: false,
        }
    }

    /// The same job on float64 data.
    pub fn float64(mut self, float64: bool) -> Self {
        self.float64 = float64;
        self
    }
}

/// Crossovers in elements, per (operation, arithmetic), for one adapter: a job at or past its
/// crossover goes to the GPU under `auto`. `u64::MAX` means never.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crossovers {
    table: HashMap<(Operation, &'static str), u64>,
}

impl Crossovers {
    /// The conservative defaults for an adapter of `class`: a discrete GPU's float32 figure
    /// per operation (see [`Operation`]), twice it for float64 (native or double-float), twice
    /// again on an integrated GPU, sixteen times on unknown adapters, and never on software
    /// adapters (the CPU path beats them at every size).
    pub fn defaults(class: AdapterClass) -> Self {
        let mut table = HashMap::new();
        for op in Operation::ALL {
            for arith in [Arith::Single, Arith::Native64, Arith::DoubleFloat] {
                let f64_factor = if arith == Arith::Single { 1 } else { 2 };
                let elements = class.default_factor().map_or(u64::MAX, |factor| {
                    op.default_elements() * f64_factor * factor
                });
                table.insert((op, arith_name(arith)), elements);
            }
        }
        Self { table }
    }

    /// The crossover of `operation` in `arith` (`u64::MAX` when the table has none).
    pub fn get(&self, operation: Operation, arith: Arith) -> u64 {
        self.table
            .get(&(operation, arith_name(arith)))
            .copied()
            .unwrap_or(u64::MAX)
    }

    /// Sets one crossover.
    pub fn set(&mut self, operation: Operation, arith: Arith, elements: u64) {
        self.table.insert((operation, arith_name(arith)), elements);
    }

    /// Reads a crossover file over `self`: lines of `operation arithmetic elements` (`never`
    /// for no crossover), `#` comments. Lines it does not name keep their value.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::InvalidParam`] naming the line
    /// that is not of that form.
    pub fn read_file(mut self, path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: String| {
                Error::param(
                    "crossover file",
                    format!("{}:{}: {why}", path.display(), number + 1),
                )
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            let [op, arith, elements] = words[..] else {
                return Err(bad(format!(
                    "expected 'operation arithmetic elements', got '{line}'"
                )));
            };
            let op: Operation = op.parse().map_err(|e: Error| bad(e.to_string()))?;
            let arith = parse_arith(arith).map_err(|e| bad(e.to_string()))?;
            let elements = match elements {
                "never" => u64::MAX,
                n => n
                    .parse()
                    .map_err(|_| bad(format!("'{n}' is not a number of elements or 'never'")))?,
            };
            self.set(op, arith, elements);
        }
        Ok(self)
    }

    /// The table in the file format [`Crossovers::read_file`] reads, with a header naming
    /// the adapter.
    pub fn to_file_text(&self, adapter: &str) -> String {
        let mut out = format!(
            "# gpusci crossovers for {adapter}: under backend='auto', a job of at least this\n\
             # many elements runs on the GPU ('never': always the CPU).\n\
             # operation arithmetic elements\n"
        );
        let mut rows: Vec<_> = self.table.iter().collect();
        rows.sort_by_key(|((op, arith), _)| (*op, *arith));
        for ((op, arith), &elements) in rows {
            let n = if elements == u64::MAX {
                "never".to_string()
            } else {
                elements.to_string()
            };
            out.push_str(&format!("{} {arith} {n}\n", op.name()));
        }
        out
    }

    /// Where `gpusci bench --calibrate` keeps the crossovers of `ctx`'s adapter:
    /// `$XDG_CACHE_HOME/gpusci/` (else `~/.cache/gpusci/`), one file per adapter and backend.
    /// `None` when no home directory is known.
    pub fn cache_path(ctx: &GpuContext) -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        let info = ctx.adapter_info();
        let name: String = format!("{}-{}", info.name, crate::gpu::backend_name(info.backend))
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Some(base.join("gpusci").join(format!("crossovers-{name}.txt")))
    }

    /// The table `ctx` starts with: the defaults for its class, overlaid by the file
    /// `GPUSCI_CROSSOVER_FILE` names or, without it, the adapter's calibration cache.
    ///
    /// # Errors
    /// A named file that cannot be read or parsed (a cache file that is absent is not an
    /// error).
    pub fn for_context(ctx: &GpuContext) -> Result<Self> {
        let defaults = Self::defaults(AdapterClass::of(ctx));
        if let Some(path) = std::env::var_os(CROSSOVER_FILE_ENV).filter(|v| !v.is_empty()) {
            return defaults.read_file(Path::new(&path));
        }
        match Self::cache_path(ctx) {
            Some(path) if path.is_file() => defaults.read_file(&path),
            _ => Ok(defaults),
        }
    }
}

impl fmt::Display for Crossovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_file_text("this adapter"))
    }
}

impl GpuContext {
    /// The crossover of `operation` in `arith` under `backend='auto'`, in elements. The table
    /// is read on first use ([`Crossovers::for_context`]); a crossover file that cannot be
    /// read leaves the defaults, with a note saying why.
    pub fn crossover(&self, operation: Operation, arith: Arith) -> u64 {
        self.crossovers().get(operation, arith)
    }

    /// This context's crossover table.
    pub fn crossovers(&self) -> std::sync::Arc<Crossovers> {
        let slot = self.route_table();
        let held = slot.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(table) = held.and_then(|any| any.downcast::<Crossovers>().ok()) {
            return table;
        }
        let table = std::sync::Arc::new(Crossovers::for_context(self).unwrap_or_else(|error| {
            crate::gpu::note_cpu_fallback(|| format!("crossovers: {error}; using the defaults"));
            Crossovers::defaults(AdapterClass::of(self))
        }));
        *slot.write().unwrap_or_else(|e| e.into_inner()) = Some(table.clone());
        table
    }

    /// Replaces `backend='auto'`'s crossover table for this context (tests, calibration).
    pub fn set_crossovers(&self, table: Crossovers) {
        *self
            .route_table()
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(std::sync::Arc::new(table));
    }
}

/// Where `job` runs on `device`: [`Device::Auto`] becomes [`Device::Gpu`] at or past the
/// crossover and [`Device::Cpu`] below it; every other device is returned as it is. The one
/// routing decision every operation makes (on host inputs; device arrays stay on their GPU).
pub fn route<'a>(device: Device<'a>, job: &Job) -> Device<'a> {
    match device {
        Device::Auto(ctx, precision) => {
            let gpu = Device::Gpu(ctx, precision);
            let arith = if job.float64 {
                gpu.float64_arith().unwrap_or(Arith::Native64)
            } else {
                Arith::Single
            };
            if job.elements >= ctx.crossover(job.operation, arith) {
                gpu
            } else {
                Device::Cpu
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossover_files_round_trip_and_bad_lines_are_named() {
        let mut table = Crossovers::defaults(AdapterClass::Discrete);
        table.set(Operation::Fft, Arith::DoubleFloat, u64::MAX);
        table.set(Operation::Blur, Arith::Single, 1234);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.txt");
        std::fs::write(&path, table.to_file_text("test")).expect("write");
        let read = Crossovers::default().read_file(&path).expect("read");
        assert_eq!(read, table, "the file holds the table");
        std::fs::write(&path, "blur float32 12\nblur float32\n").expect("write");
        let error = Crossovers::default()
            .read_file(&path)
            .expect_err("a bad line");
        assert!(error.to_string().contains(":2:"), "names the line: {error}");
        std::fs::write(&path, "smooth float32 12\n").expect("write");
        assert!(
            Crossovers::default().read_file(&path).is_err(),
            "unknown operation"
        );
    }

    #[test]
    fn defaults_grow_for_float64_and_slower_adapters() {
        let discrete = Crossovers::defaults(AdapterClass::Discrete);
        let software = Crossovers::defaults(AdapterClass::Software);
        for op in Operation::ALL {
            let f32s = discrete.get(op, Arith::Single);
            assert!(discrete.get(op, Arith::DoubleFloat) > f32s, "{op:?}");
            assert_eq!(software.get(op, Arith::Single), u64::MAX, "{op:?}: never");
        }
    }
}
