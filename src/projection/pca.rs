//! PCA to 2-D by linfa-reduction, with each component's sign aligned to the previous frame's:
//! an SVD may return either sign for a component, and an unaligned refit makes the picture flip
//! from one snapshot to the next.

use crate::error::{LabError, Result};
use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_reduction::Pca;
use ndarray::Array2;

/// A fitted 2-D layout.
#[derive(Clone, Debug, PartialEq)]
pub struct PcaLayout {
    /// `[n]` (x, y) per point.
    pub points: Vec<[f32; 2]>,
    /// `[2, d]` the principal axes, for aligning the next fit.
    pub axes: Vec<f64>,
    /// Fraction of the variance each axis explains.
    pub explained: [f64; 2],
    /// `[d]` the mean the axes are centred on.
    pub mean: Vec<f64>,
}

impl PcaLayout {
    /// Project another point of the same space onto this layout's axes.
    pub fn project(&self, x: &[f32]) -> [f32; 2] {
        let d = self.mean.len();
        let proj = |k: usize| -> f32 {
            x.iter()
                .zip(&self.mean)
                .zip(&self.axes[k * d..(k + 1) * d])
                .map(|((v, m), a)| (*v as f64 - m) * a)
                .sum::<f64>() as f32
        };
        [proj(0), proj(1)]
    }
}

/// Project `x: [n, d]` (row-major) on its two principal axes. With `previous`, each axis is
/// flipped if that makes it agree with the previous frame's.
pub fn pca_2d(x: &[f32], n: usize, d: usize, previous: Option<&PcaLayout>) -> Result<PcaLayout> {
    if d < 2 || n < 3 || x.len() != n * d {
        return Err(LabError::Dataset(format!(
            "PCA needs at least 3 points of dimension ≥ 2 (got {n} × {d})"
        )));
    }
    let records = Array2::from_shape_vec((n, d), x.iter().map(|&v| v as f64).collect())
        .map_err(|e| LabError::Dataset(format!("PCA input: {e}")))?;
    let dataset = DatasetBase::from(records.clone());
    let pca = Pca::params(2)
        .fit(&dataset)
        .map_err(|e| LabError::Dataset(format!("PCA failed (collapsed embedding?): {e}")))?;
    let mut axes: Vec<f64> = pca.components().iter().copied().collect(); // [2, d]
    // linfa drops directions without variance: fewer than two means the points (nearly) coincide.
    if axes.len() != 2 * d || axes.iter().any(|a| !a.is_finite()) {
        return Err(LabError::Projection(
            "PCA undefined: the embedding has fewer than two directions of variance (collapsed)"
                .into(),
        ));
    }
    if let Some(prev) = previous.filter(|p| p.axes.len() == axes.len()) {
        for k in 0..2 {
            let dot: f64 = (0..d).map(|j| axes[k * d + j] * prev.axes[k * d + j]).sum();
            if dot < 0.0 {
                axes[k * d..(k + 1) * d].iter_mut().for_each(|v| *v = -*v);
            }
        }
    }
    let mean = pca.mean();
    let points = records
        .rows()
        .into_iter()
        .map(|row| {
            let proj = |k: usize| -> f32 {
                row.iter()
                    .zip(mean.iter())
                    .zip(&axes[k * d..(k + 1) * d])
                    .map(|((v, m), a)| (v - m) * a)
                    .sum::<f64>() as f32
            };
            [proj(0), proj(1)]
        })
        .collect();
    // linfa's ratio is relative to the kept components only; relative to the total variance
    // is what "explains x %" means.
    // (linfa's explained_variance() divides σ² by k − 1 instead of n − 1.)
    let explained_var = pca.singular_values().mapv(|s| s * s / (n as f64 - 1.0)); // [2]
    let total: f64 = records
        .columns()
        .into_iter()
        .zip(mean.iter())
        .map(|(col, m)| col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n as f64 - 1.0))
        .sum();
    let frac = |k: usize| explained_var.get(k).copied().unwrap_or(0.0) / total.max(1e-300);
    Ok(PcaLayout {
        points,
        axes,
        explained: [frac(0), frac(1)],
        mean: mean.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// 16-d points spread 10× along (1, 1, 0, …)/√2 and 3× along (0, 0, 1, …), 0.1 elsewhere.
    fn data(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n)
            .flat_map(|_| {
                let (a, b, c) = (10.0 * rng.normal(), 3.0 * rng.normal(), 0.1 * rng.normal());
                let s = std::f32::consts::FRAC_1_SQRT_2;
                let mut row = vec![a * s + c * s, a * s - c * s, b];
                row.extend((0..13).map(|_| 0.1 * rng.normal()));
                row
            })
            .collect()
    }

    #[test]
    fn a_collapsed_embedding_is_an_error_not_a_panic() {
        let same = vec![0.5f32; 50 * 8];
        assert!(pca_2d(&same, 50, 8, None).is_err());
        // All points on one line: one direction of variance only.
        let line: Vec<f32> = (0..50)
            .flat_map(|i| (0..8).map(move |j| if j == 0 { i as f32 } else { 1.0 }))
            .collect();
        if let Ok(l) = pca_2d(&line, 50, 8, None) {
            assert!(
                l.points
                    .iter()
                    .all(|p| p[0].is_finite() && p[1].is_finite())
            );
        }
    }

    #[test]
    fn finds_the_principal_axes() {
        let mut rng = Rng::new(0);
        let x = data(&mut rng, 500);
        let l = pca_2d(&x, 500, 16, None).unwrap_or_else(|e| panic!("{e}"));
        let first = &l.axes[0..16];
        assert!(
            (first[0].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02
                && (first[1].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02
        );
        assert!(
            l.axes[16 + 2].abs() > 0.99,
            "second axis {:?}",
            &l.axes[16..32]
        );
        // Variances 100 : 9 : 14 × 0.01 → the first axis explains ≈ 92 %, the second ≈ 8 %.
        assert!(
            (l.explained[0] - 100.0 / 109.14).abs() < 0.03,
            "{:?}",
            l.explained
        );
        assert!(
            (l.explained[1] - 9.0 / 109.14).abs() < 0.03,
            "{:?}",
            l.explained
        );
    }

    #[test]
    fn orientation_follows_the_previous_frame() {
        let mut rng = Rng::new(1);
        let x = data(&mut rng, 300);
        let a = pca_2d(&x, 300, 16, None).unwrap_or_else(|e| panic!("{e}"));
        let mut flipped = a.clone();
        flipped.axes.iter_mut().for_each(|v| *v = -*v);
        let b = pca_2d(&x, 300, 16, Some(&flipped)).unwrap_or_else(|e| panic!("{e}"));
        // Aligned to the flipped frame: every coordinate is mirrored.
        for (p, q) in a.points.iter().zip(&b.points) {
            assert!((p[0] + q[0]).abs() < 1e-3 && (p[1] + q[1]).abs() < 1e-3);
        }
        let c = pca_2d(&x, 300, 16, Some(&a)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.points, c.points);
        // Projecting a fitted point again lands where the fit put it.
        let again = a.project(&x[..16]);
        assert!(
            (again[0] - a.points[0][0]).abs() < 1e-4 && (again[1] - a.points[0][1]).abs() < 1e-4
        );
    }
}
