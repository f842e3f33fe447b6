//! The metrics history of a run: one row per snapshot, the numbers the time plots draw.
//!
//! It lives inside the published state, which the trainer replaces as a whole at each
//! publication while the UI may still hold the previous one. So that a publication does not copy
//! every row, the rows are kept in sealed, shared chunks of [`CHUNK`] plus a short open tail: a
//! clone copies at most `CHUNK − 1` rows and a pointer per sealed chunk.

use crate::run::snapshot::Snapshot;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every history's rows, each time they change, get a number no other rows ever had.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// One snapshot's numbers without the embeddings: what the time plots draw.
#[derive(Clone, Debug)]
pub struct MetricsRow {
    pub step: usize,
    pub loss: f64,
    pub diagnostics: crate::metrics::Diagnostics,
    pub extras: Vec<(crate::metrics::Extra, f64)>,
}

impl MetricsRow {
    pub fn of(s: &Snapshot) -> Self {
        Self {
            step: s.step,
            loss: s.loss,
            diagnostics: s.diagnostics.clone(),
            extras: s.extras.clone(),
        }
    }

    /// The method-specific number `metric`, NaN where this row has none.
    pub fn extra(&self, metric: crate::metrics::Extra) -> f64 {
        self.extras
            .iter()
            .find(|(k, _)| *k == metric)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// Rows per sealed chunk.
pub const CHUNK: usize = 64;

/// Rows a history holds (≈ 7 MB; at 10 rows a second, the first 27 minutes of a run). Over it,
/// only every other snapshot of the grid stays: the plots draw at most
/// [`crate::app::plots::PLOT_COLUMNS`] columns anyway, and a frame's cost must not grow with
/// the run.
pub const MAX_ROWS: usize = 16_384;

#[derive(Clone, Debug)]
struct Entry {
    /// The snapshot's number in the run (kept or not).
    seq: usize,
    /// A row at an event: never thinned.
    event: bool,
    row: MetricsRow,
}

/// The rows of a run in step order: every snapshot's until [`MAX_ROWS`], then evenly thinned
/// (every 2nd, 4th … snapshot, the stride doubling each time the limit is reached), always
/// with the first, the newest and every event's row.
#[derive(Clone, Debug)]
pub struct History {
    sealed: Vec<Arc<[Entry]>>,
    tail: Vec<Entry>,
    /// Every `stride`-th snapshot stays.
    stride: usize,
    /// Snapshots pushed so far, kept or not.
    pushed: usize,
    /// Which rows these are: a clone has its original's, any change a new one.
    generation: u64,
    /// Which line of rows these grow from: a push keeps it, a thinning or truncation ends it.
    lineage: u64,
}

impl Default for History {
    fn default() -> Self {
        Self {
            sealed: Vec::new(),
            tail: Vec::new(),
            stride: 1,
            pushed: 0,
            generation: next_generation(),
            lineage: next_generation(),
        }
    }
}

impl History {
    /// Add the newest snapshot's row (`event`: a setting changed at its step). A row off the
    /// thinned grid is shown until the next one arrives, then dropped.
    pub fn push(&mut self, row: MetricsRow, event: bool) {
        self.generation = next_generation();
        let seq = self.pushed;
        self.pushed += 1;
        if self.tail.last().is_some_and(|e| !self.on_grid(e)) {
            self.tail.pop();
        }
        self.append(Entry { seq, event, row });
        if self.len() > MAX_ROWS {
            self.stride *= 2;
            let newest = self.pushed - 1;
            self.rebuild(|h, e| h.on_grid(e) || e.seq == newest);
        }
    }

    fn on_grid(&self, e: &Entry) -> bool {
        e.event || e.seq.is_multiple_of(self.stride)
    }

    fn append(&mut self, entry: Entry) {
        let sealable = self.on_grid(&entry);
        self.tail.push(entry);
        if self.tail.len() >= CHUNK && sealable {
            self.sealed.push(Arc::from(std::mem::take(&mut self.tail)));
        }
    }

    /// Keep the entries `keep` accepts, in order.
    fn rebuild(&mut self, keep: impl Fn(&Self, &Entry) -> bool) {
        self.generation = next_generation();
        self.lineage = next_generation();
        let kept: Vec<Entry> = self.entries().filter(|e| keep(self, e)).cloned().collect();
        self.sealed.clear();
        self.tail.clear();
        kept.into_iter().for_each(|e| self.append(e));
    }

    fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        self.sealed
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }

    /// Identifies these rows: equal for a history and its clones until either changes, never
    /// equal for different rows (what is drawn from the rows may be kept while it stays).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Identifies a line of rows that only grows: while it stays, the rows are the earlier
    /// ones with at most the newest replaced (a row off the thinned grid, see [`Self::push`])
    /// and new ones after it, so what was drawn from all rows but the newest still holds (the
    /// plots take up only the new rows). A thinning or a truncation starts a new one.
    pub fn lineage(&self) -> u64 {
        self.lineage
    }

    pub fn len(&self) -> usize {
        self.sealed.iter().map(|c| c.len()).sum::<usize>() + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &MetricsRow> + '_ {
        self.entries().map(|e| &e.row)
    }

    pub fn first(&self) -> Option<&MetricsRow> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&MetricsRow> {
        self.tail
            .last()
            .or_else(|| self.sealed.last().and_then(|c| c.last()))
            .map(|e| &e.row)
    }

    /// Keep only the rows before `step` (a restored, earlier state continues from its step).
    pub fn truncate_before(&mut self, step: usize) {
        if self.last().is_none_or(|r| r.step < step) {
            return;
        }
        self.rebuild(|_, e| e.row.step < step);
    }

    pub fn to_vec(&self) -> Vec<MetricsRow> {
        self.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: usize) -> MetricsRow {
        MetricsRow {
            step,
            loss: step as f64,
            diagnostics: Default::default(),
            extras: vec![(crate::metrics::Extra::MiBound, 1.0)],
        }
    }

    #[test]
    fn rows_stay_in_order_across_chunks_and_clones_share_sealed_chunks() {
        let mut h = History::default();
        for s in 0..(2 * CHUNK + 5) {
            h.push(row(s), false);
        }
        assert_eq!(h.len(), 2 * CHUNK + 5);
        assert!(h.iter().map(|r| r.step).eq(0..2 * CHUNK + 5));
        assert_eq!(h.last().map(|r| r.step), Some(2 * CHUNK + 4));
        let copy = h.clone();
        assert!(Arc::ptr_eq(&copy.sealed[0], &h.sealed[0]));
        assert_eq!(
            h.first().map(|r| r.extra(crate::metrics::Extra::MiBound)),
            Some(1.0)
        );
        assert!(
            h.first()
                .is_some_and(|r| r.extra(crate::metrics::Extra::Kl).is_nan())
        );
    }

    #[test]
    fn a_long_run_stays_bounded_evenly_and_keeps_its_events_first_and_newest_rows() {
        let mut h = History::default();
        let events = [7, 5_001, 33_333, 99_991];
        let total = 100_000;
        for s in 0..total {
            h.push(row(s), events.contains(&s));
            assert!(
                h.len() <= MAX_ROWS + events.len() + 1,
                "{} rows at {s}",
                h.len()
            );
            assert_eq!(h.last().map(|r| r.step), Some(s), "the newest row is shown");
        }
        let steps: Vec<usize> = h.iter().map(|r| r.step).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "order kept");
        for e in events {
            assert!(steps.contains(&e), "event row {e} dropped");
        }
        assert_eq!(steps.first(), Some(&0));
        // Evenly thinned: 100 000 snapshots at stride 8 leave 12 500 rows, none more than 8
        // apart, however old.
        assert!(h.len() > MAX_ROWS / 2, "{}", h.len());
        assert!(
            steps.windows(2).all(|w| w[1] - w[0] <= 8),
            "a gap wider than the stride"
        );
    }

    #[test]
    fn a_generation_names_the_rows_a_clone_shares_it_and_any_change_ends_it() {
        let mut h = History::default();
        let other = History::default();
        assert_ne!(
            h.generation(),
            other.generation(),
            "two runs' empty histories"
        );
        h.push(row(0), false);
        let pushed = h.generation();
        let copy = h.clone();
        assert_eq!(copy.generation(), pushed);
        h.push(row(10), false);
        assert_ne!(h.generation(), pushed);
        let before = h.generation();
        h.truncate_before(5);
        assert_ne!(h.generation(), before, "truncated rows are other rows");
        let unchanged = h.generation();
        h.truncate_before(5);
        assert_eq!(
            h.generation(),
            unchanged,
            "nothing to truncate: the same rows"
        );
    }

    /// While a history's lineage stays, its rows only grow (the newest at most replaced): what
    /// the plots drew from the rows before the newest still holds.
    #[test]
    fn a_lineage_lasts_while_rows_only_grow() {
        let mut h = History::default();
        assert_ne!(h.lineage(), History::default().lineage());
        let mut lineage = h.lineage();
        let mut before: Vec<usize> = Vec::new();
        let (mut thinnings, mut replaced) = (0, 0);
        for s in 0..(3 * MAX_ROWS) {
            h.push(row(s), false);
            let now: Vec<usize> = h.iter().map(|r| r.step).collect();
            if h.lineage() == lineage {
                let kept = before.len().saturating_sub(1);
                assert_eq!(now[..kept], before[..kept], "rows changed at {s}");
                replaced += usize::from(now.len() == before.len());
            } else {
                assert!(now.len() < before.len(), "a new lineage without a thinning");
                assert_eq!(h.clone().lineage(), h.lineage(), "a clone's");
                thinnings += 1;
                lineage = h.lineage();
            }
            before = now;
        }
        assert_eq!(thinnings, 2);
        assert!(replaced > MAX_ROWS / 2, "{replaced} newest rows replaced");
        h.truncate_before(10);
        assert_ne!(h.lineage(), lineage, "truncated rows are another line");
    }

    #[test]
    fn truncation_keeps_the_rows_before_a_step() {
        let mut h = History::default();
        for s in 0..(CHUNK + 10) {
            h.push(row(10 * s), false);
        }
        h.truncate_before(305);
        assert_eq!(h.len(), 31);
        assert_eq!(h.last().map(|r| r.step), Some(300));
        h.push(row(305), false);
        assert_eq!(h.len(), 32);
    }
}
