//! t-SNE's input: the joint probabilities P of the high-dimensional points, from the exact k
//! nearest neighbours with a per-point bandwidth found by bisection to the perplexity.

use crate::error::{LabError, Result};

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
