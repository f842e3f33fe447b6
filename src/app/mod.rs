//! The desktop app. Every run it shows is a [`run_slot::RunSlot`] over one pipeline (trainer →
//! projector, see [`crate::pipeline`]): run A is slot 0, run B of a comparison slot 1, a
//! sweep's runs slots 0 to N − 1. Panels
//! read the slots and return [`AppCommand`]s; [`LabApp::apply`] carries them out after the
//! frame, in one place. The window itself (panels, menus, the frame clock) is [`window`].
//!
//! The UI never waits on training: each frame every slot takes its run's newest published state
//! and layouts (an `Arc` each); both threads wake it with `request_repaint`.

pub mod appearance;
pub mod apply;
pub mod command;
pub mod compare;
pub mod controls;
pub mod embedding;
pub mod file_field;
pub mod files;
pub mod forces;
pub mod lab_status;
pub mod lesson_card;
pub mod lesson_draft;
pub mod link;
pub mod loss_view;
pub mod pacing;
pub mod plots;
pub mod preview;
pub mod recovery;
pub mod replay;
pub mod run_slot;
pub mod scrub;
pub mod stats;
pub mod status;
pub mod sweep;
pub mod timeline;
pub mod tour;
pub mod trace;
pub mod window;

use crate::config::{RunConfig, Setting};
use crate::projection::{Layouts, PcaLayout};
use crate::train::{DeviceChoice, History, Published, Session, Status};
use run_slot::RunSlot;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use command::{AppCommand, config_for_method};
#[cfg(not(target_arch = "wasm32"))]
pub use window::run;

/// What the app remembers between launches (eframe storage).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    /// The config the next launch starts from: run A's, as its trainer published it, when the
    /// app was saved. While the app runs, the slots' configs are the truth.
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
    /// Sweep one setting (a run per value and seed) from the start: in lockstep, or queued
    /// (that many steps each).
    pub sweep: Option<(crate::sweep::SweepSpec, Option<usize>)>,
    /// Append a line of frames/s, steps/s and memory to this file every 10 s.
    pub stats: Option<std::path::PathBuf>,
    /// Open in presenter mode.
    pub present: bool,
    /// Play the lessons in turn by themselves (`--tour SECONDS`).
    pub tour: Option<tour::Tour>,
    /// Keep the run recoverable here (the app: its data folder; tests: a temporary one).
    pub recovery: Option<recovery::RecoveryOptions>,
    /// How the runs are driven: their own threads (the desktop), or each frame (the browser;
    /// tests of the frame drive).
    pub drive: crate::run::Drive,
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
            present: false,
            compare: Vec::new(),
            sweep: None,
            stats: None,
            tour: None,
            recovery: None,
            drive: crate::run::Drive::for_this_target(),
        }
    }
}

/// The lesson whose card is shown, the class's prediction for its question, and the lessons
/// opened from files this session (listed in the Lessons menu after the built-ins).
#[derive(Default)]
pub struct LessonState {
    pub lesson: Option<std::sync::Arc<crate::lessons::Lesson>>,
    pub answer: Option<usize>,
    pub opened: Vec<std::sync::Arc<crate::lessons::Lesson>>,
    /// The card being written in "Save this as a lesson…".
    pub draft: lesson_draft::LessonDraft,
}

pub struct LabApp {
    pub state: AppState,
    /// The runs shown: run A first, then run B when comparing. Empty only when the trainer
    /// could not start (`startup_error` says why).
    slots: Vec<RunSlot>,
    startup_error: Option<String>,
    /// Something the user should know that is not an error (e.g. unreadable saved state).
    notice: Option<String>,
    /// What a run shows before it has published anything (and when none could start).
    nothing: Published,
    files: files::Files,
    lesson: LessonState,
    /// The zoom and theme last set for the View menu's choices.
    appearance: appearance::Appearance,
    /// What relates run B to run A, while comparing (or while A's fork is on its way).
    compare: Option<compare::Comparison>,
    compare_dialog: compare::CompareDialog,
    /// The sweep shown: one run slot per value and seed (slot 0 is run A).
    sweep: Option<sweep::SweepRuns>,
    sweep_dialog: sweep::dialog::SweepDialog,
    /// The probe sample under the pointer in either embedding view.
    hovered: Option<usize>,
    /// The future run A's last rewind abandoned, beside run A when the timeline asks.
    branch: replay::BranchView,
    pub timeline: timeline::Timeline,
    /// The window's runtime parts: renderer, frame clock, stats log, egui context.
    window: window::Window,
    /// `--tour`: the next lesson, when it is due.
    tour: Option<tour::Tour>,
    /// Keeps the run recoverable; offers the run a crash left.
    recovery: Option<recovery::Keeper>,
    /// Hands a finished run's memory back to the system (a class switches lessons for hours).
    release: crate::train::allocator::Release,
    /// What a second run needs: the training device, the waker and the drive of the first.
    device: Option<crate::train::TrainDevice>,
    waker: crate::pipeline::SharedWaker,
    drive: crate::run::Drive,
    /// The link last shared, for the page's address bar ([`LabApp::take_shared_link`]).
    shared_link: Option<String>,
    /// When the last frame's share of the runs' work began (the frame drive's clock).
    last_frame: Option<web_time::Instant>,
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

impl LabApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let (state, notice) = match cc.storage.filter(|_| !options.fresh) {
            Some(storage) => window::saved_state(storage),
            None => (AppState::default(), None),
        };
        let window = window::Window::new(cc, options.stats.clone());
        let device = window::training_device(cc, options.device);
        Self::with_window(state, notice, window, device, options)
    }

    /// The app without a window (tests drive it by commands alone): the same slots, pipelines
    /// and commands, training on the CPU as `options.device` says.
    pub fn headless(options: AppOptions) -> Self {
        let device = crate::train::device::select(options.device);
        let window = window::Window::headless(egui::Context::default());
        Self::with_window(AppState::default(), None, window, device, options)
    }

    fn with_window(
        mut state: AppState,
        mut notice: Option<String>,
        window: window::Window,
        device: crate::error::Result<crate::train::TrainDevice>,
        options: AppOptions,
    ) -> Self {
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
        let waker = window.waker();
        let started = device
            .as_ref()
            .map_err(|e| crate::error::LabError::Device(e.to_string()))
            .and_then(|d| Session::new(state.config.clone(), d.clone()))
            .and_then(|s| RunSlot::start(s, options.paused, Arc::clone(&waker), options.drive));
        let (slots, startup_error) = match started {
            Ok(slot) => (vec![slot], None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let mut app = Self {
            state,
            slots,
            startup_error,
            notice,
            nothing: Published::default(),
            files: files::Files::default(),
            lesson: LessonState::default(),
            appearance: appearance::Appearance::default(),
            compare: None,
            compare_dialog: compare::CompareDialog::default(),
            sweep: None,
            sweep_dialog: sweep::dialog::SweepDialog::default(),
            hovered: None,
            branch: replay::BranchView::default(),
            timeline: timeline::Timeline::default(),
            window,
            tour: options.tour,
            recovery: options.recovery.map(recovery::Keeper::new),
            release: Default::default(),
            device: device.ok(),
            waker,
            drive: options.drive,
            shared_link: None,
            last_frame: None,
        };
        if options.present {
            app.state.view.present = true;
        }
        if let Some(lesson) = &options.lesson {
            app.start_lesson_or_file(lesson);
        }
        if !options.compare.is_empty() {
            app.apply(AppCommand::StartComparison {
                changes: options.compare,
                fork: false,
            });
        }
        if let Some((spec, queue)) = options.sweep {
            app.apply(AppCommand::StartSweep { spec, queue });
        }
        app
    }

    /// Every run slot: run A first, then run B when comparing.
    pub fn slots(&self) -> &[RunSlot] {
        &self.slots
    }

    /// Run A's slot.
    pub fn run_a(&self) -> Option<&RunSlot> {
        self.slots.first()
    }

    /// Run B's slot, when comparing.
    pub fn run_b(&self) -> Option<&RunSlot> {
        self.slots.get(1)
    }

    pub fn pipeline(&self) -> Option<&crate::pipeline::Pipeline> {
        self.run_a().map(RunSlot::pipeline)
    }

    /// Run A's state as published for this frame.
    pub fn published(&self) -> &Published {
        self.run_a().map_or(&self.nothing, |s| s.published())
    }

    pub fn status(&self) -> &Status {
        &self.published().status
    }

    pub fn history(&self) -> &History {
        &self.published().history
    }

    /// Run A's config as the controls show it (see [`RunSlot::config`]).
    pub fn config(&self) -> &RunConfig {
        self.run_a().map_or(&self.state.config, RunSlot::config)
    }

    pub fn frames_per_second(&self) -> f64 {
        self.window.frames_per_second()
    }

    /// Change one setting of run A (and of B, unless B keeps its own value): shown at once as
    /// pending, taken by the trainer at its next step, which logs the event or, for an invalid
    /// value, reports the error the banner shows.
    pub fn set_setting(&mut self, setting: Setting) {
        self.apply(AppCommand::Set(setting));
    }

    /// What relates run B to run A, when comparing (and B has started).
    pub fn comparison(&self) -> Option<&compare::Comparison> {
        self.compare.as_ref().filter(|_| self.slots.len() > 1)
    }

    /// `f` of run A's recording: the opened file's, or the live run's.
    pub fn with_recording<R>(&self, f: impl FnOnce(&crate::train::Recording) -> R) -> Option<R> {
        self.run_a().and_then(|s| s.with_recording(f))
    }

    /// The steps run A recorded, oldest first.
    pub fn recorded_steps(&self) -> Vec<usize> {
        self.with_recording(|r| r.steps()).unwrap_or_default()
    }

    /// The recorded run opened from a file, if one is shown instead of training.
    pub fn replayed(&self) -> Option<&crate::recorded::RecordedRun> {
        self.run_a().and_then(RunSlot::replayed)
    }

    /// The step the views show when the timeline is not live.
    pub fn shown_step(&self) -> Option<usize> {
        self.run_a().and_then(RunSlot::shown_step)
    }

    /// Run A's embedding view.
    pub fn run_view(&self) -> &embedding::RunView {
        match self.run_a() {
            Some(s) => &s.view,
            None => &self.branch.view,
        }
    }

    /// The probe sample under the pointer in either embedding view.
    pub fn hovered(&self) -> Option<usize> {
        self.hovered
    }

    /// Run A as this frame sees it (live, whatever the timeline shows).
    pub fn run_frame(&self) -> RunFrame<'_> {
        match self.run_a() {
            Some(s) => s.live_frame(),
            None => RunFrame {
                published: &self.nothing,
                layouts: None,
                config: &self.state.config,
            },
        }
    }

    /// Run A as the views show it this frame: recorded at the timeline's cursor, or live.
    pub fn shown_frame(&self) -> RunFrame<'_> {
        match self.run_a() {
            Some(s) => s.frame(),
            None => self.run_frame(),
        }
    }

    /// Run A's PCA, if the embedding has one.
    pub fn pca(&self) -> Option<&PcaLayout> {
        self.layouts()
            .and_then(|l| l.pca.as_ref())
            .and_then(|r| r.as_ref().ok())
    }

    pub fn layouts(&self) -> Option<&Layouts> {
        self.run_a().and_then(|s| s.layouts()).map(|l| &**l)
    }

    /// The optimizer step being played in slow motion, if one is.
    pub fn slow_move(&self) -> Option<&embedding::SlowMove> {
        self.run_view().slow_move()
    }

    /// Whether the last frame drew the embedding with the WGSL point renderer.
    pub fn drew_gpu_points(&self) -> bool {
        self.run_view().drew_gpu_points()
    }

    /// The id of the lesson whose card is shown.
    pub fn lesson(&self) -> Option<&str> {
        self.lesson.lesson.as_deref().map(|l| l.id.as_str())
    }

    /// The card being written in "Save this as a lesson…" (what its form edits).
    pub fn lesson_draft_mut(&mut self) -> &mut lesson_draft::LessonDraft {
        &mut self.lesson.draft
    }

    /// The lesson whose card is shown.
    pub fn current_lesson(&self) -> Option<&crate::lessons::Lesson> {
        self.lesson.lesson.as_deref()
    }

    pub fn files(&self) -> &files::Files {
        &self.files
    }

    /// Take what every run published since the last frame (never waits: one `Arc` each), and
    /// what the timeline and the comparison need of it. The window calls this at the start of
    /// each frame; a test without a window calls it between commands.
    pub fn refresh(&mut self) {
        self.drive_frames();
        self.receive_fork();
        self.follow_replay();
        let projection = self.state.view.projector_settings();
        let cursor = self.timeline.cursor;
        let mut ended = false;
        for slot in &mut self.slots {
            ended |= slot.poll(projection, cursor);
        }
        if ended {
            self.release.run_ended();
        }
        self.release.tick();
        if let (Some(c), [a, b, ..]) = (&mut self.compare, self.slots.as_slice()) {
            c.agreement.update(
                a.published().snapshot.as_ref(),
                b.published().snapshot.as_ref(),
            );
        }
        self.update_branch_frame();
    }

    /// How the runs are driven.
    pub fn drive(&self) -> crate::run::Drive {
        self.drive
    }

    /// Under [`crate::run::Drive::Frames`], this frame's share of the runs' work: every run a
    /// turn in turn (so that runs in lockstep keep pace) until the frame's budget is spent
    /// ([`frame_budget`]), a run took a snapshot (the frame shows each one) or none has
    /// anything to do. Under threads, nothing: the runs' threads work by themselves.
    fn drive_frames(&mut self) {
        if self.drive != crate::run::Drive::Frames {
            return;
        }
        let now = web_time::Instant::now();
        let interval = self.last_frame.map(|t| now.saturating_duration_since(t));
        self.last_frame = Some(now);
        let until = now + frame_budget(interval);
        loop {
            let (mut worked, mut snapshot) = (false, false);
            for slot in &self.slots {
                let ticked = slot.pipeline().tick(until);
                worked |= ticked.worked;
                snapshot |= ticked.snapshot;
            }
            if !worked || snapshot || web_time::Instant::now() >= until {
                break;
            }
        }
    }
}

/// Under the frame drive, the training's share of a frame: [`FRAME_BUDGET`] at the display's
/// rate, and more when frames come slower than that, up to half the time between them. A
/// page drawn by a software renderer (another process rasterises) waits most of a slow frame
/// for it: the training takes that time instead (measured in headless Chromium: the page's
/// thread idle 59% of the time at a fixed 12 ms).
pub fn frame_budget(interval: Option<std::time::Duration>) -> std::time::Duration {
    let share = interval.map_or(FRAME_BUDGET, |i| i.mul_f64(0.5));
    share.clamp(FRAME_BUDGET, MAX_FRAME_BUDGET)
}

/// The most a frame gives the training (frames slower than this are the drawing's own).
pub const MAX_FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(50);

/// Under the frame drive, what each frame gives the runs' training and layouts at least: most of
/// a 60 Hz frame, leaving the rest for drawing.
pub const FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);
