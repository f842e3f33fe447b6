//! The window: its runtime parts (renderer, frame clock, `--stats` log, egui context), the
//! frame's layout of panels, and opening it (`cargo run --release` lands in [`run`]).
//!
//! A frame: poll every run slot → draw the panels, each returning [`AppCommand`]s → apply them
//! in order ([`LabApp::apply`]).

use super::{AppCommand, AppState, LabApp, RunFrame, embedding, pacing, stats};
use crate::train::{DeviceChoice, device};
use web_time::Instant;

const STATE_KEY: &str = "contrastive-lab-state";

/// The window's runtime parts.
pub struct Window {
    /// The window renders with wgpu and the WGSL point renderer is installed.
    pub gpu_points: bool,
    /// (since, frames, frames per second of the last full second).
    frame_clock: (Instant, u32, f64),
    /// `--stats FILE`: the long-run log.
    stats: Option<stats::StatsLog>,
    /// For what the app asks of egui outside a frame (screenshots, repaints).
    pub ctx: egui::Context,
}

impl Window {
    pub fn new(cc: &eframe::CreationContext<'_>, stats: Option<std::path::PathBuf>) -> Self {
        install_fallback_font(&cc.egui_ctx);
        // The app's colours (the lesson card, the gauge, the class palette) are chosen on a
        // dark ground: a system (or a browser) in light mode does not make them unreadable.
        cc.egui_ctx.set_theme(egui::ThemePreference::Dark);
        // With OpenGL (the renderer without a real GPU, where Mesa's llvmpipe rasterises on
        // the CPU and a frame's fragments are most of its cost) the panels paint no background
        // of their own: they cover the whole window, so the window's clear colour is theirs
        // (`clear_color`), and each frame has one full-window layer of fragments fewer.
        if cc.gl.is_some() {
            cc.egui_ctx
                .all_styles_mut(|s| s.visuals.panel_fill = egui::Color32::TRANSPARENT);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let gpu_points = match cc.wgpu_render_state.as_ref() {
            Some(rs) => {
                crate::render::points::install(rs);
                true
            }
            None => false,
        };
        // The browser draws with WebGL (glow): egui_plot draws the points.
        #[cfg(target_arch = "wasm32")]
        let gpu_points = false;
        Self {
            gpu_points,
            stats: stats.and_then(|p| stats::StatsLog::create(p).ok()),
            ..Self::headless(cc.egui_ctx.clone())
        }
    }

    /// No window to draw in: the context only receives repaint requests.
    pub fn headless(ctx: egui::Context) -> Self {
        pacing::install(&ctx);
        Self {
            gpu_points: false,
            frame_clock: (Instant::now(), 0, 0.0),
            stats: None,
            ctx,
        }
    }

    /// What the runs' threads call after each publication: a frame soon.
    pub fn waker(&self) -> crate::pipeline::SharedWaker {
        let ctx = self.ctx.clone();
        std::sync::Arc::new(move || pacing::request_frame(&ctx))
    }

    pub fn frames_per_second(&self) -> f64 {
        self.frame_clock.2
    }

    /// Count a frame; write the `--stats` line when one is due.
    fn tick(
        &mut self,
        published: &crate::train::Published,
        tsne_ms_per_iter: f64,
        recorded_bytes: impl FnOnce() -> usize,
    ) {
        let (start, frames, fps) = &mut self.frame_clock;
        *frames += 1;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= 1.0 {
            *fps = *frames as f64 / elapsed;
            *start = Instant::now();
            *frames = 0;
        }
        if let Some(log) = self.stats.as_mut().filter(|l| l.due()) {
            let status = &published.status;
            let sample = stats::Sample {
                step: status.step,
                steps_per_s: status.steps_per_s,
                frames_per_s: self.frame_clock.2,
                history_rows: published.history.len(),
                tsne_ms_per_iter,
                recorded_bytes: recorded_bytes(),
            };
            if log.write(&sample).is_err() {
                self.stats = None;
            }
        }
    }
}

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
pub fn saved_state(storage: &dyn eframe::Storage) -> (AppState, Option<String>) {
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

impl LabApp {
    /// Run A's embedding view; in a comparison, A's and B's side by side, aligned, with the
    /// hovered sample ringed in both; with the abandoned branch shown, A beside it.
    fn embedding_views(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let b_label = self.comparison().map(|c| c.label());
        let from = self.published().branch.as_ref().map_or(0, |b| b.from);
        let view = &self.state.view;
        let gpu = self.window.gpu_points;
        let shade = self
            .compare
            .as_ref()
            .filter(|c| view.colour_by_agreement && !c.agreement.per_sample.is_empty())
            .map(|c| c.agreement.per_sample.as_slice());
        let branch = &mut self.branch;
        let branch_frame = branch
            .frame
            .shown
            .as_ref()
            .filter(|_| self.timeline.show_branch);
        if let Some(sweep) = self.sweep.as_ref().filter(|_| self.slots.len() > 1) {
            let out = super::sweep::grid::small_multiples(
                ui,
                view,
                gpu,
                self.hovered,
                sweep,
                &mut self.slots,
            );
            self.hovered = out.hovered;
            return out.commands;
        }
        let out = match (self.slots.as_mut_slice(), branch_frame) {
            ([], _) => return Vec::new(),
            ([a], None) => {
                let (run, run_view) = a.frame_mut();
                run_view.ui(ui, view, &run, gpu, embedding::Link::default())
            }
            ([a], Some(frame)) => {
                let (run, run_view) = a.frame_mut();
                let branch_run = RunFrame {
                    published: &frame.published,
                    layouts: Some(&frame.layouts),
                    config: run.config,
                };
                let title = format!("the branch abandoned at step {from} (recorded)");
                embedding::side_by_side(
                    ui,
                    view,
                    gpu,
                    self.hovered,
                    embedding::Side {
                        title: "this run",
                        view: run_view,
                        run: &run,
                        shade: None,
                    },
                    embedding::Side {
                        title: &title,
                        view: &mut branch.view,
                        run: &branch_run,
                        shade: None,
                    },
                )
            }
            ([a, b, ..], _) => {
                let ((run_a, view_a), (run_b, view_b)) = (a.frame_mut(), b.frame_mut());
                let label = b_label.unwrap_or_default();
                embedding::side_by_side(
                    ui,
                    view,
                    gpu,
                    self.hovered,
                    embedding::Side {
                        title: "A: this run",
                        view: view_a,
                        run: &run_a,
                        shade,
                    },
                    embedding::Side {
                        title: &label,
                        view: view_b,
                        run: &run_b,
                        shade,
                    },
                )
            }
        };
        self.hovered = out.hovered;
        out.commands
    }

    /// The timeline bar over run A's recording, with its events and incident.
    fn timeline_bar(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let (steps, megabytes, dropped) = self
            .with_recording(|rec| (rec.steps(), rec.bytes() as f64 / 1e6, rec.dropped()))
            .unwrap_or_default();
        let status = self.status();
        let events: Vec<(usize, String)> = status
            .events
            .iter()
            .map(|e| (e.step, e.label()))
            .chain(
                status
                    .incident
                    .iter()
                    .map(|i| (i.restored_step, format!("incident: {i}"))),
            )
            .collect();
        let track = super::timeline::Track {
            steps: &steps,
            events: &events,
            megabytes,
            dropped,
            can_rewind: self.replayed().is_none(),
            branch_from: self.published().branch.as_ref().map(|b| b.from),
        };
        self.timeline.ui(ui, &track)
    }

    /// The central panel: banners, the lesson card, and the embedding or the loss view.
    fn central(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        let mut commands = self.recovery_banner(ui);
        commands.extend(super::status::banner(ui, self));
        commands.extend(super::files::banner(ui, self));
        if !self.state.view.present {
            let mut answer = self.lesson.answer;
            commands.extend(super::lesson_card::card(ui, self, &mut answer));
            self.lesson.answer = answer;
        }
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
                let dim = self.published().snapshot.as_ref().map(|s| s.dim);
                let config = self.config().clone();
                commands.extend(embedding::controls(
                    ui,
                    &mut self.state.view,
                    &config,
                    dim,
                    self.window.gpu_points,
                ));
                commands.extend(self.embedding_views(ui));
            }
            embedding::CentralTab::LossView => {
                let mut view = std::mem::take(&mut self.state.view);
                super::loss_view::view(ui, &mut view, &self.shown_frame());
                self.state.view = view;
            }
        }
        commands
    }
}

impl eframe::App for LabApp {
    /// The theme's panel colour: the panels themselves paint none (see [`Window::new`]).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        super::appearance::panel_colour(&self.state.view, visuals).to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        pacing::frame_started(ui.ctx());
        let tsne_ms = self
            .layouts()
            .and_then(|l| l.tsne.as_ref()?.as_ref().ok())
            .map_or(f64::NAN, |t| t.ms_per_iter);
        let published = self
            .slots
            .first()
            .map_or(&self.nothing, |s| &**s.published());
        let slots = &self.slots;
        let recorded = || {
            slots
                .iter()
                .filter_map(|s| s.with_recording(|r| r.bytes()))
                .sum()
        };
        self.window.tick(published, tsne_ms, recorded);
        self.refresh();
        let ctx = ui.ctx().clone();
        self.appearance.apply(&ctx, &self.state.view);
        let mut commands = super::command::from_keys(&ctx);
        self.receive_shot(ctx.pixels_per_point());
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                commands.extend(super::files::menu(ui, self.replayed().is_some()));
                commands.extend(super::lesson_card::menu(
                    ui,
                    &mut self.state.autoplay,
                    &self.lesson.opened,
                ));
                let comparison = self.compare.as_ref().filter(|_| self.slots.len() > 1);
                let sweep = self.sweep.as_ref().filter(|_| self.slots.len() > 1);
                commands.extend(super::compare::menu(
                    ui,
                    comparison,
                    sweep,
                    &mut self.state.view,
                ));
                super::appearance::menu(ui, &mut self.state.view);
                if ui
                    .button("Share")
                    .on_hover_text("copy the link of this run: its settings, seed and changes so far; opening it in the browser lab replays the same run")
                    .clicked()
                {
                    commands.push(AppCommand::ShareLink);
                }
            });
        });
        commands.extend(super::files::windows(&ctx, self));
        let config = self.config().clone();
        commands.extend(self.compare_dialog.ui(&ctx, &config));
        commands.extend(self.sweep_dialog.ui(&ctx, &config));
        super::status::status_bar(ui, self);
        egui::Panel::bottom("timeline").show(ui, |ui| commands.extend(self.timeline_bar(ui)));
        // Presenter mode: the lesson card is a banner across the whole window, above the panels.
        if self.state.view.present && self.current_lesson().is_some() {
            egui::Panel::top("lesson-banner").show(ui, |ui| {
                let mut answer = self.lesson.answer;
                commands.extend(super::lesson_card::card(ui, self, &mut answer));
                self.lesson.answer = answer;
            });
        }
        // Presenter mode has panels of its own, narrower, so that the embedding keeps the room
        // (each mode remembers the widths it was dragged to).
        let present = self.state.view.present;
        let (left, right) = if present {
            (("controls-present", 190.0), ("diagnostics-present", 250.0))
        } else {
            (("controls", 280.0), ("diagnostics", 420.0))
        };
        egui::Panel::left(left.0)
            .resizable(true)
            .default_size(left.1)
            .show(ui, |ui| {
                let paused = self.status().paused;
                let config = self.config().clone();
                commands.extend(self.state.controls.ui(ui, &config, paused, present));
            });
        egui::Panel::right(right.0)
            .resizable(true)
            .default_size(right.1)
            .show(ui, |ui| {
                commands.extend(if self.sweep().is_some() {
                    super::sweep::plots::panel(ui, self)
                } else {
                    super::plots::panel(ui, self)
                })
            });
        egui::CentralPanel::default().show(ui, |ui| commands.extend(self.central(ui)));
        if let Some(tour) = self.tour.as_mut() {
            let now = Instant::now();
            commands.extend(tour.due(now));
            // A paused run draws no frames by itself: wake for the next lesson.
            ctx.request_repaint_after(tour.until_next(now));
        }
        for c in commands {
            self.apply(c);
        }
        self.keep_recoverable();
        // Keep animating while training (or replaying) even if no snapshot arrives this frame.
        // Under the frame drive the frames are the training's clock: the next one at once (the
        // browser draws at the display's rate), not at the pacer's next slot.
        if !self.status().paused || self.timeline.replaying() {
            if self.drive == crate::run::Drive::Frames {
                ctx.request_repaint();
            } else {
                pacing::request_frame(&ctx);
            }
        }
    }

    /// A clean exit: nothing is left to recover.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(k) = &mut self.recovery {
            k.close();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // The next launch starts from run A's config as its trainer has it.
        self.state.config = self.config().clone();
        eframe::set_value(storage, STATE_KEY, &self.state);
    }
}

/// The training device: with `auto` and a window rendered by wgpu on a real GPU (or with
/// `wgpu` and any wgpu window), Burn trains on the window's own device, and only the probe
/// embeddings travel back to the CPU, at snapshot time. Otherwise as `device::select` (in the
/// browser: flex).
pub fn training_device(
    cc: &eframe::CreationContext<'_>,
    choice: DeviceChoice,
) -> crate::error::Result<crate::train::TrainDevice> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(rs) = cc.wgpu_render_state.as_ref().filter(|rs| match choice {
        DeviceChoice::Auto => device::AdapterSummary::of(&rs.adapter).is_real_gpu(),
        DeviceChoice::Wgpu => true,
        DeviceChoice::Cpu => false,
    }) {
        return device::shared_with_window(
            rs.instance.clone(),
            rs.adapter.clone(),
            rs.device.clone(),
            rs.queue.clone(),
        )
        .or_else(|_| device::select(choice));
    }
    #[cfg(target_arch = "wasm32")]
    let _ = cc;
    device::select(choice)
}

/// The renderer: wgpu on a real GPU; glow (OpenGL) otherwise, which draws egui about 4× faster
/// than wgpu on a software Vulkan adapter (measured under Xvfb: 208 vs 56 frames/s for a
/// 2 000-point scatter).
#[cfg(not(target_arch = "wasm32"))]
fn renderer() -> eframe::Renderer {
    if device::adapters().iter().any(|a| a.is_real_gpu()) {
        eframe::Renderer::Wgpu
    } else {
        eframe::Renderer::Glow
    }
}

/// Open the native window. `cargo run --release` lands here.
#[cfg(not(target_arch = "wasm32"))]
pub fn run(options: super::AppOptions) -> anyhow::Result<()> {
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
