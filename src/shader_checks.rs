//! GPU-free checks of every shader source the host compiles (the prelude, then its files): it
//! parses and validates with naga, the entry points the Rust side names exist with the
//! workgroup sizes it assumes, and each uniform struct has the fields, offsets and size of its
//! Rust twin.

use std::path::{Path, PathBuf};

use crate::blur::gpu as blur;

fn module(source: &str, name: &str) -> (naga::Module, naga::valid::ModuleInfo) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string_with_path(source, name)));
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // The float64 variants (shaders/precision/native.wgsl) need SHADER_F64.
        naga::valid::Capabilities::FLOAT64,
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{}", e.emit_to_string_with_path(source, name)));
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

/// The WGSL struct's fields and byte offsets, padding (names starting with `_`) left out.
fn wgsl_fields(module: &naga::Module, name: &str) -> Vec<(String, u32)> {
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("struct {name} missing"));
    match &ty.inner {
        naga::TypeInner::Struct { members, .. } => members
            .iter()
            .filter_map(|m| {
                let field = m.name.clone().unwrap_or_default();
                (!field.starts_with('_')).then_some((field, m.offset))
            })
            .collect(),
        other => panic!("{name} is {other:?}"),
    }
}

/// The Rust struct's fields (padding after the `;`) and their offsets. The pattern names every
/// field, without `..`: a field added on the Rust side stops this file compiling until it is
/// listed here, and so compared with the shader.
macro_rules! rust_fields {
    ($ty:path { $($field:ident),+ $(; $($pad:ident),+)? }) => {{
        #[allow(dead_code, reason = "compiled, never called: it proves the list is complete")]
        fn every_field_is_listed(value: $ty) {
            let $ty { $($field: _,)+ $($($pad: _,)+)? } = value;
        }
        $($(assert!(stringify!($pad).starts_with('_'), "{} is not padding", stringify!($pad));)+)?
        vec![$((stringify!($field).to_string(), std::mem::offset_of!($ty, $field) as u32)),+]
    }};
}

/// A uniform struct and its Rust twin: the same fields at the same offsets, the same size.
fn same_layout(module: &naga::Module, name: &str, rust: Vec<(String, u32)>, size: usize) {
    assert_eq!(
        wgsl_fields(module, name),
        rust,
        "{name}: fields and offsets"
    );
    assert_eq!(struct_size(module, name) as usize, size, "{name}: size");
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

fn shader_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shader_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "wgsl") {
            found.push(path);
        }
    }
}

/// The files after the prelude of each variant of a kernel that comes in three precisions.
const PRECISION_FILES: [&str; 3] = [
    "precision/single.wgsl",
    "precision/native.wgsl",
    "precision/double_float.wgsl",
];

/// 32-bit words per `Real` in each variant (`REAL_WORDS`).
const REAL_WORDS: [u32; 3] = [1, 2, 2];

/// The kernels that come in three precisions, with their files after the precision's.
const VARIANT_SOURCES: [(crate::gpu::ShaderVariants, &[&str]); 7] = [
    (
        crate::array::elementwise::ELEMENTWISE_SHADERS,
        &["array/elementwise.wgsl"],
    ),
    (blur::BLUR_SHADERS, &["blur/blur.wgsl"]),
    (blur::NORMALIZE_SHADERS, &["blur/normalize.wgsl"]),
    (crate::conv::gpu::CONV_SHADERS, &["conv/conv.wgsl"]),
    (crate::fft::gpu::FFT_SHADERS, &["fft/fft.wgsl"]),
    (crate::fft::gpu::PACK_SHADERS, &["fft/pack.wgsl"]),
    (crate::fft::gpu::BLUESTEIN_SHADERS, &["fft/bluestein.wgsl"]),
];

/// Each variant's source, name and `REAL_WORDS`.
fn variants(
    shaders: crate::gpu::ShaderVariants,
) -> impl Iterator<Item = (&'static str, &'static str, u32)> {
    (0..3).map(move |i| (shaders.sources[i], shaders.names[i], REAL_WORDS[i]))
}

/// Every source the host compiles, with the files it is made of after the prelude.
fn sources() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut all: Vec<(&'static str, Vec<&'static str>)> = SOURCES
        .iter()
        .map(|(source, files)| (*source, files.to_vec()))
        .collect();
    for (variants, files) in VARIANT_SOURCES {
        for (source, precision) in variants.sources.into_iter().zip(PRECISION_FILES) {
            all.push((source, [&[precision][..], files].concat()));
        }
    }
    all
}

/// The sources of kernels that come in one precision.
const SOURCES: [(&str, &[&str]); 9] = [
    (crate::density::gpu::BIN_WGSL, &["density/bin.wgsl"]),
    (
        crate::density::device::DEVICE_WGSL,
        &["density/device.wgsl"],
    ),
    (crate::hh::gpu::HH_WGSL, &["hh/hh.wgsl"]),
    (
        crate::lif::gpu::LIF_WGSL,
        &["lif/common.wgsl", "lif/lif.wgsl"],
    ),
    (
        crate::lif::gpu_sparse::SPARSE_WGSL,
        &["lif/common.wgsl", "lif/sparse.wgsl"],
    ),
    (crate::heatmap::gpu::HEATMAP_WGSL, &["heatmap/heatmap.wgsl"]),
    (
        crate::signal::gpu::CROSSINGS_WGSL,
        &["signal/crossings.wgsl"],
    ),
    (crate::signal::gpu::ROLLING_WGSL, &["signal/rolling.wgsl"]),
    (
        crate::wave::gpu::WAVE_WGSL,
        &["precision/double_float.wgsl", "wave/leapfrog.wgsl"],
    ),
];

#[test]
fn every_shader_file_is_in_a_source_the_host_compiles_after_the_prelude() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();
    let prelude = read("prelude.wgsl");
    let mut used = vec!["prelude.wgsl".to_string()];
    for (source, files) in sources() {
        let expected = files
            .iter()
            .fold(prelude.clone(), |s, f| s + "\n" + &read(f));
        assert_eq!(source, expected, "{files:?}");
        module(source, files[files.len() - 1]);
        used.extend(files.iter().map(|f| f.to_string()));
    }
    module(&prelude, "prelude.wgsl");
    let mut found = Vec::new();
    shader_files(&root, &mut found);
    let mut found: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    found.sort();
    used.sort();
    used.dedup();
    assert_eq!(
        found, used,
        "a new shader file needs a source and its checks here"
    );
}

#[test]
fn blur_shader_matches_its_rust_twin() {
    for (source, name, words) in variants(blur::BLUR_SHADERS) {
        blur_variant_matches(source, name, words);
    }
}

fn blur_variant_matches(source: &str, name: &str, words: u32) {
    let (m, _) = module(source, name);
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
    same_layout(
        &m,
        "BlurUniform",
        rust_fields!(blur::BlurUniform {
            out_rows,
            out_cols,
            src_rows,
            src_cols,
            slices,
            first_slice,
            kernel_stride,
            mode,
            axis,
            cval_at,
            groups,
            one
        }),
        std::mem::size_of::<blur::BlurUniform>(),
    );
    same_layout(
        &m,
        "Kernel",
        rust_fields!(blur::KernelEntry {
            start,
            taps,
            first_offset,
            centre
        }),
        std::mem::size_of::<blur::KernelEntry>(),
    );
    assert_eq!(constant(&m, "WG_SIZE"), blur::WG_SIZE, "WG_SIZE");
    assert_eq!(constant(&m, "NO_CENTRE"), blur::NO_CENTRE, "NO_CENTRE");
    assert_eq!(constant(&m, "ROW_TILE"), blur::ROW_TILE, "ROW_TILE");
    assert_eq!(
        constant(&m, "COL_TILE_COLS"),
        blur::COL_TILE_COLS,
        "COL_TILE_COLS"
    );
    assert_eq!(
        constant(&m, "COL_TILE_ROWS"),
        blur::COL_TILE_ROWS / words,
        "COL_TILE_ROWS"
    );
    assert_eq!(
        constant(&m, "SHARED_LEN"),
        blur::SHARED_LEN / words,
        "SHARED_LEN"
    );
    // Mode codes: Rust's Mode::code must agree with the shader's constants.
    use crate::blur::Mode;
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
    for (source, name, _) in variants(blur::NORMALIZE_SHADERS) {
        normalize_variant_matches(source, name);
    }
}

fn normalize_variant_matches(source: &str, name: &str) {
    let (m, _) = module(source, name);
    assert_eq!(
        workgroup_size(&m, "normalize"),
        [blur::WG_SIZE, 1, 1],
        "normalize kernel"
    );
    same_layout(
        &m,
        "NormalizeUniform",
        rust_fields!(blur::NormalizeUniform { len, groups, one; _pad }),
        std::mem::size_of::<blur::NormalizeUniform>(),
    );
}

#[test]
fn density_shader_matches_its_rust_twin() {
    use crate::density::gpu as density;
    let (m, _) = module(density::BIN_WGSL, "shaders/density/bin.wgsl");
    for entry in ["bin_global", "bin_shared", "bin_weighted"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [density::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    same_layout(
        &m,
        "BinUniform",
        rust_fields!(density::BinUniform {
            nx,
            ny,
            points,
            groups,
            x_first,
            x_scale,
            y_first,
            y_scale
        }),
        std::mem::size_of::<density::BinUniform>(),
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
fn density_device_shader_matches_its_rust_twin() {
    use crate::density::device as density;
    let (m, _) = module(density::DEVICE_WGSL, "shaders/density/device.wgsl");
    for entry in ["widen", "bounds", "to_float64", "to_float32", "to_fixed"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [density::DEVICE_WG as u32, 1, 1],
            "{entry}"
        );
    }
    same_layout(
        &m,
        "DeviceUniform",
        rust_fields!(density::DeviceUniform {
            first,
            count,
            groups,
            native
        }),
        std::mem::size_of::<density::DeviceUniform>(),
    );
    assert_eq!(constant(&m, "WG") as usize, density::DEVICE_WG, "WG");
    assert_eq!(
        constant(&m, "BOUNDS_PER_THREAD") as usize,
        density::BOUNDS_PER_THREAD,
        "BOUNDS_PER_THREAD"
    );
}

#[test]
fn heatmap_shader_matches_its_rust_twin() {
    use crate::heatmap::gpu as render;
    let (m, _) = module(render::HEATMAP_WGSL, "shaders/heatmap/heatmap.wgsl");
    for entry in ["counts_to_values", "value_range", "colorize"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [render::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    same_layout(
        &m,
        "RenderUniform",
        rust_fields!(render::RenderUniform { nx, ny, cells, groups, floor, scale, span_lo, span_hi, has_span, transparent; _pad }),
        std::mem::size_of::<render::RenderUniform>(),
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
    use crate::hh::gpu as hh;
    let (m, _) = module(hh::HH_WGSL, "shaders/hh/hh.wgsl");
    assert_eq!(
        workgroup_size(&m, "hh_steps"),
        [hh::WG_SIZE, 1, 1],
        "hh_steps"
    );
    same_layout(
        &m,
        "HhUniform",
        rust_fields!(hh::HhUniform { neurons, first_step, steps, recorded, ex_len, in_len, key0, key1, spike_capacity, c_m, g_na, g_k, g_l, e_na, e_k, e_l, i_app, dt, k, g_ex; _pad, _pad_end }),
        std::mem::size_of::<hh::HhUniform>(),
    );
    assert_eq!(constant(&m, "WG_SIZE"), hh::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "STREAM_INPUTS"),
        crate::hh::STREAM_INPUTS,
        "the input draws' Philox stream"
    );
}

/// The structs `lif/common.wgsl` gives both LIF kernels.
fn net_params_and_neuron_state_match(m: &naga::Module) {
    use crate::lif::gpu as lif;
    same_layout(
        m,
        "NetParams",
        rust_fields!(lif::NetParams {
            offset,
            vpeak,
            vreset,
            inv_tm,
            rise,
            decay,
            kick,
            dt,
            tref
        }),
        std::mem::size_of::<lif::NetParams>(),
    );
    same_layout(
        m,
        "NeuronState",
        rust_fields!(lif::NeuronState { v, ipsc, hm, jd, tlast, release; _pad }),
        std::mem::size_of::<lif::NeuronState>(),
    );
}

#[test]
fn lif_shader_matches_its_rust_twin() {
    use crate::lif::gpu as lif;
    let (m, _) = module(lif::LIF_WGSL, "shaders/lif/lif.wgsl");
    for entry in ["lif_steps", "clock_probe"] {
        assert_eq!(workgroup_size(&m, entry), [lif::WG_SIZE, 1, 1], "{entry}");
    }
    same_layout(
        &m,
        "LifUniform",
        rust_fields!(lif::LifUniform { n, networks, first_step, steps, nrec, capacity, times_len, monitors, every, first_sample, samples; _pad }),
        std::mem::size_of::<lif::LifUniform>(),
    );
    net_params_and_neuron_state_match(&m);
    assert_eq!(constant(&m, "WG_SIZE"), lif::WG_SIZE, "WG_SIZE");
    assert_eq!(
        constant(&m, "MAX_PER_THREAD"),
        lif::MAX_PER_THREAD,
        "MAX_PER_THREAD"
    );
}

#[test]
fn sparse_lif_shader_matches_its_rust_twin() {
    use crate::lif::gpu_sparse as sparse;
    let (m, _) = module(sparse::SPARSE_WGSL, "shaders/lif/sparse.wgsl");
    for entry in ["sparse_update", "sparse_deliver", "sparse_advance"] {
        assert_eq!(
            workgroup_size(&m, entry),
            [sparse::WG_SIZE, 1, 1],
            "{entry}"
        );
    }
    same_layout(
        &m,
        "SparseUniform",
        rust_fields!(sparse::SparseUniform { n, first_step, nrec, capacity, times_len, monitors, every, first_sample, samples, deliver_groups, update_groups, steps, fixed_to_float; _pad }),
        std::mem::size_of::<sparse::SparseUniform>(),
    );
    net_params_and_neuron_state_match(&m);
    assert_eq!(constant(&m, "WG_SIZE"), sparse::WG_SIZE, "WG_SIZE");
    assert_eq!(constant(&m, "HEADER"), sparse::HEADER, "HEADER");
}

#[test]
fn fft_shaders_match_their_rust_twins() {
    use crate::fft::gpu as fft;
    for (source, name, words) in variants(fft::FFT_SHADERS) {
        fft_variant_matches(source, name, words);
    }
    for (source, name, _) in variants(fft::BLUESTEIN_SHADERS) {
        bluestein_variant_matches(source, name);
    }
    for (source, name, _) in variants(fft::PACK_SHADERS) {
        pack_variant_matches(source, name);
    }
}

fn fft_variant_matches(source: &str, name: &str, words: u32) {
    use crate::fft::gpu as fft;
    let (m, _) = module(source, name);
    assert_eq!(
        constant(&m, "LOCAL_MAX") as usize,
        fft::LOCAL_MAX / words as usize,
        "LOCAL_MAX"
    );
    assert_eq!(workgroup_size(&m, "fft_local"), [256, 1, 1]);
    for entry in [
        "pass_radix2",
        "pass_radix4",
        "pass_radix8",
        "pass_radix_any",
    ] {
        assert_eq!(workgroup_size(&m, entry), [64, 1, 1], "{entry}");
    }
    same_layout(
        &m,
        "FftUniform",
        rust_fields!(fft::FftUniform { n, p, rows, tw_stride, sign, scale, radix, scale_lo, scale_lo2; _pad }),
        std::mem::size_of::<fft::FftUniform>(),
    );
    assert_eq!(constant(&m, "MAX_RADIX"), fft::MAX_RADIX, "MAX_RADIX");
}

fn bluestein_variant_matches(source: &str, name: &str) {
    use crate::fft::gpu as fft;
    let (b, _) = module(source, name);
    same_layout(
        &b,
        "BluesteinUniform",
        rust_fields!(fft::BluesteinUniform { n, m, rows, sign, scale, scale_lo, scale_lo2; _pad }),
        std::mem::size_of::<fft::BluesteinUniform>(),
    );
    for entry in ["chirp_pre", "spectrum_multiply", "chirp_post"] {
        assert_eq!(workgroup_size(&b, entry), [64, 1, 1], "{entry}");
    }
}

fn pack_variant_matches(source: &str, name: &str) {
    use crate::fft::gpu as fft;
    let (p, _) = module(source, name);
    same_layout(
        &p,
        "PackUniform",
        rust_fields!(fft::PackUniform { half, rows, tw_stride, cols, one; _pad }),
        std::mem::size_of::<fft::PackUniform>(),
    );
    assert_eq!(workgroup_size(&p, "transpose"), [16, 16, 1]);
}

#[test]
fn conv_and_crossings_shaders_match_their_rust_twins() {
    use crate::conv::gpu as conv;
    for (source, name, _) in variants(conv::CONV_SHADERS) {
        let (m, _) = module(source, name);
        assert_eq!(constant(&m, "TILE") as usize, conv::TILE, "TILE");
        assert_eq!(workgroup_size(&m, "direct"), [conv::TILE as u32, 1, 1]);
        assert_eq!(workgroup_size(&m, "argmax"), [conv::TILE as u32, 1, 1]);
        same_layout(
            &m,
            "ConvUniform",
            rust_fields!(conv::ConvUniform {
                n,
                k,
                first,
                count,
                block,
                size,
                rows,
                one
            }),
            std::mem::size_of::<conv::ConvUniform>(),
        );
        same_layout(
            &m,
            "Conv2dUniform",
            rust_fields!(conv::Conv2dUniform { a_rows, a_cols, k_rows, k_cols, first_row, first_col, out_rows, out_cols, fft_cols, one; _pad }),
            std::mem::size_of::<conv::Conv2dUniform>(),
        );
    }
    let (c, _) = module(
        crate::signal::gpu::CROSSINGS_WGSL,
        "shaders/signal/crossings.wgsl",
    );
    assert_eq!(
        constant(&c, "TILE") as usize,
        crate::signal::gpu::TILE,
        "crossings TILE"
    );
    same_layout(
        &c,
        "CrossUniform",
        rust_fields!(crate::signal::gpu::CrossUniform {
            n,
            thr_lo,
            thr_hi,
            prev_above
        }),
        std::mem::size_of::<crate::signal::gpu::CrossUniform>(),
    );
    let (r, _) = module(
        crate::signal::gpu::ROLLING_WGSL,
        "shaders/signal/rolling.wgsl",
    );
    assert_eq!(
        constant(&r, "BLOCK") as usize,
        crate::signal::gpu::SCAN_BLOCK,
        "rolling BLOCK"
    );
    assert_eq!(
        struct_size(&r, "Item") as usize,
        crate::signal::gpu::ITEM_BYTES,
        "rolling Item"
    );
    for entry in ["to_fixed", "scan_blocks", "add_offsets", "window"] {
        assert_eq!(workgroup_size(&r, entry), [256, 1, 1], "{entry}");
    }
    same_layout(
        &r,
        "RollingUniform",
        rust_fields!(crate::signal::gpu::RollingUniform {
            count,
            shift,
            k,
            first_output,
            base,
            n,
            omit,
            groups
        }),
        std::mem::size_of::<crate::signal::gpu::RollingUniform>(),
    );
}

#[test]
fn wave_shader_matches_its_rust_twin() {
    use crate::wave::gpu as wave;
    let (m, _) = module(wave::WAVE_WGSL, "shaders/wave/leapfrog.wgsl");
    assert_eq!(workgroup_size(&m, "step"), [wave::WG_SIZE, 1, 1]);
    same_layout(
        &m,
        "WaveUniform",
        rust_fields!(wave::WaveUniform { n, c_hi, c_lo, one }),
        std::mem::size_of::<wave::WaveUniform>(),
    );
}

#[test]
fn elementwise_shaders_match_their_rust_twin() {
    use crate::array::elementwise as ew;
    for (source, name, _) in variants(ew::ELEMENTWISE_SHADERS) {
        let (m, _) = module(source, name);
        assert_eq!(constant(&m, "WG"), ew::WG_SIZE, "WG");
        for entry in [
            "binary_real",
            "binary_complex",
            "compare",
            "unary_real",
            "complex_to_real",
            "unary_complex",
            "masked_assign",
            "logical",
        ] {
            assert_eq!(workgroup_size(&m, entry), [ew::WG_SIZE, 1, 1], "{entry}");
        }
        same_layout(
            &m,
            "EwUniform",
            rust_fields!(ew::EwUniform { len, ndim, op, flags, groups, one, a_scale, b_scale, shape, a_strides, b_strides; _pad }),
            std::mem::size_of::<ew::EwUniform>(),
        );
    }
}
