//! The collapse diagnostics of one snapshot.

use super::knn::{DEFAULT_K, knn_accuracy};
use super::linalg::singular_values;
use crate::cpu::dots;
use serde::Serialize;

/// Numbers a class watches. Embeddings z are ℓ2-normalised before every measure except the
/// spectrum and RankMe, which look at the raw embedding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Diagnostics {
    /// Mean over channels of the std of ℓ2-normalised z (SimSiam's collapse measure).
    pub std: f64,
    /// 1/√d: the std of a distribution uniform on the sphere.
    pub std_ref: f64,
    /// `E‖ẑ_a − ẑ_b‖²` over the probe's positive pairs (Wang & Isola): lower is more aligned.
    pub alignment: f64,
    /// `log E exp(−2‖ẑ_i − ẑ_j‖²)` over distinct probe pairs of each view, averaged over the two
    /// views (Wang & Isola's `(L_uniform(x) + L_uniform(y)) / 2`): lower is more uniform. On
    /// the first [`UNIFORMITY_POINTS`] probe samples.
    pub uniformity: f64,
    /// RankMe `exp(−Σ p_k log p_k)`, `p_k = σ_k/‖σ‖₁ + 1e-7` (Garrido et al.) of the embedding
    /// z: effective rank.
    pub rankme: f64,
    /// RankMe of the representation h (what Garrido et al. report: the encoder's output, the
    /// features a downstream task uses).
    #[serde(default)]
    pub rankme_h: f64,
    /// kNN accuracy (cosine, k = 20) of the held-out probe queries on the representation h.
    pub knn_acc: f64,
    /// Mean cosine of positive pairs.
    pub pos_cos: f64,
    /// Mean cosine of distinct samples (negatives).
    pub neg_cos: f64,
    /// Singular values of the centred embedding, descending.
    pub spectrum: Vec<f64>,
}

impl Diagnostics {
    /// std·√d = std / (1/√d): 1 for embeddings spread over the sphere (uniform gives exactly 1),
    /// 0 for a collapsed point. The collapse gauge's number.
    pub fn spread(&self) -> f64 {
        self.std / self.std_ref.max(1e-12)
    }
}

/// Inputs for one snapshot, all row-major.
pub struct ProbeEmbeddings<'a> {
    /// `[n, d]` embeddings of the clean probe samples.
    pub z: &'a [f32],
    /// `[n, d]` embeddings of the first and second fixed views.
    pub z_a: &'a [f32],
    pub z_b: &'a [f32],
    pub d: usize,
    /// `[n, f]` representations of the clean samples (kNN).
    pub h: &'a [f32],
    pub f: usize,
    pub labels: &'a [usize],
    pub n_reference: usize,
}

pub fn normalize_rows(x: &[f32], d: usize) -> Vec<f64> {
    let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    if d == 0 {
        return out;
    }
    for row in out.chunks_exact_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    out
}

/// [`normalize_rows`] (in f64) handed back as f32, for the GEMM-based dot products.
pub fn normalize_rows_f32(x: &[f32], d: usize) -> Vec<f32> {
    normalize_rows(x, d).into_iter().map(|v| v as f32).collect()
}

/// Mean and biased variance of column `c` of the row-major `[n, d]` matrix `x`.
pub fn column_mean_var(x: &[f64], d: usize, c: usize) -> (f64, f64) {
    let n = (x.len() / d.max(1)).max(1) as f64;
    let mean = x.iter().skip(c).step_by(d).sum::<f64>() / n;
    let var = x
        .iter()
        .skip(c)
        .step_by(d)
        .map(|v| (v - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var)
}

/// Mean per-channel (unbiased) std of the rows of `x` after ℓ2 normalisation.
pub fn normalized_std(x: &[f32], d: usize) -> f64 {
    let n = x.len().checked_div(d).unwrap_or(0);
    if n < 2 {
        return 0.0;
    }
    let xn = normalize_rows(x, d);
    (0..d)
        .map(|c| {
            let (_, var) = column_mean_var(&xn, d, c);
            // Unbiased, as torch.std (what the SimSiam paper plots).
            (var * n as f64 / (n - 1) as f64).sqrt()
        })
        .sum::<f64>()
        / d as f64
}

/// `E‖â − b̂‖²` over paired rows.
pub fn alignment(a: &[f32], b: &[f32], d: usize) -> f64 {
    let (a, b) = (normalize_rows(a, d), normalize_rows(b, d));
    let n = a.len().checked_div(d).unwrap_or(0).max(1);
    a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / n as f64
}

/// Mean cosine of paired rows.
pub fn paired_cosine(a: &[f32], b: &[f32], d: usize) -> f64 {
    let (a, b) = (normalize_rows(a, d), normalize_rows(b, d));
    let n = a.len().checked_div(d).unwrap_or(0).max(1);
    a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>() / n as f64
}

/// `log E_{i<j} exp(−t‖x̂_i − x̂_j‖²)` with t = 2. The dot products come in blocks of rows from
/// one GEMM and the exponentials from a vectorised `exp` (both f32, summed in f64): about 1e-6
/// from the all-f64 sum, at a quarter of its cost (it runs twice per snapshot, O(n²)).
pub fn uniformity(x: &[f32], d: usize) -> f64 {
    let n = x.len().checked_div(d).unwrap_or(0);
    if n < 2 {
        return 0.0;
    }
    let xn = normalize_rows_f32(x, d);
    let mut sum = 0.0f64;
    dots::for_each_dot_row(&xn, &xn, d, |i, row| {
        // ‖x̂_i − x̂_j‖² = 2 − 2 x̂_i·x̂_j: the exponent lies in [−8, 0].
        sum += row[i + 1..]
            .chunks(256)
            .map(|c| {
                c.iter()
                    .map(|&dot| dots::exp_poly(4.0 * dot - 4.0))
                    .sum::<f32>() as f64
            })
            .sum::<f64>();
    });
    (sum / (n * (n - 1) / 2) as f64).ln()
}

/// Mean cosine over distinct pairs, from the norm of the sum of unit rows:
/// `Σ_{i≠j} x̂_i·x̂_j = ‖Σ x̂_i‖² − n`.
pub fn mean_negative_cosine(x: &[f32], d: usize) -> f64 {
    let xn = normalize_rows(x, d);
    let n = xn.len().checked_div(d).unwrap_or(0);
    if n < 2 {
        return 0.0;
    }
    let mut total = vec![0.0f64; d];
    for row in xn.chunks_exact(d) {
        total.iter_mut().zip(row).for_each(|(t, v)| *t += v);
    }
    let sq: f64 = total.iter().map(|t| t * t).sum();
    let self_sq: f64 = xn
        .chunks_exact(d)
        .map(|r| r.iter().map(|v| v * v).sum::<f64>())
        .sum();
    (sq - self_sq) / (n * (n - 1)) as f64
}

/// RankMe of singular values.
pub fn rankme(singular: &[f64]) -> f64 {
    let total: f64 = singular.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return 1.0;
    }
    let entropy: f64 = singular
        .iter()
        .map(|s| {
            let p = s / total + 1e-7;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
}

/// Points the uniformity is estimated on: its cost grows with n², and over this many pairs the
/// estimate is already tight.
pub const UNIFORMITY_POINTS: usize = 2000;

/// The first [`UNIFORMITY_POINTS`] rows of `x: [n, d]` (the probe is in random order, so they
/// are a random sample of it).
fn sample(x: &[f32], d: usize) -> &[f32] {
    &x[..(UNIFORMITY_POINTS * d).min(x.len())]
}

pub fn compute(e: &ProbeEmbeddings<'_>) -> Diagnostics {
    let n = e.labels.len();
    Diagnostics {
        std: normalized_std(e.z, e.d),
        std_ref: 1.0 / (e.d as f64).sqrt(),
        alignment: alignment(e.z_a, e.z_b, e.d),
        uniformity: (uniformity(sample(e.z_a, e.d), e.d) + uniformity(sample(e.z_b, e.d), e.d))
            / 2.0,
        rankme: rankme(&singular_values(e.z, n, e.d, false)),
        rankme_h: rankme(&singular_values(e.h, n, e.f, false)),
        knn_acc: knn_accuracy(e.h, e.f, e.labels, e.n_reference, DEFAULT_K),
        pos_cos: paired_cosine(e.z_a, e.z_b, e.d),
        neg_cos: mean_negative_cosine(e.z, e.d),
        spectrum: singular_values(e.z, n, e.d, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn uniform_sphere_std_is_one_over_sqrt_d_and_collapse_is_zero() {
        let d = 16;
        let mut rng = Rng::new(1);
        let x: Vec<f32> = (0..4000 * d).map(|_| rng.normal()).collect();
        let s = normalized_std(&x, d);
        assert!((s * (d as f64).sqrt() - 1.0).abs() < 0.03, "{s}");
        let collapsed: Vec<f32> = (0..100 * d).map(|i| (i % d) as f32).collect();
        assert!(normalized_std(&collapsed, d) < 1e-9);
        assert!((rankme(&singular_values(&collapsed, 100, d, false)) - 1.0).abs() < 1e-3);
        assert!(uniformity(&collapsed, d).abs() < 1e-9);
        assert!((mean_negative_cosine(&collapsed, d) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn pairwise_measures_match_brute_force() {
        // 30 points, and 600 (more than one block of the uniformity's GEMM).
        for n in [30, 600] {
            pairwise_case(n);
        }
    }

    fn pairwise_case(n: usize) {
        let d = 3;
        let mut rng = Rng::new(2);
        let x: Vec<f32> = (0..n * d).map(|_| rng.normal()).collect();
        let xn = normalize_rows(&x, d);
        let (mut cos_sum, mut u_sum, mut pairs) = (0.0, 0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let dot: f64 = (0..d).map(|k| xn[i * d + k] * xn[j * d + k]).sum();
                let dist2: f64 = (0..d)
                    .map(|k| (xn[i * d + k] - xn[j * d + k]).powi(2))
                    .sum();
                cos_sum += dot;
                u_sum += (-2.0 * dist2).exp();
                pairs += 1.0;
            }
        }
        assert!((mean_negative_cosine(&x, d) - cos_sum / pairs).abs() < 1e-12);
        assert!((uniformity(&x, d) - (u_sum / pairs).ln()).abs() < 1e-5);
        // Equal rank-d spectrum: RankMe ≈ d.
        assert!((rankme(&[1.0, 1.0, 1.0]) - 3.0).abs() < 1e-5);
    }
}
