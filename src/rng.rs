//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
//! counter-based generator. The numbers are a pure function of (key, counter), so a draw is
//! addressed by seed, neuron and step, and any implementation (a CPU path, a GPU shader, a
//! batch member run alone) that asks for the same address gets the same numbers, in any order.

/// Multipliers and Weyl increments of Philox4x32.
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The four 32-bit words of Philox4x32-10 for `counter` under `key`.
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// A 64-bit seed as Philox's key.
pub fn key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// A uniform float64 in the open interval (0, 1) from a 32-bit word (centred in its 2^-32 slot,
/// so never 0 or 1: safe under a logarithm).
pub fn uniform(word: u32) -> f64 {
    (f64::from(word) + 0.5) * (1.0 / 4_294_967_296.0)
}

/// A standard normal from two words (Box-Muller, cosine branch).
pub fn normal(a: u32, b: u32) -> f64 {
    let radius = (-2.0 * uniform(a).ln()).sqrt();
    radius * (std::f64::consts::TAU * uniform(b)).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Random123's kat_vectors for philox4x32_10.
    #[test]
    fn philox_matches_random123() {
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn uniform_stays_inside_the_open_interval() {
        assert!(uniform(0) > 0.0 && uniform(u32::MAX) < 1.0);
    }
}
