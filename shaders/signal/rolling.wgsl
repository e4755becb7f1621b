// rolling.wgsl: rolling means (np.convolve(x, ones(k) / k, mode)) as exact prefix sums.
//
// Every finite float64 sample becomes a 64-bit fixed-point integer q = round(x 2^shift) (the
// host picks shift so that any window's sum of |q| stays below 2^63); NaN and infinities are
// counted apart. An inclusive scan of (q, nan, +inf, -inf) over the chunk is exact integer
// arithmetic (wrapping modulo 2^64 does not matter: only differences of prefixes within 2^63
// are used), so a window's sum is exact whatever the order of the additions: no drift, and the
// only rounding is each sample's to the fixed-point grid (at most 2^-(shift+1)) and the sum's to
// float64 at the end. The window kernel writes the window's sum 2^-shift as float64 bits
// (rounded to nearest even), NumPy's NaN or infinity for windows holding them, and the count
// of finite samples; the host multiplies by 1/k (or divides by the count, for omit) as it
// reads the float64 values back.
//
// 64-bit integers are vec2<u32> (x: low word, y: high word), two's complement when signed;
// float64 values are read and written as their bit patterns (no float64 arithmetic needed).
//
// Bindings (group 0): 0 the uniform; then per entry point
//   to_fixed      1 x bits (array<u32>, two words per sample)   2 items (rw)
//   scan_blocks   1 items (rw)                                   2 block totals (rw)
//   add_offsets   1 items (rw)                                   2 scanned block totals
//   window        1 prefix items   2 float64 bits out (rw)   3 finite counts out (rw)

struct RollingUniform {
    count: u32,         // elements this dispatch covers (samples, items or outputs)
    shift: i32,         // fixed-point scale
    k: u32,             // window length
    first_output: u32,  // window: full-convolution index of output 0
    base: u32,          // window: global index of the chunk's first sample
    n: u32,             // samples in the whole signal
    omit: u32,          // window: 1 for nan_policy omit (no NaN/inf substitution)
    groups: u32,        // workgroups that do work
}

struct Item {
    lo: u32,
    hi: u32,
    nan: u32,
    pinf: u32,
    ninf: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> u: RollingUniform;

@group(0) @binding(1) var<storage, read> x_bits: array<u32>;
@group(0) @binding(2) var<storage, read_write> items_out: array<Item>;

@group(0) @binding(1) var<storage, read_write> data: array<Item>;
@group(0) @binding(2) var<storage, read_write> totals: array<Item>;

@group(0) @binding(2) var<storage, read> scanned_totals: array<Item>;

@group(0) @binding(1) var<storage, read> prefix: array<Item>;
@group(0) @binding(2) var<storage, read_write> sums_out: array<u32>;
@group(0) @binding(3) var<storage, read_write> finite_out: array<u32>;

const WG: u32 = 256u;
// Items per thread in the scan, and per workgroup (BLOCK in src/signal/gpu.rs).
const PER_THREAD: u32 = 4u;
const BLOCK: u32 = 1024u;

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

// Shifts by s < 64 (WGSL shifts by 32 or more are not defined, hence the branches).
fn shl64(a: vec2<u32>, s: u32) -> vec2<u32> {
    if (s == 0u) { return a; }
    if (s < 32u) { return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s))); }
    return vec2<u32>(0u, a.x << (s - 32u));
}

fn shr64(a: vec2<u32>, s: u32) -> vec2<u32> {
    if (s == 0u) { return a; }
    if (s < 32u) { return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s); }
    return vec2<u32>(a.y >> (s - 32u), 0u);
}

fn gt64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y > b.y || (a.y == b.y && a.x > b.x);
}

// round(m / 2^r), ties to even, for any r.
fn round_shr64(m: vec2<u32>, r: u32) -> vec2<u32> {
    if (r == 0u) { return m; }
    if (r > 64u) { return vec2<u32>(0u, 0u); }
    if (r == 64u) {
        // m / 2^64 < 1: 1 above one half, 0 at or below (a tie goes to the even 0).
        return vec2<u32>(select(0u, 1u, gt64(m, vec2<u32>(0u, 0x80000000u))), 0u);
    }
    let kept = shr64(m, r);
    let rest = sub64(m, shl64(kept, r));
    let half = shl64(vec2<u32>(1u, 0u), r - 1u);
    let tie = rest.x == half.x && rest.y == half.y;
    if (gt64(rest, half) || (tie && (kept.x & 1u) == 1u)) {
        return add64(kept, vec2<u32>(1u, 0u));
    }
    return kept;
}

fn zero_item() -> Item {
    return Item(0u, 0u, 0u, 0u, 0u, 0u);
}

fn add_items(a: Item, b: Item) -> Item {
    let q = add64(vec2<u32>(a.lo, a.hi), vec2<u32>(b.lo, b.hi));
    return Item(q.x, q.y, a.nan + b.nan, a.pinf + b.pinf, a.ninf + b.ninf, 0u);
}

// Sample t as a fixed-point item: round(x 2^shift), or a count of its kind when not finite.
@compute @workgroup_size(256)
fn to_fixed(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
            @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.count) { return; }
    let lo = x_bits[2u * t];
    let hi = x_bits[2u * t + 1u];
    let negative = (hi >> 31u) == 1u;
    let exponent = (hi >> 20u) & 0x7ffu;
    var mantissa = vec2<u32>(lo, hi & 0xfffffu);
    if (exponent == 0x7ffu) {
        var item = zero_item();
        if (mantissa.x != 0u || mantissa.y != 0u) {
            item.nan = 1u;
        } else if (negative) {
            item.ninf = 1u;
        } else {
            item.pinf = 1u;
        }
        items_out[t] = item;
        return;
    }
    // x = mantissa 2^e2, with the implicit bit for normal numbers.
    var e2 = -1074;
    if (exponent != 0u) {
        mantissa.y = mantissa.y | 0x100000u;
        e2 = i32(exponent) - 1075;
    }
    let s = e2 + u.shift;
    var q: vec2<u32>;
    if (s >= 0) {
        // The host's shift keeps |x| 2^shift below 2^62: s < 63 here.
        q = shl64(mantissa, u32(s));
    } else {
        q = round_shr64(mantissa, u32(-s));
    }
    if (negative) {
        q = sub64(vec2<u32>(0u, 0u), q);
    }
    items_out[t] = Item(q.x, q.y, 0u, 0u, 0u, 0u);
}

var<workgroup> running: array<Item, WG>;

// Inclusive scan of each block of BLOCK items in place; block b's total to totals[b].
@compute @workgroup_size(256)
fn scan_blocks(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let block = group_index(wg, groups);
    // Uniform across the workgroup: the barriers below stay in uniform control flow.
    if (block >= u.groups) { return; }
    let first = block * BLOCK + li * PER_THREAD;
    var values: array<Item, PER_THREAD>;
    var acc = zero_item();
    for (var j = 0u; j < PER_THREAD; j++) {
        if (first + j < u.count) {
            acc = add_items(acc, data[first + j]);
        }
        values[j] = acc;
    }
    running[li] = acc;
    workgroupBarrier();
    for (var offset = 1u; offset < WG; offset = offset * 2u) {
        var sum = running[li];
        if (li >= offset) {
            sum = add_items(running[li - offset], sum);
        }
        workgroupBarrier();
        running[li] = sum;
        workgroupBarrier();
    }
    var before = zero_item();
    if (li > 0u) {
        before = running[li - 1u];
    }
    for (var j = 0u; j < PER_THREAD; j++) {
        if (first + j < u.count) {
            data[first + j] = add_items(before, values[j]);
        }
    }
    if (li == WG - 1u) {
        totals[block] = running[WG - 1u];
    }
}

// Adds the scanned totals of the blocks before each item's block.
@compute @workgroup_size(256)
fn add_offsets(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let t = group_index(wg, groups) * WG + li;
    if (t >= u.count) { return; }
    let block = t / BLOCK;
    if (block == 0u) { return; }
    data[t] = add_items(scanned_totals[block - 1u], data[t]);
}

// A signed 64-bit integer q times 2^-shift as float64 bits, rounded to nearest even.
fn to_f64_bits(q: vec2<u32>, shift: i32) -> vec2<u32> {
    if (q.x == 0u && q.y == 0u) { return vec2<u32>(0u, 0u); }
    let negative = (q.y >> 31u) == 1u;
    var m = q;
    if (negative) { m = sub64(vec2<u32>(0u, 0u), q); }
    var lead = 0u;
    if (m.y != 0u) {
        lead = 63u - countLeadingZeros(m.y);
    } else {
        lead = 31u - countLeadingZeros(m.x);
    }
    let biased = i32(lead) - shift + 1023;
    var bits: vec2<u32>;
    if (biased >= 2047) {
        bits = vec2<u32>(0u, 0x7ff00000u);
    } else if (biased >= 1) {
        // 53 significant bits (a carry to 2^53 moves into the exponent field by itself).
        var mantissa: vec2<u32>;
        if (lead > 52u) {
            mantissa = round_shr64(m, lead - 52u);
        } else {
            mantissa = shl64(m, 52u - lead);
        }
        bits = add64(vec2<u32>(0u, u32(biased - 1) << 20u), mantissa);
    } else {
        // Subnormal: the value in units of 2^-1074.
        let r = shift - 1074;
        if (r >= 0) {
            bits = round_shr64(m, u32(r));
        } else {
            bits = shl64(m, u32(-r));
        }
    }
    if (negative) { bits.y = bits.y | 0x80000000u; }
    return bits;
}

// Output o: the window of full-convolution index first_output + o, from the chunk's prefix.
@compute @workgroup_size(256)
fn window(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
          @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.count) { return; }
    let j = u.first_output + o;
    var lo = 0u;
    if (j + 1u >= u.k) { lo = j + 1u - u.k; }
    let hi = min(j, u.n - 1u) + 1u;
    var w = prefix[hi - u.base - 1u];
    if (lo > u.base) {
        let before = prefix[lo - u.base - 1u];
        let q = sub64(vec2<u32>(w.lo, w.hi), vec2<u32>(before.lo, before.hi));
        w = Item(q.x, q.y, w.nan - before.nan, w.pinf - before.pinf, w.ninf - before.ninf, 0u);
    }
    var bits = to_f64_bits(vec2<u32>(w.lo, w.hi), u.shift);
    if (u.omit == 0u) {
        if (w.nan > 0u || (w.pinf > 0u && w.ninf > 0u)) {
            bits = vec2<u32>(0u, 0x7ff80000u);
        } else if (w.pinf > 0u) {
            bits = vec2<u32>(0u, 0x7ff00000u);
        } else if (w.ninf > 0u) {
            bits = vec2<u32>(0u, 0xfff00000u);
        }
    }
    sums_out[2u * o] = bits.x;
    sums_out[2u * o + 1u] = bits.y;
    finite_out[o] = (hi - lo) - w.nan - w.pinf - w.ninf;
}
