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

/// Symmetric joint probabilities P (sum 1) in compressed sparse rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Affinities {
    /// `[n + 1]` where each row's entries start.
    pub rows: Vec<usize>,
    pub cols: Vec<u32>,
    pub vals: Vec<f32>,
    /// The perplexity the bandwidths were fitted to.
    pub perplexity: f32,
}

impl Affinities {
    pub fn n(&self) -> usize {
        self.rows.len().saturating_sub(1)
    }
}

/// Squared Euclidean distance, in eight independent lanes so that it vectorises.
fn dist2(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `x: [n, d]` (row-major) to P, with each row ℓ2-normalised first (cosine geometry, as the
/// losses see it; a zero row stays zero).
pub fn affinities(x: &[f32], n: usize, d: usize, perplexity: f32) -> Result<Affinities> {
    if n < 3 || d == 0 || x.len() != n * d {
        return Err(LabError::Projection(format!(
            "t-SNE needs at least 3 points (got {n} × {d})"
        )));
    }
    if !(2.0..=100.0).contains(&perplexity) {
        return Err(LabError::invalid(
            "perplexity",
            perplexity,
            "must be in 2..=100",
        ));
    }
    let mut xs = x.to_vec();
    for row in xs.chunks_exact_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 1e-12 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let k = ((3.0 * perplexity) as usize).clamp(1, n - 1);
    // The perplexity cannot exceed the neighbour count.
    let target = (perplexity.min(k as f32)).ln() as f64;
    let mut triplets: Vec<(u32, u32, f32)> = Vec::with_capacity(2 * n * k);
    let mut cand: Vec<(f32, u32)> = Vec::with_capacity(n);
    let mut p = vec![0f64; k];
    for i in 0..n {
        let xi = &xs[i * d..(i + 1) * d];
        cand.clear();
        cand.extend(
            (0..n)
                .filter(|&j| j != i)
                .map(|j| (dist2(xi, &xs[j * d..(j + 1) * d]), j as u32)),
        );
        cand.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        let nbrs = &cand[..k];
        let d_min = nbrs.iter().map(|c| c.0).fold(f32::INFINITY, f32::min) as f64;
        // Bisection on the precision β so that the row's entropy is ln(perplexity).
        let (mut beta, mut lo, mut hi) = (1.0f64, 0.0f64, f64::INFINITY);
        for _ in 0..100 {
            let mut sum = 0.0;
            let mut weighted = 0.0;
            for (pj, c) in p.iter_mut().zip(nbrs) {
                let dd = c.0 as f64 - d_min;
                *pj = (-beta * dd).exp();
                sum += *pj;
                weighted += dd * *pj;
            }
            let entropy = sum.ln() + beta * weighted / sum;
            let diff = entropy - target;
            if diff.abs() < 1e-5 {
                break;
            }
            if diff > 0.0 {
                lo = beta;
                beta = if hi.is_finite() {
                    (beta + hi) / 2.0
                } else {
                    beta * 2.0
                };
            } else {
                hi = beta;
                beta = (beta + lo) / 2.0;
            }
        }
        let sum: f64 = p.iter().sum();
        for (pj, c) in p.iter().zip(nbrs) {
            let v = (pj / sum / (2.0 * n as f64)) as f32;
            triplets.push((i as u32, c.1, v));
            triplets.push((c.1, i as u32, v));
        }
    }
    // P = (P_j|i + P_i|j) / 2n: sort by (row, col) and merge duplicates.
    triplets.sort_unstable_by_key(|t| (t.0, t.1));
    let mut rows = vec![0usize; n + 1];
    let mut cols = Vec::with_capacity(triplets.len());
    let mut vals: Vec<f32> = Vec::with_capacity(triplets.len());
    let mut last: Option<(u32, u32)> = None;
    for (i, j, v) in triplets {
        if last == Some((i, j)) {
            if let Some(tail) = vals.last_mut() {
                *tail += v;
            }
        } else {
            rows[i as usize + 1] += 1;
            cols.push(j);
            vals.push(v);
            last = Some((i, j));
        }
    }
    for i in 0..n {
        rows[i + 1] += rows[i];
    }
    Ok(Affinities {
        rows,
        cols,
        vals,
        perplexity,
    })
}

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

/// Exact repulsion; returns Z. On x86-64 with AVX2 the same code is compiled for it and picked
/// at run time (about 3× faster than the SSE2 baseline).
fn repulsion_exact(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been checked for both features.
        return unsafe { repulsion_exact_avx2(xs, ys, out) };
    }
    repulsion_exact_lanes(xs, ys, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn repulsion_exact_avx2(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    repulsion_exact_lanes(xs, ys, out)
}

/// Lanes per point in the exact kernel: independent accumulators, so that it vectorises.
const LANES: usize = 16;

#[inline(always)]
fn repulsion_exact_lanes(xs: &[f32], ys: &[f32], out: &mut [f32]) -> f64 {
    let n = xs.len();
    let mut z = 0f64;
    for i in 0..n {
        let (xi, yi) = (xs[i], ys[i]);
        let (mut zq, mut fx, mut fy) = ([0f32; LANES], [0f32; LANES], [0f32; LANES]);
        let (cx, cy) = (xs.chunks_exact(LANES), ys.chunks_exact(LANES));
        let (rx, ry) = (cx.remainder(), cy.remainder());
        for (bx, by) in cx.zip(cy) {
            for l in 0..LANES {
                let dx = xi - bx[l];
                let dy = yi - by[l];
                let q = 1.0 / (1.0 + dx * dx + dy * dy);
                zq[l] += q;
                let q2 = q * q;
                fx[l] += q2 * dx;
                fy[l] += q2 * dy;
            }
        }
        let (mut zt, mut fxt, mut fyt) = (0f32, 0f32, 0f32);
        for (&bx, &by) in rx.iter().zip(ry) {
            let dx = xi - bx;
            let dy = yi - by;
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            zt += q;
            fxt += q * q * dx;
            fyt += q * q * dy;
        }
        // The j = i term adds q = 1 to Z (and nothing to the force).
        z += (zq.iter().sum::<f32>() + zt) as f64 - 1.0;
        out[2 * i] = fx.iter().sum::<f32>() + fxt;
        out[2 * i + 1] = fy.iter().sum::<f32>() + fyt;
    }
    z
}

/// Iterations between evaluations of KL(P ‖ Q) (as openTSNE evaluates it only when a callback
/// or the last iteration asks).
pub const KL_EVERY: usize = 10;

const NONE: u32 = u32::MAX;

/// A quadtree node: its square cell, its points' mass and centre of mass, its children.
#[derive(Clone, Debug)]
struct Node {
    cx: f32,
    cy: f32,
    half: f32,
    mass: f32,
    mx: f32,
    my: f32,
    /// First child's index (four consecutive), or NONE for a leaf.
    children: u32,
    /// A leaf's single point, or NONE when it is empty (or holds coincident points).
    point: u32,
}

/// The Barnes–Hut quadtree over the current positions.
struct QuadTree {
    nodes: Vec<Node>,
}

impl QuadTree {
    fn build(xs: &[f32], ys: &[f32]) -> Self {
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for (&x, &y) in xs.iter().zip(ys) {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        let half = ((x1 - x0).max(y1 - y0) / 2.0).max(1e-6) * (1.0 + 1e-4);
        let mut tree = Self {
            nodes: vec![Node {
                cx: (x0 + x1) / 2.0,
                cy: (y0 + y1) / 2.0,
                half,
                mass: 0.0,
                mx: 0.0,
                my: 0.0,
                children: NONE,
                point: NONE,
            }],
        };
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            tree.insert(i as u32, x, y, xs, ys);
        }
        tree
    }

    fn child_of(&self, node: usize, x: f32, y: f32) -> usize {
        let n = &self.nodes[node];
        n.children as usize + usize::from(x >= n.cx) + 2 * usize::from(y >= n.cy)
    }

    fn split(&mut self, node: usize) {
        let (cx, cy, h) = {
            let n = &self.nodes[node];
            (n.cx, n.cy, n.half / 2.0)
        };
        let first = self.nodes.len() as u32;
        for q in 0..4 {
            let sx = if q & 1 == 1 { h } else { -h };
            let sy = if q & 2 == 2 { h } else { -h };
            self.nodes.push(Node {
                cx: cx + sx,
                cy: cy + sy,
                half: h,
                mass: 0.0,
                mx: 0.0,
                my: 0.0,
                children: NONE,
                point: NONE,
            });
        }
        self.nodes[node].children = first;
    }

    fn insert(&mut self, i: u32, x: f32, y: f32, xs: &[f32], ys: &[f32]) {
        let mut node = 0usize;
        for _depth in 0..48 {
            {
                let n = &mut self.nodes[node];
                let m = n.mass;
                n.mx = (n.mx * m + x) / (m + 1.0);
                n.my = (n.my * m + y) / (m + 1.0);
                n.mass = m + 1.0;
                if n.children == NONE {
                    if m == 0.0 {
                        n.point = i;
                        return;
                    }
                    if n.point == NONE || n.half < 1e-7 {
                        // Coincident points (or too deep): the leaf keeps them as mass.
                        n.point = NONE;
                        return;
                    }
                }
            }
            if self.nodes[node].children == NONE {
                // Push the resident point one level down, then continue with i.
                let old = self.nodes[node].point;
                self.nodes[node].point = NONE;
                self.split(node);
                let (ox, oy) = (xs[old as usize], ys[old as usize]);
                let c = self.child_of(node, ox, oy);
                let child = &mut self.nodes[c];
                child.mass = 1.0;
                child.mx = ox;
                child.my = oy;
                child.point = old;
            }
            node = self.child_of(node, x, y);
        }
    }

    /// Σ over cells far enough (size/dist < θ) of mass·q² (y_i − centre), per point; returns Z.
    fn repulsion(&self, xs: &[f32], ys: &[f32], theta: f32, out: &mut [f32]) -> f64 {
        let mut z = 0f64;
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        for i in 0..xs.len() {
            let (xi, yi) = (xs[i], ys[i]);
            let (mut zi, mut fx, mut fy) = (0f32, 0f32, 0f32);
            stack.clear();
            stack.push(0);
            while let Some(k) = stack.pop() {
                let n = &self.nodes[k as usize];
                if n.mass == 0.0 || n.point == i as u32 {
                    continue;
                }
                let (dx, dy) = (xi - n.mx, yi - n.my);
                let d2 = dx * dx + dy * dy;
                let size = 2.0 * n.half;
                if n.children == NONE || size * size < theta * theta * d2 {
                    // A leaf of coincident points that includes i: exclude i's own term.
                    let mass = if n.children == NONE && n.point == NONE && d2 == 0.0 {
                        n.mass - 1.0
                    } else {
                        n.mass
                    };
                    let q = 1.0 / (1.0 + d2);
                    zi += mass * q;
                    fx += mass * q * q * dx;
                    fy += mass * q * q * dy;
                } else {
                    stack.extend(n.children..n.children + 4);
                }
            }
            z += zi as f64;
            out[2 * i] = fx;
            out[2 * i + 1] = fy;
        }
        z
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

#[cfg(test)]
mod tests;
