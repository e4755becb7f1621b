// One leapfrog step of the 1-D acoustic system p_t = -u_x, u_t = -p_x on a periodic staggered
// grid (p at x_j = j dx, u at x_j + dx/2, u half a step ahead of p):
//   p_j^{n+1}     = p_j^n     + c (u_{j-1}^{n+1/2} - u_j^{n+1/2})
//   u_j^{n+3/2}   = u_j^{n+1/2} + c (p_j^{n+1} - p_{j+1}^{n+1})
// with c = dt / dx. Thread j also computes p_{j+1}^{n+1} itself (the same operations as thread
// j + 1, so the same bits), which fuses both half steps into one dispatch; states ping-pong
// between two buffers.
//
// Values are double-float (hi, lo) pairs of float32: thousands of steps of plain float32
// would add rounding noise comparable to the scheme's own error on fine grids and spoil the
// convergence study.

struct WaveUniform {
    n: u32,
    c_hi: f32,   // dt / dx as a double-float: float32 alone would shift the end time by
    c_lo: f32,   // its rounding (3e-8 relative), visible in a convergence study
    one: f32,    // 1.0, unknown to the compiler: see `opaque`
}

@group(0) @binding(0) var<uniform> u: WaveUniform;
@group(0) @binding(1) var<storage, read> p_in: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> u_in: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> p_out: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> u_out: array<vec2<f32>>;

// Double-float arithmetic (`real_add`, `real_mul`: Knuth's two-sum, Dekker's product, about 48
// significant bits) comes from shaders/precision/double_float.wgsl, put in front of this file;
// it keeps its error terms from the optimiser with `opaque_one()`, the uniform 1.0.
fn opaque_one() -> f32 {
    return u.one;
}

// c (a - b) in double-float.
fn scaled_difference(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return real_mul(vec2<f32>(u.c_hi, u.c_lo), real_sub(a, b));
}

fn add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return real_add(a, b);
}

fn new_p(j: u32) -> vec2<f32> {
    let left = (j + u.n - 1u) % u.n;
    return add(p_in[j], scaled_difference(u_in[left], u_in[j]));
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let j = gid.x + gid.y * groups.x * 64u;
    if (j >= u.n) { return; }
    let p_here = new_p(j);
    let p_right = new_p((j + 1u) % u.n);
    p_out[j] = p_here;
    u_out[j] = add(u_in[j], scaled_difference(p_here, p_right));
}
