//! Symmetric eigenvalues by cyclic Jacobi rotations: exact to f64 precision for the small
//! (d ≤ a few hundred) covariance and Gram matrices the diagnostics need.

/// Eigenvalues of the symmetric `d×d` matrix `a` (row-major), sorted descending.
pub fn symmetric_eigenvalues(mut a: Vec<f64>, d: usize) -> Vec<f64> {
    if d == 0 {
        return Vec::new();
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum();
        let scale: f64 = (0..d).map(|i| a[i * d + i] * a[i * d + i]).sum::<f64>() + off;
        if off <= 1e-24 * scale.max(1e-300) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let akp = a[k * d + p];
                    let akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let apk = a[p * d + k];
                    let aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut eig: Vec<f64> = (0..d).map(|i| a[i * d + i]).collect();
    eig.sort_by(|x, y| y.total_cmp(x));
    eig
}

/// Singular values of the `n×d` matrix `x` (row-major), descending, via the eigenvalues of
/// `XᵀX`; with `centre`, the column means are removed first.
pub fn singular_values(x: &[f32], n: usize, d: usize, centre: bool) -> Vec<f64> {
    if n == 0 || d == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0f64; d];
    if centre {
        for row in x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
    }
    let mut gram = vec![0.0f64; d * d];
    let mut centred = vec![0.0f64; d];
    for row in x.chunks_exact(d) {
        for (c, (&v, m)) in centred.iter_mut().zip(row.iter().zip(&mean)) {
            *c = v as f64 - m;
        }
        for i in 0..d {
            let ci = centred[i];
            for j in i..d {
                gram[i * d + j] += ci * centred[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            gram[i * d + j] = gram[j * d + i];
        }
    }
    symmetric_eigenvalues(gram, d)
        .into_iter()
        .map(|e| e.max(0.0).sqrt())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_known_matrices() {
        // [[2,1],[1,2]] has eigenvalues 3 and 1.
        let e = symmetric_eigenvalues(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((e[0] - 3.0).abs() < 1e-12 && (e[1] - 1.0).abs() < 1e-12);
        // Trace and determinant of a random symmetric 3×3 are preserved.
        let a = vec![4.0, 1.0, -2.0, 1.0, 2.0, 0.5, -2.0, 0.5, 3.0];
        let e = symmetric_eigenvalues(a.clone(), 3);
        let det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
            + a[2] * (a[3] * a[7] - a[4] * a[6]);
        assert!((e.iter().sum::<f64>() - 9.0).abs() < 1e-10);
        assert!((e.iter().product::<f64>() - det).abs() < 1e-9);
    }

    #[test]
    fn singular_values_of_a_scaled_basis() {
        // Rows 3·e0 and 2·e1: singular values 3, 2.
        let s = singular_values(&[3.0, 0.0, 0.0, 2.0], 2, 2, false);
        assert!((s[0] - 3.0).abs() < 1e-9 && (s[1] - 2.0).abs() < 1e-9);
        // Identical rows: rank 1 uncentred, rank 0 centred.
        let same = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0];
        assert!(singular_values(&same, 3, 2, false)[1] < 1e-6);
        assert!(singular_values(&same, 3, 2, true)[0] < 1e-6);
    }
}
