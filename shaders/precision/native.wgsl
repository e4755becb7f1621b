// native.wgsl: the float64 arithmetic (WGSL `f64`, the adapter's SHADER_F64 feature) of the
// kernels that come in three precisions; the same names as single.wgsl. Sums are plain float64
// sums, as SciPy's.

alias Real = f64;
alias Complex = vec2<f64>;
const REAL_WORDS: u32 = 2u;

fn real(x: f32) -> Real { return f64(x); }
// hi + lo + lo2 is the float64 exactly (`f64_parts` in precision.rs), and hi + lo has at most
// 48 significant bits, so this sum rounds to it.
fn real_parts(hi: f32, lo: f32, lo2: f32) -> Real { return (f64(hi) + f64(lo)) + f64(lo2); }
fn real_add(a: Real, b: Real) -> Real { return a + b; }
fn real_sub(a: Real, b: Real) -> Real { return a - b; }
fn real_mul(a: Real, b: Real) -> Real { return a * b; }
fn real_div(a: Real, b: Real) -> Real { return a / b; }
fn real_fma(a: Real, b: Real, c: Real) -> Real { return a * b + c; }
fn real_neg(a: Real) -> Real { return -a; }
fn real_greater(a: Real, b: Real) -> bool { return a > b; }
fn real_equal(a: Real, b: Real) -> bool { return a == b; }
fn real_is_finite(a: Real) -> bool { return abs(a) <= 1.7976931348623157e308; }
fn real_is_zero(a: Real) -> bool { return a == 0.0; }
fn real_abs(a: Real) -> Real { return abs(a); }
fn real_sqrt(a: Real) -> Real { return sqrt(a); }
// WGSL has no 64-bit bitcast; native float64 runs only on Vulkan, whose compilers keep NaN
// comparisons IEEE.
fn real_is_nan(a: Real) -> bool { return !(a == a); }

fn complex(re: Real, im: Real) -> Complex { return vec2<f64>(re, im); }
fn c_re(z: Complex) -> Real { return z.x; }
fn c_im(z: Complex) -> Real { return z.y; }
fn c_add(a: Complex, b: Complex) -> Complex { return a + b; }
fn c_sub(a: Complex, b: Complex) -> Complex { return a - b; }
fn c_mul(a: Complex, b: Complex) -> Complex {
    return vec2<f64>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
fn c_scale(a: Complex, s: Real) -> Complex { return a * s; }
fn c_conj(a: Complex) -> Complex { return vec2<f64>(a.x, -a.y); }
// |z| as hypot, as NumPy's: an infinite part gives inf (even beside NaN), else NaN gives
// NaN; the larger part is factored out so that squares neither overflow nor underflow.
fn c_abs(z: Complex) -> Real {
    let ax = abs(z.x);
    let ay = abs(z.y);
    if (ax > 1.7976931348623157e308) { return ax; }
    if (ay > 1.7976931348623157e308) { return ay; }
    if (real_is_nan(z.x) || real_is_nan(z.y)) { return z.x + z.y; }
    let m = max(ax, ay);
    if (m == 0.0) { return m; }
    let x = ax / m;
    let y = ay / m;
    return m * sqrt(x * x + y * y);
}

struct Acc {
    s: f64,
}

fn acc_new() -> Acc { return Acc(0.0); }
fn acc_add(sum: ptr<function, Acc>, p: Real) { (*sum).s += p; }
fn acc_total(sum: Acc) -> Real { return sum.s; }
