//! Box–Muller in bulk: `r = √(−2 ln u₁)`, `(r cos 2πu₂, r sin 2πu₂)`, with `ln` and `sin/cos`
//! as branch-free polynomials (Cephes' single-precision ones, ≈ 1 ulp on their ranges) over
//! lanes of pairs, so the compiler vectorises them. libm's `logf`, `sinf` and `cosf` called
//! per pair cost ≈ 8 ns a value (a shapes view's noise was the largest of its augmentations).

use std::f32::consts::{FRAC_1_SQRT_2, TAU};

/// Pairs computed together.
pub const LANES: usize = 8;

/// `(r cos 2πu₂, r sin 2πu₂)` for each lane: `u1` in (0, 1] (normal floats), `u2` in [0, 1).
#[inline]
pub fn transform(u1: &[f32; LANES], u2: &[f32; LANES]) -> ([f32; LANES], [f32; LANES]) {
    let (mut a, mut b) = ([0.0; LANES], [0.0; LANES]);
    for i in 0..LANES {
        let r = (-2.0 * ln(u1[i])).sqrt();
        let (s, c) = sin_cos_turns(u2[i]);
        a[i] = r * c;
        b[i] = r * s;
    }
    (a, b)
}

/// `ln x` for a positive normal `x` (Cephes `logf`): `x = m·2ᵉ` with `m` in [√½, √2),
/// `ln x = e·ln 2 + ln m`, `ln m` a polynomial in `m − 1`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    // x = m·2ᵉ with m in [½, 1)
    let e = ((bits >> 23) & 0xff) as i32 - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = m < FRAC_1_SQRT_2;
    let e = (e - i32::from(small)) as f32;
    let f = if small { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let mut y = 7.037_683_6e-2;
    y = y * f - 1.151_461e-1;
    y = y * f + 1.167_699_9e-1;
    y = y * f - 1.242_014_1e-1;
    y = y * f + 1.424_932_3e-1;
    y = y * f - 1.666_805_8e-1;
    y = y * f + 2.000_071_5e-1;
    y = y * f - 2.499_999_4e-1;
    y = y * f + 3.333_333e-1;
    y = y * f * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    f + y + 0.693_359_4 * e
}

/// `(sin 2πt, cos 2πt)` for `t` in [0, 1): the quarter turn nearest `t` is exact in turns, the
/// rest (within ±π/4) goes to Cephes' `sinf`/`cosf` polynomials.
#[inline(always)]
pub fn sin_cos_turns(t: f32) -> (f32, f32) {
    let quarter = (t * 4.0 + 0.5) as i32; // 0..=4 (t ≥ 0: truncation is the floor)
    let a = (t - quarter as f32 * 0.25) * TAU; // [−π/4, π/4]
    let z = a * a;
    let s = ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * a + a;
    let c = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    // Turned by `quarter`·π/2: a quarter swaps sin and cos, a half negates both.
    let swap = quarter & 1 == 1;
    let (s, c) = if swap { (c, s) } else { (s, c) };
    let sign = |v: f32, negate: bool| f32::from_bits(v.to_bits() ^ (u32::from(negate) << 31));
    (sign(s, quarter & 2 != 0), sign(c, (quarter + 1) & 2 != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_is_within_two_ulp_of_the_exact_logarithm() {
        // From the smallest u₁ drawn (1e-12) to 1, densely, and every power of two on the way.
        let mut x = 1e-12f32;
        let mut checked = 0;
        while x <= 1.0 {
            let (ours, exact) = (ln(x) as f64, (x as f64).ln());
            let ulp = (exact.abs() as f32).max(f32::MIN_POSITIVE);
            let ulp = (f32::from_bits(ulp.to_bits() + 1) - ulp) as f64;
            assert!(
                (ours - exact).abs() <= 2.0 * ulp,
                "ln({x}) = {ours}, exact {exact}"
            );
            x = f32::from_bits(x.to_bits() + 251);
            checked += 1;
        }
        assert!(checked > 1_000_000, "{checked}");
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn sin_and_cos_of_turns_are_within_2e_7_of_the_exact_ones() {
        for k in 0..(1 << 20) {
            let t = k as f32 / (1 << 20) as f32;
            let (s, c) = sin_cos_turns(t);
            let angle = std::f64::consts::TAU * t as f64;
            assert!((s as f64 - angle.sin()).abs() < 2e-7, "sin at {t}: {s}");
            assert!((c as f64 - angle.cos()).abs() < 2e-7, "cos at {t}: {c}");
        }
    }
}
