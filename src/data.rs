//! Built-in sample data, drawn from fixed seeds: what the demo, `gpusci bench` and the tests
//! run on when the user brings no file (as `skimage.data` does for images). The same seed gives
//! the same arrays on every machine (rand's `StdRng`).
//!
//! ```
//! let image = gpusci::data::normal_image(256, 256, 7); // N(0, 1) float32
//! assert_eq!(image, gpusci::data::normal_image(256, 256, 7));
//! let (x, y) = gpusci::data::clustered_points(1_000, 4); // five Gaussian clusters
//! assert_eq!((x.len(), y.len()), (1_000, 1_000));
//! ```

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// N(0, 1) float32 image of `rows x cols` from a fixed seed.
pub fn normal_image(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((rows, cols), || rng.sample::<f32, _>(StandardNormal))
}

/// The seed question's signal: a sine with N(0, 0.3) noise, `n` float64 samples.
pub fn noisy_signal(n: usize, seed: u64) -> Array1<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array1::from_shape_fn(n, |i| {
        let x = -4.0 + 8.0 * i as f64 / n.max(1) as f64;
        x.sin() + 0.3 * rng.sample::<f64, _>(StandardNormal)
    })
}

/// The benchmark W2's mixture: five Gaussian clusters (centre x, centre y, sigma) on [0, 1]^2. Point k
/// belongs to cluster k mod 5. `bench/peers/density.py` draws the same mixture.
pub const W2_CLUSTERS: [(f64, f64, f64); 5] = [
    (0.2, 0.3, 0.05),
    (0.7, 0.2, 0.08),
    (0.5, 0.5, 0.03),
    (0.3, 0.8, 0.10),
    (0.8, 0.75, 0.06),
];

/// `n` float64 points from the W2 mixture, as x and y columns.
pub fn clustered_points(n: usize, seed: u64) -> (Array1<f64>, Array1<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for k in 0..n {
        let (cx, cy, s) = W2_CLUSTERS[k % W2_CLUSTERS.len()];
        x.push(cx + s * rng.sample::<f64, _>(StandardNormal));
        y.push(cy + s * rng.sample::<f64, _>(StandardNormal));
    }
    (Array1::from(x), Array1::from(y))
}
