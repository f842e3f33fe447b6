//! A run slot: one run the app shows (run A, run B of a comparison), over one pipeline.
//!
//! The slot is the only place the UI reads a run from, and the only way it talks to one:
//! - [`RunSlot::poll`] takes the newest published state and layouts (one `Arc` each, never
//!   waits), keeps the t-SNE layouts for the timeline, and follows the timeline's cursor.
//! - [`RunSlot::send`] numbers each command; a setting sent is *pending* until the trainer's
//!   published `status.handled` reaches its number.
//! - [`RunSlot::config`] is the trainer's published config with the pending changes made on it:
//!   the UI never keeps a config of its own, so a value the trainer rejected, or changed itself
//!   (a lesson's scripted change), shows as the trainer has it as soon as it publishes.

use super::RunFrame;
use super::embedding::RunView;
use super::scrub::{self, Scrub};
use crate::config::{RunConfig, Setting};
use crate::pipeline::{Pipeline, SharedWaker};
use crate::projection::projector::TsneView;
use crate::projection::{Layouts, ProjectorSettings};
use crate::recorded::RecordedRun;
use crate::run::Drive;
use crate::train::{Command, History, Published, Recording, Session, Status};
use std::sync::Arc;

/// t-SNE layouts kept for the timeline: at most this many, and at most
/// [`TSNE_HISTORY_BYTES`] of points (thinned evenly beyond, the newest kept).
const MAX_TSNE_LAYOUTS: usize = 2000;
const TSNE_HISTORY_BYTES: usize = 16 << 20;

/// A change sent to the trainer that its published config does not show yet.
#[derive(Clone, Debug)]
enum Pending {
    Set(Setting),
    /// A new config (a method switch, a scenario, a lesson).
    Replace(Box<RunConfig>),
}

impl Pending {
    fn of(command: &Command) -> Option<Self> {
        match command {
            Command::Set(s) => Some(Self::Set(s.clone())),
            Command::Replace(c) => Some(Self::Replace(c.clone())),
            Command::Load(s) => Some(Self::Replace(Box::new(s.config.clone()))),
            _ => None,
        }
    }
}

pub struct RunSlot {
    pipeline: Pipeline,
    /// What the run published, as of this frame (or the opened recording's state).
    published: Arc<Published>,
    /// The newest layouts of the same run.
    layouts: Option<Arc<Layouts>>,
    /// Changes sent and not yet taken by the trainer, with their command numbers.
    pending: Vec<(u64, Pending)>,
    /// The number of the last command sent to the trainer (0: none yet).
    last_sent: u64,
    /// The published config with the pending changes made: what the controls show.
    shown: RunConfig,
    /// The projector settings last sent (sent again only when they change).
    projection: Option<ProjectorSettings>,
    /// The t-SNE layouts the projector published for this run, by the step they were fitted
    /// to (the timeline shows the latest one at or before its step).
    tsne_history: Vec<(usize, Arc<TsneView>)>,
    /// The run's recorded state at the timeline's cursor, when the timeline is not live.
    scrub: Scrub,
    /// A recorded run opened from a file: the slot shows it instead of the live run, whose
    /// trainer stays paused.
    replayed: Option<RecordedRun>,
    /// The run's embedding view (its points' glide, the picked point).
    pub view: RunView,
}

impl RunSlot {
    /// Start a pipeline on `session`, training unless `paused`, driven by `drive`.
    pub fn start(
        session: Session,
        paused: bool,
        waker: SharedWaker,
        drive: Drive,
    ) -> crate::error::Result<Self> {
        let shown = session.config().clone();
        let pipeline = Pipeline::driven(drive, session, paused, Some(waker))?;
        Ok(Self {
            published: pipeline.published(),
            pipeline,
            layouts: None,
            pending: Vec::new(),
            last_sent: 0,
            shown,
            projection: None,
            tsne_history: Vec::new(),
            scrub: Scrub::default(),
            replayed: None,
            view: RunView::default(),
        })
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The run as a recording: its start config and changes as the scenario, every snapshot.
    pub fn recorded_run(&self) -> Result<RecordedRun, String> {
        let recording = self.pipeline().recording().clone();
        let status = self.status();
        let config = self.config().clone();
        let mut scenario = crate::scenario::Scenario::from_run(&config, &status.events)
            .map_err(|e| e.to_string())?;
        scenario.title = crate::methods::run_title(&config);
        let probe = self.published().probe.clone();
        Ok(RecordedRun {
            scenario,
            events: status.events.clone(),
            class_names: status.class_names.clone(),
            probe_indices: probe
                .as_ref()
                .map(|p| p.indices.clone())
                .unwrap_or_default(),
            n_reference: probe.as_ref().map_or(0, |p| p.n_reference),
            recording,
            others: Vec::new(),
        })
    }

    /// Send `command` to the trainer. A setting or a new config shows in [`Self::config`] at
    /// once, as pending, until the trainer publishes that it took the command.
    pub fn send(&mut self, command: Command) {
        let pending = Pending::of(&command);
        let number = self.pipeline.send(command);
        self.last_sent = number;
        if let Some(p) = pending {
            self.pending.push((number, p));
            self.refresh_config();
        }
    }

    /// The config as the controls show it: the trainer's, with the changes it has not yet
    /// taken made on it (an invalid one is not made: the trainer's error will say why).
    pub fn config(&self) -> &RunConfig {
        &self.shown
    }

    /// The number of the last command sent to the trainer: its state reflects that command
    /// once `status().handled` reaches it.
    pub fn last_sent(&self) -> u64 {
        self.last_sent
    }

    /// Whether a change sent is still waiting for the trainer.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn refresh_config(&mut self) {
        let handled = self.published.status.handled;
        self.pending.retain(|(n, _)| *n > handled);
        let mut config = match &self.published.status.config {
            Some(c) => c.clone(),
            None => self.shown.clone(),
        };
        for (_, p) in &self.pending {
            match p {
                Pending::Set(s) => {
                    let _ = config.apply(s.clone());
                }
                Pending::Replace(c) => config = (**c).clone(),
            }
        }
        self.shown = config;
    }

    /// Take what the run published since the last frame (never waits), send the projector
    /// the view's settings when they changed, and follow the timeline's `cursor` (`None`:
    /// live). Returns whether the run started over.
    pub fn poll(&mut self, projection: ProjectorSettings, cursor: Option<usize>) -> bool {
        if self.projection != Some(projection) {
            self.pipeline.configure_projection(projection);
            self.projection = Some(projection);
        }
        let mut run_changed = false;
        if self.replayed.is_none() {
            let view = self.pipeline.view();
            run_changed = view.published.status.run_id != self.published.status.run_id;
            self.published = view.published;
            // The projector may be swapping its output right now (then it answers None): keep
            // the layouts of this run we already have.
            if view.layouts.is_some() || run_changed {
                self.layouts = view.layouts;
            }
            if run_changed {
                self.tsne_history.clear();
                self.scrub = Scrub::default();
            }
            self.keep_tsne();
            self.refresh_config();
        }
        self.follow_cursor(cursor);
        run_changed
    }

    /// Keep each t-SNE layout the projector publishes, for the timeline (t-SNE has no map for
    /// a recorded snapshot it was not fitted on).
    fn keep_tsne(&mut self) {
        let Some(Ok(t)) = self.layouts.as_ref().and_then(|l| l.tsne.as_ref()) else {
            return;
        };
        if t.exaggerating || self.tsne_history.last().is_some_and(|(s, _)| *s >= t.step) {
            return;
        }
        // Only the t-SNE points: the PCA and sphere layouts of a recorded step are refitted.
        self.tsne_history.push((t.step, Arc::new(t.clone())));
        let bytes = t.points.len().max(1) * std::mem::size_of::<[f32; 2]>();
        if self.tsne_history.len() > MAX_TSNE_LAYOUTS.min(TSNE_HISTORY_BYTES / bytes).max(2) {
            // Evenly thinned, the newest kept.
            let mut i = 0;
            self.tsne_history.retain(|_| {
                i += 1;
                i % 2 == 0
            });
        }
    }

    /// The t-SNE layout fitted to `step`, or the latest before it.
    pub fn tsne_at(&self, step: usize) -> Option<Arc<TsneView>> {
        let i = self.tsne_history.partition_point(|(s, _)| *s <= step);
        i.checked_sub(1)
            .and_then(|i| self.tsne_history.get(i))
            .map(|(_, t)| Arc::clone(t))
    }

    /// Show the recorded snapshot at `cursor` (laid out by the projector thread), or live.
    fn follow_cursor(&mut self, cursor: Option<usize>) {
        let snap = cursor.and_then(|c| self.with_recording(|rec| rec.at(c).cloned()).flatten());
        let Some(snap) = snap else {
            self.scrub = Scrub::default();
            return;
        };
        let tsne = self.tsne_at(snap.step);
        scrub::follow(
            &mut self.scrub,
            scrub::RUN_KEY,
            &self.pipeline,
            (&self.published, self.layouts.as_deref()),
            snap,
            tsne,
        );
    }

    /// The run as the views show it this frame: recorded at the timeline's cursor, or live.
    pub fn frame(&self) -> RunFrame<'_> {
        shown_frame(self.scrub.shown.as_ref(), self.live_frame())
    }

    /// [`Self::frame`], and the view that draws it.
    pub fn frame_mut(&mut self) -> (RunFrame<'_>, &mut RunView) {
        let live = RunFrame {
            published: &self.published,
            layouts: self.layouts.as_deref(),
            config: &self.shown,
        };
        (shown_frame(self.scrub.shown.as_ref(), live), &mut self.view)
    }

    /// The run's newest state, whatever the timeline shows.
    pub fn live_frame(&self) -> RunFrame<'_> {
        RunFrame {
            published: &self.published,
            layouts: self.layouts.as_deref(),
            config: &self.shown,
        }
    }

    /// The step the views show when the timeline is not live.
    pub fn shown_step(&self) -> Option<usize> {
        self.scrub.step()
    }

    pub fn published(&self) -> &Arc<Published> {
        &self.published
    }

    pub fn status(&self) -> &Status {
        &self.published.status
    }

    pub fn history(&self) -> &History {
        &self.published.history
    }

    pub fn layouts(&self) -> Option<&Arc<Layouts>> {
        self.layouts.as_ref()
    }

    /// `f` of the slot's recording: the opened file's, or the live run's.
    pub fn with_recording<R>(&self, f: impl FnOnce(&Recording) -> R) -> Option<R> {
        match &self.replayed {
            Some(r) => Some(f(&r.recording)),
            None => Some(f(&self.pipeline.recording())),
        }
    }

    /// The recorded run the slot shows instead of training, if one is open.
    pub fn replayed(&self) -> Option<&RecordedRun> {
        self.replayed.as_ref()
    }

    /// Show `run` (its state as of its last snapshot, `published`) instead of the live run;
    /// the caller pauses the trainer.
    pub fn show_recording(&mut self, run: RecordedRun, published: Published) {
        self.published = Arc::new(published);
        self.layouts = None;
        self.pending.clear();
        self.scrub = Scrub::default();
        self.tsne_history.clear();
        self.replayed = Some(run);
        self.refresh_config();
    }

    /// Back from a recording to the live run (the next poll takes its state again).
    pub fn close_recording(&mut self) {
        if self.replayed.take().is_some() {
            self.published = Arc::default();
            self.layouts = None;
            self.scrub = Scrub::default();
        }
    }
}

/// The recorded frame when the timeline shows one, else `live` (whose config it keeps).
fn shown_frame<'a>(recorded: Option<&'a scrub::RecordedFrame>, live: RunFrame<'a>) -> RunFrame<'a> {
    match recorded {
        Some(f) => RunFrame {
            published: &f.published,
            layouts: Some(&f.layouts),
            config: live.config,
        },
        None => live,
    }
}
