use super::*;

/// `n` points around `k` well-separated centres in R^d.
fn blobs(n: usize, k: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::fork(seed, "blobs");
    let centres: Vec<f32> = (0..k * d).map(|_| rng.normal()).collect();
    let mut x = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        labels.push(c);
        for j in 0..d {
            x.push(centres[c * d + j] + 0.1 * rng.normal());
        }
    }
    (x, labels)
}

#[test]
fn affinities_are_a_symmetric_distribution_with_the_right_perplexity() {
    let (x, _) = blobs(200, 4, 8, 3);
    let p = affinities(&x, 200, 8, 10.0).unwrap();
    let total: f64 = p.vals.iter().map(|&v| v as f64).sum();
    assert!((total - 1.0).abs() < 1e-4, "P sums to {total}");
    // Symmetric: P_ij = P_ji.
    let get = |i: usize, j: usize| -> f32 {
        (p.rows[i]..p.rows[i + 1])
            .find(|&e| p.cols[e] as usize == j)
            .map(|e| p.vals[e])
            .unwrap_or(0.0)
    };
    for i in (0..200).step_by(17) {
        for e in p.rows[i]..p.rows[i + 1] {
            let j = p.cols[e] as usize;
            assert!((get(i, j) - get(j, i)).abs() < 1e-7);
        }
    }
    assert!(affinities(&x, 200, 8, 0.5).is_err());
    assert!(affinities(&x[..8], 1, 8, 10.0).is_err());
}

#[test]
fn barnes_hut_repulsion_approximates_the_exact_sum() {
    let mut rng = Rng::fork(9, "points");
    let n = 600;
    let xs: Vec<f32> = (0..n).map(|_| 5.0 * rng.normal()).collect();
    let mut ys: Vec<f32> = (0..n).map(|_| 5.0 * rng.normal()).collect();
    // Two coincident points exercise the coincident leaf.
    ys[1] = ys[0];
    let mut xs = xs;
    xs[1] = xs[0];
    let mut exact = vec![0f32; 2 * n];
    let mut bh = vec![0f32; 2 * n];
    let ze = repulsion_exact(&xs, &ys, &mut exact);
    let zb = QuadTree::build(&xs, &ys).repulsion(&xs, &ys, 0.5, &mut bh);
    assert!(((ze - zb) / ze).abs() < 0.02, "Z exact {ze} vs BH {zb}");
    let err: f32 = exact.iter().zip(&bh).map(|(a, b)| (a - b).abs()).sum();
    let mag: f32 = exact.iter().map(|a| a.abs()).sum();
    assert!(err / mag < 0.05, "relative force error {}", err / mag);
    // θ = 0 is exact.
    let z0 = QuadTree::build(&xs, &ys).repulsion(&xs, &ys, 0.0, &mut bh);
    assert!(((ze - z0) / ze).abs() < 1e-4);
}

#[test]
fn kl_falls_while_fitting() {
    let (x, _) = blobs(150, 3, 6, 5);
    let p = affinities(&x, 150, 6, 20.0).unwrap();
    let mut t = Tsne::new(p, TsneParams::default(), 1);
    for _ in 0..300 {
        t.step();
    }
    let mid = t.kl();
    for _ in 0..300 {
        t.step();
    }
    assert!(t.kl() < mid && t.kl().is_finite(), "{mid} -> {}", t.kl());
}
