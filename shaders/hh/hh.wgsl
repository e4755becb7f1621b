// hh.wgsl: Hodgkin-Huxley neurons with Poisson inputs, one thread per neuron, many forward-Euler
// steps per dispatch (the state stays on the GPU between dispatches).
//
// Each step draws the neuron's transmitted excitatory and inhibitory input counts from one
// Philox4x32-10 block at (neuron, step, STREAM_INPUTS, 0) (words 0 and 1) counted against the
// host's integer threshold tables, exactly as src/hh/mod.rs does on the CPU, so both paths
// receive identical inputs. The arithmetic is float32 (the CPU's is float64).
//
// Bindings (group 0):
//   0  uniform      HhUniform (kept in sync with `HhUniform` in src/hh/gpu.rs)
//   1  storage, rw  state:  array<vec4<f32>>, V, m, h, n per neuron
//   2  storage, r   tables: array<u32>, the excitatory thresholds then the inhibitory ones
//   3  storage, rw  inputs: array<vec2<u32>>, excitatory and inhibitory spikes received, per neuron
//   4  storage, rw  spikes: array<vec2<u32>>, (neuron, step) of each upward 0 mV crossing
//   5  storage, rw  spike_count: array<atomic<u32>, 1>
//   6  storage, rw  trace: array<vec4<f32>>, [step - first_step][neuron] for neurons < recorded
// Workgroup size 64; linear workgroup index over x, y, z; threads past `neurons` return.

struct HhUniform {
    neurons: u32,
    first_step: u32,
    steps: u32,
    recorded: u32,
    ex_len: u32,
    in_len: u32,
    key0: u32,
    key1: u32,
    spike_capacity: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    c_m: f32,
    g_na: f32,
    g_k: f32,
    g_l: f32,
    e_na: f32,
    e_k: f32,
    e_l: f32,
    i_app: f32,
    dt: f32,
    k: f32,
    g_ex: f32,
    _pad3: f32,
}

const WG_SIZE: u32 = 64u;
const STREAM_INPUTS: u32 = 3u;

@group(0) @binding(0) var<uniform> u: HhUniform;
@group(0) @binding(1) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read_write> inputs: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> spikes: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> spike_count: array<atomic<u32>, 1>;
@group(0) @binding(6) var<storage, read_write> trace: array<vec4<f32>>;

// (high, low) words of the 64-bit product a * b, from 16-bit halves (WGSL has no u64).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let middle = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (middle >> 16u);
    return vec2<u32>(hi, a * b);
}

// Philox4x32-10 (Salmon et al. 2011), as src/rng.rs.
fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < 10u; round++) {
        if (round > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let p0 = mulhilo(0xD2511F53u, c.x);
        let p1 = mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// The count for `word`: thresholds t_j <= word, in tables[first .. first + len].
fn count(word: u32, first: u32, len: u32) -> u32 {
    var j = 0u;
    while (j < len && word >= tables[first + j]) {
        j++;
    }
    return j;
}

// 0.1 x / (1 - exp(-x / 10)) and the like: the rate functions' removable singularity at x = 0
// (float32 meets x = 0 more easily than float64) takes its Taylor expansion.
fn x_over_expm1(x: f32) -> f32 {
    if (abs(x) < 1e-3) {
        return 10.0 * (1.0 + x / 20.0);
    }
    return x / (1.0 - exp(-x / 10.0));
}

@compute @workgroup_size(64)
fn hh_steps(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = group_index(wid, nwg);
    let neuron = g * WG_SIZE + lid;
    if (neuron >= u.neurons) { return; }
    var x = state[neuron];
    var received = inputs[neuron];
    let key = vec2<u32>(u.key0, u.key1);
    for (var s = 0u; s < u.steps; s++) {
        let step = u.first_step + s;
        let words = philox(vec4<u32>(neuron, step, STREAM_INPUTS, 0u), key);
        let e = count(words.x, 0u, u.ex_len);
        let i = count(words.y, u.ex_len, u.in_len);
        received = received + vec2<u32>(e, i);
        let isyn = u.c_m * u.g_ex * (f32(e) - u.k * f32(i));
        let v = x.x;
        let m = x.y;
        let h = x.z;
        let n = x.w;
        let alpha_m = 0.1 * x_over_expm1(v + 40.0);
        let beta_m = 4.0 * exp(-(v + 65.0) / 18.0);
        let alpha_h = 0.07 * exp(-(v + 65.0) / 20.0);
        let beta_h = 1.0 / (1.0 + exp(-(v + 35.0) / 10.0));
        let alpha_n = 0.01 * x_over_expm1(v + 55.0);
        let beta_n = 0.125 * exp(-(v + 65.0) / 80.0);
        let i_na = u.g_na * m * m * m * h * (v - u.e_na);
        let i_k = u.g_k * n * n * n * n * (v - u.e_k);
        let i_l = u.g_l * (v - u.e_l);
        let d = vec4<f32>(
            (u.i_app + isyn - i_na - i_k - i_l) / u.c_m,
            alpha_m * (1.0 - m) - beta_m * m,
            alpha_h * (1.0 - h) - beta_h * h,
            alpha_n * (1.0 - n) - beta_n * n,
        );
        x = x + u.dt * d;
        if (v < 0.0 && x.x >= 0.0) {
            let slot = atomicAdd(&spike_count[0], 1u);
            if (slot < u.spike_capacity) {
                spikes[slot] = vec2<u32>(neuron, step);
            }
        }
        if (neuron < u.recorded) {
            trace[s * u.recorded + neuron] = x;
        }
    }
    state[neuron] = x;
    inputs[neuron] = received;
}
