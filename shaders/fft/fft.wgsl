// Stockham autosort FFT (the formulation of E. Bainville, "OpenCL Fast Fourier Transform"):
// a pass of radix R on sub-transforms of length p reads x[i + r n/R] (r < R), multiplies by
// the twiddle exp(sign 2 pi i r k / (R p)) with k = i mod p, takes an R-point DFT and writes
// y[(i - k) R + k + r p]. Passes with p = 1, R, R^2, ... leave the transform in natural order
// without a bit reversal. Rows of a batch are independent transforms of n points each.
//
// Twiddles come from a table of exp(2 pi i m / T) precomputed in float64 on the host and stored
// as float32; entry m * tw_stride of that table is the angle 2 pi m / n of this transform (the
// real transforms run an n/2-point complex FFT on the n-point table, stride 2).

struct FftUniform {
    n: u32,          // points per row
    p: u32,          // sub-transform length before this pass
    rows: u32,       // rows in the batch
    tw_stride: u32,  // table entries per 1/n turn
    sign: f32,       // -1 forward, +1 inverse
    scale: f32,      // applied to this pass's outputs (1/n on the last inverse pass)
    radix: u32,      // pass_radix_any only: this pass's radix (at most MAX_RADIX)
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> u: FftUniform;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> table: array<vec2<f32>>;

const GLOBAL_WG: u32 = 64u;
const LOCAL_WG: u32 = 256u;
// Largest transform held in workgroup memory: 2048 complex float32 = 16 KiB, WebGPU's
// guaranteed minimum of workgroup storage. Kept equal to LOCAL_MAX in src/fft/gpu.rs.
const LOCAL_MAX: u32 = 2048u;
// Values one thread keeps between the read and the write of a local pass:
// LOCAL_MAX / LOCAL_WG.
const STAGED: u32 = 8u;
const SQRT_HALF: f32 = 0.70710678118654752;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// exp(sign 2 pi i m / n) for m < n.
fn twiddle(m: u32) -> vec2<f32> {
    let w = table[m * u.tw_stride];
    return vec2<f32>(w.x, u.sign * w.y);
}

// Multiplication by sign * i.
fn times_i(a: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(-u.sign * a.y, u.sign * a.x);
}

struct Four { v0: vec2<f32>, v1: vec2<f32>, v2: vec2<f32>, v3: vec2<f32> }

fn dft4(x0: vec2<f32>, x1: vec2<f32>, x2: vec2<f32>, x3: vec2<f32>) -> Four {
    let a0 = x0 + x2;
    let a1 = x0 - x2;
    let b0 = x1 + x3;
    let b1 = times_i(x1 - x3);
    return Four(a0 + b0, a1 + b1, a0 - b0, a1 - b1);
}

// One radix-2 butterfly of a global pass per thread.
@compute @workgroup_size(64)
fn pass_radix2(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * GLOBAL_WG + li;
    let m = u.n / 2u;
    if (t >= m * u.rows) { return; }
    let base = (t / m) * u.n;
    let i = t % m;
    let k = i & (u.p - 1u);
    let x0 = src[base + i];
    let x1 = cmul(src[base + i + m], twiddle(k * (u.n / (2u * u.p))));
    let j = base + (i - k) * 2u + k;
    dst[j] = (x0 + x1) * u.scale;
    dst[j + u.p] = (x0 - x1) * u.scale;
}

// One radix-4 butterfly of a global pass per thread.
@compute @workgroup_size(64)
fn pass_radix4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * GLOBAL_WG + li;
    let m = u.n / 4u;
    if (t >= m * u.rows) { return; }
    let base = (t / m) * u.n;
    let i = t % m;
    let k = i & (u.p - 1u);
    let step = k * (u.n / (4u * u.p));
    let y = dft4(src[base + i],
                 cmul(src[base + i + m], twiddle(step)),
                 cmul(src[base + i + 2u * m], twiddle(2u * step)),
                 cmul(src[base + i + 3u * m], twiddle(3u * step)));
    let j = base + (i - k) * 4u + k;
    dst[j] = y.v0 * u.scale;
    dst[j + u.p] = y.v1 * u.scale;
    dst[j + 2u * u.p] = y.v2 * u.scale;
    dst[j + 3u * u.p] = y.v3 * u.scale;
}

// One radix-8 butterfly of a global pass per thread: two 4-point DFTs (even and odd inputs)
// joined by the eighth roots of unity. Fewer passes over memory than radix 4.
@compute @workgroup_size(64)
fn pass_radix8(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * GLOBAL_WG + li;
    let m = u.n / 8u;
    if (t >= m * u.rows) { return; }
    let base = (t / m) * u.n;
    let i = t % m;
    let k = i & (u.p - 1u);
    let step = k * (u.n / (8u * u.p));
    var x: array<vec2<f32>, 8>;
    x[0] = src[base + i];
    for (var r = 1u; r < 8u; r++) {
        x[r] = cmul(src[base + i + r * m], twiddle(r * step));
    }
    let e = dft4(x[0], x[2], x[4], x[6]);
    let o = dft4(x[1], x[3], x[5], x[7]);
    // exp(sign 2 pi i q / 8) for q = 1, 2, 3.
    let w1 = vec2<f32>(SQRT_HALF, u.sign * SQRT_HALF);
    let w3 = vec2<f32>(-SQRT_HALF, u.sign * SQRT_HALF);
    let o1 = cmul(o.v1, w1);
    let o2 = times_i(o.v2);
    let o3 = cmul(o.v3, w3);
    let j = base + (i - k) * 8u + k;
    dst[j] = (e.v0 + o.v0) * u.scale;
    dst[j + u.p] = (e.v1 + o1) * u.scale;
    dst[j + 2u * u.p] = (e.v2 + o2) * u.scale;
    dst[j + 3u * u.p] = (e.v3 + o3) * u.scale;
    dst[j + 4u * u.p] = (e.v0 - o.v0) * u.scale;
    dst[j + 5u * u.p] = (e.v1 - o1) * u.scale;
    dst[j + 6u * u.p] = (e.v2 - o2) * u.scale;
    dst[j + 7u * u.p] = (e.v3 - o3) * u.scale;
}

// Largest radix of pass_radix_any (the odd primes of the mixed-radix plans: 3, 5, 7, 11, 13).
const MAX_RADIX: u32 = 13u;

// One butterfly of any radix R <= MAX_RADIX per thread (the same Stockham pass as above, with
// k = i mod p, so p need not be a power of two): the R inputs are twiddled, then an R-point
// DFT by its definition (R^2 products; R is small) with the roots exp(sign 2 pi i q / R) read
// from the table.
@compute @workgroup_size(64)
fn pass_radix_any(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * GLOBAL_WG + li;
    let radix = u.radix;
    let m = u.n / radix;
    if (t >= m * u.rows) { return; }
    let base = (t / m) * u.n;
    let i = t % m;
    let k = i % u.p;
    let step = k * (u.n / (radix * u.p));
    var x: array<vec2<f32>, MAX_RADIX>;
    x[0] = src[base + i];
    for (var s = 1u; s < radix; s++) {
        x[s] = cmul(src[base + i + s * m], twiddle(s * step));
    }
    let root = u.n / radix;
    let j = base + (i - k) * radix + k;
    for (var r = 0u; r < radix; r++) {
        var acc = x[0];
        for (var s = 1u; s < radix; s++) {
            acc += cmul(x[s], twiddle(((r * s) % radix) * root));
        }
        dst[j + r * u.p] = acc * u.scale;
    }
}

var<workgroup> row_data: array<vec2<f32>, LOCAL_MAX>;

// A whole transform of n <= LOCAL_MAX points per workgroup (one row each): every pass in
// workgroup memory, one read and one write of global memory. Radix-4 passes, one radix-2 pass
// when log2 n is odd. Each thread stages its outputs in registers between the barrier that
// ends the reads and the writes, so one buffer suffices.
@compute @workgroup_size(256)
fn fft_local(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) li: u32) {
    let row = group_index(wg, groups);
    if (row >= u.rows) { return; }
    let n = u.n;
    let base = row * n;
    for (var e = li; e < n; e += LOCAL_WG) {
        row_data[e] = src[base + e];
    }
    workgroupBarrier();
    var p = 1u;
    loop {
        if (p >= n) { break; }
        var radix = 2u;
        if ((n / p) % 4u == 0u) { radix = 4u; }
        let m = n / radix;
        let step = n / (radix * p);
        var staged: array<vec2<f32>, STAGED>;
        var c = 0u;
        for (var i = li; i < m; i += LOCAL_WG) {
            let k = i & (p - 1u);
            if (radix == 4u) {
                let y = dft4(row_data[i],
                             cmul(row_data[i + m], twiddle(k * step)),
                             cmul(row_data[i + 2u * m], twiddle(2u * k * step)),
                             cmul(row_data[i + 3u * m], twiddle(3u * k * step)));
                staged[c] = y.v0;
                staged[c + 1u] = y.v1;
                staged[c + 2u] = y.v2;
                staged[c + 3u] = y.v3;
            } else {
                let x0 = row_data[i];
                let x1 = cmul(row_data[i + m], twiddle(k * step));
                staged[c] = x0 + x1;
                staged[c + 1u] = x0 - x1;
            }
            c += radix;
        }
        workgroupBarrier();
        c = 0u;
        for (var i = li; i < m; i += LOCAL_WG) {
            let k = i & (p - 1u);
            let j = (i - k) * radix + k;
            for (var r = 0u; r < radix; r++) {
                row_data[j + r * p] = staged[c + r];
            }
            c += radix;
        }
        workgroupBarrier();
        p *= radix;
    }
    for (var e = li; e < n; e += LOCAL_WG) {
        dst[base + e] = row_data[e] * u.scale;
    }
}
