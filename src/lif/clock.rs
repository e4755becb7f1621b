//! The refractory clock of the LIF network in exact float64 semantics without float64
//! arithmetic, for GPUs that have none (llvmpipe GL) and so that every adapter agrees.
//!
//! The reference program (`tests/data/lif/balanced_network.py`) tests `dt*i > tlast + tref`
//! and updates `tlast += dt*i - tlast` in float64. With a refractory period of a whole number
//! of steps the test is a tie that rounding decides, and `a + (b - a)` is not always `b` in
//! float64, so an approximation changes which step a neuron wakes up on. Every value involved
//! (`fl(dt*i)`, `tref`, and the rounded sums and differences of them) is a multiple of 2^-L
//! for L = 52 - the smaller binary exponent of dt and tref, so each is held exactly as a
//! 96-bit integer (three u32 words, low first) times 2^-L. Sums and differences of such
//! integers are exact; rounding the result to 53 significant bits (ties to even) then gives
//! exactly the float64 result. Comparisons are integer comparisons. The WGSL twin in
//! shaders/lif/lif.wgsl performs the same word operations.

use crate::error::{Error, Result};

/// A non-negative float64 on the clock's grid, as a 96-bit integer, low word first.
pub type Fixed = [u32; 3];

/// The grid of a run: values are integers times 2^-`bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// L, the number of fractional bits.
    pub bits: i32,
}

impl Grid {
    /// The grid on which `fl(dt*i)` for i >= 1, `tref` and their rounded sums and differences
    /// all lie, checked to hold every value up to `horizon` seconds.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when values up to `horizon` would not fit 96 bits (a time step
    /// far smaller than the run: the CPU path has no such limit).
    pub fn new(dt: f64, tref: f64, horizon: f64) -> Result<Self> {
        let exponent = |x: f64| x.log2().floor() as i32;
        let smallest = if tref > 0.0 {
            exponent(dt).min(exponent(tref))
        } else {
            exponent(dt)
        };
        let bits = 52 - smallest;
        if horizon.log2() + f64::from(bits) >= 95.0 {
            return Err(Error::param(
                "dt",
                "the exact GPU refractory clock holds 96 bits: this T / dt is beyond it",
            ));
        }
        Ok(Self { bits })
    }

    /// `x` (>= 0, on the grid) as a fixed-point integer.
    ///
    /// # Panics
    /// Never for values of this run; debug builds check that `x` lies on the grid.
    pub fn fixed(&self, x: f64) -> Fixed {
        let scaled = x * 2f64.powi(self.bits);
        debug_assert!(
            scaled.fract() == 0.0 && scaled < 2f64.powi(96),
            "{x} off the grid"
        );
        let v = scaled as u128;
        [v as u32, (v >> 32) as u32, (v >> 64) as u32]
    }

    /// The float64 value of `a`.
    pub fn value(&self, a: Fixed) -> f64 {
        let v = u128::from(a[0]) | (u128::from(a[1]) << 32) | (u128::from(a[2]) << 64);
        v as f64 * 2f64.powi(-self.bits)
    }
}

/// a + b (no overflow: values stay below 2^95).
pub fn add(a: Fixed, b: Fixed) -> Fixed {
    let (w0, c0) = a[0].overflowing_add(b[0]);
    let (w1, c1a) = a[1].overflowing_add(b[1]);
    let (w1, c1b) = w1.overflowing_add(u32::from(c0));
    let w2 = a[2].wrapping_add(b[2]).wrapping_add(u32::from(c1a || c1b));
    [w0, w1, w2]
}

/// a - b for a >= b.
pub fn sub(a: Fixed, b: Fixed) -> Fixed {
    let (w0, b0) = a[0].overflowing_sub(b[0]);
    let (w1, b1a) = a[1].overflowing_sub(b[1]);
    let (w1, b1b) = w1.overflowing_sub(u32::from(b0));
    let w2 = a[2].wrapping_sub(b[2]).wrapping_sub(u32::from(b1a || b1b));
    [w0, w1, w2]
}

/// a < b.
pub fn less(a: Fixed, b: Fixed) -> bool {
    if a[2] != b[2] {
        return a[2] < b[2];
    }
    if a[1] != b[1] {
        return a[1] < b[1];
    }
    a[0] < b[0]
}

/// Index of the highest set bit, -1 for zero.
fn leading_bit(a: Fixed) -> i32 {
    for w in (0..3).rev() {
        if a[w] != 0 {
            return 32 * w as i32 + 31 - a[w].leading_zeros() as i32;
        }
    }
    -1
}

/// a >> r, r in 0..96.
fn shift_right(a: Fixed, r: u32) -> Fixed {
    let (q, s) = ((r / 32) as usize, r % 32);
    let word = |i: usize| if i < 3 { a[i] } else { 0 };
    let mut out = [0u32; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let lo = word(i + q);
        let hi = word(i + q + 1);
        *o = if s == 0 {
            lo
        } else {
            (lo >> s) | (hi << (32 - s))
        };
    }
    out
}

/// a << r, r in 0..96 (bits past 96 are lost).
fn shift_left(a: Fixed, r: u32) -> Fixed {
    let (q, s) = ((r / 32) as usize, r % 32);
    let word = |i: isize| {
        if (0..3).contains(&i) {
            a[i as usize]
        } else {
            0
        }
    };
    let mut out = [0u32; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let lo = word(i as isize - q as isize);
        let below = word(i as isize - q as isize - 1);
        *o = if s == 0 {
            lo
        } else {
            (lo << s) | (below >> (32 - s))
        };
    }
    out
}

/// `a` rounded to 53 significant bits, ties to even: float64's rounding of the exact value.
pub fn round53(a: Fixed) -> Fixed {
    let top = leading_bit(a);
    if top <= 52 {
        return a;
    }
    let r = (top - 52) as u32;
    let keep = shift_right(a, r);
    let dropped = sub(a, shift_left(keep, r));
    let half = shift_left([1, 0, 0], r - 1);
    let up = less(half, dropped) || (dropped == half && keep[0] & 1 == 1);
    let keep = if up { add(keep, [1, 0, 0]) } else { keep };
    shift_left(keep, r)
}

/// The reference program's `tlast += now - tlast` (both rounded as float64).
pub fn advance(tlast: Fixed, now: Fixed) -> Fixed {
    round53(add(tlast, round53(sub(now, tlast))))
}

/// `tlast + tref` rounded as float64: the time a step must exceed to leave refractoriness.
pub fn wake(tlast: Fixed, tref: Fixed) -> Fixed {
    round53(add(tlast, tref))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The integer clock gives float64's answers for the seed's operations on times of the
        /// form dt * step, with dt from 1e-6 to 1e-2 and runs up to 10^6 steps.
        #[test]
        fn fixed_clock_equals_float64(
            dt_mantissa in 1.0f64..10.0, dt_exp in -6i32..-2, tref_steps in 0.0f64..200.0,
            k1 in 0u64..1_000_000, gap in 0u64..1_000_000, ahead in 0u64..500,
        ) {
            let dt = dt_mantissa * 10f64.powi(dt_exp);
            let tref = (tref_steps * dt * 1e3).round() / 1e3;
            let k2 = k1 + gap;
            let grid = Grid::new(dt, tref, dt * (k2 + ahead + 2) as f64 + tref).unwrap();
            let t = |k: u64| dt * k as f64;
            for x in [t(k1), t(k2), t(k2 + ahead), tref] {
                prop_assert_eq!(grid.value(grid.fixed(x)), x, "{} on the grid", x);
            }
            // tlast as the seed makes it: from 0, one spike at k1, then one at k2.
            let tlast1 = 0.0 + (t(k1) - 0.0);
            let tlast2 = tlast1 + (t(k2) - tlast1);
            let f1 = advance(grid.fixed(0.0), grid.fixed(t(k1)));
            let f2 = advance(f1, grid.fixed(t(k2)));
            prop_assert_eq!(grid.value(f1), tlast1);
            prop_assert_eq!(grid.value(f2), tlast2);
            let limit = tlast2 + tref;
            let w = wake(f2, grid.fixed(tref));
            prop_assert_eq!(grid.value(w), limit);
            let i = k2 + ahead;
            prop_assert_eq!(less(w, grid.fixed(t(i))), t(i) > limit, "step {}", i);
        }
    }

    /// The seed's parameters (a refractory period of exactly 40 steps: every wake-up is a tie
    /// decided by rounding), a neuron spiking at irregular steps up to 2 x 10^6: the clock's
    /// wake-up steps are float64's.
    #[test]
    fn seed_parameters_wake_on_float64_steps() {
        let (dt, tref) = (0.00005, 0.002);
        let grid = Grid::new(dt, tref, 200.0).unwrap();
        let (mut tlast, mut fixed) = (0.0f64, grid.fixed(0.0));
        let mut k = 0u64;
        let mut ties = 0;
        for n in 0..20_000u64 {
            k += 41 + (n * 7919) % 97;
            let now = dt * k as f64;
            tlast += now - tlast;
            fixed = advance(fixed, grid.fixed(now));
            assert_eq!(grid.value(fixed), tlast, "tlast after the spike at {k}");
            let w = wake(fixed, grid.fixed(tref));
            for i in k + 38..k + 43 {
                let t = dt * i as f64;
                assert_eq!(
                    less(w, grid.fixed(t)),
                    t > tlast + tref,
                    "step {i} after {k}"
                );
            }
            ties += usize::from(dt * (k + 40) as f64 <= tlast + tref);
        }
        assert!(
            ties > 0,
            "some wake-ups fall a step later by rounding ({ties})"
        );
    }

    #[test]
    fn rounding_ties_go_to_even() {
        let grid = Grid { bits: 0 };
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        let x = (1u128 << 53) + 1;
        let a = [x as u32, (x >> 32) as u32, 0];
        assert_eq!(grid.value(round53(a)), 9_007_199_254_740_992.0);
        let y = (1u128 << 53) + 3;
        let b = [y as u32, (y >> 32) as u32, 0];
        assert_eq!(grid.value(round53(b)), 9_007_199_254_740_996.0);
    }
}
