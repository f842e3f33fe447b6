//! Compare mode: run B beside run A, one change apart. B is its own pipeline (trainer →
//! projector → published state), made from A either from scratch (same seed and settings, the
//! changes applied; A starts over with it) or forked from A's exact state now. By default the
//! two trainers advance in lockstep (shown at the same step); the user can let them run free.
//! The neighbour agreement of the two embeddings is computed off the UI thread.

use super::command::AppCommand;
use super::embedding::RunView;
use crate::config::{Apply, Key, Knob, RunConfig, Setting};
use crate::metrics::agreement::{AGREEMENT_K, neighbour_agreement};
use crate::pipeline::Pipeline;
use crate::projection::Layouts;
use crate::train::{Command, LockstepSide, Published, Snapshot};
use std::sync::Arc;
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

/// Run B and what the app keeps of it.
pub struct Comparison {
    pub pipeline: Pipeline,
    pub published: Arc<Published>,
    pub layouts: Option<Arc<Layouts>>,
    pub view: RunView,
    /// B's config as the controls know it.
    pub config: RunConfig,
    /// B's settings that differ from A's.
    pub changes: Vec<Setting>,
    /// The step B forked from A at; `None` when both started from scratch.
    pub fork_at: Option<usize>,
    /// A's end and B's end of the lockstep.
    pub lockstep: (LockstepSide, LockstepSide),
    pub agreement: Agreement,
}

impl Comparison {
    /// "B: stop_gradient = false (forked at step 100)".
    pub fn label(&self) -> String {
        crate::cli::compare::difference_label(&self.changes, self.fork_at)
    }

    /// Whether `setting` is one B keeps different from A (a knob change then acts on A only).
    pub fn keeps_own(&self, setting: &Setting) -> bool {
        self.changes.iter().any(|c| c.key() == setting.key())
    }

    /// Take what B published since the last frame (never waits).
    pub fn poll(&mut self) {
        let view = self.pipeline.view();
        let run_changed = view.published.status.run_id != self.published.status.run_id;
        if let Some(config) = &view.published.status.config
            && (run_changed || view.published.status.error.is_some())
        {
            self.config = config.clone();
        }
        self.published = view.published;
        if view.layouts.is_some() || run_changed {
            self.layouts = view.layouts;
        }
    }

    pub fn send(&self, command: Command) {
        self.pipeline.send(command);
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
            && !per.is_empty()
        {
            let mean = per.iter().sum::<f64>() / per.len() as f64;
            // A restarted pair starts its series again.
            self.series.retain(|(s, _)| *s < step);
            self.series.push((step, mean));
            self.per_sample = per;
        }
        let (Some(a), Some(b)) = (a, b) else {
            return;
        };
        if self.job.is_some() || a.step != b.step || self.last_step == Some(a.step) {
            return;
        }
        let (a, b) = (Arc::clone(a), Arc::clone(b));
        let step = a.step;
        let job = std::thread::Builder::new()
            .name("agreement".into())
            .spawn(move || neighbour_agreement(&a.z, a.dim, &b.z, b.dim, AGREEMENT_K));
        // Without a thread there is simply no agreement this time.
        if let Ok(job) = job {
            self.job = Some((step, job));
            self.last_step = Some(step);
        }
    }
}

/// The Compare menu: start a comparison, or, during one, lockstep, colours and the end.
pub fn menu(
    ui: &mut egui::Ui,
    comparison: Option<&Comparison>,
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
                ui.label(crate::cli::compare::difference_label(&changes, None));
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
