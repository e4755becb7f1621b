// blur.wgsl: one separable pass of a Gaussian blur, a correlation of each line of a stack of
// row-major matrices of `Real` (float32, float64 or double-float: shaders/precision/) with
// precomputed taps, along rows (axis 1) or down columns
// (axis 0). A pass along any axis of an N-D array is one of these: the host views the array as
// `slices` matrices of `rows x cols` (see AxisView in src/blur/mod.rs).
//
//   out[i] = sum_t weights[k.start + t] * src[extend(i + k.first_offset + t)],  t < k.taps
//
// where k is the slice's kernel: `kernels[(first_slice + slice) * kernel_stride]`. One kernel
// for the whole pass (kernel_stride 0), or one per slice (an image stack, each image with its
// own sigma).
//
// The sum is the precision's accumulator (`Acc`): in float32 compensated (Neumaier), so with
// taps that sum to exactly 1 (the host arranges it) a constant image stays constant and the
// blur conserves mass, as SciPy's float64 sums do; in float64 and double-float a plain sum.
//
// Bindings (group 0):
//   0  uniform      BlurUniform (kept in sync with `BlurUniform` in src/blur/gpu.rs)
//   1  storage, r   weights: array<Real>, every kernel's taps, then cval (at `cval_at`)
//   2  storage, r   kernels: array<Kernel> (kept in sync with `KernelEntry` in src/blur/gpu.rs)
//   3  storage, r   src:     array<Real>, slices x src_rows x src_cols
//   4  storage, rw  dst:     array<Real>, slices x out_rows x out_cols
//
// Modes: the SciPy edge rules below, applied to the whole line held in `src`; or MODE_PADDED,
// where the host already extended the line (a tile of an array too large for one binding):
// src holds out + taps - 1 samples along the filtered axis, no index is mapped, and the
// kernels' first_offset is 0.
//
// Entry points (workgroup counts are linear and spread over x, y, z by the host; groups past
// `groups` return at once, which is uniform across the workgroup):
//   blur_rows_tiled  256 threads, 256 outputs of one row; needs taps <= SHARED_LEN - 255
//   blur_cols_tiled  32 x 8 threads, a 32-column x COL_TILE_ROWS-row tile of one slice; 32 neighbouring
//                    threads read 32 neighbouring columns (coalesced); needs
//                    (COL_TILE_ROWS + taps - 1) * 32 <= SHARED_LEN
//   blur_direct      256 threads, one output each, any taps, either axis (global reads)

struct BlurUniform {
    out_rows: u32,
    out_cols: u32,
    src_rows: u32,
    src_cols: u32,
    slices: u32,
    first_slice: u32,
    kernel_stride: u32,
    mode: u32,
    axis: u32,
    // Index of the constant of `constant` mode in `weights` (stored in the precision's Real).
    cval_at: u32,
    groups: u32,
    // Always 1.0, opaque to the compiler: see `opaque_one`.
    one: f32,
}

struct Kernel {
    start: u32,
    taps: u32,
    first_offset: i32,
    // NO_CENTRE, or the tap whose sample is the output's own: the sum then runs relative to
    // that sample c, out = c + sum_t w_t (x_t - c), which for smoothing taps summing to 1 is
    // the same sum but keeps a constant line exactly constant, as SciPy's float64 does (the
    // host sets it for float64 and double-float; float32 keeps it with its compensated sum).
    centre: u32,
}

const NO_CENTRE: u32 = 0xffffffffu;

// A centre sample as the sums use it: 0 when it is not finite (an infinity or NaN then
// propagates through the plain terms, as SciPy's).
fn finite_or_zero(x: Real) -> Real {
    if (real_is_finite(x)) { return x; }
    return real(0.0);
}

const MODE_REFLECT: u32 = 0u;
const MODE_CONSTANT: u32 = 1u;
const MODE_NEAREST: u32 = 2u;
const MODE_MIRROR: u32 = 3u;
const MODE_WRAP: u32 = 4u;
const MODE_PADDED: u32 = 5u;

const WG_SIZE: u32 = 256u;
const ROW_TILE: u32 = 256u;
const COL_TILE_COLS: u32 = 32u;
const COL_TILE_ROWS: u32 = 64u / REAL_WORDS;
const COL_THREADS_Y: u32 = 8u;
// 16 KiB of workgroup memory: the WebGPU minimum, so every adapter can run the tiled kernels.
const SHARED_LEN: u32 = 4096u / REAL_WORDS;

@group(0) @binding(0) var<uniform> u: BlurUniform;
@group(0) @binding(1) var<storage, read> weights: array<Real>;
@group(0) @binding(2) var<storage, read> kernels: array<Kernel>;
@group(0) @binding(3) var<storage, read> src: array<Real>;
@group(0) @binding(4) var<storage, read_write> dst: array<Real>;

var<workgroup> tile: array<Real, SHARED_LEN>;

// 1.0, which the compiler cannot see (the precision's error-free transformations need it).
fn opaque_one() -> f32 {
    return u.one;
}

// Maps position i of the extended line onto [0, n); -1 means the constant cval.
// Any distance past the edge works: the periodic modes repeat as often as needed.
// Only non-negative operands reach `%`: GLSL leaves the sign of a negative remainder undefined
// (llvmpipe's GL gets it wrong), so negative positions are first folded by each mode's symmetry.
fn extend(i: i32, n: i32) -> i32 {
    if (i >= 0 && i < n) {
        return i;
    }
    let len = u32(n);
    switch u.mode {
        case MODE_REFLECT: {
            // reflect(-1 - k) = reflect(k): the line is symmetric about -0.5.
            var j = u32(i);
            if (i < 0) { j = u32(-1 - i); }
            let m = j % (2u * len);
            if (m < len) { return i32(m); }
            return i32(2u * len - 1u - m);
        }
        case MODE_MIRROR: {
            if (n == 1) { return 0; }
            // mirror(-k) = mirror(k): symmetric about 0.
            var j = u32(i);
            if (i < 0) { j = u32(-i); }
            let period = 2u * len - 2u;
            let m = j % period;
            if (m < len) { return i32(m); }
            return i32(period - m);
        }
        case MODE_WRAP: {
            if (i >= 0) { return i32(u32(i) % len); }
            return i32((len - u32(-i) % len) % len);
        }
        case MODE_NEAREST: {
            return clamp(i, 0, n - 1);
        }
        default: {
            return -1;
        }
    }
}

// The kernel of slice `slice` of this dispatch.
fn kernel_of(slice: u32) -> Kernel {
    return kernels[(u.first_slice + slice) * u.kernel_stride];
}

// Sample at position `pos` along row `row` (counted over all slices: rows are contiguous).
fn fetch_along_row(row: u32, pos: i32) -> Real {
    if (u.mode == MODE_PADDED) {
        if (pos < 0 || u32(pos) >= u.src_cols) { return real(0.0); }
        return src[row * u.src_cols + u32(pos)];
    }
    let j = extend(pos, i32(u.src_cols));
    if (j < 0) { return weights[u.cval_at]; }
    return src[row * u.src_cols + u32(j)];
}

// Sample at position `pos` down column `col` of the slice starting at `base`.
fn fetch_along_col(base: u32, col: u32, pos: i32) -> Real {
    if (u.mode == MODE_PADDED) {
        if (pos < 0 || u32(pos) >= u.src_rows) { return real(0.0); }
        return src[base + u32(pos) * u.src_cols + col];
    }
    let j = extend(pos, i32(u.src_rows));
    if (j < 0) { return weights[u.cval_at]; }
    return src[base + u32(j) * u.src_cols + col];
}

@compute @workgroup_size(256)
fn blur_rows_tiled(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let segments = (u.out_cols + ROW_TILE - 1u) / ROW_TILE;
    // Rows of every slice, one after the other (src and dst have as many rows).
    let row = g / segments;
    let k = kernel_of(row / u.out_rows);
    let c0 = (g % segments) * ROW_TILE;
    let span = ROW_TILE + k.taps - 1u;
    for (var i = lid; i < span; i += WG_SIZE) {
        tile[i] = fetch_along_row(row, i32(c0 + i) + k.first_offset);
    }
    workgroupBarrier();
    let c = c0 + lid;
    if (c < u.out_cols) {
        var acc = acc_new();
        if (k.centre == NO_CENTRE) {
            for (var t = 0u; t < k.taps; t++) {
                acc_add(&acc, real_mul(weights[k.start + t], tile[lid + t]));
            }
            dst[row * u.out_cols + c] = acc_total(acc);
        } else {
            let centre = finite_or_zero(tile[lid + k.centre]);
            for (var t = 0u; t < k.taps; t++) {
                acc_add(&acc, real_mul(weights[k.start + t], real_sub(tile[lid + t], centre)));
            }
            dst[row * u.out_cols + c] = real_add(acc_total(acc), centre);
        }
    }
}

@compute @workgroup_size(32, 8)
fn blur_cols_tiled(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let col_groups = (u.out_cols + COL_TILE_COLS - 1u) / COL_TILE_COLS;
    let row_groups = (u.out_rows + COL_TILE_ROWS - 1u) / COL_TILE_ROWS;
    let slice = g / (col_groups * row_groups);
    let in_slice = g % (col_groups * row_groups);
    let k = kernel_of(slice);
    let src_base = slice * u.src_rows * u.src_cols;
    let dst_base = slice * u.out_rows * u.out_cols;
    let r0 = (in_slice / col_groups) * COL_TILE_ROWS;
    let c = (in_slice % col_groups) * COL_TILE_COLS + lid.x;
    let span = COL_TILE_ROWS + k.taps - 1u;
    for (var i = lid.y; i < span; i += COL_THREADS_Y) {
        var v = real(0.0);
        if (c < u.out_cols) {
            v = fetch_along_col(src_base, c, i32(r0 + i) + k.first_offset);
        }
        tile[i * COL_TILE_COLS + lid.x] = v;
    }
    workgroupBarrier();
    if (c >= u.out_cols) { return; }
    for (var j = lid.y; j < COL_TILE_ROWS; j += COL_THREADS_Y) {
        let r = r0 + j;
        if (r < u.out_rows) {
            var acc = acc_new();
            let out_at = dst_base + r * u.out_cols + c;
            if (k.centre == NO_CENTRE) {
                for (var t = 0u; t < k.taps; t++) {
                    acc_add(&acc, real_mul(weights[k.start + t],
                                           tile[(j + t) * COL_TILE_COLS + lid.x]));
                }
                dst[out_at] = acc_total(acc);
            } else {
                let centre = finite_or_zero(tile[(j + k.centre) * COL_TILE_COLS + lid.x]);
                for (var t = 0u; t < k.taps; t++) {
                    let x = tile[(j + t) * COL_TILE_COLS + lid.x];
                    acc_add(&acc, real_mul(weights[k.start + t], real_sub(x, centre)));
                }
                dst[out_at] = real_add(acc_total(acc), centre);
            }
        }
    }
}

@compute @workgroup_size(256)
fn blur_direct(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let index = g * WG_SIZE + lid;
    let per_slice = u.out_rows * u.out_cols;
    if (index >= u.slices * per_slice) { return; }
    let slice = index / per_slice;
    let k = kernel_of(slice);
    let r = (index % per_slice) / u.out_cols;
    let c = index % u.out_cols;
    var acc = acc_new();
    var centre = real(0.0);
    if (u.axis == 1u) {
        let start = i32(c) + k.first_offset;
        let row = slice * u.src_rows + r;
        if (k.centre != NO_CENTRE) {
            centre = finite_or_zero(fetch_along_row(row, start + i32(k.centre)));
        }
        for (var t = 0u; t < k.taps; t++) {
            let x = real_sub(fetch_along_row(row, start + i32(t)), centre);
            acc_add(&acc, real_mul(weights[k.start + t], x));
        }
    } else {
        let start = i32(r) + k.first_offset;
        let base = slice * u.src_rows * u.src_cols;
        if (k.centre != NO_CENTRE) {
            centre = finite_or_zero(fetch_along_col(base, c, start + i32(k.centre)));
        }
        for (var t = 0u; t < k.taps; t++) {
            let x = real_sub(fetch_along_col(base, c, start + i32(t)), centre);
            acc_add(&acc, real_mul(weights[k.start + t], x));
        }
    }
    if (k.centre == NO_CENTRE) {
        dst[index] = acc_total(acc);
    } else {
        dst[index] = real_add(acc_total(acc), centre);
    }
}
