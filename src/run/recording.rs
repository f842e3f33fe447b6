//! The recording of a run: every snapshot it took (embeddings, diagnostics, the similarity
//! matrix, DINO's distributions), within a memory budget. The trainer thread appends to it at
//! each snapshot; the timeline reads it. When over budget, the spacing of what stays doubles
//! (only steps on a grid of twice the stride remain), so the recording stays evenly spaced over
//! the whole run; the first, the newest and every event's snapshot (a knob change, a scripted
//! change, an incident) always stay, so the moments a lesson is about are there.

use crate::run::snapshot::Snapshot;
use std::sync::Arc;

/// A run's snapshots, oldest first, with the memory they take.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    snapshots: Vec<Arc<Snapshot>>,
    /// Seconds since the first snapshot, per snapshot: the pace replay follows.
    times: Vec<f64>,
    start: Option<web_time::Instant>,
    bytes: usize,
    budget: usize,
    /// Steps that must stay (events, incidents).
    kept: Vec<usize>,
    /// How many snapshots thinning dropped.
    dropped: usize,
    /// Once thinned, only steps on this grid stay (besides the first, the newest and events).
    stride: usize,
}

/// The memory a snapshot holds (its vectors; the rest is small).
pub fn snapshot_bytes(s: &Snapshot) -> usize {
    let f32s = s.z.len() + s.view_a.len() + s.view_b.len() + s.pairs.sim.len();
    let prototypes = s
        .prototypes
        .as_ref()
        .map_or(0, |p| p.teacher.len() + p.student.len());
    let spectrum = s.diagnostics.spectrum.len() * 8;
    std::mem::size_of::<Snapshot>()
        + 4 * (f32s + prototypes)
        + 8 * (s.labels.len() + s.pairs.labels.len())
        + spectrum
}

impl Recording {
    /// An empty recording that keeps at most `budget_bytes` of snapshots.
    pub fn with_budget(budget_bytes: usize) -> Self {
        Self {
            budget: budget_bytes,
            ..Self::default()
        }
    }

    pub fn set_budget(&mut self, budget_bytes: usize) {
        self.budget = budget_bytes;
        self.thin_to_budget();
    }

    /// Keep the snapshot at `step` through any thinning (an event happened there).
    pub fn keep_step(&mut self, step: usize) {
        if !self.kept.contains(&step) {
            self.kept.push(step);
        }
    }

    /// Append a snapshot. One of an earlier step (a restored state after an incident) first
    /// drops what was recorded after it: the timeline follows the run as it is now.
    pub fn push(&mut self, snapshot: Arc<Snapshot>) {
        let now = self
            .start
            .get_or_insert_with(web_time::Instant::now)
            .elapsed();
        self.push_at(snapshot, now.as_secs_f64());
    }

    /// Append a snapshot taken `seconds` after the first (a recording read back from a file).
    pub fn push_at(&mut self, snapshot: Arc<Snapshot>, seconds: f64) {
        while self
            .snapshots
            .last()
            .is_some_and(|s| s.step >= snapshot.step)
        {
            if let Some(s) = self.snapshots.pop() {
                self.times.pop();
                self.bytes -= snapshot_bytes(&s);
            }
        }
        // The previous newest stays only if it is on the grid.
        if self.snapshots.len() > 1
            && let Some(prev) = self.snapshots.last()
            && !self.on_grid(prev.step)
        {
            let mut keep = vec![true; self.snapshots.len()];
            if let Some(k) = keep.last_mut() {
                *k = false;
            }
            self.retain(&keep);
        }
        self.bytes += snapshot_bytes(&snapshot);
        self.snapshots.push(snapshot);
        self.times.push(seconds);
        self.thin_to_budget();
    }

    /// Whether the snapshot at `step` stays under the current stride: on the stride's grid,
    /// the first, or kept for an event.
    fn on_grid(&self, step: usize) -> bool {
        self.stride <= 1 || step.is_multiple_of(self.stride) || self.kept.contains(&step)
    }

    /// Double the stride (in steps) until the recording fits its budget: what stays is evenly
    /// spaced over the whole run, plus the first, the newest and every event's snapshot.
    fn thin_to_budget(&mut self) {
        while self.bytes > self.budget && self.snapshots.len() > 2 {
            let gap = self
                .snapshots
                .windows(2)
                .map(|w| w[1].step - w[0].step)
                .min()
                .unwrap_or(1)
                .max(1);
            self.stride = (2 * self.stride).max(2 * gap);
            let last = self.snapshots.len() - 1;
            let keep: Vec<bool> = self
                .snapshots
                .iter()
                .enumerate()
                .map(|(i, s)| i == 0 || i == last || self.on_grid(s.step))
                .collect();
            self.retain(&keep);
        }
    }

    /// Keep the snapshots flagged in `keep` (and their times).
    fn retain(&mut self, keep: &[bool]) {
        let before = self.snapshots.len();
        let freed: usize = self
            .snapshots
            .iter()
            .zip(keep)
            .filter(|(_, k)| !**k)
            .map(|(s, _)| snapshot_bytes(s))
            .sum();
        let mut flags = keep.iter();
        self.snapshots.retain(|_| *flags.next().unwrap_or(&true));
        let mut flags = keep.iter();
        self.times.retain(|_| *flags.next().unwrap_or(&true));
        self.bytes -= freed;
        self.dropped += before - self.snapshots.len();
    }

    pub fn len(&self) -> usize {
        self.snapshots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The recorded steps, oldest first.
    pub fn steps(&self) -> Vec<usize> {
        self.snapshots.iter().map(|s| s.step).collect()
    }

    /// The snapshot recorded at `step`, or the last one before it.
    pub fn at(&self, step: usize) -> Option<&Arc<Snapshot>> {
        let i = self.snapshots.partition_point(|s| s.step <= step);
        self.snapshots.get(i.checked_sub(1)?)
    }

    pub fn snapshots(&self) -> &[Arc<Snapshot>] {
        &self.snapshots
    }

    /// Seconds after the first snapshot at which each was taken.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The recorded step at `seconds` into the recording (replay at the recorded pace),
    /// interpolated between snapshots.
    pub fn step_at_time(&self, seconds: f64) -> Option<f64> {
        let i = self.times.partition_point(|t| *t <= seconds);
        let (a, b) = match i {
            0 => return self.snapshots.first().map(|s| s.step as f64),
            i if i >= self.times.len() => return self.snapshots.last().map(|s| s.step as f64),
            i => (i - 1, i),
        };
        let (ta, tb) = (self.times[a], self.times[b]);
        let (sa, sb) = (self.snapshots[a].step as f64, self.snapshots[b].step as f64);
        let f = if tb > ta {
            (seconds - ta) / (tb - ta)
        } else {
            1.0
        };
        Some(sa + f * (sb - sa))
    }

    /// When the snapshot at `step` (or the last before it) was taken.
    pub fn time_at(&self, step: usize) -> Option<f64> {
        let i = self.snapshots.partition_point(|s| s.step <= step);
        self.times.get(i.checked_sub(1)?).copied()
    }

    pub fn first(&self) -> Option<&Arc<Snapshot>> {
        self.snapshots.first()
    }

    pub fn last(&self) -> Option<&Arc<Snapshot>> {
        self.snapshots.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(step: usize) -> Arc<Snapshot> {
        Arc::new(Snapshot {
            step,
            z: vec![step as f32; 1000],
            dim: 10,
            ..Snapshot::default()
        })
    }

    #[test]
    fn a_budget_thins_older_snapshots_evenly_and_keeps_events_and_the_newest() {
        let per = snapshot_bytes(&snap(0));
        let mut r = Recording::with_budget(100 * per);
        r.keep_step(35);
        // A long run: 20 000 steps, a snapshot every 5.
        for step in (0..=20_000).step_by(5) {
            r.push(snap(step));
            assert!(r.bytes() <= 100 * per, "step {step}: {} bytes", r.bytes());
        }
        let steps = r.steps();
        assert_eq!(steps.first(), Some(&0));
        assert_eq!(steps.last(), Some(&20_000));
        assert!(steps.contains(&35), "the event's snapshot was thinned");
        assert!(steps.len() > 50, "thinned too much: {}", steps.len());
        // Evenly: no gap in the older part more than a few times the average.
        let gaps: Vec<usize> = steps.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = 20_000 / steps.len();
        assert!(gaps.iter().all(|&g| g <= 2 * mean), "{gaps:?}");
        assert_eq!(r.at(37).map(|s| s.step), Some(35));
        assert_eq!(r.at(20_000).map(|s| s.step), Some(20_000));
        assert_eq!(r.times().len(), r.len());
    }

    #[test]
    fn an_earlier_step_replaces_what_followed_it() {
        let mut r = Recording::with_budget(usize::MAX);
        for step in [0, 5, 10, 15] {
            r.push(snap(step));
        }
        r.push(snap(10));
        assert_eq!(r.steps(), vec![0, 5, 10]);
        assert_eq!(r.bytes(), 3 * snapshot_bytes(&snap(0)));
    }
}
