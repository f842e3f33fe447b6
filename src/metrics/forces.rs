//! Forces: why the points move. For a batch of embeddings, −∂L/∂u of the method's loss with
//! respect to each (ℓ2-normalised) embedding u, projected onto the sphere's tangent plane at u:
//! the direction the optimizer pushes that point over the sphere. Plain f64 on the host,
//! computed from a snapshot's embeddings and the *current* τ, so dragging τ redistributes the
//! weights and arrows at once. Each is tested against Burn's autodiff of the method's loss.

use super::diagnostics::normalize_rows;

/// NT-Xent's forces on a batch of `m` samples seen twice.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoNceForces {
    /// Rows `[2m]`: the first views, then the second; row i's positive is (i + m) mod 2m.
    pub m: usize,
    pub d: usize,
    /// `[2m, d]` the unit embeddings the loss sees.
    pub u: Vec<f64>,
    /// `[2m, 2m]` p_ik = softmax_k(u_i·u_k / τ) over k ≠ i (0 on the diagonal): how much of
    /// anchor i's repulsion comes from k.
    pub weights: Vec<f64>,
    /// `[2m, d]` −∂L/∂u_i projected onto the tangent plane at u_i, for L the mean NT-Xent over
    /// all 2m anchors: attraction to the positive, repulsion from the negatives weighted by p.
    pub force: Vec<f64>,
}

impl InfoNceForces {
    pub fn positive(&self, i: usize) -> usize {
        (i + self.m) % (2 * self.m)
    }
}

/// The tangential part of `g` at the unit vector `u`: g − (g·u) u.
fn tangential(g: &mut [f64], u: &[f64]) {
    let along: f64 = g.iter().zip(u).map(|(a, b)| a * b).sum();
    g.iter_mut().zip(u).for_each(|(a, b)| *a -= along * b);
}

/// SimCLR's NT-Xent forces. `a, b: [m, d]` the two views' embeddings (any scale).
///
/// With s_ik = u_i·u_k and p_ik the softmax of row i, ℓ_i = −s_i,pos/τ + log Σ_{k≠i} e^{s_ik/τ}
/// and L = (1/2m) Σ_i ℓ_i. u_i appears in its own row and, as a candidate, in every other:
/// −∂L/∂u_i = (2·u_pos − Σ_k (p_ik + p_ki)·u_k) / (2m·τ).
pub fn nt_xent(a: &[f32], b: &[f32], d: usize, temperature: f64) -> InfoNceForces {
    let m = (a.len() / d.max(1)).min(b.len() / d.max(1));
    let n = 2 * m;
    let mut u = normalize_rows(&a[..m * d], d);
    u.extend(normalize_rows(&b[..m * d], d));
    let row = |i: usize| &u[i * d..(i + 1) * d];
    let mut weights = vec![0.0f64; n * n];
    for i in 0..n {
        let logits: Vec<f64> = (0..n)
            .map(|k| row(i).iter().zip(row(k)).map(|(x, y)| x * y).sum::<f64>() / temperature)
            .collect();
        let max = (0..n)
            .filter(|&k| k != i)
            .map(|k| logits[k])
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = (0..n)
            .filter(|&k| k != i)
            .map(|k| (logits[k] - max).exp())
            .sum();
        for k in (0..n).filter(|&k| k != i) {
            weights[i * n + k] = (logits[k] - max).exp() / total;
        }
    }
    let mut force = vec![0.0f64; n * d];
    let scale = 1.0 / (n as f64 * temperature);
    for i in 0..n {
        let pos = (i + m) % n;
        let f = &mut force[i * d..(i + 1) * d];
        for (fj, uj) in f.iter_mut().zip(row(pos)) {
            *fj += 2.0 * uj;
        }
        for k in (0..n).filter(|&k| k != i) {
            let w = weights[i * n + k] + weights[k * n + i];
            for (fj, uj) in f.iter_mut().zip(row(k)) {
                *fj -= w * uj;
            }
        }
        f.iter_mut().for_each(|v| *v *= scale);
        tangential(f, &u[i * d..(i + 1) * d]);
    }
    InfoNceForces {
        m,
        d,
        u,
        weights,
        force,
    }
}

/// CLIP's forces: images `a` and their captions `b`, `[m, d]` each (any scale), at τ = 1/scale.
///
/// With S_ij = u_i·v_j, p_ij the softmax of row i over the captions and q_ij the softmax of
/// column j over the images, L = ½ [mean_i ℓ(row i) + mean_j ℓ(column j)], and
/// −∂L/∂u_i = (2·v_i − Σ_j (p_ij + q_ij)·v_j) / (2mτ), −∂L/∂v_j = (2·u_j − Σ_i (p_ij + q_ij)·u_i) / (2mτ).
/// In the result, rows 0..m are the images and m..2m the captions; an image's weights are over
/// the captions (p), a caption's over the images (q).
pub fn clip(a: &[f32], b: &[f32], d: usize, temperature: f64) -> InfoNceForces {
    let m = (a.len() / d.max(1)).min(b.len() / d.max(1));
    let n = 2 * m;
    let mut u = normalize_rows(&a[..m * d], d);
    u.extend(normalize_rows(&b[..m * d], d));
    let row = |i: usize| &u[i * d..(i + 1) * d];
    // [m, m] logits S_ij / τ, image i × caption j.
    let logits: Vec<f64> = (0..m)
        .flat_map(|i| {
            (0..m).map(move |j| {
                row(i)
                    .iter()
                    .zip(row(m + j))
                    .map(|(x, y)| x * y)
                    .sum::<f64>()
            })
        })
        .map(|s| s / temperature)
        .collect();
    let softmax = |values: Vec<f64>| -> Vec<f64> {
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = values.iter().map(|v| (v - max).exp()).collect();
        let total: f64 = e.iter().sum();
        e.into_iter().map(|v| v / total).collect()
    };
    let mut weights = vec![0.0f64; n * n];
    for i in 0..m {
        // p: image i over the captions.
        let p = softmax((0..m).map(|j| logits[i * m + j]).collect());
        // q: caption i over the images.
        let q = softmax((0..m).map(|k| logits[k * m + i]).collect());
        for j in 0..m {
            weights[i * n + m + j] = p[j];
            weights[(m + i) * n + j] = q[j];
        }
    }
    let mut force = vec![0.0f64; n * d];
    let scale = 1.0 / (n as f64 * temperature);
    for i in 0..n {
        let (own, others) = if i < m { (i, m) } else { (i - m, 0) };
        let f = &mut force[i * d..(i + 1) * d];
        for (fj, vj) in f.iter_mut().zip(row(others + own)) {
            *fj += 2.0 * vj;
        }
        for j in 0..m {
            // p_ij + q_ij for an image i and caption j, from either side.
            let (img, cap) = if i < m { (own, j) } else { (j, own) };
            let w = weights[img * n + m + cap] + weights[(m + cap) * n + img];
            for (fj, vj) in f.iter_mut().zip(row(others + j)) {
                *fj -= w * vj;
            }
        }
        f.iter_mut().for_each(|v| *v *= scale);
        tangential(f, &u[i * d..(i + 1) * d]);
    }
    InfoNceForces {
        m,
        d,
        u,
        weights,
        force,
    }
}

/// MoCo's forces on its queries: each against its positive key and the K keys of the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueForces {
    pub m: usize,
    pub d: usize,
    /// `[m, d]` the unit queries and `[m, d]` their unit positive keys.
    pub queries: Vec<f64>,
    pub keys: Vec<f64>,
    /// `[m, 1 + K]` each query's softmax: its positive first, then the queue's keys.
    pub weights: Vec<f64>,
    /// `[m, d]` −∂L/∂q̂ along the sphere: (k̂ − Σ_c p_c·c) / (mτ) over the 1 + K candidates.
    pub force: Vec<f64>,
}

/// MoCo's InfoNCE forces. `q, k: [m, d]` queries and keys (any scale), `queue: [K, d]` unit
/// keys. L = mean_i CE([q̂_i·k̂_i, q̂_i·c_1 … q̂_i·c_K] / τ, 0); the keys and the queue carry no
/// gradient (the key encoder moves by EMA), so only the queries are pushed.
pub fn moco(q: &[f32], k: &[f32], queue: &[f32], d: usize, temperature: f64) -> QueueForces {
    let m = (q.len() / d.max(1)).min(k.len() / d.max(1));
    let (queries, keys) = (
        normalize_rows(&q[..m * d], d),
        normalize_rows(&k[..m * d], d),
    );
    let queue: Vec<f64> = queue.iter().map(|&v| v as f64).collect();
    let kq = queue.len() / d.max(1);
    let width = 1 + kq;
    let mut weights = vec![0.0f64; m * width];
    let mut force = vec![0.0f64; m * d];
    for i in 0..m {
        let qi = &queries[i * d..(i + 1) * d];
        let dot = |c: &[f64]| qi.iter().zip(c).map(|(a, b)| a * b).sum::<f64>() / temperature;
        let candidate = |j: usize| -> &[f64] {
            if j == 0 {
                &keys[i * d..(i + 1) * d]
            } else {
                &queue[(j - 1) * d..j * d]
            }
        };
        let logits: Vec<f64> = (0..width).map(|j| dot(candidate(j))).collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logits.iter().map(|l| (l - max).exp()).sum();
        let f = &mut force[i * d..(i + 1) * d];
        for j in 0..width {
            let p = (logits[j] - max).exp() / total;
            weights[i * width + j] = p;
            let coefficient = if j == 0 { 1.0 - p } else { -p };
            for (fj, cj) in f.iter_mut().zip(candidate(j)) {
                *fj += coefficient * cj;
            }
        }
        f.iter_mut().for_each(|v| *v /= m as f64 * temperature);
        tangential(f, qi);
    }
    QueueForces {
        m,
        d,
        queries,
        keys,
        weights,
        force,
    }
}

/// The pull of BYOL's and SimSiam's regression: the prediction p of one view towards the
/// stop-gradient target t of the other. `p, t: [n, d]` (any scale); `weight` the loss's factor
/// on the mean negative cosine (SimSiam's half: 1/2; BYOL's 2 − 2·cos: 2).
///
/// −∂/∂p_i of weight · mean_i(−cos(p_i, t_i)) = weight/n · (t̂_i − (t̂_i·p̂_i) p̂_i) / ‖p_i‖:
/// towards the target, along the sphere.
pub fn cosine_pull(p: &[f32], t: &[f32], d: usize, weight: f64) -> Vec<f64> {
    let n = (p.len() / d.max(1)).min(t.len() / d.max(1));
    let (ph, th) = (
        normalize_rows(&p[..n * d], d),
        normalize_rows(&t[..n * d], d),
    );
    let mut out = vec![0.0f64; n * d];
    for i in 0..n {
        let norm = p[i * d..(i + 1) * d]
            .iter()
            .map(|&v| (v as f64).powi(2))
            .sum::<f64>()
            .sqrt()
            .max(1e-12);
        let f = &mut out[i * d..(i + 1) * d];
        f.copy_from_slice(&th[i * d..(i + 1) * d]);
        tangential(f, &ph[i * d..(i + 1) * d]);
        f.iter_mut().for_each(|v| *v *= weight / (n as f64 * norm));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forces_are_tangential_and_weights_are_distributions() {
        let a = [1.0f32, 0.2, 0.0, 0.3, 1.0, 0.1, -0.5, 0.1, 1.0];
        let b = [0.9f32, 0.3, 0.1, 0.2, 1.1, 0.0, -0.4, 0.0, 0.8];
        let f = nt_xent(&a, &b, 3, 0.5);
        assert_eq!(f.m, 3);
        for i in 0..6 {
            let w: f64 = f.weights[i * 6..(i + 1) * 6].iter().sum();
            assert!((w - 1.0).abs() < 1e-12 && f.weights[i * 6 + i] == 0.0);
            let along: f64 = (0..3).map(|j| f.force[i * 3 + j] * f.u[i * 3 + j]).sum();
            assert!(along.abs() < 1e-12);
        }
        // Low τ: the hardest negative takes the negatives' mass; high τ: they share it.
        let hardest_share = |t: f64| {
            let g = nt_xent(&a, &b, 3, t);
            let negatives: Vec<f64> = (0..6)
                .filter(|&k| k != 0 && k != g.positive(0))
                .map(|k| g.weights[k])
                .collect();
            negatives.iter().copied().fold(0.0, f64::max) / negatives.iter().sum::<f64>()
        };
        assert!(hardest_share(0.05) > 0.8, "{}", hardest_share(0.05));
        assert!(hardest_share(5.0) < 0.4, "{}", hardest_share(5.0));
        let pull = cosine_pull(&a, &b, 3, 0.5);
        let along: f64 = (0..3).map(|j| pull[j] * f.u[j]).sum();
        assert!(along.abs() < 1e-12);
    }
}
