//! Matrix products on both cores.
//!
//! A step of the CPU path is a chain of products that depend on each other (the layers of one
//! network, forward then backward), so the way to use the second core is to split each product:
//! its rows (or columns) in a few fixed blocks that this thread and a helper thread claim one
//! at a time ([`super::helper`]). The blocks are fixed by the shapes alone, so whichever thread
//! computes a block, every number is the same: same seed, same run.
//!
//! The split is switched off on a thread that already shares the cores with another compute
//! thread ([`on_one_core`]: BYOL's and SimSiam's two views each run on their own core).

use super::helper::{self, Blocks};
use std::cell::Cell;

/// A strided `f32` matrix view: element `(i, j)` at `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    /// A dense row-major `[rows, cols]` view of `data` (which must hold exactly that).
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    /// A row-major view whose rows start `row_stride` elements apart.
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        let m = Self {
            data,
            rows,
            cols,
            rs: row_stride,
            cs: 1,
        };
        assert!(
            m.fits(),
            "matrix view [{rows}, {cols}] (stride {row_stride}) exceeds {} elements",
            data.len()
        );
        m
    }

    /// The transpose, as a view of the same memory.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// A row-major destination `[rows, cols]`, rows `row_stride` apart.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    rs: usize,
}

impl<'a> MatMut<'a> {
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    pub fn strided(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            row_stride >= cols
                && (rows == 0 || cols == 0 || (rows - 1) * row_stride + cols <= data.len()),
            "destination [{rows}, {cols}] (stride {row_stride}) exceeds {} elements",
            data.len()
        );
        Self {
            data,
            rows,
            cols,
            rs: row_stride,
        }
    }
}

/// What a product does with the destination's old values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Into {
    /// `dst = scale · A·B`
    Overwrite,
    /// `dst += scale · A·B` (a bias already in place, a gradient being summed)
    Accumulate,
}

/// `dst (=|+=) scale · A·B` with `A: [m, k]`, `B: [k, n]`, `dst: [m, n]`, on both cores when the
/// product is large enough to pay for the hand-over and the calling thread may split.
pub fn product(dst: MatMut, a: Mat, b: Mat, scale: f32, into: Into) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        b.rows == k && dst.rows == m && dst.cols == n,
        "product shapes: [{m}, {k}]·[{}, {n}] into [{}, {}]",
        b.rows,
        dst.rows,
        dst.cols
    );
    if m == 0 || n == 0 {
        return;
    }
    let task = Task {
        dst: dst.data.as_mut_ptr(),
        dst_rs: dst.rs,
        a: a.data.as_ptr(),
        a_rs: a.rs,
        a_cs: a.cs,
        b: b.data.as_ptr(),
        b_rs: b.rs,
        b_cs: b.cs,
        m,
        n,
        k,
        scale,
        into,
        along_rows: m >= n,
        blocks: blocks_for(m, n, k),
    };
    if task.blocks == 1 || !may_split() {
        (0..task.blocks).for_each(|i| task.block(i));
    } else {
        helper::share(&task);
    }
}

/// Below this many multiply-adds a product runs on one core: handing half of it over costs
/// more than it saves.
const SPLIT_MIN_MADDS: usize = 1 << 21;
/// Rows (or columns) per block at least; each block re-packs the other operand.
const MIN_BLOCK: usize = 64;
/// Blocks at most: enough for the two threads to even out when one of them starts late.
const MAX_BLOCKS: usize = 4;

fn blocks_for(m: usize, n: usize, k: usize) -> usize {
    if m.saturating_mul(n).saturating_mul(k) < SPLIT_MIN_MADDS {
        return 1;
    }
    (m.max(n) / MIN_BLOCK).clamp(1, MAX_BLOCKS)
}

thread_local! {
    static ONE_CORE: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread's work may be shared with the helper (see [`on_one_core`]).
pub(super) fn may_split() -> bool {
    !ONE_CORE.with(Cell::get)
}

/// Runs `f` with this thread's products kept on its own core (a thread that shares the cores
/// with another compute thread gains nothing from splitting and would only make both wait).
pub fn on_one_core<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ONE_CORE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(ONE_CORE.with(|c| c.replace(true)));
    f()
}

/// One product's operands as raw parts, so that both threads can compute blocks of it.
#[derive(Clone, Copy, Debug)]
struct Task {
    dst: *mut f32,
    dst_rs: usize,
    a: *const f32,
    a_rs: usize,
    a_cs: usize,
    b: *const f32,
    b_rs: usize,
    b_cs: usize,
    m: usize,
    n: usize,
    k: usize,
    scale: f32,
    into: Into,
    along_rows: bool,
    blocks: usize,
}

// SAFETY: a `Task` is built from a `&mut` destination and two shared views that outlive the
// `product` call, and `helper::share` returns only after every block is done; distinct blocks
// write disjoint rows (or columns) of the destination.
unsafe impl Sync for Task {}
unsafe impl Send for Task {}

impl Blocks for Task {
    fn count(&self) -> usize {
        self.blocks
    }

    fn block(&self, i: usize) {
        let len = if self.along_rows { self.m } else { self.n };
        let (start, end) = (i * len / self.blocks, (i + 1) * len / self.blocks);
        let (mut m, mut n) = (self.m, self.n);
        let (mut dst, mut a, mut b) = (self.dst, self.a, self.b);
        // SAFETY: `start < end ≤ len`, so the offsets stay inside the views `product` checked.
        unsafe {
            if self.along_rows {
                m = end - start;
                dst = dst.add(start * self.dst_rs);
                a = a.add(start * self.a_rs);
            } else {
                n = end - start;
                dst = dst.add(start);
                b = b.add(start * self.b_cs);
            }
            gemm::gemm(
                m,
                n,
                self.k,
                dst,
                1,
                self.dst_rs as isize,
                self.into == Into::Accumulate,
                a,
                self.a_cs as isize,
                self.a_rs as isize,
                b,
                self.b_cs as isize,
                self.b_rs as isize,
                1.0,
                self.scale,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn naive(a: Mat, b: Mat) -> Vec<f64> {
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols)
                    .map(|p| {
                        a.data[i * a.rs + p * a.cs] as f64 * b.data[p * b.rs + j * b.cs] as f64
                    })
                    .sum();
            }
        }
        out
    }

    fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.normal()).collect()
    }

    #[test]
    fn split_products_equal_the_plain_sum_in_every_layout() {
        let mut rng = Rng::new(3);
        // Small (one block), tall (split by rows), wide (split by columns), odd sizes.
        for &(m, k, n) in &[(5, 7, 3), (517, 64, 256), (64, 512, 300), (300, 33, 301)] {
            let a = random(&mut rng, m * k);
            let b = random(&mut rng, k * n);
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            for (b_view, into) in [
                (Mat::new(&b, k, n), Into::Overwrite),
                (Mat::new(&bt, n, k).t(), Into::Accumulate),
            ] {
                let mut dst = vec![1.0f32; m * n];
                product(
                    MatMut::new(&mut dst, m, n),
                    Mat::new(&a, m, k),
                    b_view,
                    0.5,
                    into,
                );
                let expected = naive(Mat::new(&a, m, k), Mat::new(&b, k, n));
                let base = if into == Into::Accumulate { 1.0 } else { 0.0 };
                for (got, want) in dst.iter().zip(&expected) {
                    assert!((*got as f64 - (base + 0.5 * want)).abs() < 1e-3 * (1.0 + want.abs()));
                }
            }
        }
    }

    #[test]
    fn a_split_product_is_bit_identical_to_one_on_one_core() {
        let mut rng = Rng::new(4);
        let (m, k, n) = (512, 256, 256);
        let (a, b) = (random(&mut rng, m * k), random(&mut rng, k * n));
        let run = |split: bool| {
            let mut dst = vec![0.0f32; m * n];
            let mut go = || {
                product(
                    MatMut::new(&mut dst, m, n),
                    Mat::new(&a, m, k),
                    Mat::new(&b, k, n),
                    1.0,
                    Into::Overwrite,
                )
            };
            if split {
                go()
            } else {
                on_one_core(go)
            }
            dst
        };
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn strided_destinations_keep_their_gaps() {
        let (m, k, n) = (300, 64, 200);
        let a = vec![1.0f32; m * k];
        let b = vec![1.0f32; k * n];
        let mut dst = vec![-1.0f32; m * (n + 3)];
        product(
            MatMut::strided(&mut dst, m, n, n + 3),
            Mat::new(&a, m, k),
            Mat::new(&b, k, n),
            1.0,
            Into::Overwrite,
        );
        for row in dst.chunks_exact(n + 3) {
            assert!(row[..n].iter().all(|&v| v == k as f32));
            assert!(row[n..].iter().all(|&v| v == -1.0));
        }
    }
}
