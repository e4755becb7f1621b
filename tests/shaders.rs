//! GPU-free checks of every WGSL file: it parses and validates with naga, the entry points the
//! Rust side names exist with the workgroup sizes it assumes, and each uniform struct has the
//! size of its Rust twin.

use std::path::Path;

use gpusci::blur::gpu as blur;

fn module(path: &str) -> (naga::Module, naga::valid::ModuleInfo) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let mut source = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    // The LIF kernels are compiled with the clock's functions in front (as the host does).
    if path.starts_with("shaders/lif/") && !path.ends_with("common.wgsl") {
        let clock = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/lif/common.wgsl");
        source = std::fs::read_to_string(clock).unwrap() + &source;
    }
    let module = naga::front::wgsl::parse_str(&source)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string_with_path(&source, path)));
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{}", e.emit_to_string_with_path(&source, path)));
    (module, info)
}

fn workgroup_size(module: &naga::Module, entry: &str) -> [u32; 3] {
    module
        .entry_points
        .iter()
        .find(|e| e.name == entry)
        .unwrap_or_else(|| panic!("entry point {entry} missing"))
        .workgroup_size
}

fn struct_size(module: &naga::Module, name: &str) -> u32 {
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("struct {name} missing"));
    ty.inner.size(module.to_ctx())
}

fn constant(module: &naga::Module, name: &str) -> u32 {
    let (_, c) = module
        .constants
        .iter()
        .find(|(_, c)| c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("const {name} missing"));
    match module.global_expressions[c.init] {
        naga::Expression::Literal(naga::Literal::U32(v)) => v,
        ref other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn every_shader_file_is_checked_here() {
    let mut found = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for dir in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "wgsl") {
                let rel = path
                    .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                module(&rel);
                found.push(rel);
            }
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            "shaders/blur/blur.wgsl",
            "shaders/blur/normalize.wgsl",
            "shaders/conv/conv.wgsl",
            "shaders/density/bin.wgsl",
            "shaders/fft/fft.wgsl",
            "shaders/fft/pack.wgsl",
            "shaders/hh/hh.wgsl",
            "shaders/lif/common.wgsl",
            "shaders/lif/lif.wgsl",
            "shaders/lif/sparse.wgsl",
            "shaders/render/heatmap.wgsl",
            "shaders/signal/crossings.wgsl",
            "shaders/wave/leapfrog.wgsl"
        ],
        "a new shader needs its checks below"
    );
}

#[test]
fn blur_shader_matches_its_rust_twin() {
    let (m, _) = module("shaders/blur/blur.wgsl");
    assert_eq!(
        workgroup_size(&m, "blur_rows_tiled"),
        [blur::WG_SIZE, 1, 1],
        "rows kernel"
    );
    assert_eq!(
        workgroup_size(&m, "blur_direct"),
        [blur::WG_SIZE, 1, 1],
        "direct kernel"
    );
    assert_eq!(
        workgroup_size(&m, "blur_cols_tiled"),
        [blur::COL_TILE_COLS, 8, 1],
        "cols kernel"
    );
    assert_eq!(
        struct_size(&m, "BlurUniform") as usize,
        std::mem::size_of::<blur::BlurUniform>(),
        "BlurUniform size"
    );
    assert_eq!(constant(&m, "WG_SIZE"), blur::WG_SIZE, "WG_SIZE");
    assert_eq!(constant(&m, "ROW_TILE"), blur::ROW_TILE, "ROW_TILE");
    assert_eq!(
        constant(&m, "COL_TILE_COLS"),
        blur::COL_TILE_COLS,
        "COL_TILE_COLS"
    );
    assert_eq!(
        constant(&m, "COL_TILE_ROWS"),
        blur::COL_TILE_ROWS,
        "COL_TILE_ROWS"
    );
    assert_eq!(constant(&m, "SHARED_LEN"), blur::SHARED_LEN, "SHARED_LEN");
    // Mode codes: Rust's Mode::code must agree with the shader's constants.
    use gpusci::blur::Mode;
    for (mode, name) in [
        (Mode::Reflect, "MODE_REFLECT"),
        (Mode::Constant, "MODE_CONSTANT"),
        (Mode::Nearest, "MODE_NEAREST"),
        (Mode::Mirror, "MODE_MIRROR"),
        (Mode::Wrap, "MODE_WRAP"),
    ] {
        assert_eq!(constant(&m, name), blur::mode_code(mode), "{name}");
    }
}

#[test]
fn normalize_shader_matches_its_rust_twin() {
    let (m, _) = module("shaders/blur/normalize.wgsl");
    assert_eq!(
        workgroup_size(&m, "normalize"),
        [blur::WG_SIZE, 1, 1],
        "normalize kernel"
    );
    assert_eq!(
        struct_size(&m, "NormalizeUniform") as usize,
        std::mem::size_of::<blur::NormalizeUniform>(),
        "NormalizeUniform size"
    );
}

#[test]
fn density_shader_matches_its_rust_twin() {
    use gpusci::density::gpu as density;
    let (m, _) = module("shaders/density/bin.wgsl");
    for entry in ["bin_global", "bin_shared", "bin_weighted"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [density::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    assert_eq!(
        struct_size(&m, "BinUniform") as usize,
        std::mem::size_of::<density::BinUniform>(),
        "BinUniform size"
    );
    assert_eq!(constant(&m, "WG_SIZE"), density::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "POINTS_PER_THREAD"),
        density::POINTS_PER_THREAD,
        "POINTS_PER_THREAD"
    );
    assert_eq!(
        constant(&m, "SHARED_CELLS"),
        density::SHARED_CELLS,
        "SHARED_CELLS"
    );
}

#[test]
fn heatmap_shader_matches_its_rust_twin() {
    use gpusci::render::gpu as render;
    let (m, _) = module("shaders/render/heatmap.wgsl");
    for entry in ["counts_to_values", "value_range", "colorize"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [render::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    assert_eq!(
        struct_size(&m, "RenderUniform") as usize,
        std::mem::size_of::<render::RenderUniform>(),
        "RenderUniform size"
    );
    assert_eq!(constant(&m, "WG_SIZE"), render::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "CELLS_PER_THREAD"),
        render::CELLS_PER_THREAD,
        "CELLS_PER_THREAD"
    );
    assert_eq!(
        constant(&m, "LUT_SIZE"),
        render::SHADER_LUT_SIZE,
        "LUT_SIZE"
    );
}

#[test]
fn hh_shader_matches_its_rust_twin() {
    use gpusci::hh::gpu as hh;
    let (m, _) = module("shaders/hh/hh.wgsl");
    assert_eq!(
        workgroup_size(&m, "hh_steps"),
        [hh::WG_SIZE, 1, 1],
        "hh_steps"
    );
    assert_eq!(
        struct_size(&m, "HhUniform") as usize,
        std::mem::size_of::<hh::HhUniform>(),
        "HhUniform size"
    );
    assert_eq!(constant(&m, "WG_SIZE"), hh::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "STREAM_INPUTS"),
        gpusci::hh::STREAM_INPUTS,
        "the input draws' Philox stream"
    );
}

#[test]
fn lif_shader_matches_its_rust_twin() {
    use gpusci::lif::gpu as lif;
    let (m, _) = module("shaders/lif/lif.wgsl");
    for entry in ["lif_steps", "clock_probe"] {
        assert_eq!(workgroup_size(&m, entry), [lif::WG_SIZE, 1, 1], "{entry}");
    }
    for (name, size) in [
        ("LifUniform", std::mem::size_of::<lif::LifUniform>()),
        ("NetParams", std::mem::size_of::<lif::NetParams>()),
        ("NeuronState", std::mem::size_of::<lif::NeuronState>()),
    ] {
        assert_eq!(struct_size(&m, name) as usize, size, "{name} size");
    }
    assert_eq!(constant(&m, "WG_SIZE"), lif::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "MAX_PER_THREAD"),
        lif::MAX_PER_THREAD,
        "MAX_PER_THREAD"
    );
}

#[test]
fn sparse_lif_shader_matches_its_rust_twin() {
    use gpusci::lif::gpu as lif;
    use gpusci::lif::gpu_sparse as sparse;
    let (m, _) = module("shaders/lif/sparse.wgsl");
    for entry in ["sparse_update", "sparse_deliver", "sparse_advance"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [sparse::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    for (name, size) in [
        (
            "SparseUniform",
            std::mem::size_of::<sparse::SparseUniform>(),
        ),
        ("NetParams", std::mem::size_of::<lif::NetParams>()),
        ("NeuronState", std::mem::size_of::<lif::NeuronState>()),
    ] {
        assert_eq!(struct_size(&m, name) as usize, size, "{name} size");
    }
    assert_eq!(constant(&m, "WG_SIZE"), sparse::WG_SIZE, "WG_SIZE");
    assert_eq!(constant(&m, "HEADER"), sparse::HEADER, "HEADER");
}

#[test]
fn the_lif_sources_the_host_compiles_are_common_then_kernels() {
    for (source, kernels) in [
        (gpusci::lif::gpu::LIF_WGSL, "shaders/lif/lif.wgsl"),
        (
            gpusci::lif::gpu_sparse::SPARSE_WGSL,
            "shaders/lif/sparse.wgsl",
        ),
    ] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let clock = std::fs::read_to_string(root.join("shaders/lif/common.wgsl")).unwrap();
        let body = std::fs::read_to_string(root.join(kernels)).unwrap();
        assert_eq!(source, clock + &body, "{kernels}");
    }
}

#[test]
fn fft_shaders_match_their_rust_twins() {
    use gpusci::fft::gpu as fft;
    let (m, _) = module("shaders/fft/fft.wgsl");
    assert_eq!(
        constant(&m, "LOCAL_MAX") as usize,
        fft::LOCAL_MAX,
        "LOCAL_MAX"
    );
    assert_eq!(workgroup_size(&m, "fft_local"), [256, 1, 1]);
    for entry in ["pass_radix2", "pass_radix4", "pass_radix8"] {
        assert_eq!(workgroup_size(&m, entry), [64, 1, 1], "{entry}");
    }
    assert_eq!(struct_size(&m, "FftUniform"), 32, "FftUniform size");
    let (p, _) = module("shaders/fft/pack.wgsl");
    assert_eq!(struct_size(&p, "PackUniform"), 16, "PackUniform size");
    assert_eq!(workgroup_size(&p, "transpose"), [16, 16, 1]);
}

#[test]
fn conv_and_crossings_shaders_match_their_rust_twins() {
    use gpusci::conv::gpu as conv;
    let (m, _) = module("shaders/conv/conv.wgsl");
    assert_eq!(constant(&m, "TILE") as usize, conv::TILE, "TILE");
    assert_eq!(workgroup_size(&m, "direct"), [conv::TILE as u32, 1, 1]);
    assert_eq!(workgroup_size(&m, "argmax"), [conv::TILE as u32, 1, 1]);
    assert_eq!(
        struct_size(&m, "ConvUniform") as usize,
        std::mem::size_of::<conv::ConvUniform>(),
        "ConvUniform size"
    );
    assert_eq!(
        struct_size(&m, "Conv2dUniform") as usize,
        std::mem::size_of::<conv::Conv2dUniform>(),
        "Conv2dUniform size"
    );
    let (c, _) = module("shaders/signal/crossings.wgsl");
    assert_eq!(
        constant(&c, "TILE") as usize,
        gpusci::signal::gpu::TILE,
        "crossings TILE"
    );
    assert_eq!(
        struct_size(&c, "CrossUniform") as usize,
        std::mem::size_of::<gpusci::signal::gpu::CrossUniform>(),
        "CrossUniform size"
    );
}

#[test]
fn wave_shader_matches_its_rust_twin() {
    use gpusci::wave::gpu as wave;
    let (m, _) = module("shaders/wave/leapfrog.wgsl");
    assert_eq!(workgroup_size(&m, "step"), [wave::WG_SIZE, 1, 1]);
    assert_eq!(
        struct_size(&m, "WaveUniform") as usize,
        std::mem::size_of::<wave::WaveUniform>(),
        "WaveUniform size"
    );
}
