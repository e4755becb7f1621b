// common.wgsl: what the dense and sparse LIF kernels share, prepended to lif.wgsl and
// sparse.wgsl by the host (WGSL has no includes): the per-network parameters and per-neuron
// state (kept in sync with `NetParams` and `NeuronState` in src/lif/gpu.rs), and the refractory
// clock in exact float64 semantics on 96-bit integers (three u32 words, low first, in a vec4
// whose w is unused): the word operations of src/lif/clock.rs.

struct NetParams {
    offset: f32,
    vpeak: f32,
    vreset: f32,
    inv_tm: f32,
    rise: f32,
    decay: f32,
    kick: f32,
    dt: f32,
    tref: vec4<u32>,
}

struct NeuronState {
    v: f32,
    ipsc: f32,
    hm: f32,
    jd: f32,
    tlast: vec4<u32>,
    release: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

fn add96(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
    let w0 = a.x + b.x;
    let c0 = select(0u, 1u, w0 < a.x);
    let s1 = a.y + b.y;
    let c1a = select(0u, 1u, s1 < a.y);
    let w1 = s1 + c0;
    let c1b = select(0u, 1u, w1 < s1);
    return vec4<u32>(w0, w1, a.z + b.z + c1a + c1b, 0u);
}

fn sub96(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
    let w0 = a.x - b.x;
    let b0 = select(0u, 1u, a.x < b.x);
    let s1 = a.y - b.y;
    let b1a = select(0u, 1u, a.y < b.y);
    let w1 = s1 - b0;
    let b1b = select(0u, 1u, s1 < b0);
    return vec4<u32>(w0, w1, a.z - b.z - b1a - b1b, 0u);
}

fn less96(a: vec4<u32>, b: vec4<u32>) -> bool {
    if (a.z != b.z) { return a.z < b.z; }
    if (a.y != b.y) { return a.y < b.y; }
    return a.x < b.x;
}

fn same96(a: vec4<u32>, b: vec4<u32>) -> bool {
    return a.x == b.x && a.y == b.y && a.z == b.z;
}

fn word(a: vec4<u32>, i: i32) -> u32 {
    if (i == 0) { return a.x; }
    if (i == 1) { return a.y; }
    if (i == 2) { return a.z; }
    return 0u;
}

fn leading_bit(a: vec4<u32>) -> i32 {
    if (a.z != 0u) { return 64 + 31 - i32(countLeadingZeros(a.z)); }
    if (a.y != 0u) { return 32 + 31 - i32(countLeadingZeros(a.y)); }
    if (a.x != 0u) { return 31 - i32(countLeadingZeros(a.x)); }
    return -1;
}

fn shr96(a: vec4<u32>, r: u32) -> vec4<u32> {
    let q = i32(r / 32u);
    let s = r % 32u;
    var out = vec4<u32>(0u);
    for (var i = 0; i < 3; i++) {
        let lo = word(a, i + q);
        let hi = word(a, i + q + 1);
        var v = lo;
        if (s != 0u) { v = (lo >> s) | (hi << (32u - s)); }
        out[i] = v;
    }
    return out;
}

fn shl96(a: vec4<u32>, r: u32) -> vec4<u32> {
    let q = i32(r / 32u);
    let s = r % 32u;
    var out = vec4<u32>(0u);
    for (var i = 0; i < 3; i++) {
        let lo = word(a, i - q);
        let below = word(a, i - q - 1);
        var v = lo;
        if (s != 0u) { v = (lo << s) | (below >> (32u - s)); }
        out[i] = v;
    }
    return out;
}

// Rounded to 53 significant bits, ties to even: float64's rounding.
fn round53(a: vec4<u32>) -> vec4<u32> {
    let top = leading_bit(a);
    if (top <= 52) { return a; }
    let r = u32(top - 52);
    var keep = shr96(a, r);
    let dropped = sub96(a, shl96(keep, r));
    let half = shl96(vec4<u32>(1u, 0u, 0u, 0u), r - 1u);
    if (less96(half, dropped) || (same96(dropped, half) && (keep.x & 1u) == 1u)) {
        keep = add96(keep, vec4<u32>(1u, 0u, 0u, 0u));
    }
    return shl96(keep, r);
}
