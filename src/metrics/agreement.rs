//! Neighbour agreement between two embeddings of the same samples (the Embedding Comparator's
//! measure, Boggust et al. 2022): for each sample, the fraction of its k nearest neighbours
//! (cosine) that are its neighbours in both. 1 = the two runs see the same neighbourhoods.

/// Neighbours each sample is compared on.
pub const AGREEMENT_K: usize = 10;

/// The `k` most cosine-similar other samples of each row of `x: [n, d]` (ties to the lower
/// index, so the answer is deterministic even for a collapsed embedding).
pub fn cosine_neighbours(x: &[f32], d: usize, k: usize) -> Vec<Vec<usize>> {
    let n = x.len().checked_div(d).unwrap_or(0);
    let k = k.min(n.saturating_sub(1));
    let unit: Vec<f32> = x
        .chunks_exact(d.max(1))
        .flat_map(|row| {
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            row.iter().map(move |v| v / norm)
        })
        .collect();
    let row = |i: usize| &unit[i * d..(i + 1) * d];
    let mut sims: Vec<(f32, usize)> = Vec::with_capacity(n);
    (0..n)
        .map(|i| {
            if k == 0 {
                return Vec::new();
            }
            sims.clear();
            sims.extend((0..n).filter(|&j| j != i).map(|j| {
                let s: f32 = row(i).iter().zip(row(j)).map(|(a, b)| a * b).sum();
                // NaN (a broken embedding) sorts last.
                (if s.is_nan() { f32::NEG_INFINITY } else { s }, j)
            }));
            let order =
                |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
            sims.select_nth_unstable_by(k - 1, order);
            sims[..k].iter().map(|&(_, j)| j).collect()
        })
        .collect()
}

/// Per sample, |N_a(i) ∩ N_b(i)| / k, for `a: [n, da]` and `b: [n, db]` embeddings of the same
/// `n` samples in the same order. Empty when the two do not hold the same number of samples.
pub fn neighbour_agreement(a: &[f32], da: usize, b: &[f32], db: usize, k: usize) -> Vec<f64> {
    let (na, nb) = (
        a.len().checked_div(da).unwrap_or(0),
        b.len().checked_div(db).unwrap_or(0),
    );
    if na != nb || na < 2 {
        return Vec::new();
    }
    let (nbr_a, nbr_b) = (cosine_neighbours(a, da, k), cosine_neighbours(b, db, k));
    nbr_a
        .iter()
        .zip(&nbr_b)
        .map(|(x, y)| {
            let shared = x.iter().filter(|i| y.contains(i)).count();
            shared as f64 / x.len().max(1) as f64
        })
        .collect()
}

/// The mean over samples of [`neighbour_agreement`]; NaN when it is undefined.
pub fn mean_agreement(a: &[f32], da: usize, b: &[f32], db: usize, k: usize) -> f64 {
    let per = neighbour_agreement(a, da, b, db, k);
    if per.is_empty() {
        return f64::NAN;
    }
    per.iter().sum::<f64>() / per.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force in f64 with a full sort.
    fn neighbours_f64(x: &[f32], d: usize, k: usize) -> Vec<Vec<usize>> {
        let n = x.len() / d;
        let norm = |i: usize| {
            x[i * d..(i + 1) * d]
                .iter()
                .map(|&v| (v as f64).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        (0..n)
            .map(|i| {
                let mut all: Vec<(f64, usize)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| {
                        let dot: f64 = (0..d)
                            .map(|c| x[i * d + c] as f64 * x[j * d + c] as f64)
                            .sum();
                        (dot / (norm(i) * norm(j)), j)
                    })
                    .collect();
                all.sort_by(|a, b| b.0.total_cmp(&a.0));
                let mut top: Vec<usize> = all[..k].iter().map(|p| p.1).collect();
                top.sort();
                top
            })
            .collect()
    }

    fn points(n: usize, d: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::rng::Rng::fork(seed, "agreement-test");
        (0..n * d).map(|_| rng.normal()).collect()
    }

    #[test]
    fn neighbours_match_a_brute_force_search() {
        let x = points(60, 5, 1);
        let mut ours = cosine_neighbours(&x, 5, AGREEMENT_K);
        ours.iter_mut().for_each(|v| v.sort());
        assert_eq!(ours, neighbours_f64(&x, 5, AGREEMENT_K));
    }

    #[test]
    fn agreement_is_one_for_the_same_geometry_and_low_for_unrelated_ones() {
        let x = points(80, 6, 2);
        // A rotation and a scale keep every cosine, so every neighbourhood.
        let scaled: Vec<f32> = x.iter().map(|v| 3.0 * v).collect();
        assert_eq!(mean_agreement(&x, 6, &scaled, 6, 10), 1.0);
        let y = points(80, 6, 3);
        let unrelated = mean_agreement(&x, 6, &y, 6, 10);
        assert!(unrelated < 0.35, "{unrelated}");
        // One sample's neighbourhood: exactly the shared fraction.
        let per = neighbour_agreement(&x, 6, &y, 6, 10);
        let (na, nb) = (neighbours_f64(&x, 6, 10), neighbours_f64(&y, 6, 10));
        let shared = na[0].iter().filter(|i| nb[0].contains(i)).count();
        assert_eq!(per[0], shared as f64 / 10.0);
        // Different sample counts: undefined, not a panic.
        assert!(mean_agreement(&x, 6, &y[..60], 6, 10).is_nan());
        assert!(mean_agreement(&[], 6, &[], 6, 10).is_nan());
    }
}
