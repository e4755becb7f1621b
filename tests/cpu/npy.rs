//! `.npy` reading: every malformed or hostile file is a typed error before anything large is
//! allocated; good files of every supported kind load.

use std::io::Write;

use gpusci::io::{read_npy, write_npy, NpyArray, NpyError};
use gpusci::Error;
use ndarray::{ArrayD, IxDyn};

use crate::common::npy_bytes as npy;

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn load(bytes: &[u8]) -> gpusci::Result<NpyArray> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    read_npy(file.path())
}

#[track_caller]
fn rejects(bytes: &[u8], check: impl Fn(&NpyError) -> bool, what: &str) {
    match load(bytes) {
        Err(Error::Npy { kind, .. }) => assert!(check(&kind), "{what}: wrong error kind {kind:?}"),
        other => panic!("{what}: expected an Npy error, got {other:?}"),
    }
}

#[test]
fn hostile_and_malformed_files_are_rejected_with_typed_errors() {
    let good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    let data = f64_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // 2^34 float64 declared in a tiny file: must not allocate 128 GiB (ndarray-npy would abort).
    rejects(
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (17179869184,), }",
            &[],
        ),
        |k| matches!(k, NpyError::Truncated(_)),
        "huge declared size",
    );
    rejects(
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[],
        ),
        |k| matches!(k, NpyError::TooLarge(_)),
        "overflowing shape",
    );
    rejects(
        b"PK\x03\x04 not an npy file at all",
        |k| matches!(k, NpyError::NotNpy),
        "wrong magic",
    );
    rejects(
        b"\x93NU",
        |k| matches!(k, NpyError::NotNpy),
        "too short for the magic",
    );
    let mut v9 = npy(good, &data);
    v9[6] = 9;
    rejects(
        &v9,
        |k| matches!(k, NpyError::UnsupportedVersion(9, 0)),
        "version 9.0",
    );
    let mut long = b"\x93NUMPY\x02\x00".to_vec();
    long.extend_from_slice(&200_000u32.to_le_bytes());
    rejects(
        &long,
        |k| matches!(k, NpyError::HeaderTooLarge(200_000)),
        "header length 200000",
    );
    rejects(
        &npy(good, &data)[..30],
        |k| matches!(k, NpyError::Truncated(_)),
        "truncated header",
    );
    rejects(
        &npy(good, &data[..47]),
        |k| matches!(k, NpyError::Truncated(_)),
        "one byte short",
    );
    let mut trailing = npy(good, &data);
    trailing.extend_from_slice(&[0, 0, 0, 0]);
    rejects(
        &trailing,
        |k| matches!(k, NpyError::TrailingData(4)),
        "trailing bytes",
    );
    rejects(
        &npy("{'descr': '<f8', 'shape': (2, 3), }", &data),
        |k| matches!(k, NpyError::BadHeader(_)),
        "missing key",
    );
    rejects(
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }",
            &data,
        ),
        |k| matches!(k, NpyError::BadHeader(_)),
        "extra key",
    );
    rejects(
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
            &data,
        ),
        |k| matches!(k, NpyError::BadHeader(_)),
        "negative dimension",
    );
    rejects(
        &npy(
            "{'descr': '|O', 'fortran_order': False, 'shape': (6,), }",
            &data,
        ),
        |k| matches!(k, NpyError::UnsupportedDtype(_)),
        "object dtype",
    );
    rejects(
        &npy(
            "{'descr': '<U3', 'fortran_order': False, 'shape': (4,), }",
            &data,
        ),
        |k| matches!(k, NpyError::UnsupportedDtype(_)),
        "unicode dtype",
    );
    rejects(
        &npy(
            "{'descr': '<f2', 'fortran_order': False, 'shape': (24,), }",
            &data,
        ),
        |k| matches!(k, NpyError::UnsupportedDtype(_)),
        "float16",
    );
    rejects(
        &npy(
            "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }",
            &data,
        ),
        |k| matches!(k, NpyError::UnsupportedDtype(_)),
        "complex",
    );
    rejects(
        &npy(
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }",
            &data,
        ),
        |k| matches!(k, NpyError::UnsupportedDtype(_)),
        "structured",
    );
    rejects(
        &npy("not a dict", &data),
        |k| matches!(k, NpyError::BadHeader(_)),
        "not a dict",
    );
    rejects(
        &npy(
            "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3), }",
            &data,
        ),
        |k| matches!(k, NpyError::BadHeader(_)),
        "bad bool",
    );
    assert!(
        matches!(
            read_npy(std::path::Path::new("/nonexistent/x.npy")),
            Err(Error::Io { .. })
        ),
        "missing file"
    );
}

#[test]
fn supported_files_load_with_their_values() {
    let data = f64_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let c = load(&npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
        &data,
    ))
    .unwrap();
    let expected =
        ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert_eq!(c, NpyArray::F64(expected.clone()), "C order");
    // The same bytes in Fortran order are the transpose, returned in C layout.
    let f = load(&npy(
        "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }",
        &data,
    ))
    .unwrap();
    assert_eq!(
        f,
        NpyArray::F64(expected.t().to_owned().into_dyn()),
        "Fortran order"
    );
    let be: Vec<u8> = [1.5f64, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    assert_eq!(
        load(&npy(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
            &be
        ))
        .unwrap()
        .shape(),
        &[2],
        "big-endian"
    );
    let ints: Vec<u8> = [7i32, -3].iter().flat_map(|v| v.to_le_bytes()).collect();
    match load(&npy(
        "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
        &ints,
    ))
    .unwrap()
    {
        NpyArray::F64(a) => assert_eq!(a.as_slice().unwrap(), &[7.0, -3.0], "int32 to float64"),
        other => panic!("ints should become float64, got {other:?}"),
    }
    let f32s: Vec<u8> = [0.5f32].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert!(
        matches!(load(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &f32s)).unwrap(), NpyArray::F32(a) if a.ndim() == 0),
        "0-d float32"
    );
    assert_eq!(
        load(&npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }",
            &[]
        ))
        .unwrap()
        .shape(),
        &[0, 3],
        "zero-size"
    );
}

#[test]
fn written_files_round_trip_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.npy");
    let values =
        ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![f32::NAN, f32::INFINITY, -0.0, 1e-40]).unwrap();
    write_npy(&path, &values).unwrap();
    match read_npy(&path).unwrap() {
        NpyArray::F32(back) => {
            let bits = |a: &ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back), bits(&values), "bit-exact");
        }
        other => panic!("float32 stays float32, got {other:?}"),
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

/// Hand-written headers (Python 2's `3L`, dtype spellings, key order, quotes): read exactly
/// when `np.load` reads them, refused when it refuses them (tests/data/exactness/headers, made
/// by make_exactness_fixtures.py with NumPy).
#[test]
fn headers_are_read_as_np_load_reads_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exactness/headers");
    let manifest = crate::common::manifest("exactness");
    let cases = manifest["npy_headers"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let header = case["header"].as_str().unwrap();
        let got = read_npy(&dir.join(format!("{file}.npy")));
        if case["accepted"].as_bool().unwrap() {
            let got = got.unwrap_or_else(|e| panic!("np.load reads {header}; gpusci: {e}"));
            let expected = read_npy(&dir.join(format!("{file}_expected.npy"))).unwrap();
            assert_eq!(got, expected, "{header}");
        } else {
            assert!(
                matches!(got, Err(Error::Npy { .. })),
                "np.load refuses {header}; gpusci gave {got:?}"
            );
        }
    }
}
