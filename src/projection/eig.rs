//! The two leading eigenvectors of a small symmetric matrix (a d × d covariance or second
//! moment), by linfa-linalg's symmetric eigensolver: O(n·d²) to form the matrix and O(d³) to
//! decompose it, instead of a decomposition of the whole n × d data. Never panics: non-finite
//! input is an error, and the eigenvalues are sorted with a total order.

use crate::error::{LabError, Result};
use linfa_linalg::eigh::Eigh;
use ndarray::Array2;

/// Leading eigenpairs of a symmetric matrix, largest first.
#[derive(Clone, Debug, PartialEq)]
pub struct TopTwo {
    /// The two largest eigenvalues.
    pub values: [f64; 2],
    /// `[2, d]` their unit eigenvectors, row-major.
    pub vectors: Vec<f64>,
    /// The trace (sum of all eigenvalues), for "explains x %".
    pub trace: f64,
}

/// `XᵀX / denom` of `x: [n, d]` (row-major), after subtracting `mean` from each row: one f64
/// GEMM of the centred rows with themselves (the gemm crate Burn's CPU backend uses), a fifth
/// of a plain triangle loop's time at n = 1797, d = 64.
pub fn scatter(x: &[f64], d: usize, mean: &[f64], denom: f64) -> Vec<f64> {
    let mut m = vec![0.0f64; d * d];
    let n = x.len().checked_div(d).unwrap_or(0);
    if n == 0 || mean.len() != d {
        return m;
    }
    let centred: Vec<f64> = x
        .chunks_exact(d)
        .flat_map(|r| r.iter().zip(mean).map(|(v, mu)| v - mu))
        .collect();
    let s = 1.0 / denom.max(1e-300);
    // SAFETY: `centred` holds n × d values read as Cᵀ `[d, n]` (column stride d, row stride
    // 1) and as C `[n, d]` (row stride d); `m` holds the d × d result; `m` aliases neither.
    unsafe {
        gemm::gemm(
            d,
            d,
            n,
            m.as_mut_ptr(),
            1,
            d as isize,
            false,
            centred.as_ptr(),
            d as isize,
            1,
            centred.as_ptr(),
            1,
            d as isize,
            0.0,
            s,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    m
}

/// The two leading eigenpairs of the symmetric `d × d` matrix `m` (row-major, d ≥ 2).
pub fn top_two(m: Vec<f64>, d: usize) -> Result<TopTwo> {
    if d < 2 || m.len() != d * d {
        return Err(LabError::Projection(format!(
            "a 2-D projection needs a square matrix of dimension ≥ 2 (got {} values for d = {d})",
            m.len()
        )));
    }
    if m.iter().any(|v| !v.is_finite()) {
        return Err(LabError::Projection(
            "the embedding has non-finite values: nothing to project".into(),
        ));
    }
    let trace = (0..d).map(|i| m[i * d + i]).sum();
    let a = Array2::from_shape_vec((d, d), m)
        .map_err(|e| LabError::Projection(format!("projection input: {e}")))?;
    let (vals, vecs) = a
        .eigh()
        .map_err(|e| LabError::Projection(format!("eigendecomposition failed: {e}")))?;
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| vals[j].total_cmp(&vals[i]));
    let mut vectors = Vec::with_capacity(2 * d);
    for &k in &order[..2] {
        let col = vecs.column(k);
        let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(LabError::Projection(
                "eigendecomposition gave no direction".into(),
            ));
        }
        vectors.extend(col.iter().map(|v| v / norm));
    }
    Ok(TopTwo {
        values: [vals[order[0]], vals[order[1]]],
        vectors,
        trace,
    })
}

/// Each of the two rows of `axes: [2, d]` flipped if that makes it agree with `previous`: an
/// eigensolver may return either sign, and an unaligned refit makes the picture flip.
pub fn align_signs(axes: &mut [f64], previous: &[f64], d: usize) {
    if previous.len() != axes.len() {
        return;
    }
    for k in 0..2 {
        let dot: f64 = (0..d).map(|j| axes[k * d + j] * previous[k * d + j]).sum();
        if dot < 0.0 {
            axes[k * d..(k + 1) * d].iter_mut().for_each(|v| *v = -*v);
        }
    }
}

/// The rotation or reflection R of the plane that maximises tr(Rᵀ C) for a 2 × 2 correlation
/// `c` (orthogonal Procrustes in closed form: compare the best rotation with the best
/// reflection).
fn best_orthogonal(c: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let [[a, b], [c, e]] = c;
    let rotation = ((a + e).powi(2) + (c - b).powi(2)).sqrt();
    let reflection = ((a - e).powi(2) + (b + c).powi(2)).sqrt();
    if rotation >= reflection {
        let t = (c - b).atan2(a + e);
        [[t.cos(), -t.sin()], [t.sin(), t.cos()]]
    } else {
        let t = (b + c).atan2(a - e);
        [[t.cos(), t.sin()], [t.sin(), -t.cos()]]
    }
}

/// `moving`, rotated (or reflected) about the origin onto `target` sample for sample: the
/// orthogonal map that brings it closest in the least-squares sense. Two runs' layouts of the
/// same samples then show the same cluster in the same place.
pub fn align_points(moving: &[[f32; 2]], target: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut c = [[0.0f64; 2]; 2];
    for (m, t) in moving.iter().zip(target) {
        for (p, row) in c.iter_mut().enumerate() {
            for (q, v) in row.iter_mut().enumerate() {
                *v += t[p] as f64 * m[q] as f64;
            }
        }
    }
    if c.iter().flatten().any(|v| !v.is_finite()) {
        return moving.to_vec();
    }
    let r = best_orthogonal(c);
    moving
        .iter()
        .map(|m| {
            let (x, y) = (m[0] as f64, m[1] as f64);
            [
                (r[0][0] * x + r[0][1] * y) as f32,
                (r[1][0] * x + r[1][1] * y) as f32,
            ]
        })
        .collect()
}

/// Rotate (or reflect) the plane basis `axes: [2, d]` within its own plane so that it lies
/// as close as possible to `previous` (orthogonal Procrustes on the 2 × 2 overlap). The plane
/// is unchanged, so what the view shows is the same; only the picture no longer spins or
/// flips when two directions of nearly equal variance trade places between snapshots.
pub fn align_in_plane(axes: &mut [f64], previous: &[f64], d: usize) {
    if previous.len() != axes.len() || axes.len() != 2 * d {
        return;
    }
    let dot =
        |p: usize, q: usize| -> f64 { (0..d).map(|j| previous[p * d + j] * axes[q * d + j]).sum() };
    let r = best_orthogonal([[dot(0, 0), dot(0, 1)], [dot(1, 0), dot(1, 1)]]);
    let old = axes.to_vec();
    for k in 0..2 {
        for j in 0..d {
            axes[k * d + j] = r[k][0] * old[j] + r[k][1] * old[d + j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_points_undoes_a_rotation_or_a_reflection() {
        let a: Vec<[f32; 2]> = (0..40)
            .map(|i| {
                let t = i as f32 * 0.37;
                [t.cos() * (1.0 + 0.1 * i as f32), (2.0 * t).sin()]
            })
            .collect();
        let (s, c) = 1.1f32.sin_cos();
        let rotated: Vec<[f32; 2]> = a
            .iter()
            .map(|p| [c * p[0] - s * p[1], s * p[0] + c * p[1]])
            .collect();
        let mirrored: Vec<[f32; 2]> = rotated.iter().map(|p| [p[0], -p[1]]).collect();
        for moving in [rotated, mirrored] {
            let back = align_points(&moving, &a);
            for (p, q) in back.iter().zip(&a) {
                assert!(
                    (p[0] - q[0]).abs() < 1e-4 && (p[1] - q[1]).abs() < 1e-4,
                    "{p:?} vs {q:?}"
                );
            }
        }
        let nan = vec![[f32::NAN, 0.0]; 3];
        assert_eq!(align_points(&nan, &a[..3]).len(), 3);
    }

    #[test]
    fn finds_the_leading_eigenvectors_of_a_known_matrix() {
        // diag(1, 5, 3) rotated by 45° in the first two coordinates.
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let q = [[s, -s, 0.0], [s, s, 0.0], [0.0, 0.0, 1.0]];
        let l = [1.0, 5.0, 3.0];
        let mut m = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                m[i * 3 + j] = (0..3).map(|k| q[i][k] * l[k] * q[j][k]).sum();
            }
        }
        let t = top_two(m, 3).unwrap_or_else(|e| panic!("{e}"));
        assert!((t.values[0] - 5.0).abs() < 1e-9 && (t.values[1] - 3.0).abs() < 1e-9);
        assert!((t.trace - 9.0).abs() < 1e-9);
        assert!((t.vectors[0].abs() - s).abs() < 1e-9 && (t.vectors[1].abs() - s).abs() < 1e-9);
        assert!((t.vectors[5].abs() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn degenerate_and_broken_matrices_never_panic() {
        assert!(top_two(vec![0.0; 16], 4).is_ok());
        assert!(top_two(vec![1.0; 16], 4).is_ok());
        assert!(top_two(vec![f64::NAN; 16], 4).is_err());
        assert!(top_two(vec![1.0; 3], 4).is_err());
        assert!(top_two(vec![1.0], 1).is_err());
    }

    #[test]
    fn in_plane_alignment_undoes_a_rotation_and_a_reflection_of_the_basis() {
        let d = 4;
        let prev = vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let t: f64 = 1.1;
        // The same plane, rotated by t, then with its second axis mirrored.
        for mirror in [1.0, -1.0] {
            let mut axes = vec![
                t.cos(),
                t.sin(),
                0.0,
                0.0,
                -t.sin() * mirror,
                t.cos() * mirror,
                0.0,
                0.0,
            ];
            align_in_plane(&mut axes, &prev, d);
            for (a, p) in axes.iter().zip(&prev) {
                assert!((a - p).abs() < 1e-9, "{axes:?}");
            }
        }
    }
}
