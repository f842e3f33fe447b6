//! `Session`: one experiment in progress, synchronous and deterministic. The headless CLI drives
//! it directly; the app's worker thread wraps it. It owns the config, data, probe, learner and
//! every RNG, so the same config and seed give the same numbers.

use super::device::TrainDevice;
use crate::config::{Apply, Key, RunConfig, Setting};
use crate::data::stream::BatchStream;
use crate::data::{self, Probe, Source};
use crate::error::{LabError, Result};
use crate::methods::Probed;
use crate::methods::{Learner, tensor2, to_vec};
use crate::metrics::diagnostics::{self, ProbeEmbeddings};
use crate::run::snapshot::{Event, FORCE_SAMPLES, PairSimilarity, Snapshot};
use crate::scenario::{Scenario, ScriptStep};
use burn::module::Module;
use std::sync::Arc;

/// A non-finite loss that was caught: training paused, the last finite state restored.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub step: usize,
    pub cause: String,
    pub restored_step: usize,
}

impl std::fmt::Display for Incident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {}: {}; restored the last finite state (step {}) and paused",
            self.step, self.cause, self.restored_step
        )
    }
}

pub struct Session {
    config: RunConfig,
    device: TrainDevice,
    source: Arc<dyn Source>,
    /// Fixed for the run: forks (checkpoints, run B) share it.
    probe: Arc<Probe>,
    learner: Learner,
    batches: BatchStream,
    step: usize,
    events: Vec<Event>,
    /// Losses since the last snapshot.
    recent_losses: Vec<f64>,
    /// The last state known to be healthy, and its step.
    checkpoint: (Learner, usize),
    /// A snapshot's state awaiting confirmation: the next step that checks the weights shows
    /// that the updates which produced it did not diverge; only then is it the checkpoint.
    pending_checkpoint: Option<(Learner, usize)>,
    /// The loss of the initial weights, measured before the first step.
    initial_loss: Option<f64>,
    /// Timed changes still to apply (a scenario's script), sorted by step.
    script: Vec<ScriptStep>,
}

impl Session {
    pub fn new(config: RunConfig, device: TrainDevice) -> Result<Self> {
        config.validate()?;
        let source = data::build(&config)?;
        Ok(Self::with_source(config, device, source))
    }

    /// A session on a dataset built elsewhere (e.g. an image folder).
    pub fn with_source(config: RunConfig, device: TrainDevice, source: Arc<dyn Source>) -> Self {
        let probe = Arc::new(Probe::build(
            source.as_ref(),
            config.probe_size,
            config.seed,
            config.augment_strength as f32,
        ));
        let learner = Learner::new(&config, source.as_ref(), &device.device);
        Self {
            batches: BatchStream::new(source.len(), config.seed),
            checkpoint: (learner.clone(), 0),
            pending_checkpoint: None,
            learner,
            probe,
            source,
            device,
            config,
            step: 0,
            events: Vec::new(),
            recent_losses: Vec::new(),
            initial_loss: None,
            script: Vec::new(),
        }
    }

    /// A session that replays `scenario`: its config, and its script applied at its steps.
    pub fn from_scenario(scenario: &Scenario, device: TrainDevice) -> Result<Self> {
        let mut s = Self::new(scenario.config.clone(), device)?;
        s.set_script(scenario.script.clone());
        Ok(s)
    }

    /// Timed changes to apply as training reaches their steps (sorted here).
    pub fn set_script(&mut self, mut script: Vec<ScriptStep>) {
        script.sort_by_key(|s| s.step);
        self.script = script;
    }

    /// The changes not yet applied.
    pub fn script(&self) -> &[ScriptStep] {
        &self.script
    }

    /// Apply every scripted change due at the current step (each logged as an event); returns
    /// the keys changed. [`Session::step`] calls it; a caller that reacts to changes (the
    /// trainer thread) calls it first.
    pub fn apply_script(&mut self) -> Result<Vec<Key>> {
        let mut applied = Vec::new();
        while let Some(next) = self.script.first().filter(|s| s.step <= self.step) {
            let setting = next.setting.clone();
            self.script.remove(0);
            applied.push(setting.key());
            self.set(setting)?;
        }
        Ok(applied)
    }

    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    pub fn step_count(&self) -> usize {
        self.step
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn device(&self) -> &TrainDevice {
        &self.device
    }

    pub fn source(&self) -> &Arc<dyn Source> {
        &self.source
    }

    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    pub fn learner(&self) -> &Learner {
        &self.learner
    }

    fn batch_settings(&self) -> (usize, f32) {
        (self.config.batch_size, self.config.augment_strength as f32)
    }

    fn next_batch(&mut self) -> data::Batch {
        let (size, strength) = self.batch_settings();
        self.batches.next(self.source.as_ref(), size, strength)
    }

    /// One training step. `Ok(Err(incident))` when the loss was not finite: the learner is
    /// back at its last finite state and the caller should pause.
    pub fn step(&mut self) -> Result<std::result::Result<f64, Incident>> {
        self.apply_script()?;
        let (size, strength) = self.batch_settings();
        let batch = self.next_batch();
        // The next step's batch is drawn meanwhile, or right after.
        let (learner, config, step) = (&mut self.learner, &self.config, self.step);
        let result =
            self.batches
                .while_drawing_next(self.source.as_ref(), (size, strength), || {
                    learner.step(&batch, config, step)
                });
        let ok = match result? {
            Ok(ok) => ok,
            Err(cause) => {
                let incident = Incident {
                    step: self.step + 1,
                    cause: format!(
                        "{cause}, with lr = {} ({})",
                        self.config.lr, self.config.method
                    ),
                    restored_step: self.checkpoint.1,
                };
                self.learner = self.checkpoint.0.clone();
                self.step = self.checkpoint.1;
                self.recent_losses.clear();
                self.pending_checkpoint = None;
                return Ok(Err(incident));
            }
        };
        let loss = ok.loss;
        if ok.weights_checked
            && let Some(confirmed) = self.pending_checkpoint.take()
        {
            self.checkpoint = confirmed;
        }
        if self.step == 0 && self.initial_loss.is_none() {
            self.initial_loss = Some(loss);
        }
        self.step += 1;
        self.recent_losses.push(loss);
        Ok(Ok(loss))
    }

    /// Embed the probe and compute every diagnostic. Also proposes the current state as the
    /// checkpoint a later divergence restores (confirmed by the next healthy step).
    pub fn snapshot(&mut self) -> Result<Snapshot> {
        let snap = self.look()?;
        self.recent_losses.clear();
        if snap.diagnostics.std.is_finite() && snap.z.iter().all(|v| v.is_finite()) {
            self.pending_checkpoint = Some((self.learner.clone(), self.step));
        }
        Ok(snap)
    }

    /// A snapshot that changes nothing of the run (the loss mean goes on, no checkpoint is
    /// proposed): what a rewind shows at a step the run took no snapshot at.
    pub fn look(&self) -> Result<Snapshot> {
        let loss = if self.recent_losses.is_empty() {
            self.initial_loss.unwrap_or(f64::NAN)
        } else {
            self.recent_losses.iter().sum::<f64>() / self.recent_losses.len() as f64
        };

        let net = self.learner.online.valid();
        let device = self.learner.inference_device();
        let bn = self.config.projector_norm();
        let n = self.probe.n;
        let (h, z) = net.embed(tensor2(&self.probe.inputs, n, &device), bn);
        let (_, z_a) = net.embed(tensor2(&self.probe.view_a, n, &device), bn);
        let paired = self.source.caption_dim() > 0;
        let z_b = if paired {
            net.embed_text(tensor2(&self.probe.view_b, n, &device), bn)
                .1
        } else {
            net.embed(tensor2(&self.probe.view_b, n, &device), bn).1
        };
        let (h, z, z_a, z_b) = (to_vec(h)?, to_vec(z)?, to_vec(z_a)?, to_vec(z_b)?);
        let d = self.config.out_dim;
        let f = h.len() / n.max(1);
        let diagnostics = diagnostics::compute(&ProbeEmbeddings {
            z: &z,
            z_a: &z_a,
            z_b: &z_b,
            d,
            h: &h,
            f,
            labels: &self.probe.labels,
            n_reference: self.probe.n_reference,
        });
        let probed = Probed {
            learner: &self.learner,
            config: &self.config,
            probe: &self.probe,
            h: &h,
            z: &z,
            z_a: &z_a,
            z_b: &z_b,
            step: self.step,
            loss,
        };
        let extras = (crate::methods::spec(self.config.method).measure)(&probed)?;
        Ok(Snapshot {
            step: self.step,
            loss,
            diagnostics,
            extras: extras.numbers,
            prototypes: extras.prototypes,
            prompts: extras.prompts,
            z,
            dim: d,
            pairs: PairSimilarity::of(&z_a, &z_b, d, &self.probe.labels),
            view_a: z_a[..(FORCE_SAMPLES * d).min(z_a.len())].to_vec(),
            view_b: z_b[..(FORCE_SAMPLES * d).min(z_b.len())].to_vec(),
            forces: extras.forces,
            labels: self.probe.labels.clone(),
        })
    }

    /// Measure the initial loss (before any update) so the step-0 snapshot has one.
    pub fn measure_initial_loss(&mut self) -> Result<f64> {
        if let Some(l) = self.initial_loss {
            return Ok(l);
        }
        let batch = self.next_batch();
        let loss = self.learner.loss_only(&batch, &self.config)?;
        self.initial_loss = Some(loss);
        Ok(loss)
    }

    /// Change one setting. Live settings apply at the next step; shape-changing ones rebuild
    /// the network and data with the current seed. Every change is logged as an event.
    /// On error nothing changes.
    pub fn set(&mut self, setting: Setting) -> Result<Event> {
        let key = setting.key();
        let mut next = self.config.clone();
        let old = next.apply(setting)?;
        let new = next.get(key);
        if key.spec().apply == Apply::Rebuild && old != new {
            self.rebuild(next)?;
        } else {
            self.config = next;
            self.learner.on_change(key, &self.config);
        }
        let event = Event {
            step: self.step,
            old,
            new,
        };
        self.events.push(event.clone());
        Ok(event)
    }

    /// Run B of a comparison, forked from this one now: the exact training state (weights,
    /// optimizer, teacher, queue, centre), the data order and augmentation RNG (the batch drawn
    /// ahead is drawn again, the same), the events and what is left of the script; the data and
    /// the probe are shared. With no change it trains on bit for bit as this one does.
    pub fn fork(&self) -> Session {
        Session {
            config: self.config.clone(),
            device: self.device.clone(),
            source: Arc::clone(&self.source),
            probe: Arc::clone(&self.probe),
            learner: self.learner.fork(),
            batches: self.batches.without_ahead(),
            step: self.step,
            events: self.events.clone(),
            recent_losses: self.recent_losses.clone(),
            checkpoint: (self.checkpoint.0.fork(), self.checkpoint.1),
            pending_checkpoint: self
                .pending_checkpoint
                .as_ref()
                .map(|(l, s)| (l.fork(), *s)),
            initial_loss: self.initial_loss,
            script: self.script.clone(),
        }
    }

    /// The run as it was at `target`, from `checkpoint` (a fork of it taken at an earlier
    /// step): trained on deterministically, every change it made after the checkpoint up to
    /// `target` replayed at its step (`events`, by hand or scripted, as they were logged; the
    /// checkpoint's script beyond `target` stays ahead), and a snapshot taken at each of
    /// `snapshot_steps` as the run did (a snapshot starts a new loss mean). Continuing it with
    /// no change reproduces the run bit for bit.
    pub fn rewound(
        checkpoint: &Session,
        events: &[Event],
        target: usize,
        snapshot_steps: &[usize],
    ) -> Result<Session> {
        let mut s = Self::replaying(checkpoint, events, target)?;
        s.replay_to(target, snapshot_steps, None)?;
        // Changes logged at `target` itself were made after its step: make them now, as then.
        s.apply_script()?;
        Ok(s)
    }

    /// A fork of `checkpoint` ready to replay to `target` with [`Session::replay_to`]: its
    /// script is every change of `events` after the checkpoint up to `target`, then the
    /// checkpoint's own script beyond `target`.
    pub fn replaying(checkpoint: &Session, events: &[Event], target: usize) -> Result<Session> {
        let mut s = checkpoint.fork();
        let from = s.step;
        if target < from {
            return Err(LabError::invalid(
                "rewind",
                target,
                format!("the checkpoint is at step {from}, after it"),
            ));
        }
        let replayed = events
            .iter()
            .filter(|e| e.step >= from && e.step <= target)
            .map(|e| ScriptStep {
                step: e.step,
                setting: e.new.clone(),
            });
        let ahead = s.script.iter().filter(|e| e.step > target).cloned();
        let script = replayed.chain(ahead).collect();
        s.set_script(script);
        Ok(s)
    }

    /// Train on towards `target`, a snapshot taken at each of `snapshot_steps` (sorted) as the
    /// run did, until `target` (then returns `true`; the changes logged at `target` itself are
    /// still to make, [`Session::apply_script`]) or, when a `deadline` is given, until it
    /// passes (returns `false`: call again to go on). A replay never diverges where its run did
    /// not: a non-finite loss is an error.
    pub fn replay_to(
        &mut self,
        target: usize,
        snapshot_steps: &[usize],
        deadline: Option<web_time::Instant>,
    ) -> Result<bool> {
        while self.step < target {
            if let Err(incident) = self.step()? {
                return Err(LabError::Diverged(incident.to_string()));
            }
            if snapshot_steps.binary_search(&self.step).is_ok() {
                self.snapshot()?;
            }
            if deadline.is_some_and(|d| web_time::Instant::now() >= d) && self.step < target {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Start over with `seed`: new data order, augmentation and initial weights; step 0.
    pub fn reset(&mut self, seed: u64) -> Result<()> {
        let mut config = self.config.clone();
        config.seed = seed;
        let mut fresh = Session::new(config, self.device.clone())?;
        // The config keeps every change made so far (as it always has); of a scenario's
        // script, only the changes still ahead carry over.
        fresh.script = std::mem::take(&mut self.script);
        *self = fresh;
        Ok(())
    }

    /// Replace the whole config (a loaded scenario): a fresh session, step 0.
    pub fn replace(&mut self, config: RunConfig) -> Result<()> {
        let fresh = Session::new(config, self.device.clone())?;
        *self = fresh;
        Ok(())
    }

    fn rebuild(&mut self, config: RunConfig) -> Result<()> {
        config.validate()?;
        let source = if data::reusable(self.source.as_ref(), &self.config, &config) {
            self.source.clone()
        } else {
            data::build(&config)?
        };
        if source.is_empty() {
            return Err(LabError::Dataset("the dataset has no samples".into()));
        }
        let mut fresh = Session::with_source(config, self.device.clone(), source);
        fresh.step = self.step;
        fresh.events = std::mem::take(&mut self.events);
        fresh.script = std::mem::take(&mut self.script);
        fresh.checkpoint.1 = self.step;
        *self = fresh;
        Ok(())
    }
}
