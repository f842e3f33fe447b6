//! The trainer thread. It owns a [`Session`]; the UI (or a test) talks to it only through
//! commands and reads only the latest [`Published`] state (see [`super::trainer::Trainer`]).
//! Commands apply before the next step. Each new snapshot also goes to the run's snapshot sink
//! (its projector, see [`crate::pipeline`]), so layouts follow training whether or not a window
//! draws.

pub use super::checkpoints::CHECKPOINT_EVERY;
use super::command::{Command, coalesce};
use super::lockstep::LockstepSide;
use super::published::{Branch, Published};
use crate::run::Waker;

use super::checkpoints::Checkpoints;
use super::published::{make_preview, probe_samples};
use super::session::Session;
use crate::config::{Apply, Key};
use crate::error::{LabError, Result};
use crate::run::drive::Ticked;
use crate::run::snapshot::{Event, Snapshot};
use crate::run::{History, MetricsRow, Recording};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use web_time::Instant;

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded value is an `Arc` swapped in one move: a panic cannot leave it half-written.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Receives each new snapshot with its run id (a pipeline passes its projector's inbox).
pub type SnapshotSink = Box<dyn Fn(u64, Arc<Snapshot>) + Send + 'static>;

/// Commands taken from the channel before the next step, at most.
const MAX_COMMANDS_AT_ONCE: usize = 4096;

/// Between two publications of only the step counter and loss, at least this long (the status
/// bar does not need more; a snapshot, a command or a pause publishes at once).
const PUBLISH_INTERVAL: Duration = Duration::from_millis(15);

pub(super) struct Worker {
    session: Session,
    paused: bool,
    pending_steps: usize,
    /// What the next publication will show; changed in place, then published whole.
    state: Published,
    out: Arc<Mutex<Arc<Published>>>,
    waker: Option<Waker>,
    sink: Option<SnapshotSink>,
    rate: (Instant, usize),
    last_publish: Instant,
    lockstep: Option<LockstepSide>,
    record: Arc<Mutex<Recording>>,
    /// Where a rewind starts its replay.
    checkpoints: Checkpoints,
    /// A recovery under way.
    recovery: Option<Recovery>,
    /// The first snapshot is taken (by the first turn of either drive).
    started: bool,
    /// Snapshots shown so far (a tick ends at a new one).
    shown: u64,
}

/// What one turn did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    /// A shutdown: the worker is done.
    Stop,
    /// Nothing to do (paused, or held back by the lockstep).
    Idle,
    Worked,
}

impl Worker {
    pub(super) fn new(
        session: Session,
        paused: bool,
        first: Published,
        out: Arc<Mutex<Arc<Published>>>,
        waker: Option<Waker>,
        sink: Option<SnapshotSink>,
        record: Arc<Mutex<Recording>>,
    ) -> Self {
        Self {
            session,
            paused,
            pending_steps: 0,
            state: first,
            out,
            waker,
            sink,
            rate: (Instant::now(), 0),
            last_publish: Instant::now(),
            lockstep: None,
            record,
            checkpoints: Checkpoints::default(),
            recovery: None,
            started: false,
            shown: 0,
        }
    }

    /// The thread's loop ([`crate::run::Drive::Threads`]): turns until a shutdown, waiting for
    /// a command while there is nothing to train.
    pub(super) fn run(&mut self, rx: Receiver<Command>) {
        self.start();
        while self.turn(&rx, true) != Turn::Stop {}
    }

    /// Turns until `until`, a snapshot (its projector has it to lay out) or nothing left to do,
    /// never waiting ([`crate::run::Drive::Frames`]: the caller's frame). At least one turn.
    pub(super) fn tick(&mut self, rx: &Receiver<Command>, until: Instant) -> Ticked {
        let mut out = Ticked::default();
        if !self.started {
            self.start();
            out.worked = true;
            out.snapshot = true;
            return out;
        }
        loop {
            let shown = self.shown;
            match self.turn(rx, false) {
                Turn::Stop => {
                    out.stopped = true;
                    break;
                }
                Turn::Idle => break,
                Turn::Worked => out.worked = true,
            }
            if self.shown != shown {
                out.snapshot = true;
                break;
            }
            if Instant::now() >= until {
                break;
            }
        }
        out
    }

    /// The run's first snapshot, as either drive starts it.
    fn start(&mut self) {
        self.started = true;
        self.initial_snapshot();
    }

    /// One turn, the same under either drive: take every waiting command (waiting for one, if
    /// `wait`, while paused or held back by the lockstep), then one step of training or of a
    /// recovery's replay.
    fn turn(&mut self, rx: &Receiver<Command>, wait: bool) -> Turn {
        // Drain every waiting command first: a knob change applies at the very next step.
        let idle = self.paused && self.pending_steps == 0;
        let held = !idle && !self.lockstep_allows();
        let first = if wait && (idle || held) {
            let wait = if held { 1 } else { 200 };
            match rx.recv_timeout(Duration::from_millis(wait)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Turn::Stop,
            }
        } else {
            rx.try_recv().ok()
        };
        let mut commands: Vec<Command> = first.into_iter().collect();
        commands.extend(rx.try_iter().take(MAX_COMMANDS_AT_ONCE));
        let any = !commands.is_empty();
        let taken = commands.len() as u64;
        for c in coalesce(commands) {
            if !self.handle(c) {
                return Turn::Stop;
            }
        }
        // Published with the state these commands made (a coalesced one counts: it was
        // made moot by a later one of the same batch).
        self.state.status.handled += taken;
        if any {
            self.publish();
        }
        let mut worked = any;
        if self.recovery.is_some() {
            self.recover_some();
            worked = true;
        } else if (!self.paused || self.pending_steps > 0) && self.lockstep_allows() {
            self.train_one();
            worked = true;
        }
        if let Some(l) = &self.lockstep {
            l.report(self.session.step_count());
        }
        if worked { Turn::Worked } else { Turn::Idle }
    }

    fn lockstep_allows(&self) -> bool {
        self.lockstep
            .as_ref()
            .is_none_or(|l| l.may_step(self.session.step_count()))
    }

    /// Replace the published state with the worker's, in one swap, and wake the UI.
    fn publish(&mut self) {
        *lock(&self.out) = Arc::new(self.state.clone());
        self.last_publish = Instant::now();
        if let Some(w) = &self.waker {
            w();
        }
    }

    /// Step, pause state, config, events, script and the recovery under way, as they are now.
    fn sync_status(&mut self) {
        let s = &mut self.state.status;
        s.step = self.session.step_count();
        s.paused = self.paused;
        // While a recovery replays, the run shown is the recorded one at the step it is
        // recovered to (its snapshot, config and changes, all at once) and its script is what
        // lies beyond that step.
        let (config, events, recovering) = match &self.recovery {
            Some(r) => (&r.config, r.events.as_slice(), Some(r.target)),
            None => (self.session.config(), self.session.events(), None),
        };
        s.config = Some(config.clone());
        if s.events.len() != events.len() || s.events.last() != events.last() {
            s.events = events.to_vec();
        }
        s.script = self.session.script().to_vec();
        if let Some(target) = recovering {
            s.script.retain(|c| c.step > target);
        }
        s.recovering = recovering;
    }

    fn refresh_preview(&mut self) {
        self.state.preview = make_preview(&self.session).map(Arc::new);
    }

    /// The dataset or probe is new (start, rebuild, restart): refresh what views derive from it.
    fn data_changed(&mut self) {
        self.state.probe = Some(Arc::new(probe_samples(&self.session)));
        self.refresh_preview();
        self.state.status.class_names = self.session.source().class_names().to_vec();
        self.state.status.data_warning = self.session.source().warning();
    }

    fn initial_snapshot(&mut self) {
        self.checkpoints.restart(&self.session);
        self.data_changed();
        if let Err(e) = self.session.measure_initial_loss() {
            self.state.status.error = Some(e.to_string());
        }
        self.take_snapshot();
        self.sync_status();
        self.publish();
    }

    fn take_snapshot(&mut self) {
        match self.session.snapshot() {
            Ok(snap) => {
                // A restored (earlier) state continues the curve from its own step.
                self.state.history.truncate_before(snap.step);
                let event = self.session.events().iter().any(|e| e.step == snap.step);
                self.state.history.push(MetricsRow::of(&snap), event);
                self.show(Arc::new(snap));
            }
            Err(e) => self.state.status.error = Some(e.to_string()),
        }
    }

    /// Hand `snap` to the projector, the recording and the next publication.
    fn show(&mut self, snap: Arc<Snapshot>) {
        self.shown += 1;
        if let Some(sink) = &self.sink {
            sink(self.state.status.run_id, Arc::clone(&snap));
        }
        self.record(&snap);
        self.state.snapshot = Some(snap);
    }

    /// Keep `snap` in the run's recording (without the forces' inputs: only the live view
    /// draws them, and MoCo's queue alone is K × d floats; a snapshot without them is shared,
    /// not copied).
    fn record(&mut self, snap: &Arc<Snapshot>) {
        let kept = if snap.forces.is_some() {
            Arc::new(Snapshot {
                forces: None,
                ..(**snap).clone()
            })
        } else {
            Arc::clone(snap)
        };
        let mut r = lock(&self.record);
        r.set_budget(self.session.config().history_mb << 20);
        for e in self.session.events() {
            r.keep_step(e.step);
        }
        if let Some(i) = &self.state.status.incident {
            r.keep_step(i.restored_step);
        }
        r.push(kept);
    }

    /// Publish what the run looks like now without touching it (no loss mean restarted).
    fn look_now(&mut self) -> Result<()> {
        let snap = Arc::new(self.session.look()?);
        self.show(snap);
        Ok(())
    }

    /// Continue from `step`: the nearest checkpoint at or before it, replayed to it.
    fn rewind(&mut self, step: usize) -> Result<()> {
        let Some(checkpoint) = self.checkpoints.at_or_before(step) else {
            return Err(LabError::invalid(
                "rewind",
                step,
                "no checkpoint at or before that step (the run restarted since)",
            ));
        };
        let recorded = lock(&self.record).steps();
        // The snapshots the run took between the checkpoint and `step` (the one at `step` the
        // worker takes below, as the run did, or only looks if the run took none there).
        let snapshot_steps: Vec<usize> = recorded
            .iter()
            .copied()
            .filter(|&s| s > checkpoint.step_count() && s < step)
            .collect();
        let had_snapshot = recorded.contains(&step);
        let rewound = Session::rewound(checkpoint, self.session.events(), step, &snapshot_steps)?;
        self.state.branch = Some(Arc::new(Branch {
            from: step,
            history: self.state.history.clone(),
            recording: lock(&self.record).clone(),
        }));
        self.session = rewound;
        self.checkpoints.forget_after(step);
        self.paused = true;
        self.pending_steps = 0;
        self.state.status.incident = None;
        self.state.history.truncate_before(step);
        if had_snapshot {
            self.take_snapshot();
        } else {
            self.look_now()?;
        }
        Ok(())
    }

    /// Start recovering the run the recording at `path` holds: what it recorded shown at
    /// once, its training state rebuilt by [`Worker::recover_some`] (the start's initial loss
    /// and first snapshot as the run took them, then its steps and changes replayed).
    fn recover(&mut self, path: &std::path::Path) -> Result<()> {
        let run = crate::recorded::RecordedRun::load(path)?;
        let target = run
            .recording
            .snapshots()
            .last()
            .map(|s| s.step)
            .ok_or_else(|| {
                LabError::invalid(
                    "recovery",
                    path.display(),
                    "the recording holds no snapshot",
                )
            })?;
        // What the window shows while the replay runs: the run at `target`.
        let config = run.config_at(target)?;
        let events: Vec<Event> = run
            .events
            .iter()
            .filter(|e| e.step <= target)
            .cloned()
            .collect();
        let mut start = Session::new(run.scenario.config.clone(), self.session.device().clone())?;
        start.set_script(run.scenario.script.clone());
        start.measure_initial_loss()?;
        start.snapshot()?;
        let session = Session::replaying(&start, &run.events, target)?;
        self.restarted_as(session);
        let mut recording = run.recording;
        recording.set_budget(self.session.config().history_mb << 20);
        for snap in recording.snapshots() {
            let event = run.events.iter().any(|e| e.step == snap.step);
            self.state.history.push(MetricsRow::of(snap), event);
        }
        let steps = recording.steps();
        if let Some(last) = recording.snapshots().last() {
            if let Some(sink) = &self.sink {
                sink(self.state.status.run_id, Arc::clone(last));
            }
            self.state.snapshot = Some(Arc::clone(last));
        }
        *lock(&self.record) = recording;
        self.recovery = Some(Recovery {
            target,
            snapshot_steps: replay_snapshots(&steps, target),
            events,
            config,
        });
        Ok(())
    }

    /// Replay some steps of the recovery under way (about 50 ms, so that commands and the
    /// status bar's progress keep flowing); at its step, the snapshot the run took there.
    fn recover_some(&mut self) {
        let Some(recovery) = self.recovery.take() else {
            return;
        };
        let (target, snapshot_steps) = (recovery.target, &recovery.snapshot_steps);
        let deadline = Instant::now() + Duration::from_millis(50);
        let mut done = Ok(false);
        while Instant::now() < deadline {
            // Up to the next checkpoint: a rewind of the recovered run starts near its step.
            let stop =
                target.min((self.session.step_count() / CHECKPOINT_EVERY + 1) * CHECKPOINT_EVERY);
            done = self.session.replay_to(stop, snapshot_steps, Some(deadline));
            self.checkpoints.keep(&self.session);
            if !matches!(done, Ok(true)) || stop == target {
                break;
            }
        }
        match done {
            Ok(true) if self.session.step_count() == target => match self.session.apply_script() {
                Ok(_) => self.take_snapshot(),
                Err(e) => self.state.status.error = Some(e.to_string()),
            },
            Ok(_) => self.recovery = Some(recovery),
            Err(e) => {
                self.state.status.error = Some(format!("the run could not be recovered: {e}"));
            }
        }
        self.sync_status();
        self.publish();
    }

    /// A new run: its history, snapshot and run id are published together.
    fn restarted(&mut self) {
        self.begin_run();
        if let Err(e) = self.session.measure_initial_loss() {
            self.state.status.error = Some(e.to_string());
        }
        self.take_snapshot();
    }

    /// `session` is the run now, paused, nothing of it recorded yet (a recovery).
    fn restarted_as(&mut self, session: Session) {
        self.session = session;
        self.paused = true;
        self.pending_steps = 0;
        self.begin_run();
    }

    /// What every new run starts with: no recording, history or snapshot; a new run id.
    fn begin_run(&mut self) {
        self.recovery = None;
        self.checkpoints.restart(&self.session);
        self.state.branch = None;
        *lock(&self.record) = Recording::with_budget(self.session.config().history_mb << 20);
        self.state.history = History::default();
        self.state.snapshot = None;
        self.data_changed();
        let status = &mut self.state.status;
        status.run_id += 1;
        status.incident = None;
        // The old run's events must not show against the new run's id.
        status.events.clear();
    }

    /// Returns false when the worker should stop. The caller publishes.
    fn handle(&mut self, command: Command) -> bool {
        if let Some(Recovery { target, .. }) = &self.recovery
            && matches!(
                command,
                Command::Set(_) | Command::Rewind(_) | Command::Fork(_)
            )
        {
            self.state.status.error = Some(format!(
                "the run is being recovered (step {} of {target}): change it once it is",
                self.session.step_count()
            ));
            return true;
        }
        let result = match command {
            Command::Set(setting) => {
                let key = setting.key();
                let result = self.session.set(setting).map(|_| ());
                if result.is_ok() {
                    self.after_set(key);
                }
                result
            }
            Command::Pause => {
                self.paused = true;
                self.pending_steps = 0;
                Ok(())
            }
            Command::Resume => {
                self.paused = false;
                self.state.status.incident = None;
                Ok(())
            }
            Command::Step(n) => {
                self.paused = true;
                self.pending_steps += n;
                Ok(())
            }
            Command::Reset { seed } => self.session.reset(seed).map(|_| self.restarted()),
            Command::Replace(config) => self.session.replace(*config).map(|_| self.restarted()),
            Command::Load(scenario) => self.session.replace(scenario.config.clone()).map(|_| {
                self.session.set_script(scenario.script.clone());
                self.restarted()
            }),
            Command::ClearError => {
                self.state.status.error = None;
                self.state.status.incident = None;
                Ok(())
            }
            Command::Fork(reply) => {
                // The asker may have gone (the comparison was cancelled): nothing to do then.
                let _ = reply.0.send(Box::new(self.session.fork()));
                Ok(())
            }
            Command::Rewind(step) => self.rewind(step),
            Command::Recover(path) => self.recover(&path),
            Command::Lockstep(side) => {
                if let Some(l) = &side {
                    l.report(self.session.step_count());
                }
                self.lockstep = side;
                Ok(())
            }
            Command::Shutdown => return false,
        };
        if let Err(e) = result {
            self.state.status.error = Some(e.to_string());
        }
        self.sync_status();
        true
    }

    /// Refresh what derives from `key` after it changed (by a command or a script).
    fn after_set(&mut self, key: Key) {
        if key.spec().apply == Apply::Rebuild {
            self.data_changed();
            self.take_snapshot();
        } else if key == Key::AugmentStrength {
            self.refresh_preview();
        }
    }

    fn train_one(&mut self) {
        self.pending_steps = self.pending_steps.saturating_sub(1);
        // Scripted changes due now go through the same reaction as a user's; the controls and
        // events follow.
        let mut urgent = false;
        let result = match self.session.apply_script() {
            Ok(keys) => {
                for key in keys.iter().copied() {
                    self.after_set(key);
                }
                urgent |= !keys.is_empty();
                self.session.step()
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(Ok(loss)) => {
                let step = self.session.step_count();
                self.rate.1 += 1;
                let elapsed = self.rate.0.elapsed().as_secs_f64();
                if elapsed >= 0.5 {
                    self.state.status.steps_per_s = self.rate.1 as f64 / elapsed;
                    self.rate = (Instant::now(), 0);
                }
                let every = self.session.config().snapshot_every.max(1);
                let resting = self.paused && self.pending_steps == 0;
                if step.is_multiple_of(every) || resting {
                    self.take_snapshot();
                    urgent = true;
                }
                // After the snapshot: a rewind's replay then starts a fresh loss mean as the
                // run did.
                self.checkpoints.keep(&self.session);
                self.state.status.loss = loss;
            }
            Ok(Err(incident)) => {
                self.paused = true;
                self.pending_steps = 0;
                self.state.status.incident = Some(incident);
                urgent = true;
            }
            Err(e) => {
                self.paused = true;
                self.state.status.error = Some(e.to_string());
                urgent = true;
            }
        }
        if urgent {
            // A snapshot, a scripted change, a pause: refresh all that the controls show.
            self.sync_status();
        } else {
            // The hot path: only the counter moved.
            self.state.status.step = self.session.step_count();
        }
        if urgent || self.last_publish.elapsed() >= PUBLISH_INTERVAL {
            self.publish();
        }
    }
}

/// A recovery under way: the step it replays to, the steps the run took snapshots at (those
/// [`replay_snapshots`] keeps), and the run's changes and config at `target`.
struct Recovery {
    target: usize,
    snapshot_steps: Vec<usize>,
    events: Vec<Event>,
    config: crate::config::RunConfig,
}

/// Of the steps a run recorded snapshots at, those a recovery's replay to `target` must take
/// again. A snapshot changes no weight: it starts a new loss mean, and proposes the state as
/// the checkpoint a divergence restores, confirmed at the next weight check. So only the
/// snapshots that decide the checkpoint at `target` matter: those since the last two weight
/// checks, and the one before them (taking all of them would cost the replay a probe embedding
/// every few steps).
pub fn replay_snapshots(recorded: &[usize], target: usize) -> Vec<usize> {
    let recent = target.saturating_sub(2 * crate::methods::WEIGHT_CHECK_EVERY);
    let before = recorded
        .iter()
        .copied()
        .filter(|&s| s > 0 && s <= recent)
        .max();
    before
        .into_iter()
        .chain(
            recorded
                .iter()
                .copied()
                .filter(|&s| s > recent && s < target),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::replay_snapshots;

    #[test]
    fn a_recovery_replays_the_snapshots_that_decide_the_checkpoint_only() {
        // Every 5 steps to 1000: those after step 984 (two weight checks of 8), the one at
        // or before it, never 0 (the start's own) nor the target (taken after the replay).
        let recorded: Vec<usize> = (0..=200).map(|i| 5 * i).collect();
        assert_eq!(replay_snapshots(&recorded, 1000), vec![980, 985, 990, 995]);
        // Sparse snapshots: the last before the window still counts.
        assert_eq!(replay_snapshots(&[0, 100, 200, 300], 300), vec![200]);
        assert_eq!(replay_snapshots(&[0, 10], 10), Vec::<usize>::new());
    }
}
