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
