// double_float.wgsl: float64-class arithmetic on adapters without float64 (GL, Metal, many
// mobile parts): each `Real` is a pair (hi, lo) of float32 whose sum is the value, |lo| <=
// ulp(hi) / 2, about 48 significant bits; `Complex` is (re.hi, re.lo, im.hi, im.lo). The same
// names as single.wgsl. Error-free transformations (Knuth's two-sum, Dekker's product) carry
// each float32 rounding error into lo (Hida, Li and Bailey's double-double algorithms).
//
// Shader compilers may rewrite (a + b) - a as b (Mesa's NIR does; WGSL has no `precise`), which
// erases the error these functions capture: every intermediate the rewrite would see through
// is multiplied by `opaque_one()`, a uniform 1.0 the compiler cannot know.
// tests/gpu/precision.rs checks the error terms survive on every adapter.
//
// An infinity or NaN ends the pair: its lo is 0 and it propagates as in float64. The host
// scales the data by a power of two so that no finite value overflows (see precision.rs).

alias Real = vec2<f32>;
alias Complex = vec4<f32>;
const REAL_WORDS: u32 = 2u;

fn opaque(x: f32) -> f32 { return x * opaque_one(); }

// False for infinities and NaN (every comparison with NaN is false).
fn is_finite32(x: f32) -> bool { return abs(x) <= 3.40282347e38; }

fn two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = opaque(a + b);
    let bv = opaque(s - a);
    let av = opaque(s - bv);
    return vec2<f32>(s, opaque(a - av) + opaque(b - bv));
}

// Needs |a| >= |b|.
fn quick_two_sum(a: f32, b: f32) -> vec2<f32> {
    let s = opaque(a + b);
    return vec2<f32>(s, b - opaque(s - a));
}

// Veltkamp's split of a float32 into two 12-bit halves whose products are exact.
fn split(a: f32) -> vec2<f32> {
    let t = opaque(4097.0 * a);
    let hi = opaque(t - opaque(t - a));
    return vec2<f32>(hi, a - hi);
}

fn real(x: f32) -> Real { return vec2<f32>(x, 0.0); }
fn real_parts(hi: f32, lo: f32, lo2: f32) -> Real { return vec2<f32>(hi, lo); }

// The accurate double-float sum (both halves added error-free), so that cancellation between
// a and b keeps its relative accuracy.
fn real_add(a: Real, b: Real) -> Real {
    var s = two_sum(a.x, b.x);
    if (!is_finite32(s.x)) { return vec2<f32>(s.x, 0.0); }
    let t = two_sum(a.y, b.y);
    s = quick_two_sum(s.x, s.y + t.x);
    return quick_two_sum(s.x, s.y + t.y);
}

fn real_sub(a: Real, b: Real) -> Real { return real_add(a, -b); }

// Dekker's product (not fma: WGSL's fma may be evaluated unfused, as on llvmpipe).
fn real_mul(a: Real, b: Real) -> Real {
    let p = opaque(a.x * b.x);
    if (!is_finite32(p)) { return vec2<f32>(p, 0.0); }
    let sa = split(a.x);
    let sb = split(b.x);
    let err = opaque(opaque(opaque(sa.x * sb.x - p) + sa.x * sb.y) + sa.y * sb.x) + sa.y * sb.y;
    return quick_two_sum(p, err + (a.x * b.y + a.y * b.x));
}

// One float32 quotient, then its correction from the exact remainder.
fn real_div(a: Real, b: Real) -> Real {
    let q1 = a.x / b.x;
    if (!is_finite32(q1)) { return vec2<f32>(q1, 0.0); }
    let r = real_sub(a, real_mul(vec2<f32>(q1, 0.0), b));
    return quick_two_sum(q1, r.x / b.x);
}

fn real_fma(a: Real, b: Real, c: Real) -> Real { return real_add(real_mul(a, b), c); }
fn real_neg(a: Real) -> Real { return -a; }
fn real_greater(a: Real, b: Real) -> bool { return a.x > b.x || (a.x == b.x && a.y > b.y); }
fn real_equal(a: Real, b: Real) -> bool { return all(a == b); }
fn real_is_finite(a: Real) -> bool { return is_finite32(a.x); }
fn real_is_zero(a: Real) -> bool { return a.x == 0.0; }
fn real_abs(a: Real) -> Real { return select(a, -a, a.x < 0.0); }
// NaN by the high word's bits (a compiler may assume x == x).
fn real_is_nan(a: Real) -> bool { return (bitcast<u32>(a.x) & 0x7fffffffu) > 0x7f800000u; }
// The float32 root, then one Newton step from the exact remainder a - r^2.
fn real_sqrt(a: Real) -> Real {
    let r = sqrt(a.x);
    if (!(a.x > 0.0) || !is_finite32(a.x)) { return vec2<f32>(r, 0.0); }
    let d = real_sub(a, real_mul(vec2<f32>(r, 0.0), vec2<f32>(r, 0.0)));
    return quick_two_sum(r, d.x / (2.0 * r));
}

fn complex(re: Real, im: Real) -> Complex { return vec4<f32>(re, im); }
fn c_re(z: Complex) -> Real { return z.xy; }
fn c_im(z: Complex) -> Real { return z.zw; }
fn c_add(a: Complex, b: Complex) -> Complex {
    return vec4<f32>(real_add(a.xy, b.xy), real_add(a.zw, b.zw));
}
fn c_sub(a: Complex, b: Complex) -> Complex {
    return vec4<f32>(real_sub(a.xy, b.xy), real_sub(a.zw, b.zw));
}
fn c_mul(a: Complex, b: Complex) -> Complex {
    return vec4<f32>(real_sub(real_mul(a.xy, b.xy), real_mul(a.zw, b.zw)),
                     real_add(real_mul(a.xy, b.zw), real_mul(a.zw, b.xy)));
}
fn c_scale(a: Complex, s: Real) -> Complex {
    return vec4<f32>(real_mul(a.xy, s), real_mul(a.zw, s));
}
fn c_conj(a: Complex) -> Complex { return vec4<f32>(a.xy, -a.zw); }
// |z| of parts stored below 2 (the host halves them first), so the squares cannot overflow.
// An infinite part gives inf (even beside NaN), as NumPy's.
fn c_abs(z: Complex) -> Real {
    let re = z.xy;
    let im = z.zw;
    if (!is_finite32(re.x) && !real_is_nan(re)) { return real_abs(re); }
    if (!is_finite32(im.x) && !real_is_nan(im)) { return real_abs(im); }
    return real_sqrt(real_add(real_mul(re, re), real_mul(im, im)));
}

struct Acc {
    s: vec2<f32>,
}

fn acc_new() -> Acc { return Acc(vec2<f32>(0.0, 0.0)); }
fn acc_add(sum: ptr<function, Acc>, p: Real) { (*sum).s = real_add((*sum).s, p); }
fn acc_total(sum: Acc) -> Real { return sum.s; }
