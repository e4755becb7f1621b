//! Spectra of real signals with NumPy's conventions: `np.fft.rfft`, `np.fft.rfftfreq`,
//! amplitudes and phases, and the low-pass reconstruction of the seed's FFT question (zero the
//! bins above a cut-off, invert with `np.fft.irfft`).

use ndarray::ArrayView1;
use realfft::num_complex::Complex;

use crate::error::{Error, Result};
use crate::fft::cpu::real_plans as plans;

/// The one-sided spectrum of a real signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrum {
    /// `np.fft.rfftfreq(n, d)`: n / 2 + 1 frequencies.
    pub freqs: Vec<f64>,
    /// `np.fft.rfft(x)`: unnormalised, as NumPy returns it.
    pub bins: Vec<Complex<f64>>,
    /// The signal's length (the inverse needs it: n and n + 1 share a spectrum length).
    pub n: usize,
}

impl Spectrum {
    /// The spectrum of `x` sampled every `d` (seconds, or any unit; frequencies are 1 / unit).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for an empty signal; [`Error::InvalidParam`] for a spacing that is
    /// not positive and finite.
    pub fn of(x: ArrayView1<'_, f64>, d: f64) -> Result<Self> {
        if x.is_empty() {
            return Err(Error::EmptyInput("signal"));
        }
        if !(d.is_finite() && d > 0.0) {
            return Err(Error::param(
                "d",
                format!("{d}: the sample spacing must be positive"),
            ));
        }
        let n = x.len();
        let (forward, _) = plans(n);
        let mut input: Vec<f64> = x.iter().copied().collect();
        let mut bins = forward.make_output_vec();
        forward
            .process(&mut input, &mut bins)
            .expect("lengths from the plan");
        // np.fft.rfftfreq: k / (n d) for k = 0 ..= n / 2.
        let freqs = (0..bins.len()).map(|k| k as f64 / (n as f64 * d)).collect();
        Ok(Self { freqs, bins, n })
    }

    /// `np.abs(np.fft.fft(x)) / n` on the one-sided bins (the answer's correct normalisation in
    /// the seed question).
    pub fn amplitude_two_sided(&self) -> Vec<f64> {
        self.bins.iter().map(|b| b.norm() / self.n as f64).collect()
    }

    /// One-sided amplitudes: a sine of amplitude A on a bin reads A (twice the two-sided value,
    /// except at 0 and, for even n, at the Nyquist frequency, which have no twin).
    pub fn amplitude(&self) -> Vec<f64> {
        let last = self.bins.len() - 1;
        self.amplitude_two_sided()
            .into_iter()
            .enumerate()
            .map(|(k, a)| {
                let unpaired = k == 0 || (self.n.is_multiple_of(2) && k == last);
                if unpaired {
                    a
                } else {
                    2.0 * a
                }
            })
            .collect()
    }

    /// `np.angle` of each bin (radians).
    pub fn phase(&self) -> Vec<f64> {
        self.bins.iter().map(|b| b.arg()).collect()
    }

    /// `np.fft.irfft(bins, n)`: the signal back.
    pub fn inverse(&self) -> Vec<f64> {
        let (_, inverse) = plans(self.n);
        let mut bins = self.bins.clone();
        // The c2r transform needs exactly real DC and Nyquist bins (they are, from rfft; the
        // filter below only zeroes bins).
        bins[0].im = 0.0;
        if self.n.is_multiple_of(2) {
            let last = bins.len() - 1;
            bins[last].im = 0.0;
        }
        let mut out = inverse.make_output_vec();
        inverse
            .process(&mut bins, &mut out)
            .expect("lengths from the plan");
        let scale = 1.0 / self.n as f64;
        out.iter_mut().for_each(|x| *x *= scale);
        out
    }

    /// The seed's reconstruction: every bin above `cutoff` (in the frequencies' unit) set to 0,
    /// then inverted: an ideal low-pass filter.
    pub fn low_pass(&self, cutoff: f64) -> Vec<f64> {
        let mut kept = self.clone();
        for (b, &f) in kept.bins.iter_mut().zip(&self.freqs) {
            if f > cutoff {
                *b = Complex::new(0.0, 0.0);
            }
        }
        kept.inverse()
    }
}
