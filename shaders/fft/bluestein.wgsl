// bluestein.wgsl: the steps around the power-of-two FFTs of Bluestein's algorithm, which takes
// an FFT of any length n (used for lengths with a prime factor above the mixed-radix passes').
//
//   exp(s 2 pi i j k / n) = c_j c_k conj(c_{k-j}),   c_j = exp(s i pi j^2 / n)
//
// so X_k = c_k sum_j (x_j c_j) conj(c_{k-j}): a convolution, done as power-of-two FFTs of
// length m >= 2n - 1. The host keeps two tables per n (src/fft/gpu.rs): `chirp` holds
// exp(+i pi j^2 / n) for j < n (angles reduced as j^2 mod 2n in integers, then float64), and
// the m-point spectrum of conj(c) for each sign.
//
// Bindings (group 0):
//   0  uniform      BluesteinUniform (kept in sync with `BluesteinUniform` in src/fft/gpu.rs)
//   1  storage, r   src:   array<Complex> (the precision put in front: shaders/precision/)
//   2  storage, rw  dst:   array<Complex>
//   3  storage, r   table: array<Complex> (the chirp, or the spectrum)

struct BluesteinUniform {
    n: u32,       // transform length
    m: u32,       // padded power-of-two length
    rows: u32,    // rows in the batch
    sign: f32,    // -1 forward, +1 inverse
    scale: f32,   // applied by chirp_post (1/n for an inverse transform), as
    scale_lo: f32,  // scale + scale_lo + scale_lo2 (float64 parts: see real_parts)
    scale_lo2: f32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> u: BluesteinUniform;
@group(0) @binding(1) var<storage, read> src: array<Complex>;
@group(0) @binding(2) var<storage, read_write> dst: array<Complex>;
@group(0) @binding(3) var<storage, read> table: array<Complex>;

const WG: u32 = 64u;

// |sign| = 1.0, which the compiler cannot know (double-float's error-free transformations).
fn opaque_one() -> f32 {
    return abs(u.sign);
}

// c_j = exp(sign i pi j^2 / n).
fn chirp(j: u32) -> Complex {
    let c = table[j];
    if (u.sign > 0.0) { return c; }
    return c_conj(c);
}

// dst (rows x m) = x_j c_j for j < n, zero up to m.
@compute @workgroup_size(64)
fn chirp_pre(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.rows * u.m) { return; }
    let row = t / u.m;
    let j = t % u.m;
    var v = complex(real(0.0), real(0.0));
    if (j < u.n) {
        v = c_mul(src[row * u.n + j], chirp(j));
    }
    dst[t] = v;
}

// dst (rows x m) = src times the chirp's spectrum (one m-point table for every row).
@compute @workgroup_size(64)
fn spectrum_multiply(@builtin(workgroup_id) wg: vec3<u32>,
                     @builtin(num_workgroups) groups: vec3<u32>,
                     @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.rows * u.m) { return; }
    dst[t] = c_mul(src[t], table[t % u.m]);
}

// dst (rows x n) = c_k y_k scale for k < n, from the convolution y (rows x m).
@compute @workgroup_size(64)
fn chirp_post(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.rows * u.n) { return; }
    let row = t / u.n;
    let k = t % u.n;
    dst[t] = c_scale(c_mul(src[row * u.m + k], chirp(k)),
                     real_parts(u.scale, u.scale_lo, u.scale_lo2));
}
