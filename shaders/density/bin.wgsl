// bin.wgsl: numpy.histogram2d counts on the GPU, exact without float64.
//
// Every coordinate and every edge arrives split into three float32 parts, v = h + m + l
// (h = f32(v), m = f32(v - h), l = v - h - m, all exact for the magnitudes the host lets
// through). Comparing two such triples lexicographically orders them exactly as the float64
// values, so the bin found here is NumPy's: the largest k with edge[k] <= v, a point on the
// last edge in the last bin, anything else outside the range left out.
//
// Bindings (group 0):
//   0  uniform      BinUniform (kept in sync with `BinUniform` in src/density/gpu.rs)
//   1  storage, r   points: array<f32>, 6 per point: xh, xm, xl, yh, ym, yl
//   2  storage, r   edges:  array<vec4<f32>>, the nx + 1 x edges then the ny + 1 y edges (h, m, l, 0)
//   3  storage, rw  counts: array<atomic<u32>>, nx * ny, H[i, j] at i * ny + j
//   4  storage, rw  report: array<atomic<u32>>, [0] = points outside the range
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
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> edges: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> report: array<atomic<u32>>;

var<workgroup> private_grid: array<atomic<u32>, SHARED_CELLS>;
var<workgroup> private_outside: atomic<u32>;

// a < b for two (h, m, l) triples.
fn less(a: vec3<f32>, b: vec3<f32>) -> bool {
    if (a.x != b.x) { return a.x < b.x; }
    if (a.y != b.y) { return a.y < b.y; }
    return a.z < b.z;
}

fn edge(i: u32) -> vec3<f32> {
    return edges[i].xyz;
}

// NumPy's bin of v among the n + 1 edges starting at edges[base]; -1 outside.
fn find_bin(v: vec3<f32>, base: u32, n: u32, first: f32, scale: f32) -> i32 {
    if (less(v, edge(base))) { return -1; }
    let last = edge(base + n);
    if (!less(v, last)) {
        if (all(v == last)) { return i32(n) - 1; }
        return -1;
    }
    // Guess from the bin width, then exact steps (the guess is off by a bin at most, except
    // for ranges narrower than float32 can resolve, where the steps walk further).
    var k = u32(clamp(i32((v.x - first) * scale), 0, i32(n) - 1));
    if (less(v, edge(base + k))) {
        loop {
            k -= 1u;
            if (!less(v, edge(base + k))) { break; }
        }
    } else {
        loop {
            if (less(v, edge(base + k + 1u))) { break; }
            k += 1u;
        }
    }
    return i32(k);
}

// The cell of point p, or -1 outside the range.
fn cell_of(p: u32) -> i32 {
    let o = p * 6u;
    let x = vec3<f32>(points[o], points[o + 1u], points[o + 2u]);
    let y = vec3<f32>(points[o + 3u], points[o + 4u], points[o + 5u]);
    let i = find_bin(x, 0u, u.nx, u.x_first, u.x_scale);
    if (i < 0) { return -1; }
    let j = find_bin(y, u.nx + 1u, u.ny, u.y_first, u.y_scale);
    if (j < 0) { return -1; }
    return i * i32(u.ny) + j;
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
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c < 0) {
                outside += 1u;
            } else {
                atomicAdd(&counts[u32(c)], 1u);
            }
        }
    }
    if (outside > 0u) {
        atomicAdd(&report[0], outside);
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
    }
    workgroupBarrier();
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c < 0) {
                atomicAdd(&private_outside, 1u);
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
    let start = g * WG_SIZE * POINTS_PER_THREAD + lid;
    for (var k = 0u; k < POINTS_PER_THREAD; k++) {
        let p = start + k * WG_SIZE;
        if (p < u.points) {
            let c = cell_of(p);
            if (c < 0) {
                outside += 1u;
            } else {
                atomicAdd(&counts[u32(c)], 1u);
                add_fixed(u32(c), weights[p]);
            }
        }
    }
    if (outside > 0u) {
        atomicAdd(&report[0], outside);
    }
}
