// device.wgsl: histogram2d of arrays already on the device, with integer operations only (so
// every adapter runs it, GL without float64 included).
//
//   widen      float32 x and y values (their 32-bit words, from `first`, `count` of them) to
//              float64 bits (low, high) in bin.wgsl's chunk layout: the chunk's x values then
//              its y values. Exact: every float32 is a float64 (subnormals, infinities and NaN
//              too).
//   bounds     per workgroup, the smallest and largest order key of the non-NaN values among
//              `count` float64 values (bits) from `first`, and whether a NaN was seen: NumPy's
//              automatic range, finished on the host from a few words a workgroup.
//   to_float64 u32 counts to float64 cells: float64 bits (`native` = 1) or canonical
//              double-float pairs (hi, lo) of float32 with exponent 0, both exact.
//
// Bindings (group 0): 0 the uniform; then per entry point, as declared below.

struct DeviceUniform {
    first: u32,  // first value read
    count: u32,  // values (points for widen, cells for to_float64)
    groups: u32, // workgroups that do work
    native: u32, // to_float64/to_float32: 1 for float64 bits; to_fixed: the shift (an i32)
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> u: DeviceUniform;

// --- widen ---------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x32: array<u32>;
@group(0) @binding(2) var<storage, read> y32: array<u32>;
@group(0) @binding(3) var<storage, read_write> wide: array<vec2<u32>>;

// The float64 bits (low, high) of the float32 with bits `w`.
fn widen_bits(w: u32) -> vec2<u32> {
    let sign = w & 0x80000000u;
    let e = (w >> 23u) & 0xffu;
    let m = w & 0x7fffffu;
    if (e == 255u) {
        // Infinities and NaN keep their payload's leading bits (a quiet NaN stays quiet).
        return vec2<u32>(m << 29u, sign | 0x7ff00000u | (m >> 3u));
    }
    if (e == 0u) {
        if (m == 0u) { return vec2<u32>(0u, sign); }
        // A subnormal m 2^-149 is 1.f 2^(lead - 149), lead the index of m's top bit.
        let lead = 31u - countLeadingZeros(m);
        let f = (m << (23u - lead)) & 0x7fffffu;
        return vec2<u32>(f << 29u, sign | ((lead + 874u) << 20u) | (f >> 3u));
    }
    return vec2<u32>(m << 29u, sign | ((e + 896u) << 20u) | (m >> 3u));
}

@compute @workgroup_size(256)
fn widen(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
    let i = group_index(wg, groups) * WG + li;
    if (i >= u.count) { return; }
    wide[i] = widen_bits(x32[u.first + i]);
    wide[u.count + i] = widen_bits(y32[u.first + i]);
}

// --- bounds --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> values: array<vec2<u32>>;
// Per workgroup: [3 g] the smallest key, [3 g + 1] the largest, [3 g + 2].x 1 when a NaN was
// seen. A workgroup with no non-NaN value leaves the identities: (~0, ~0) and (0, 0).
@group(0) @binding(2) var<storage, read_write> partial: array<vec2<u32>>;

var<workgroup> low_keys: array<vec2<u32>, WG>;
var<workgroup> high_keys: array<vec2<u32>, WG>;
var<workgroup> nan_seen: atomic<u32>;

// a < b for two order keys (high, low).
fn key_less(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

// As order_key in bin.wgsl (-0 is +0): comparing keys as unsigned pairs orders the values.
fn value_key(bits: vec2<u32>) -> vec2<u32> {
    if (bits.x == 0u && bits.y == 0x80000000u) {
        return vec2<u32>(0x80000000u, 0u);
    }
    if ((bits.y & 0x80000000u) != 0u) {
        return vec2<u32>(~bits.y, ~bits.x);
    }
    return vec2<u32>(bits.y | 0x80000000u, bits.x);
}

// Values each thread reads (a workgroup covers WG * BOUNDS_PER_THREAD of them).
const BOUNDS_PER_THREAD: u32 = 16u;

@compute @workgroup_size(256)
fn bounds(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let g = group_index(wg, groups);
    if (li == 0u) { atomicStore(&nan_seen, 0u); }
    var lo = vec2<u32>(0xffffffffu, 0xffffffffu);
    var hi = vec2<u32>(0u, 0u);
    var nan = false;
    if (g < u.groups) {
        let base = g * WG * BOUNDS_PER_THREAD;
        for (var k = 0u; k < BOUNDS_PER_THREAD; k++) {
            let i = base + k * WG + li;
            if (i < u.count) {
                let bits = values[u.first + i];
                let is_nan = (bits.y & 0x7ff00000u) == 0x7ff00000u
                    && ((bits.y & 0xfffffu) != 0u || bits.x != 0u);
                if (is_nan) {
                    nan = true;
                } else {
                    let key = value_key(bits);
                    if (key_less(key, lo)) { lo = key; }
                    if (key_less(hi, key)) { hi = key; }
                }
            }
        }
    }
    low_keys[li] = lo;
    high_keys[li] = hi;
    workgroupBarrier();
    if (nan) { atomicStore(&nan_seen, 1u); }
    for (var step = WG / 2u; step > 0u; step /= 2u) {
        if (li < step) {
            if (key_less(low_keys[li + step], low_keys[li])) { low_keys[li] = low_keys[li + step]; }
            if (key_less(high_keys[li], high_keys[li + step])) {
                high_keys[li] = high_keys[li + step];
            }
        }
        workgroupBarrier();
    }
    if (li == 0u && g < u.groups) {
        partial[3u * g] = low_keys[0];
        partial[3u * g + 1u] = high_keys[0];
        partial[3u * g + 2u] = vec2<u32>(atomicLoad(&nan_seen), 0u);
    }
}

// --- to_float64 ----------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> cells: array<vec2<u32>>;

// The float64 bits (low, high) of the integer c.
fn float64_of(c: u32) -> vec2<u32> {
    if (c == 0u) { return vec2<u32>(0u, 0u); }
    let lead = 31u - countLeadingZeros(c);
    // The fraction (c without its top bit) left-aligned in 52 bits: shifted by 52 - lead.
    let f = c ^ (1u << lead);
    let shift = 52u - lead;
    var high = 0u;
    var low = 0u;
    if (shift >= 32u) {
        high = f << (shift - 32u);
    } else {
        high = f >> (32u - shift);
        low = f << shift;
    }
    return vec2<u32>(low, ((1023u + lead) << 20u) | high);
}

// The double-float pair (hi, lo) of c, as bits: hi c rounded to float32 (24 significant bits,
// ties to even, done in integers), lo the rest (at most half a unit of hi's last place), both
// exact: the canonical pair that the double-float arithmetic's comparisons expect.
fn double_float_of(c: u32) -> vec2<u32> {
    if (c < 0x1000000u) { return vec2<u32>(bitcast<u32>(f32(c)), 0u); }
    let dropped = 31u - countLeadingZeros(c) - 23u; // 1 to 8 low bits past float32's
    let unit = 1u << dropped;
    let rest = c & (unit - 1u);
    let half = unit >> 1u;
    // Counts stay at or below 2^31 (the binner flushes before), so h cannot wrap.
    var h = c - rest;
    if (rest > half || (rest == half && ((h >> dropped) & 1u) == 1u)) { h += unit; }
    let lo = bitcast<i32>(c - h);
    return vec2<u32>(bitcast<u32>(f32(h)), bitcast<u32>(f32(lo)));
}

@compute @workgroup_size(256)
fn to_float64(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let i = group_index(wg, groups) * WG + li;
    if (i >= u.count) { return; }
    let c = counts[i];
    if (u.native == 1u) {
        cells[i] = float64_of(c);
    } else {
        cells[i] = double_float_of(c);
    }
}

// --- to_float32 ----------------------------------------------------------------------------

// For a heatmap of a grid on the device: float64 cells (bits, `native` = 1, or double-float
// pairs scaled by 2^exponent, `native` = 0 with the exponent in `first` as an i32) to the
// float32 values the heatmap draws. float64 is rounded to nearest (ties to even) with integer
// operations; magnitudes below float32's normal range become 0 (invisible in a picture: the
// heatmap's empty threshold is far above them).
@group(0) @binding(2) var<storage, read_write> floats: array<f32>;

fn float32_of_float64(bits: vec2<u32>) -> f32 {
    let sign = bits.y & 0x80000000u;
    let e = (bits.y >> 20u) & 0x7ffu;
    if (e == 0x7ffu) {
        let nan = (bits.y & 0xfffffu) != 0u || bits.x != 0u;
        return bitcast<f32>(sign | 0x7f800000u | select(0u, 0x400000u, nan));
    }
    let e32 = i32(e) - 1023 + 127;
    if (e32 <= 0) { return bitcast<f32>(sign); }
    if (e32 >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
    let mantissa = ((bits.y & 0xfffffu) << 3u) | (bits.x >> 29u);
    let rest = bits.x & 0x1fffffffu;
    var word = (u32(e32) << 23u) | mantissa;
    // Round to nearest, ties to even; a carry out of the mantissa bumps the exponent (up to
    // infinity), as it should.
    if (rest > 0x10000000u || (rest == 0x10000000u && (word & 1u) == 1u)) { word += 1u; }
    return bitcast<f32>(sign | word);
}

@compute @workgroup_size(256)
fn to_float32(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let i = group_index(wg, groups) * WG + li;
    if (i >= u.count) { return; }
    let cell = values[i];
    if (u.native == 1u) {
        floats[i] = float32_of_float64(cell);
    } else {
        // hi + lo, then the scaling (exact: a power of two, within float32's range here).
        let scale = bitcast<f32>(u32(bitcast<i32>(u.first) + 127) << 23u);
        floats[i] = (bitcast<f32>(cell.x) + bitcast<f32>(cell.y)) * scale;
    }
}

// --- to_fixed ------------------------------------------------------------------------------

// Weights for bin_weighted (bin.wgsl): float64 bits to 64-bit two's-complement fixed point
// (low word first), round(w 2^shift) with ties away from zero, exactly as the host's
// `(w * 2^shift).round() as i64`. The shift is in `native` (as an i32); the host picked it so
// that no weight's magnitude reaches 2^62, and checked every weight is finite.
@group(0) @binding(2) var<storage, read_write> fixed: array<vec2<u32>>;

// (lo, hi) shifted left by s (0 to 63).
fn shl64(v: vec2<u32>, s: u32) -> vec2<u32> {
    if (s == 0u) { return v; }
    if (s >= 32u) { return vec2<u32>(0u, v.x << (s - 32u)); }
    return vec2<u32>(v.x << s, (v.y << s) | (v.x >> (32u - s)));
}

// (lo, hi) shifted right by r (1 to 63).
fn shr64(v: vec2<u32>, r: u32) -> vec2<u32> {
    if (r >= 32u) { return vec2<u32>(v.y >> (r - 32u), 0u); }
    return vec2<u32>((v.x >> r) | (v.y << (32u - r)), v.y >> r);
}

fn bit64(v: vec2<u32>, i: u32) -> u32 {
    if (i >= 32u) { return (v.y >> (i - 32u)) & 1u; }
    return (v.x >> i) & 1u;
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn fixed_of(bits: vec2<u32>, shift: i32) -> vec2<u32> {
    let e = i32((bits.y >> 20u) & 0x7ffu);
    // The integer mantissa M (with the leading 1 of normal numbers): w = M 2^(max(e,1) - 1075).
    var m = vec2<u32>(bits.x, bits.y & 0xfffffu);
    if (e != 0) { m.y |= 0x100000u; }
    let s = max(e, 1) - 1075 + shift;
    var q = vec2<u32>(0u, 0u);
    if (s >= 0) {
        q = shl64(m, u32(s));
    } else if (s > -64) {
        let r = u32(-s);
        q = shr64(m, r);
        // Ties away from zero: the magnitude rounds up when its first dropped bit is set.
        q = add64(q, vec2<u32>(bit64(m, r - 1u), 0u));
    }
    if ((bits.y & 0x80000000u) != 0u) {
        q = add64(vec2<u32>(~q.x, ~q.y), vec2<u32>(1u, 0u));
    }
    return q;
}

@compute @workgroup_size(256)
fn to_fixed(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
    let i = group_index(wg, groups) * WG + li;
    if (i >= u.count) { return; }
    fixed[i] = fixed_of(values[u.first + i], bitcast<i32>(u.native));
}
