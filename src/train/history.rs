//! The metrics history of a run: one row per snapshot, the numbers the time plots draw.
//!
//! It lives inside the published state, which the trainer replaces as a whole at each
//! publication while the UI may still hold the previous one. So that a publication does not copy
//! every row, the rows are kept in sealed, shared chunks of [`CHUNK`] plus a short open tail: a
//! clone copies at most `CHUNK − 1` rows and a pointer per sealed chunk.

use super::snapshot::Snapshot;
use std::sync::Arc;

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

/// The rows of a run in step order.
#[derive(Clone, Debug, Default)]
pub struct History {
    sealed: Vec<Arc<[MetricsRow]>>,
    tail: Vec<MetricsRow>,
}

impl History {
    pub fn push(&mut self, row: MetricsRow) {
        self.tail.push(row);
        if self.tail.len() == CHUNK {
            self.sealed.push(Arc::from(std::mem::take(&mut self.tail)));
        }
    }

    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &MetricsRow> + '_ {
        self.sealed
            .iter()
            .flat_map(|c| c.iter())
            .chain(self.tail.iter())
    }

    pub fn first(&self) -> Option<&MetricsRow> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&MetricsRow> {
        self.tail
            .last()
            .or_else(|| self.sealed.last().and_then(|c| c.last()))
    }

    /// Keep only the rows before `step` (a restored, earlier state continues from its step).
    pub fn truncate_before(&mut self, step: usize) {
        if self.last().is_none_or(|r| r.step < step) {
            return;
        }
        let kept: Vec<MetricsRow> = self.iter().filter(|r| r.step < step).cloned().collect();
        *self = Self::default();
        kept.into_iter().for_each(|r| self.push(r));
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
            h.push(row(s));
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
    fn truncation_keeps_the_rows_before_a_step() {
        let mut h = History::default();
        for s in 0..(CHUNK + 10) {
            h.push(row(10 * s));
        }
        h.truncate_before(305);
        assert_eq!(h.len(), 31);
        assert_eq!(h.last().map(|r| r.step), Some(300));
        h.push(row(305));
        assert_eq!(h.len(), 32);
    }
}
