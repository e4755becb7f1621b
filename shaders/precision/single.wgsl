// single.wgsl: the float32 arithmetic of the kernels that come in three precisions (blur, conv,
// fft). `Real` is one float32, `Complex` two. native.wgsl (float64) and double_float.wgsl
// (pairs of float32) define the same names, so one kernel source serves all three; the host
// puts one of them after the prelude (`ShaderVariants` in src/gpu/precision.rs).
//
// A kernel that includes one defines `opaque_one()`: 1.0 read from its uniform, which the
// compiler cannot see through (see `acc_add` and double_float.wgsl).

alias Real = f32;
alias Complex = vec2<f32>;
// 32-bit words per Real: workgroup arrays are sized by it so that every variant stays within
// WebGPU's guaranteed 16 KiB of workgroup memory.
const REAL_WORDS: u32 = 1u;

fn real(x: f32) -> Real { return x; }
// A float64 constant sent as three float32 whose sum it is (`f64_parts` in precision.rs).
fn real_parts(hi: f32, lo: f32, lo2: f32) -> Real { return hi; }
fn real_add(a: Real, b: Real) -> Real { return a + b; }
fn real_sub(a: Real, b: Real) -> Real { return a - b; }
fn real_mul(a: Real, b: Real) -> Real { return a * b; }
fn real_div(a: Real, b: Real) -> Real { return a / b; }
// a b + c.
fn real_fma(a: Real, b: Real, c: Real) -> Real { return fma(a, b, c); }
fn real_neg(a: Real) -> Real { return -a; }
fn real_greater(a: Real, b: Real) -> bool { return a > b; }
fn real_equal(a: Real, b: Real) -> bool { return a == b; }
fn real_is_finite(a: Real) -> bool { return abs(a) <= 3.40282347e38; }
fn real_is_zero(a: Real) -> bool { return a == 0.0; }
fn real_abs(a: Real) -> Real { return abs(a); }
fn real_sqrt(a: Real) -> Real { return sqrt(a); }
// NaN by its bits (a compiler may assume x == x).
fn real_is_nan(a: Real) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u; }

fn complex(re: Real, im: Real) -> Complex { return vec2<f32>(re, im); }
fn c_re(z: Complex) -> Real { return z.x; }
fn c_im(z: Complex) -> Real { return z.y; }
fn c_add(a: Complex, b: Complex) -> Complex { return a + b; }
fn c_sub(a: Complex, b: Complex) -> Complex { return a - b; }
fn c_mul(a: Complex, b: Complex) -> Complex {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
fn c_scale(a: Complex, s: Real) -> Complex { return a * s; }
fn c_conj(a: Complex) -> Complex { return vec2<f32>(a.x, -a.y); }
// |z| as hypot, as NumPy's: an infinite part gives inf (even beside NaN), else NaN gives
// NaN; the larger part is factored out so that squares neither overflow nor underflow.
fn c_abs(z: Complex) -> Real {
    let ax = abs(z.x);
    let ay = abs(z.y);
    if (ax > 3.40282347e38) { return ax; }
    if (ay > 3.40282347e38) { return ay; }
    if (real_is_nan(z.x) || real_is_nan(z.y)) { return z.x + z.y; }
    let m = max(ax, ay);
    if (m == 0.0) { return m; }
    let x = ax / m;
    let y = ay / m;
    return m * sqrt(x * x + y * y);
}

// A compensated float32 sum (Neumaier): x = s + c, where c gathers the rounding errors of the
// additions, so that with taps summing to exactly 1 a constant stays constant, as SciPy's
// float64 sums keep it.
struct Acc {
    s: f32,
    c: f32,
}

fn acc_new() -> Acc { return Acc(0.0, 0.0); }

// Adds p. `t * opaque_one()` hides from the optimiser that t == s + p, which would let it fold
// (s - t) + p to 0 (Mesa did so once in the wave solver).
fn acc_add(sum: ptr<function, Acc>, p: Real) {
    let s = (*sum).s;
    let t = (s + p) * opaque_one();
    let err = select((p - t) + s, (s - t) + p, abs(s) >= abs(p));
    (*sum).c += err;
    (*sum).s = t;
}

// The total. With an infinity or NaN among the terms the error terms are NaN and the plain sum
// (inf or NaN, as SciPy) is the answer.
fn acc_total(sum: Acc) -> Real {
    let c = select(0.0, sum.c, abs(sum.c) < 3.0e38);
    return sum.s + c;
}
