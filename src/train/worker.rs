//! The trainer thread. It owns a [`Session`]; the UI (or a test) talks to it only through
//! commands and reads only the latest [`Published`] state, which the thread replaces as a whole
//! (one `Arc` swap), so a reader never waits for training and never sees one run's snapshot with
//! another run's id. Commands apply before the next step. Each new snapshot also goes to the
//! run's snapshot sink (its projector, see [`crate::pipeline`]), so layouts follow training
//! whether or not a window draws.

use super::device::TrainDevice;
use super::history::{History, MetricsRow};
use super::session::{Incident, Session};
use super::snapshot::{Event, Snapshot};
use crate::config::{Apply, Key, RunConfig, Setting};
use crate::error::{LabError, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Change one setting (checked against its declaration by the trainer).
    Set(Setting),
    Pause,
    Resume,
    /// Run `n` steps, then stay paused.
    Step(usize),
    /// Start over with this seed.
    Reset {
        seed: u64,
    },
    /// Replace the whole config (a scenario): a fresh run.
    Replace(Box<RunConfig>),
    /// A scenario or lesson: its config as a fresh run, and its script of timed changes.
    Load(Box<crate::scenario::Scenario>),
    /// The user dismissed the error or incident banner.
    ClearError,
    /// Send a fork of the session as it is now (run B of a comparison, [`Session::fork`]).
    Fork(Reply<Box<Session>>),
    /// Train in lockstep with another trainer (or, with `None`, freely).
    Lockstep(Option<LockstepSide>),
    /// Continue from the state at this step (the nearest checkpoint, then a deterministic
    /// replay); the abandoned future stays visible as the published `branch`.
    Rewind(usize),
    Shutdown,
}

/// Where a command's answer goes. Two replies never compare equal (each is its own request).
pub struct Reply<T>(pub Sender<T>);

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

impl<T> PartialEq for Reply<T> {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

/// Two trainers shown at the same step: each waits while it is ahead of the other (a run that
/// is paused, or slower, holds the other back), unless the user lets them run free.
#[derive(Debug, Default)]
pub struct Lockstep {
    steps: [AtomicUsize; 2],
    free: AtomicBool,
}

impl Lockstep {
    /// A pair of sides, 0 and 1, starting in step.
    pub fn pair() -> (LockstepSide, LockstepSide) {
        let shared = Arc::new(Lockstep::default());
        (
            LockstepSide {
                shared: Arc::clone(&shared),
                side: 0,
            },
            LockstepSide { shared, side: 1 },
        )
    }
}

/// One trainer's end of a [`Lockstep`].
#[derive(Clone, Debug)]
pub struct LockstepSide {
    shared: Arc<Lockstep>,
    side: usize,
}

impl PartialEq for LockstepSide {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && self.side == other.side
    }
}

impl LockstepSide {
    /// Let both run free (`true`) or hold them at the same step.
    pub fn set_free(&self, free: bool) {
        self.shared.free.store(free, Ordering::Relaxed);
    }

    pub fn is_free(&self) -> bool {
        self.shared.free.load(Ordering::Relaxed)
    }

    fn report(&self, step: usize) {
        self.shared.steps[self.side].store(step, Ordering::Release);
    }

    /// Whether this side, at `step`, may take its next step.
    fn may_step(&self, step: usize) -> bool {
        self.is_free() || step <= self.shared.steps[1 - self.side].load(Ordering::Acquire)
    }
}

/// What the UI shows besides the snapshot. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub step: usize,
    pub paused: bool,
    pub steps_per_s: f64,
    pub device: String,
    pub config: Option<RunConfig>,
    pub events: Vec<Event>,
    /// The last error (invalid value, failed rebuild …), shown as a banner until dismissed.
    pub error: Option<String>,
    /// The last non-finite-loss incident.
    pub incident: Option<Incident>,
    /// Latest training loss.
    pub loss: f64,
    /// Increments whenever the run starts over (reset, replaced config): views drop what they
    /// kept of the previous run.
    pub run_id: u64,
    /// Class names of the dataset, indexed by label.
    pub class_names: Vec<String>,
    /// What the dataset wants the user to know (e.g. unreadable files skipped).
    pub data_warning: Option<String>,
    /// Scripted changes still ahead (a scenario's or lesson's auto-play).
    pub script: Vec<crate::scenario::ScriptStep>,
    /// How many commands the trainer has taken from its channel, in the order they were sent:
    /// a command whose number ([`Trainer::send`]) is at most this is reflected in this state
    /// (the app shows a setting it sent as pending until then).
    pub handled: u64,
}

/// Several augmented views of one probe sample, as the trainer's dataset makes them.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentationPreview {
    pub input: crate::data::InputKind,
    /// The clean sample, flattened.
    pub base: Vec<f32>,
    /// Views at `strength`, each flattened like `base`.
    pub views: Vec<Vec<f32>>,
    pub strength: f64,
    pub label: String,
}

/// The probe's clean samples, for hover thumbnails. Published once per run.
#[derive(Clone, Debug)]
pub struct ProbeSamples {
    pub input: crate::data::InputKind,
    /// `[n, input_len]`
    pub inputs: Vec<f32>,
    /// Caption of each probe sample, where the dataset has them.
    pub captions: Vec<Option<String>>,
    /// Dataset index of each probe sample, and the size of the kNN reference split (exports).
    pub indices: Vec<usize>,
    pub n_reference: usize,
}

fn probe_samples(session: &Session) -> ProbeSamples {
    let source = session.source();
    let probe = session.probe();
    ProbeSamples {
        input: source.input(),
        inputs: probe.inputs.clone(),
        captions: probe
            .indices
            .iter()
            .map(|&i| source.caption_text(i))
            .collect(),
        indices: probe.indices.clone(),
        n_reference: probe.n_reference,
    }
}

/// Views in a preview.
pub const PREVIEW_VIEWS: usize = 8;

fn make_preview(session: &Session) -> Option<AugmentationPreview> {
    let source = session.source();
    let index = *session.probe().indices.first()?;
    let strength = session.config().augment_strength;
    // A fixed stream: the same views for the same strength, so the grid changes only when the
    // strength does.
    let mut rng = crate::rng::Rng::fork(session.config().seed, "preview");
    Some(AugmentationPreview {
        input: source.input(),
        base: source.base(index).to_vec(),
        views: (0..PREVIEW_VIEWS)
            .map(|_| source.view(index, &mut rng, strength as f32))
            .collect(),
        strength,
        label: source
            .class_names()
            .get(source.label(index))
            .cloned()
            .unwrap_or_default(),
    })
}

/// Everything a run publishes, replaced as a whole: each field belongs to the same run
/// (`status.run_id`) and the same moment.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub status: Status,
    /// The newest snapshot of this run.
    pub snapshot: Option<Arc<Snapshot>>,
    /// One row per snapshot of this run.
    pub history: History,
    /// Views of one sample at the current augmentation strength.
    pub preview: Option<Arc<AugmentationPreview>>,
    /// The probe's clean samples (hover thumbnails, exports).
    pub probe: Option<Arc<ProbeSamples>>,
    /// The future the last rewind abandoned (the plots draw it as ghost curves; the views can
    /// show it beside the new path).
    pub branch: Option<Arc<Branch>>,
}

/// A future abandoned by a rewind: the step it branched at, its metrics and its recording.
#[derive(Debug)]
pub struct Branch {
    pub from: usize,
    pub history: History,
    pub recording: super::Recording,
}

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

fn is_restart(c: &Command) -> bool {
    matches!(
        c,
        Command::Reset { .. } | Command::Replace(_) | Command::Load(_)
    )
}

/// Drop what a later command in the same batch makes moot, so that a flood of restarts (a key
/// held down, a script gone wrong) costs one rebuild, not one per command: a restart (reset,
/// replace, load) makes every earlier restart moot, and a replace or load every earlier
/// setting too (the new config replaces them). Pause, resume, step and the rest keep their
/// order. The outcome is the same as applying every command in turn.
pub fn coalesce(commands: Vec<Command>) -> Vec<Command> {
    let last_restart = commands.iter().rposition(is_restart);
    let last_replace = commands
        .iter()
        .rposition(|c| matches!(c, Command::Replace(_) | Command::Load(_)));
    commands
        .into_iter()
        .enumerate()
        .filter(|(i, c)| match c {
            Command::Reset { .. } | Command::Replace(_) | Command::Load(_) => {
                Some(*i) == last_restart
            }
            Command::Set(_) => last_replace.is_none_or(|r| *i > r),
            _ => true,
        })
        .map(|(_, c)| c)
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: f64) -> Command {
        Command::Set(Setting::Temperature(v))
    }

    #[test]
    fn a_later_restart_makes_earlier_restarts_moot_and_a_replace_earlier_settings() {
        let replace = Command::Replace(Box::default());
        let commands = vec![
            set(0.1),
            Command::Reset { seed: 1 },
            Command::Pause,
            set(0.2),
            Command::Reset { seed: 2 },
            Command::Step(1),
        ];
        assert_eq!(
            coalesce(commands),
            vec![
                set(0.1),
                Command::Pause,
                set(0.2),
                Command::Reset { seed: 2 },
                Command::Step(1),
            ]
        );
        let commands = vec![
            set(0.1),
            Command::Reset { seed: 1 },
            Command::Resume,
            replace.clone(),
            set(0.3),
        ];
        assert_eq!(coalesce(commands), vec![Command::Resume, replace, set(0.3)]);
        assert_eq!(coalesce(vec![Command::Shutdown]), vec![Command::Shutdown]);
    }
}
