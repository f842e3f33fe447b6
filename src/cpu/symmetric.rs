//! `S ← (S + Sᵀ)·c` in place for a square row-major matrix, on both cores: NT-Xent's gradient
//! weights `W + Wᵀ` ([`crate::methods::host::nt_xent_rows`]) without a transposed copy.
//!
//! Element `(i, j)` and its mirror `(j, i)` are read and written together, so the matrix is
//! walked as pairs of mirrored tiles: each tile of the upper triangle with its mirror in the
//! lower one. Each value is `(s[i][j] + s[j][i])·c`, and IEEE addition commutes, so both
//! halves of a pair get the same bits as an element-by-element pass against a copy of `Sᵀ`,
//! whichever thread takes which tiles.

use super::gemm::may_split;
use super::helper::{self, Blocks};
use super::rows::SPLIT_MIN_ELEMENTS;

/// Tiles of `TILE × TILE` values: a tile's rows (often 2 KB apart) and its mirror's stay in
/// a few L1 sets without evicting each other (32 measured slower in `copy_row_major`'s case).
const TILE: usize = 16;
/// Blocks of tile rows, balanced by their number of tiles (row `t` of the upper triangle
/// holds `tiles − t`).
const BLOCKS: usize = 4;

/// `s ← (s + sᵀ)·scale` for `s: [n, n]` row-major, in place.
pub fn add_transpose_scaled(s: &mut [f32], n: usize, scale: f32) {
    assert_eq!(s.len(), n * n, "add_transpose_scaled: s is not [n, n]");
    let tiles = n.div_ceil(TILE);
    let blocks = if s.len() < SPLIT_MIN_ELEMENTS || !may_split() {
        1
    } else {
        BLOCKS.min(tiles)
    };
    let pass = Pairs {
        s: s.as_mut_ptr(),
        n,
        scale,
        bounds: balanced_bounds(tiles, blocks),
    };
    if blocks == 1 {
        pass.block(0);
    } else {
        helper::share(&pass);
    }
}

/// `blocks + 1` tile-row boundaries that split the upper triangle's `tiles·(tiles + 1)/2`
/// tiles into runs of about equal size.
fn balanced_bounds(tiles: usize, blocks: usize) -> Vec<usize> {
    let total = tiles * (tiles + 1) / 2;
    let mut bounds = vec![0];
    let (mut row, mut done) = (0, 0);
    for b in 1..blocks {
        while row < tiles && done * blocks < b * total {
            done += tiles - row;
            row += 1;
        }
        bounds.push(row);
    }
    bounds.push(tiles);
    bounds
}

/// One pass's matrix as raw parts, so that both threads can write tiles of it.
struct Pairs {
    s: *mut f32,
    n: usize,
    scale: f32,
    /// Block `b` takes tile rows `bounds[b]..bounds[b + 1]` of the upper triangle.
    bounds: Vec<usize>,
}

// SAFETY: built from a `&mut` matrix that outlives `add_transpose_scaled`, which returns only
// after every block is done (`helper::share`). Block `b` writes the tiles `(r, c)` and `(c, r)`
// with `r` in its rows and `c ≥ r`: an unordered pair of tile indices belongs to one block only,
// so no value is touched by two blocks.
unsafe impl Sync for Pairs {}

impl Blocks for Pairs {
    fn count(&self) -> usize {
        self.bounds.len() - 1
    }

    fn block(&self, b: usize) {
        let tiles = self.n.div_ceil(TILE);
        for tr in self.bounds[b]..self.bounds[b + 1] {
            for tc in tr..tiles {
                // SAFETY: see `impl Sync`: this block alone owns tiles (tr, tc) and (tc, tr).
                unsafe { self.tile_pair(tr, tc) };
            }
        }
    }
}

impl Pairs {
    /// Every pair `(i, j), (j, i)` with `i` in tile row `tr`, `j` in tile column `tc ≥ tr`,
    /// and `j ≥ i` on the diagonal tile.
    ///
    /// # Safety
    /// No other thread may touch tiles `(tr, tc)` and `(tc, tr)` meanwhile.
    unsafe fn tile_pair(&self, tr: usize, tc: usize) {
        let n = self.n;
        let (rows, cols) = (
            tr * TILE..n.min(tr * TILE + TILE),
            tc * TILE..n.min(tc * TILE + TILE),
        );
        // The 4×4 blocks that fit, in SSE registers; the rest value by value.
        #[cfg(target_arch = "x86_64")]
        let whole = |r: &std::ops::Range<usize>| r.start..r.start + (r.end - r.start) / 4 * 4;
        #[cfg(target_arch = "x86_64")]
        let (rows4, cols4) = (whole(&rows), whole(&cols));
        #[cfg(not(target_arch = "x86_64"))]
        let (rows4, cols4) = (rows.start..rows.start, cols.start..cols.start);
        #[cfg(target_arch = "x86_64")]
        for i in rows4.clone().step_by(4) {
            let from = if tr == tc { i } else { cols4.start };
            for j in (from..cols4.end).step_by(4) {
                // SAFETY: i + 4 ≤ n and j + 4 ≤ n, so both 4×4 blocks lie inside s.
                unsafe { self.block_pair(i, j) };
            }
        }
        for i in rows.clone() {
            for j in cols.clone() {
                let in_blocks = rows4.contains(&i) && cols4.contains(&j);
                if !in_blocks && (tr != tc || j >= i) {
                    // SAFETY: i, j < n.
                    unsafe { self.value_pair(i, j) };
                }
            }
        }
    }

    /// `(i, j)` and `(j, i)`.
    ///
    /// # Safety
    /// `i, j < n`.
    unsafe fn value_pair(&self, i: usize, j: usize) {
        let (a, b) = (
            self.s.wrapping_add(i * self.n + j),
            self.s.wrapping_add(j * self.n + i),
        );
        // SAFETY: both inside the n × n matrix.
        unsafe {
            let v = (*a + *b) * self.scale;
            *a = v;
            *b = v;
        }
    }

    /// The 4×4 block at `(i, j)` and its mirror at `(j, i)`: `A ← (A + Bᵀ)·c`, `B ← Aᵀ`
    /// (= `(B + Aᵀ)·c`, addition commuting). On the diagonal (`i = j`) both are one block.
    ///
    /// # Safety
    /// `i + 4 ≤ n`, `j + 4 ≤ n`.
    #[cfg(target_arch = "x86_64")]
    unsafe fn block_pair(&self, i: usize, j: usize) {
        use super::gemm::transpose_registers;
        use std::arch::x86_64::*;
        let n = self.n;
        let (a, b) = (
            self.s.wrapping_add(i * n + j),
            self.s.wrapping_add(j * n + i),
        );
        // SAFETY: four rows of four values from each corner, inside the matrix (caller).
        unsafe {
            let load = |p: *mut f32| std::array::from_fn(|r| _mm_loadu_ps(p.add(r * n)));
            let (block_a, block_b): ([__m128; 4], [__m128; 4]) = (load(a), load(b));
            let b_t = transpose_registers(block_b);
            let c = _mm_set1_ps(self.scale);
            let sum: [__m128; 4] =
                std::array::from_fn(|r| _mm_mul_ps(_mm_add_ps(block_a[r], b_t[r]), c));
            let sum_t = transpose_registers(sum);
            for (r, (row, row_t)) in sum.into_iter().zip(sum_t).enumerate() {
                _mm_storeu_ps(a.add(r * n), row);
                _mm_storeu_ps(b.add(r * n), row_t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::on_one_core;
    use crate::rng::Rng;

    /// Bit for bit the element-wise `(s[i][j] + s[j][i])·c` against a copy, at sizes that
    /// are and are not multiples of the 4×4 blocks and the tiles, on two cores and on one.
    #[test]
    fn equals_the_pass_against_a_copy_bit_for_bit() {
        let mut rng = Rng::new(5);
        for n in [0, 1, 2, 3, 5, 15, 16, 17, 31, 64, 130, 255, 258, 512] {
            let s: Vec<f32> = (0..n * n).map(|_| rng.normal() * 3.0).collect();
            let scale = 0.37f32;
            let want: Vec<f32> = (0..n * n)
                .map(|k| (s[k] + s[(k % n) * n + k / n]) * scale)
                .collect();
            let run = || {
                let mut got = s.clone();
                add_transpose_scaled(&mut got, n, scale);
                got
            };
            let (shared, alone) = (run(), on_one_core(run));
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&shared), bits(&want), "n = {n}, two cores");
            assert_eq!(bits(&alone), bits(&want), "n = {n}, one core");
        }
    }

    /// The blocks cover every tile row once, in order, and about evenly by tiles.
    #[test]
    fn blocks_split_the_triangle_evenly() {
        for (tiles, blocks) in [(1, 1), (3, 4), (32, 4), (33, 2), (100, 4)] {
            let bounds = balanced_bounds(tiles, blocks);
            assert_eq!(bounds.len(), blocks + 1);
            assert_eq!((bounds[0], bounds[blocks]), (0, tiles));
            assert!(bounds.windows(2).all(|w| w[0] <= w[1]), "{bounds:?}");
            let size = |b: usize| (bounds[b]..bounds[b + 1]).map(|r| tiles - r).sum::<usize>();
            let total = tiles * (tiles + 1) / 2;
            if tiles >= 8 * blocks {
                for b in 0..blocks {
                    let share = size(b) as f64 / total as f64;
                    assert!((share - 1.0 / blocks as f64).abs() < 0.05, "{bounds:?}");
                }
            }
        }
    }
}
