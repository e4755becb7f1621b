// Elementwise operations on device arrays (`gpusci.Array`'s operators and ufuncs), in the
// precision put in front of this file (shaders/precision/: float32, float64 or double-float
// `Real`). One thread per output element; each operand is an array read through broadcast
// strides (a stride of 0 repeats it along that axis) or a scalar from the uniform.
//
// A scalar operand arrives as a one-element complex array (strides 0), in the arrays' storage:
// a uniform's float32 words cannot carry a float64 far outside float32's range.
//
// Double-float arrays hold value * 2^-exponent with stored magnitudes below 2. The host picks
// the output's exponent and passes each operand's factor (an exact power of two, `a_scale`,
// `b_scale`) so that both sides are in the output's scaling and the result stays below 2;
// scalars arrive already scaled. In float32 and native float64 the factors are 1.
//
// Bindings (each entry point uses its own subset):
//   0  uniform   u: EwUniform
//   1  storage   a: array<Real> (real, or complex as (re, im) pairs), or mask: array<u32>
//   2  storage   b: array<Real>, or a bool array: array<u32>
//   3  storage   out: array<Real> (real or complex pairs), or flags_out: array<u32> (bool)
//   4  storage   scalar: array<Real> (masked_assign's value, re and im)
//   (one-operand entry points write `unary_out` at binding 2 instead, so that every entry
//   point's bindings are 0, 1, 2, ... without a gap)

struct EwUniform {
    len: u32,        // output elements
    ndim: u32,       // dimensions of the output (at most 8)
    op: u32,         // OP_* below
    flags: u32,      // FLAG_* below
    groups: u32,     // workgroups that do work
    one: f32,        // 1.0, opaque to the compiler (double-float)
    _pad0: u32,
    _pad1: u32,
    a_scale: vec4<f32>,     // hi, lo, lo2 of a's factor
    b_scale: vec4<f32>,     // of b's factor
    shape: array<vec4<u32>, 2>,     // output shape, dimension d at [d / 4][d % 4]
    a_strides: array<vec4<u32>, 2>, // a's element strides (0 where broadcast)
    b_strides: array<vec4<u32>, 2>,
}

const FLAG_A_COMPLEX: u32 = 4u;
const FLAG_B_COMPLEX: u32 = 8u;

const OP_ADD: u32 = 0u;
const OP_SUB: u32 = 1u;
const OP_MUL: u32 = 2u;
const OP_DIV: u32 = 3u;
const OP_MIN: u32 = 4u;
const OP_MAX: u32 = 5u;
const OP_LT: u32 = 6u;
const OP_LE: u32 = 7u;
const OP_GT: u32 = 8u;
const OP_GE: u32 = 9u;
const OP_EQ: u32 = 10u;
const OP_NE: u32 = 11u;
const OP_NEG: u32 = 12u;
const OP_ABS: u32 = 13u;
const OP_SQRT: u32 = 14u;
const OP_REAL: u32 = 15u;
const OP_IMAG: u32 = 16u;
const OP_CONJ: u32 = 17u;
const OP_COPY: u32 = 18u;
const OP_AND: u32 = 19u;
const OP_OR: u32 = 20u;
const OP_NOT: u32 = 21u;
const OP_XOR: u32 = 22u;

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> u: EwUniform;

var<private> one_value: f32;

fn opaque_one() -> f32 {
    return one_value;
}

// The element of a broadcast operand (strides `which`: 0 for a, 1 for b) that output `o`
// reads.
fn source_index(o: u32, which: u32) -> u32 {
    var rest = o;
    var at = 0u;
    for (var k = 0u; k < u.ndim; k++) {
        let d = u.ndim - 1u - k;
        let n = u.shape[d >> 2u][d & 3u];
        let coord = rest % n;
        rest = rest / n;
        var stride = u.a_strides[d >> 2u][d & 3u];
        if (which == 1u) { stride = u.b_strides[d >> 2u][d & 3u]; }
        at += coord * stride;
    }
    return at;
}

fn parts(v: vec4<f32>) -> Real {
    return real_parts(v.x, v.y, v.z);
}

@group(0) @binding(1) var<storage, read> a: array<Real>;
@group(0) @binding(2) var<storage, read> b: array<Real>;
@group(0) @binding(3) var<storage, read_write> out: array<Real>;

// Operand a of output o as a complex number (imaginary part 0 for a real operand), in the
// output's scaling.
fn operand_a(o: u32) -> Complex {
    var z: Complex;
    let i = source_index(o, 0u);
    if ((u.flags & FLAG_A_COMPLEX) != 0u) {
        z = complex(a[2u * i], a[2u * i + 1u]);
    } else {
        z = complex(a[i], real(0.0));
    }
    return c_scale(z, parts(u.a_scale));
}

fn operand_b(o: u32) -> Complex {
    var z: Complex;
    let i = source_index(o, 1u);
    if ((u.flags & FLAG_B_COMPLEX) != 0u) {
        z = complex(b[2u * i], b[2u * i + 1u]);
    } else {
        z = complex(b[i], real(0.0));
    }
    return c_scale(z, parts(u.b_scale));
}

// NumPy's minimum and maximum propagate NaN (either operand's).
fn real_min(x: Real, y: Real) -> Real {
    if (real_is_nan(x)) { return x; }
    if (real_is_nan(y) || real_greater(x, y)) { return y; }
    return x;
}

fn real_max(x: Real, y: Real) -> Real {
    if (real_is_nan(x)) { return x; }
    if (real_is_nan(y) || real_greater(y, x)) { return y; }
    return x;
}

// a op b for real operands (add, sub, mul, div, minimum, maximum), into `out`.
@compute @workgroup_size(256)
fn binary_real(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let x = c_re(operand_a(o));
    let y = c_re(operand_b(o));
    var r: Real;
    switch u.op {
        case OP_ADD: { r = real_add(x, y); }
        case OP_SUB: { r = real_sub(x, y); }
        case OP_MUL: { r = real_mul(x, y); }
        case OP_DIV: { r = real_div(x, y); }
        case OP_MIN: { r = real_min(x, y); }
        case OP_MAX: { r = real_max(x, y); }
        default: { r = x; }
    }
    out[o] = r;
}

// a op b with a complex result (add, sub, mul; either operand may be real), into `out` as
// (re, im) pairs.
@compute @workgroup_size(256)
fn binary_complex(@builtin(workgroup_id) wg: vec3<u32>,
                  @builtin(num_workgroups) groups: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let x = operand_a(o);
    let y = operand_b(o);
    var r: Complex;
    switch u.op {
        case OP_ADD: { r = c_add(x, y); }
        case OP_SUB: { r = c_sub(x, y); }
        case OP_MUL: { r = c_mul(x, y); }
        default: { r = x; }
    }
    out[2u * o] = c_re(r);
    out[2u * o + 1u] = c_im(r);
}

@group(0) @binding(3) var<storage, read_write> flags_out: array<u32>;
@group(0) @binding(2) var<storage, read_write> unary_out: array<Real>;

// Comparisons, into a bool array (1 or 0). Complex values order lexicographically (real
// parts, then imaginary), as NumPy's; a real operand's imaginary part is 0.
@compute @workgroup_size(256)
fn compare(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let x = operand_a(o);
    let y = operand_b(o);
    let xr = c_re(x);
    let yr = c_re(y);
    // NaN compares false (and not-equal true), whatever the compiler assumes.
    let nan = real_is_nan(xr) || real_is_nan(yr) || real_is_nan(c_im(x)) || real_is_nan(c_im(y));
    let same = !nan && real_equal(xr, yr) && real_equal(c_im(x), c_im(y));
    let below = real_greater(yr, xr) || (real_equal(xr, yr) && real_greater(c_im(y), c_im(x)));
    let above = real_greater(xr, yr) || (real_equal(xr, yr) && real_greater(c_im(x), c_im(y)));
    var r = false;
    switch u.op {
        case OP_LT: { r = below; }
        case OP_LE: { r = below || same; }
        case OP_GT: { r = above; }
        case OP_GE: { r = above || same; }
        case OP_EQ: { r = same; }
        case OP_NE: { r = !same; }
        default: { r = false; }
    }
    if (nan && u.op != OP_NE) { r = false; }
    flags_out[o] = select(0u, 1u, r);
}

// Unary operations of a real array (neg, abs, sqrt, copy), into `out`; a's factor applies
// first (sqrt takes its square root with the operand already scaled to an even exponent).
@compute @workgroup_size(256)
fn unary_real(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let x = c_re(operand_a(o));
    var r: Real;
    switch u.op {
        case OP_NEG: { r = real_neg(x); }
        case OP_ABS: { r = real_abs(x); }
        case OP_SQRT: { r = real_sqrt(x); }
        default: { r = x; }
    }
    unary_out[o] = r;
}

// Operations of a complex array with a real result (abs, real, imag), into `out`.
@compute @workgroup_size(256)
fn complex_to_real(@builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) groups: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let z = operand_a(o);
    var r: Real;
    switch u.op {
        case OP_ABS: { r = c_abs(z); }
        case OP_IMAG: { r = c_im(z); }
        default: { r = c_re(z); }
    }
    unary_out[o] = r;
}

// Operations of a complex array with a complex result (neg, conj, copy), into `out`.
@compute @workgroup_size(256)
fn unary_complex(@builtin(workgroup_id) wg: vec3<u32>,
                 @builtin(num_workgroups) groups: vec3<u32>,
                 @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    var z = operand_a(o);
    switch u.op {
        case OP_NEG: { z = complex(real_neg(c_re(z)), real_neg(c_im(z))); }
        case OP_CONJ: { z = c_conj(z); }
        default: { }
    }
    unary_out[2u * o] = c_re(z);
    unary_out[2u * o + 1u] = c_im(z);
}

@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<Real>;
@group(0) @binding(4) var<storage, read> scalar: array<Real>;

// out = mask ? value : x: NumPy's `x[mask] = value` (mask of x's shape, value the complex
// scalar in `scalar`, in the output's scaling) without writing x in place. `values` is x, in the output's scaling through a's
// factor; complex when FLAG_A_COMPLEX.
@compute @workgroup_size(256)
fn masked_assign(@builtin(workgroup_id) wg: vec3<u32>,
                 @builtin(num_workgroups) groups: vec3<u32>,
                 @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    one_value = u.one;
    let complex_out = (u.flags & FLAG_A_COMPLEX) != 0u;
    var z: Complex;
    if (mask[o] != 0u) {
        z = complex(scalar[0], scalar[1]);
    } else if (complex_out) {
        z = c_scale(complex(values[2u * o], values[2u * o + 1u]), parts(u.a_scale));
    } else {
        z = c_scale(complex(values[o], real(0.0)), parts(u.a_scale));
    }
    if (complex_out) {
        out[2u * o] = c_re(z);
        out[2u * o + 1u] = c_im(z);
    } else {
        out[o] = c_re(z);
    }
}

@group(0) @binding(1) var<storage, read> left: array<u32>;
@group(0) @binding(2) var<storage, read> right: array<u32>;

// Logical and, or, xor of two bool arrays (broadcast) and not of one, into a bool array.
@compute @workgroup_size(256)
fn logical(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
           @builtin(local_invocation_index) li: u32) {
    let o = group_index(wg, groups) * WG + li;
    if (o >= u.len) { return; }
    let x = left[source_index(o, 0u)] != 0u;
    var y = false;
    if (u.op != OP_NOT) { y = right[source_index(o, 1u)] != 0u; }
    var r = false;
    switch u.op {
        case OP_AND: { r = x && y; }
        case OP_OR: { r = x || y; }
        case OP_XOR: { r = x != y; }
        default: { r = !x; }
    }
    flags_out[o] = select(0u, 1u, r);
}
