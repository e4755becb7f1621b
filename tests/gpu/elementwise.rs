//! Elementwise operations on device arrays (`gpusci.Array`'s operators) against their CPU
//! twin, on every adapter and in every storage: broadcasting, scalars (NEP 50), NaN,
//! infinities, zeros, empty and 0-d arrays, magnitudes far from 1, and the seed program's
//! low-pass chain kept on the device.

use crate::common::{capture_cpu_notes, for_each_adapter};
use gpusci::array::elementwise::{
    self, binary, cpu, masked_assign, unary, BinaryOp, Operand, Scalar, UnaryOp,
};
use gpusci::array::{DType, DeviceArray};
use gpusci::gpu::Arith;
use gpusci::GpuContext;
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;
use rand::{Rng, SeedableRng};

/// float32 results against the float64 twin rounded to float32: WGSL allows 2.5 ulp for
/// division and square roots (sums and products are correctly rounded), so 4 ulp of the
/// value, plus the same of the operands' scale for complex products (two roundings each).
const F32_REL: f64 = 4.0 * f32::EPSILON as f64;

/// float64 results (native or double-float) against the float64 twin: double-float's
/// products and sums carry about 2^-47 of the output's scale (normwise; elements far below
/// the output's largest are held to that scale, as the module documents), native float64
/// about 2^-52.
const F64_REL: f64 = 1e-13;

/// Every (dtype, arithmetic) a real device array can take on `ctx`.
fn storages(ctx: &GpuContext) -> Vec<(DType, Arith)> {
    let mut out = vec![
        (DType::Float32, Arith::Single),
        (DType::Float64, Arith::DoubleFloat),
    ];
    if ctx.float64_arith() == Arith::Native64 {
        out.push((DType::Float64, Arith::Native64));
    }
    out
}

/// Random values in (-2, 2) times `magnitude`, with NaN, infinities and zeros sprinkled in.
fn values(shape: &[usize], seed: u64, magnitude: f64, specials: bool) -> ArrayD<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x =
        ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-2.0..2.0) * magnitude);
    if specials {
        for (i, v) in x.iter_mut().enumerate() {
            match i % 11 {
                3 => *v = 0.0,
                5 if i % 3 == 0 => *v = f64::NAN,
                7 if i % 2 == 0 => *v = f64::INFINITY,
                9 if i % 2 == 0 => *v = f64::NEG_INFINITY,
                _ => {}
            }
        }
    }
    x
}

fn upload(ctx: &GpuContext, x: &ArrayD<f64>, (dtype, arith): (DType, Arith)) -> DeviceArray {
    match dtype {
        DType::Float32 => DeviceArray::from_host(ctx, x.mapv(|v| v as f32).view(), arith),
        _ => DeviceArray::from_host(ctx, x.view(), arith),
    }
    .expect("upload")
}

fn upload_complex(
    ctx: &GpuContext,
    re: &ArrayD<f64>,
    im: &ArrayD<f64>,
    (dtype, arith): (DType, Arith),
) -> DeviceArray {
    let z = ndarray::Zip::from(re)
        .and(im)
        .map_collect(|&a, &b| Complex::new(a, b));
    match dtype {
        DType::Float32 => DeviceArray::from_host(
            ctx,
            z.mapv(|v| Complex::new(v.re as f32, v.im as f32)).view(),
            arith,
        ),
        _ => DeviceArray::from_host(ctx, z.view(), arith),
    }
    .expect("upload")
}

/// Every element as complex float64 (bool as 0/1).
fn widened(x: &cpu::HostArray) -> Vec<Complex<f64>> {
    match x {
        cpu::HostArray::F32(a) => a.iter().map(|&v| Complex::new(v.into(), 0.0)).collect(),
        cpu::HostArray::F64(a) => a.iter().map(|&v| Complex::new(v, 0.0)).collect(),
        cpu::HostArray::C64(a) => a
            .iter()
            .map(|v| Complex::new(v.re.into(), v.im.into()))
            .collect(),
        cpu::HostArray::C128(a) => a.iter().copied().collect(),
        cpu::HostArray::Bool(a) => a
            .iter()
            .map(|&v| Complex::new(f64::from(u8::from(v)), 0.0))
            .collect(),
    }
}

/// The device's result against the twin's: same dtype and shape; bools equal; values within
/// `rel` of themselves plus `rel` of the result's largest finite magnitude (normwise);
/// NaN where the twin has NaN, the same infinities.
fn check(got: &DeviceArray, want: &cpu::HostArray, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let host = cpu::download(got).expect("download");
    let (g, w) = (widened(&host), widened(want));
    if want.dtype() == DType::Bool {
        assert_eq!(g, w, "{what}: bools");
        return;
    }
    let rel = if matches!(want.dtype(), DType::Float32 | DType::Complex64) {
        F32_REL
    } else {
        F64_REL
    };
    let scale = w
        .iter()
        .flat_map(|z| [z.re.abs(), z.im.abs()])
        .filter(|m| m.is_finite())
        .fold(0.0f64, f64::max);
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        for (x, y) in [(a.re, b.re), (a.im, b.im)] {
            let ok =
                (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= rel * (y.abs() + scale);
            assert!(ok, "{what}[{i}]: {x:e} vs {y:e} (scale {scale:e})");
        }
    }
}

const BINARY: [BinaryOp; 12] = [
    BinaryOp::Add,
    BinaryOp::Subtract,
    BinaryOp::Multiply,
    BinaryOp::Divide,
    BinaryOp::Minimum,
    BinaryOp::Maximum,
    BinaryOp::Less,
    BinaryOp::LessEqual,
    BinaryOp::Greater,
    BinaryOp::GreaterEqual,
    BinaryOp::Equal,
    BinaryOp::NotEqual,
];

#[test]
fn real_operations_match_the_cpu_with_broadcasting_and_scalars() {
    let shapes: [(&[usize], &[usize]); 6] = [
        (&[3, 1], &[1, 4]),
        (&[2, 5], &[5]),
        (&[], &[7]),
        (&[0, 3], &[3]),
        (&[1], &[1]),
        (&[300, 7], &[300, 1]),
    ];
    for_each_adapter("real_operations_match_the_cpu", |ctx| {
        for storage in storages(ctx) {
            let magnitudes: &[f64] = if storage.0 == DType::Float64 {
                &[1.0, 1e-200, 1e250]
            } else {
                &[1.0]
            };
            for &magnitude in magnitudes {
                for (case, (sa, sb)) in shapes.iter().enumerate() {
                    let (a, b) = (
                        values(sa, case as u64, magnitude, true),
                        values(sb, 40 + case as u64, magnitude, true),
                    );
                    let (x, y) = (upload(ctx, &a, storage), upload(ctx, &b, storage));
                    let (hx, hy) = (cpu::download(&x).unwrap(), cpu::download(&y).unwrap());
                    let shape = elementwise::broadcast_shape(sa, sb).unwrap();
                    for op in BINARY {
                        let what = format!("{storage:?} {magnitude:e} {sa:?} {} {sb:?}", op.name());
                        let (got, _) = capture_cpu_notes(|| {
                            binary(op, Operand::Array(&x), Operand::Array(&y))
                        });
                        let want = cpu::binary(
                            op,
                            cpu::HostOperand::Array(hx.clone()),
                            cpu::HostOperand::Array(hy.clone()),
                            &shape,
                        )
                        .unwrap();
                        check(&got.expect("binary"), &want, &what);
                        for s in [2.5 * magnitude, -0.0, f64::INFINITY, 3.0] {
                            let scalar = Scalar::real(s);
                            let (got, _) = capture_cpu_notes(|| {
                                binary(op, Operand::Array(&x), Operand::Scalar(scalar))
                            });
                            let want = cpu::binary(
                                op,
                                cpu::HostOperand::Array(hx.clone()),
                                cpu::HostOperand::Scalar(scalar),
                                sa,
                            )
                            .unwrap();
                            check(&got.expect("scalar"), &want, &format!("{what} scalar {s}"));
                            let (got, _) = capture_cpu_notes(|| {
                                binary(op, Operand::Scalar(scalar), Operand::Array(&y))
                            });
                            let want = cpu::binary(
                                op,
                                cpu::HostOperand::Scalar(scalar),
                                cpu::HostOperand::Array(hy.clone()),
                                sb,
                            )
                            .unwrap();
                            check(&got.expect("scalar first"), &want, &format!("{s} {what}"));
                        }
                    }
                    for op in [
                        UnaryOp::Negative,
                        UnaryOp::Absolute,
                        UnaryOp::Sqrt,
                        UnaryOp::Real,
                        UnaryOp::Imag,
                        UnaryOp::Conjugate,
                    ] {
                        let got = unary(op, &x).expect("unary");
                        let want = cpu::unary(op, &hx).unwrap();
                        check(
                            &got,
                            &want,
                            &format!("{storage:?} {magnitude:e} {} {sa:?}", op.name()),
                        );
                    }
                }
            }
        }
    });
}

#[test]
fn complex_operations_match_the_cpu() {
    for_each_adapter("complex_operations_match_the_cpu", |ctx| {
        for storage in storages(ctx) {
            let magnitudes: &[f64] = if storage.0 == DType::Float64 {
                &[1.0, 1e-150, 1e150]
            } else {
                &[1.0]
            };
            for &magnitude in magnitudes {
                let shape = [17usize, 3];
                let z = upload_complex(
                    ctx,
                    &values(&shape, 1, magnitude, false),
                    &values(&shape, 2, magnitude, false),
                    storage,
                );
                let w = upload_complex(
                    ctx,
                    &values(&[3], 3, magnitude, false),
                    &values(&[3], 4, magnitude, false),
                    storage,
                );
                let r = upload(ctx, &values(&[17, 1], 5, magnitude, true), storage);
                let (hz, hw, hr) = (
                    cpu::download(&z).unwrap(),
                    cpu::download(&w).unwrap(),
                    cpu::download(&r).unwrap(),
                );
                for op in [
                    BinaryOp::Add,
                    BinaryOp::Subtract,
                    BinaryOp::Multiply,
                    BinaryOp::Equal,
                    BinaryOp::NotEqual,
                ] {
                    for (x, hx, y, hy) in
                        [(&z, &hz, &w, &hw), (&z, &hz, &r, &hr), (&r, &hr, &w, &hw)]
                    {
                        let shape = elementwise::broadcast_shape(x.shape(), y.shape()).unwrap();
                        let got = binary(op, Operand::Array(x), Operand::Array(y)).expect("op");
                        let want = cpu::binary(
                            op,
                            cpu::HostOperand::Array(hx.clone()),
                            cpu::HostOperand::Array(hy.clone()),
                            &shape,
                        )
                        .unwrap();
                        let what = format!(
                            "{storage:?} {magnitude:e} {:?} {} {:?}",
                            x.dtype(),
                            op.name(),
                            y.dtype()
                        );
                        check(&got, &want, &what);
                    }
                    let s = Scalar::complex(Complex::new(0.5 * magnitude, -2.0 * magnitude));
                    let got = binary(op, Operand::Array(&r), Operand::Scalar(s)).expect("scalar");
                    let want = cpu::binary(
                        op,
                        cpu::HostOperand::Array(hr.clone()),
                        cpu::HostOperand::Scalar(s),
                        r.shape(),
                    )
                    .unwrap();
                    check(
                        &got,
                        &want,
                        &format!("{storage:?} real {} complex scalar", op.name()),
                    );
                }
                for op in [
                    UnaryOp::Negative,
                    UnaryOp::Absolute,
                    UnaryOp::Real,
                    UnaryOp::Imag,
                    UnaryOp::Conjugate,
                ] {
                    let got = unary(op, &z).expect("unary");
                    let want = cpu::unary(op, &hz).unwrap();
                    check(
                        &got,
                        &want,
                        &format!("{storage:?} {magnitude:e} complex {}", op.name()),
                    );
                }
                // Complex values order lexicographically, as NumPy's comparisons.
                for op in [
                    BinaryOp::Less,
                    BinaryOp::LessEqual,
                    BinaryOp::Greater,
                    BinaryOp::GreaterEqual,
                ] {
                    let got = binary(op, Operand::Array(&z), Operand::Array(&w)).expect("compare");
                    let want = cpu::binary(
                        op,
                        cpu::HostOperand::Array(hz.clone()),
                        cpu::HostOperand::Array(hw.clone()),
                        &[17, 3],
                    )
                    .unwrap();
                    check(&got, &want, &format!("{storage:?} complex {}", op.name()));
                }
            }
        }
    });
}

#[test]
fn masks_logical_operations_and_refusals() {
    for_each_adapter("masks_logical_operations_and_refusals", |ctx| {
        for storage in storages(ctx) {
            let x = upload(ctx, &values(&[40], 9, 1.0, true), storage);
            let hx = cpu::download(&x).unwrap();
            let low = binary(
                BinaryOp::Less,
                Operand::Array(&x),
                Operand::Scalar(Scalar::real(0.5)),
            )
            .unwrap();
            let high = binary(
                BinaryOp::Greater,
                Operand::Array(&x),
                Operand::Scalar(Scalar::real(-0.5)),
            )
            .unwrap();
            let (hl, hh) = (cpu::download(&low).unwrap(), cpu::download(&high).unwrap());
            for op in [
                BinaryOp::LogicalAnd,
                BinaryOp::LogicalOr,
                BinaryOp::LogicalXor,
            ] {
                let got = binary(op, Operand::Array(&low), Operand::Array(&high)).unwrap();
                let want = cpu::binary(
                    op,
                    cpu::HostOperand::Array(hl.clone()),
                    cpu::HostOperand::Array(hh.clone()),
                    &[40],
                )
                .unwrap();
                check(&got, &want, op.name());
            }
            let not = unary(UnaryOp::LogicalNot, &low).unwrap();
            check(
                &not,
                &cpu::unary(UnaryOp::LogicalNot, &hl).unwrap(),
                "logical_not",
            );
            // x[low] = 7: x itself unchanged.
            let assigned = masked_assign(&x, &low, Scalar::real(7.0)).unwrap();
            let cpu::HostArray::Bool(mask) = &hl else {
                panic!("bool")
            };
            let want: Vec<Complex<f64>> = widened(&hx)
                .into_iter()
                .zip(mask.iter())
                .map(|(v, &m)| if m { Complex::new(7.0, 0.0) } else { v })
                .collect();
            let got = widened(&cpu::download(&assigned).unwrap());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    g == w || (g.re.is_nan() && w.re.is_nan()),
                    "{storage:?} [{i}] {g} vs {w}"
                );
            }
            check(&x, &hx, "the input is not modified");
            // Refused: bad masks, logical operations on floats, bool arithmetic.
            assert!(masked_assign(&x, &x, Scalar::real(1.0)).is_err());
            assert!(binary(
                BinaryOp::LogicalAnd,
                Operand::Array(&x),
                Operand::Array(&low)
            )
            .is_err());
            assert!(binary(BinaryOp::Add, Operand::Array(&low), Operand::Array(&low)).is_err());
            let y = upload(ctx, &values(&[3], 1, 1.0, false), storage);
            assert!(matches!(
                binary(BinaryOp::Add, Operand::Array(&x), Operand::Array(&y)),
                Err(gpusci::Error::ShapeMismatch { .. })
            ));
        }
        // Mixed precisions move to the CPU with a note, and come back in float64.
        let a = upload(
            ctx,
            &values(&[5], 1, 1.0, false),
            (DType::Float32, Arith::Single),
        );
        let b = upload(
            ctx,
            &values(&[5], 2, 1.0, false),
            (DType::Float64, Arith::DoubleFloat),
        );
        let (got, notes) =
            capture_cpu_notes(|| binary(BinaryOp::Add, Operand::Array(&a), Operand::Array(&b)));
        let got = got.unwrap();
        assert_eq!(got.dtype(), DType::Float64);
        assert!(notes.iter().any(|n| n.starts_with("add:")), "{notes:?}");
        let want = cpu::binary(
            BinaryOp::Add,
            cpu::HostOperand::Array(cpu::download(&a).unwrap()),
            cpu::HostOperand::Array(cpu::download(&b).unwrap()),
            &[5],
        )
        .unwrap();
        check(&got, &want, "mixed precisions");
    });
}

/// Arrays past a 64 KiB binding (the kernels bind each array whole) run on the CPU with a
/// note and come back to the device, with the twin's answer.
#[test]
fn arrays_past_one_binding_run_on_the_cpu_with_a_note() {
    crate::common::for_each_adapter_with_limits(
        "elementwise arrays_past_one_binding",
        |limits| wgpu::Limits {
            max_storage_buffer_binding_size: 64 << 10,
            ..limits
        },
        |ctx| {
            for storage in storages(ctx) {
                let (a, b) = (
                    values(&[20_000], 1, 1.0, true),
                    values(&[20_000], 2, 1.0, true),
                );
                let (x, y) = (upload(ctx, &a, storage), upload(ctx, &b, storage));
                let (hx, hy) = (cpu::download(&x).unwrap(), cpu::download(&y).unwrap());
                let (got, notes) = capture_cpu_notes(|| {
                    binary(BinaryOp::Multiply, Operand::Array(&x), Operand::Array(&y))
                });
                assert!(
                    notes
                        .iter()
                        .any(|n| n.contains("past one GPU storage binding")),
                    "{notes:?}"
                );
                let want = cpu::binary(
                    BinaryOp::Multiply,
                    cpu::HostOperand::Array(hx.clone()),
                    cpu::HostOperand::Array(hy),
                    &[20_000],
                )
                .unwrap();
                check(
                    &got.unwrap(),
                    &want,
                    &format!("{storage:?} multiply past a binding"),
                );
                let (got, notes) = capture_cpu_notes(|| unary(UnaryOp::Absolute, &x));
                assert!(!notes.is_empty(), "{storage:?}: a note");
                check(
                    &got.unwrap(),
                    &cpu::unary(UnaryOp::Absolute, &hx).unwrap(),
                    "abs past a binding",
                );
                let mask = binary(
                    BinaryOp::Less,
                    Operand::Array(&x),
                    Operand::Scalar(Scalar::real(0.0)),
                );
                let mask = capture_cpu_notes(|| mask).0.unwrap();
                let (got, notes) =
                    capture_cpu_notes(|| masked_assign(&x, &mask, Scalar::real(0.0)));
                assert!(!notes.is_empty(), "{storage:?}: a note");
                let got = cpu::download(&got.unwrap()).unwrap();
                // As stored (double-float holds 48 bits of each value).
                for (g, w) in widened(&got).iter().zip(widened(&hx)) {
                    let want = if w.re < 0.0 { 0.0 } else { w.re };
                    assert!(
                        g.re == want || (g.re.is_nan() && want.is_nan()),
                        "{g} vs {want}"
                    );
                }
            }
        },
    );
}

/// Chains of double-float operations keep float64 accuracy: sums and products halve their
/// results blindly, and an array whose exponent may overstate it by more than `MAX_DRIFT`
/// binades is rescaled (with a note) before the next operation. Products by powers of two and
/// sums of zero do not drift at all.
#[test]
fn long_double_float_chains_keep_their_accuracy() {
    for_each_adapter("long_double_float_chains_keep_their_accuracy", |ctx| {
        let storage = (DType::Float64, Arith::DoubleFloat);
        let a = values(&[64], 5, 1.0, false);
        let x = upload(ctx, &a, storage);
        let (mut y, mut want) = (x.clone(), a.clone());
        let (mut same, mut notes) = (x.clone(), Vec::new());
        for step in 0..150 {
            let (next, said) = capture_cpu_notes(|| {
                binary(
                    BinaryOp::Multiply,
                    Operand::Array(&y),
                    Operand::Scalar(Scalar::real(0.75)),
                )
            });
            notes.extend(said);
            y = next.unwrap();
            want.mapv_inplace(|v| v * 0.75);
            let (next, said) =
                capture_cpu_notes(|| binary(BinaryOp::Add, Operand::Array(&y), Operand::Array(&x)));
            notes.extend(said);
            y = next.unwrap();
            want = &want + &a;
            same = binary(
                BinaryOp::Multiply,
                Operand::Array(&same),
                Operand::Scalar(Scalar::real(1.0)),
            )
            .unwrap();
            same = binary(
                BinaryOp::Add,
                Operand::Array(&same),
                Operand::Scalar(Scalar::real(0.0)),
            )
            .unwrap();
            if step % 50 == 49 {
                let got = y.to_host::<f64>().unwrap();
                let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (g, w) in got.iter().zip(want.iter()) {
                    assert!((g - w).abs() <= 1e-12 * scale, "step {step}: {g} vs {w}");
                }
            }
        }
        assert!(
            notes.iter().any(|n| n.contains("rescaled")),
            "the chain was rescaled: {notes:?}"
        );
        assert_eq!(
            same.to_host::<f64>().unwrap(),
            x.to_host::<f64>().unwrap(),
            "x * 1 + 0"
        );
    });
}
