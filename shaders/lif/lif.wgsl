// lif.wgsl: the seed's balanced LIF network, one workgroup per network, a block of steps per
// (shaders/lif/common.wgsl, the shared structs and the refractory clock, is prepended by the host.)
// dispatch with barriers between the phases of each step (no host round trip per step).
//
// Thread t owns neurons t, t + 256, t + 512, ... Each step, in the seed's order:
//   A. own neurons: the previous step's synapse update (ipsc, hm from jd), the Euler step of
//      neurons past their release step, the spike test v >= vpeak;
//   B. the spikers are compacted into workgroup memory in a fixed order (a prefix sum over the
//      threads), so sums are the same every run;
//   C. jd[k] += w[k, j] for every spiker j and own neuron k (weights stored by column);
//   D. own spikers: the refractory clock (tlast, release step) in exact float64 semantics on
//      96-bit integers (see src/lif/clock.rs, whose word operations these are), the spike
//      appended to the block's spike list, v = 30 recorded, then reset.
//
// Bindings (group 0):
//   0  uniform      LifUniform (kept in sync with `LifUniform` in src/lif/gpu.rs)
//   1  storage, r   nets: array<NetParams>, one per network
//   2  storage, r   weights: array<f32>, network g's w[k, j] at g*n*n + j*n + k
//   3  storage, rw  neurons: array<NeuronState>, network g's neuron k at g*n + k
//   4  storage, rw  carry: array<u32>, per network: spikers of the previous step (for its
//                   synapse update), then the block's spike count; after the networks' pairs,
//                   the monitored neurons' indices
//   5  storage, r   times: array<vec4<u32>>, fl(dt*i) on the clock's grid for i = first_step ..
//   6  storage, rw  spikes: array<vec2<u32>>, network g's block spikes at g*capacity .. (step, neuron)
//   7  storage, rw  rec: array<f32>, network g's voltages at (g*steps + s)*nrec + k, then
//                   from networks*steps*nrec the monitored neurons' samples, network g's sample
//                   j of monitor m at (g*samples + j)*monitors + m

struct LifUniform {
    n: u32,
    networks: u32,
    first_step: u32,
    steps: u32,
    nrec: u32,
    capacity: u32,
    times_len: u32,
    monitors: u32,
    every: u32,
    first_sample: u32,
    samples: u32,
    _pad: u32,
}

const WG_SIZE: u32 = 256u;
// Neurons one thread owns at most (n <= WG_SIZE * MAX_PER_THREAD).
const MAX_PER_THREAD: u32 = 28u;

@group(0) @binding(0) var<uniform> u: LifUniform;
@group(0) @binding(1) var<storage, read> nets: array<NetParams>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> neurons: array<NeuronState>;
@group(0) @binding(4) var<storage, read_write> carry: array<u32>;
@group(0) @binding(5) var<storage, read> times: array<vec4<u32>>;
@group(0) @binding(6) var<storage, read_write> spikes: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> rec: array<f32>;

var<workgroup> scan: array<u32, WG_SIZE>;
var<workgroup> spikers: array<u32, WG_SIZE * MAX_PER_THREAD>;

// fl(dt * step) from the block's table.
fn time_of(step: u32) -> vec4<u32> {
    return times[step - u.first_step];
}

@compute @workgroup_size(256)
fn lif_steps(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    // Whole workgroups return together, so the barriers below stay uniform.
    if (g >= u.networks) { return; }
    let p = nets[g];
    let n = u.n;
    let base = g * n;
    var fired_before = carry[2u * g];
    var spike_count = carry[2u * g + 1u];
    var mine: array<u32, MAX_PER_THREAD>;
    for (var s = 0u; s < u.steps; s++) {
        let step = u.first_step + s;
        // A: synapse update of the previous step, Euler step, spike test.
        var kick = 0.0;
        if (fired_before > 0u) { kick = p.kick; }
        var count = 0u;
        for (var k = lid; k < n; k += WG_SIZE) {
            var x = neurons[base + k];
            if (step > 0u) {
                let ipsc = x.ipsc * p.rise + x.hm * p.dt;
                x.hm = x.hm * p.decay + x.jd * kick;
                x.ipsc = ipsc;
                x.jd = 0.0;
            }
            if (step >= x.release) {
                let dv = (x.ipsc + p.offset - x.v) * p.inv_tm;
                x.v = x.v + p.dt * dv;
            }
            if (x.v >= p.vpeak) {
                mine[count] = k;
                count++;
            }
            neurons[base + k] = x;
        }
        // B: exclusive prefix sum of the threads' spiker counts (Hillis-Steele).
        scan[lid] = count;
        workgroupBarrier();
        for (var stride = 1u; stride < WG_SIZE; stride = stride * 2u) {
            var add = 0u;
            if (lid >= stride) { add = scan[lid - stride]; }
            workgroupBarrier();
            scan[lid] = scan[lid] + add;
            workgroupBarrier();
        }
        let total = scan[WG_SIZE - 1u];
        let start = scan[lid] - count;
        for (var c = 0u; c < count; c++) {
            spikers[start + c] = mine[c];
        }
        workgroupBarrier();
        // C: the spikers' weight columns into jd.
        for (var c = 0u; c < total; c++) {
            let column = g * n * n + spikers[c] * n;
            for (var k = lid; k < n; k += WG_SIZE) {
                neurons[base + k].jd = neurons[base + k].jd + weights[column + k];
            }
        }
        // D: own spikers' clock, the spike list, the 30 mV mark; then record and reset.
        for (var c = 0u; c < count; c++) {
            let k = mine[c];
            var x = neurons[base + k];
            x.tlast = round53(add96(x.tlast, round53(sub96(time_of(step), x.tlast))));
            let wake = round53(add96(x.tlast, p.tref));
            var release = step + 1u;
            while (release - u.first_step < u.times_len && !less96(wake, time_of(release))) {
                release++;
            }
            x.release = release;
            x.v = 30.0;
            neurons[base + k] = x;
            let slot = spike_count + start + c;
            if (slot < u.capacity) {
                spikes[g * u.capacity + slot] = vec2<u32>(step, k);
            }
        }
        for (var k = lid; k < u.nrec; k += WG_SIZE) {
            rec[(g * u.steps + s) * u.nrec + k] = neurons[base + k].v;
        }
        if (u.monitors > 0u && step % u.every == 0u) {
            // Each thread samples the monitored neurons it owns, so no thread reads another's.
            let j = step / u.every - u.first_sample;
            let region = u.networks * u.steps * u.nrec;
            for (var m = 0u; m < u.monitors; m++) {
                let k = carry[2u * u.networks + m];
                if (k % WG_SIZE == lid) {
                    rec[region + (g * u.samples + j) * u.monitors + m] = neurons[base + k].v;
                }
            }
        }
        for (var c = 0u; c < count; c++) {
            neurons[base + mine[c]].v = p.vreset;
        }
        spike_count += total;
        fired_before = total;
        // The spiker list and the scan are rewritten next step.
        workgroupBarrier();
    }
    if (lid == 0u) {
        carry[2u * g] = fired_before;
        carry[2u * g + 1u] = spike_count;
    }
}

// ---- clock_probe: the clock's word operations on given values, for the tests -------------
// Bindings: 0 uniform (u.n = cases), 1 probe_in: 3 values per case (tlast, now, tref),
// 2 probe_out: 2 values per case (tlast advanced to now, tlast + tref).

@group(0) @binding(1) var<storage, read> probe_in: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> probe_out: array<vec4<u32>>;

@compute @workgroup_size(256)
fn clock_probe(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = group_index(wid, nwg) * WG_SIZE + lid;
    if (i >= u.n) { return; }
    let tlast = probe_in[3u * i];
    let now = probe_in[3u * i + 1u];
    let tref = probe_in[3u * i + 2u];
    let advanced = round53(add96(tlast, round53(sub96(now, tlast))));
    probe_out[2u * i] = advanced;
    probe_out[2u * i + 1u] = round53(add96(tlast, tref));
}
