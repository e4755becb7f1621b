//! `gpusci info`: a small wgpu-info.

use gpusci::gpu::{list_adapters, ADAPTER_ENV};

use crate::BackendArg;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    backend: BackendArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let adapters = list_adapters();
    if adapters.is_empty() {
        println!("no GPU adapter found (wgpu looked at Vulkan, GL, Metal and DX12)");
    }
    for (i, a) in adapters.iter().enumerate() {
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        println!("adapter {i}: {} [{}]", a.name, a.backend);
        println!(
            "  type: {:?}{}",
            a.device_type,
            if a.is_software() {
                " (software: correct, not fast)"
            } else {
                ""
            }
        );
        println!("  driver: {}", a.driver);
        if !a.pci_bus_id.is_empty() {
            println!("  PCI bus id: {}", a.pci_bus_id);
        }
        println!(
            "  compute shaders: {}, shader f64: {}",
            a.compute, a.shader_f64
        );
        println!(
            "  max storage binding: {:.0} MiB, max buffer: {:.0} MiB, storage buffers/stage: {}, workgroups/dim: {}, invocations/workgroup: {}, workgroup memory: {} KiB",
            mib(a.limits.max_storage_buffer_binding_size),
            mib(a.limits.max_buffer_size),
            a.limits.max_storage_buffers_per_shader_stage,
            a.limits.max_compute_workgroups_per_dimension,
            a.limits.max_compute_invocations_per_workgroup,
            a.limits.max_compute_workgroup_storage_size / 1024
        );
    }
    let backend = args.backend.parse()?;
    match args.backend.executor() {
        Ok(gpusci::Executor::Auto(ctx)) => println!(
            "--backend {backend} runs on: {} past each operation's crossover, else the CPU",
            ctx.describe()
        ),
        Ok(exec) => println!("--backend {backend} runs on: {}", exec.describe()),
        Err(error) => println!("--backend {backend} runs on: nothing ({error})"),
    }
    if let Ok(value) = std::env::var(ADAPTER_ENV) {
        println!("{ADAPTER_ENV}={value}");
    }
    Ok(())
}
