// 1-D convolution on the GPU, in the precision put in front of this file (shaders/precision/:
// float32, float64 or double-float `Real`): the direct sum tiled through workgroup memory, and the
// steps of FFT convolution by overlap-add around the FFT (shaders/fft/): the signal cut into
// zero-padded blocks (rows), their spectra multiplied by the kernel's, and the inverse
// transforms' overlapping tails added. Outputs are the full convolution's indices
// [first, first + count) of the signal slice in `signal`; the host slices windows and chunks.
// Also the argmax reduction of a result (lag finding).

struct ConvUniform {
    n: u32,      // samples in the signal slice
    k: u32,      // kernel taps
    first: u32,  // first output (full-convolution index of the slice)
    count: u32,  // outputs
    block: u32,  // overlap-add: signal samples per block (S)
    size: u32,   // overlap-add: transform length per block (L >= S + k - 1)
    rows: u32,   // overlap-add: blocks
    one: f32,    // 1.0, opaque to the compiler (double-float)
}

@group(0) @binding(0) var<uniform> u: ConvUniform;

// 1.0 from the entry point's uniform (`u` or `u2`, both at binding 0, so each entry point
// that does arithmetic copies its own first), which the compiler cannot know.
var<private> one_value: f32;

fn opaque_one() -> f32 {
    return one_value;
}

const TILE: u32 = 256u;

// --- direct: out[t - first] = sum_j a[t - j] v[j] ------------------------------------------

@group(0) @binding(1) var<storage, read> signal: array<Real>;
@group(0) @binding(2) var<storage, read> kernel: array<Real>;
@group(0) @binding(3) var<storage, read_write> out: array<Real>;

var<workgroup> taps: array<Real, TILE>;
var<workgroup> window: array<Real, 512>; // 2 TILE - 1 samples used

// One output per thread, TILE outputs per workgroup. The kernel is walked in chunks of TILE
// taps; each chunk loads those taps and the 2 TILE - 1 samples the workgroup's outputs need
// into workgroup memory once, instead of every thread reading them from global memory.
@compute @workgroup_size(256)
fn direct(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let g = group_index(wg, groups);
    if (g * TILE >= u.count) { return; }
    one_value = u.one;
    let t0 = u.first + g * TILE;
    var acc = real(0.0);
    for (var j0 = 0u; j0 < u.k; j0 += TILE) {
        var tap = real(0.0);
        if (j0 + li < u.k) { tap = kernel[j0 + li]; }
        taps[li] = tap;
        // window[m] = a[t0 - j0 - (TILE - 1) + m], zero outside the slice.
        for (var m = li; m < 2u * TILE - 1u; m += TILE) {
            let idx = i32(t0) - i32(j0) - i32(TILE - 1u) + i32(m);
            var v = real(0.0);
            if (idx >= 0 && idx < i32(u.n)) { v = signal[idx]; }
            window[m] = v;
        }
        workgroupBarrier();
        let here = min(TILE, u.k - j0);
        for (var jj = 0u; jj < here; jj++) {
            acc = real_fma(window[li + TILE - 1u - jj], taps[jj], acc);
        }
        workgroupBarrier();
    }
    if (g * TILE + li < u.count) {
        out[g * TILE + li] = acc;
    }
}

// --- overlap-add ---------------------------------------------------------------------------

@group(0) @binding(2) var<storage, read_write> blocks: array<Real>;

// blocks[r * L + e] = a[r S + e] for e < S (within the slice), else 0.
@compute @workgroup_size(64)
fn split_blocks(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * 64u + li;
    if (t >= u.rows * u.size) { return; }
    let r = t / u.size;
    let e = t % u.size;
    let idx = r * u.block + e;
    var v = real(0.0);
    if (e < u.block && idx < u.n) { v = signal[idx]; }
    blocks[t] = v;
}

// blocks[i] = signal[n - 1 - i]: `correlate`'s second input reversed on the device, so a
// correlation of device arrays is a convolution with no trip through the host.
@compute @workgroup_size(64)
fn reverse(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * 64u + li;
    if (t >= u.n) { return; }
    blocks[t] = signal[u.n - 1u - t];
}

@group(0) @binding(1) var<storage, read> kernel_spectrum: array<Complex>;
@group(0) @binding(2) var<storage, read_write> spectra: array<Complex>;

// Each block's spectrum (rows of L/2 + 1 bins) times the kernel's.
@compute @workgroup_size(64)
fn multiply(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * 64u + li;
    let bins = u.size / 2u + 1u;
    if (t >= u.rows * bins) { return; }
    one_value = u.one;
    spectra[t] = c_mul(spectra[t], kernel_spectrum[t % bins]);
}

@group(0) @binding(1) var<storage, read> block_results: array<Real>;
@group(0) @binding(2) var<storage, read_write> summed: array<Real>;

// summed[t - first] = the sum of the blocks' convolutions at t: block r covers
// [r S, r S + S + k - 1), and S >= k, so at most blocks t / S and t / S - 1 do.
@compute @workgroup_size(64)
fn overlap_add(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * 64u + li;
    if (o >= u.count) { return; }
    one_value = u.one;
    let t = u.first + o;
    let hi = min(t / u.block, u.rows - 1u);
    var v = real(0.0);
    let e = t - hi * u.block;
    if (e < u.size) { v = real_add(v, block_results[hi * u.size + e]); }
    if (hi > 0u) {
        let e2 = t - (hi - 1u) * u.block;
        if (e2 < u.size) { v = real_add(v, block_results[(hi - 1u) * u.size + e2]); }
    }
    summed[o] = v;
}

// --- argmax --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> values: array<Real>;
@group(0) @binding(2) var<storage, read_write> best: array<u32>;

var<workgroup> best_value: array<Real, TILE>;
var<workgroup> best_index: array<u32, TILE>;

const NO_INDEX: u32 = 0xffffffffu;

// Per workgroup of TILE values: the largest and its index, the first on ties (NumPy's
// argmax); the index to best[g], the value to out[g]. The host picks among the workgroups.
@compute @workgroup_size(256)
fn argmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let g = group_index(wg, groups);
    if (g * TILE >= u.count) { return; }
    let t = g * TILE + li;
    var v = real(0.0);
    var i = NO_INDEX;
    if (t < u.count) {
        v = values[t];
        i = t;
    }
    best_value[li] = v;
    best_index[li] = i;
    workgroupBarrier();
    for (var s = TILE / 2u; s > 0u; s /= 2u) {
        if (li < s) {
            let ov = best_value[li + s];
            let oi = best_index[li + s];
            let mine = best_value[li];
            let mi = best_index[li];
            // An empty slot (NO_INDEX) never wins and always loses.
            let wins = oi != NO_INDEX && (mi == NO_INDEX || real_greater(ov, mine)
                || (real_equal(ov, mine) && oi < mi));
            if (wins) {
                best_value[li] = ov;
                best_index[li] = oi;
            }
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        best[g] = best_index[0];
        out[g] = best_value[0];
    }
}

// --- 2-D (scipy.signal.convolve of 2-D arrays, zero fill) ----------------------------------

struct Conv2dUniform {
    a_rows: u32,
    a_cols: u32,
    k_rows: u32,
    k_cols: u32,
    first_row: u32,  // window origin in the full output
    first_col: u32,
    out_rows: u32,   // window shape
    out_cols: u32,
    fft_cols: u32,   // FFT path: columns of the padded transform
    one: f32,        // 1.0, opaque to the compiler (double-float)
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> u2: Conv2dUniform;
@group(0) @binding(1) var<storage, read> image: array<Real>;
@group(0) @binding(2) var<storage, read> kernel2d: array<Real>;
@group(0) @binding(3) var<storage, read_write> out2d: array<Real>;

// One output of the window per thread: the sum over the kernel's taps that land inside the
// image (zero fill outside), with the precision's multiply-add.
@compute @workgroup_size(64)
fn direct_2d(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * 64u + li;
    if (o >= u2.out_rows * u2.out_cols) { return; }
    one_value = u2.one;
    let r = i32(u2.first_row + o / u2.out_cols);
    let c = i32(u2.first_col + o % u2.out_cols);
    var acc = real(0.0);
    // Taps p with 0 <= r - p < a_rows.
    let p_lo = max(0, r - i32(u2.a_rows) + 1);
    let p_hi = min(i32(u2.k_rows) - 1, r);
    let q_lo = max(0, c - i32(u2.a_cols) + 1);
    let q_hi = min(i32(u2.k_cols) - 1, c);
    for (var p = p_lo; p <= p_hi; p++) {
        let arow = u32(r - p) * u2.a_cols;
        let krow = u32(p) * u2.k_cols;
        for (var q = q_lo; q <= q_hi; q++) {
            acc = real_fma(image[arow + u32(c - q)], kernel2d[krow + u32(q)], acc);
        }
    }
    out2d[o] = acc;
}

@group(0) @binding(1) var<storage, read> factor: array<Complex>;
@group(0) @binding(2) var<storage, read_write> product: array<Complex>;

// product[t] *= factor[t] for the u.count values of two spectra of the same shape.
@compute @workgroup_size(64)
fn multiply_pointwise(@builtin(workgroup_id) wg: vec3<u32>,
                      @builtin(num_workgroups) groups: vec3<u32>,
                      @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * 64u + li;
    if (t >= u.count) { return; }
    one_value = u.one;
    product[t] = c_mul(product[t], factor[t]);
}

@group(0) @binding(1) var<storage, read> transformed: array<Complex>;
@group(0) @binding(2) var<storage, read_write> window2d: array<Real>;

// The window of the inverse transform's real part.
@compute @workgroup_size(64)
fn gather_2d(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * 64u + li;
    if (o >= u2.out_rows * u2.out_cols) { return; }
    let r = u2.first_row + o / u2.out_cols;
    let c = u2.first_col + o % u2.out_cols;
    window2d[o] = c_re(transformed[r * u2.fft_cols + c]);
}

@group(0) @binding(2) var<storage, read_write> padded2d: array<Complex>;

// The a_rows x a_cols reals of `image` zero-padded into the out_rows x fft_cols complex
// values a 2-D FFT takes (row-major), made on the device so that a resident array needs no
// host copy.
@compute @workgroup_size(64)
fn pad_2d(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * 64u + li;
    if (o >= u2.out_rows * u2.fft_cols) { return; }
    let r = o / u2.fft_cols;
    let c = o % u2.fft_cols;
    var value = real(0.0);
    if (r < u2.a_rows && c < u2.a_cols) { value = image[r * u2.a_cols + c]; }
    padded2d[o] = complex(value, real(0.0));
}
