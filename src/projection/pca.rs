//! PCA to 2-D: the two leading eigenvectors of the d × d covariance (linfa-linalg's symmetric
//! eigensolver, see [`super::eig`]), each component's sign aligned to the previous frame's: an
//! eigensolver may return either sign, and an unaligned refit makes the picture flip from one
//! snapshot to the next. Never panics: a collapsed or degenerate embedding is an error.

use super::eig::{align_signs, scatter, top_two};
use crate::error::{LabError, Result};

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

/// `x · axes[k]` after subtracting `mean`, for k = 0, 1.
pub fn project_on(x: &[f32], mean: &[f64], axes: &[f64]) -> [f32; 2] {
    let d = mean.len();
    let proj = |k: usize| -> f32 {
        x.iter()
            .zip(mean)
            .zip(&axes[k * d..(k + 1) * d])
            .map(|((v, m), a)| (*v as f64 - m) * a)
            .sum::<f64>() as f32
    };
    [proj(0), proj(1)]
}

impl PcaLayout {
    /// Project another point of the same space onto this layout's axes.
    pub fn project(&self, x: &[f32]) -> [f32; 2] {
        project_on(x, &self.mean, &self.axes)
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
    let records: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut mean = vec![0.0f64; d];
    for row in records.chunks_exact(d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, v)| *m += v / n as f64);
    }
    let top = top_two(scatter(&records, d, &mean, n as f64 - 1.0), d)?;
    // Without a second direction of variance the points (nearly) coincide.
    if !(top.values[1] > 1e-12 * top.trace.max(1e-300) && top.trace > 1e-24) {
        return Err(LabError::Projection(
            "PCA undefined: the embedding has fewer than two directions of variance (collapsed)"
                .into(),
        ));
    }
    let mut axes = top.vectors;
    if let Some(prev) = previous {
        align_signs(&mut axes, &prev.axes, d);
    }
    let points = x
        .chunks_exact(d)
        .map(|row| project_on(row, &mean, &axes))
        .collect();
    let frac = |k: usize| top.values[k].max(0.0) / top.trace;
    Ok(PcaLayout {
        points,
        axes,
        explained: [frac(0), frac(1)],
        mean,
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
