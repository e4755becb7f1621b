//! Colormaps against matplotlib's own tables (tests/data/colormaps, written by
//! tests/data/make_colormap_tables.py): every entry of every map and of its `_r` form, the
//! lookup rule `min(floor(t * 256), 255)`, and the names matplotlib uses.

use gpusci::render::{lut_index, Colormap, LUT_SIZE};
use gpusci::Error;

/// matplotlib's table of `name` (uint8 (256, 3) in the file) as RGB triples.
fn table(name: &str) -> Vec<[u8; 3]> {
    let a = crate::common::fixture("colormaps", name);
    assert_eq!(a.shape(), [LUT_SIZE, 3], "{name}: fixture shape");
    a.outer_iter()
        .map(|row| {
            let c: Vec<u8> = row
                .iter()
                .map(|&v| {
                    assert!(
                        v.fract() == 0.0 && (0.0..=255.0).contains(&v),
                        "{name}: byte {v}"
                    );
                    v as u8
                })
                .collect();
            [c[0], c[1], c[2]]
        })
        .collect()
}

/// The maps in the fixtures' manifest, in the order of the tables in src/render/colormaps.bin.
fn manifest_maps() -> Vec<String> {
    crate::common::manifest("colormaps")["maps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_maps_are_matplotlibs_in_the_tables_order() {
    let names: Vec<&str> = Colormap::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(names, manifest_maps(), "Colormap::ALL is the tables' order");
    for base in [
        "viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray", "hot", "coolwarm",
    ] {
        for name in [base.to_string(), format!("{base}_r")] {
            assert!(names.contains(&name.as_str()), "{name} is offered");
        }
    }
    assert_eq!(Colormap::default(), Colormap::Viridis, "viridis by default");
}

#[test]
fn every_entry_of_every_map_equals_matplotlibs() {
    for name in manifest_maps() {
        let map: Colormap = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(map.name(), name, "{name}: parses to itself");
        assert_eq!(map.is_reversed(), name.ends_with("_r"), "{name}: reversed");
        let want = table(&name);
        let lut = map.lut();
        assert_eq!(lut.len(), LUT_SIZE, "{name}: table size");
        for (i, (got, want)) in lut.iter().zip(&want).enumerate() {
            assert_eq!(got, want, "{name}: lut entry {i}");
        }
        for (i, want) in want.iter().enumerate() {
            // Bin i is [i / 256, (i + 1) / 256): its centre and its low edge draw entry i.
            let centre = (i as f64 + 0.5) / LUT_SIZE as f64;
            assert_eq!(
                map.rgb(centre),
                *want,
                "{name}: rgb at the centre of bin {i}"
            );
            let edge = i as f64 / LUT_SIZE as f64;
            assert_eq!(
                map.rgb(edge),
                *want,
                "{name}: rgb at the low edge of bin {i}"
            );
        }
        let (first, last) = (want[0], want[LUT_SIZE - 1]);
        assert_eq!(map.rgb(0.0), first, "{name}: rgb(0)");
        assert_eq!(map.rgb(1.0), last, "{name}: rgb(1)");
        assert_eq!(map.rgb(-0.5), first, "{name}: below 0 clamps");
        assert_eq!(map.rgb(f64::NEG_INFINITY), first, "{name}: -inf clamps");
        assert_eq!(map.rgb(1.5), last, "{name}: above 1 clamps");
        assert_eq!(map.rgb(f64::INFINITY), last, "{name}: inf clamps");
        assert_eq!(map.rgb(f64::NAN), first, "{name}: NaN draws entry 0");
    }
}

/// `_r` maps are matplotlib's own reversed tables: the table read backwards, except that
/// matplotlib samples `gray_r`'s segments itself and truncates to bytes, one level apart from
/// `gray` read backwards in some entries.
#[test]
fn reversed_maps_run_backwards() {
    for map in &Colormap::ALL[..Colormap::ALL.len() / 2] {
        let name = map.name();
        let reversed = map.reversed();
        assert_eq!(reversed.name(), format!("{name}_r"), "{name}: reversed");
        assert_eq!(reversed.reversed(), *map, "{name}: reversed twice");
        assert!(!map.is_reversed() && reversed.is_reversed(), "{name}");
        let level = if *map == Colormap::Gray { 1 } else { 0 };
        let backwards = map.lut().iter().rev();
        for (i, (a, b)) in backwards.zip(reversed.lut()).enumerate() {
            assert!(
                a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= level),
                "{name}_r entry {i}: {b:?}, {name} entry {}: {a:?}",
                LUT_SIZE - 1 - i
            );
        }
    }
}

#[test]
fn lookup_is_matplotlibs_rule() {
    for i in 0..LUT_SIZE {
        let n = LUT_SIZE as f64;
        assert_eq!(lut_index(i as f64 / n), i, "low edge of bin {i}");
        assert_eq!(lut_index((i as f64 + 0.5) / n), i, "centre of bin {i}");
        let below_next = (i as f64 + 1.0) / n - 1e-12;
        assert_eq!(lut_index(below_next), i, "just below bin {}", i + 1);
    }
    assert_eq!(lut_index(1.0), LUT_SIZE - 1, "1 is the last entry");
    assert_eq!(lut_index(7.0), LUT_SIZE - 1, "above 1");
    assert_eq!(lut_index(-1e-9), 0, "below 0");
    assert_eq!(lut_index(f64::NAN), 0, "NaN");
}

#[test]
fn names_parse_as_matplotlib_names_them() {
    let parse = |s: &str| s.parse::<Colormap>().unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(parse("viridis"), Colormap::Viridis);
    assert_eq!(parse("coolwarm_r"), Colormap::CoolwarmR);
    assert_eq!(parse("gray"), Colormap::Gray);
    assert_eq!(parse("grey"), Colormap::Gray, "grey is gray");
    assert_eq!(parse("grey_r"), Colormap::GrayR, "grey_r is gray_r");
    assert_eq!(parse("Inferno"), Colormap::Inferno, "any case");
    assert_eq!(parse("HOT_R"), Colormap::HotR, "any case");
}

#[test]
fn unknown_names_are_errors_listing_the_names() {
    // greys: matplotlib's Greys is another map (white to black, ColorBrewer's).
    for bad in ["jet", "greys", "viridis_rr", "_r", ""] {
        let err = bad.parse::<Colormap>().expect_err(bad);
        assert!(
            matches!(
                err,
                Error::InvalidParam {
                    name: "colormap",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("'{bad}'")), "{bad}: {message}");
        for map in Colormap::ALL {
            assert!(
                message.contains(map.name()),
                "{bad}: the message lists {}: {message}",
                map.name()
            );
        }
    }
}
