//! The leapfrog scheme for the 1-D acoustic system `p_t = -u_x`, `u_t = -p_x` with periodic
//! boundaries, as in a short NumPy program posted as a question about testing that scheme's
//! second-order convergence ("the question" below; "the answer" is its accepted answer): p on
//! the grid `x_j = j dx` (`dx = 1 / n`), u on the staggered grid `x_j + dx / 2` half a time
//! step ahead, CFL number `c = dt / dx`.
//!
//! The accepted answer's points are built in: u starts at `t = dt / 2` (from the exact
//! solution, or by a Taylor expansion from p and u at 0), the grid has `dx = L / n`, errors are
//! measured against the exact solution at the staggered points and times, L2 norms scaled by
//! `sqrt(dx)`. [`convergence`] fits the order over a list of grid sizes.
//!
//! CPU: float64 ([`cpu`]); GPU: double-float pairs of float32, one dispatch per step, many
//! steps per submission ([`gpu`]).

pub mod cpu;
pub mod gpu;

use std::f64::consts::TAU;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::gpu::Device;
use crate::route::{route, Job, Operation};

/// Most cells of a grid: 2^26 cells hold 1 GiB of float64 states and take about 2 x 10^8
/// steps to T = 1 at CFL 0.3; far past any convergence study, and below what would exhaust
/// memory instead of giving an error.
pub const MAX_CELLS: usize = 1 << 26;

/// A test problem with an exact solution `u = f(x + t) + g(x - t)`, `p = -f(x + t) + g(x - t)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Problem {
    /// The question's: `p0 = cos 2 pi x`, `u0 = -cos 2 pi x` (f = -cos 2 pi x, g = 0).
    #[default]
    Question,
    /// The answer's second: `f = cos 2 pi x`, `g = 2 sin 6 pi x`.
    Answer,
}

impl FromStr for Problem {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "question" => Ok(Problem::Question),
            "answer" => Ok(Problem::Answer),
            other => Err(Error::param(
                "problem",
                format!("'{other}' is not one of question, answer"),
            )),
        }
    }
}

impl Problem {
    fn f(self, x: f64) -> f64 {
        match self {
            Problem::Question => -(TAU * x).cos(),
            Problem::Answer => (TAU * x).cos(),
        }
    }

    fn g(self, x: f64) -> f64 {
        match self {
            Problem::Question => 0.0,
            Problem::Answer => 2.0 * (3.0 * TAU * x).sin(),
        }
    }

    /// The exact p at (x, t).
    pub fn p(self, x: f64, t: f64) -> f64 {
        -self.f(x + t) + self.g(x - t)
    }

    /// The exact u at (x, t).
    pub fn u(self, x: f64, t: f64) -> f64 {
        self.f(x + t) + self.g(x - t)
    }
}

/// How u is started half a step ahead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Start {
    /// `u(x_j + dx/2, dt/2)` from the exact solution.
    #[default]
    Exact,
    /// Taylor expansion from t = 0 as the answer describes:
    /// `u(dt/2) = u0 - dt/2 p0_x + dt^2/8 u0_xx`, differences on the grids.
    Taylor,
}

impl FromStr for Start {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "exact" => Ok(Start::Exact),
            "taylor" => Ok(Start::Taylor),
            other => Err(Error::param(
                "start",
                format!("'{other}' is not one of exact, taylor"),
            )),
        }
    }
}

/// One run.
#[derive(Clone, Debug, PartialEq)]
pub struct WaveParams {
    /// Grid points (cells) over the unit period.
    pub n: usize,
    /// CFL number dt / dx, in (0, 1): the scheme is unstable at 1 and above.
    pub cfl: f64,
    /// End time.
    pub t: f64,
    /// The test problem (initial data and exact solution).
    pub problem: Problem,
    /// How u is started.
    pub start: Start,
    /// Keep p every this many steps (0: only the end) for animations.
    pub every: usize,
}

impl WaveParams {
    /// The question's run: CFL 0.3, T = 2, `n` cells.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            cfl: 0.3,
            t: 2.0,
            problem: Problem::Question,
            start: Start::Exact,
            every: 0,
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for fewer than 3 or more than [`MAX_CELLS`] cells, a CFL number not in (0, 1) (at 1 and
    /// above the scheme is unstable), or a non-finite or negative end time.
    pub fn validate(&self) -> Result<()> {
        if self.n < 3 {
            return Err(Error::param("n", format!("{} cells: at least 3", self.n)));
        }
        if !(self.cfl.is_finite() && self.cfl > 0.0 && self.cfl < 1.0) {
            return Err(Error::param(
                "cfl",
                format!(
                    "{}: must be in (0, 1); leapfrog is unstable for CFL >= 1",
                    self.cfl
                ),
            ));
        }
        if !(self.t.is_finite() && self.t >= 0.0) {
            return Err(Error::param(
                "t",
                format!("{}: must be finite and >= 0", self.t),
            ));
        }
        if self.n > MAX_CELLS {
            return Err(Error::param(
                "n",
                format!("{} cells: at most {MAX_CELLS}", self.n),
            ));
        }
        Ok(())
    }

    /// dx = 1 / n.
    pub fn dx(&self) -> f64 {
        1.0 / self.n as f64
    }

    /// Steps: T / (CFL dx) rounded up, so the run ends exactly at T.
    pub fn steps(&self) -> usize {
        (self.t / (self.cfl * self.dx()) - 1e-9).ceil().max(0.0) as usize
    }

    /// dt = T / steps (at most CFL dx).
    pub fn dt(&self) -> f64 {
        match self.steps() {
            0 => self.cfl * self.dx(),
            s => self.t / s as f64,
        }
    }

    /// p at the grid points and u at the staggered points, u at t = dt / 2.
    pub fn initial(&self) -> (Vec<f64>, Vec<f64>) {
        let (n, dx, dt) = (self.n, self.dx(), self.dt());
        let problem = self.problem;
        let p: Vec<f64> = (0..n).map(|j| problem.p(j as f64 * dx, 0.0)).collect();
        let u = match self.start {
            Start::Exact => (0..n)
                .map(|j| problem.u((j as f64 + 0.5) * dx, 0.5 * dt))
                .collect(),
            Start::Taylor => {
                let u0: Vec<f64> = (0..n)
                    .map(|j| problem.u((j as f64 + 0.5) * dx, 0.0))
                    .collect();
                let c = dt / dx;
                (0..n)
                    .map(|j| {
                        let (left, right) = ((j + n - 1) % n, (j + 1) % n);
                        u0[j] - 0.5 * c * (p[right] - p[j])
                            + 0.125 * c * c * (u0[right] - 2.0 * u0[j] + u0[left])
                    })
                    .collect()
            }
        };
        (p, u)
    }
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct WaveRun {
    /// p at T on the grid points.
    pub p: Vec<f64>,
    /// u at T + dt / 2 on the staggered points.
    pub u: Vec<f64>,
    /// p every `every` steps (the first at t = 0), for animations.
    pub frames: Vec<Vec<f32>>,
    /// Steps taken.
    pub steps: usize,
    /// dt.
    pub dt: f64,
}

impl WaveRun {
    /// The L2 errors of p and u against the exact solution, scaled by sqrt(dx).
    pub fn errors(&self, params: &WaveParams) -> (f64, f64) {
        let (dx, t) = (params.dx(), self.steps as f64 * self.dt);
        let norm = |values: &[f64], exact: &dyn Fn(usize) -> f64| {
            (values
                .iter()
                .enumerate()
                .map(|(j, v)| (v - exact(j)).powi(2))
                .sum::<f64>()
                * dx)
                .sqrt()
        };
        let problem = params.problem;
        (
            norm(&self.p, &|j| problem.p(j as f64 * dx, t)),
            norm(&self.u, &|j| {
                problem.u((j as f64 + 0.5) * dx, t + 0.5 * self.dt)
            }),
        )
    }
}

/// The discrete energy `dx/2 sum (p_j^2 + u_j^{n+1/2} u_j^{n-1/2})`, which leapfrog conserves
/// exactly; with u at one half step only, `dx/2 sum (p^2 + u^2)` is conserved to the scheme's
/// order. This is the latter.
pub fn energy(p: &[f64], u: &[f64], dx: f64) -> f64 {
    0.5 * dx * p.iter().chain(u).map(|v| v * v).sum::<f64>()
}

/// Runs on `device`.
///
/// ```
/// use gpusci::wave::{simulate, WaveParams};
/// use gpusci::Device;
///
/// let run = simulate(Device::Cpu, &WaveParams::new(200))?;
/// assert_eq!(run.p.len(), 200);
/// # Ok::<(), gpusci::Error>(())
/// ```
///
/// # Errors
/// As [`WaveParams::validate`]; GPU errors.
pub fn simulate<'d>(device: impl Into<Device<'d>>, params: &WaveParams) -> Result<WaveRun> {
    params.validate()?;
    let job = Job::new(Operation::Simulation, params.n);
    match route(device.into(), &job) {
        Device::Cpu => Ok(cpu::simulate(params)),
        Device::Gpu(ctx, _) | Device::Auto(ctx, _) => gpu::WaveGpu::new(ctx)?.simulate(ctx, params),
    }
}

/// A convergence study.
#[derive(Clone, Debug, PartialEq)]
pub struct Convergence {
    /// Grid sizes.
    pub n: Vec<usize>,
    /// L2 errors of p (scaled by sqrt(dx)).
    pub error_p: Vec<f64>,
    /// L2 errors of u.
    pub error_u: Vec<f64>,
    /// Fitted order of p: minus the least-squares slope of log error against log n.
    pub order_p: f64,
    /// Fitted order of u.
    pub order_u: f64,
}

/// Runs `base` at every grid size of `sizes` and fits the orders.
///
/// # Errors
/// [`Error::InvalidParam`] for fewer than two sizes; as [`simulate`].
pub fn convergence<'d>(
    device: impl Into<Device<'d>>,
    base: &WaveParams,
    sizes: &[usize],
) -> Result<Convergence> {
    let device: Device<'d> = device.into();
    if sizes.len() < 2 {
        return Err(Error::param(
            "sizes",
            "a convergence study needs at least two grid sizes",
        ));
    }
    let mut study = Convergence {
        n: sizes.to_vec(),
        error_p: Vec::new(),
        error_u: Vec::new(),
        order_p: 0.0,
        order_u: 0.0,
    };
    for &n in sizes {
        let params = WaveParams {
            n,
            every: 0,
            ..base.clone()
        };
        let run = simulate(device, &params)?;
        let (ep, eu) = run.errors(&params);
        study.error_p.push(ep);
        study.error_u.push(eu);
    }
    study.order_p = -slope(sizes, &study.error_p);
    study.order_u = -slope(sizes, &study.error_u);
    Ok(study)
}

/// Least-squares slope of log y against log x.
fn slope(x: &[usize], y: &[f64]) -> f64 {
    let points: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .map(|(&x, &y)| ((x as f64).ln(), y.ln()))
        .collect();
    let m = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / m,
        points.iter().map(|p| p.1).sum::<f64>() / m,
    );
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}
