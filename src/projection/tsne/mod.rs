//! t-SNE (van der Maaten & Hinton 2008) built for a layout that follows training: the state
//! (positions, gains, momentum) survives new input, so a changed embedding is refined from the
//! previous layout (a warm start) instead of recomputed from noise. Early exaggeration runs only
//! in the first fit.
//!
//! Input affinities come from the exact k nearest neighbours (k = 3·perplexity) with a per-point
//! bandwidth found by bisection; the repulsion is exact (vectorised over all pairs) up to
//! [`EXACT_MAX`] points and Barnes–Hut (θ = 0.5) above. Everything runs on the calling thread.

use crate::error::{LabError, Result};
use crate::rng::Rng;

/// Up to this many points the O(n²) repulsion is exact; above, Barnes–Hut.
pub const EXACT_MAX: usize = 2500;

/// The knobs of the Embedding Projector's t-SNE, plus the optimizer's fixed schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TsneParams {
    /// Effective number of neighbours, 2–100.
    pub perplexity: f32,
    pub learning_rate: f32,
    /// P is multiplied by this for the first [`Self::exaggeration_iters`] of a cold start.
    pub exaggeration: f32,
    pub exaggeration_iters: usize,
    /// Barnes–Hut opening angle (only above [`EXACT_MAX`] points).
    pub theta: f32,
}

impl Default for TsneParams {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            learning_rate: 200.0,
            exaggeration: 12.0,
            exaggeration_iters: 250,
            theta: 0.5,
        }
    }
}

/// Iterations between evaluations of KL(P ‖ Q) (as openTSNE evaluates it only when a callback
/// or the last iteration asks).
pub const KL_EVERY: usize = 10;

/// A t-SNE layout being optimised.
#[derive(Clone, Debug)]
pub struct Tsne {
    p: Affinities,
    params: TsneParams,
    /// `[n]` positions, structure of arrays.
    x: Vec<f32>,
    y: Vec<f32>,
    /// `[n, 2]` previous update and per-coordinate gains.
    update: Vec<f32>,
    gains: Vec<f32>,
    /// Iterations since the cold start.
    iter: usize,
    /// KL(P ‖ Q) after the last iteration.
    kl: f64,
    grad: Vec<f32>,
}

impl Tsne {
    /// A cold start: positions drawn from N(0, 10⁻⁴), early exaggeration ahead.
    pub fn new(p: Affinities, params: TsneParams, seed: u64) -> Self {
        let n = p.n();
        let mut rng = Rng::fork(seed, "tsne-init");
        let x = (0..n).map(|_| 1e-2 * rng.normal()).collect();
        let y = (0..n).map(|_| 1e-2 * rng.normal()).collect();
        Self {
            p,
            params,
            x,
            y,
            update: vec![0.0; 2 * n],
            gains: vec![1.0; 2 * n],
            iter: 0,
            kl: f64::NAN,
            grad: vec![0.0; 2 * n],
        }
    }

    /// A warm start from given positions (another run's layout of the same points): no early
    /// exaggeration, the optimisation refines what it is given.
    pub fn from_positions(p: Affinities, params: TsneParams, points: &[[f32; 2]]) -> Result<Self> {
        let n = p.n();
        if points.len() != n {
            return Err(LabError::Projection(format!(
                "t-SNE: {} starting positions for {n} points",
                points.len()
            )));
        }
        let iter = params.exaggeration_iters;
        Ok(Self {
            p,
            params,
            x: points.iter().map(|q| q[0]).collect(),
            y: points.iter().map(|q| q[1]).collect(),
            update: vec![0.0; 2 * n],
            gains: vec![1.0; 2 * n],
            iter,
            kl: f64::NAN,
            grad: vec![0.0; 2 * n],
        })
    }

    /// New input for the same points (a new snapshot): keep positions, gains and momentum.
    pub fn set_affinities(&mut self, p: Affinities) -> Result<()> {
        if p.n() != self.len() {
            return Err(LabError::Projection(format!(
                "t-SNE: new input has {} points, the layout {}",
                p.n(),
                self.len()
            )));
        }
        self.p = p;
        Ok(())
    }

    pub fn set_learning_rate(&mut self, lr: f32) {
        self.params.learning_rate = lr;
    }

    /// The perplexity of the affinities it currently fits.
    pub fn perplexity(&self) -> f32 {
        self.p.perplexity
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    pub fn iterations(&self) -> usize {
        self.iter
    }

    /// KL(P ‖ Q) as of the last iteration that evaluated it (every [`KL_EVERY`]-th, or
    /// [`Tsne::step_with_kl`]; NaN before the first).
    pub fn kl(&self) -> f64 {
        self.kl
    }

    pub fn exaggerating(&self) -> bool {
        self.iter < self.params.exaggeration_iters
    }

    pub fn points(&self) -> Vec<[f32; 2]> {
        self.x.iter().zip(&self.y).map(|(&a, &b)| [a, b]).collect()
    }

    /// One gradient-descent iteration with momentum and gains (as in the reference bhtsne),
    /// evaluating KL(P ‖ Q) on every [`KL_EVERY`]-th.
    pub fn step(&mut self) {
        self.iterate(self.iter.is_multiple_of(KL_EVERY));
    }

    /// One iteration that also evaluates KL(P ‖ Q) (with this iteration's Z).
    pub fn step_with_kl(&mut self) {
        self.iterate(true);
    }

    fn iterate(&mut self, with_kl: bool) {
        let n = self.len();
        let exaggeration = if self.exaggerating() {
            self.params.exaggeration
        } else {
            1.0
        };
        // Repulsion: Σ_j q_ij² (y_i − y_j) and Z = Σ_{i≠j} q_ij.
        let mut rep = vec![0f32; 2 * n];
        let z = if n <= EXACT_MAX {
            repulsion_exact(&self.x, &self.y, &mut rep)
        } else {
            QuadTree::build(&self.x, &self.y).repulsion(
                &self.x,
                &self.y,
                self.params.theta,
                &mut rep,
            )
        };
        let z = z.max(1e-12);
        // Attraction over the sparse P, and KL(P ‖ Q) on the way when asked (a logarithm per
        // neighbour pair: evaluated every iteration, it cost a quarter of the iteration).
        let mut kl = 0f64;
        for i in 0..n {
            let (mut ax, mut ay) = (0f32, 0f32);
            for e in self.p.rows[i]..self.p.rows[i + 1] {
                let j = self.p.cols[e] as usize;
                let (dx, dy) = (self.x[i] - self.x[j], self.y[i] - self.y[j]);
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                let pij = self.p.vals[e];
                ax += pij * q * dx;
                ay += pij * q * dy;
                if with_kl && pij > 0.0 {
                    kl += pij as f64 * ((pij as f64) / (q as f64 / z)).ln();
                }
            }
            self.grad[2 * i] = exaggeration * ax - (rep[2 * i] as f64 / z) as f32;
            self.grad[2 * i + 1] = exaggeration * ay - (rep[2 * i + 1] as f64 / z) as f32;
        }
        if with_kl {
            self.kl = kl;
        }
        let momentum = if self.iter < self.params.exaggeration_iters {
            0.5
        } else {
            0.8
        };
        let lr = self.params.learning_rate;
        let (mut mx, mut my) = (0f32, 0f32);
        for i in 0..n {
            for c in 0..2 {
                let k = 2 * i + c;
                let g = self.grad[k];
                let gain = &mut self.gains[k];
                *gain = if (g > 0.0) != (self.update[k] > 0.0) {
                    *gain + 0.2
                } else {
                    *gain * 0.8
                }
                .max(0.01);
                self.update[k] = momentum * self.update[k] - lr * *gain * g;
            }
            self.x[i] += self.update[2 * i];
            self.y[i] += self.update[2 * i + 1];
            mx += self.x[i];
            my += self.y[i];
        }
        // Keep the layout centred.
        let (mx, my) = (mx / n as f32, my / n as f32);
        self.x.iter_mut().for_each(|v| *v -= mx);
        self.y.iter_mut().for_each(|v| *v -= my);
        self.iter += 1;
    }
}

/// A fresh t-SNE of `x: [n, d]` for `iterations` (at least the exaggeration phase).
pub fn fit(
    x: &[f32],
    n: usize,
    d: usize,
    params: TsneParams,
    iterations: usize,
    seed: u64,
) -> Result<Tsne> {
    let p = affinities(x, n, d, params.perplexity)?;
    let mut t = Tsne::new(p, params, seed);
    for _ in 0..iterations.max(params.exaggeration_iters) {
        t.step();
    }
    Ok(t)
}

/// Fraction of each point's `k` nearest neighbours in `points` that share its label.
pub fn neighbour_agreement(points: &[[f32; 2]], labels: &[usize], k: usize) -> f64 {
    let n = points.len();
    if n <= k {
        return f64::NAN;
    }
    let mut agree = 0usize;
    let mut d: Vec<(f32, usize)> = Vec::with_capacity(n);
    for i in 0..n {
        d.clear();
        d.extend((0..n).filter(|&j| j != i).map(|j| {
            let (dx, dy) = (points[i][0] - points[j][0], points[i][1] - points[j][1]);
            (dx * dx + dy * dy, j)
        }));
        d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        agree += d[..k]
            .iter()
            .filter(|(_, j)| labels[*j] == labels[i])
            .count();
    }
    agree as f64 / (n * k) as f64
}

mod affinities;
mod repulsion;

pub use affinities::{Affinities, affinities};
use repulsion::{QuadTree, repulsion_exact};

#[cfg(test)]
mod tests;
