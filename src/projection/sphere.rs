//! The view of the geometry the loss sees: the ℓ2-normalised embedding ẑ (every point on the
//! unit sphere) projected orthogonally onto a plane through the sphere's centre, drawn on fixed
//! axes [−1, 1] with the unit circle (the sphere's outline) for scale. Nothing is re-centred or
//! re-zoomed, so a complete collapse looks like every point converging to one spot, and a
//! dimensional collapse like the cloud flattening onto a line.
//!
//! The plane is spanned by the two leading eigenvectors of the *uncentred* second moment
//! E[ẑ ẑᵀ]: the directions in which the points on the sphere reach furthest. Uncentred, because
//! a translation by the mean would move points off the disc the circle outlines; and a
//! collapsed embedding's single direction then *is* the first axis, so the spot it converges to
//! lies on the circle, where the sphere is. Between snapshots the basis is rotated within its
//! plane (orthogonal Procrustes) to the previous frame's, so the picture does not spin when two
//! directions of similar weight trade places. With d = 2 the plane is the embedding's own.

use super::eig::{align_in_plane, scatter, top_two};
use crate::error::{LabError, Result};
use crate::metrics::diagnostics::normalize_rows;

/// A projection of the unit-normalised embedding, on the fixed scale of the unit circle.
#[derive(Clone, Debug, PartialEq)]
pub struct SphereLayout {
    /// `[n]` (x, y) per point, each within the unit disc.
    pub points: Vec<[f32; 2]>,
    /// `[2, d]` the orthonormal plane basis, for aligning the next fit.
    pub axes: Vec<f64>,
    /// Fraction of E‖ẑ‖² = 1 that each axis captures (1 + 0 when every point lies on the first
    /// axis; 1/d each for points uniform on the sphere).
    pub captured: [f64; 2],
    /// Mean distance of the ẑ from their centroid in all d dimensions: the spread the plane
    /// shows part of (a projection can only bring points closer).
    pub spread_on_sphere: f64,
}

impl SphereLayout {
    /// Project another embedding (normalised first) onto this layout's plane.
    pub fn project(&self, x: &[f32]) -> [f32; 2] {
        let [a, b] = self.direction(&normalize_rows(x, x.len()));
        [a as f32, b as f32]
    }

    /// The in-plane image of `v` as it is (a unit embedding, or a direction such as a force:
    /// the projection is linear).
    pub fn direction(&self, v: &[f64]) -> [f64; 2] {
        in_plane(v, &self.axes)
    }

    /// Mean distance of the points from their centroid, in units of the sphere's radius: what
    /// a collapse drives to 0 in this view.
    pub fn spread(&self) -> f64 {
        spread(&self.points)
    }
}

/// `v · axes[k]` for the two rows of `axes: [2, d]`.
fn in_plane(v: &[f64], axes: &[f64]) -> [f64; 2] {
    let d = v.len();
    let dot = |k: usize| -> f64 {
        v.iter()
            .zip(&axes[k * d..(k + 1) * d])
            .map(|(a, b)| a * b)
            .sum()
    };
    [dot(0), dot(1)]
}

/// Mean distance of the rows of `x: [n, d]` from their centroid.
fn spread_in(x: &[f64], d: usize) -> f64 {
    let n = (x.len() / d.max(1)).max(1) as f64;
    let mut centre = vec![0.0f64; d];
    for row in x.chunks_exact(d) {
        centre.iter_mut().zip(row).for_each(|(c, v)| *c += v / n);
    }
    x.chunks_exact(d)
        .map(|row| {
            row.iter()
                .zip(&centre)
                .map(|(v, c)| (v - c).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum::<f64>()
        / n
}

/// Mean distance of `points` from their centroid.
pub fn spread(points: &[[f32; 2]]) -> f64 {
    let n = points.len().max(1) as f64;
    let (mx, my) = points.iter().fold((0.0, 0.0), |(a, b), p| {
        (a + p[0] as f64 / n, b + p[1] as f64 / n)
    });
    points
        .iter()
        .map(|p| ((p[0] as f64 - mx).powi(2) + (p[1] as f64 - my).powi(2)).sqrt())
        .sum::<f64>()
        / n
}

/// Project `z: [n, d]` (row-major, any scale) onto the sphere view. With `previous`, its
/// basis is rotated within the new plane to stay as close as possible to the previous one.
pub fn sphere_2d(
    z: &[f32],
    n: usize,
    d: usize,
    previous: Option<&SphereLayout>,
) -> Result<SphereLayout> {
    if d < 2 || n == 0 || z.len() != n * d {
        return Err(LabError::Projection(format!(
            "the sphere view needs points of dimension ≥ 2 (got {n} × {d})"
        )));
    }
    let unit = normalize_rows(z, d); // [n, d], rows of norm 1 (or 0 for a zero row)
    let mut axes = if d == 2 {
        vec![1.0, 0.0, 0.0, 1.0]
    } else {
        top_two(scatter(&unit, d, &vec![0.0; d], n as f64), d)?.vectors
    };
    if let Some(prev) = previous
        && d > 2
    {
        align_in_plane(&mut axes, &prev.axes, d);
    }
    let points: Vec<[f32; 2]> = unit
        .chunks_exact(d)
        .map(|row| in_plane(row, &axes).map(|v| v as f32))
        .collect();
    let captured =
        [0, 1].map(|k| points.iter().map(|p| (p[k] as f64).powi(2)).sum::<f64>() / n as f64);
    Ok(SphereLayout {
        points,
        axes,
        captured,
        spread_on_sphere: spread_in(&unit, d),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn gaussian(rng: &mut Rng, n: usize, centre: &[f32], noise: f32) -> Vec<f32> {
        (0..n)
            .flat_map(|_| {
                centre
                    .iter()
                    .map(|c| c + noise * rng.normal())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn points_stay_in_the_unit_disc_and_scale_does_not_matter() {
        let mut rng = Rng::new(3);
        let z: Vec<f32> = (0..200 * 16).map(|_| rng.normal()).collect();
        let a = sphere_2d(&z, 200, 16, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.points.iter().all(|p| p[0].hypot(p[1]) <= 1.0 + 1e-5));
        let big: Vec<f32> = z.iter().map(|v| v * 1000.0).collect();
        let b = sphere_2d(&big, 200, 16, Some(&a)).unwrap_or_else(|e| panic!("{e}"));
        for (p, q) in a.points.iter().zip(&b.points) {
            assert!((p[0] - q[0]).abs() < 1e-4 && (p[1] - q[1]).abs() < 1e-4);
        }
    }

    #[test]
    fn a_collapse_converges_to_one_spot_on_the_circle_and_a_spread_cloud_does_not() {
        let mut rng = Rng::new(4);
        let d = 32;
        let spread_cloud: Vec<f32> = (0..300 * d).map(|_| rng.normal()).collect();
        let healthy = sphere_2d(&spread_cloud, 300, d, None).unwrap_or_else(|e| panic!("{e}"));
        let mut centre = vec![0.0f32; d];
        centre[5] = 3.0;
        let collapsed_z = gaussian(&mut rng, 300, &centre, 0.01);
        let collapsed = sphere_2d(&collapsed_z, 300, d, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            healthy.spread() > 20.0 * collapsed.spread(),
            "healthy {} vs collapsed {}",
            healthy.spread(),
            collapsed.spread()
        );
        // The spot lies on the circle: the collapse direction is the first axis.
        let p = collapsed.points[0];
        assert!((p[0].hypot(p[1]) - 1.0).abs() < 0.01, "{p:?}");
        assert!(collapsed.captured[0] > 0.99);
        // Uniform on the sphere: each axis captures about 1/d of E‖ẑ‖², and the plane shows
        // only part of the spread on the sphere (≈ 1 for points uniform on it).
        assert!(healthy.captured[0] < 3.0 / d as f64);
        assert!((healthy.spread_on_sphere - 1.0).abs() < 0.05);
        for l in [&healthy, &collapsed] {
            assert!(l.spread() <= l.spread_on_sphere + 1e-9);
        }
    }

    #[test]
    fn the_basis_follows_the_previous_frame() {
        let mut rng = Rng::new(5);
        let d = 8;
        // Two directions of equal weight: the eigensolver may return any basis of their plane.
        let z: Vec<f32> = (0..400)
            .flat_map(|_| {
                let mut r: Vec<f32> = (0..d).map(|_| 0.05 * rng.normal()).collect();
                r[0] += rng.normal();
                r[1] += rng.normal();
                r
            })
            .collect();
        let a = sphere_2d(&z, 400, d, None).unwrap_or_else(|e| panic!("{e}"));
        let mut turned = a.clone();
        let t: f64 = 0.7;
        for j in 0..d {
            let (u, v) = (a.axes[j], a.axes[d + j]);
            turned.axes[j] = t.cos() * u - t.sin() * v;
            turned.axes[d + j] = t.sin() * u + t.cos() * v;
        }
        let b = sphere_2d(&z, 400, d, Some(&turned)).unwrap_or_else(|e| panic!("{e}"));
        for (x, y) in b.axes.iter().zip(&turned.axes) {
            assert!((x - y).abs() < 1e-6);
        }
        // A point projects where the fit put it.
        let again = b.project(&z[..d]);
        assert!((again[0] - b.points[0][0]).abs() < 1e-5);
    }

    #[test]
    fn two_dimensional_embeddings_are_the_circle_itself() {
        let z = [3.0f32, 4.0, 0.0, -2.0, -1.0, 0.0];
        let l = sphere_2d(&z, 3, 2, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.points, vec![[0.6, 0.8], [0.0, -1.0], [-1.0, 0.0]]);
    }

    #[test]
    fn degenerate_input_is_an_error_or_a_finite_layout_never_a_panic() {
        for z in [vec![0.0f32; 40], vec![1.0; 40], vec![f32::NAN; 40]] {
            if let Ok(l) = sphere_2d(&z, 10, 4, None) {
                assert!(
                    l.points
                        .iter()
                        .all(|p| p[0].is_finite() && p[1].is_finite())
                );
            }
        }
        assert!(sphere_2d(&[1.0, 2.0], 1, 3, None).is_err());
    }
}
