//! The desktop app: a run's pipeline (trainer → projector, see [`crate::pipeline`]) steered
//! live from egui. One file per panel; this one owns the runtime parts (the pipeline, caches)
//! and the saved state.
//!
//! The UI never waits on training: each frame it takes the run's newest published state and
//! layouts (an `Arc` each) and sends commands; both threads wake it with `request_repaint`.

pub mod command;
pub mod compare;
pub mod controls;
pub mod embedding;
pub mod files;
pub mod forces;
pub mod lesson_card;
pub mod loss_view;
pub mod pacing;
pub mod plots;
pub mod preview;
pub mod stats;
pub mod status;
pub mod timeline;
pub mod trace;

use crate::config::{RunConfig, Setting};
use crate::pipeline::Pipeline;
use crate::projection::projector::TsneView;
use crate::projection::{Layouts, PcaLayout};
use crate::train::{Command, DeviceChoice, History, Published, Session, Status, device};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// What the app remembers between launches (eframe storage).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub config: RunConfig,
    pub view: embedding::ViewState,
    pub controls: controls::Controls,
    /// Paths of the File menu's windows.
    pub paths: files::Paths,
    /// Lessons make their change by themselves at its step.
    pub autoplay: bool,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            // Snapshots often enough that the picture moves smoothly.
            config: RunConfig {
                snapshot_every: 5,
                ..RunConfig::default()
            },
            view: embedding::ViewState::default(),
            controls: controls::Controls::default(),
            paths: files::Paths::default(),
            autoplay: true,
        }
    }
}

/// How the app starts.
#[derive(Clone, Debug)]
pub struct AppOptions {
    pub device: DeviceChoice,
    /// Ignore the saved state (tests, `--fresh`).
    pub fresh: bool,
    pub config: Option<RunConfig>,
    /// Start paused (tests and screenshots of step 0).
    pub paused: bool,
    /// Who renders the window: `None` picks (wgpu on a real GPU, else glow).
    pub renderer: Option<eframe::Renderer>,
    /// Start this lesson at once.
    pub lesson: Option<String>,
    /// Compare with run B, these settings changed (from scratch).
    pub compare: Vec<Setting>,
    /// Append a line of frames/s, steps/s and memory to this file every 10 s.
    pub stats: Option<std::path::PathBuf>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            device: DeviceChoice::Auto,
            fresh: false,
            config: None,
            paused: false,
            renderer: None,
            lesson: None,
            compare: Vec::new(),
            stats: None,
        }
    }
}

pub struct LabApp {
    pub state: AppState,
    pipeline: Option<Pipeline>,
    startup_error: Option<String>,
    /// Something the user should know that is not an error (e.g. unreadable saved state).
    notice: Option<String>,
    /// What the run published, as of this frame (status, snapshot and history of one run).
    published: Arc<Published>,
    /// The newest layouts of the same run.
    layouts: Option<Arc<Layouts>>,
    /// The run's embedding view (its points' glide, the picked point).
    run_view: embedding::RunView,
    files: files::Files,
    /// The lesson whose card is shown.
    lesson: Option<&'static str>,
    /// The window renders with wgpu and the WGSL point renderer is installed.
    gpu_points: bool,
    frame_clock: (Instant, u32, f64),
    /// `--stats FILE`: the long-run log.
    stats: Option<stats::StatsLog>,
    /// For what the app asks of egui outside a frame (screenshots).
    ctx: egui::Context,
    /// What a second run needs: the training device and the waker of the first.
    device: Option<crate::train::TrainDevice>,
    waker: crate::pipeline::SharedWaker,
    /// Run B, when comparing.
    compare: Option<compare::Comparison>,
    compare_dialog: compare::CompareDialog,
    /// A fork of run A on its way from A's trainer, with B's changes and the lockstep pair.
    pending_fork: Option<PendingFork>,
    /// The probe sample under the pointer in either embedding view.
    hovered: Option<usize>,
    /// The t-SNE layouts the projector published for this run, by the step they were fitted
    /// to (the timeline shows the latest one at or before its step).
    tsne_history: Vec<(usize, Arc<TsneView>)>,
    /// The abandoned branch's view (beside run A when the timeline asks), and its frame.
    branch_view: embedding::RunView,
    branch_frame: Option<(usize, Arc<Published>, Arc<Layouts>)>,
    /// The class's prediction for the lesson's question.
    lesson_answer: Option<usize>,
    pub timeline: timeline::Timeline,
    /// What the timeline shows when it is not live: run A's (and B's) recorded state at its
    /// cursor, with the layouts of that snapshot.
    scrub: Option<Scrub>,
    /// A recorded run opened from a file: the views and plots show it, training is paused.
    pub replayed: Option<crate::recorded::RecordedRun>,
}

/// A run's recorded state at the timeline's cursor.
struct Scrub {
    run_id: u64,
    step: usize,
    a: (Arc<Published>, Arc<Layouts>),
    b: Option<(Arc<Published>, Arc<Layouts>)>,
}

struct PendingFork {
    session: std::sync::mpsc::Receiver<Box<Session>>,
    changes: Vec<Setting>,
    lockstep: (crate::train::LockstepSide, crate::train::LockstepSide),
}

/// One run as a frame sees it: what it published, its layouts, and its config as the app's
/// controls show it.
pub struct RunFrame<'a> {
    pub published: &'a Published,
    pub layouts: Option<&'a Layouts>,
    pub config: &'a RunConfig,
}

impl RunFrame<'_> {
    pub fn pca(&self) -> Option<&PcaLayout> {
        self.layouts
            .and_then(|l| l.pca.as_ref())
            .and_then(|r| r.as_ref().ok())
    }

    pub fn sphere(&self) -> Option<&crate::projection::SphereLayout> {
        self.layouts
            .and_then(|l| l.sphere.as_ref())
            .and_then(|r| r.as_ref().ok())
    }
}

const STATE_KEY: &str = "contrastive-lab-state";

/// t-SNE layouts kept for the timeline: at most this many, and at most
/// [`TSNE_HISTORY_BYTES`] of points (thinned evenly beyond, the newest kept).
const MAX_TSNE_LAYOUTS: usize = 2000;
const TSNE_HISTORY_BYTES: usize = 16 << 20;

/// DejaVu Sans (shipped in `assets/fonts`, free licence beside it) as the last fallback: egui's
/// bundled fonts lack the glyphs of the formulas the hover texts show (ẑ, ‖·‖, ᵢ, ⱼ, ₖ, ●).
fn install_fallback_font(ctx: &egui::Context) {
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| egui::epaint::text::InsertFontFamily {
            family,
            priority: egui::epaint::text::FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(egui::epaint::text::FontInsert::new(
        "DejaVuSans",
        egui::FontData::from_static(include_bytes!("../../assets/fonts/DejaVuSans.ttf")),
        families,
    ));
}

/// The state saved by the last session, or the defaults with a notice when it cannot be read
/// (a newer or older format, a hand-edited file).
fn saved_state(storage: &dyn eframe::Storage) -> (AppState, Option<String>) {
    match (
        eframe::get_value::<AppState>(storage, STATE_KEY),
        storage.get_string(STATE_KEY),
    ) {
        (Some(state), _) => (state, None),
        (None, None) => (AppState::default(), None),
        (None, Some(_)) => (
            AppState::default(),
            Some(
                "The saved app state could not be read; the app started from the defaults.".into(),
            ),
        ),
    }
}

pub use command::{AppCommand, config_for_method};

impl LabApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let (mut state, mut notice) = match cc.storage.filter(|_| !options.fresh) {
            Some(storage) => saved_state(storage),
            None => (AppState::default(), None),
        };
        if let Some(config) = options.config {
            state.config = config;
        }
        // A saved config from an older or hand-edited store may be invalid: start from defaults.
        if let Err(e) = state.config.validate() {
            state.config = AppState::default().config;
            notice = Some(format!(
                "The saved settings were invalid ({e}); the app started from the defaults."
            ));
        }
        install_fallback_font(&cc.egui_ctx);
        // With OpenGL (the renderer without a real GPU, where Mesa's llvmpipe rasterises on
        // the CPU and a frame's fragments are most of its cost) the panels paint no background
        // of their own: they cover the whole window, so the window's clear colour is theirs
        // (`clear_color`), and each frame has one full-window layer of fragments fewer.
        if cc.gl.is_some() {
            cc.egui_ctx
                .all_styles_mut(|s| s.visuals.panel_fill = egui::Color32::TRANSPARENT);
        }
        let ctx = cc.egui_ctx.clone();
        pacing::install(&ctx);
        let waker: crate::pipeline::SharedWaker = Arc::new(move || pacing::request_frame(&ctx));
        let gpu_points = match cc.wgpu_render_state.as_ref() {
            Some(rs) => {
                crate::render::points::install(rs);
                true
            }
            None => false,
        };
        let device = training_device(cc, options.device);
        let (pipeline, startup_error) = match device
            .as_ref()
            .map_err(|e| crate::error::LabError::Device(e.to_string()))
            .and_then(|d| Session::new(state.config.clone(), d.clone()))
            .and_then(|s| Pipeline::start(s, options.paused, Some(Arc::clone(&waker))))
        {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut app = Self {
            state,
            pipeline,
            startup_error,
            notice,
            published: Arc::default(),
            layouts: None,
            run_view: embedding::RunView::default(),
            files: files::Files::default(),
            lesson: None,
            gpu_points,
            frame_clock: (Instant::now(), 0, 0.0),
            stats: options
                .stats
                .clone()
                .and_then(|p| stats::StatsLog::create(p).ok()),
            ctx: cc.egui_ctx.clone(),
            device: device.ok(),
            waker,
            compare: None,
            compare_dialog: compare::CompareDialog::default(),
            pending_fork: None,
            hovered: None,
            branch_view: embedding::RunView::default(),
            branch_frame: None,
            tsne_history: Vec::new(),
            lesson_answer: None,
            timeline: timeline::Timeline::default(),
            scrub: None,
            replayed: None,
        };
        if let Some(id) = &options.lesson {
            app.start_lesson(id);
        }
        if !options.compare.is_empty() {
            app.start_comparison(options.compare, false);
        }
        app
    }

    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// The run's state as published for this frame.
    pub fn published(&self) -> &Published {
        &self.published
    }

    pub fn status(&self) -> &Status {
        &self.published.status
    }

    pub fn history(&self) -> &History {
        &self.published.history
    }

    pub fn frames_per_second(&self) -> f64 {
        self.frame_clock.2
    }

    /// Change one setting: locally at once when valid (the control shows it), and in the
    /// trainer at its next step, which logs the event or, for an invalid value, reports the
    /// error the banner shows.
    pub fn set_setting(&mut self, setting: Setting) {
        self.apply(AppCommand::Set(setting));
    }

    /// Run B, when comparing.
    pub fn comparison(&self) -> Option<&compare::Comparison> {
        self.compare.as_ref()
    }

    /// `f` of run A's recording: the opened file's, or the live run's.
    pub fn with_recording<R>(&self, f: impl FnOnce(&crate::train::Recording) -> R) -> Option<R> {
        match (&self.replayed, &self.pipeline) {
            (Some(r), _) => Some(f(&r.recording)),
            (None, Some(p)) => Some(f(&p.recording())),
            (None, None) => None,
        }
    }

    /// The steps run A recorded, oldest first.
    pub fn recorded_steps(&self) -> Vec<usize> {
        self.with_recording(|r| r.steps()).unwrap_or_default()
    }

    /// Open a recorded run: training pauses, and the views, plots and timeline show the file's
    /// run (from its first step) until the recording is closed. A bad file changes nothing.
    pub fn open_recording(&mut self, path: &std::path::Path) -> Result<String, String> {
        let run = crate::recorded::RecordedRun::load(path).map_err(|e| e.to_string())?;
        let config = run.final_config().map_err(|e| e.to_string())?;
        let (Some(first), Some(last)) = (run.recording.first(), run.recording.last()) else {
            return Err(format!(
                "{}: the recording holds no snapshot",
                path.display()
            ));
        };
        let (first, last) = (first.step, Arc::clone(last));
        self.end_comparison();
        self.send(Command::Pause);
        let mut history = crate::train::History::default();
        for s in run.recording.snapshots() {
            let event = run.events.iter().any(|e| e.step == s.step);
            history.push(crate::train::MetricsRow::of(s), event);
        }
        let published = Published {
            status: Status {
                step: last.step,
                paused: true,
                device: format!("recording {}", path.display()),
                config: Some(config.clone()),
                events: run.events.clone(),
                class_names: run.class_names.clone(),
                // Another run for every cache keyed on it.
                run_id: self.published.status.run_id.wrapping_add(1 << 32),
                ..Status::default()
            },
            snapshot: Some(Arc::clone(&last)),
            history,
            ..Published::default()
        };
        let (_, layouts) = scrubbed(&published, None, last);
        self.state.config = config;
        self.published = Arc::new(published);
        self.layouts = Some(layouts);
        let message = format!(
            "opened {} ({} snapshots, steps {first}–{}): drag the timeline or replay it; File → Close the recording returns to training",
            path.display(),
            run.recording.len(),
            self.published.status.step
        );
        self.replayed = Some(run);
        self.timeline.cursor = Some(first);
        Ok(message)
    }

    /// Back from a recording to the paused training run.
    pub fn close_recording(&mut self) {
        self.replayed = None;
        if let Some(c) = self
            .pipeline
            .as_ref()
            .and_then(|p| p.published().status.config.clone())
        {
            self.state.config = c;
        }
        self.timeline.live();
        self.scrub = None;
        // The next poll takes the run's state again.
        self.published = Arc::default();
    }

    /// The step the views show when the timeline is not live.
    pub fn shown_step(&self) -> Option<usize> {
        self.scrub.as_ref().map(|s| s.step)
    }

    /// Follow a running replay, and fetch the recorded state at the cursor (once per step).
    fn update_scrub(&mut self) {
        // A running replay moves the cursor; past the end (unless looping) it stops there.
        let replayed = self
            .with_recording(|rec| {
                let seconds = self.timeline.replay_seconds(|s| rec.time_at(s))?;
                let end = rec.times().last().copied().unwrap_or(0.0);
                if seconds > end && self.timeline.loop_range.is_none() {
                    return Some((true, rec.last().map(|s| s.step)));
                }
                Some((false, rec.step_at_time(seconds).map(|s| s.floor() as usize)))
            })
            .flatten();
        if let Some((ended, step)) = replayed {
            if step.is_some() {
                self.timeline.cursor = step;
            }
            if ended {
                self.timeline.stop();
            }
        }
        let Some(cursor) = self.timeline.cursor else {
            self.scrub = None;
            return;
        };
        let Some(snap) = self.with_recording(|rec| rec.at(cursor).cloned()).flatten() else {
            self.scrub = None;
            return;
        };
        let run_id = self.published.status.run_id;
        if self
            .scrub
            .as_ref()
            .is_some_and(|s| s.run_id == run_id && s.step == snap.step)
        {
            return;
        }
        let mut a = scrubbed(&self.published, self.layouts.as_deref(), snap);
        // t-SNE: the layout fitted to this step, or the latest before it.
        let i = self.tsne_history.partition_point(|(s, _)| *s <= a.1.step);
        if let Some((_, t)) = i.checked_sub(1).and_then(|i| self.tsne_history.get(i)) {
            Arc::make_mut(&mut a.1).tsne = Some(Ok((**t).clone()));
        }
        let b = self.compare.as_ref().and_then(|b| {
            let snap = b.pipeline.recording().at(cursor).cloned()?;
            Some(scrubbed(&b.published, b.layouts.as_deref(), snap))
        });
        self.scrub = Some(Scrub {
            run_id,
            step: a.1.step,
            a,
            b,
        });
    }

    /// Run A's embedding view.
    pub fn run_view(&self) -> &embedding::RunView {
        &self.run_view
    }

    /// The probe sample under the pointer in either embedding view.
    pub fn hovered(&self) -> Option<usize> {
        self.hovered
    }

    /// Do what a button, menu item or key asked for.
    pub fn apply(&mut self, command: AppCommand) {
        // An opened recording does not train: play replays it, and it cannot be rewound.
        let command = match command {
            AppCommand::TogglePlay if self.replayed.is_some() => {
                AppCommand::TimelineReplay(!self.timeline.replaying())
            }
            AppCommand::ContinueFromHere(_) | AppCommand::StepOnce | AppCommand::Reset
                if self.replayed.is_some() =>
            {
                self.files.message = Some(Err(
                    "this is a recording: File → Close the recording returns to training".into(),
                ));
                return;
            }
            other => other,
        };
        match &command {
            AppCommand::OpenCompare => self.compare_dialog.open_for(&self.state.config),
            AppCommand::StartComparison { changes, fork } => {
                self.start_comparison(changes.clone(), *fork)
            }
            AppCommand::Lockstep(on) => {
                if let Some(c) = &self.compare {
                    c.lockstep.0.set_free(!on);
                }
            }
            AppCommand::EndComparison => self.end_comparison(),
            AppCommand::CompareLesson(id) => self.compare_lesson(id),
            AppCommand::CloseLesson => self.lesson = None,
            AppCommand::TimelineSeek(step) => {
                self.timeline.cursor = Some(*step);
                self.timeline.stop();
            }
            AppCommand::TimelineNudge(by) => {
                let steps = self.recorded_steps();
                self.timeline.nudge(&steps, *by);
            }
            AppCommand::TimelineHome => {
                let steps = self.recorded_steps();
                self.timeline.home(&steps);
            }
            AppCommand::TimelineLive | AppCommand::ContinueFromHere(_) => self.timeline.live(),
            AppCommand::TimelineReplay(on) => {
                if *on {
                    let cursor = self.timeline.cursor;
                    let (steps, from) = self
                        .with_recording(|rec| {
                            let start = cursor.or_else(|| rec.first().map(|s| s.step)).unwrap_or(0);
                            (rec.steps(), rec.time_at(start).unwrap_or(0.0))
                        })
                        .unwrap_or_default();
                    if self.timeline.cursor.is_none() {
                        self.timeline.cursor = steps.first().copied();
                    }
                    self.timeline.play(from);
                } else {
                    self.timeline.stop();
                }
            }
            // A new experiment ends the comparison.
            AppCommand::SwitchMethod(_) | AppCommand::StartLesson(_) => self.end_comparison(),
            _ => {}
        }
        match &command {
            AppCommand::StepOnce if embedding::plays_slowly(&self.state.view) => {
                let seconds = self.state.view.slow_seconds;
                let step = self.status().step;
                self.run_view.arm_slow_motion(step, seconds);
            }
            AppCommand::StartLesson(id) => self.start_lesson(id),
            AppCommand::ReseedLayout => {
                if let Some(p) = &self.pipeline {
                    p.reseed_layout();
                }
            }
            AppCommand::SavePlot { name, rect } => {
                self.request_shot(files::Shot::Plot(name.clone(), *rect));
            }
            _ => {}
        }
        let paused = self.status().paused;
        let seed = self.state.controls.seed_input;
        // Play, pause, step and reset act on both runs; a knob on both, unless it is one B
        // keeps different.
        if let Some(b) = &mut self.compare {
            let for_b = match &command {
                AppCommand::Set(s) => !b.keeps_own(s),
                _ => true,
            };
            if for_b {
                for c in command.for_run(&mut b.config, paused, seed) {
                    b.send(c);
                }
            }
            if command == AppCommand::Reset {
                // Both start over: B is now A with its changes from step 0.
                b.fork_at = None;
            }
        }
        for c in command.for_run(&mut self.state.config, paused, seed) {
            self.send(c);
        }
    }

    /// Start run B: from scratch (A starts over beside it) or forked from A now.
    fn start_comparison(&mut self, changes: Vec<Setting>, fork: bool) {
        self.end_comparison();
        let lockstep = crate::train::Lockstep::pair();
        if fork {
            let (tx, rx) = std::sync::mpsc::channel();
            self.send(Command::Fork(crate::train::Reply(tx)));
            // A holds at this step until B joins it.
            self.send(Command::Lockstep(Some(lockstep.0.clone())));
            self.pending_fork = Some(PendingFork {
                session: rx,
                changes,
                lockstep,
            });
            return;
        }
        let mut config = self.state.config.clone();
        let made = changes
            .iter()
            .try_for_each(|c| config.apply(c.clone()).map(|_| ()))
            .and_then(|_| self.session_for_b(config));
        match made {
            Ok(session) => {
                let seed = self.state.config.seed;
                self.send(Command::Reset { seed });
                self.send(Command::Lockstep(Some(lockstep.0.clone())));
                self.launch_b(session, changes, None, lockstep);
            }
            Err(e) => self.files.message = Some(Err(format!("run B could not start: {e}"))),
        }
    }

    fn session_for_b(&self, config: RunConfig) -> crate::error::Result<Session> {
        let device = self.device.clone().ok_or_else(|| {
            crate::error::LabError::Device("no training device for a second run".into())
        })?;
        Session::new(config, device)
    }

    /// B's pipeline, paused until it is in lockstep with A.
    fn launch_b(
        &mut self,
        session: Session,
        changes: Vec<Setting>,
        fork_at: Option<usize>,
        lockstep: (crate::train::LockstepSide, crate::train::LockstepSide),
    ) {
        let config = session.config().clone();
        match Pipeline::start(session, true, Some(Arc::clone(&self.waker))) {
            Ok(pipeline) => {
                // A fork's t-SNE begins where A's is, so the two begin alike.
                let a_tsne = self
                    .layouts
                    .as_ref()
                    .and_then(|l| l.tsne.as_ref())
                    .and_then(|t| t.as_ref().ok());
                if let Some(t) = a_tsne.filter(|_| fork_at.is_some()) {
                    pipeline.start_layout_from(t.points.clone());
                }
                pipeline.send(Command::Lockstep(Some(lockstep.1.clone())));
                if !self.status().paused {
                    pipeline.send(Command::Resume);
                }
                let b = compare::Comparison {
                    published: pipeline.published(),
                    pipeline,
                    layouts: None,
                    view: embedding::RunView::default(),
                    config,
                    changes,
                    fork_at,
                    lockstep,
                    agreement: compare::Agreement::default(),
                };
                self.compare = Some(b);
            }
            Err(e) => {
                self.send(Command::Lockstep(None));
                self.files.message = Some(Err(format!("run B could not start: {e}")));
            }
        }
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
        let lockstep = crate::train::Lockstep::pair();
        self.state.config = a.config.clone();
        self.send(Command::Load(Box::new(a.clone())));
        self.send(Command::Lockstep(Some(lockstep.0.clone())));
        self.launch_b(session, spec.changes, spec.fork_at, lockstep);
        Ok(())
    }

    /// Drop run B (its threads stop); A trains on freely.
    pub fn end_comparison(&mut self) {
        if self.compare.take().is_some() || self.pending_fork.take().is_some() {
            self.send(Command::Lockstep(None));
        }
    }

    /// A fork asked for may have arrived: apply B's changes to it and start B.
    fn receive_fork(&mut self) {
        let Some(pending) = &self.pending_fork else {
            return;
        };
        let arrived = match pending.session.try_recv() {
            Ok(session) => session,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.end_comparison();
                return;
            }
        };
        let Some(PendingFork {
            changes, lockstep, ..
        }) = self.pending_fork.take()
        else {
            return;
        };
        let mut session = *arrived;
        let at = session.step_count();
        let applied = changes
            .iter()
            .try_for_each(|c| session.set(c.clone()).map(|_| ()));
        match applied {
            Ok(()) => self.launch_b(session, changes, Some(at), lockstep),
            Err(e) => {
                self.send(Command::Lockstep(None));
                self.files.message = Some(Err(format!("run B could not start: {e}")));
            }
        }
    }

    pub fn send(&self, command: Command) {
        if let Some(p) = &self.pipeline {
            p.send(command);
        }
    }

    /// Take what the runs published since the last frame (never waits: one `Arc` each).
    fn poll(&mut self) {
        if self.replayed.is_some() {
            return;
        }
        self.receive_fork();
        if let Some(b) = &mut self.compare {
            b.pipeline
                .configure_projection(self.state.view.projector_settings());
            b.poll();
            b.agreement.update(
                self.published.snapshot.as_ref(),
                b.published.snapshot.as_ref(),
            );
        }
        self.poll_a();
    }

    fn poll_a(&mut self) {
        let Some(p) = &self.pipeline else {
            return;
        };
        p.configure_projection(self.state.view.projector_settings());
        let view = p.view();
        let run_changed = view.published.status.run_id != self.published.status.run_id;
        // Keep the controls honest when the trainer rejected a value, or changed one itself
        // (a scripted change of a scenario or lesson).
        let status = &view.published.status;
        let new_events = status.events.len() != self.published.status.events.len();
        if (status.error.is_some() || new_events || run_changed)
            && let Some(config) = &status.config
        {
            self.state.config = config.clone();
        }
        self.published = view.published;
        // The projector may be swapping its output right now (then it answers None): keep the
        // layouts of this run we already have.
        if view.layouts.is_some() || run_changed {
            self.layouts = view.layouts;
        }
        if run_changed {
            self.tsne_history.clear();
        }
        // Keep each t-SNE layout the projector publishes, for the timeline (t-SNE has no map
        // for a recorded snapshot it was not fitted on).
        if let Some(l) = &self.layouts
            && let Some(Ok(t)) = &l.tsne
            && !t.exaggerating
            && self.tsne_history.last().is_none_or(|(s, _)| *s < t.step)
        {
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
    }

    /// The run as this frame sees it.
    pub fn run_frame(&self) -> RunFrame<'_> {
        RunFrame {
            published: &self.published,
            layouts: self.layouts.as_deref(),
            config: &self.state.config,
        }
    }

    /// The current run's PCA, if the embedding has one.
    pub fn pca(&self) -> Option<&PcaLayout> {
        self.layouts
            .as_ref()
            .and_then(|l| l.pca.as_ref())
            .and_then(|r| r.as_ref().ok())
    }

    pub fn layouts(&self) -> Option<&Layouts> {
        self.layouts.as_deref()
    }

    /// The optimizer step being played in slow motion, if one is.
    pub fn slow_move(&self) -> Option<&embedding::SlowMove> {
        self.run_view.slow_move()
    }

    /// Whether the last frame drew the embedding with the WGSL point renderer.
    pub fn drew_gpu_points(&self) -> bool {
        self.run_view.drew_gpu_points()
    }

    fn tick_frame_clock(&mut self) {
        let (start, frames, fps) = &mut self.frame_clock;
        *frames += 1;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= 1.0 {
            *fps = *frames as f64 / elapsed;
            *start = Instant::now();
            *frames = 0;
        }
        if let Some(log) = self.stats.as_mut().filter(|l| l.due()) {
            let status = &self.published.status;
            let sample = stats::Sample {
                step: status.step,
                steps_per_s: status.steps_per_s,
                frames_per_s: self.frame_clock.2,
                history_rows: self.published.history.len(),
                tsne_ms_per_iter: self
                    .layouts
                    .as_ref()
                    .and_then(|l| l.tsne.as_ref()?.as_ref().ok())
                    .map_or(f64::NAN, |t| t.ms_per_iter),
            };
            if log.write(&sample).is_err() {
                self.stats = None;
            }
        }
    }
}

/// Run A as the views show it this frame: recorded at the timeline's cursor (`scrub`), or live.
fn shown_frame<'a>(
    scrub: Option<&'a Scrub>,
    published: &'a Published,
    layouts: Option<&'a Layouts>,
    config: &'a RunConfig,
) -> RunFrame<'a> {
    let (published, layouts) = match scrub {
        Some(s) => (&*s.a.0, Some(&*s.a.1)),
        None => (published, layouts),
    };
    RunFrame {
        published,
        layouts,
        config,
    }
}

/// `live` with its snapshot replaced by the recorded `snap`, and that snapshot's layouts
/// (PCA and the sphere view oriented like the live ones; t-SNE follows training only).
fn scrubbed(
    live: &Published,
    layouts: Option<&Layouts>,
    snap: Arc<crate::train::Snapshot>,
) -> (Arc<Published>, Arc<Layouts>) {
    let ok = |l: Option<&Layouts>| -> (Option<PcaLayout>, Option<crate::projection::SphereLayout>) {
        let Some(l) = l else {
            return (None, None);
        };
        (
            l.pca.as_ref().and_then(|r| r.as_ref().ok()).cloned(),
            l.sphere.as_ref().and_then(|r| r.as_ref().ok()).cloned(),
        )
    };
    let (pca_prev, sphere_prev) = ok(layouts);
    let (pca, sphere) = crate::projection::projector::linear_layouts(
        &snap,
        pca_prev.as_ref(),
        sphere_prev.as_ref(),
    );
    let recorded = Layouts {
        run_id: live.status.run_id,
        step: snap.step,
        labels: snap.labels.clone(),
        pca: Some(pca),
        pca_ms: 0.0,
        sphere: Some(sphere),
        tsne: Some(Err(
            "no t-SNE layout was fitted up to this step (t-SNE is recorded while its view is open)"
                .into(),
        )),
    };
    let published = Published {
        snapshot: Some(snap),
        ..live.clone()
    };
    (Arc::new(published), Arc::new(recorded))
}

impl LabApp {
    /// Run A's embedding view; in a comparison, A's and B's side by side, aligned, with the
    /// hovered sample ringed in both.
    fn embedding_views(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let run = shown_frame(
            self.scrub.as_ref(),
            &self.published,
            self.layouts.as_deref(),
            &self.state.config,
        );
        let scrub_b = self.scrub.as_ref().and_then(|s| s.b.clone());
        if self.compare.is_none()
            && self.timeline.show_branch
            && let Some(frame) = self.branch_frame.clone()
        {
            return self.beside_branch(ui, frame);
        }
        let view = &self.state.view;
        let gpu = self.gpu_points;
        let Some(b) = &mut self.compare else {
            let out = self
                .run_view
                .ui(ui, view, &run, gpu, embedding::Link::default());
            self.hovered = out.hovered;
            return out.commands;
        };
        let shade = (view.colour_by_agreement && !b.agreement.per_sample.is_empty())
            .then_some(b.agreement.per_sample.as_slice());
        let (b_published, b_layouts) = match &scrub_b {
            Some((p, l)) => (&**p, Some(&**l)),
            None => (&*b.published, b.layouts.as_deref()),
        };
        let b_run = RunFrame {
            published: b_published,
            layouts: b_layouts,
            config: &b.config,
        };
        let label = b.label();
        let out = embedding::side_by_side(
            ui,
            view,
            gpu,
            self.hovered,
            embedding::Side {
                title: "A: this run",
                view: &mut self.run_view,
                run: &run,
                shade,
            },
            embedding::Side {
                title: &label,
                view: &mut b.view,
                run: &b_run,
                shade,
            },
        );
        self.hovered = out.hovered;
        out.commands
    }
}

impl LabApp {
    /// The abandoned branch's recorded state at the step run A shows (cached per step).
    fn update_branch_frame(&mut self) {
        let Some(branch) = self
            .published
            .branch
            .clone()
            .filter(|_| self.timeline.show_branch)
        else {
            self.branch_frame = None;
            return;
        };
        let shown = match &self.scrub {
            Some(s) => s.a.1.step,
            None => self.published.snapshot.as_ref().map_or(0, |s| s.step),
        };
        let Some(snap) = branch.recording.at(shown).cloned() else {
            self.branch_frame = None;
            return;
        };
        if self
            .branch_frame
            .as_ref()
            .is_some_and(|(step, ..)| *step == snap.step)
        {
            return;
        }
        let (published, layouts) = scrubbed(&self.published, self.layouts.as_deref(), snap);
        self.branch_frame = Some((layouts.step, published, layouts));
    }

    /// Run A beside the future its last rewind abandoned, at the same step, aligned.
    fn beside_branch(
        &mut self,
        ui: &mut egui::Ui,
        (_, published, layouts): (usize, Arc<Published>, Arc<Layouts>),
    ) -> Vec<AppCommand> {
        let run = shown_frame(
            self.scrub.as_ref(),
            &self.published,
            self.layouts.as_deref(),
            &self.state.config,
        );
        let from = self.published.branch.as_ref().map_or(0, |b| b.from);
        let branch_run = RunFrame {
            published: &published,
            layouts: Some(&layouts),
            config: &self.state.config,
        };
        let title = format!("the branch abandoned at step {from} (recorded)");
        let out = embedding::side_by_side(
            ui,
            &self.state.view,
            self.gpu_points,
            self.hovered,
            embedding::Side {
                title: "this run",
                view: &mut self.run_view,
                run: &run,
                shade: None,
            },
            embedding::Side {
                title: &title,
                view: &mut self.branch_view,
                run: &branch_run,
                shade: None,
            },
        );
        self.hovered = out.hovered;
        out.commands
    }

    /// The step of the branch's snapshot shown beside the run.
    pub fn branch_step(&self) -> Option<usize> {
        self.branch_frame.as_ref().map(|(step, ..)| *step)
    }

    /// The abandoned branch's view, when it is shown.
    pub fn branch_view(&self) -> Option<&embedding::RunView> {
        self.branch_frame.as_ref().map(|_| &self.branch_view)
    }
}

impl eframe::App for LabApp {
    /// The theme's panel colour: the panels themselves paint none (see `LabApp::new`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        let theme = if visuals.dark_mode {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        };
        theme.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        pacing::frame_started(ui.ctx());
        self.tick_frame_clock();
        self.poll();
        let ctx = ui.ctx().clone();
        let mut commands = command::from_keys(&ctx);
        self.receive_shot(ctx.pixels_per_point());
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                files::menu(ui, self);
                commands.extend(lesson_card::menu(ui, &mut self.state.autoplay));
                commands.extend(compare::menu(
                    ui,
                    self.compare.as_ref(),
                    &mut self.state.view,
                ));
            });
        });
        files::windows(&ctx, self);
        commands.extend(self.compare_dialog.ui(&ctx, &self.state.config));
        status::status_bar(ui, self);
        self.update_scrub();
        self.update_branch_frame();
        egui::Panel::bottom("timeline").show(ui, |ui| {
            let (steps, megabytes, dropped) = self
                .with_recording(|rec| (rec.steps(), rec.bytes() as f64 / 1e6, rec.dropped()))
                .unwrap_or_default();
            let events: Vec<(usize, String)> = self
                .status()
                .events
                .iter()
                .map(|e| (e.step, e.label()))
                .chain(
                    self.status()
                        .incident
                        .iter()
                        .map(|i| (i.restored_step, format!("incident: {i}"))),
                )
                .collect();
            let track = timeline::Track {
                steps: &steps,
                events: &events,
                megabytes,
                dropped,
                can_rewind: self.replayed.is_none(),
                branch_from: self.published.branch.as_ref().map(|b| b.from),
            };
            commands.extend(self.timeline.ui(ui, &track));
        });
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(280.0)
            .show(ui, |ui| {
                let paused = self.status().paused;
                commands.extend(self.state.controls.ui(ui, &self.state.config, paused));
            });
        egui::Panel::right("diagnostics")
            .resizable(true)
            .default_size(420.0)
            .show(ui, |ui| commands.extend(plots::panel(ui, self)));
        egui::CentralPanel::default().show(ui, |ui| {
            status::banner(ui, self);
            files::banner(ui, self);
            let mut answer = self.lesson_answer;
            commands.extend(lesson_card::card(ui, self, &mut answer));
            self.lesson_answer = answer;
            ui.horizontal(|ui| {
                use embedding::CentralTab;
                ui.selectable_value(&mut self.state.view.tab, CentralTab::Embedding, "Embedding");
                ui.selectable_value(
                    &mut self.state.view.tab,
                    CentralTab::LossView,
                    "What the loss sees",
                );
            });
            ui.separator();
            match self.state.view.tab {
                embedding::CentralTab::Embedding => {
                    let dim = self.published.snapshot.as_ref().map(|s| s.dim);
                    commands.extend(embedding::controls(
                        ui,
                        &mut self.state.view,
                        &self.state.config,
                        dim,
                        self.gpu_points,
                    ));
                    commands.extend(self.embedding_views(ui));
                }
                embedding::CentralTab::LossView => {
                    let run = shown_frame(
                        self.scrub.as_ref(),
                        &self.published,
                        self.layouts.as_deref(),
                        &self.state.config,
                    );
                    loss_view::view(ui, &mut self.state.view, &run);
                }
            }
        });
        for c in commands {
            self.apply(c);
        }
        // Keep animating while training (or replaying) even if no snapshot arrives this frame.
        if !self.status().paused || self.timeline.replaying() {
            pacing::request_frame(&ctx);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STATE_KEY, &self.state);
    }
}

/// The training device: with `auto` and a window rendered by wgpu on a real GPU (or with
/// `wgpu` and any wgpu window), Burn trains on the window's own device, and only the probe
/// embeddings travel back to the CPU, at snapshot time. Otherwise as `device::select`.
fn training_device(
    cc: &eframe::CreationContext<'_>,
    choice: DeviceChoice,
) -> crate::error::Result<crate::train::TrainDevice> {
    let share = cc.wgpu_render_state.as_ref().filter(|rs| match choice {
        DeviceChoice::Auto => device::AdapterSummary::of(&rs.adapter).is_real_gpu(),
        DeviceChoice::Wgpu => true,
        DeviceChoice::Cpu => false,
    });
    match share {
        Some(rs) => device::shared_with_window(
            rs.instance.clone(),
            rs.adapter.clone(),
            rs.device.clone(),
            rs.queue.clone(),
        )
        .or_else(|_| device::select(choice)),
        None => device::select(choice),
    }
}

/// The renderer: wgpu on a real GPU; glow (OpenGL) otherwise, which draws egui about 4× faster
/// than wgpu on a software Vulkan adapter (STACK.md: 208 vs 56 frames/s under Xvfb).
fn renderer() -> eframe::Renderer {
    if device::adapters().iter().any(|a| a.is_real_gpu()) {
        eframe::Renderer::Wgpu
    } else {
        eframe::Renderer::Glow
    }
}

/// Open the native window. `cargo run --release` lands here.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
    let mut setup = eframe::egui_wgpu::WgpuSetupCreateNew::without_display_handle();
    setup.device_descriptor = std::sync::Arc::new(device::full_device_descriptor);
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("contrastive-lab")
            .with_inner_size([1280.0, 800.0]),
        renderer: options.renderer.unwrap_or_else(renderer),
        // Ask the adapter for everything, so that the trainer can share the window's device.
        wgpu_options: eframe::egui_wgpu::WgpuConfiguration {
            wgpu_setup: eframe::egui_wgpu::WgpuSetup::CreateNew(setup),
            ..Default::default()
        },
        ..Default::default()
    };
    eframe::run_native(
        "contrastive-lab",
        native,
        Box::new(move |cc| Ok(Box::new(LabApp::new(cc, options)))),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "could not open the window: {e}\n(no display? `contrastive-lab run --help` trains headless)"
        )
    })
}
