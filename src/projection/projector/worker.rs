//! The projector thread's loop: what it takes from the inbox, when t-SNE follows a new
//! snapshot (the pacing in the module above), and what it publishes.

use super::*;
use crate::projection::pca::PcaLayout;
use crate::projection::sphere::SphereLayout;
use crate::projection::tsne::{Tsne, TsneParams, affinities};
use std::sync::Arc;
use std::time::Duration;

/// What one turn did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    Stop,
    Idle,
    Worked,
}

/// The thread's own state.
pub(super) struct Worker {
    shared: Arc<Shared>,
    /// Wakes the UI after each publication.
    waker: Option<Waker>,
    /// Under [`Drive::Frames`], the end of the caller's tick: t-SNE's iterations stop there.
    until: Option<Instant>,
    settings: ProjectorSettings,
    run_id: u64,
    pca: Option<PcaLayout>,
    sphere: Option<SphereLayout>,
    published: Layouts,
    /// The snapshot t-SNE works on and the newer one waiting for its turn.
    tsne_input: Option<Arc<Snapshot>>,
    tsne_pending: Option<Arc<Snapshot>>,
    /// Whether the pending snapshot moved far enough from the input to follow it at once
    /// ([`DRIFT_TO_FOLLOW`]), and when it arrived.
    pending_moved: bool,
    pending_at: Instant,
    tsne: Option<Tsne>,
    tsne_error: Option<String>,
    since_input: (usize, Instant),
    budget: usize,
    seed: u64,
    iter_clock: (Instant, usize, f64),
    /// Where the next cold start begins instead of at random (see `start_layout_from`).
    start_from: Option<Vec<[f32; 2]>>,
}

impl Worker {
    pub(super) fn new(shared: Arc<Shared>, waker: Option<Waker>) -> Self {
        Self {
            shared,
            waker,
            until: None,
            settings: ProjectorSettings::default(),
            run_id: u64::MAX,
            pca: None,
            sphere: None,
            published: Layouts::default(),
            tsne_input: None,
            tsne_pending: None,
            pending_moved: true,
            pending_at: Instant::now(),
            tsne: None,
            tsne_error: None,
            since_input: (0, Instant::now()),
            budget: 0,
            seed: 0,
            iter_clock: (Instant::now(), 0, 0.0),
            start_from: None,
        }
    }

    /// The thread's loop ([`Drive::Threads`]): turns until stopped, waiting while idle.
    pub(super) fn run(mut self) {
        while self.turn(true) != Turn::Stop {}
    }

    /// Turns until `until` or nothing left to do, never waiting ([`Drive::Frames`]); t-SNE's
    /// iterations stop at `until` too. At least one turn.
    pub(super) fn tick(&mut self, until: Instant) -> Ticked {
        let mut out = Ticked::default();
        self.until = Some(until);
        loop {
            match self.turn(false) {
                Turn::Stop => {
                    out.stopped = true;
                    break;
                }
                Turn::Idle => break,
                Turn::Worked => out.worked = true,
            }
            if Instant::now() >= until {
                break;
            }
        }
        self.until = None;
        out
    }

    /// Whether nothing waits: no snapshot, request or setting, and no t-SNE work.
    fn nothing_to_do(&self, inbox: &Inbox) -> bool {
        !inbox.stop
            && inbox.snapshot.is_none()
            && inbox.recorded.is_empty()
            && !inbox.reseed
            && inbox.settings == self.settings
            && !self.has_tsne_work()
    }

    /// One turn, the same under either drive: what waits in the inbox (waiting for it, if
    /// `wait`), then the layouts' work on it.
    fn turn(&mut self, wait: bool) -> Turn {
        let (snapshot, settings, reseed) = {
            let mut inbox = lock(&self.shared.inbox);
            while wait && self.nothing_to_do(&inbox) {
                inbox = self
                    .shared
                    .wake
                    .wait_timeout(inbox, MIN_INPUT_INTERVAL / 5)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            if inbox.stop {
                return Turn::Stop;
            }
            if self.nothing_to_do(&inbox) {
                return Turn::Idle;
            }
            let recorded = std::mem::take(&mut inbox.recorded);
            drop(inbox);
            self.lay_out_recorded(recorded);
            let mut inbox = lock(&self.shared.inbox);
            // Taken with the snapshot, under one lock: a start given just before a snapshot
            // (`start_layout_from`, then `submit`) is never left behind for a later one.
            if let Some(points) = inbox.start_from.take() {
                self.start_from = Some(points);
            }
            (
                inbox.snapshot.take(),
                inbox.settings,
                std::mem::take(&mut inbox.reseed),
            )
        };
        let work = std::panic::AssertUnwindSafe(|| self.work(snapshot, settings, reseed));
        if std::panic::catch_unwind(work).is_err() {
            // A bug in t-SNE must not take the view down: report it, start t-SNE over.
            // (The linear projections catch their own panics and never reach here.)
            self.tsne = None;
            self.tsne_pending = None;
            self.budget = 0;
            self.tsne_error = Some("internal error in the projector (see stderr)".into());
            self.publish();
        }
        Turn::Worked
    }

    /// Answer the timeline's requests (each a PCA and a sphere fit: ≈ 1 ms).
    fn lay_out_recorded(&self, requests: Vec<RecordedRequest>) {
        if requests.is_empty() {
            return;
        }
        for r in requests {
            let (pca, sphere) =
                linear_layouts(&r.snapshot, r.like_pca.as_ref(), r.like_sphere.as_ref());
            let layouts = Arc::new(Layouts {
                run_id: r.run_id,
                step: r.snapshot.step,
                labels: r.snapshot.labels.clone(),
                pca: Some(pca),
                pca_ms: 0.0,
                sphere: Some(sphere),
                tsne: None,
            });
            let mut out = lock(&self.shared.recorded);
            out.retain(|(k, _)| *k != r.key);
            out.push((r.key, layouts));
        }
        if let Some(w) = &self.waker {
            w();
        }
    }

    fn work(
        &mut self,
        snapshot: Option<(u64, Arc<Snapshot>)>,
        settings: ProjectorSettings,
        reseed: bool,
    ) {
        let mut changed = false;
        if let Some((run_id, snap)) = snapshot {
            self.take_snapshot(run_id, snap);
            // PCA is ready now: publish before t-SNE's (slower) work on the same input.
            self.publish();
        }
        if settings != self.settings {
            self.apply_settings(settings);
            changed = true;
        }
        if reseed {
            self.seed += 1;
            self.cold_start();
            changed = true;
        }
        if self.settings.tsne && self.ready_for_pending() {
            self.warm_start();
        }
        if self.has_tsne_work() {
            self.iterate(PUBLISH_EVERY);
            changed = true;
        }
        if changed {
            self.publish();
        }
    }

    fn has_tsne_work(&self) -> bool {
        if !self.settings.tsne {
            return false;
        }
        if self.ready_for_pending() {
            return true;
        }
        match &self.tsne {
            None => false,
            // While training runs (a newer snapshot waits), each input gets its share of
            // iterations and then the thread rests until the next pick-up, leaving the cores
            // to the trainer and the UI; without newer input it settles the layout.
            Some(t) => {
                self.budget > 0
                    && (t.exaggerating()
                        || self.tsne_pending.is_none()
                        || self.since_input.0 < MIN_ITERS_PER_INPUT)
            }
        }
    }

    /// A newer snapshot may replace t-SNE's input once the current one had its share.
    fn ready_for_pending(&self) -> bool {
        if self.tsne_pending.is_none() {
            return false;
        }
        match &self.tsne {
            None => true,
            Some(t) => {
                let had_its_share = self.budget == 0
                    || (self.since_input.0 >= MIN_ITERS_PER_INPUT
                        && self.since_input.1.elapsed() >= MIN_INPUT_INTERVAL);
                let worth_it = self.pending_moved
                    || self.since_input.1.elapsed() >= MAX_INPUT_AGE
                    || self.pending_at.elapsed() >= PENDING_SETTLES_AFTER;
                !t.exaggerating() && had_its_share && worth_it
            }
        }
    }

    fn take_snapshot(&mut self, run_id: u64, snap: Arc<Snapshot>) {
        let n = snap.labels.len();
        if run_id != self.run_id || self.published.labels.len() != n {
            // Another run (or probe): nothing of the old layouts carries over.
            self.run_id = run_id;
            self.pca = None;
            self.sphere = None;
            self.tsne = None;
            self.tsne_input = None;
            self.tsne_error = None;
        }
        let start = Instant::now();
        let (pca, sphere) = linear_layouts(&snap, self.pca.as_ref(), self.sphere.as_ref());
        self.published.pca_ms = start.elapsed().as_secs_f64() * 1000.0;
        self.pca = pca.as_ref().ok().cloned();
        self.published.pca = Some(pca);
        self.sphere = sphere.as_ref().ok().cloned();
        self.published.sphere = Some(sphere);
        self.published.run_id = run_id;
        self.published.step = snap.step;
        self.published.labels = snap.labels.clone();
        self.pending_moved = self
            .tsne_input
            .as_deref()
            .and_then(|input| drift(input, &snap))
            .is_none_or(|moved| moved >= DRIFT_TO_FOLLOW);
        self.pending_at = Instant::now();
        self.tsne_pending = Some(snap);
    }

    fn apply_settings(&mut self, next: ProjectorSettings) {
        let old = std::mem::replace(&mut self.settings, next);
        if let Some(t) = &mut self.tsne {
            t.set_learning_rate(next.learning_rate);
        }
        if next.perplexity != old.perplexity
            && let Some(t) = &self.tsne
        {
            // New affinities on the same input: refined from the current layout, or a new cold
            // start while the first fit is still exaggerating.
            if self.tsne_pending.is_none() {
                self.tsne_pending = self.tsne_input.clone();
            }
            // New affinities are worth computing however little the input moved.
            self.pending_moved = true;
            if t.exaggerating() {
                self.cold_start();
            } else {
                self.budget = 0;
            }
        }
        if next.tsne && !old.tsne && self.tsne.is_some() {
            self.budget = SETTLE_ITERS;
        }
    }

    fn params(&self) -> TsneParams {
        TsneParams {
            perplexity: self.settings.perplexity,
            learning_rate: self.settings.learning_rate,
            ..TsneParams::default()
        }
    }

    /// The affinities of `snap`, or `None` with the reason kept for the caption. A snapshot
    /// whose affinities cannot be computed is skipped: the current layout stays as it is (it
    /// is never dropped, which would make the next snapshot start again from noise).
    fn input_affinities(&mut self, snap: &Snapshot) -> Option<crate::projection::tsne::Affinities> {
        match affinities(
            &snap.z,
            snap.labels.len(),
            snap.dim,
            self.settings.perplexity,
        ) {
            Ok(p) => {
                self.tsne_error = None;
                Some(p)
            }
            Err(e) => {
                self.tsne_error = Some(format!("snapshot at step {} skipped: {e}", snap.step));
                None
            }
        }
    }

    /// A fresh layout from noise (first fit of a run, or "re-seed"): early exaggeration first.
    fn cold_start(&mut self) {
        let Some(snap) = self.tsne_pending.take().or_else(|| self.tsne_input.clone()) else {
            return;
        };
        if let Some(p) = self.input_affinities(&snap) {
            // Another run's layout of the same points, when given: no exaggeration needed.
            let given = self
                .start_from
                .take()
                .filter(|s| s.len() == p.n())
                .map(|s| {
                    // Published layouts have unit RMS radius; t-SNE's own scale is ~10× that.
                    let raw: Vec<[f32; 2]> = s.iter().map(|q| [10.0 * q[0], 10.0 * q[1]]).collect();
                    raw
                });
            match given.map(|s| Tsne::from_positions(p.clone(), self.params(), &s)) {
                Some(Ok(t)) => {
                    self.tsne = Some(t);
                    self.budget = SETTLE_ITERS;
                }
                _ => {
                    self.tsne = Some(Tsne::new(p, self.params(), self.seed));
                    self.budget = self.params().exaggeration_iters + SETTLE_ITERS;
                }
            }
        }
        self.since_input = (0, Instant::now());
        self.tsne_input = Some(snap);
    }

    /// Newer input refined from the current layout.
    fn warm_start(&mut self) {
        let Some(snap) = self.tsne_pending.take() else {
            return;
        };
        if self.tsne.is_none() {
            self.tsne_pending = Some(snap);
            self.cold_start();
            return;
        }
        let Some(p) = self.input_affinities(&snap) else {
            // Skipped: the layout keeps refining its previous input.
            return;
        };
        let warm = match &mut self.tsne {
            Some(t) => t.set_affinities(p).is_ok(),
            None => false,
        };
        if warm {
            self.tsne_input = Some(snap);
            self.budget = SETTLE_ITERS;
            self.since_input = (0, Instant::now());
        } else {
            // Another point count: a different probe, which only a new run brings.
            self.tsne = None;
            self.tsne_pending = Some(snap);
            self.cold_start();
        }
    }

    fn iterate(&mut self, iters: usize) {
        let Some(t) = &mut self.tsne else {
            return;
        };
        let start = Instant::now();
        let mut k = 0;
        // Under frames, the tick's end stops the iterations (at least one is made).
        while k < iters.min(self.budget.max(1)) {
            t.step();
            k += 1;
            if self.until.is_some_and(|until| Instant::now() >= until) {
                break;
            }
        }
        self.budget = self.budget.saturating_sub(k);
        self.since_input.0 += k;
        let (clock, count, rate) = &mut self.iter_clock;
        *count += k;
        if clock.elapsed() >= Duration::from_millis(500) || *rate == 0.0 {
            *rate = start.elapsed().as_secs_f64() * 1000.0 / k as f64;
            *clock = Instant::now();
            *count = 0;
        }
    }

    fn publish(&mut self) {
        self.published.tsne = match (&self.tsne, &self.tsne_error) {
            (None, Some(e)) => Some(Err(e.clone())),
            (Some(t), note) => Some(Ok(TsneView {
                points: normalised(&t.points()),
                step: self.tsne_input.as_ref().map(|s| s.step).unwrap_or(0),
                iterations: t.iterations(),
                exaggerating: t.exaggerating(),
                kl: t.kl(),
                perplexity: t.perplexity(),
                ms_per_iter: self.iter_clock.2,
                note: note.clone(),
            })),
            (None, None) => None,
        };
        let layouts = Arc::new(self.published.clone());
        *lock(&self.shared.output) = Some(layouts);
        if let Some(w) = &self.waker {
            w();
        }
    }
}
