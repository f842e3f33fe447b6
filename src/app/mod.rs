//! The desktop app: a run's pipeline (trainer → projector, see [`crate::pipeline`]) steered
//! live from egui. One file per panel; this one owns the runtime parts (the pipeline, caches)
//! and the saved state.
//!
//! The UI never waits on training: each frame it takes the run's newest published state and
//! layouts (an `Arc` each) and sends commands; both threads wake it with `request_repaint`.

pub mod command;
pub mod controls;
pub mod embedding;
pub mod files;
pub mod forces;
pub mod lesson_card;
pub mod loss_view;
pub mod plots;
pub mod preview;
pub mod status;

use crate::config::{RunConfig, Setting};
use crate::pipeline::Pipeline;
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
    /// For what the app asks of egui outside a frame (screenshots).
    ctx: egui::Context,
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
        let ctx = cc.egui_ctx.clone();
        let waker: crate::pipeline::SharedWaker = Arc::new(move || ctx.request_repaint());
        let gpu_points = match cc.wgpu_render_state.as_ref() {
            Some(rs) => {
                crate::render::points::install(rs);
                true
            }
            None => false,
        };
        let (pipeline, startup_error) = match training_device(cc, options.device)
            .and_then(|d| Session::new(state.config.clone(), d))
            .and_then(|s| Pipeline::start(s, options.paused, Some(waker)))
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
            ctx: cc.egui_ctx.clone(),
        };
        if let Some(id) = &options.lesson {
            app.start_lesson(id);
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

    /// Do what a button, menu item or key asked for.
    pub fn apply(&mut self, command: AppCommand) {
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
        for c in command.for_run(&mut self.state.config, paused, seed) {
            self.send(c);
        }
    }

    pub fn send(&self, command: Command) {
        if let Some(p) = &self.pipeline {
            p.send(command);
        }
    }

    /// Take what the run published since the last frame (never waits: one `Arc` each).
    fn poll(&mut self) {
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
    }
}

impl eframe::App for LabApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.tick_frame_clock();
        self.poll();
        let ctx = ui.ctx().clone();
        let mut commands = command::from_keys(&ctx);
        self.receive_shot(ctx.pixels_per_point());
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                files::menu(ui, self);
                lesson_card::menu(ui, self);
            });
        });
        files::windows(&ctx, self);
        status::status_bar(ui, self);
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
            .show(ui, |ui| plots::panel(ui, self));
        egui::CentralPanel::default().show(ui, |ui| {
            status::banner(ui, self);
            files::banner(ui, self);
            lesson_card::card(ui, self);
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
                    let run = RunFrame {
                        published: &self.published,
                        layouts: self.layouts.as_deref(),
                        config: &self.state.config,
                    };
                    commands.extend(
                        self.run_view
                            .ui(ui, &self.state.view, &run, self.gpu_points),
                    );
                }
                embedding::CentralTab::LossView => loss_view::view(ui, self),
            }
        });
        for c in commands {
            self.apply(c);
        }
        // Keep animating while training even if no snapshot arrives this frame.
        if !self.status().paused {
            ctx.request_repaint_after(std::time::Duration::from_millis(33));
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
