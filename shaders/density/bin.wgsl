// bin.wgsl: numpy.histogram2d counts on the GPU, exact without float64 arithmetic.
//
// Coordinates arrive as they are: the 64 bits of each float64, two u32 words (low first), 16
// bytes a point, x values for the chunk's points then y values. Edges arrive as order keys:
// the bits with the sign bit flipped for positive values and all bits flipped for negative
// ones (and -0 taken as +0), so that comparing keys as unsigned (high, low) pairs orders them
// exactly as the float64 values. The bin found is NumPy's: the largest k with
// edge[k] <= v, a point on the last edge in the last bin, anything else outside the range
// left out. Only integer operations compare, so every adapter (GL without float64 included)
// bins every float64 exactly (infinities too, on infinite edges). A point left out with a
// NaN or infinite coordinate is counted apart (report[1]).
//
// Bindings (group 0):
//   0  uniform      BinUniform (kept in sync with `BinUniform` in src/density/gpu.rs)
//   1  storage, r   points: array<vec2<u32>>, the float64 bits (low, high) of the chunk's
//                   `points` x values, then of its y values
//   2  storage, r   edges:  array<vec2<u32>>, order keys (high, low) of the nx + 1 x edges
//                   then the ny + 1 y edges
//   3  storage, rw  counts: array<atomic<u32>>, nx * ny, H[i, j] at i * ny + j
//   4  storage, rw  report: array<atomic<u32>>, [0] = finite points outside the range,
//                   [1] = points left out with a NaN or infinite coordinate
//   5  storage, r   weights: array<vec2<u32>>, bin_weighted only: each weight as a 64-bit
//                   fixed-point integer (two's complement, low word first), scaled by the host
//   6  storage, rw  sums: array<atomic<u32>>, bin_weighted only: 2 per cell, the low and high
//                   words of a 64-bit fixed-point sum
//
// Entry points (256 threads; linear workgroup index over x, y, z, groups past `groups` return):
//   bin_global   atomics straight into `counts`
//   bin_shared   a private grid in workgroup memory (nx * ny <= SHARED_CELLS), merged once per
//                workgroup, so heavily clustered points do not serialise on a few global cells
//   bin_weighted counts, and weights summed exactly in 64-bit fixed point through two 32-bit
//                atomics with carry (deterministic: integer sums do not depend on order)

struct BinUniform {
    nx: u32,
    ny: u32,
    points: u32,
    groups: u32,
    x_first: f32,
    x_scale: f32,
    y_first: f32,
    y_scale: f32,
}

const WG_SIZE: u32 = 256u;
// Points each thread bins (so a workgroup covers WG_SIZE * POINTS_PER_THREAD points).
const POINTS_PER_THREAD: u32 = 16u;
const SHARED_CELLS: u32 = 4096u;

@group(0) @binding(0) var<uniform> u: BinUniform;
@group(0) @binding(1) var<storage, read> points: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> edges: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> report: array<atomic<u32>>;

var<workgroup> private_grid: array<atomic<u32>, SHARED_CELLS>;
var<workgroup> private_outside: atomic<u32>;
var<workgroup> private_skipped: atomic<u32>;

// A cell index for points outside the range, and one for NaN or infinite coordinates.
const OUTSIDE: i32 = -1;
const NOT_FINITE: i32 = -2;

// a < b for two order keys (high, low).
fn less(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

fn edge(i: u32) -> vec2<u32> {
    return edges[i];
}

// Whether float64 bits (low, high) are NaN or infinite (all exponent bits set).
fn not_finite(bits: vec2<u32>) -> bool {
    return (bits.y & 0x7ff00000u) == 0x7ff00000u;
}

// The order key (high, low) of float64 bits (low, high): positive values with the sign bit
// set, negative ones with every bit flipped; -0 is +0. Kept in sync with `order_key` in
// src/density/gpu.rs.
fn order_key(bits: vec2<u32>) -> vec2<u32> {
    if (bits.x == 0u && bits.y == 0x80000000u) {
        return vec2<u32>(0x80000000u, 0u);
    }
    if ((bits.y & 0x80000000u) != 0u) {
        return vec2<u32>(~bits.y, ~bits.x);
    }
    return vec2<u32>(bits.y | 0x80000000u, bits.x);
}

// float64 bits (low, high) rounded towards zero to a nearby float32, for the first guess of
// the bin only (magnitudes past float32's range saturate, tiny ones are 0).
fn approx_f32(bits: vec2<u32>) -> f32 {
    let sign = bits.y & 0x80000000u;
    let e = i32((bits.y >> 20u) & 0x7ffu) - 1023 + 127;
    if (e <= 0) { return 0.0; }
    if (e >= 255) { return bitcast<f32>(sign | 0x7f7fffffu); }
    let mantissa = ((bits.y & 0xfffffu) << 3u) | (bits.x >> 29u);
    return bitcast<f32>(sign | (u32(e) << 23u) | mantissa);
}

// NumPy's bin of the value of key v (approximately `guess`) among the n + 1 edges starting
// at edges[base]; OUTSIDE when outside them.
fn find_bin(v: vec2<u32>, guess: f32, base: u32, n: u32, first: f32, scale: f32) -> i32 {
    if (less(v, edge(base))) { return OUTSIDE; }
    let last = edge(base + n);
    if (!less(v, last)) {
        if (all(v == last)) { return i32(n) - 1; }
        return OUTSIDE;
    }
    // Guess from the bin width; when the guess is off, a binary search of the edges on its
    // side (never a walk: edges of infinite span, whose scale is 0, guess bin 0).
    let k = u32(clamp(i32((guess - first) * scale), 0, i32(n) - 1));
    var lo = 0u;
    var hi = 0u;
    if (less(v, edge(base + k))) {
        // The answer is below k (edge 0 <= v).
        hi = k - 1u;
    } else if (!less(v, edge(base + k + 1u))) {
        // The answer is above k (v < edge n).
        lo = k + 1u;
        hi = n - 1u;
    } else {
        return i32(k);
    }
    // The largest j in [lo, hi] with edge j <= v.
    while (lo < hi) {
        let mid = (lo + hi + 1u) / 2u;
        if (less(v, edge(base + mid))) {
            hi = mid - 1u;
        } else {
            lo = mid;
        }
    }
    return i32(lo);
}

// The cell of point p. A point left out is NOT_FINITE when a coordinate is NaN or infinite,
// else OUTSIDE (the CPU's `place`); an infinity on infinite edges is binned, as NumPy bins it
// (a NaN's key lies past every edge, so it is never binned).
fn cell_of(p: u32) -> i32 {
    let x = points[p];
    let y = points[u.points + p];
    let i = find_bin(order_key(x), approx_f32(x), 0u, u.nx, u.x_first, u.x_scale);
    let j = find_bin(order_key(y), approx_f32(y), u.nx + 1u, u.ny, u.y_first, u.y_scale);
    if (i >= 0 && j >= 0) { return i * i32(u.ny) + j; }
    if (not_finite(x) || not_finite(y)) { return NOT_FINITE; }
    return OUTSIDE;
}

@compute @workgroup_size(256)
fn bin_global(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    var outside = 0u;
    var skipped = 0u;
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c == OUTSIDE) {
                outside += 1u;
            } else if (c == NOT_FINITE) {
                skipped += 1u;
            } else {
                atomicAdd(&counts[u32(c)], 1u);
            }
        }
    }
    if (outside > 0u) {
        atomicAdd(&report[0], outside);
    }
    if (skipped > 0u) {
        atomicAdd(&report[1], skipped);
    }
}

@compute @workgroup_size(256)
fn bin_shared(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    let cells = u.nx * u.ny;
    for (var c = lid; c < cells; c += WG_SIZE) {
        atomicStore(&private_grid[c], 0u);
    }
    if (lid == 0u) {
        atomicStore(&private_outside, 0u);
        atomicStore(&private_skipped, 0u);
    }
    workgroupBarrier();
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c == OUTSIDE) {
                atomicAdd(&private_outside, 1u);
            } else if (c == NOT_FINITE) {
                atomicAdd(&private_skipped, 1u);
            } else {
                atomicAdd(&private_grid[u32(c)], 1u);
            }
        }
    }
    workgroupBarrier();
    for (var c = lid; c < cells; c += WG_SIZE) {
        let v = atomicLoad(&private_grid[c]);
        if (v > 0u) {
            atomicAdd(&counts[c], v);
        }
    }
    if (lid == 0u) {
        let outside = atomicLoad(&private_outside);
        if (outside > 0u) {
            atomicAdd(&report[0], outside);
        }
        let skipped = atomicLoad(&private_skipped);
        if (skipped > 0u) {
            atomicAdd(&report[1], skipped);
        }
    }
}

@group(0) @binding(5) var<storage, read> weights: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> sums: array<atomic<u32>>;

// sums[cell] += w as 64-bit integers: the low word's atomic add returns the old value, from
// which the carry into the high word follows.
fn add_fixed(cell: u32, w: vec2<u32>) {
    let old = atomicAdd(&sums[2u * cell], w.x);
    let carry = select(0u, 1u, old + w.x < old);
    atomicAdd(&sums[2u * cell + 1u], w.y + carry);
}

@compute @workgroup_size(256)
fn bin_weighted(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.groups) { return; }
    var outside = 0u;
    var skipped = 0u;
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c == OUTSIDE) {
                outside += 1u;
            } else if (c == NOT_FINITE) {
                skipped += 1u;
            } else {
                atomicAdd(&counts[u32(c)], 1u);
                add_fixed(u32(c), weights[p]);
            }
        }
    }
    if (outside > 0u) {
        atomicAdd(&report[0], outside);
    }
    if (skipped > 0u) {
        atomicAdd(&report[1], skipped);
    }
}
