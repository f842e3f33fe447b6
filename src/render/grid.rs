//! Hover picking for large point sets: a uniform grid over the view, so the point under the
//! pointer is found among a few cells instead of all points.

use std::collections::HashMap;

pub struct SpatialGrid {
    cell: [f64; 2],
    cells: HashMap<(i64, i64), Vec<u32>>,
}

impl SpatialGrid {
    /// Cells of `cell` = (width, height) in plot units.
    pub fn build(points: &[[f32; 2]], cell: [f64; 2]) -> Self {
        let cell = [cell[0].max(1e-12), cell[1].max(1e-12)];
        let mut cells: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (i, p) in points.iter().enumerate() {
            if p[0].is_finite() && p[1].is_finite() {
                let key = (
                    (p[0] as f64 / cell[0]).floor() as i64,
                    (p[1] as f64 / cell[1]).floor() as i64,
                );
                cells.entry(key).or_default().push(i as u32);
            }
        }
        Self { cell, cells }
    }

    /// The point nearest to `at` within one cell size (distances measured in cell units, so a
    /// non-square view picks in screen proportions), if any.
    pub fn nearest(&self, points: &[[f32; 2]], at: [f64; 2]) -> Option<usize> {
        let (cx, cy) = (
            (at[0] / self.cell[0]).floor() as i64,
            (at[1] / self.cell[1]).floor() as i64,
        );
        let mut best: Option<(f64, usize)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &i in self.cells.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    let p = points[i as usize];
                    let d = ((p[0] as f64 - at[0]) / self.cell[0]).powi(2)
                        + ((p[1] as f64 - at[1]) / self.cell[1]).powi(2);
                    if d <= 1.0 && best.is_none_or(|(b, _)| d < b) {
                        best = Some((d, i as usize));
                    }
                }
            }
        }
        best.map(|(_, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn finds_the_same_point_as_a_full_scan() {
        let mut rng = Rng::fork(3, "grid");
        let pts: Vec<[f32; 2]> = (0..5000)
            .map(|_| [rng.normal(), 2.0 * rng.normal()])
            .collect();
        let cell = [0.05, 0.1];
        let grid = SpatialGrid::build(&pts, cell);
        for _ in 0..300 {
            let at = [rng.normal() as f64, 2.0 * rng.normal() as f64];
            let scan = pts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        ((p[0] as f64 - at[0]) / cell[0]).powi(2)
                            + ((p[1] as f64 - at[1]) / cell[1]).powi(2),
                        i,
                    )
                })
                .filter(|(d, _)| *d <= 1.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, i)| i);
            assert_eq!(grid.nearest(&pts, at), scan);
        }
    }
}
