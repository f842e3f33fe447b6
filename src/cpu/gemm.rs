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
    // SAFETY: `MatMut` checked that its `[m, n]` rows, `rs` apart, lie inside its data.
    unsafe { product_at(dst.data.as_mut_ptr(), dst.rs, a, b, scale, into) }
}

/// `scale · A·B` (`A: [m, k]`, `B: [k, n]`) as a new row-major `[m, n]` matrix, each value
/// written once: no pass of zeros before, as a destination made for [`product`] to
/// overwrite would take.
pub fn new_product(a: Mat, b: Mat, scale: f32) -> Vec<f32> {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "product shapes: [{m}, {k}]·[{}, {n}]", b.rows);
    if k == 0 {
        return vec![0.0; m * n];
    }
    let mut out: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: the capacity holds `[m, n]` row-major; an overwriting product (k > 0) writes
    // every one of its values and reads none of them before, so all are set afterwards.
    unsafe {
        product_at(out.as_mut_ptr(), n, a, b, scale, Into::Overwrite);
        out.set_len(m * n);
    }
    out
}

/// [`product`] into the `[a.rows, b.cols]` destination at `dst`, rows `dst_rs` apart.
///
/// # Safety
/// `dst` must be valid for writes (and, with [`Into::Accumulate`], reads) of those rows, and
/// not overlap `a` or `b`.
unsafe fn product_at(dst: *mut f32, dst_rs: usize, a: Mat, b: Mat, scale: f32, into: Into) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    // A transposed right operand (`W` of `g·Wᵀ`, the other embeddings of `z·zᵀ`) is read by
    // the kernels' packing one value at a time, once per block; a row-major copy made once is
    // read in vectors (`examples/gemm_layouts`: A·Bᵀ at 137 GFLOPS, A·B at 190 on one core).
    // The packed values, and so every number, are the same.
    let row_major;
    let b = if b.cs != 1 && b.rs == 1 && m >= MIN_BLOCK {
        row_major = copy_row_major(b);
        Mat::new(&row_major, k, n)
    } else {
        b
    };
    let task = Task {
        dst,
        dst_rs,
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

/// `b` (`[k, n]`, a transposed view: `rs = 1`) as a dense row-major matrix: the `[n, k]`
/// matrix in memory transposed, in 4×4 tiles of SSE registers where there are any.
fn copy_row_major(b: Mat) -> Vec<f32> {
    let (k, n, cs) = (b.rows, b.cols, b.cs);
    debug_assert_eq!(b.rs, 1);
    // Each of the k·n values is written once below (the tiles, then the edges): no zeros first.
    let mut out: Vec<f32> = Vec::with_capacity(k * n);
    let dst = out.as_mut_ptr();
    #[cfg(target_arch = "x86_64")]
    let (k4, n4) = (k / 4 * 4, n / 4 * 4);
    // Blocks of 32×32 values, so that a block's rows (often a power of two apart) do not all
    // fall in the same few cache sets.
    #[cfg(target_arch = "x86_64")]
    const BLOCK: usize = 32;
    #[cfg(target_arch = "x86_64")]
    for j0 in (0..n4).step_by(BLOCK) {
        for p0 in (0..k4).step_by(BLOCK) {
            for j in (j0..n4.min(j0 + BLOCK)).step_by(4) {
                for p in (p0..k4.min(p0 + BLOCK)).step_by(4) {
                    // SAFETY: source rows j..j + 4 hold columns p..p + 4 (`fits` was checked
                    // when the view was made: (n − 1)·cs + k − 1 < len); out has room for
                    // k·n values.
                    unsafe {
                        transpose_4x4(b.data.as_ptr().add(j * cs + p), cs, dst.add(p * n + j), n)
                    };
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let (k4, n4) = (0, 0);
    // The edges (and everything off x86-64) one value at a time.
    for j in 0..n {
        let from = if j < n4 { k4 } else { 0 };
        for p in from..k {
            // SAFETY: p < k, j < n: inside the capacity.
            unsafe { dst.add(p * n + j).write(b.data[j * cs + p]) };
        }
    }
    // SAFETY: the tiles wrote rows 0..k4 of columns 0..n4, the edges every other value.
    unsafe { out.set_len(k * n) };
    out
}

/// `dst[r·dst_stride + c] = src[c·src_stride + r]` for a 4×4 tile.
///
/// # Safety
/// `src` must hold 4 rows of 4 values `src_stride` apart, `dst` 4 rows of 4 `dst_stride` apart.
#[cfg(target_arch = "x86_64")]
unsafe fn transpose_4x4(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    use std::arch::x86_64::*;
    // SAFETY: the caller's bounds; SSE is part of every x86-64 processor.
    unsafe {
        let rows = std::array::from_fn(|r| _mm_loadu_ps(src.add(r * src_stride)));
        for (r, row) in transpose_registers(rows).into_iter().enumerate() {
            _mm_storeu_ps(dst.add(r * dst_stride), row);
        }
    }
}

/// The transpose of a 4×4 block held as four rows of SSE registers.
#[cfg(target_arch = "x86_64")]
pub(crate) fn transpose_registers(
    [r0, r1, r2, r3]: [std::arch::x86_64::__m128; 4],
) -> [std::arch::x86_64::__m128; 4] {
    use std::arch::x86_64::*;
    // SAFETY: register shuffles only; SSE is part of every x86-64 processor.
    unsafe {
        let t0 = _mm_unpacklo_ps(r0, r1); // a0 b0 a1 b1
        let t1 = _mm_unpacklo_ps(r2, r3); // c0 d0 c1 d1
        let t2 = _mm_unpackhi_ps(r0, r1); // a2 b2 a3 b3
        let t3 = _mm_unpackhi_ps(r2, r3); // c2 d2 c3 d3
        [
            _mm_movelh_ps(t0, t1),
            _mm_movehl_ps(t1, t0),
            _mm_movelh_ps(t2, t3),
            _mm_movehl_ps(t3, t2),
        ]
    }
}

/// Below this many multiply-adds a product runs on one core: handing half of it over costs
/// more than it saves.
const SPLIT_MIN_MADDS: usize = 1 << 21;
/// Rows (or columns) per block at least; each block re-packs the other operand.
const MIN_BLOCK: usize = 64;
/// Blocks at most: one a thread. Four evened out a helper that started late (it had yielded
/// its core to the drawing thread); each block re-packs the other operand, and now that the
/// helper joins at once two measured as fast or faster (SimCLR 318 → 323 steps/s, BYOL 295 →
/// 304, three alternated runs).
const MAX_BLOCKS: usize = 2;

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
pub(crate) fn may_split() -> bool {
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

// SAFETY: a `Task` is built from a destination valid for `product_at` and two shared views
// that outlive the call, and `helper::share` returns only after every block is done; distinct
// blocks write disjoint rows (or columns) of the destination.
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
mod tests;
