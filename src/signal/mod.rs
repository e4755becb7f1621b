//! Small signal tools over long recordings: threshold crossings (`np.argwhere(np.diff(x > thr,
//! prepend=False))`, with hysteresis, a minimum gap, interpolated times and many channels), and
//! rolling means (`np.convolve(x, np.ones(k) / k, mode)` in O(n) without drift).

pub mod crossings;
pub mod gpu;
pub mod rolling;

pub use crossings::{crossings, crossings_device, Crossing, CrossingParams, Direction};
pub use rolling::{rolling_mean, rolling_mean_device, ConvMode, RollingParams};
