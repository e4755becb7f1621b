//! The GPU runtime's promises, on every adapter: a warm call creates no buffer and moves only
//! its data, with one submit and one wait; pooled buffers reused across different operations
//! (poisoned when handed out) still give the CPU's answers; the pool's limit and trim.

use crate::common::{assert_close, executor_on, for_each_adapter, Tol};
use gpusci::blur::{cpu, gaussian_filter, BlurParams};
use gpusci::GpuContext;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};

/// float32 blur against the float64 reference (as blur_gpu.rs: a few float32 ulps of the
/// data's magnitude per pass).
const BLUR_F32_TOL: Tol = Tol {
    abs: 1e-5,
    rel: 1e-5,
};

/// float64 blur at float64 accuracy (native or double-float; precision.rs's bound).
const BLUR_F64_TOL: Tol = Tol {
    abs: 1e-13,
    rel: 1e-13,
};

/// FFT of float64 data at float64 accuracy for these short lengths (precision.rs's bound,
/// 2e-15 (log2 n + 1), with room for the magnitudes here).
const FFT_F64_TOL: Tol = Tol {
    abs: 1e-12,
    rel: 1e-12,
};

fn image(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-1.0f32..1.0))
}

#[test]
fn a_warm_blur_creates_no_buffer_and_moves_only_its_data() {
    for_each_adapter(
        "a_warm_blur_creates_no_buffer_and_moves_only_its_data",
        |ctx| {
            let params = BlurParams::new(3.0);
            let input = image(1024, 1024, 7);
            let device = executor_on(ctx);
            let first = gaussian_filter(device, input.view(), &params).expect("first blur");
            let cold = ctx.reset_stats();
            assert!(
                cold.buffers_created > 0,
                "the first call made its buffers: {cold:?}"
            );
            let second = gaussian_filter(device, input.view(), &params).expect("second blur");
            let warm = ctx.reset_stats();
            let bytes = (input.len() * 4) as u64;
            assert_eq!(
                warm.buffers_created, 0,
                "a warm call reuses pooled buffers: {warm:?}"
            );
            assert_eq!(
                warm.uploaded_bytes, bytes,
                "uploads exactly its input: {warm:?}"
            );
            assert_eq!(
                warm.downloaded_bytes, bytes,
                "downloads exactly its output: {warm:?}"
            );
            assert!(warm.submits <= 2, "at most 2 submits: {warm:?}");
            assert!(warm.waits <= 1, "at most 1 wait: {warm:?}");
            assert_eq!(warm.pool_bytes_in_use, 0, "every lease returned: {warm:?}");
            assert_eq!(first, second, "the same answer from reused buffers");
        },
    );
}

#[test]
fn a_warm_float64_blur_moves_only_its_data() {
    for_each_adapter("a_warm_float64_blur_moves_only_its_data", |ctx| {
        let params = BlurParams::new(2.0);
        let input = image(257, 131, 3).mapv(f64::from);
        let device = executor_on(ctx);
        gaussian_filter(device, input.view(), &params).expect("first blur");
        ctx.reset_stats();
        let got = gaussian_filter(device, input.view(), &params).expect("second blur");
        let warm = ctx.reset_stats();
        let bytes = (input.len() * 8) as u64;
        assert_eq!(warm.buffers_created, 0, "{warm:?}");
        assert_eq!(warm.uploaded_bytes, bytes, "{warm:?}");
        assert_eq!(warm.downloaded_bytes, bytes, "{warm:?}");
        assert!(warm.submits <= 2 && warm.waits <= 1, "{warm:?}");
        let want = cpu::gaussian_filter_reference(input.view(), &params).expect("reference");
        assert_close(got.view(), want.view(), BLUR_F64_TOL, "float64 blur");
    });
}

/// Different operations one after the other on one context: each leases buffers another
/// released (poisoned when handed out), and each must still give the CPU's answer.
#[test]
fn pooled_buffers_reused_across_operations_give_the_cpu_answers() {
    for_each_adapter(
        "pooled_buffers_reused_across_operations_give_the_cpu_answers",
        |ctx| {
            let device = executor_on(ctx);
            let mut rng = rand::rngs::StdRng::seed_from_u64(11);
            for round in 0..2 {
                for &(rows, cols) in &[(1usize, 1usize), (37, 53), (64, 257), (5, 1)] {
                    let input = image(rows, cols, (round * 100 + rows) as u64);
                    let params = BlurParams::new(1.5);
                    let got = gaussian_filter(device, input.view(), &params).expect("blur");
                    let wide = input.mapv(f64::from);
                    let want = cpu::gaussian_filter_reference(wide.view(), &params).expect("ref");
                    assert_close(got.view(), want.view(), BLUR_F32_TOL, "blur after reuse");

                    let n = rows * cols;
                    let signal =
                        Array1::<f64>::from_shape_simple_fn(n, || rng.random_range(-1.0..1.0));
                    let signal = signal.into_dyn();
                    let fft = gpusci::fft::FftParams::default();
                    let got = gpusci::fft::rfft(device, signal.view(), &fft).expect("rfft");
                    let want =
                        gpusci::fft::rfft(gpusci::Device::Cpu, signal.view(), &fft).expect("rfft");
                    assert_close(
                        got.mapv(|c| c.re).view(),
                        want.mapv(|c| c.re).view(),
                        FFT_F64_TOL,
                        "rfft re",
                    );
                    assert_close(
                        got.mapv(|c| c.im).view(),
                        want.mapv(|c| c.im).view(),
                        FFT_F64_TOL,
                        "rfft im",
                    );
                }
            }
            let stats = ctx.stats();
            assert_eq!(
                stats.pool_bytes_in_use, 0,
                "every lease returned: {stats:?}"
            );
        },
    );
}

#[test]
fn the_pool_keeps_no_more_than_its_limit_and_trims_to_nothing() {
    for_each_adapter(
        "the_pool_keeps_no_more_than_its_limit_and_trims_to_nothing",
        |ctx| {
            let device = executor_on(ctx);
            let input = image(300, 200, 5);
            let params = BlurParams::new(2.0);
            gaussian_filter(device, input.view(), &params).expect("blur");
            let held = ctx.stats().pool_bytes_held;
            assert!(
                held >= (input.len() * 4) as u64,
                "the pool keeps what the call used"
            );
            ctx.trim();
            let trimmed = ctx.stats();
            assert_eq!(
                trimmed.pool_bytes_held, 0,
                "trim frees every idle buffer: {trimmed:?}"
            );
            assert!(
                trimmed.pool_peak_bytes >= held,
                "the peak is remembered: {trimmed:?}"
            );
            // With a limit of nothing, released buffers are destroyed instead of kept.
            ctx.set_pool_limit(0);
            gaussian_filter(device, input.view(), &params).expect("blur");
            let after = ctx.stats();
            assert_eq!(
                after.pool_bytes_held, 0,
                "nothing kept past the limit: {after:?}"
            );
            ctx.set_pool_limit(gpusci::gpu::DEFAULT_POOL_LIMIT);
            let again = gaussian_filter(device, input.view(), &params).expect("blur");
            let want = gaussian_filter(gpusci::Device::Cpu, input.view(), &params).expect("cpu");
            assert_close(
                again.view(),
                want.view(),
                BLUR_F32_TOL,
                "blur after trimming",
            );
        },
    );
}

/// A context is shared across threads (Python releases the GIL; Dask runs threads): calls
/// running at once must each get their own buffers and the CPU's answer.
#[test]
fn calls_from_several_threads_share_one_pool_safely() {
    for_each_adapter(
        "calls_from_several_threads_share_one_pool_safely",
        |ctx: &GpuContext| {
            let device = executor_on(ctx);
            std::thread::scope(|scope| {
                for t in 0..3u64 {
                    scope.spawn(move || {
                        for k in 0..3u64 {
                            let input = image(40 + 7 * t as usize, 33 + k as usize, t * 10 + k);
                            let params = BlurParams::new(1.0 + t as f64);
                            let got = gaussian_filter(device, input.view(), &params).expect("blur");
                            let want = gaussian_filter(gpusci::Device::Cpu, input.view(), &params)
                                .expect("cpu");
                            assert_close(got.view(), want.view(), BLUR_F32_TOL, "threaded blur");
                        }
                    });
                }
            });
            assert_eq!(ctx.stats().pool_bytes_in_use, 0, "every lease returned");
        },
    );
}

/// Double-float keeps 48 bits of each float64 (hi and lo float32 mantissas): a round trip is
/// within 2^-47 of the value, relative.
const DOUBLE_FLOAT_ROUND_TRIP_REL: f64 = 1.0 / (1u64 << 47) as f64;

/// Every arithmetic a float64 array can be stored in on `ctx`.
fn float64_ariths(ctx: &GpuContext) -> Vec<gpusci::gpu::Arith> {
    use gpusci::gpu::Arith;
    let mut ariths = vec![Arith::DoubleFloat, Arith::Single];
    if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
        ariths.push(Arith::Native64);
    }
    ariths
}

#[test]
fn device_arrays_round_trip_every_dtype_and_storage() {
    use gpusci::array::{DType, DeviceArray};
    use gpusci::fft::Complex;
    for_each_adapter("device_arrays_round_trip_every_dtype_and_storage", |ctx| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for shape in [vec![0usize], vec![1], vec![7, 5], vec![3, 1, 257]] {
            let n: usize = shape.iter().product();
            let f32s = ndarray::ArrayD::from_shape_simple_fn(shape.clone(), || {
                rng.random_range(-1e3f32..1e3)
            });
            let a = DeviceArray::from_host(ctx, f32s.view(), gpusci::gpu::Arith::Single)
                .expect("upload");
            assert_eq!(
                (a.dtype(), a.shape(), a.nbytes()),
                (DType::Float32, &shape[..], n * 4)
            );
            assert_eq!(a.to_host::<f32>().expect("download"), f32s, "float32 exact");
            let c64 = f32s.mapv(|v| Complex::new(v, -2.0 * v));
            let a = DeviceArray::from_host(ctx, c64.view(), gpusci::gpu::Arith::Single)
                .expect("upload");
            assert_eq!(
                a.to_host::<Complex<f32>>().expect("download"),
                c64,
                "complex64 exact"
            );
            assert!(
                a.to_host::<f32>().is_err(),
                "a complex64 array is not float32"
            );

            let f64s = ndarray::ArrayD::from_shape_simple_fn(shape.clone(), || {
                rng.random_range(-1.0..1.0) * 10f64.powi(rng.random_range(-12..12))
            });
            for arith in float64_ariths(ctx) {
                let a = DeviceArray::from_host(ctx, f64s.view(), arith).expect("upload");
                assert_eq!(a.dtype(), DType::Float64);
                let back = a.to_host::<f64>().expect("download");
                for (&got, &want) in back.iter().zip(&f64s) {
                    let err = (got - want).abs();
                    let bound = match arith {
                        gpusci::gpu::Arith::Native64 => 0.0,
                        gpusci::gpu::Arith::DoubleFloat => DOUBLE_FLOAT_ROUND_TRIP_REL * want.abs(),
                        _ => f64::from(f32::EPSILON) * want.abs(),
                    };
                    assert!(err <= bound, "{arith:?}: {got} for {want}");
                }
                let mut into = vec![0.0f64; n];
                a.to_host_into(&mut into).expect("download into");
                assert_eq!(
                    into,
                    back.iter().copied().collect::<Vec<_>>(),
                    "to_host_into"
                );
                assert!(
                    a.to_host_into(&mut vec![0.0f64; n + 1]).is_err(),
                    "a wrong length"
                );
                let c128 = f64s.mapv(|v| Complex::new(v, 1.0 - v));
                let a = DeviceArray::from_host(ctx, c128.view(), arith).expect("upload");
                let back = a.to_host::<Complex<f64>>().expect("download");
                for (got, want) in back.iter().zip(&c128) {
                    let scale = want.norm().max(1e-300);
                    assert!((got - want).norm() <= 2e-7 * scale, "{arith:?} complex128");
                }
            }
        }
        // Magnitudes spanning more than double-float's scaled range are refused before upload
        // (the routers compute such data on the CPU).
        let wide_span = ndarray::arr1(&[1e-100, 1e100]);
        assert!(matches!(
            DeviceArray::from_host(ctx, wide_span.view(), gpusci::gpu::Arith::DoubleFloat),
            Err(gpusci::Error::ExceedsLimit { .. })
        ));
        // A non-contiguous view goes up in logical order.
        let wide = image(9, 13, 1);
        let a = DeviceArray::from_host(ctx, wide.t(), gpusci::gpu::Arith::Single).expect("upload");
        assert_eq!(
            a.to_host::<f32>().expect("download"),
            wide.t().into_dyn(),
            "transposed"
        );
    });
}

/// A chain on device arrays: one upload, blurs recorded one after the other, one read-back.
#[test]
fn a_chain_of_device_blurs_uploads_once_and_reads_back_once() {
    use gpusci::array::DeviceArray;
    use gpusci::blur::gaussian_filter_device;
    for_each_adapter(
        "a_chain_of_device_blurs_uploads_once_and_reads_back_once",
        |ctx| {
            let input = image(200, 300, 9);
            let first = BlurParams::new(2.0);
            let second = BlurParams::per_axis(&[0.5, 3.0]).with_mode(gpusci::blur::Mode::Wrap);
            let want = {
                let once = gaussian_filter(gpusci::Device::Cpu, input.view(), &first).expect("cpu");
                gaussian_filter(gpusci::Device::Cpu, once.view(), &second).expect("cpu")
            };
            ctx.reset_stats();
            let a =
                DeviceArray::from_host(ctx, input.view(), gpusci::gpu::Arith::Single).expect("up");
            let b = gaussian_filter_device(&a, &first).expect("first blur");
            let c = gaussian_filter_device(&b, &second).expect("second blur");
            let got = c.to_host::<f32>().expect("download");
            let stats = ctx.reset_stats();
            let bytes = (input.len() * 4) as u64;
            assert_eq!(stats.uploaded_bytes, bytes, "one upload: {stats:?}");
            assert_eq!(stats.downloaded_bytes, bytes, "one read-back: {stats:?}");
            assert_eq!(stats.waits, 1, "one wait: {stats:?}");
            assert_close(
                got.view(),
                want.into_dyn().view(),
                BLUR_F32_TOL,
                "chained blurs",
            );

            // float64 in double-float: the scaling travels with the data.
            let wide = input.mapv(|v| f64::from(v) * 1e-200);
            let a = DeviceArray::from_host(ctx, wide.view(), gpusci::gpu::Arith::DoubleFloat)
                .expect("up");
            let params = BlurParams::new(1.5)
                .with_mode(gpusci::blur::Mode::Constant)
                .with_cval(3e-200);
            let got = gaussian_filter_device(&a, &params)
                .expect("blur")
                .to_host::<f64>()
                .expect("down");
            let want = cpu::gaussian_filter_reference(wide.view(), &params).expect("reference");
            let tol = Tol {
                abs: 1e-13 * 3e-200,
                rel: 1e-13,
            };
            assert_close(
                got.view(),
                want.into_dyn().view(),
                tol,
                "double-float device blur",
            );
        },
    );
}

/// What the device path does not take moves to the CPU with a note, and comes back to the
/// device: the output lives where the input lives.
#[test]
fn a_device_blur_the_gpu_refuses_runs_on_the_cpu_and_stays_on_the_device() {
    use gpusci::array::DeviceArray;
    use gpusci::blur::{gaussian_filter_device, NanPolicy};
    for_each_adapter(
        "a_device_blur_the_gpu_refuses_runs_on_the_cpu_and_stays_on_the_device",
        |ctx| {
            let mut input = image(31, 17, 4);
            input[[3, 4]] = f32::NAN;
            let params = BlurParams::new(1.0).with_nan_policy(NanPolicy::Omit);
            let a =
                DeviceArray::from_host(ctx, input.view(), gpusci::gpu::Arith::Single).expect("up");
            let (out, notes) =
                crate::common::capture_cpu_notes(|| gaussian_filter_device(&a, &params));
            let out = out.expect("blur");
            assert!(out.gpu().same(ctx), "the result is on the input's device");
            assert!(
                notes.iter().any(|n| n.contains("omit")),
                "a note says why: {notes:?}"
            );
            let want = gaussian_filter(gpusci::Device::Cpu, input.view(), &params).expect("cpu");
            assert_close(
                out.to_host::<f32>().expect("down").view(),
                want.into_dyn().view(),
                BLUR_F32_TOL,
                "omit",
            );
            let complex = ndarray::Array1::from_elem(4, gpusci::fft::Complex::new(1.0f32, 0.0));
            let c = DeviceArray::from_host(ctx, complex.view(), gpusci::gpu::Arith::Single)
                .expect("up");
            assert!(
                gaussian_filter_device(&c, &BlurParams::new(1.0)).is_err(),
                "complex refused"
            );
        },
    );
}

/// `backend='auto'`: a host input goes to the GPU only at or past the crossover of its
/// (operation, arithmetic, adapter); `gpu` and `cpu` still force the choice.
#[test]
fn auto_keeps_small_calls_on_the_cpu_and_sends_large_ones_to_the_gpu() {
    use gpusci::gpu::{Arith, Precision};
    use gpusci::route::{AdapterClass, Crossovers, Operation};
    for_each_adapter(
        "auto_keeps_small_calls_on_the_cpu_and_sends_large_ones_to_the_gpu",
        |ctx| {
            let mut table = Crossovers::defaults(AdapterClass::of(ctx));
            table.set(Operation::Blur, Arith::Single, 1000);
            table.set(Operation::Fft, Arith::Single, u64::MAX);
            ctx.set_crossovers(table);
            let auto = gpusci::Device::Auto(ctx, Precision::Auto);
            let params = BlurParams::new(1.0);
            for (side, on_gpu) in [(10usize, false), (31, false), (32, true), (100, true)] {
                let input = image(side, side, side as u64);
                ctx.reset_stats();
                let got = gaussian_filter(auto, input.view(), &params).expect("blur");
                let stats = ctx.reset_stats();
                assert_eq!(
                    stats.submits > 0,
                    on_gpu,
                    "{side}x{side} on the GPU: {on_gpu} ({stats:?})"
                );
                let want =
                    gaussian_filter(gpusci::Device::Cpu, input.view(), &params).expect("cpu");
                assert_close(got.view(), want.view(), BLUR_F32_TOL, "auto blur");
                // backend='gpu' forces the GPU whatever the size.
                gaussian_filter(executor_on(ctx), input.view(), &params).expect("blur");
                assert!(
                    ctx.reset_stats().submits > 0,
                    "gpu forces the GPU at {side}x{side}"
                );
            }
            // 'never' keeps an operation on the CPU at any size.
            let signal = ndarray::Array1::<f32>::ones(1 << 12).into_dyn();
            gpusci::fft::rfft(auto, signal.view(), &gpusci::fft::FftParams::default())
                .expect("rfft");
            assert_eq!(
                ctx.reset_stats().submits,
                0,
                "a 'never' crossover stays on the CPU"
            );
        },
    );
}

/// histogram2d uploads each float64 point as its 16 bytes and bins it exactly on the device
/// (integer comparisons of the bits): the counts equal the CPU's (NumPy's, by the density
/// fixtures) for every finite value, subnormals and 1e300 included, and -0 on an edge at 0.
#[test]
fn histogram2d_uploads_16_bytes_a_point_and_bins_every_float64_exactly() {
    use gpusci::density::{histogram2d, BinSpec, DensityParams, PointType};
    for_each_adapter(
        "histogram2d_uploads_16_bytes_a_point_and_bins_every_float64_exactly",
        |ctx| {
            let n = 1_000_000;
            let (x, y) = gpusci::data::clustered_points(n, 5);
            let plan = DensityParams::new(64, 48)
                .plan(x.view(), y.view(), PointType::F64)
                .expect("plan");
            let device = executor_on(ctx);
            histogram2d(device, x.view(), y.view(), None, &plan).expect("warm-up");
            ctx.reset_stats();
            let got = histogram2d(device, x.view(), y.view(), None, &plan).expect("gpu");
            let stats = ctx.reset_stats();
            assert!(
                stats.uploaded_bytes <= 16 * n as u64,
                "at most 16 bytes a point: {stats:?}"
            );
            assert_eq!(
                stats.buffers_created, 0,
                "a warm call reuses its buffers: {stats:?}"
            );
            assert_eq!(
                stats.waits, 1,
                "one chunk, one read-back of grid and report: {stats:?}"
            );
            let want =
                histogram2d(gpusci::Device::Cpu, x.view(), y.view(), None, &plan).expect("cpu");
            assert_eq!(got.values, want.values, "counts as the CPU's");
            assert_eq!((got.used, got.out_of_range), (want.used, want.out_of_range));

            // Every kind of float64 against edges where float32 would round: exact all the same.
            let tiny = 1e-310; // subnormal
            let xs = ndarray::arr1(&[
                -0.0,
                0.0,
                tiny,
                -tiny,
                1e300,
                -1e300,
                f64::NAN,
                f64::INFINITY,
                1.0 + f64::EPSILON,
                1.0,
                1.0 - f64::EPSILON / 2.0,
                2e-300,
                3.0,
                f64::MIN_POSITIVE,
                0.5,
            ]);
            let ys = xs.mapv(|v| if v.is_nan() { 0.5 } else { 0.25 });
            let edges = vec![
                -1e300,
                -tiny,
                0.0,
                tiny,
                1e-300,
                1.0,
                1.0 + f64::EPSILON,
                1e300,
            ];
            let params = DensityParams {
                bins: [BinSpec::Edges(edges), BinSpec::Edges(vec![0.0, 0.3, 0.6])],
                ..DensityParams::new(1, 1)
            };
            let plan = params
                .plan(xs.view(), ys.view(), PointType::F64)
                .expect("plan");
            let got = histogram2d(device, xs.view(), ys.view(), None, &plan).expect("gpu");
            let want =
                histogram2d(gpusci::Device::Cpu, xs.view(), ys.view(), None, &plan).expect("cpu");
            assert_eq!(got.values, want.values, "exact bins at float64's edges");
            assert_eq!(
                (got.used, got.out_of_range, got.non_finite),
                (want.used, want.out_of_range, want.non_finite),
                "the report"
            );
        },
    );
}

/// Infinite edges take infinite coordinates, as NumPy bins them; NaN never lands in a bin.
#[test]
fn histogram2d_bins_infinities_on_infinite_edges_as_numpy() {
    use gpusci::density::{histogram2d, BinSpec, DensityParams, PointType};
    for_each_adapter(
        "histogram2d_bins_infinities_on_infinite_edges_as_numpy",
        |ctx| {
            let inf = f64::INFINITY;
            let xs = ndarray::arr1(&[inf, -inf, 5.0, 0.5, f64::NAN, -0.5, inf, 3.0]);
            let ys = ndarray::arr1(&[0.1, 0.2, 0.3, 0.4, 0.5, 7.0, f64::NAN, -inf]);
            let params = DensityParams {
                bins: [
                    BinSpec::Edges(vec![-inf, -1.0, 0.0, 1.0, inf]),
                    BinSpec::Edges(vec![-inf, 0.0, 0.25, 1.0]),
                ],
                ..DensityParams::new(1, 1)
            };
            let plan = params
                .plan(xs.view(), ys.view(), PointType::F64)
                .expect("plan");
            let got =
                histogram2d(executor_on(ctx), xs.view(), ys.view(), None, &plan).expect("gpu");
            let want =
                histogram2d(gpusci::Device::Cpu, xs.view(), ys.view(), None, &plan).expect("cpu");
            assert_eq!(
                got.values, want.values,
                "infinities binned as the CPU bins them"
            );
            assert_eq!(
                (got.used, got.out_of_range, got.non_finite),
                (want.used, want.out_of_range, want.non_finite),
                "the report"
            );
        },
    );
}

/// FFTs of device arrays against the CPU path (rustfft in float64): every length kind (one
/// point, workgroup-resident, mixed radix, Bluestein), float32 and every float64 storage, the
/// result left on the device.
#[test]
fn device_ffts_match_the_cpu_for_every_length_and_storage() {
    use gpusci::array::{DType, DeviceArray};
    use gpusci::fft::{
        fft, fft_device, irfft, irfft_device, rfft, rfft_device, Complex, FftParams,
    };
    use gpusci::gpu::Arith;
    /// float32 FFTs: error growth ~ eps32 log2(n) of the largest magnitude.
    const F32_FFT_TOL: f64 = 2e-5;
    /// float64 storages (native, double-float): precision.rs's bound with room for n = 1031.
    const F64_FFT_TOL: f64 = 1e-12;
    for_each_adapter(
        "device_ffts_match_the_cpu_for_every_length_and_storage",
        |ctx| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(17);
            let params = FftParams::default();
            let mut ariths = vec![Arith::Single, Arith::DoubleFloat];
            if ctx.device().features().contains(wgpu::Features::SHADER_F64) {
                ariths.push(Arith::Native64);
            }
            for n in [1usize, 2, 7, 64, 1000, 1031, 4096] {
                let rows = 3;
                let shape = vec![rows, n];
                let re = ndarray::ArrayD::<f64>::from_shape_simple_fn(shape.clone(), || {
                    rng.random_range(-1.0..1.0)
                });
                let z = re.mapv(|v| Complex::new(v, 0.5 - v * v));
                let z_want = fft(gpusci::Device::Cpu, z.view(), &params, false).expect("cpu");
                let zi_want = fft(gpusci::Device::Cpu, z.view(), &params, true).expect("cpu");
                for &arith in &ariths {
                    let (tol, single) = match arith {
                        Arith::Single => (F32_FFT_TOL, true),
                        _ => (F64_FFT_TOL, false),
                    };
                    let scale = z_want.iter().map(|c| c.norm()).fold(1e-300, f64::max);
                    let close = |got: &ndarray::ArrayD<Complex<f64>>,
                                 want: &ndarray::ArrayD<Complex<f64>>,
                                 what: &str| {
                        assert_eq!(got.shape(), want.shape(), "{what}: shape");
                        for (g, w) in got.iter().zip(want) {
                            assert!(
                                (g - w).norm() <= tol * scale,
                                "{what} n={n} {arith:?}: {g} vs {w}"
                            );
                        }
                    };
                    let a = if single {
                        DeviceArray::from_host(
                            ctx,
                            z.mapv(|c| Complex::new(c.re as f32, c.im as f32)).view(),
                            arith,
                        )
                    } else {
                        DeviceArray::from_host(ctx, z.view(), arith)
                    }
                    .expect("upload");
                    let widen = |d: &DeviceArray| -> ndarray::ArrayD<Complex<f64>> {
                        if d.dtype() == DType::Complex64 {
                            d.to_host::<Complex<f32>>()
                                .expect("down")
                                .mapv(|c| Complex::new(c.re.into(), c.im.into()))
                        } else {
                            d.to_host::<Complex<f64>>().expect("down")
                        }
                    };
                    let spectrum = fft_device(&a, &params, false).expect("fft");
                    assert_eq!(spectrum.dtype(), a.dtype(), "fft keeps the dtype");
                    close(&widen(&spectrum), &z_want, "fft");
                    close(
                        &widen(&fft_device(&a, &params, true).expect("ifft")),
                        &zi_want,
                        "ifft",
                    );
                    // Real transforms of every length (powers of two packed, others as complex
                    // transforms): rfft, then irfft back to n points on the device.
                    {
                        let inverse = FftParams {
                            n: Some(n),
                            ..params
                        };
                        let r = if single {
                            DeviceArray::from_host(ctx, re.mapv(|v| v as f32).view(), arith)
                        } else {
                            DeviceArray::from_host(ctx, re.view(), arith)
                        }
                        .expect("upload");
                        let bins = rfft_device(&r, &params).expect("rfft");
                        assert_eq!(bins.shape(), &[rows, n / 2 + 1]);
                        let want = rfft(gpusci::Device::Cpu, re.view(), &params).expect("cpu");
                        close(&widen(&bins), &want, "rfft");
                        let back = irfft_device(&bins, &inverse).expect("irfft");
                        assert_eq!(back.shape(), &[rows, n]);
                        let back: ndarray::ArrayD<f64> = if back.dtype() == DType::Float32 {
                            back.to_host::<f32>().expect("down").mapv(f64::from)
                        } else {
                            back.to_host::<f64>().expect("down")
                        };
                        let want = irfft(gpusci::Device::Cpu, want.view(), &inverse).expect("cpu");
                        for (g, w) in back.iter().zip(&want) {
                            assert!(
                                (g - w).abs() <= tol * 2.0,
                                "irfft n={n} {arith:?}: {g} vs {w}"
                            );
                        }
                    }
                }
            }
        },
    );
}

/// What the device FFT does not take (a norm other than 'backward', an `n` that pads) runs on
/// the CPU with a note and comes back to the device, with NumPy's answer.
#[test]
fn device_ffts_the_gpu_refuses_run_on_the_cpu_and_stay_on_the_device() {
    use gpusci::array::DeviceArray;
    use gpusci::fft::{fft, fft_device, rfft, rfft_device, Complex, FftParams, Norm};
    use gpusci::gpu::Arith;
    for_each_adapter(
        "device_ffts_the_gpu_refuses_run_on_the_cpu_and_stay_on_the_device",
        |ctx| {
            let z = ndarray::Array1::from_shape_fn(12, |k| Complex::new(k as f64, 1.0)).into_dyn();
            let a = DeviceArray::from_host(ctx, z.view(), Arith::DoubleFloat).expect("up");
            for params in [
                FftParams::default().with_norm(Norm::Ortho),
                FftParams::default().with_n(16),
            ] {
                let (out, notes) =
                    crate::common::capture_cpu_notes(|| fft_device(&a, &params, false));
                let out = out.expect("fft");
                assert!(out.gpu().same(ctx), "on the input's device");
                assert!(!notes.is_empty(), "a note says why");
                let want = fft(gpusci::Device::Cpu, z.view(), &params, false).expect("cpu");
                let got = out.to_host::<Complex<f64>>().expect("down");
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).norm() <= 1e-12 * 100.0, "{params:?}: {g} vs {w}");
                }
            }
            // An odd real length runs on the device (as a complex transform), no note.
            let odd = ndarray::Array1::from_shape_fn(9, |k| k as f64).into_dyn();
            let r = DeviceArray::from_host(ctx, odd.view(), Arith::DoubleFloat).expect("up");
            let (out, notes) =
                crate::common::capture_cpu_notes(|| rfft_device(&r, &FftParams::default()));
            assert!(notes.is_empty(), "{notes:?}");
            let want = rfft(gpusci::Device::Cpu, odd.view(), &FftParams::default()).expect("cpu");
            let got = out.expect("rfft").to_host::<Complex<f64>>().expect("down");
            assert!(got
                .iter()
                .zip(&want)
                .all(|(g, w)| (g - w).norm() <= 1e-12 * 40.0));
            assert!(
                fft_device(&r, &FftParams::default(), false).is_err(),
                "fft of a real array"
            );
            assert!(
                rfft_device(&a, &FftParams::default()).is_err(),
                "rfft of a complex array"
            );
        },
    );
}

/// A constant-mode cval far from a double-float array's values is never scaled into
/// infinities: within 2^90 of them it is computed on the GPU; past that a device array's blur
/// is refused (its result could not be held in double-float), and a host array's goes to the
/// CPU. Both give SciPy's answer where they answer.
#[test]
fn a_cval_far_from_double_float_values_gives_the_cpu_answer_or_a_clear_error() {
    use gpusci::array::DeviceArray;
    use gpusci::blur::{gaussian_filter_device, Mode};
    use gpusci::gpu::Arith;
    let tol = Tol {
        abs: 1e-13,
        rel: 1e-13,
    };
    for_each_adapter(
        "a_cval_far_from_double_float_values_gives_the_cpu_answer_or_a_clear_error",
        |ctx| {
            let params = BlurParams::new(1.0)
                .with_mode(Mode::Constant)
                .with_cval(1.0);
            // 1e-20 and 1.0: 67 binades apart, within double-float's reach.
            let small = image(20, 30, 8).mapv(|v| f64::from(v) * 1e-20);
            let want = cpu::gaussian_filter_reference(small.view(), &params).expect("reference");
            let a = DeviceArray::from_host(ctx, small.view(), Arith::DoubleFloat).expect("up");
            let got = gaussian_filter_device(&a, &params).expect("blur");
            let got = got.to_host::<f64>().expect("down");
            assert_close(
                got.view(),
                want.view().into_dyn(),
                tol,
                "67 binades on the GPU",
            );
            // 1e-300 and 1.0: past it.
            let tiny = small.mapv(|v| v * 1e-280);
            let want = cpu::gaussian_filter_reference(tiny.view(), &params).expect("reference");
            let a = DeviceArray::from_host(ctx, tiny.view(), Arith::DoubleFloat).expect("up");
            assert!(
                matches!(
                    gaussian_filter_device(&a, &params),
                    Err(gpusci::Error::ExceedsLimit { .. })
                ),
                "a device array refuses it"
            );
            ctx.emulate_float64(true);
            // Captured: the note is process-wide, and other tests capture theirs.
            let (got, notes) = crate::common::capture_cpu_notes(|| {
                gaussian_filter(executor_on(ctx), tiny.view(), &params)
            });
            ctx.emulate_float64(false);
            assert!(!notes.is_empty(), "the host path says it ran on the CPU");
            assert_close(
                got.expect("host blur").view(),
                want.view(),
                tol,
                "a host array, on the CPU",
            );
        },
    );
}

/// A chain of device blurs submits without waiting and waits once, at the end; buffers the
/// pool hands out again mid-chain (poisoned) still give the CPU's answer. (How many buffers a
/// chain reuses depends on how far the GPU got when the next step opens its encoder: not
/// asserted, as it is not deterministic.)
#[test]
fn chains_of_device_operations_wait_once_and_give_the_cpu_answer() {
    use gpusci::array::DeviceArray;
    use gpusci::blur::gaussian_filter_device;
    use gpusci::gpu::Arith;
    for_each_adapter(
        "chains_of_device_operations_wait_once_and_give_the_cpu_answer",
        |ctx| {
            let input = image(64, 48, 12);
            let params = BlurParams::new(0.8);
            let chain = || {
                let mut a = DeviceArray::from_host(ctx, input.view(), Arith::Single).expect("up");
                for _ in 0..12 {
                    a = gaussian_filter_device(&a, &params).expect("blur");
                }
                a.to_host::<f32>().expect("down")
            };
            let first = chain();
            ctx.reset_stats();
            let second = chain();
            let stats = ctx.reset_stats();
            assert_eq!(stats.waits, 1, "one wait, at the end: {stats:?}");
            assert_eq!(
                stats.pool_bytes_in_use, 0,
                "every lease returned: {stats:?}"
            );
            assert_eq!(first, second);
            let mut want = input.clone();
            for _ in 0..12 {
                want = gaussian_filter(gpusci::Device::Cpu, want.view(), &params).expect("cpu");
            }
            assert_close(
                second.view(),
                want.into_dyn().view(),
                Tol {
                    abs: 1e-4,
                    rel: 1e-4,
                },
                "chain",
            );
        },
    );
}
