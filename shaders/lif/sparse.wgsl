// sparse.wgsl: the seed's LIF network for large n (one network, weights sparse by presynaptic
// (shaders/lif/common.wgsl, the shared structs and the refractory clock, is prepended by the host.)
// neuron), three dispatches per step recorded back to back (no host round trip in a block):
//   sparse_update   one thread per neuron: the previous step's synapse update (jd taken from
//                   the fixed-point accumulator), the Euler step, the spike test; spikers are
//                   appended to this step's list and to the block's spike log, their clock
//                   advanced (exact float64 semantics on 96-bit integers, as lif.wgsl), v = 30
//                   recorded, reset;
//   sparse_deliver  workgroups take this step's spikers in turn and add their outgoing weights
//                   (64-thread strides over the synapses) into the targets' accumulators with
//                   integer atomics: weights are fixed point (scale 2^shift from the host, chosen
//                   so no neuron's input can overflow), so sums are exact and deterministic;
//   sparse_advance  one thread: empties the next step's spiker list, advances the step.
//
// `ints` (atomic u32): [0] step, [1] / [2] spiker counts of even / odd steps, [3] the block's
// spike count, then LISTS: the even and odd spiker lists (n each), then MONITOR_SLOTS: per
// neuron 1 + its monitor slot, or 0.

struct SparseUniform {
    n: u32,
    first_step: u32,
    nrec: u32,
    capacity: u32,
    times_len: u32,
    monitors: u32,
    every: u32,
    first_sample: u32,
    samples: u32,
    deliver_groups: u32,
    update_groups: u32,
    steps: u32,
    fixed_to_float: f32,
    _pad1: f32,
    _pad2: f32,
    _pad3: f32,
}

const WG_SIZE: u32 = 64u;
const HEADER: u32 = 4u;

@group(0) @binding(0) var<uniform> u: SparseUniform;

// ---- sparse_update ---------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> net: NetParams;
@group(0) @binding(2) var<storage, read_write> neurons: array<NeuronState>;
@group(0) @binding(3) var<storage, read_write> jd_in: array<atomic<i32>>;
@group(0) @binding(4) var<storage, read_write> ints: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> spikes: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> times: array<vec4<u32>>;
@group(0) @binding(7) var<storage, read_write> rec: array<f32>;

@compute @workgroup_size(64)
fn sparse_update(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = group_index(wid, nwg) * WG_SIZE + lid;
    if (k >= u.n) { return; }
    let step = atomicLoad(&ints[0]);
    let parity = step & 1u;
    let s = step - u.first_step;
    var x = neurons[k];
    if (step > 0u) {
        // Spikers of the previous step: its list is emptied only after this step.
        var kick = 0.0;
        if (atomicLoad(&ints[2u - parity]) > 0u) { kick = net.kick; }
        let jd = f32(atomicExchange(&jd_in[k], 0)) * u.fixed_to_float;
        let ipsc = x.ipsc * net.rise + x.hm * net.dt;
        x.hm = x.hm * net.decay + jd * kick;
        x.ipsc = ipsc;
    }
    if (step >= x.release) {
        let dv = (x.ipsc + net.offset - x.v) * net.inv_tm;
        x.v = x.v + net.dt * dv;
    }
    let spiking = x.v >= net.vpeak;
    if (spiking) {
        let slot = atomicAdd(&ints[1u + parity], 1u);
        atomicStore(&ints[HEADER + parity * u.n + slot], k);
        let logged = atomicAdd(&ints[3], 1u);
        if (logged < u.capacity) {
            spikes[logged] = vec2<u32>(step, k);
        }
        x.tlast = round53(add96(x.tlast, round53(sub96(times[s], x.tlast))));
        let wake = round53(add96(x.tlast, net.tref));
        var release = step + 1u;
        while (release - u.first_step < u.times_len && !less96(wake, times[release - u.first_step])) {
            release++;
        }
        x.release = release;
        x.v = 30.0;
    }
    if (k < u.nrec) {
        rec[s * u.nrec + k] = x.v;
    }
    if (u.monitors > 0u && step % u.every == 0u) {
        let slot = atomicLoad(&ints[HEADER + 2u * u.n + k]);
        if (slot > 0u) {
            let region = u.steps * u.nrec;
            rec[region + (step / u.every - u.first_sample) * u.monitors + slot - 1u] = x.v;
        }
    }
    if (spiking) {
        x.v = net.vreset;
    }
    neurons[k] = x;
}

// ---- sparse_deliver ----------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> starts: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> weights_fixed: array<i32>;
@group(0) @binding(4) var<storage, read_write> jd_acc: array<atomic<i32>>;
@group(0) @binding(5) var<storage, read_write> ints_acc: array<atomic<u32>>;

@compute @workgroup_size(64)
fn sparse_deliver(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    if (g >= u.deliver_groups) { return; }
    let parity = atomicLoad(&ints_acc[0]) & 1u;
    let count = atomicLoad(&ints_acc[1u + parity]);
    for (var i = g; i < count; i += u.deliver_groups) {
        let j = atomicLoad(&ints_acc[HEADER + parity * u.n + i]);
        for (var syn = starts[j] + lid; syn < starts[j + 1u]; syn += WG_SIZE) {
            atomicAdd(&jd_acc[targets[syn]], weights_fixed[syn]);
        }
    }
}

// ---- sparse_advance ----------------------------------------------------------------------

@group(0) @binding(1) var<storage, read_write> ints_step: array<atomic<u32>>;

@compute @workgroup_size(64)
fn sparse_advance(@builtin(local_invocation_index) lid: u32) {
    // (u.n keeps the uniform in this entry point's layout, as the host binds it.)
    if (lid != 0u || u.n == 0u) { return; }
    let step = atomicLoad(&ints_step[0]);
    // The next step's list (that of the step before this one) starts empty.
    atomicStore(&ints_step[1u + ((step + 1u) & 1u)], 0u);
    atomicStore(&ints_step[0], step + 1u);
}
