// heatmap.wgsl: the last steps of a heatmap on the GPU, on a grid that never leaves it:
// counts -> float32 grid (then the blur shaders), the range of the non-empty cells, and
// scaling + colormap lookup into packed RGBA8 pixels, the only thing read back.
//
// The grid is H[i, j] at i * ny + j (x bin i, y bin j), as density/bin.wgsl counts it. Pixel
// (row r, column i) shows H[i, ny - 1 - r]: the highest y at the top.
//
// A cell is empty when it is 0, NaN, or below `floor` (after a blur, less than one point
// contributes 3 sigma away; 0 without a blur). Scaling, as `scale_grid` in src/heatmap/mod.rs:
// values are clipped to the span when one is given, transformed (linear, log1p, cbrt), and
// mapped to [0, 1] between the transformed low and high ends (the span's, or the non-empty
// cells' min and max); one distinct value maps to 1.
//
// Bindings (group 0), contiguous from 0 for each entry point:
//   counts_to_values: 0 uniform, 1 counts: array<u32>, 2 values: array<f32>
//   value_range:      0 uniform, 1 values, 2 range: array<atomic<u32>, 2> (min, max bit patterns)
//   colorize:         0 uniform, 1 values, 2 range, 3 lut: array<u32> (matplotlib's table:
//                     LUT_SIZE entries, RGBA8),
//                     4 image: array<u32> (RGBA8 little-endian: r | g << 8 | b << 16 | a << 24)
// Workgroup size 256; linear workgroup index over x, y, z, groups past `groups` return.

struct RenderUniform {
    nx: u32,
    ny: u32,
    cells: u32,
    groups: u32,
    floor: f32,
    // 0 linear, 1 log1p, 2 cbrt
    scale: u32,
    span_lo: f32,
    span_hi: f32,
    has_span: u32,
    transparent: u32,
    _pad0: u32,
    _pad1: u32,
}

const WG_SIZE: u32 = 256u;
const LUT_SIZE: u32 = 256u;
// Cells each thread of value_range looks at, so one workgroup covers WG_SIZE * CELLS_PER_THREAD.
const CELLS_PER_THREAD: u32 = 16u;
const INF_BITS: u32 = 0x7f800000u;

@group(0) @binding(0) var<uniform> u: RenderUniform;

// ---- counts_to_values -------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> counted_values: array<f32>;

@compute @workgroup_size(256)
fn counts_to_values(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let i = g * WG_SIZE + lid;
    if (i >= u.cells) { return; }
    counted_values[i] = f32(counts[i]);
}

// ---- value_range and colorize -------------------------------------------------------------

@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<atomic<u32>, 2>;
@group(0) @binding(3) var<storage, read> lut: array<u32>;
@group(0) @binding(4) var<storage, read_write> image: array<u32>;

var<workgroup> wg_min: array<u32, WG_SIZE>;
var<workgroup> wg_max: array<u32, WG_SIZE>;

fn is_filled(v: f32) -> bool {
    // NaN fails both comparisons.
    return v > 0.0 && v >= u.floor;
}

@compute @workgroup_size(256)
fn value_range(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    // Every thread reaches the barriers; groups past the end just contribute nothing.
    // Non-negative floats order as their bit patterns, so u32 min/max are float min/max.
    var lo = INF_BITS;
    var hi = 0u;
    if (g < u.groups) {
        let base = g * WG_SIZE * CELLS_PER_THREAD + lid;
        for (var k = 0u; k < CELLS_PER_THREAD; k++) {
            let i = base + k * WG_SIZE;
            if (i < u.cells) {
                let v = values[i];
                if (is_filled(v)) {
                    let bits = bitcast<u32>(v);
                    lo = min(lo, bits);
                    hi = max(hi, bits);
                }
            }
        }
    }
    wg_min[lid] = lo;
    wg_max[lid] = hi;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            wg_min[lid] = min(wg_min[lid], wg_min[lid + stride]);
            wg_max[lid] = max(wg_max[lid], wg_max[lid + stride]);
        }
        workgroupBarrier();
    }
    if (lid == 0u && wg_max[0] != 0u) {
        atomicMin(&range[0], wg_min[0]);
        atomicMax(&range[1], wg_max[0]);
    }
}

// log1p without the cancellation of log(1 + v) for small v (Goldberg's trick).
fn log1p(v: f32) -> f32 {
    let w = 1.0 + v;
    if (w == 1.0) { return v; }
    return log(w) * (v / (w - 1.0));
}

fn transform(v: f32) -> f32 {
    switch u.scale {
        case 1u: { return log1p(v); }
        case 2u: { return pow(v, 1.0 / 3.0); }
        default: { return v; }
    }
}

fn pack(rgba: vec4<u32>) -> u32 {
    return rgba.x | (rgba.y << 8u) | (rgba.z << 16u) | (rgba.w << 24u);
}

@compute @workgroup_size(256)
fn colorize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let p = g * WG_SIZE + lid;
    if (p >= u.cells) { return; }
    let r = p / u.nx;
    let i = p % u.nx;
    var v = values[i * u.ny + (u.ny - 1u - r)];
    if (!is_filled(v)) {
        if (u.transparent != 0u) {
            image[p] = 0u;
        } else {
            image[p] = lut[0];
        }
        return;
    }
    var lo: f32;
    var hi: f32;
    if (u.has_span != 0u) {
        v = clamp(v, u.span_lo, u.span_hi);
        lo = transform(u.span_lo);
        hi = transform(u.span_hi);
    } else {
        lo = transform(bitcast<f32>(atomicLoad(&range[0])));
        hi = transform(bitcast<f32>(atomicLoad(&range[1])));
    }
    var t = 1.0;
    if (hi > lo) {
        t = clamp((transform(v) - lo) / (hi - lo), 0.0, 1.0);
    }
    // matplotlib's rule (as lut_index in src/render/mod.rs): entry min(floor(t * 256), 255);
    // t is in [0, 1], so the conversion truncates a non-negative value.
    image[p] = lut[min(u32(t * f32(LUT_SIZE)), LUT_SIZE - 1u)];
}
