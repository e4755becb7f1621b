// The steps around the complex FFT that make real transforms and 2-D transforms:
// - r2c_post: an n-point real signal read as n/2 complex points z[m] = x[2m] + i x[2m+1] has
//   the FFT Z; its spectrum is X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[N-k]) / 2 (the
//   even samples' FFT), O = (Z[k] - conj Z[N-k]) / 2i (the odd samples') and W = exp(-2 pi i/n),
//   for k = 0..N (N = n/2): half the work of a complex transform of n points.
// - c2r_pre: the inverse, E = (X[k] + conj X[N-k]) / 2, O = (X[k] - conj X[N-k]) / (2 W^k),
//   Z = E + i O; the inverse N-point FFT of Z (scaled 1/N) is x interleaved.
// - transpose: rows x cols complex to cols x rows through a padded 16 x 16 tile, so that the
//   column transforms of a 2-D FFT run as rows.
// Values are `Complex` in the precision put in front of this file (shaders/precision/).

struct PackUniform {
    half: u32,       // N: complex points per row of the packed signal
    rows: u32,
    tw_stride: u32,  // table entries per 1/n turn (n = 2N)
    cols: u32,       // transpose only: columns of the source
    one: f32,        // 1.0, opaque to the compiler (double-float)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> u: PackUniform;
@group(0) @binding(1) var<storage, read> src: array<Complex>;
@group(0) @binding(2) var<storage, read_write> dst: array<Complex>;
@group(0) @binding(3) var<storage, read> table: array<Complex>;

fn opaque_one() -> f32 {
    return u.one;
}

// z / 2: exact in every precision.
fn half_of(z: Complex) -> Complex {
    return c_scale(z, real(0.5));
}

fn linear_index(wg: vec3<u32>, groups: vec3<u32>, li: u32) -> u32 {
    return group_index(wg, groups) * 64u + li;
}

@compute @workgroup_size(64)
fn r2c_post(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    let bins = u.half + 1u;
    if (t >= bins * u.rows) { return; }
    let row = t / bins;
    let k = t % bins;
    let z = src[row * u.half + k % u.half];
    let zm = c_conj(src[row * u.half + (u.half - k) % u.half]);
    let even = half_of(c_add(z, zm));
    let d = half_of(c_sub(z, zm));
    let odd = complex(c_im(d), real_neg(c_re(d))); // d / i
    let w = c_conj(table[k * u.tw_stride]); // exp(-2 pi i k / n)
    dst[t] = c_add(even, c_mul(w, odd));
}

// Bin j of a row of half + 1 bins, as a Hermitian spectrum sees it: the imaginary parts of the
// DC and Nyquist bins are dropped, as NumPy's irfft drops them.
fn hermitian_bin(row: u32, j: u32) -> Complex {
    let x = src[row * (u.half + 1u) + j];
    if (j == 0u || j == u.half) { return complex(c_re(x), real(0.0)); }
    return x;
}

@compute @workgroup_size(64)
fn c2r_pre(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    if (t >= u.half * u.rows) { return; }
    let row = t / u.half;
    let k = t % u.half;
    let x = hermitian_bin(row, k);
    let xm = c_conj(hermitian_bin(row, u.half - k));
    let even = half_of(c_add(x, xm));
    let odd = c_mul(half_of(c_sub(x, xm)), table[k * u.tw_stride]); // / W^k = * exp(2 pi i k / n)
    dst[t] = c_add(even, complex(real_neg(c_im(odd)), c_re(odd)));
}

// Real transforms of any length n (not a power of two) as complex transforms of n points; here
// `u.half` holds n and `u.rows` the rows.
// - widen_real: each real sample as a complex value (imaginary part 0).
// - first_bins: of each row's n bins, the n / 2 + 1 that rfft returns.
// - mirror: a row of n / 2 + 1 bins to its full Hermitian spectrum of n (bins past the half
//   are the conjugates of their mirrors; the imaginary parts of the DC and, for even n, the
//   Nyquist bin are dropped, as NumPy's irfft drops them).
// - keep_real: the real parts of the inverse transform.
@group(0) @binding(1) var<storage, read> reals_in: array<Real>;
@group(0) @binding(2) var<storage, read_write> reals_out: array<Real>;

@compute @workgroup_size(64)
fn widen_real(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    if (t >= u.half * u.rows) { return; }
    dst[t] = complex(reals_in[t], real(0.0));
}

@compute @workgroup_size(64)
fn first_bins(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    let bins = u.half / 2u + 1u;
    if (t >= bins * u.rows) { return; }
    dst[t] = src[(t / bins) * u.half + t % bins];
}

@compute @workgroup_size(64)
fn mirror(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    let n = u.half;
    if (t >= n * u.rows) { return; }
    let bins = n / 2u + 1u;
    let row = t / n;
    let j = t % n;
    var x: Complex;
    if (j < bins) {
        x = src[row * bins + j];
        if (j == 0u || 2u * j == n) { x = complex(c_re(x), real(0.0)); }
    } else {
        x = c_conj(src[row * bins + n - j]);
    }
    dst[t] = x;
}

@compute @workgroup_size(64)
fn keep_real(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let t = linear_index(wg, groups, li);
    if (t >= u.half * u.rows) { return; }
    reals_out[t] = c_re(src[t]);
}

const TILE: u32 = 16u;
var<workgroup> tile: array<Complex, 272>; // 16 x 17: the pad keeps columns off one bank

@compute @workgroup_size(16, 16)
fn transpose(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
    let tiles_x = (u.cols + TILE - 1u) / TILE;
    let g = group_index(wg, groups);
    let tiles = tiles_x * ((u.rows + TILE - 1u) / TILE);
    // Whole workgroups leave together, before any barrier.
    if (g >= tiles) { return; }
    let r0 = (g / tiles_x) * TILE;
    let c0 = (g % tiles_x) * TILE;
    let r = r0 + lid.y;
    let c = c0 + lid.x;
    if (r < u.rows && c < u.cols) {
        tile[lid.y * 17u + lid.x] = src[r * u.cols + c];
    }
    workgroupBarrier();
    // Write row c0 + lid.y of the transposed matrix, column r0 + lid.x.
    let tr = c0 + lid.y;
    let tc = r0 + lid.x;
    if (tr < u.cols && tc < u.rows) {
        dst[tr * u.rows + tc] = tile[lid.x * 17u + lid.y];
    }
}
