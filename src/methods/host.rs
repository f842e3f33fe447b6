//! Host kernels for the CPU (flex) path: the parts of a step where Burn's op-by-op autodiff
//! spends more time allocating and re-reading `[2n, 2n]` matrices than computing.
//!
//! [`nt_xent_rows`] computes SimCLR's loss *and* its exact gradient with respect to the
//! normalised embeddings in two matrix products and one fused pass per row (max, exp, sum,
//! log, softmax), where the autodiff graph takes about fifteen passes over the similarity
//! matrix forward and backward. The trainer hands the gradient back to Burn through a
//! surrogate (see [`super::simclr::nt_xent_views`]), so everything upstream of the
//! embeddings is still Burn's autodiff.

/// `dst[m×n] = A[m×k] · B[k×n] · scale`, row-major; `b_transposed`: `b` holds Bᵀ `[n×k]`.
fn matmul(
    dst: &mut [f32],
    a: &[f32],
    b: &[f32],
    [m, k, n]: [usize; 3],
    b_transposed: bool,
    scale: f32,
) {
    assert!(dst.len() == m * n && a.len() == m * k && b.len() == k * n);
    let (b_rs, b_cs) = if b_transposed {
        (1, k as isize)
    } else {
        (n as isize, 1)
    };
    // SAFETY: the three slices were just checked to hold the row-major shapes the strides
    // describe, and `dst` does not alias the inputs (it is a `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            b_cs,
            b_rs,
            0.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// NT-Xent over `rows = 2n` ℓ2-normalised embeddings `u: [rows, d]` (row-major), the partner
/// of row `i` being row `(i + n) mod 2n`: the mean over all rows of
/// `log Σ_{j≠i} exp(uᵢ·uⱼ/τ) − uᵢ·u_partner/τ`.
///
/// Returns the loss and `∂loss/∂u` `[rows, d]`: with `P` the row softmax (diagonal excluded)
/// and `W = P − onehot(partner)`, `∂loss/∂u = (W + Wᵀ) u / (rows·τ)`.
pub fn nt_xent_rows(u: &[f32], d: usize, temperature: f64) -> (f64, Vec<f32>) {
    let rows = u.len().checked_div(d).unwrap_or(0);
    assert!(rows >= 2 && rows.is_multiple_of(2) && rows * d == u.len());
    if !u.iter().all(|v| v.is_finite()) {
        // The max and exp below skip NaN: a broken embedding must not yield a finite loss.
        return (f64::NAN, vec![0.0; u.len()]);
    }
    let half = rows / 2;
    let partner = |i: usize| (i + half) % rows;
    // [rows, rows] similarities / τ
    let mut s = vec![0.0f32; rows * rows];
    matmul(
        &mut s,
        u,
        u,
        [rows, d, rows],
        true,
        (1.0 / temperature) as f32,
    );
    let mut loss = 0.0f64;
    for (i, row) in s.chunks_exact_mut(rows).enumerate() {
        let positive = row[partner(i)];
        // The anchor is not its own negative: −∞ on the diagonal, exp(−∞) = 0 below.
        row[i] = f32::NEG_INFINITY;
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum = exp_shifted(row, max);
        loss += (max as f64 + sum.ln()) - positive as f64;
        let inv = (1.0 / sum) as f32;
        row.iter_mut().for_each(|p| *p *= inv);
    }
    // W + Wᵀ, scaled: symmetric, so one triangle is computed and mirrored.
    let scale = (1.0 / (rows as f64 * temperature)) as f32;
    for i in 0..rows {
        for j in i..rows {
            let w = (s[i * rows + j] + s[j * rows + i]) * scale;
            s[i * rows + j] = w;
            s[j * rows + i] = w;
        }
        s[i * rows + partner(i)] -= 2.0 * scale;
    }
    let mut grad = vec![0.0f32; rows * d];
    matmul(&mut grad, &s, u, [rows, rows, d], false, 1.0);
    (loss / rows as f64, grad)
}

/// `xᵢ ← exp(xᵢ − shift)` in place; returns `Σ exp(xᵢ − shift)` (f64). Vectorised with
/// AVX2+FMA when the CPU has them.
fn exp_shifted(x: &mut [f32], shift: f32) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been checked for both features.
        return unsafe { exp_shifted_avx2(x, shift) };
    }
    exp_shifted_lanes(x, shift)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn exp_shifted_avx2(x: &mut [f32], shift: f32) -> f64 {
    exp_shifted_lanes(x, shift)
}

const LANES: usize = 16;

#[inline(always)]
fn exp_shifted_lanes(x: &mut [f32], shift: f32) -> f64 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = x.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        for (v, a) in chunk.iter_mut().zip(acc.iter_mut()) {
            *v = exp_poly(*v - shift);
            *a += *v;
        }
    }
    let mut total: f64 = acc.iter().map(|&a| a as f64).sum();
    for v in chunks.into_remainder() {
        *v = exp_poly(*v - shift);
        total += *v as f64;
    }
    total
}

/// `exp(x)` for `x ≤ 0` (and −∞ → 0), to about 2 ulp: `2^k · p(r)` with `x = k·ln2 + r`,
/// `|r| ≤ ln2/2` and `p` the degree-6 Taylor polynomial (relative error < 2·10⁻⁷ there).
/// Branch-free, so that it vectorises.
#[inline(always)]
pub fn exp_poly(x: f32) -> f32 {
    // Below −87.3 the result is under f32's normal range: flush to 0 (−∞ included).
    let x = x.max(-87.3);
    let k = (x * std::f32::consts::LOG2_E).round();
    // Cody–Waite: ln2 split in two so that k·ln2 is exact enough.
    let r = x - k * 0.693_145_75 - k * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^k through the exponent bits; k ≥ −126 after the clamp.
    let scale = f32::from_bits(((k as i32 + 127) as u32) << 23);
    let y = p * scale;
    if x <= -87.3 { 0.0 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_poly_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 0.0 {
            let ours = exp_poly(x) as f64;
            let exact = (x as f64).exp();
            worst = worst.max(((ours - exact) / exact).abs());
            x += 0.0137;
        }
        assert!(worst < 5e-7, "worst relative error {worst:e}");
        assert_eq!(exp_poly(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_poly(-200.0), 0.0);
        assert_eq!(exp_poly(0.0), 1.0);
    }

    #[test]
    fn exp_shifted_sums_what_it_writes() {
        let mut x: Vec<f32> = (0..37).map(|i| i as f32 * 0.25).collect();
        let total = exp_shifted(&mut x, 9.0);
        let expected: f64 = (0..37).map(|i| (i as f64 * 0.25 - 9.0).exp()).sum();
        assert!((total - expected).abs() < 1e-6 * expected);
        assert!((x[36] as f64 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn matmul_handles_both_layouts() {
        // A [2×3], B [3×2]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let bt = [7.0, 9.0, 11.0, 8.0, 10.0, 12.0];
        let mut c = [0.0; 4];
        matmul(&mut c, &a, &b, [2, 3, 2], false, 1.0);
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
        matmul(&mut c, &a, &bt, [2, 3, 2], true, 0.5);
        assert_eq!(c, [29.0, 32.0, 69.5, 77.0]);
    }
}
