// The steps around the complex FFT that make real transforms and 2-D transforms:
// - r2c_post: an n-point real signal read as n/2 complex points z[m] = x[2m] + i x[2m+1] has
//   the FFT Z; its spectrum is X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[N-k]) / 2 (the
//   even samples' FFT), O = (Z[k] - conj Z[N-k]) / 2i (the odd samples') and W = exp(-2 pi i/n),
//   for k = 0..N (N = n/2): half the work of a complex transform of n points.
// - c2r_pre: the inverse, E = (X[k] + conj X[N-k]) / 2, O = (X[k] - conj X[N-k]) / (2 W^k),
//   Z = E + i O; the inverse N-point FFT of Z (scaled 1/N) is x interleaved.
// - transpose: rows x cols complex to cols x rows through a padded 16 x 16 tile, so that the
//   column transforms of a 2-D FFT run as rows.

struct PackUniform {
    half: u32,       // N: complex points per row of the packed signal
    rows: u32,
    tw_stride: u32,  // table entries per 1/n turn (n = 2N)
    cols: u32,       // transpose only: columns of the source
}

@group(0) @binding(0) var<uniform> u: PackUniform;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> table: array<vec2<f32>>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x, -a.y);
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
    let zm = conj(src[row * u.half + (u.half - k) % u.half]);
    let even = 0.5 * (z + zm);
    let d = 0.5 * (z - zm);
    let odd = vec2<f32>(d.y, -d.x); // d / i
    let w = conj(table[k * u.tw_stride]); // exp(-2 pi i k / n)
    dst[t] = even + cmul(w, odd);
}

// Bin j of a row of half + 1 bins, as a Hermitian spectrum sees it: the imaginary parts of the
// DC and Nyquist bins are dropped, as NumPy's irfft drops them.
fn hermitian_bin(row: u32, j: u32) -> vec2<f32> {
    let x = src[row * (u.half + 1u) + j];
    if (j == 0u || j == u.half) { return vec2<f32>(x.x, 0.0); }
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
    let xm = conj(hermitian_bin(row, u.half - k));
    let even = 0.5 * (x + xm);
    let odd = cmul(0.5 * (x - xm), table[k * u.tw_stride]); // / W^k = * exp(2 pi i k / n)
    dst[t] = even + vec2<f32>(-odd.y, odd.x);
}

const TILE: u32 = 16u;
var<workgroup> tile: array<vec2<f32>, 272>; // 16 x 17: the pad keeps columns off one bank

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
