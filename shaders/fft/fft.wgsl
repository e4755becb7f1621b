// Stockham autosort FFT (the formulation of E. Bainville, "OpenCL Fast Fourier Transform"):
// a pass of radix R on sub-transforms of length p reads x[i + r n/R] (r < R), multiplies by
// the twiddle exp(sign 2 pi i r k / (R p)) with k = i mod p, takes an R-point DFT and writes
// y[(i - k) R + k + r p]. Passes with p = 1, R, R^2, ... leave the transform in natural order
// without a bit reversal. Rows of a batch are independent transforms of n points each.
//
// Values are `Complex` in the precision put in front of this file (shaders/precision/: float32,
// float64 or double-float). Twiddles come from a table of exp(2 pi i m / T) precomputed in
// float64 on the host and stored in that precision; entry m * tw_stride of that table is the
// angle 2 pi m / n of this transform (the real transforms run an n/2-point complex FFT on the
// n-point table, stride 2).

struct FftUniform {
    n: u32,          // points per row
    p: u32,          // sub-transform length before this pass
    rows: u32,       // rows in the batch
    tw_stride: u32,  // table entries per 1/n turn
    sign: f32,       // -1 forward, +1 inverse
    scale: f32,      // applied to this pass's outputs (1/n on the last inverse pass), as
    radix: u32,      // pass_radix_any only: this pass's radix (at most MAX_RADIX)
    scale_lo: f32,   // scale + scale_lo + scale_lo2 (float64 parts: see real_parts)
    scale_lo2: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> u: FftUniform;
@group(0) @binding(1) var<storage, read> src: array<Complex>;
@group(0) @binding(2) var<storage, read_write> dst: array<Complex>;
@group(0) @binding(3) var<storage, read> table: array<Complex>;

const GLOBAL_WG: u32 = 64u;
const LOCAL_WG: u32 = 256u;
// Largest transform held in workgroup memory: 16 KiB, WebGPU's guaranteed minimum of workgroup
// storage (2048 complex float32, 1024 in float64 or double-float). Kept equal to `local_max`
// in src/fft/gpu.rs.
const LOCAL_MAX: u32 = 2048u / REAL_WORDS;
// Values one thread keeps between the read and the write of a local pass.
const STAGED: u32 = LOCAL_MAX / LOCAL_WG;

// |sign| = 1.0, which the compiler cannot know (double-float's error-free transformations).
fn opaque_one() -> f32 {
    return abs(u.sign);
}

fn scale() -> Real {
    return real_parts(u.scale, u.scale_lo, u.scale_lo2);
}

// exp(sign 2 pi i m / n) for m < n.
fn twiddle(m: u32) -> Complex {
    let w = table[m * u.tw_stride];
    if (u.sign > 0.0) { return w; }
    return c_conj(w);
}

// Multiplication by sign * i.
fn times_i(a: Complex) -> Complex {
    if (u.sign > 0.0) { return complex(real_neg(c_im(a)), c_re(a)); }
    return complex(c_im(a), real_neg(c_re(a)));
}

struct Four { v0: Complex, v1: Complex, v2: Complex, v3: Complex }

fn dft4(x0: Complex, x1: Complex, x2: Complex, x3: Complex) -> Four {
    let a0 = c_add(x0, x2);
    let a1 = c_sub(x0, x2);
    let b0 = c_add(x1, x3);
    let b1 = times_i(c_sub(x1, x3));
    return Four(c_add(a0, b0), c_add(a1, b1), c_sub(a0, b0), c_sub(a1, b1));
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
    let x1 = c_mul(src[base + i + m], twiddle(k * (u.n / (2u * u.p))));
    let j = base + (i - k) * 2u + k;
    let s = scale();
    dst[j] = c_scale(c_add(x0, x1), s);
    dst[j + u.p] = c_scale(c_sub(x0, x1), s);
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
                 c_mul(src[base + i + m], twiddle(step)),
                 c_mul(src[base + i + 2u * m], twiddle(2u * step)),
                 c_mul(src[base + i + 3u * m], twiddle(3u * step)));
    let j = base + (i - k) * 4u + k;
    let s = scale();
    dst[j] = c_scale(y.v0, s);
    dst[j + u.p] = c_scale(y.v1, s);
    dst[j + 2u * u.p] = c_scale(y.v2, s);
    dst[j + 3u * u.p] = c_scale(y.v3, s);
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
    var x: array<Complex, 8>;
    x[0] = src[base + i];
    for (var r = 1u; r < 8u; r++) {
        x[r] = c_mul(src[base + i + r * m], twiddle(r * step));
    }
    let e = dft4(x[0], x[2], x[4], x[6]);
    let o = dft4(x[1], x[3], x[5], x[7]);
    // exp(sign 2 pi i q / 8) for q = 1, 3, from the table (n is a multiple of 8), so that
    // each precision gets sqrt(1/2) rounded as it stores values.
    let w1 = twiddle(m);
    let w3 = twiddle(3u * m);
    let o1 = c_mul(o.v1, w1);
    let o2 = times_i(o.v2);
    let o3 = c_mul(o.v3, w3);
    let j = base + (i - k) * 8u + k;
    let s = scale();
    dst[j] = c_scale(c_add(e.v0, o.v0), s);
    dst[j + u.p] = c_scale(c_add(e.v1, o1), s);
    dst[j + 2u * u.p] = c_scale(c_add(e.v2, o2), s);
    dst[j + 3u * u.p] = c_scale(c_add(e.v3, o3), s);
    dst[j + 4u * u.p] = c_scale(c_sub(e.v0, o.v0), s);
    dst[j + 5u * u.p] = c_scale(c_sub(e.v1, o1), s);
    dst[j + 6u * u.p] = c_scale(c_sub(e.v2, o2), s);
    dst[j + 7u * u.p] = c_scale(c_sub(e.v3, o3), s);
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
    var x: array<Complex, MAX_RADIX>;
    x[0] = src[base + i];
    for (var s = 1u; s < radix; s++) {
        x[s] = c_mul(src[base + i + s * m], twiddle(s * step));
    }
    let root = u.n / radix;
    let j = base + (i - k) * radix + k;
    let sc = scale();
    for (var r = 0u; r < radix; r++) {
        var acc = x[0];
        for (var s = 1u; s < radix; s++) {
            acc = c_add(acc, c_mul(x[s], twiddle(((r * s) % radix) * root)));
        }
        dst[j + r * u.p] = c_scale(acc, sc);
    }
}

var<workgroup> row_data: array<Complex, LOCAL_MAX>;

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
        var staged: array<Complex, STAGED>;
        var c = 0u;
        for (var i = li; i < m; i += LOCAL_WG) {
            let k = i & (p - 1u);
            if (radix == 4u) {
                let y = dft4(row_data[i],
                             c_mul(row_data[i + m], twiddle(k * step)),
                             c_mul(row_data[i + 2u * m], twiddle(2u * k * step)),
                             c_mul(row_data[i + 3u * m], twiddle(3u * k * step)));
                staged[c] = y.v0;
                staged[c + 1u] = y.v1;
                staged[c + 2u] = y.v2;
                staged[c + 3u] = y.v3;
            } else {
                let x0 = row_data[i];
                let x1 = c_mul(row_data[i + m], twiddle(k * step));
                staged[c] = c_add(x0, x1);
                staged[c + 1u] = c_sub(x0, x1);
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
    let s = scale();
    for (var e = li; e < n; e += LOCAL_WG) {
        dst[base + e] = c_scale(row_data[e], s);
    }
}
