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

// Error-free transformations (Knuth's two-sum, Dekker's product) and double-float arithmetic:
// each value is hi + lo with |lo| <= ulp(hi) / 2, about 48 significant bits.
// x, hidden from the optimiser. Shader compilers may rewrite (a + b) - a as b (Mesa's NIR
// does; WGSL has no `precise`), which erases the rounding error these functions capture;
// multiplying by a uniform 1.0 keeps the value and blocks the rewrite.
fn opaque(x: f32) -> f32 {
    return x * u.one;
}

fn two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = opaque(a + b);
    let bv = opaque(s - a);
    let av = opaque(s - bv);
    return vec2<f32>(s, opaque(a - av) + opaque(b - bv));
}

fn quick_two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = opaque(a + b);
    return vec2<f32>(s, b - opaque(s - a));
}

fn df_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let s = two_sum(a.x, b.x);
    return quick_two_sum(s.x, s.y + (a.y + b.y));
}

// Veltkamp's split of a float32 into two 12-bit halves whose products are exact.
fn split(a: f32) -> vec2<f32> {
    let t = opaque(4097.0 * a);
    let hi = opaque(t - opaque(t - a));
    return vec2<f32>(hi, a - hi);
}

// Dekker's product (not fma: WGSL's fma may be evaluated unfused, as on llvmpipe).
fn df_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let p = opaque(a.x * b.x);
    let sa = split(a.x);
    let sb = split(b.x);
    let err = opaque(opaque(opaque(sa.x * sb.x - p) + sa.x * sb.y) + sa.y * sb.x) + sa.y * sb.y;
    return quick_two_sum(p, err + (a.x * b.y + a.y * b.x));
}

// c (a - b) in double-float.
fn scaled_difference(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let d = df_add(a, -b);
    return df_mul(vec2<f32>(u.c_hi, u.c_lo), d);
}

fn add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return df_add(a, b);
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
