//! The trainer thread. It owns a [`Session`]; the UI (or a test) talks to it only through
//! commands and reads only the latest published snapshot and status, so neither side ever
//! waits for the other. Commands apply before the next step.

use super::device::TrainDevice;
use super::session::{Incident, Session};
use super::snapshot::{Event, Snapshot};
use crate::config::RunConfig;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Change one setting (`key` as in `RunConfig`, value as text).
    Set {
        key: String,
        value: String,
    },
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
    Shutdown,
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
    /// Increments whenever the run starts over (reset, replaced config): views drop their history.
    pub run_id: u64,
    /// Class names of the dataset, indexed by label.
    pub class_names: Vec<String>,
    /// What the dataset wants the user to know (e.g. unreadable files skipped).
    pub data_warning: Option<String>,
    /// Scripted changes still ahead (a scenario's or lesson's auto-play).
    pub script: Vec<crate::scenario::ScriptStep>,
    /// Rows in the metrics history (see [`Trainer::history_since`]).
    pub history_len: usize,
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

/// One snapshot's numbers without the embeddings: what the time plots draw.
#[derive(Clone, Debug)]
pub struct MetricsRow {
    pub step: usize,
    pub loss: f64,
    pub diagnostics: crate::metrics::Diagnostics,
    pub extras: Vec<(&'static str, f64)>,
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
}

#[derive(Default)]
struct Shared {
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    status: Mutex<Status>,
    history: Mutex<Vec<MetricsRow>>,
    preview: Mutex<Option<Arc<AugmentationPreview>>>,
    probe: Mutex<Option<Arc<ProbeSamples>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these plain values half-written in a way
    // that matters to a reader: take the data either way.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Called after each publish (the app passes `ctx.request_repaint`).
pub type Waker = Box<dyn Fn() + Send + 'static>;

pub struct Trainer {
    tx: Sender<Command>,
    shared: Arc<Shared>,
    join: Option<JoinHandle<()>>,
}

impl Trainer {
    /// Start a trainer thread on `session`, running unless `paused`.
    pub fn spawn(session: Session, paused: bool, waker: Option<Waker>) -> Self {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        {
            let mut s = lock(&shared.status);
            s.paused = paused;
            s.device = session.device().label.clone();
            s.config = Some(session.config().clone());
        }
        let worker_shared = shared.clone();
        let join = std::thread::Builder::new()
            .name("trainer".into())
            .spawn(move || run(session, paused, rx, worker_shared, waker))
            .ok();
        Self { tx, shared, join }
    }

    /// Start a trainer for `config` on `device`.
    pub fn start(
        config: RunConfig,
        device: TrainDevice,
        paused: bool,
        waker: Option<Waker>,
    ) -> crate::error::Result<Self> {
        Ok(Self::spawn(Session::new(config, device)?, paused, waker))
    }

    pub fn send(&self, command: Command) {
        // The worker only stops on Shutdown or drop; a send after that has nobody to tell.
        let _ = self.tx.send(command);
    }

    pub fn set(&self, key: &str, value: impl ToString) {
        self.send(Command::Set {
            key: key.to_string(),
            value: value.to_string(),
        });
    }

    /// The newest snapshot, without waiting.
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        lock(&self.shared.snapshot).clone()
    }

    pub fn status(&self) -> Status {
        lock(&self.shared.status).clone()
    }

    /// The probe's clean samples (hover thumbnails).
    pub fn probe_samples(&self) -> Option<Arc<ProbeSamples>> {
        lock(&self.shared.probe).clone()
    }

    /// Views of one sample at the current augmentation strength.
    pub fn preview(&self) -> Option<Arc<AugmentationPreview>> {
        lock(&self.shared.preview).clone()
    }

    /// Metrics rows from index `from` on (the UI keeps what it already has).
    pub fn history_since(&self, from: usize) -> Vec<MetricsRow> {
        lock(&self.shared.history)
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    pub fn clear_error(&self) {
        let mut s = lock(&self.shared.status);
        s.error = None;
        s.incident = None;
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

struct Worker {
    session: Session,
    paused: bool,
    pending_steps: usize,
    shared: Arc<Shared>,
    waker: Option<Waker>,
    rate: (Instant, usize),
}

fn run(
    session: Session,
    paused: bool,
    rx: Receiver<Command>,
    shared: Arc<Shared>,
    waker: Option<Waker>,
) {
    let mut w = Worker {
        session,
        paused,
        pending_steps: 0,
        shared,
        waker,
        rate: (Instant::now(), 0),
    };
    w.initial_snapshot();
    loop {
        // Drain every waiting command first: a knob change applies at the very next step.
        let idle = w.paused && w.pending_steps == 0;
        let first = if idle {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            rx.try_recv().ok()
        };
        let mut commands: Vec<Command> = first.into_iter().collect();
        commands.extend(rx.try_iter());
        for c in commands {
            if c == Command::Shutdown || !w.handle(c) {
                return;
            }
        }
        if !w.paused || w.pending_steps > 0 {
            w.train_one();
        }
    }
}

impl Worker {
    fn publish_status(&self, f: impl FnOnce(&mut Status)) {
        {
            let mut s = lock(&self.shared.status);
            f(&mut s);
        }
        if let Some(w) = &self.waker {
            w();
        }
    }

    fn sync_status(&self) {
        let (step, paused, config, events) = (
            self.session.step_count(),
            self.paused,
            self.session.config().clone(),
            self.session.events().to_vec(),
        );
        let script = self.session.script().to_vec();
        self.publish_status(|s| {
            s.step = step;
            s.paused = paused;
            s.config = Some(config);
            s.events = events;
            s.script = script;
        });
    }

    fn refresh_preview(&self) {
        *lock(&self.shared.preview) = make_preview(&self.session).map(Arc::new);
    }

    /// The dataset or probe is new (start, rebuild, restart): republish what views derive
    /// from it.
    fn data_changed(&self) {
        *lock(&self.shared.probe) = Some(Arc::new(probe_samples(&self.session)));
        self.refresh_preview();
        let names = self.session.source().class_names().to_vec();
        let warning = self.session.source().warning();
        self.publish_status(|s| {
            s.class_names = names;
            s.data_warning = warning;
        });
    }

    fn initial_snapshot(&mut self) {
        self.data_changed();
        if let Err(e) = self.session.measure_initial_loss() {
            self.publish_status(|s| s.error = Some(e.to_string()));
        }
        self.take_snapshot();
        self.sync_status();
    }

    fn take_snapshot(&mut self) {
        match self.session.snapshot() {
            Ok(snap) => {
                let len = {
                    let mut history = lock(&self.shared.history);
                    // A restored (earlier) state continues the curve from its own step.
                    history.retain(|r| r.step < snap.step);
                    history.push(MetricsRow::of(&snap));
                    history.len()
                };
                *lock(&self.shared.snapshot) = Some(Arc::new(snap));
                self.publish_status(|s| s.history_len = len);
            }
            Err(e) => self.publish_status(|s| s.error = Some(e.to_string())),
        }
    }

    /// A new run: history and snapshot start over, views are told by `run_id`.
    fn restarted(&mut self) {
        lock(&self.shared.history).clear();
        self.data_changed();
        self.publish_status(|s| {
            s.run_id += 1;
            s.incident = None;
        });
        if let Err(e) = self.session.measure_initial_loss() {
            self.publish_status(|s| s.error = Some(e.to_string()));
        }
        self.take_snapshot();
    }

    /// Returns false when the worker should stop.
    fn handle(&mut self, command: Command) -> bool {
        let result = match command {
            Command::Set { key, value } => {
                let result = self.session.set(&key, &value).map(|_| ());
                if result.is_ok() {
                    self.after_set(&key);
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
                self.publish_status(|s| s.incident = None);
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
            Command::Shutdown => return false,
        };
        if let Err(e) = result {
            self.publish_status(|s| s.error = Some(e.to_string()));
        }
        self.sync_status();
        true
    }

    /// Republish what derives from `key` after it changed (by a command or a script).
    fn after_set(&mut self, key: &str) {
        let rebuild = crate::config::setting_doc(key)
            .is_some_and(|d| d.apply == crate::config::Apply::Rebuild);
        if rebuild {
            self.data_changed();
            self.take_snapshot();
        } else if key == "augment_strength" {
            self.refresh_preview();
        }
    }

    fn train_one(&mut self) {
        self.pending_steps = self.pending_steps.saturating_sub(1);
        // Scripted changes due now go through the same reaction as a user's; the controls and
        // events follow.
        let result = match self.session.apply_script() {
            Ok(keys) => {
                if !keys.is_empty() {
                    for key in &keys {
                        self.after_set(key);
                    }
                    self.sync_status();
                }
                self.session.step()
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(Ok(loss)) => {
                let step = self.session.step_count();
                self.rate.1 += 1;
                let elapsed = self.rate.0.elapsed().as_secs_f64();
                let rate = (elapsed >= 0.5).then(|| self.rate.1 as f64 / elapsed);
                if rate.is_some() {
                    self.rate = (Instant::now(), 0);
                }
                let every = self.session.config().snapshot_every.max(1);
                if step.is_multiple_of(every) || (self.paused && self.pending_steps == 0) {
                    self.take_snapshot();
                }
                self.publish_status(|s| {
                    s.step = step;
                    s.loss = loss;
                    if let Some(r) = rate {
                        s.steps_per_s = r;
                    }
                });
            }
            Ok(Err(incident)) => {
                self.paused = true;
                self.pending_steps = 0;
                let step = self.session.step_count();
                self.publish_status(|s| {
                    s.incident = Some(incident);
                    s.paused = true;
                    s.step = step;
                });
            }
            Err(e) => {
                self.paused = true;
                self.publish_status(|s| {
                    s.error = Some(e.to_string());
                    s.paused = true;
                });
            }
        }
    }
}
