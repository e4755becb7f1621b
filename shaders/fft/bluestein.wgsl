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
//   1  storage, r   src:   array<vec2<f32>>
//   2  storage, rw  dst:   array<vec2<f32>>
//   3  storage, r   table: array<vec2<f32>> (the chirp, or the spectrum)

struct BluesteinUniform {
    n: u32,       // transform length
    m: u32,       // padded power-of-two length
    rows: u32,    // rows in the batch
    sign: f32,    // -1 forward, +1 inverse
    scale: f32,   // applied by chirp_post (1/n for an inverse transform)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> u: BluesteinUniform;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> table: array<vec2<f32>>;

const WG: u32 = 64u;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// c_j = exp(sign i pi j^2 / n).
fn chirp(j: u32) -> vec2<f32> {
    let c = table[j];
    return vec2<f32>(c.x, u.sign * c.y);
}

// dst (rows x m) = x_j c_j for j < n, zero up to m.
@compute @workgroup_size(64)
fn chirp_pre(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.rows * u.m) { return; }
    let row = t / u.m;
    let j = t % u.m;
    var v = vec2<f32>(0.0, 0.0);
    if (j < u.n) {
        v = cmul(src[row * u.n + j], chirp(j));
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
    dst[t] = cmul(src[t], table[t % u.m]);
}

// dst (rows x n) = c_k y_k scale for k < n, from the convolution y (rows x m).
@compute @workgroup_size(64)
fn chirp_post(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.rows * u.n) { return; }
    let row = t / u.n;
    let k = t % u.n;
    dst[t] = cmul(src[row * u.m + k], chirp(k)) * u.scale;
}
