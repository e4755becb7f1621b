//! 1-D convolution, correlation and lags against NumPy and SciPy (tests/data/conv, made by
//! make_conv_fixtures.py), direct and through the FFT.

use gpusci::conv::{
    convolve, correlate, correlation_lags, fft_len, lag, np_convolve, Method, Mode,
};
use gpusci::Error;
use ndarray::Array1;

/// The CPU path (the reference the fixtures check).
const CPU: &gpusci::gpu::Executor = &gpusci::gpu::Executor::Cpu;

/// Direct sums in another order than NumPy's: a few float64 ulps of the terms' magnitude.
const DIRECT_TOL: f64 = 1e-12;
/// The FFT path's rounding grows with log2 of the length: about 1e-15 per level relative to
/// the largest output, well under this for the fixtures' sizes.
const FFT_TOL: f64 = 1e-10;

fn load(name: &str) -> Array1<f64> {
    crate::common::fixture("conv", name)
        .into_dimensionality::<ndarray::Ix1>()
        .unwrap()
}

fn manifest() -> serde_json::Value {
    crate::common::manifest("conv")
}

fn close(got: &Array1<f64>, expected: &Array1<f64>, tol: f64, what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in got.iter().zip(expected.iter()).enumerate() {
        assert!((a - b).abs() <= tol * scale, "{what}[{i}]: {a} vs {b}");
    }
}

#[test]
fn every_mode_matches_numpy_and_scipy() {
    let cases = manifest()["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 30);
    for case in &cases {
        let (tag, mode_name) = (
            case["tag"].as_str().unwrap(),
            case["mode"].as_str().unwrap(),
        );
        let mode: Mode = mode_name.parse().unwrap();
        let (a, v) = (load(&format!("a_{tag}")), load(&format!("v_{tag}")));
        for (method, tol) in [
            (Method::Direct, DIRECT_TOL),
            (Method::Fft, FFT_TOL),
            (Method::Auto, FFT_TOL),
        ] {
            let what = |f: &str| format!("{f} {tag} {mode_name} {method:?}");
            close(
                &np_convolve(CPU, a.view(), v.view(), mode, method).unwrap(),
                &load(&format!("np_convolve_{tag}_{mode_name}")),
                tol,
                &what("np.convolve"),
            );
            close(
                &convolve(CPU, a.view(), v.view(), mode, method).unwrap(),
                &load(&format!("convolve_{tag}_{mode_name}")),
                tol,
                &what("signal.convolve"),
            );
            close(
                &correlate(CPU, a.view(), v.view(), mode, method).unwrap(),
                &load(&format!("correlate_{tag}_{mode_name}")),
                tol,
                &what("signal.correlate"),
            );
        }
        let lags: Vec<i64> = load(&format!("lags_{tag}_{mode_name}"))
            .iter()
            .map(|&x| x as i64)
            .collect();
        let n: Vec<usize> = tag.split('_').map(|s| s.parse().unwrap()).collect();
        assert_eq!(
            correlation_lags(n[0], n[1], mode),
            lags,
            "lags {tag} {mode_name}"
        );
    }
}

#[test]
fn the_seed_lag_example_finds_the_shift() {
    let (y1, y2) = (load("lag_y1"), load("lag_y2"));
    let expected = manifest()["seed_lag"].as_i64().unwrap();
    for method in [Method::Direct, Method::Fft] {
        let found = lag(CPU, y1.view(), y2.view(), method).unwrap();
        assert_eq!(found.samples, expected, "{method:?}");
        assert!(
            (found.refined - expected as f64).abs() < 1.0,
            "refined {}",
            found.refined
        );
        assert!(
            found.pearson > 0.0 && found.pearson <= 1.0,
            "pearson {}",
            found.pearson
        );
    }
}

#[test]
fn lags_of_shifted_copies_unequal_lengths_and_negative() {
    let base: Vec<f64> = (0..500).map(|i| ((i * 7919) % 97) as f64 - 48.0).collect();
    let a = Array1::from(base[100..400].to_vec());
    // b starts 37 samples later in the same signal: b[i] = a[i + 37], so b leads a.
    let b = Array1::from(base[137..337].to_vec());
    let found = lag(CPU, a.view(), b.view(), Method::Auto).unwrap();
    assert_eq!(
        found.samples, 37,
        "b matches a shifted by 37 (unequal lengths)"
    );
    assert!(
        (found.pearson - 1.0).abs() < 1e-12,
        "identical overlap: Pearson 1"
    );
    let back = lag(CPU, b.view(), a.view(), Method::Auto).unwrap();
    assert_eq!(back.samples, -37, "the other way round: negative");
    // A sampled parabola peak between samples is found between them.
    let x: Array1<f64> = (0..64)
        .map(|i| -((i as f64 - 20.3) / 4.0).powi(2))
        .collect::<Vec<_>>()
        .into();
    let one = Array1::from(vec![1.0]);
    let sub = lag(CPU, x.view(), one.view(), Method::Direct).unwrap();
    assert_eq!(sub.samples, 20);
    assert!(
        (sub.refined - 20.3).abs() < 1e-9,
        "parabolic refinement {}",
        sub.refined
    );
}

#[test]
fn nan_stays_local_on_auto_and_bad_input_is_an_error() {
    let mut a = Array1::from_shape_fn(4000, |i| (i as f64 * 0.01).sin());
    a[1000] = f64::NAN;
    let v = Array1::from_shape_fn(600, |i| 1.0 / (1.0 + i as f64));
    let out = np_convolve(CPU, a.view(), v.view(), Mode::Full, Method::Auto).unwrap();
    let nan: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, x)| x.is_nan())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        nan,
        (1000..1600).collect::<Vec<_>>(),
        "NaN only under the kernel's footprint"
    );
    let empty = Array1::<f64>::zeros(0);
    assert!(matches!(
        np_convolve(CPU, empty.view(), v.view(), Mode::Full, Method::Auto),
        Err(Error::EmptyInput(_))
    ));
    assert!(matches!(
        lag(CPU, a.view(), v.view(), Method::Auto),
        Err(Error::InvalidParam { .. })
    ));
    assert!("sideways".parse::<Method>().is_err());
    assert_eq!(fft_len(1), 1);
    assert_eq!(fft_len(7), 8);
    assert_eq!(fft_len(11), 12);
    assert_eq!(fft_len(1025), 1080);
}

/// Long signals with short kernels go through overlap-add in parallel blocks: the same sums as
/// the direct path, NumPy's operand swap included.
#[test]
fn overlap_add_equals_the_direct_sums() {
    let a = Array1::from_shape_fn(150_001, |i| ((i * 7919) % 1009) as f64 / 1009.0 - 0.5);
    let v = Array1::from_shape_fn(1_500, |i| ((i * 104_729) % 113) as f64 / 113.0 - 0.5);
    for mode in [Mode::Full, Mode::Same, Mode::Valid] {
        let direct = np_convolve(CPU, a.view(), v.view(), mode, Method::Direct).unwrap();
        let fft = np_convolve(CPU, a.view(), v.view(), mode, Method::Fft).unwrap();
        close(&fft, &direct, FFT_TOL, &format!("overlap-add {mode:?}"));
        let swapped = np_convolve(CPU, v.view(), a.view(), mode, Method::Fft).unwrap();
        close(&swapped, &direct, FFT_TOL, &format!("swapped {mode:?}"));
    }
}

/// NumPy's FFTs and rustfft's differ by rounding that grows with log2 n: relative to the
/// largest bin, well under this for 4096 points.
const SPECTRUM_TOL: f64 = 1e-12;

#[test]
fn spectra_match_numpy_rfft_and_the_low_pass_reconstruction() {
    use gpusci::conv::spectrum::Spectrum;
    for case in manifest()["spectra"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let d = case["d"].as_f64().unwrap();
        let x = load(&format!("spec_x_{n}"));
        let spectrum = Spectrum::of(x.view(), d).unwrap();
        let re: Array1<f64> = spectrum.bins.iter().map(|b| b.re).collect();
        let im: Array1<f64> = spectrum.bins.iter().map(|b| b.im).collect();
        let scale = re
            .iter()
            .chain(im.iter())
            .fold(1.0f64, |m, v| m.max(v.abs()));
        for (got, want, what) in [
            (&re, load(&format!("spec_re_{n}")), "re"),
            (&im, load(&format!("spec_im_{n}")), "im"),
        ] {
            assert_eq!(got.len(), want.len(), "{n} {what}: n / 2 + 1 bins");
            assert!(
                got.iter()
                    .zip(want.iter())
                    .all(|(a, b)| (a - b).abs() <= SPECTRUM_TOL * scale),
                "{n}: rfft {what}"
            );
        }
        close(
            &Array1::from(spectrum.freqs.clone()),
            &load(&format!("spec_freqs_{n}")),
            1e-15,
            "rfftfreq",
        );
        close(
            &Array1::from(spectrum.low_pass(5.0)),
            &load(&format!("spec_lowpass_{n}")),
            1e-12,
            "low pass",
        );
        close(&Array1::from(spectrum.inverse()), &x, 1e-12, "round trip");
        // The 1.5-amplitude sine at 3 Hz reads 1.5 one-sided (10 s: bin 30).
        let amplitude = spectrum.amplitude();
        assert!(
            (amplitude[30] - 1.5).abs() < 0.02,
            "{n}: one-sided amplitude {}",
            amplitude[30]
        );
        assert!((spectrum.amplitude_two_sided()[30] - 0.75).abs() < 0.01);
        assert!(
            (spectrum.phase()[30] + std::f64::consts::FRAC_PI_2).abs() < 0.02,
            "a sine's phase is -pi/2"
        );
    }
    assert!(Spectrum::of(Array1::<f64>::zeros(0).view(), 1.0).is_err());
    assert!(Spectrum::of(Array1::<f64>::zeros(4).view(), 0.0).is_err());
}

fn load2(name: &str) -> ndarray::Array2<f64> {
    crate::common::fixture("conv", name)
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
}

/// 2-D `scipy.signal.convolve` / `correlate` in every mode, direct and FFT, against SciPy.
#[test]
fn two_dimensional_modes_match_scipy() {
    use gpusci::conv::two_d::{convolve_2d, correlate_2d};
    let exec = gpusci::Executor::Cpu;
    let cases = manifest()["cases_2d"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 18);
    for case in &cases {
        let (tag, mode_name) = (
            case["tag"].as_str().unwrap(),
            case["mode"].as_str().unwrap(),
        );
        let mode: Mode = mode_name.parse().unwrap();
        let (a, v) = (load2(&format!("a2_{tag}")), load2(&format!("v2_{tag}")));
        for (method, tol) in [
            (Method::Direct, DIRECT_TOL),
            (Method::Fft, FFT_TOL),
            (Method::Auto, FFT_TOL),
        ] {
            for (name, got) in [
                (
                    "convolve2",
                    convolve_2d(&exec, a.view(), v.view(), mode, method).unwrap(),
                ),
                (
                    "correlate2",
                    correlate_2d(&exec, a.view(), v.view(), mode, method).unwrap(),
                ),
            ] {
                let expected = load2(&format!("{name}_{tag}_{mode_name}"));
                let what = format!("{name} {tag} {mode_name} {method:?}");
                assert_eq!(got.dim(), expected.dim(), "{what}: shape");
                close(
                    &Array1::from_iter(got.iter().copied()),
                    &Array1::from_iter(expected.iter().copied()),
                    tol,
                    &what,
                );
            }
        }
    }
    let (wide, tall) = (ndarray::Array2::ones((3, 8)), ndarray::Array2::ones((5, 2)));
    assert!(matches!(
        convolve_2d(&exec, wide.view(), tall.view(), Mode::Valid, Method::Auto),
        Err(Error::ShapeMismatch { .. })
    ));
}
