//! A small, seedable random number generator used everywhere randomness enters a run:
//! data generation, augmentation, batch sampling and weight initialisation.
//!
//! Burn's own RNG is global per device, so two runs initialising models on the same device at
//! the same time (parallel tests, the app and a headless run) would interleave their draws.
//! Owning the generator makes "same config + same seed ⇒ same numbers" hold regardless.

mod box_muller;

/// xoshiro256** seeded through SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// An independent stream derived from this seed and a label, so that adding a draw in one
    /// place (say, augmentation) does not shift the numbers of another (say, initialisation).
    pub fn fork(seed: u64, stream: &str) -> Self {
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in stream.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01B3);
        }
        Self::new(seed ^ h.rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        unit(self.next_u64() >> 40)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in [0, n). `n` must be > 0.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * n as f64) as usize
            % n.max(1)
    }

    pub fn chance(&mut self, p: f32) -> bool {
        self.uniform() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = (self.uniform() as f64).max(1e-12);
        let u2 = self.uniform() as f64;
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// Standard normals for every value of `out`, each consecutive pair `(r cos θ, r sin θ)`
    /// from one Box–Muller draw of two uniforms out of one `u64` (an odd last value uses a
    /// whole draw), in f32: a quarter of [`Rng::normal`]'s transcendentals per value, computed
    /// in vector lanes (for bulk noise).
    pub fn normals(&mut self, out: &mut [f32]) {
        use box_muller::LANES;
        for chunk in out.chunks_mut(2 * LANES) {
            let (mut u1, mut u2) = ([1.0f32; LANES], [0.0f32; LANES]);
            for i in 0..chunk.len().div_ceil(2) {
                // Both uniforms (24 bits each) from one draw's high and middle bits.
                let bits = self.next_u64();
                u1[i] = (unit(bits >> 40)).max(1e-12);
                u2[i] = unit((bits >> 16) & 0xff_ffff);
            }
            let (a, b) = box_muller::transform(&u1, &u2);
            for (i, v) in chunk.iter_mut().enumerate() {
                *v = if i % 2 == 0 { a[i / 2] } else { b[i / 2] };
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// A 24-bit integer as a uniform in [0, 1) (exact: f32 holds 24 bits).
fn unit(bits: u64) -> f32 {
    (bits as f32) * (1.0 / (1u64 << 24) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_sane_moments() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let n = 20_000;
        let xs: Vec<f32> = (0..n).map(|_| a.normal()).collect();
        let mean = xs.iter().sum::<f32>() / n as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
        assert!((0..1000).all(|_| a.below(3) < 3));
        assert_ne!(Rng::fork(1, "a").next_u64(), Rng::fork(1, "b").next_u64());
    }

    /// Both halves of a pair are standard normal and uncorrelated with each other.
    #[test]
    fn normal_pairs_are_two_independent_standard_normals() {
        let mut rng = Rng::new(11);
        let n = 20_000;
        let mut values = vec![0.0f32; 2 * n];
        rng.normals(&mut values);
        let pairs: Vec<(f32, f32)> = values.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let moments = |xs: Vec<f32>| {
            let mean = xs.iter().sum::<f32>() / n as f32;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
            let kurtosis =
                xs.iter().map(|x| (x - mean).powi(4)).sum::<f32>() / n as f32 / (var * var);
            (mean, var, kurtosis)
        };
        for xs in [
            pairs.iter().map(|p| p.0).collect(),
            pairs.iter().map(|p| p.1).collect(),
        ] {
            let (mean, var, kurtosis) = moments(xs);
            assert!(
                mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
                "mean {mean}, var {var}"
            );
            assert!((kurtosis - 3.0).abs() < 0.2, "kurtosis {kurtosis}");
        }
        let correlation = pairs.iter().map(|(a, b)| a * b).sum::<f32>() / n as f32;
        assert!(correlation.abs() < 0.03, "correlation {correlation}");
        // The tails (where ln u₁ of small u₁ matters): P(|z| > 2) = 0.0455, P(|z| > 3) = 0.0027.
        let mut many = vec![0.0f32; 1_000_000];
        rng.normals(&mut many);
        let beyond = |k: f32| many.iter().filter(|z| z.abs() > k).count() as f64 / 1e6;
        assert!((beyond(2.0) - 0.0455).abs() < 0.001, "{}", beyond(2.0));
        assert!((beyond(3.0) - 0.0027).abs() < 0.0002, "{}", beyond(3.0));
    }
}
