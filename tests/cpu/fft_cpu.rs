//! The FFT routers on the CPU against NumPy's values (tests/data/fft, made by
//! make_fft_fixtures.py): `n` cut and padded (prime and mixed-radix lengths), `axis`, `norm`,
//! real transforms of odd and even lengths, `fftn` with `s` and `axes`; and bad arguments.

use crate::common::{manifest, run_fft_case};
use gpusci::fft::{self, Complex, FftParams, Norm};
use gpusci::{Device, Error};

/// float64 against NumPy's pocketfft: both compute in float64 with different algorithms;
/// a few ulps of the data's norm (relative L2).
const FFT_F64_REL_L2: f64 = 1e-13;

/// ||a - b|| / ||b||.
fn relative_l2(a: &ndarray::ArrayD<Complex<f64>>, b: &ndarray::ArrayD<Complex<f64>>) -> f64 {
    assert_eq!(a.shape(), b.shape(), "shapes");
    let err: f64 = a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr()).sum();
    let norm: f64 = b.iter().map(|y| y.norm_sqr()).sum();
    (err / norm.max(f64::MIN_POSITIVE)).sqrt()
}

#[test]
fn routers_match_numpy_for_n_axis_norm_and_fftn() {
    let cases = manifest("fft")["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 16, "{} cases", cases.len());
    for case in &cases {
        let (got, expected) = run_fft_case(Device::Cpu, case, false);
        let err = relative_l2(&got, &expected);
        assert!(err < FFT_F64_REL_L2, "{}: {err:.2e}", case["name"]);
    }
}

#[test]
fn bad_fft_arguments_are_typed_errors() {
    let x = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[3, 4]), Complex::new(1.0f64, 0.0));
    let invalid = |result: Result<ndarray::ArrayD<Complex<f64>>, Error>, name: &str| match result {
        Err(Error::InvalidParam { name: got, .. }) => assert_eq!(got, name),
        other => panic!("expected an error on {name}, got {other:?}"),
    };
    invalid(
        fft::fft(
            Device::Cpu,
            x.view(),
            &FftParams::default().with_axis(2),
            false,
        ),
        "axis",
    );
    invalid(
        fft::fft(
            Device::Cpu,
            x.view(),
            &FftParams::default().with_n(0),
            false,
        ),
        "n",
    );
    invalid(
        fft::fftn(
            Device::Cpu,
            x.view(),
            Some(&[2, 3, 4]),
            Some(&[0, 1]),
            Norm::Backward,
            false,
        ),
        "s",
    );
    invalid(
        fft::fftn(
            Device::Cpu,
            x.view(),
            None,
            Some(&[1, 2]),
            Norm::Backward,
            false,
        ),
        "axis",
    );
    // A repeated axis is transformed twice, as NumPy: fft(fft(x)) along it.
    let twice = fft::fftn(
        Device::Cpu,
        x.view(),
        None,
        Some(&[1, -1]),
        Norm::Backward,
        false,
    )
    .unwrap();
    let once = fft::fft(Device::Cpu, x.view(), &FftParams::default(), false).unwrap();
    let again = fft::fft(Device::Cpu, once.view(), &FftParams::default(), false).unwrap();
    assert!(twice
        .iter()
        .zip(&again)
        .all(|(a, b)| (a - b).norm() < 1e-12));
    assert!(matches!(
        "sideways".parse::<Norm>(),
        Err(Error::InvalidParam { .. })
    ));
    let one_bin = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[1]), Complex::new(1.0f64, 0.0));
    assert!(matches!(
        fft::irfft(Device::Cpu, one_bin.view(), &FftParams::default()),
        Err(Error::InvalidParam { .. })
    ));
    let scalar = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), Complex::new(1.0f64, 0.0));
    invalid(
        fft::fft(Device::Cpu, scalar.view(), &FftParams::default(), false),
        "axis",
    );
    // Empty other axes: an empty result of the transformed shape, as NumPy.
    let empty = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[0, 5]), Complex::new(0.0f64, 0.0));
    let out = fft::fft(
        Device::Cpu,
        empty.view(),
        &FftParams::default().with_n(7),
        false,
    )
    .unwrap();
    assert_eq!(out.shape(), &[0, 7]);
}
