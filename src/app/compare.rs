//! Compare mode: run B beside run A, one change apart. B is its own pipeline (trainer →
//! projector → published state), made from A either from scratch (same seed and settings, the
//! changes applied; A starts over with it) or forked from A's exact state now. By default the
//! two trainers advance in lockstep (shown at the same step); the user can let them run free.
//! The neighbour agreement of the two embeddings is computed off the UI thread.

use super::LabApp;
use super::command::AppCommand;
use super::run_slot::RunSlot;
use crate::config::{Apply, Key, Knob, RunConfig, Setting};
use crate::metrics::agreement::{AGREEMENT_K, neighbour_agreement};
use crate::train::{Command, Lockstep, LockstepSide, Reply, Session, Snapshot};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;

/// How run B is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    /// Same seed and settings but the changes, both from step 0.
    #[default]
    Scratch,
    /// A's exact state at the current step, the changes applied from there.
    ForkNow,
}

/// What relates run B (slot 1) to run A (slot 0).
pub struct Comparison {
    /// B's settings that differ from A's.
    pub changes: Vec<Setting>,
    /// The step B forked from A at; `None` when both started from scratch.
    pub fork_at: Option<usize>,
    /// A's end and B's end of the lockstep.
    pub lockstep: (LockstepSide, LockstepSide),
    pub agreement: Agreement,
    /// A's fork on its way from A's trainer (B's slot starts when it arrives).
    forking: Option<Receiver<Box<Session>>>,
}

impl Comparison {
    /// A recorded comparison's: B shows its recording beside A's (nothing trains, so the
    /// lockstep holds nobody).
    pub fn recorded(changes: Vec<Setting>, fork_at: Option<usize>) -> Self {
        Self {
            changes,
            fork_at,
            lockstep: Lockstep::pair(),
            agreement: Agreement::default(),
            forking: None,
        }
    }

    /// "B: stop_gradient = false (forked at step 100)".
    pub fn label(&self) -> String {
        crate::scenario::difference_label(&self.changes, self.fork_at)
    }

    /// Whether `setting` is one B keeps different from A (a knob change then acts on A only).
    pub fn keeps_own(&self, setting: &Setting) -> bool {
        self.changes.iter().any(|c| c.key() == setting.key())
    }
}

/// Neighbour agreement of A's and B's newest snapshots at the same step, per sample and as
/// its mean over steps. One computation at a time on its own thread (n² · d work: ≈ 20 ms at
/// the app's 1000 × 32, too much for the UI thread at every snapshot).
#[derive(Default)]
pub struct Agreement {
    /// Per probe sample, of the newest computed pair.
    pub per_sample: Vec<f64>,
    /// (step, mean over the probe).
    pub series: Vec<(usize, f64)>,
    job: Option<(usize, JoinHandle<Vec<f64>>)>,
    last_step: Option<usize>,
}

impl Agreement {
    /// Start a computation for `a` and `b` when they are of the same step, newer than the last
    /// one, and none is running; collect a finished one.
    pub fn update(&mut self, a: Option<&Arc<Snapshot>>, b: Option<&Arc<Snapshot>>) {
        if self.job.as_ref().is_some_and(|(_, j)| j.is_finished())
            && let Some((step, job)) = self.job.take()
            && let Ok(per) = job.join()
        {
            self.record(step, per);
        }
        let (Some(a), Some(b)) = (a, b) else {
            return;
        };
        if self.job.is_some() || a.step != b.step || self.last_step == Some(a.step) {
            return;
        }
        let (a, b) = (Arc::clone(a), Arc::clone(b));
        let step = a.step;
        if cfg!(target_arch = "wasm32") {
            // A page has one thread: computed in the frame, every few snapshots only.
            if self
                .last_step
                .is_some_and(|s| step > s && step < s + WEB_AGREEMENT_EVERY)
            {
                return;
            }
            self.last_step = Some(step);
            self.record(
                step,
                neighbour_agreement(&a.z, a.dim, &b.z, b.dim, AGREEMENT_K),
            );
            return;
        }
        let job = std::thread::Builder::new()
            .name("agreement".into())
            .spawn(move || neighbour_agreement(&a.z, a.dim, &b.z, b.dim, AGREEMENT_K));
        // Without a thread there is simply no agreement this time.
        if let Ok(job) = job {
            self.job = Some((step, job));
            self.last_step = Some(step);
        }
    }

    /// The agreement `per` sample of the pair at `step`.
    fn record(&mut self, step: usize, per: Vec<f64>) {
        if per.is_empty() {
            return;
        }
        let mean = per.iter().sum::<f64>() / per.len() as f64;
        // A restarted pair starts its series again.
        self.series.retain(|(s, _)| *s < step);
        self.series.push((step, mean));
        self.per_sample = per;
    }
}

/// In the browser, the agreement is computed at most every this many steps (≈ 20 ms each, in
/// the frame).
const WEB_AGREEMENT_EVERY: usize = 50;

/// The Compare menu: start a comparison or a sweep, or, during one, lockstep, colours and the
/// end.
pub fn menu(
    ui: &mut egui::Ui,
    comparison: Option<&Comparison>,
    sweep: Option<&super::sweep::SweepRuns>,
    view: &mut super::embedding::ViewState,
) -> Vec<AppCommand> {
    let mut out = Vec::new();
    ui.menu_button("Compare", |ui| {
        if ui
            .button("Compare…")
            .on_hover_text("train run B beside this run, one change apart")
            .clicked()
        {
            out.push(AppCommand::OpenCompare);
            ui.close();
        }
        if ui
            .button("Sweep…")
            .on_hover_text("train one run per value of a setting (2–8 values, 1–3 seeds each), side by side: small multiples and the metric-versus-value curve")
            .clicked()
        {
            out.push(AppCommand::OpenSweep);
            ui.close();
        }
        if let Some(s) = sweep {
            ui.separator();
            let mut lockstep = !s.lockstep_free();
            let (label, hover) = match s.queue {
                Some(_) => ("queue", "one run after another, each at full speed; off: all train at once, each at its own pace"),
                None => ("lockstep", "show every run at the same step (the faster wait); off: each trains at its own pace"),
            };
            if ui
                .checkbox(&mut lockstep, label)
                .on_hover_text(hover)
                .changed()
            {
                out.push(AppCommand::Lockstep(lockstep));
            }
            if ui.button("End sweep (keep the first run)").clicked() {
                out.push(AppCommand::EndSweep);
                ui.close();
            }
        }
        let Some(b) = comparison else {
            return;
        };
        ui.separator();
        let mut lockstep = !b.lockstep.0.is_free();
        if ui
            .checkbox(&mut lockstep, "lockstep")
            .on_hover_text("show both runs at the same step (the faster waits); off: each trains at its own pace")
            .changed()
        {
            out.push(AppCommand::Lockstep(lockstep));
        }
        ui.checkbox(&mut view.colour_by_agreement, "colour by neighbour agreement")
            .on_hover_text("each sample's share of nearest neighbours (k = 10, cosine) the two runs have in common: where the change reshaped the embedding");
        if ui.button("End comparison (keep A)").clicked() {
            out.push(AppCommand::EndComparison);
            ui.close();
        }
    });
    out
}

/// The "Compare…" window: how B is made and what differs in it.
#[derive(Default)]
pub struct CompareDialog {
    pub open: bool,
    origin: Origin,
    /// A copy of A's config the user edits into B's.
    draft: Option<RunConfig>,
}

impl CompareDialog {
    pub fn open_for(&mut self, a: &RunConfig) {
        self.open = true;
        self.draft = Some(a.clone());
    }

    pub fn ui(&mut self, ctx: &egui::Context, a: &RunConfig) -> Vec<AppCommand> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        let mut open = true;
        let draft = self.draft.get_or_insert_with(|| a.clone());
        egui::Window::new("Compare…")
            .open(&mut open)
            .default_width(340.0)
            .show(ctx, |ui| {
                ui.label("Run B trains beside this run (A), one change apart.");
                ui.radio_value(&mut self.origin, Origin::Scratch, "from scratch")
                    .on_hover_text("same seed, same data and (when the network keeps its shape) the same initial weights; A starts over with B");
                ui.radio_value(&mut self.origin, Origin::ForkNow, "forked now")
                    .on_hover_text("B starts from A's exact state at this step: weights, optimizer, teacher, queue, centre, data order");
                ui.separator();
                ui.label("B's settings (change one or more):");
                let fork = self.origin == Origin::ForkNow;
                let knobs: Vec<Knob> = crate::methods::knobs(a.method)
                    .iter()
                    .copied()
                    .chain(
                        [Key::Lr, Key::BatchSize, Key::AugmentStrength, Key::OutDim, Key::ProjectorBn, Key::Optimizer]
                            .into_iter()
                            .map(Knob::new),
                    )
                    .collect();
                for knob in knobs {
                    // A fork keeps the network: settings that rebuild it cannot differ.
                    let enabled = !fork || knob.key.spec().apply == Apply::Live;
                    let changed = ui
                        .add_enabled_ui(enabled, |ui| super::controls::widget(ui, draft, knob))
                        .inner;
                    if let Some(setting) = changed {
                        let _ = draft.apply(setting);
                    }
                }
                let changes = differences(a, draft);
                ui.separator();
                ui.label(crate::scenario::difference_label(&changes, None));
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!changes.is_empty(), egui::Button::new("Start comparison"))
                        .clicked()
                    {
                        out.push(AppCommand::StartComparison {
                            changes: changes.clone(),
                            fork,
                        });
                    }
                    if ui.button("reset B to A").clicked() {
                        *draft = a.clone();
                    }
                });
            });
        if !open || !out.is_empty() {
            self.open = false;
            self.draft = None;
        }
        out
    }
}

/// The settings of `b` that differ from `a`'s, in declaration order.
pub fn differences(a: &RunConfig, b: &RunConfig) -> Vec<Setting> {
    Key::ALL
        .iter()
        .filter(|k| a.get(**k) != b.get(**k))
        .map(|k| b.get(*k))
        .collect()
}

impl LabApp {
    /// Start run B: from scratch (A starts over beside it) or forked from A now.
    pub(super) fn start_comparison(&mut self, changes: Vec<Setting>, fork: bool) {
        self.end_comparison();
        let Some(a) = self.slots.first_mut() else {
            return;
        };
        let lockstep = Lockstep::pair();
        if fork {
            let (tx, rx) = std::sync::mpsc::channel();
            a.send(Command::Fork(Reply(tx)));
            // A holds at this step until B joins it.
            a.send(Command::Lockstep(Some(lockstep.0.clone())));
            self.compare = Some(Comparison {
                changes,
                fork_at: None,
                lockstep,
                agreement: Agreement::default(),
                forking: Some(rx),
            });
            return;
        }
        let mut config = a.config().clone();
        let made = changes
            .iter()
            .try_for_each(|c| config.apply(c.clone()).map(|_| ()))
            .and_then(|_| self.session_for_b(config));
        match made {
            Ok(session) => {
                let seed = self.config().seed;
                let Some(a) = self.slots.first_mut() else {
                    return;
                };
                a.send(Command::Reset { seed });
                a.send(Command::Lockstep(Some(lockstep.0.clone())));
                self.launch_b(session, changes, None, lockstep);
            }
            Err(e) => self.comparison_failed(e),
        }
    }

    fn session_for_b(&self, config: RunConfig) -> crate::error::Result<Session> {
        let device = self.device.clone().ok_or_else(|| {
            crate::error::LabError::Device("no training device for a second run".into())
        })?;
        Session::new(config, device)
    }

    /// B's slot, paused until it is in lockstep with A.
    fn launch_b(
        &mut self,
        session: Session,
        changes: Vec<Setting>,
        fork_at: Option<usize>,
        lockstep: (LockstepSide, LockstepSide),
    ) {
        match RunSlot::start(session, true, Arc::clone(&self.waker), self.drive) {
            Ok(mut b) => {
                // A fork's t-SNE begins where A's is, so the two begin alike.
                let a_tsne = self
                    .layouts()
                    .and_then(|l| l.tsne.as_ref())
                    .and_then(|t| t.as_ref().ok());
                if let Some(t) = a_tsne.filter(|_| fork_at.is_some()) {
                    b.pipeline().start_layout_from(t.points.clone());
                }
                b.send(Command::Lockstep(Some(lockstep.1.clone())));
                if !self.status().paused {
                    b.send(Command::Resume);
                }
                self.slots.truncate(1);
                self.slots.push(b);
                self.compare = Some(Comparison {
                    changes,
                    fork_at,
                    lockstep,
                    agreement: Agreement::default(),
                    forking: None,
                });
            }
            Err(e) => self.comparison_failed(e),
        }
    }

    /// B could not start: A trains on alone, and the banner says why.
    fn comparison_failed(&mut self, e: impl std::fmt::Display) {
        self.compare = None;
        self.slots.truncate(1);
        if let Some(a) = self.slots.first_mut() {
            a.send(Command::Lockstep(None));
        }
        self.files.message = Some(Err(format!("run B could not start: {e}")));
    }

    /// Compare from step 0: run A replays `a`, run B replays it with `spec`'s changes, made
    /// from the start or, with `fork_at`, scripted at that step (the same seed makes B exactly
    /// A's fork there). Lessons and comparison scenarios start this way.
    pub fn compare_scenario(
        &mut self,
        a: &crate::scenario::Scenario,
        spec: crate::scenario::CompareSpec,
    ) -> crate::error::Result<()> {
        self.end_comparison();
        let mut b = a.clone();
        b.compare = None;
        match spec.fork_at {
            Some(at) => {
                b.script
                    .extend(spec.changes.iter().map(|c| crate::scenario::ScriptStep {
                        step: at,
                        setting: c.clone(),
                    }));
                b.script.sort_by_key(|s| s.step);
            }
            None => {
                for c in &spec.changes {
                    b.config.apply(c.clone())?;
                }
            }
        }
        let device = self.device.clone().ok_or_else(|| {
            crate::error::LabError::Device("no training device for a second run".into())
        })?;
        let session = Session::from_scenario(&b, device)?;
        let lockstep = Lockstep::pair();
        if let Some(slot) = self.slots.first_mut() {
            slot.send(Command::Load(Box::new(a.clone())));
            slot.send(Command::Lockstep(Some(lockstep.0.clone())));
        }
        self.launch_b(session, spec.changes, spec.fork_at, lockstep);
        Ok(())
    }

    /// Drop run B (its threads stop); A trains on freely.
    pub fn end_comparison(&mut self) {
        let had_b = self.slots.len() > 1;
        self.slots.truncate(1);
        if had_b {
            self.release.run_ended();
        }
        if (self.compare.take().is_some() || had_b)
            && let Some(a) = self.slots.first_mut()
        {
            a.send(Command::Lockstep(None));
        }
    }

    /// A fork asked for may have arrived: apply B's changes to it and start B.
    pub(super) fn receive_fork(&mut self) {
        let Some(rx) = self.compare.as_ref().and_then(|c| c.forking.as_ref()) else {
            return;
        };
        let arrived = match rx.try_recv() {
            Ok(session) => session,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                self.end_comparison();
                return;
            }
        };
        let Some(c) = self.compare.as_mut() else {
            return;
        };
        c.forking = None;
        let (changes, lockstep) = (c.changes.clone(), c.lockstep.clone());
        let mut session = *arrived;
        let at = session.step_count();
        let applied = changes
            .iter()
            .try_for_each(|c| session.set(c.clone()).map(|_| ()));
        match applied {
            Ok(()) => self.launch_b(session, changes, Some(at), lockstep),
            Err(e) => self.comparison_failed(e),
        }
    }
}
