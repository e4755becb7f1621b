// Threshold crossings as a stream compaction: index i is an event when x[i] > thr differs
// from x[i - 1] > thr (NumPy's np.argwhere(np.diff(x > thr, prepend=False))). Two passes over
// workgroups of TILE samples: `count` writes each workgroup's number of events, the host
// turns them into offsets (an exclusive scan), and `scatter` writes the events' indices in
// order, each workgroup ranking its events by a scan in workgroup memory.
//
// Samples arrive as float64 bit patterns (two u32 words each, low word first) and are
// compared with the threshold exactly, as NumPy compares float64, by the order-preserving
// integer key of IEEE doubles; no float64 arithmetic is needed on the GPU.

struct CrossUniform {
    n: u32,           // samples in this chunk
    thr_lo: u32,      // the threshold's key, low word
    thr_hi: u32,      // high word
    prev_above: u32,  // whether the sample before the chunk is above (0 at the signal's start)
}

@group(0) @binding(0) var<uniform> u: CrossUniform;
@group(0) @binding(1) var<storage, read> samples: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> events: array<u32>;

const TILE: u32 = 256u;

// x > thr for the float64 with words (lo, hi); never for NaN. -0.0 and 0.0 share a key.
fn above(i: u32) -> bool {
    let w = samples[i];
    let exponent_bits = w.y & 0x7ff00000u;
    let is_nan = exponent_bits == 0x7ff00000u && ((w.y & 0x000fffffu) != 0u || w.x != 0u);
    if (is_nan) { return false; }
    var hi = w.y;
    var lo = w.x;
    if ((hi & 0x7fffffffu) == 0u && lo == 0u) {
        hi = 0u; // -0.0 is 0.0
    }
    // Key: flip every bit of negatives, the sign bit of positives; then unsigned order is
    // the order of the doubles.
    if ((hi & 0x80000000u) != 0u) {
        hi = ~hi;
        lo = ~lo;
    } else {
        hi = hi | 0x80000000u;
    }
    return hi > u.thr_hi || (hi == u.thr_hi && lo > u.thr_lo);
}

fn is_event(i: u32) -> bool {
    var before = u.prev_above != 0u;
    if (i > 0u) { before = above(i - 1u); }
    return above(i) != before;
}

var<workgroup> tally: atomic<u32>;
var<workgroup> rank: array<u32, TILE>;

@compute @workgroup_size(256)
fn count(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
    let g = group_index(wg, groups);
    if (g * TILE >= u.n) { return; }
    if (li == 0u) { atomicStore(&tally, 0u); }
    workgroupBarrier();
    let i = g * TILE + li;
    if (i < u.n && is_event(i)) {
        atomicAdd(&tally, 1u);
    }
    workgroupBarrier();
    if (li == 0u) { counts[g] = atomicLoad(&tally); }
}

@compute @workgroup_size(256)
fn scatter(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
    let g = group_index(wg, groups);
    if (g * TILE >= u.n) { return; }
    let i = g * TILE + li;
    let flag = select(0u, 1u, i < u.n && is_event(i));
    rank[li] = flag;
    workgroupBarrier();
    // Inclusive Hillis-Steele scan of the flags.
    for (var s = 1u; s < TILE; s *= 2u) {
        var add = 0u;
        if (li >= s) { add = rank[li - s]; }
        workgroupBarrier();
        rank[li] += add;
        workgroupBarrier();
    }
    if (flag == 1u) {
        events[offsets[g] + rank[li] - 1u] = i;
    }
}

// The samples around each event, for its interpolated time: around[e] = (x[i - 1], x[i]) of
// event e at index i, as float64 bits (lo, hi) in one vec4 (NaN's bits before the first
// sample). Here `u.n` is the number of events, and `offsets` holds their indices.
@group(0) @binding(3) var<storage, read_write> around: array<vec4<u32>>;

@compute @workgroup_size(256)
fn pairs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
    let e = group_index(wg, groups) * TILE + li;
    if (e >= u.n) { return; }
    let i = offsets[e];
    var before = vec2<u32>(0u, 0x7ff80000u);
    if (i > 0u) { before = samples[i - 1u]; }
    around[e] = vec4<u32>(before, samples[i]);
}
