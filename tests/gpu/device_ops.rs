//! Operations on device arrays against their CPU twins, on every adapter and storage: results
//! stay on the device, a chain submits without waiting, requests the GPU path refuses move to
//! the CPU with a note and come back to the device, and host calls through device arrays wait
//! once.

use crate::common::{assert_close, capture_cpu_notes, executor_on, for_each_adapter, Tol};
use gpusci::array::{DType, DeviceArray, Storage};
use gpusci::conv::device::{convolve_device, correlate_device};
use gpusci::conv::{self, Method, Mode};
use gpusci::gpu::Arith;
use gpusci::{Device, GpuContext};
use ndarray::{Array1, Array2, ArrayD};
use rand::{Rng, SeedableRng};

/// float32 convolution against the float64 CPU, relative to the bound of every output
/// (max|a| sum|v|, the larger way round): as conv_gpu.rs's GPU_CONV_REL (inputs' rounding
/// plus sqrt(k) ulps for the direct sum, log2 L for the FFT).
const CONV_F32_REL: f64 = 2e-6;

/// float64 convolution (native or double-float) against the float64 CPU, relative to the same
/// bound: as precision.rs's CONV_F64_REL (k roundings at 2^-47 at worst).
const CONV_F64_REL: f64 = 1e-13;

/// irfft(rfft(x)) of samples in (-1, 1) at float64 accuracy (native or double-float): 2
/// log2(n) roundings of 2^-47 relative to sums of at most n terms (precision.rs's FFT bound,
/// 2e-15 (log2 n + 1), times n = 1024 terms of magnitude below 1).
const ROUND_TRIP_F64_ABS: f64 = 1e-12;

/// A float32 FFT of 1024 points of magnitude below 1.5 against the float64 CPU: outputs up to
/// 1536, rounded about log2(1024) times at 6e-8 relative (1e-3), with a factor 10 of room.
const FFT_F32_ABS: f32 = 1e-2;

fn random(n: usize, seed: u64) -> Array1<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array1::from_shape_simple_fn(n, || rng.random_range(-1.0..1.0))
}

fn scale(a: &Array1<f64>, v: &Array1<f64>) -> f64 {
    let max = |x: &Array1<f64>| x.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    let sum = |x: &Array1<f64>| x.iter().map(|y| y.abs()).sum::<f64>();
    (max(a) * sum(v))
        .max(max(v) * sum(a))
        .max(f64::MIN_POSITIVE)
}

/// Every (dtype, arithmetic) a real device array can take on `ctx`.
fn storages(ctx: &GpuContext) -> Vec<(DType, Arith)> {
    let mut out = vec![
        (DType::Float32, Arith::Single),
        (DType::Float64, Arith::Single),
        (DType::Float64, Arith::DoubleFloat),
    ];
    if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
        out.push((DType::Float64, Arith::Native64));
    }
    out
}

fn upload(ctx: &GpuContext, x: &Array1<f64>, (dtype, arith): (DType, Arith)) -> DeviceArray {
    match dtype {
        DType::Float32 => DeviceArray::from_host(ctx, x.mapv(|v| v as f32).view(), arith),
        _ => DeviceArray::from_host(ctx, x.view(), arith),
    }
    .expect("upload")
}

/// The values of a real device array, as float64.
fn download(array: &DeviceArray) -> ArrayD<f64> {
    match array.dtype() {
        DType::Float32 => array.to_host::<f32>().expect("read").mapv(f64::from),
        _ => array.to_host::<f64>().expect("read"),
    }
}

/// What the device computed from float32 copies of the inputs is compared with the CPU on the
/// same rounded inputs.
fn as_stored(x: &Array1<f64>, (dtype, arith): (DType, Arith)) -> Array1<f64> {
    if dtype == DType::Float32 || arith == Arith::Single {
        x.mapv(|v| f64::from(v as f32))
    } else {
        x.clone()
    }
}

#[test]
fn device_convolutions_match_the_cpu_in_every_mode_and_storage() {
    for_each_adapter(
        "device_convolutions_match_the_cpu_in_every_mode_and_storage",
        |ctx| {
            let sizes = [(1, 1), (1, 7), (7, 1), (37, 5), (300, 100), (1000, 257)];
            for storage in storages(ctx) {
                for (case, &(n1, n2)) in sizes.iter().enumerate() {
                    let (a, v) = (random(n1, case as u64), random(n2, 100 + case as u64));
                    let (x, y) = (upload(ctx, &a, storage), upload(ctx, &v, storage));
                    let (ra, rv) = (as_stored(&a, storage), as_stored(&v, storage));
                    let rel = if storage.1 == Arith::Single {
                        CONV_F32_REL
                    } else {
                        CONV_F64_REL
                    };
                    let tol = Tol {
                        abs: rel * scale(&ra, &rv),
                        rel: 0.0,
                    };
                    for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                        for method in [Method::Direct, Method::Fft, Method::Auto] {
                            let what = format!("{storage:?} {n1}x{n2} {mode:?} {method:?}");
                            let got = convolve_device(&x, &y, mode, method).expect("convolve");
                            assert_eq!(got.dtype(), storage.0, "{what}: dtype");
                            let want =
                                conv::convolve(Device::Cpu, ra.view(), rv.view(), mode, method)
                                    .expect("cpu");
                            assert_eq!(got.shape(), want.shape(), "{what}: shape");
                            assert_close(download(&got).view(), want.into_dyn().view(), tol, &what);

                            let got = correlate_device(&x, &y, mode, method).expect("correlate");
                            let want =
                                conv::correlate(Device::Cpu, ra.view(), rv.view(), mode, method)
                                    .expect("cpu");
                            let what = format!("correlate {what}");
                            assert_close(download(&got).view(), want.into_dyn().view(), tol, &what);
                        }
                    }
                }
            }
        },
    );
}

#[test]
fn a_chain_of_device_convolutions_submits_without_waiting() {
    for_each_adapter(
        "a_chain_of_device_convolutions_submits_without_waiting",
        |ctx| {
            let (a, v) = (random(5000, 1), random(300, 2));
            let x = upload(ctx, &a, (DType::Float64, Arith::DoubleFloat));
            let y = upload(ctx, &v, (DType::Float64, Arith::DoubleFloat));
            ctx.reset_stats();
            let once = correlate_device(&x, &y, Mode::Same, Method::Fft).expect("correlate");
            let twice = convolve_device(&once, &y, Mode::Same, Method::Direct).expect("convolve");
            let stats = ctx.reset_stats();
            assert_eq!(stats.waits, 0, "nothing waited for: {stats:?}");
            assert_eq!(stats.uploaded_bytes, 0, "no data moved: {stats:?}");
            assert_eq!(stats.downloaded_bytes, 0, "no data moved: {stats:?}");
            assert!(matches!(twice.storage(), Storage::DoubleFloat { .. }));
            let got = download(&twice);
            let cpu_once =
                conv::correlate(Device::Cpu, a.view(), v.view(), Mode::Same, Method::Fft)
                    .expect("cpu");
            let want = conv::convolve(
                Device::Cpu,
                cpu_once.view(),
                v.view(),
                Mode::Same,
                Method::Direct,
            )
            .expect("cpu");
            let bound = scale(&cpu_once, &v).max(scale(&a, &v));
            assert_close(
                got.view(),
                want.into_dyn().view(),
                Tol {
                    abs: CONV_F64_REL * bound * 2.0,
                    rel: 0.0,
                },
                "correlate then convolve",
            );
        },
    );
}

#[test]
fn device_convolutions_the_gpu_refuses_run_on_the_cpu_and_stay_on_the_device() {
    for_each_adapter(
        "device_convolutions_the_gpu_refuses_run_on_the_cpu_and_stay_on_the_device",
        |ctx| {
            let (a, v) = (random(40, 3), random(9, 4));
            // Mixed storages: float32 with double-float.
            let x = upload(ctx, &a, (DType::Float32, Arith::Single));
            let y = upload(ctx, &v, (DType::Float64, Arith::DoubleFloat));
            let (got, notes) =
                capture_cpu_notes(|| convolve_device(&x, &y, Mode::Full, Method::Auto));
            let got = got.expect("convolve");
            assert!(
                notes.iter().any(|n| n.contains("different arithmetics")),
                "{notes:?}"
            );
            assert_eq!(got.dtype(), DType::Float64, "promoted as NumPy");
            assert!(got.gpu().same(ctx), "back on the device");
            let want = conv::convolve(
                Device::Cpu,
                as_stored(&a, (DType::Float32, Arith::Single)).view(),
                v.view(),
                Mode::Full,
                Method::Auto,
            )
            .expect("cpu");
            assert_close(
                download(&got).view(),
                want.into_dyn().view(),
                Tol {
                    abs: CONV_F64_REL * scale(&a, &v),
                    rel: 0.0,
                },
                "mixed storages",
            );

            // Bad input is refused, not moved.
            let complex = ndarray::Array1::from_elem(4, num_complex::Complex::<f32>::new(1.0, 0.0));
            let c = DeviceArray::from_host(ctx, complex.view(), Arith::Single).expect("up");
            assert!(matches!(
                convolve_device(&c, &c, Mode::Full, Method::Auto),
                Err(gpusci::Error::InvalidParam { .. })
            ));
            let empty = DeviceArray::from_host(ctx, Array1::<f32>::zeros(0).view(), Arith::Single)
                .expect("up");
            let one = upload(ctx, &random(3, 5), (DType::Float32, Arith::Single));
            assert!(matches!(
                convolve_device(&empty, &one, Mode::Full, Method::Auto),
                Err(gpusci::Error::EmptyInput(_))
            ));
        },
    );
}

/// A 2-D float64 array of `shape` with values in (-1, 1).
fn random_2d(shape: (usize, usize), seed: u64) -> Array2<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_simple_fn(shape, || rng.random_range(-1.0..1.0))
}

fn upload_2d(ctx: &GpuContext, x: &Array2<f64>, (dtype, arith): (DType, Arith)) -> DeviceArray {
    match dtype {
        DType::Float32 => DeviceArray::from_host(ctx, x.mapv(|v| v as f32).view(), arith),
        _ => DeviceArray::from_host(ctx, x.view(), arith),
    }
    .expect("upload")
}

/// 2-D convolutions and correlations of device arrays, recorded on the device (zero padding
/// and the correlation's turn included), in every storage, mode and method, either operand
/// the larger, against the float64 CPU on the same rounded inputs.
#[test]
fn device_2d_convolutions_match_the_cpu_in_every_mode_and_storage() {
    for_each_adapter(
        "device_2d_convolutions_match_the_cpu_in_every_mode_and_storage",
        |ctx| {
            let shapes = [
                ((1, 1), (1, 1)),
                ((12, 9), (3, 4)),
                ((5, 7), (9, 11)),
                ((33, 17), (6, 5)),
            ];
            for storage in storages(ctx) {
                for (case, &(s1, s2)) in shapes.iter().enumerate() {
                    let (a, v) = (random_2d(s1, case as u64), random_2d(s2, 50 + case as u64));
                    let (x, y) = (upload_2d(ctx, &a, storage), upload_2d(ctx, &v, storage));
                    let stored = |m: &Array2<f64>| {
                        if storage.0 == DType::Float32 || storage.1 == Arith::Single {
                            m.mapv(|v| f64::from(v as f32))
                        } else {
                            m.clone()
                        }
                    };
                    let (ra, rv) = (stored(&a), stored(&v));
                    let flat = |m: &Array2<f64>| Array1::from_iter(m.iter().copied());
                    let rel = if storage.1 == Arith::Single {
                        CONV_F32_REL
                    } else {
                        CONV_F64_REL
                    };
                    let tol = Tol {
                        abs: rel * scale(&flat(&ra), &flat(&rv)),
                        rel: 0.0,
                    };
                    for mode in [Mode::Full, Mode::Same, Mode::Valid] {
                        for method in [Method::Direct, Method::Fft, Method::Auto] {
                            let what = format!("2-D {storage:?} {s1:?}x{s2:?} {mode:?} {method:?}");
                            let cpu = Device::Cpu;
                            let want =
                                conv::two_d::convolve_2d(cpu, ra.view(), rv.view(), mode, method);
                            let (got, notes) =
                                capture_cpu_notes(|| convolve_device(&x, &y, mode, method));
                            let Ok(want) = want else {
                                // valid with neither input the larger: both refuse.
                                assert!(got.is_err(), "{what}: an error, as the CPU's");
                                continue;
                            };
                            let got = got.expect("convolve");
                            assert!(notes.is_empty(), "{what}: on the device, not {notes:?}");
                            assert_eq!(got.dtype(), storage.0, "{what}: dtype");
                            assert_eq!(got.shape(), want.shape(), "{what}: shape");
                            assert_close(download(&got).view(), want.into_dyn().view(), tol, &what);

                            let got = correlate_device(&x, &y, mode, method).expect("correlate");
                            let want =
                                conv::two_d::correlate_2d(cpu, ra.view(), rv.view(), mode, method)
                                    .expect("cpu");
                            let what = format!("correlate {what}");
                            assert_close(download(&got).view(), want.into_dyn().view(), tol, &what);
                        }
                    }
                }
            }
        },
    );
}

/// 2-D device arrays past a 64 KiB binding move to the CPU with a note and come back to the
/// device; the host path's blocks (each uploaded as a device array) match the CPU too.
#[test]
fn device_2d_convolutions_past_one_binding_run_on_the_cpu_with_a_note() {
    crate::common::for_each_adapter_with_limits(
        "device_2d_convolutions_past_one_binding_run_on_the_cpu_with_a_note",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            let (a, v) = (random_2d((150, 120), 7), random_2d((5, 4), 8));
            let storage = (DType::Float64, Arith::DoubleFloat);
            let (x, y) = (upload_2d(ctx, &a, storage), upload_2d(ctx, &v, storage));
            let (got, notes) =
                capture_cpu_notes(|| convolve_device(&x, &y, Mode::Same, Method::Direct));
            let got = got.expect("convolve");
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains("past one GPU storage binding")),
                "{notes:?}"
            );
            assert!(got.gpu().same(ctx), "back on the device");
            let cpu = Device::Cpu;
            let want =
                conv::two_d::convolve_2d(cpu, a.view(), v.view(), Mode::Same, Method::Direct)
                    .expect("cpu");
            let flat = |m: &Array2<f64>| Array1::from_iter(m.iter().copied());
            let tol = Tol {
                abs: CONV_F64_REL * scale(&flat(&a), &flat(&v)),
                rel: 0.0,
            };
            assert_close(
                download(&got).view(),
                want.view().into_dyn(),
                tol,
                "2-D past a binding",
            );
            let exec = executor_on(ctx).with_precision(gpusci::Precision::Double);
            for method in [Method::Direct, Method::Fft] {
                let host = conv::two_d::correlate_2d(exec, a.view(), v.view(), Mode::Full, method)
                    .expect("host blocks");
                let want = conv::two_d::correlate_2d(cpu, a.view(), v.view(), Mode::Full, method)
                    .expect("cpu");
                assert_close(
                    host.view(),
                    want.view(),
                    tol,
                    &format!("host blocks {method:?}"),
                );
            }
        },
    );
}

#[test]
fn a_warm_host_convolution_and_lag_wait_once() {
    for_each_adapter("a_warm_host_convolution_and_lag_wait_once", |ctx| {
        let device = executor_on(ctx);
        let (a, v) = (random(20_000, 6), random(513, 7));
        for method in [Method::Direct, Method::Fft] {
            conv::convolve(device, a.view(), v.view(), Mode::Same, method).expect("first");
            ctx.reset_stats();
            let got = conv::convolve(device, a.view(), v.view(), Mode::Same, method).expect("warm");
            let stats = ctx.reset_stats();
            assert_eq!(stats.waits, 1, "{method:?}: one wait: {stats:?}");
            assert_eq!(stats.buffers_created, 0, "{method:?}: pooled: {stats:?}");
            assert_eq!(
                stats.downloaded_bytes,
                (got.len() * 8) as u64,
                "{method:?}: only the result comes back (float64 bits or double-float pairs): {stats:?}"
            );
            let want =
                conv::convolve(Device::Cpu, a.view(), v.view(), Mode::Same, method).expect("cpu");
            assert_close(
                got.view(),
                want.view(),
                Tol {
                    abs: CONV_F64_REL * scale(&a, &v),
                    rel: 0.0,
                },
                "host convolution through device arrays",
            );
        }
        let b = Array1::from_shape_fn(a.len(), |i| if i >= 40 { a[i - 40] } else { 0.0 });
        conv::lag(device, b.view(), a.view(), Method::Auto).expect("first lag");
        ctx.reset_stats();
        let found = conv::lag(device, b.view(), a.view(), Method::Auto).expect("lag");
        let stats = ctx.reset_stats();
        assert_eq!(found.samples, 40);
        assert_eq!(stats.waits, 1, "lag: one wait: {stats:?}");
    });
}

#[test]
fn device_rolling_means_match_the_cpu_with_nan_and_infinities() {
    use gpusci::signal::{rolling_mean, rolling_mean_device, ConvMode, RollingParams};
    for_each_adapter(
        "device_rolling_means_match_the_cpu_with_nan_and_infinities",
        |ctx| {
            for storage in storages(ctx) {
                for &(n, k) in &[(1usize, 1usize), (5, 9), (300, 20), (1000, 257)] {
                    let mut x = random(n, (n + k) as u64);
                    if n > 100 {
                        x[50] = f64::NAN;
                        x[120] = f64::INFINITY;
                        x[200] = f64::NEG_INFINITY;
                        x[205] = f64::INFINITY;
                    }
                    let device = upload(ctx, &x, storage);
                    // float32 input is widened to float64 (NumPy's result); only a float64
                    // array stored in float32 sums in float32.
                    let rel = if storage == (DType::Float64, Arith::Single) {
                        CONV_F32_REL
                    } else {
                        CONV_F64_REL
                    };
                    for mode in [ConvMode::Full, ConvMode::Same, ConvMode::Valid] {
                        let params = RollingParams::new(k).with_mode(mode);
                        let what = format!("{storage:?} n={n} k={k} {mode:?}");
                        let got = rolling_mean_device(&device, &params).expect("rolling");
                        assert_eq!(got.dtype(), DType::Float64, "{what}: NumPy's float64");
                        let want =
                            rolling_mean(Device::Cpu, as_stored(&x, storage).view(), &params)
                                .expect("cpu");
                        let got = download(&got);
                        assert_eq!(got.len(), want.len(), "{what}: length");
                        for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
                            let same = if w.is_finite() {
                                (g - w).abs() <= rel * 2.0
                            } else {
                                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan())
                            };
                            assert!(same, "{what}: output {i} is {g}, the CPU's {w}");
                        }
                    }
                }
            }
            // omit moves to the CPU with a note and stays on the device.
            let x = random(64, 9);
            let device = upload(ctx, &x, (DType::Float64, Arith::DoubleFloat));
            let params = RollingParams::new(4).with_omit(2);
            let (got, notes) = capture_cpu_notes(|| rolling_mean_device(&device, &params));
            let got = got.expect("omit");
            assert!(notes.iter().any(|n| n.contains("omit")), "{notes:?}");
            let want = rolling_mean(Device::Cpu, x.view(), &params).expect("cpu");
            assert_close(
                download(&got).view(),
                want.into_dyn().view(),
                Tol {
                    abs: 1e-13,
                    rel: 1e-13,
                },
                "omit on the CPU",
            );
            assert!(rolling_mean_device(&device, &RollingParams::new(0)).is_err());
            // A window past the device's direct sum runs on the CPU, with a note.
            let long = random(6000, 10);
            let device = upload(ctx, &long, (DType::Float64, Arith::DoubleFloat));
            let params = RollingParams::new(gpusci::signal::rolling::MAX_DEVICE_WINDOW + 1);
            let (got, notes) = capture_cpu_notes(|| rolling_mean_device(&device, &params));
            assert!(notes.iter().any(|n| n.contains("direct sum")), "{notes:?}");
            let want = rolling_mean(Device::Cpu, long.view(), &params).expect("cpu");
            assert_close(
                download(&got.expect("long window")).view(),
                want.into_dyn().view(),
                Tol {
                    abs: 1e-13,
                    rel: 1e-13,
                },
                "a long window on the CPU",
            );
        },
    );
}

#[test]
fn warm_host_rolling_means_and_crossings_move_only_their_data() {
    use gpusci::signal::{crossings, rolling_mean, CrossingParams, RollingParams};
    for_each_adapter(
        "warm_host_rolling_means_and_crossings_move_only_their_data",
        |ctx| {
            let device = executor_on(ctx);
            let x = Array1::from_shape_fn(10_000, |i| (i as f64 * 0.01).sin());
            let params = RollingParams::new(20);
            rolling_mean(device, x.view(), &params).expect("first");
            ctx.reset_stats();
            let got = rolling_mean(device, x.view(), &params).expect("warm");
            let stats = ctx.reset_stats();
            assert_eq!(stats.waits, 1, "rolling mean: one wait: {stats:?}");
            assert_eq!(stats.uploaded_bytes, 80_000, "its samples: {stats:?}");
            assert_eq!(
                stats.downloaded_bytes,
                (got.len() * 8) as u64,
                "its sums only (no counts without omit): {stats:?}"
            );
            let threshold = CrossingParams::new(0.5);
            let want = crossings(Device::Cpu, x.view(), &threshold).expect("cpu");
            crossings(device, x.view(), &threshold).expect("first");
            ctx.reset_stats();
            let got = crossings(device, x.view(), &threshold).expect("warm");
            let stats = ctx.reset_stats();
            assert_eq!(got, want, "the CPU's events");
            assert_eq!(
                stats.waits, 2,
                "crossings: the counts, then the events: {stats:?}"
            );
            assert_eq!(stats.buffers_created, 0, "pooled: {stats:?}");
        },
    );
}

#[test]
fn a_warm_heatmap_of_points_waits_once_and_reports_like_the_cpu() {
    use gpusci::heatmap::{heatmap, HeatmapParams, Scale};
    let mut points = crate::common::top_left_points();
    points.x[3] = f64::NAN;
    points.x[4] = 7.0;
    let params = HeatmapParams {
        width: 64,
        height: 48,
        range: Some([[0.0, 0.5], [0.5, 1.0]]),
        sigma: 1.0,
        scale: Scale::Log,
        ..HeatmapParams::default()
    };
    let cpu = heatmap(Device::Cpu, &points, &params).expect("cpu");
    for_each_adapter(
        "a_warm_heatmap_of_points_waits_once_and_reports_like_the_cpu",
        |ctx| {
            let device = executor_on(ctx);
            heatmap(device, &points, &params).expect("first");
            ctx.reset_stats();
            let got = heatmap(device, &points, &params).expect("warm");
            let stats = ctx.reset_stats();
            assert_eq!(
                stats.waits, 1,
                "binning, drawing and report: one wait: {stats:?}"
            );
            assert!(
                stats.submits <= 2,
                "the points' chunk, then the drawing: {stats:?}"
            );
            assert_eq!(
                stats.downloaded_bytes,
                (64 * 48 * 4 + 8) as u64,
                "the image and the report's two counts: {stats:?}"
            );
            assert_eq!(
                (got.used, got.out_of_range, got.non_finite),
                (cpu.used, cpu.out_of_range, cpu.non_finite),
                "the CPU's report"
            );
            let differing = levels_apart(&got.rgba, &cpu.rgba);
            assert_eq!(
                differing, 0,
                "the CPU's picture (float32 blur: within 2 levels)"
            );
        },
    );
}

/// Colour channels of two pictures more than 2 levels apart (a float32 blur against the
/// float64 CPU moves a pixel across at most one colormap entry).
fn levels_apart(a: &[u8], b: &[u8]) -> usize {
    assert_eq!(a.len(), b.len(), "pictures of one size");
    a.iter().zip(b).filter(|(x, y)| x.abs_diff(**y) > 2).count()
}

/// Points for the histogram tests: clustered, with duplicates on edges, and (with `odd`) NaN,
/// infinities and a point far outside.
fn scatter(n: usize, seed: u64, odd: bool) -> (Array1<f64>, Array1<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x = Array1::from_shape_simple_fn(n, || rng.random_range(-2.0..3.0));
    let mut y = Array1::from_shape_simple_fn(n, || rng.random_range(0.0f64..1.0).powi(3));
    if n > 10 {
        x[0] = 3.0;
        y[1] = 0.0;
        x[2] = -2.0;
    }
    if odd && n > 10 {
        x[3] = f64::NAN;
        y[4] = f64::INFINITY;
        x[5] = 1e300;
        y[6] = -1e-300;
    }
    (x, y)
}

/// The CPU's (NumPy's) histogram of float32 points: float32 automatic edges.
fn cpu_histogram_of_float32(
    x: &Array1<f32>,
    y: &Array1<f32>,
    params: &gpusci::density::DensityParams,
) -> gpusci::density::Histogram {
    use gpusci::density::{histogram2d, PointType};
    let (x, y) = (x.mapv(f64::from), y.mapv(f64::from));
    let plan = params
        .plan(x.view(), y.view(), PointType::F32)
        .expect("plan");
    histogram2d(Device::Cpu, x.view(), y.view(), None, &plan).expect("cpu")
}

#[track_caller]
fn same_histogram(
    got: &gpusci::density::device::DeviceHistogram,
    want: &gpusci::density::Histogram,
    what: &str,
) {
    assert_eq!(got.x_edges, want.x_edges, "{what}: x edges");
    assert_eq!(got.y_edges, want.y_edges, "{what}: y edges");
    assert_eq!(got.grid.dtype(), DType::Float64, "{what}: float64 as NumPy");
    assert_eq!(
        got.grid.shape(),
        &[want.values.nrows(), want.values.ncols()],
        "{what}: shape"
    );
    let grid = got.grid.to_host::<f64>().expect("grid");
    assert_eq!(
        grid,
        want.values.clone().into_dyn(),
        "{what}: counts exactly as NumPy's"
    );
    assert_eq!(
        got.report().expect("report"),
        [want.used, want.out_of_range, want.non_finite],
        "{what}: report"
    );
}

#[test]
fn device_histograms_count_exactly_as_the_cpu() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::density::{histogram2d, DensityParams, PointType};
    crate::common::for_each_adapter_with_limits(
        "device_histograms_count_exactly_as_the_cpu",
        // Points past one binding in a few chunks: 4096 points of 16 bytes a chunk.
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            let f64_native = ctx.device().features().contains(wgpu::Features::SHADER_F64);
            for &n in &[0usize, 1, 17, 10_007] {
                for odd in [false, true] {
                    let (x, y) = scatter(n, n as u64 + u64::from(odd), odd);
                    for params in [
                        DensityParams::new(13, 7).with_range([-2.0, 3.0], [0.0, 1.0]),
                        DensityParams::new(64, 33),
                    ] {
                        let auto_range = params.range.is_none();
                        if auto_range && odd && n > 10 {
                            // NumPy refuses a NaN or infinite automatic range; so does this.
                            let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
                            let dx =
                                DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up");
                            let dy =
                                DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up");
                            assert!(matches!(
                                histogram2d_device(&dx, &dy, None, &params),
                                Err(gpusci::Error::InvalidParam { .. })
                            ));
                            continue;
                        }
                        // float32 points, widened on the device (NumPy's float32 edges).
                        let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
                        let want = cpu_histogram_of_float32(&x32, &y32, &params);
                        let (dx, dy) = (
                            DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up"),
                            DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up"),
                        );
                        let got = histogram2d_device(&dx, &dy, None, &params).expect("float32");
                        same_histogram(
                            &got,
                            &want,
                            &format!("float32 n={n} odd={odd} auto={auto_range}"),
                        );

                        let plan = params
                            .plan(x.view(), y.view(), PointType::F64)
                            .expect("plan");
                        let want =
                            histogram2d(Device::Cpu, x.view(), y.view(), None, &plan).expect("cpu");
                        if f64_native {
                            let (dx, dy) = (
                                DeviceArray::from_host(ctx, x.view(), Arith::Native64).expect("up"),
                                DeviceArray::from_host(ctx, y.view(), Arith::Native64).expect("up"),
                            );
                            let (got, notes) =
                                capture_cpu_notes(|| histogram2d_device(&dx, &dy, None, &params));
                            assert!(notes.is_empty(), "binned on the device: {notes:?}");
                            same_histogram(
                                &got.expect("float64"),
                                &want,
                                &format!("float64 n={n} odd={odd} auto={auto_range}"),
                            );
                        }
                        // double-float points are binned on the CPU, with a note.
                        if !odd {
                            let (dx, dy) = (
                                DeviceArray::from_host(ctx, x.view(), Arith::DoubleFloat)
                                    .expect("up"),
                                DeviceArray::from_host(ctx, y.view(), Arith::DoubleFloat)
                                    .expect("up"),
                            );
                            let (got, notes) =
                                capture_cpu_notes(|| histogram2d_device(&dx, &dy, None, &params));
                            let got = got.expect("double-float");
                            assert!(
                                notes.iter().any(|n| n.contains("double-float")),
                                "{notes:?}"
                            );
                            // The CPU bins the values double-float holds (within 2^-48 of
                            // the points): the same counts for these points away from edges
                            // is not guaranteed, so only the report and shape are compared.
                            assert_eq!(got.report().expect("report")[0] as usize, n);
                            assert_eq!(
                                got.grid.shape(),
                                &[want.values.nrows(), want.values.ncols()]
                            );
                        }
                    }
                }
            }
        },
    );
}

#[test]
fn a_device_histogram_with_a_range_returns_without_waiting() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::density::DensityParams;
    for_each_adapter(
        "a_device_histogram_with_a_range_returns_without_waiting",
        |ctx| {
            let (x, y) = scatter(100_000, 3, false);
            let (x, y) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
            let dx = DeviceArray::from_host(ctx, x.view(), Arith::Single).expect("up");
            let dy = DeviceArray::from_host(ctx, y.view(), Arith::Single).expect("up");
            let params = DensityParams::new(100, 100).with_range([-2.0, 3.0], [0.0, 1.0]);
            histogram2d_device(&dx, &dy, None, &params).expect("first");
            ctx.reset_stats();
            let got = histogram2d_device(&dx, &dy, None, &params).expect("warm");
            let stats = ctx.reset_stats();
            assert_eq!(stats.waits, 0, "nothing waited for: {stats:?}");
            assert_eq!(
                stats.uploaded_bytes, 0,
                "the points are on the device: {stats:?}"
            );
            assert_eq!(stats.downloaded_bytes, 0, "the grid stays there: {stats:?}");
            let total: f64 = got.grid.to_host::<f64>().expect("grid").sum();
            assert_eq!(total, 100_000.0, "every point counted once");
        },
    );
}

#[test]
fn float32_subnormals_zeros_and_infinities_widen_exactly() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::density::DensityParams;
    let tiny = f32::from_bits(1); // the smallest subnormal
    let x = ndarray::array![
        tiny,
        -tiny,
        f32::from_bits(0x007f_ffff),
        -0.0f32,
        0.0,
        1e-39,
        -3e-39,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1.2e-38,
        f32::MIN_POSITIVE
    ];
    let y = ndarray::Array1::from_elem(x.len(), 0.5f32);
    let params = DensityParams::new(16, 1).with_range([-1.2e-38, 1.2e-38], [0.0, 1.0]);
    let want = cpu_histogram_of_float32(&x, &y, &params);
    for_each_adapter(
        "float32_subnormals_zeros_and_infinities_widen_exactly",
        |ctx| {
            let dx = DeviceArray::from_host(ctx, x.view(), Arith::Single).expect("up");
            let dy = DeviceArray::from_host(ctx, y.view(), Arith::Single).expect("up");
            let got = histogram2d_device(&dx, &dy, None, &params).expect("histogram");
            same_histogram(&got, &want, "float32 specials");
        },
    );
}

#[test]
fn heatmaps_of_device_points_draw_like_the_cpu_with_one_wait() {
    use gpusci::heatmap::{heatmap, heatmap_device, HeatmapParams, Scale};
    let points = crate::common::top_left_points();
    let points32 = gpusci::io::Points {
        x: points.x.mapv(|v| f64::from(v as f32)),
        y: points.y.mapv(|v| f64::from(v as f32)),
        weights: None,
        kind: gpusci::density::PointType::F32,
    };
    for_each_adapter(
        "heatmaps_of_device_points_draw_like_the_cpu_with_one_wait",
        |ctx| {
            for range in [Some([[0.0, 0.5], [0.5, 1.0]]), None] {
                let params = HeatmapParams {
                    width: 40,
                    height: 30,
                    range,
                    sigma: 1.0,
                    scale: Scale::Log,
                    ..HeatmapParams::default()
                };
                let cpu = heatmap(Device::Cpu, &points32, &params).expect("cpu");
                let dx =
                    DeviceArray::from_host(ctx, points.x.mapv(|v| v as f32).view(), Arith::Single)
                        .expect("up");
                let dy =
                    DeviceArray::from_host(ctx, points.y.mapv(|v| v as f32).view(), Arith::Single)
                        .expect("up");
                heatmap_device(&dx, &dy, &params).expect("first");
                ctx.reset_stats();
                let (got, notes) = capture_cpu_notes(|| heatmap_device(&dx, &dy, &params));
                let got = got.expect("heatmap");
                let stats = ctx.reset_stats();
                assert!(notes.is_empty(), "drawn on the device: {notes:?}");
                let waits = if range.is_some() { 1 } else { 2 };
                assert_eq!(stats.waits, waits, "{range:?}: {stats:?}");
                assert_eq!(stats.uploaded_bytes, 0, "the points are there: {stats:?}");
                assert_eq!(
                    (got.used, got.out_of_range, got.non_finite),
                    (cpu.used, cpu.out_of_range, cpu.non_finite),
                    "{range:?}: the CPU's report"
                );
                let differing = levels_apart(&got.rgba, &cpu.rgba);
                assert_eq!(
                    differing, 0,
                    "{range:?}: the CPU's picture (within 2 levels)"
                );
            }
            // double-float points go through the host, with a note, to the same picture.
            let params = HeatmapParams {
                width: 40,
                height: 30,
                range: Some([[0.0, 0.5], [0.5, 1.0]]),
                ..HeatmapParams::default()
            };
            let cpu = heatmap(Device::Cpu, &points, &params).expect("cpu");
            let dx = DeviceArray::from_host(ctx, points.x.view(), Arith::DoubleFloat).expect("up");
            let dy = DeviceArray::from_host(ctx, points.y.view(), Arith::DoubleFloat).expect("up");
            let (got, notes) = capture_cpu_notes(|| heatmap_device(&dx, &dy, &params));
            let got = got.expect("heatmap");
            assert!(
                notes.iter().any(|n| n.contains("double-float")),
                "{notes:?}"
            );
            assert_eq!(got.used, cpu.used);
        },
    );
}

#[test]
fn host_convolutions_double_float_cannot_hold_run_on_the_cpu_with_a_note() {
    for_each_adapter(
        "host_convolutions_double_float_cannot_hold_run_on_the_cpu_with_a_note",
        |ctx| {
            ctx.emulate_float64(true);
            // Magnitudes 2^600 apart: past what double-float holds in one scaling.
            let a = ndarray::array![1e200, 1.0, -2.0, 1e-100, 3.0];
            let v = ndarray::array![0.5, 0.25];
            let device = executor_on(ctx);
            let (got, notes) = capture_cpu_notes(|| {
                conv::convolve(device, a.view(), v.view(), Mode::Full, Method::Auto)
            });
            let want = conv::convolve(Device::Cpu, a.view(), v.view(), Mode::Full, Method::Auto)
                .expect("cpu");
            assert_eq!(got.expect("convolve"), want, "the CPU's answer");
            assert!(notes.iter().any(|n| n.contains("on the CPU")), "{notes:?}");
            let b = ndarray::Array1::from_shape_fn(a.len(), |i| a[(i + 1) % a.len()]);
            let (found, _) =
                capture_cpu_notes(|| conv::lag(device, a.view(), b.view(), Method::Auto));
            let want = conv::lag(Device::Cpu, a.view(), b.view(), Method::Auto).expect("cpu");
            assert_eq!(found.expect("lag").samples, want.samples);
            ctx.emulate_float64(false);
        },
    );
}

#[test]
fn lags_of_device_arrays_match_the_cpu_with_one_wait() {
    use gpusci::conv::device::lag_device;
    for_each_adapter("lags_of_device_arrays_match_the_cpu_with_one_wait", |ctx| {
        for storage in storages(ctx) {
            for &(n, delay) in &[(1usize, 0usize), (300, 7), (4000, 913)] {
                let a = random(n, n as u64);
                let b = Array1::from_shape_fn(n, |i| if i >= delay { a[i - delay] } else { 0.0 });
                let (ra, rb) = (as_stored(&a, storage), as_stored(&b, storage));
                let want = conv::lag(Device::Cpu, rb.view(), ra.view(), Method::Auto).expect("cpu");
                let (x, y) = (upload(ctx, &b, storage), upload(ctx, &a, storage));
                ctx.reset_stats();
                let got = lag_device(&x, &y, Method::Auto).expect("lag");
                let stats = ctx.reset_stats();
                let what = format!("{storage:?} n={n}");
                assert_eq!(stats.waits, 1, "{what}: {stats:?}");
                assert_eq!(stats.uploaded_bytes, 0, "{what}: {stats:?}");
                assert_eq!(got.samples, want.samples, "{what}");
                // The peak and Pearson are computed in float64 from the stored signals.
                assert!(
                    (got.peak - want.peak).abs() <= 1e-9 * want.peak.abs().max(1.0),
                    "{what}: {got:?} {want:?}"
                );
                assert!(
                    (got.pearson - want.pearson).abs() <= 1e-12
                        || (got.pearson.is_nan() && want.pearson.is_nan()),
                    "{what}"
                );
                // double-float holds the signals to about 2^-48: the refinement too.
                assert!(
                    (got.refined - want.refined).abs() <= 1e-9,
                    "{what}: {got:?} {want:?}"
                );
            }
        }
        let x = upload(ctx, &random(50, 1), (DType::Float32, Arith::Single));
        let y = upload(ctx, &random(50, 2), (DType::Float64, Arith::DoubleFloat));
        let (got, notes) = capture_cpu_notes(|| lag_device(&x, &y, Method::Auto));
        got.expect("mixed storages");
        assert!(notes.iter().any(|n| n.contains("lag")), "{notes:?}");
        let mut bad = random(50, 3);
        bad[7] = f64::NAN;
        let z = upload(ctx, &bad, (DType::Float32, Arith::Single));
        assert!(matches!(
            lag_device(&x, &z, Method::Direct),
            Err(gpusci::Error::InvalidParam { .. })
        ));
    });
}

#[test]
fn crossings_of_device_arrays_match_the_cpu() {
    use gpusci::signal::{crossings, crossings_device, CrossingParams, Direction};
    for_each_adapter("crossings_of_device_arrays_match_the_cpu", |ctx| {
        for &n in &[1usize, 2, 255, 256, 257, 5000] {
            let mut x = Array1::from_shape_fn(n, |i| ((i as f64) * 0.37).sin() + 0.1);
            if n > 300 {
                x[100] = f64::NAN;
                x[200] = f64::INFINITY;
                x[201] = -0.0;
                x[300] = 0.1;
            }
            for params in [
                CrossingParams::new(0.1),
                CrossingParams {
                    direction: Direction::Up,
                    min_gap: 5,
                    ..CrossingParams::new(-0.5)
                },
            ] {
                // float64 stored natively, where the adapter has it.
                if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
                    let d = DeviceArray::from_host(ctx, x.view(), Arith::Native64).expect("up");
                    let (got, notes) = capture_cpu_notes(|| crossings_device(&d, &params));
                    assert!(notes.is_empty(), "{notes:?}");
                    let want = crossings(Device::Cpu, x.view(), &params).expect("cpu");
                    assert_eq!(got.expect("float64"), want, "float64 n={n}");
                }
                // float32, widened on the device, compared as NumPy 2 compares float32.
                let x32 = x.mapv(|v| v as f32);
                let d = DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up");
                let want = crossings(
                    Device::Cpu,
                    x32.mapv(f64::from).view(),
                    &params.for_float32_data(),
                )
                .expect("cpu");
                ctx.reset_stats();
                let (got, notes) = capture_cpu_notes(|| crossings_device(&d, &params));
                let stats = ctx.reset_stats();
                assert!(notes.is_empty(), "{notes:?}");
                assert_eq!(got.expect("float32"), want, "float32 n={n}");
                assert!(stats.waits <= 2, "{stats:?}");
                assert_eq!(stats.uploaded_bytes, 0, "{stats:?}");
            }
        }
        // Hysteresis and double-float move to the CPU with a note.
        let x = Array1::from_shape_fn(100, |i| ((i as f64) * 0.3).sin());
        let d = DeviceArray::from_host(ctx, x.view(), Arith::DoubleFloat).expect("up");
        let params = CrossingParams::new(0.2);
        let (got, notes) = capture_cpu_notes(|| crossings_device(&d, &params));
        assert!(
            notes.iter().any(|n| n.contains("double-float")),
            "{notes:?}"
        );
        assert_eq!(
            got.expect("cpu").len(),
            crossings(Device::Cpu, x.view(), &params)
                .expect("cpu")
                .len()
        );
        let bad = CrossingParams::new(f64::NAN);
        assert!(crossings_device(&d, &bad).is_err());
    });
}

#[test]
fn a_warm_host_fft_moves_only_its_data_with_one_wait() {
    use gpusci::fft::{fft_rows, irfft_rows, rfft_rows, Complex};
    for_each_adapter("a_warm_host_fft_moves_only_its_data_with_one_wait", |ctx| {
        let device = executor_on(ctx);
        let (n, rows) = (1024usize, 3usize);
        let x = random(n * rows, 8).to_vec();
        rfft_rows(device, &x, n).expect("first");
        ctx.reset_stats();
        let spectrum = rfft_rows(device, &x, n).expect("warm rfft");
        let stats = ctx.reset_stats();
        assert_eq!(stats.waits, 1, "rfft: {stats:?}");
        assert_eq!(stats.buffers_created, 0, "rfft: {stats:?}");
        assert_eq!(
            stats.uploaded_bytes,
            (x.len() * 8) as u64,
            "rfft: {stats:?}"
        );
        assert_eq!(
            stats.downloaded_bytes,
            (spectrum.len() * 16) as u64,
            "rfft: {stats:?}"
        );
        let back = irfft_rows(device, &spectrum, n).expect("irfft");
        let worst = back
            .iter()
            .zip(&x)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f64, f64::max);
        assert!(worst < ROUND_TRIP_F64_ABS, "irfft(rfft(x)) = x: {worst:e}");
        let z: Vec<Complex<f32>> = x.iter().map(|&v| Complex::new(v as f32, 0.5)).collect();
        ctx.reset_stats();
        let got = fft_rows(device, &z, n, false).expect("fft");
        let stats = ctx.reset_stats();
        assert!(stats.waits <= 1, "fft: {stats:?}");
        let want = fft_rows(Device::Cpu, &z, n, false).expect("cpu");
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0f32, f32::max);
        assert!(worst < FFT_F32_ABS, "float32 fft of 1024 points: {worst:e}");
    });
}

#[test]
fn device_inputs_near_the_binding_limit_move_to_the_cpu_with_a_note() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::density::DensityParams;
    use gpusci::signal::{crossings, crossings_device, CrossingParams};
    crate::common::for_each_adapter_with_limits(
        "device_inputs_near_the_binding_limit_move_to_the_cpu_with_a_note",
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            // float32 points past one binding (80 KB), automatic range: bounds on the host.
            let (x, y) = scatter(20_000, 31, false);
            let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
            let dx = DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up");
            let dy = DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up");
            let params = DensityParams::new(10, 10);
            let (got, notes) = capture_cpu_notes(|| histogram2d_device(&dx, &dy, None, &params));
            assert!(
                notes.iter().any(|n| n.contains("float32 array")),
                "{notes:?}"
            );
            same_histogram(
                &got.expect("float32 past a binding"),
                &cpu_histogram_of_float32(&x32, &y32, &params),
                "float32 past a binding",
            );
            // A grid whose float64 cells (80 KB) are past one binding, its u32 counts not.
            let (x, y) = scatter(1000, 32, false);
            let (x32, y32) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
            let dx = DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up");
            let dy = DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up");
            let params = DensityParams::new(100, 100).with_range([-2.0, 3.0], [0.0, 1.0]);
            let (got, notes) = capture_cpu_notes(|| histogram2d_device(&dx, &dy, None, &params));
            assert!(
                notes.iter().any(|n| n.contains("float64 cells")),
                "{notes:?}"
            );
            same_histogram(
                &got.expect("a large grid"),
                &cpu_histogram_of_float32(&x32, &y32, &params),
                "a large grid",
            );
            // Crossings of 4000 samples (20 bytes each at most: 80 KB).
            let s = Array1::from_shape_fn(4000, |i| (i % 2) as f32);
            let d = DeviceArray::from_host(ctx, s.view(), Arith::Single).expect("up");
            let threshold = CrossingParams::new(0.5);
            let (got, notes) = capture_cpu_notes(|| crossings_device(&d, &threshold));
            assert!(notes.iter().any(|n| n.contains("binding")), "{notes:?}");
            let want = crossings(Device::Cpu, s.mapv(f64::from).view(), &threshold).expect("cpu");
            assert_eq!(got.expect("crossings"), want);
        },
    );
}

#[test]
fn device_fft2_matches_the_cpu_and_keeps_its_input() {
    use gpusci::fft::{fftn, fftn_device, Complex, Norm};
    for_each_adapter("device_fft2_matches_the_cpu_and_keeps_its_input", |ctx| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(40);
        for &(rows, cols) in &[(1usize, 1usize), (8, 16), (7, 12), (32, 5)] {
            let z = ndarray::Array2::from_shape_simple_fn((rows, cols), || {
                Complex::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
            })
            .into_dyn();
            let mut ariths = vec![Arith::DoubleFloat];
            if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
                ariths.push(Arith::Native64);
            }
            for arith in ariths {
                for inverse in [false, true] {
                    let a = DeviceArray::from_host(ctx, z.view(), arith).expect("up");
                    let (got, notes) =
                        capture_cpu_notes(|| fftn_device(&a, None, None, Norm::Backward, inverse));
                    let got = got.expect("fft2");
                    assert!(notes.is_empty(), "{rows}x{cols}: {notes:?}");
                    assert_eq!(got.shape(), &[rows, cols]);
                    let want = fftn(Device::Cpu, z.view(), None, None, Norm::Backward, inverse)
                        .expect("cpu");
                    let got = got.to_host::<Complex<f64>>().expect("read");
                    let worst = got
                        .iter()
                        .zip(want.iter())
                        .map(|(g, w)| (g - w).norm())
                        .fold(0.0f64, f64::max);
                    // Sums of rows x cols terms below sqrt(2): precision.rs's FFT bound.
                    let bound =
                        2e-15 * ((rows * cols) as f64).log2().max(1.0) * (rows * cols) as f64;
                    assert!(
                        worst <= bound.max(1e-15),
                        "{arith:?} {rows}x{cols}: {worst:e}"
                    );
                    // The input array is unchanged (the transform runs on a copy).
                    let again = a.to_host::<Complex<f64>>().expect("read");
                    let drift = again
                        .iter()
                        .zip(z.iter())
                        .map(|(g, w)| (g - w).norm())
                        .fold(0.0f64, f64::max);
                    assert!(drift <= 1e-15, "the input kept: {drift:e}");
                }
            }
        }
        // Other axes, s and norms run on the CPU with a note.
        let z = ndarray::Array3::from_elem((2, 3, 4), Complex::new(1.0f32, 0.0)).into_dyn();
        let a = DeviceArray::from_host(ctx, z.view(), Arith::Single).expect("up");
        let (got, notes) = capture_cpu_notes(|| fftn_device(&a, None, None, Norm::Ortho, false));
        assert!(notes.iter().any(|n| n.contains("fftn")), "{notes:?}");
        let want = fftn(Device::Cpu, z.view(), None, None, Norm::Ortho, false).expect("cpu");
        assert_eq!(
            got.expect("3-D").to_host::<Complex<f32>>().expect("read"),
            want
        );
    });
}

#[test]
fn heatmaps_of_device_grids_draw_like_the_cpu_in_one_wait() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::heatmap::{
        density_params, render_histogram, render_histogram_device, HeatmapParams, Scale,
    };
    let points = crate::common::top_left_points();
    let (x32, y32) = (points.x.mapv(|v| v as f32), points.y.mapv(|v| v as f32));
    for_each_adapter(
        "heatmaps_of_device_grids_draw_like_the_cpu_in_one_wait",
        |ctx| {
            let dx = DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up");
            let dy = DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up");
            for scale in [Scale::Log, Scale::Linear, Scale::EqHist] {
                let params = HeatmapParams {
                    width: 40,
                    height: 30,
                    range: Some([[0.0, 0.5], [0.5, 1.0]]),
                    sigma: 1.0,
                    scale,
                    ..HeatmapParams::default()
                };
                let want = render_histogram(
                    Device::Cpu,
                    cpu_histogram_of_float32(&x32, &y32, &density_params(&params)),
                    &params,
                )
                .expect("cpu");
                ctx.reset_stats();
                let histogram = histogram2d_device(&dx, &dy, None, &density_params(&params))
                    .expect("histogram");
                let (got, notes) =
                    capture_cpu_notes(|| render_histogram_device(&histogram, &params));
                let got = got.expect("heatmap");
                let stats = ctx.reset_stats();
                if scale == Scale::EqHist {
                    assert!(notes.iter().any(|n| n.contains("eq_hist")), "{notes:?}");
                } else {
                    assert!(notes.is_empty(), "{notes:?}");
                    assert_eq!(stats.waits, 1, "{scale:?}: the chain waits once: {stats:?}");
                    assert_eq!(stats.uploaded_bytes, 0, "{stats:?}");
                }
                assert_eq!(
                    (got.used, got.out_of_range, got.non_finite),
                    (want.used, want.out_of_range, want.non_finite),
                    "{scale:?}: the report"
                );
                let differing = levels_apart(&got.rgba, &want.rgba);
                assert_eq!(
                    differing, 0,
                    "{scale:?}: the CPU's picture (within 2 levels)"
                );
            }
            // A grid of fractional float64 values (density=True, binned on the CPU and put on
            // the device in float64 or double-float): converted to float32 on the device.
            let params = HeatmapParams {
                width: 40,
                height: 30,
                range: Some([[0.0, 0.5], [0.5, 1.0]]),
                sigma: 0.0,
                scale: Scale::Linear,
                ..HeatmapParams::default()
            };
            let request = density_params(&params).with_density(true);
            let (histogram, _) = capture_cpu_notes(|| histogram2d_device(&dx, &dy, None, &request));
            let histogram = histogram.expect("density");
            let (got, notes) = capture_cpu_notes(|| render_histogram_device(&histogram, &params));
            assert!(notes.is_empty(), "{notes:?}");
            // The same grid drawn from the host on this GPU (`as f32` there, round to nearest):
            // the device's integer rounding gives the same float32 values, so the same pixels.
            let want = render_histogram(
                executor_on(ctx),
                cpu_histogram_of_float32(&x32, &y32, &request),
                &params,
            )
            .expect("host grid");
            assert!(
                got.expect("density heatmap").rgba == want.rgba,
                "fractional values: the host grid's picture, pixel for pixel"
            );
        },
    );
}

#[test]
fn weighted_device_histograms_sum_exactly_as_the_host_gpu_path() {
    use gpusci::density::device::histogram2d_device;
    use gpusci::density::{histogram2d, DensityParams, PointType};
    crate::common::for_each_adapter_with_limits(
        "weighted_device_histograms_sum_exactly_as_the_host_gpu_path",
        // Points in a few chunks: 4096 a chunk.
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            let f64_native = ctx.device().features().contains(wgpu::Features::SHADER_F64);
            let (x, y) = scatter(10_007, 50, false);
            let mut rng = rand::rngs::StdRng::seed_from_u64(51);
            let mut w = Array1::from_shape_simple_fn(x.len(), || rng.random_range(-3.0..5.0));
            w[0] = 0.0;
            w[1] = -0.0;
            w[2] = 1e-300;
            w[3] = 123.456789;
            w[4] = -2.5; // ties of the fixed point's rounding are away from zero
            for params in [
                DensityParams::new(17, 9).with_range([-2.0, 3.0], [0.0, 1.0]),
                DensityParams::new(12, 20),
            ] {
                let host = |weights: &Array1<f64>, xs: &Array1<f64>, ys: &Array1<f64>, kind| {
                    let plan = params.plan(xs.view(), ys.view(), kind).expect("plan");
                    histogram2d(
                        executor_on(ctx),
                        xs.view(),
                        ys.view(),
                        Some(weights.view()),
                        &plan,
                    )
                    .expect("host gpu")
                };
                // float32 points and weights, widened on the device.
                let (x32, y32, w32) = (
                    x.mapv(|v| v as f32),
                    y.mapv(|v| v as f32),
                    w.mapv(|v| v as f32),
                );
                let (dx, dy, dw) = (
                    DeviceArray::from_host(ctx, x32.view(), Arith::Single).expect("up"),
                    DeviceArray::from_host(ctx, y32.view(), Arith::Single).expect("up"),
                    DeviceArray::from_host(ctx, w32.view(), Arith::Single).expect("up"),
                );
                let (got, notes) =
                    capture_cpu_notes(|| histogram2d_device(&dx, &dy, Some(&dw), &params));
                assert!(notes.is_empty(), "{notes:?}");
                let want = host(
                    &w32.mapv(f64::from),
                    &x32.mapv(f64::from),
                    &y32.mapv(f64::from),
                    PointType::F32,
                );
                same_histogram(&got.expect("float32 weighted"), &want, "float32 weighted");
                if f64_native {
                    let (dx, dy, dw) = (
                        DeviceArray::from_host(ctx, x.view(), Arith::Native64).expect("up"),
                        DeviceArray::from_host(ctx, y.view(), Arith::Native64).expect("up"),
                        DeviceArray::from_host(ctx, w.view(), Arith::Native64).expect("up"),
                    );
                    let (got, notes) =
                        capture_cpu_notes(|| histogram2d_device(&dx, &dy, Some(&dw), &params));
                    assert!(notes.is_empty(), "{notes:?}");
                    let want = host(&w, &x, &y, PointType::F64);
                    same_histogram(&got.expect("float64 weighted"), &want, "float64 weighted");
                }
            }
            // NaN weights: summed on the CPU, as NumPy (NaN in their bins), with a note.
            let mut bad = w.mapv(|v| v as f32);
            bad[10] = f32::NAN;
            let dx = DeviceArray::from_host(ctx, x.mapv(|v| v as f32).view(), Arith::Single)
                .expect("up");
            let dy = DeviceArray::from_host(ctx, y.mapv(|v| v as f32).view(), Arith::Single)
                .expect("up");
            let dw = DeviceArray::from_host(ctx, bad.view(), Arith::Single).expect("up");
            let params = DensityParams::new(4, 4).with_range([-2.0, 3.0], [0.0, 1.0]);
            let (got, notes) =
                capture_cpu_notes(|| histogram2d_device(&dx, &dy, Some(&dw), &params));
            assert!(notes.iter().any(|n| n.contains("NaN")), "{notes:?}");
            let grid = got
                .expect("NaN weights")
                .grid
                .to_host::<f64>()
                .expect("grid");
            assert_eq!(grid.iter().filter(|v| v.is_nan()).count(), 1, "one NaN bin");
            // Weights of another length are refused.
            let short = DeviceArray::from_host(ctx, bad.slice(ndarray::s![..5]), Arith::Single)
                .expect("up");
            assert!(matches!(
                histogram2d_device(&dx, &dy, Some(&short), &params),
                Err(gpusci::Error::ShapeMismatch { .. })
            ));
        },
    );
}

#[test]
fn device_stacks_blur_each_image_with_its_sigma_like_the_cpu() {
    use gpusci::blur::NanPolicy;
    use gpusci::blur::{gaussian_filter_stack, gaussian_filter_stack_device, BlurParams, Mode};
    for_each_adapter(
        "device_stacks_blur_each_image_with_its_sigma_like_the_cpu",
        |ctx| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(60);
            let stack =
                ndarray::Array3::from_shape_simple_fn((4, 23, 17), || rng.random_range(-1.0..1.0));
            let sigmas = [0.0, 0.7, 2.0, 5.5];
            let params = BlurParams::new(1.0)
                .with_mode(Mode::Constant)
                .with_cval(0.25);
            let want =
                gaussian_filter_stack(Device::Cpu, stack.view(), &sigmas, &params).expect("cpu");
            // float32, and float64 in each arithmetic.
            let s32 = stack.mapv(|v| v as f32);
            let d = DeviceArray::from_host(ctx, s32.view(), Arith::Single).expect("up");
            ctx.reset_stats();
            let got = gaussian_filter_stack_device(&d, &sigmas, &params).expect("stack");
            assert_eq!(ctx.reset_stats().waits, 0, "recorded, not waited for");
            let want32 =
                gaussian_filter_stack(Device::Cpu, s32.view(), &sigmas, &params).expect("cpu");
            assert_close(
                got.to_host::<f32>().expect("read").view(),
                want32.into_dyn().view(),
                Tol {
                    abs: 1e-5,
                    rel: 1e-5,
                },
                "float32 stack",
            );
            let mut ariths = vec![Arith::DoubleFloat];
            if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
                ariths.push(Arith::Native64);
            }
            for arith in ariths {
                let d = DeviceArray::from_host(ctx, stack.view(), arith).expect("up");
                let got = gaussian_filter_stack_device(&d, &sigmas, &params).expect("stack");
                assert_close(
                    got.to_host::<f64>().expect("read").view(),
                    want.clone().into_dyn().view(),
                    Tol {
                        abs: 1e-13,
                        rel: 1e-13,
                    },
                    &format!("{arith:?} stack"),
                );
            }
            // omit runs on the CPU with a note, and comes back.
            let omit = params.clone().with_nan_policy(NanPolicy::Omit);
            let d = DeviceArray::from_host(ctx, stack.view(), Arith::DoubleFloat).expect("up");
            let (got, notes) =
                capture_cpu_notes(|| gaussian_filter_stack_device(&d, &sigmas, &omit));
            assert!(notes.iter().any(|n| n.contains("omit")), "{notes:?}");
            let want =
                gaussian_filter_stack(Device::Cpu, stack.view(), &sigmas, &omit).expect("cpu");
            assert_close(
                got.expect("omit").to_host::<f64>().expect("read").view(),
                want.into_dyn().view(),
                Tol {
                    abs: 1e-13,
                    rel: 1e-13,
                },
                "omit stack",
            );
            // gaussian_filter1d of one image's row, on the device.
            let row = s32.slice(ndarray::s![1, 3, ..]).to_owned();
            let d1 = DeviceArray::from_host(ctx, row.view(), Arith::Single).expect("up");
            let one = BlurParams::new(1.5);
            let got = gpusci::blur::gaussian_filter1d_device(&d1, &one).expect("1-D");
            let want = gpusci::blur::gaussian_filter1d(Device::Cpu, row.view(), &one).expect("cpu");
            assert_close(
                got.to_host::<f32>().expect("read").view(),
                want.into_dyn().view(),
                Tol {
                    abs: 1e-5,
                    rel: 1e-5,
                },
                "gaussian_filter1d",
            );
            assert!(
                gpusci::blur::gaussian_filter1d_device(&d, &one).is_err(),
                "a 3-D array"
            );
            // Not a stack.
            let flat =
                DeviceArray::from_host(ctx, s32.index_axis(ndarray::Axis(0), 0), Arith::Single)
                    .expect("up");
            assert!(gaussian_filter_stack_device(&flat, &sigmas, &params).is_err());
        },
    );
}

#[test]
fn host_ffts_past_one_binding_run_in_batches_of_whole_rows() {
    use gpusci::fft::{fft_rows, irfft_rows, rfft_rows, Complex};
    crate::common::for_each_adapter_with_limits(
        "host_ffts_past_one_binding_run_in_batches_of_whole_rows",
        |mut limits| {
            limits.max_storage_buffer_binding_size = 64 << 10;
            limits
        },
        |ctx| {
            let device = executor_on(ctx);
            // 40 rows of 1000 float64 points: 16 KB a complex row, four rows a batch.
            let (n, rows) = (1000usize, 40usize);
            let x = random(n * rows, 70).to_vec();
            let z: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(v, -v / 2.0)).collect();
            let (got, notes) = capture_cpu_notes(|| fft_rows(device, &z, n, false));
            assert!(notes.is_empty(), "{notes:?}");
            let want = fft_rows(Device::Cpu, &z, n, false).expect("cpu");
            let worst = got
                .expect("fft")
                .iter()
                .zip(&want)
                .map(|(g, w)| (g - w).norm())
                .fold(0.0f64, f64::max);
            assert!(worst < ROUND_TRIP_F64_ABS, "fft in batches: {worst:e}");
            let spectrum = rfft_rows(device, &x, n).expect("rfft");
            let want = rfft_rows(Device::Cpu, &x, n).expect("cpu");
            let worst = spectrum
                .iter()
                .zip(&want)
                .map(|(g, w)| (g - w).norm())
                .fold(0.0f64, f64::max);
            assert!(worst < ROUND_TRIP_F64_ABS, "rfft in batches: {worst:e}");
            let back = irfft_rows(device, &spectrum, n).expect("irfft");
            let worst = back
                .iter()
                .zip(&x)
                .map(|(g, w)| (g - w).abs())
                .fold(0.0f64, f64::max);
            assert!(
                worst < ROUND_TRIP_F64_ABS,
                "irfft(rfft) in batches: {worst:e}"
            );
        },
    );
}

#[test]
fn empty_device_arrays_give_empty_results_in_every_mode() {
    use gpusci::blur::{gaussian_filter_device, gaussian_filter_stack_device, BlurParams, Mode};
    for_each_adapter(
        "empty_device_arrays_give_empty_results_in_every_mode",
        |ctx| {
            for mode in [
                Mode::Reflect,
                Mode::Mirror,
                Mode::Wrap,
                Mode::Constant,
                Mode::Nearest,
            ] {
                let params = BlurParams::new(1.5).with_mode(mode);
                let empty = ndarray::Array2::<f32>::zeros((0, 5));
                let d = DeviceArray::from_host(ctx, empty.view(), Arith::Single).expect("up");
                let got = gaussian_filter_device(&d, &params).expect("empty image");
                assert_eq!(got.shape(), &[0, 5], "{mode:?}");
                let stack = ndarray::Array3::<f32>::zeros((2, 0, 4));
                let d = DeviceArray::from_host(ctx, stack.view(), Arith::Single).expect("up");
                let got =
                    gaussian_filter_stack_device(&d, &[1.0, 2.0], &params).expect("empty stack");
                assert_eq!(got.shape(), &[2, 0, 4], "{mode:?}");
            }
            // Empty complex arrays: fft over an axis of 5 gives an empty result; fftn over the
            // empty axis is NumPy's error (0 points), never a panic.
            let empty = ndarray::Array2::<gpusci::fft::Complex<f32>>::zeros((0, 5));
            let d = DeviceArray::from_host(ctx, empty.view(), Arith::Single).expect("up");
            let (got, _) = capture_cpu_notes(|| {
                gpusci::fft::fft_device(&d, &gpusci::fft::FftParams::default(), false)
            });
            assert_eq!(got.expect("empty fft").shape(), &[0, 5]);
            let (got, _) = capture_cpu_notes(|| {
                gpusci::fft::fftn_device(&d, None, None, gpusci::fft::Norm::Backward, false)
            });
            assert!(
                matches!(got, Err(gpusci::Error::InvalidParam { .. })),
                "{got:?}"
            );
        },
    );
}
