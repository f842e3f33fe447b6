//! Blocks of dot products and a fast exp: what the metrics (kNN, uniformity) and the fused
//! InfoNCE kernels (`methods::host`) share.

use super::gemm::{Into::Overwrite, Mat, MatMut, product};

/// `dst = A · Bᵀ` with `A: [m, d]` and `B: [n, d]` row-major, `dst: [m, n]`: the dot products
/// of every row of A with every row of B (a block of a Gram matrix).
pub fn dot_products(dst: &mut [f32], a: &[f32], b: &[f32], d: usize) {
    let (m, n) = (a.len() / d.max(1), b.len() / d.max(1));
    let (a, b) = (Mat::new(a, m, d), Mat::new(b, n, d));
    product(MatMut::new(dst, m, n), a, b.t(), 1.0, Overwrite);
}

/// Calls `f(i, dots)` for every row `i` of `a: [m, d]` with `dots: [n]` its dot products with
/// the rows of `b: [n, d]`, computed a block of rows per GEMM (memory: 256 × n floats).
pub fn for_each_dot_row(a: &[f32], b: &[f32], d: usize, mut f: impl FnMut(usize, &[f32])) {
    const BLOCK: usize = 256;
    let (m, n) = (a.len() / d.max(1), b.len() / d.max(1));
    if m == 0 || n == 0 {
        return;
    }
    let mut block = vec![0f32; BLOCK.min(m) * n];
    for start in (0..m).step_by(BLOCK) {
        let rows = BLOCK.min(m - start);
        let dots = &mut block[..rows * n];
        dot_products(dots, &a[start * d..(start + rows) * d], b, d);
        for (offset, row) in dots.chunks_exact(n).enumerate() {
            f(start + offset, row);
        }
    }
}

/// `exp(x)` for `x ≤ 0` (and −∞ → 0), to about 2 ulp: `2^k · p(r)` with `x = k·ln2 + r`,
/// `|r| ≤ ln2/2` and `p` the degree-6 Taylor polynomial (relative error < 2·10⁻⁷ there).
/// Branch-free and without float→int casts (Rust's saturating `as` is scalar code), so
/// that it vectorises.
#[inline(always)]
pub fn exp_poly(x: f32) -> f32 {
    // Below −87.3 the result is under f32's normal range: flush to 0 (−∞ included).
    let x = x.clamp(-87.3, 0.0);
    // k = round(x / ln2) by the 1.5·2²³ trick: adding it leaves k in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let shifted = x * std::f32::consts::LOG2_E + MAGIC;
    let k = shifted - MAGIC;
    // Cody–Waite: ln2 split in two so that k·ln2 is exact enough.
    let r = x - k * 0.693_145_75 - k * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^k through the exponent bits: k (two's complement in the low bits) + 127, shifted.
    let k_bits = shifted.to_bits().wrapping_sub(MAGIC.to_bits());
    let scale = f32::from_bits(k_bits.wrapping_add(127) << 23);
    if x <= -87.3 { 0.0 } else { p * scale }
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
        assert!((exp_poly(-0.5) as f64 - (-0.5f64).exp()).abs() < 1e-7);
    }
}
