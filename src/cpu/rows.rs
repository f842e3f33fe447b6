//! Row-wise passes on both cores: a pass that computes each row of its output from its own
//! inputs (a gather of patches, its scatter back, a normalisation with fixed statistics) is cut
//! into a few blocks of rows that this thread and the [`super::helper`] claim, as the products
//! are ([`super::gemm`]). Each row is computed the same way whichever thread takes it, so the
//! numbers do not depend on the split.

use super::gemm::may_split;
use super::helper::{self, Blocks};
use std::mem::MaybeUninit;

/// Below this many output elements a pass runs on one core (the hand-over costs more); the
/// in-place `S + Sᵀ` pass ([`super::symmetric`]) splits from the same size.
pub(super) const SPLIT_MIN_ELEMENTS: usize = 1 << 16;
/// Blocks at most: a few, so the two threads even out (two measured no different: SimCLR
/// 1.00×, three alternated runs).
const MAX_BLOCKS: usize = 4;

/// `pass(first_row, rows)` over consecutive blocks of `out`'s rows, each `row_len` long, on
/// both cores when `out` is large and this thread may split. `pass` must write each row from
/// that row's inputs only.
pub fn by_rows(out: &mut [f32], row_len: usize, pass: impl Fn(usize, &mut [f32]) + Sync) {
    let rows = out.len().checked_div(row_len).unwrap_or(0);
    split(out.as_mut_ptr(), rows * row_len, row_len, &pass);
}

/// A new `[rows, row_len]` matrix whose row `r` is `row(r)` (its first `row_len` values; zeros
/// after a shorter one), computed on both cores when large. Unlike [`by_rows`] on a zeroed
/// buffer, each element is written once: no pass of zeros before.
pub fn collect_by_rows<I: Iterator<Item = f32>>(
    rows: usize,
    row_len: usize,
    row: impl Fn(usize) -> I + Sync,
) -> Vec<f32> {
    write_rows(rows, row_len, |r, out| out.extend(row(r)))
}

/// A new `[rows, row_len]` matrix whose row `r` is what `row(r, out)` writes into `out` (in
/// order, zeros after it stops), computed on both cores when large; each element written once.
pub fn write_rows(
    rows: usize,
    row_len: usize,
    row: impl Fn(usize, &mut RowWriter) + Sync,
) -> Vec<f32> {
    let len = rows * row_len;
    let mut out: Vec<f32> = Vec::with_capacity(len);
    let slots = &mut out.spare_capacity_mut()[..len];
    let fill = |first: usize, block: &mut [MaybeUninit<f32>]| {
        for (r, slots) in block.chunks_exact_mut(row_len.max(1)).enumerate() {
            let mut writer = RowWriter { slots, written: 0 };
            row(first + r, &mut writer);
            writer.zeros(writer.slots.len() - writer.written);
        }
    };
    split(slots.as_mut_ptr(), len, row_len, &fill);
    // SAFETY: `split` returns after every block ran, and each block's `RowWriter`s wrote all
    // of its rows' slots (what a row left unwritten was zeroed).
    unsafe { out.set_len(len) };
    out
}

/// One output row being written front to back: each slot once, in order.
pub struct RowWriter<'a> {
    slots: &'a mut [MaybeUninit<f32>],
    written: usize,
}

impl RowWriter<'_> {
    /// The next slots get `values` (as many as fit).
    pub fn extend(&mut self, values: impl Iterator<Item = f32>) {
        // One counted loop (vectorised where the iterator allows it).
        let mut n = 0;
        for (slot, v) in self.slots[self.written..].iter_mut().zip(values) {
            slot.write(v);
            n += 1;
        }
        self.written += n;
    }

    /// The next `values.len()` slots get a copy of `values`. Panics past the row's end.
    pub fn copy(&mut self, values: &[f32]) {
        let end = self.written + values.len();
        for (slot, &v) in self.slots[self.written..end].iter_mut().zip(values) {
            slot.write(v);
        }
        self.written = end;
    }

    /// The next `n` slots get 0. Panics past the row's end.
    pub fn zeros(&mut self, n: usize) {
        let end = self.written + n;
        for slot in &mut self.slots[self.written..end] {
            slot.write(0.0);
        }
        self.written = end;
    }
}

/// `pass` over blocks of the `len` elements at `out` (rows of `row_len`), on both cores when
/// large.
fn split<T>(out: *mut T, len: usize, row_len: usize, pass: &(dyn Fn(usize, &mut [T]) + Sync)) {
    let rows = len.checked_div(row_len).unwrap_or(0);
    let blocks = if len < SPLIT_MIN_ELEMENTS || !may_split() {
        1
    } else {
        rows.clamp(1, MAX_BLOCKS)
    };
    let work = Pass {
        out,
        rows,
        row_len,
        blocks,
        pass,
    };
    if blocks == 1 {
        work.block(0);
    } else {
        helper::share(&work);
    }
}

/// One pass's output as raw parts, so that both threads can write blocks of it.
struct Pass<'a, T> {
    out: *mut T,
    rows: usize,
    row_len: usize,
    blocks: usize,
    pass: &'a (dyn Fn(usize, &mut [T]) + Sync),
}

// SAFETY: built from a `&mut` output (or a vector's spare capacity) that outlives `split`,
// which returns only after every block is done (`helper::share`); distinct blocks cover
// disjoint rows. `pass` is `Sync`.
unsafe impl<T> Sync for Pass<'_, T> {}

impl<T> Blocks for Pass<'_, T> {
    fn count(&self) -> usize {
        self.blocks
    }

    fn block(&self, i: usize) {
        let (start, end) = (
            i * self.rows / self.blocks,
            (i + 1) * self.rows / self.blocks,
        );
        // SAFETY: rows `start..end` lie inside the output and no other block touches them.
        let rows = unsafe {
            std::slice::from_raw_parts_mut(
                self.out.add(start * self.row_len),
                (end - start) * self.row_len,
            )
        };
        (self.pass)(start, rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::on_one_core;

    /// Every row written once with its own index, on two cores and on one.
    #[test]
    fn every_row_is_passed_once_whichever_thread_takes_it() {
        for (rows, row_len) in [(0, 3), (1, 5), (3, 40_000), (1000, 64), (1001, 33)] {
            let run = || {
                let mut out = vec![-1.0f32; rows * row_len];
                by_rows(&mut out, row_len, |first, block| {
                    for (r, row) in block.chunks_exact_mut(row_len).enumerate() {
                        row.iter_mut().for_each(|v| *v += (first + r) as f32 + 1.0);
                    }
                });
                out
            };
            let (shared, alone) = (run(), on_one_core(run));
            assert_eq!(shared, alone, "{rows}×{row_len}");
            for (r, row) in shared.chunks_exact(row_len.max(1)).enumerate() {
                assert!(
                    row.iter().all(|&v| v == r as f32),
                    "row {r} of {rows}×{row_len}"
                );
            }
        }
    }

    /// Each row holds what its writer wrote, in order, and zeros after; the same on one core.
    #[test]
    fn written_rows_are_complete_and_zero_filled() {
        let (rows, row_len) = (2000, 300); // large enough to be split
        let run = || {
            write_rows(rows, row_len, |r, out| {
                let values: Vec<f32> = (0..r % 7).map(|i| (r * 10 + i) as f32).collect();
                out.copy(&values);
                out.zeros(r % 3);
                out.extend((0..r % 5).map(|i| -(i as f32) - 1.0));
            })
        };
        let (shared, alone) = (run(), on_one_core(run));
        assert_eq!(shared, alone);
        for (r, row) in shared.chunks_exact(row_len).enumerate() {
            let mut want: Vec<f32> = (0..r % 7).map(|i| (r * 10 + i) as f32).collect();
            want.extend(std::iter::repeat_n(0.0, r % 3));
            want.extend((0..r % 5).map(|i| -(i as f32) - 1.0));
            want.resize(row_len, 0.0);
            assert_eq!(row, &want[..], "row {r}");
        }
    }
}
