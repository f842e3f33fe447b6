//! The trainer thread. It owns a [`Session`]; the UI (or a test) talks to it only through
//! commands and reads only the latest [`Published`] state, which the thread replaces as a whole
//! (one `Arc` swap), so a reader never waits for training and never sees one run's snapshot with
//! another run's id. Commands apply before the next step. Each new snapshot also goes to the
//! run's snapshot sink (its projector, see [`crate::pipeline`]), so layouts follow training
//! whether or not a window draws.

pub use super::command::{Command, Reply, coalesce};
pub use super::lockstep::{Lockstep, LockstepSide};
pub use super::published::{
    AugmentationPreview, Branch, PREVIEW_VIEWS, ProbeSamples, Published, Status,
};
use super::published::{make_preview, probe_samples};

use super::device::TrainDevice;
use super::history::{History, MetricsRow};
use super::session::Session;
use super::snapshot::Snapshot;
use crate::config::{Apply, Key, RunConfig, Setting};
use crate::error::{LabError, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded value is an `Arc` swapped in one move: a panic cannot leave it half-written.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Receives each new snapshot with its run id (a pipeline passes its projector's inbox).
pub type SnapshotSink = Box<dyn Fn(u64, Arc<Snapshot>) + Send + 'static>;

/// The trainer thread's name (the CPU accounting of `--stats` and the priority tests find it).
pub const THREAD_NAME: &str = "trainer";

/// Called after each publish (the app passes `ctx.request_repaint`).
pub type Waker = Box<dyn Fn() + Send + 'static>;

pub struct Trainer {
    tx: Sender<Command>,
    /// Commands sent so far (the number of the last one).
    sent: AtomicU64,
    published: Arc<Mutex<Arc<Published>>>,
    recording: Arc<Mutex<super::Recording>>,
    join: Option<JoinHandle<()>>,
}

impl Trainer {
    /// Start a trainer thread on `session`, running unless `paused`. `sink` receives every
    /// snapshot; `waker` is called after every publication.
    pub fn spawn(
        session: Session,
        paused: bool,
        waker: Option<Waker>,
        sink: Option<SnapshotSink>,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let first = Published {
            status: Status {
                paused,
                device: session.device().label.clone(),
                config: Some(session.config().clone()),
                ..Status::default()
            },
            ..Published::default()
        };
        let published = Arc::new(Mutex::new(Arc::new(first.clone())));
        let out = Arc::clone(&published);
        let recording = Arc::new(Mutex::new(super::Recording::with_budget(
            session.config().history_mb << 20,
        )));
        let record = Arc::clone(&recording);
        let join = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                super::priority::lower_this_thread();
                let mut w = Worker {
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
                    checkpoints: Vec::new(),
                };
                w.run(rx);
            })
            .map_err(|source| LabError::Thread {
                what: "trainer",
                source,
            })?;
        Ok(Self {
            tx,
            sent: AtomicU64::new(0),
            published,
            recording,
            join: Some(join),
        })
    }

    /// Start a trainer for `config` on `device`.
    pub fn start(
        config: RunConfig,
        device: TrainDevice,
        paused: bool,
        waker: Option<Waker>,
    ) -> Result<Self> {
        Self::spawn(Session::new(config, device)?, paused, waker, None)
    }

    /// Send `command`; returns its number, which the published `status.handled` reaches once
    /// the trainer has taken it.
    pub fn send(&self, command: Command) -> u64 {
        let number = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        // The worker only stops on Shutdown or drop; a send after that has nobody to tell.
        let _ = self.tx.send(command);
        number
    }

    pub fn set(&self, setting: Setting) {
        self.send(Command::Set(setting));
    }

    /// Every snapshot of the current run, within the `history_mb` budget (the timeline reads
    /// it; hold the lock briefly).
    pub fn recording(&self) -> MutexGuard<'_, super::Recording> {
        lock(&self.recording)
    }

    /// The newest published state, without waiting for training (one short lock, one `Arc`).
    pub fn published(&self) -> Arc<Published> {
        Arc::clone(&lock(&self.published))
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.published().snapshot.clone()
    }

    pub fn status(&self) -> Status {
        self.published().status.clone()
    }

    pub fn is_alive(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// Commands taken from the channel before the next step, at most.
const MAX_COMMANDS_AT_ONCE: usize = 4096;

/// Between two publications of only the step counter and loss, at least this long (the status
/// bar does not need more; a snapshot, a command or a pause publishes at once).
const PUBLISH_INTERVAL: Duration = Duration::from_millis(15);

struct Worker {
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
    record: Arc<Mutex<super::Recording>>,
    /// Forks of the session every [`CHECKPOINT_EVERY`] steps, oldest first: where a rewind
    /// starts its replay.
    checkpoints: Vec<Session>,
}

/// Steps between the checkpoints a rewind starts from (its replay is at most this long).
pub const CHECKPOINT_EVERY: usize = 100;
/// Checkpoints kept; beyond, every other older one goes (each holds the whole training state).
const MAX_CHECKPOINTS: usize = 48;

impl Worker {
    fn run(&mut self, rx: Receiver<Command>) {
        self.initial_snapshot();
        loop {
            // Drain every waiting command first: a knob change applies at the very next step.
            let idle = self.paused && self.pending_steps == 0;
            let held = !idle && !self.lockstep_allows();
            let first = if idle || held {
                let wait = if held { 1 } else { 200 };
                match rx.recv_timeout(Duration::from_millis(wait)) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
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
                    return;
                }
            }
            // Published with the state these commands made (a coalesced one counts: it was
            // made moot by a later one of the same batch).
            self.state.status.handled += taken;
            if any {
                self.publish();
            }
            if (!self.paused || self.pending_steps > 0) && self.lockstep_allows() {
                self.train_one();
            }
            if let Some(l) = &self.lockstep {
                l.report(self.session.step_count());
            }
        }
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

    /// Step, pause state, config, events and script as the session has them now.
    fn sync_status(&mut self) {
        let s = &mut self.state.status;
        s.step = self.session.step_count();
        s.paused = self.paused;
        s.config = Some(self.session.config().clone());
        let events = self.session.events();
        if s.events.len() != events.len() || s.events.last() != events.last() {
            s.events = events.to_vec();
        }
        s.script = self.session.script().to_vec();
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
        self.checkpoints.push(self.session.fork());
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

    /// Keep a checkpoint every [`CHECKPOINT_EVERY`] steps (thinned when there are many).
    fn checkpoint(&mut self) {
        let step = self.session.step_count();
        if !step.is_multiple_of(CHECKPOINT_EVERY)
            || self
                .checkpoints
                .last()
                .is_some_and(|c| c.step_count() >= step)
        {
            return;
        }
        self.checkpoints.push(self.session.fork());
        let self_max = self.max_checkpoints();
        if self.checkpoints.len() > self_max {
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                i > self_max / 2 || i % 2 == 1
            });
        }
    }

    /// Checkpoints that fit a quarter of the `history_mb` budget (each holds the weights, the
    /// optimizer's moments, the teacher and the probe), at least 2, at most [`MAX_CHECKPOINTS`].
    fn max_checkpoints(&self) -> usize {
        use burn::module::Module;
        let params = self.session.learner().online.num_params();
        let probe = self.session.probe();
        let bytes = 4 * (4 * params + probe.inputs.len() + probe.view_a.len() + probe.view_b.len());
        let budget = (self.session.config().history_mb << 20) / 4;
        (budget / bytes.max(1)).clamp(2, MAX_CHECKPOINTS)
    }

    /// Continue from `step`: the nearest checkpoint at or before it, replayed to it.
    fn rewind(&mut self, step: usize) -> Result<()> {
        let Some(checkpoint) = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.step_count() <= step)
        else {
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
        self.checkpoints.retain(|c| c.step_count() <= step);
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

    /// A new run: its history, snapshot and run id are published together.
    fn restarted(&mut self) {
        self.checkpoints.clear();
        self.checkpoints.push(self.session.fork());
        self.state.branch = None;
        *lock(&self.record) = super::Recording::with_budget(self.session.config().history_mb << 20);
        self.state.history = History::default();
        self.state.snapshot = None;
        self.data_changed();
        let status = &mut self.state.status;
        status.run_id += 1;
        status.incident = None;
        // The old run's events must not show against the new run's id.
        status.events.clear();
        if let Err(e) = self.session.measure_initial_loss() {
            self.state.status.error = Some(e.to_string());
        }
        self.take_snapshot();
    }

    /// Returns false when the worker should stop. The caller publishes.
    fn handle(&mut self, command: Command) -> bool {
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
                self.checkpoint();
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
