//! The controls panel: method, dataset, every knob of the selected method (with tooltips that
//! say what to expect), and play / pause / step / reset.

use super::LabApp;
use crate::config::{DatasetKind, Method, OptimizerKind, setting_doc};
use crate::train::Command;
use egui::Ui;

fn help(key: &str) -> &'static str {
    setting_doc(key).map(|d| d.help).unwrap_or("")
}

fn toggle(ui: &mut Ui, app: &mut LabApp, key: &str, label: &str, value: bool) {
    let mut v = value;
    if ui
        .checkbox(&mut v, label)
        .on_hover_text(help(key))
        .changed()
    {
        app.set_setting(key, &v.to_string());
    }
}

/// A slider for one setting. Knobs that rebuild the network apply when the drag ends, not at
/// every pixel of it.
#[allow(clippy::too_many_arguments)]
fn slider<N: egui::emath::Numeric + ToString>(
    ui: &mut Ui,
    app: &mut LabApp,
    key: &str,
    label: &str,
    value: N,
    range: std::ops::RangeInclusive<N>,
    log: bool,
    on_release: bool,
) {
    let mut v = value;
    let mut widget = egui::Slider::new(&mut v, range)
        .text(label)
        .logarithmic(log);
    if !N::INTEGRAL {
        widget = widget.max_decimals(5);
    }
    let response = ui.add(widget).on_hover_text(help(key));
    let apply = if on_release {
        response.drag_stopped() || (response.changed() && !response.dragged())
    } else {
        response.changed()
    };
    if apply {
        app.set_setting(key, &v.to_string());
    }
}

/// The EMA momentum of MoCo's key encoder, BYOL's target or DINO's teacher.
fn momentum_slider(ui: &mut Ui, app: &mut LabApp, label: &str, value: f64) {
    slider(
        ui,
        app,
        "momentum",
        label,
        value,
        0.0..=0.9999,
        false,
        false,
    );
}

pub fn panel(ui: &mut Ui, app: &mut LabApp) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Run");
        transport(ui, app);
        ui.separator();
        let c = app.state.config.clone();
        // The closed box shows the method's name (the full titles are long for the panel).
        egui::ComboBox::from_label("method")
            .selected_text(c.method.title().split(" (").next().unwrap_or_default())
            .show_ui(ui, |ui| {
                for m in Method::ALL {
                    if ui.selectable_label(c.method == m, m.title()).clicked() && c.method != m {
                        // A new method is a new experiment, with that paper's defaults.
                        app.replace_config(super::config_for_method(&c, m));
                    }
                }
            })
            .response
            .on_hover_text(help("method"));
        egui::ComboBox::from_label("dataset")
            .selected_text(c.dataset.name())
            .show_ui(ui, |ui| {
                for d in DatasetKind::ALL {
                    let allowed = c.method != Method::Clip || d == DatasetKind::Shapes;
                    let label =
                        ui.add_enabled(allowed, egui::Button::selectable(c.dataset == d, d.name()));
                    if label.clicked() && c.dataset != d {
                        app.set_setting("dataset", &d.name());
                    }
                }
            });
        ui.separator();
        ui.heading(c.method.name());
        method_knobs(ui, app);
        ui.separator();
        ui.heading("Training");
        let c = app.state.config.clone();
        // Up to absurd values on purpose: a diverging run (paused, restored, explained) teaches too.
        slider(
            ui,
            app,
            "lr",
            "learning rate",
            c.lr,
            1e-5..=1e6,
            true,
            false,
        );
        slider(
            ui,
            app,
            "batch_size",
            "batch size",
            c.batch_size,
            8..=1024,
            true,
            true,
        );
        slider(
            ui,
            app,
            "augment_strength",
            "augmentation strength",
            c.augment_strength,
            0.0..=3.0,
            false,
            false,
        );
        slider(
            ui,
            app,
            "probe_size",
            "probe points",
            c.probe_size,
            100..=20_000,
            true,
            true,
        );
        slider(
            ui,
            app,
            "out_dim",
            "output dimension d",
            c.out_dim,
            2..=128,
            true,
            true,
        );
        toggle(
            ui,
            app,
            "projector_bn",
            "batch norm in projector",
            c.projector_bn,
        );
        egui::ComboBox::from_label("optimizer")
            .selected_text(c.optimizer.to_string())
            .show_ui(ui, |ui| {
                for o in [OptimizerKind::Adam, OptimizerKind::Sgd] {
                    if ui
                        .selectable_label(c.optimizer == o, o.to_string())
                        .clicked()
                    {
                        app.set_setting("optimizer", &o.to_string());
                    }
                }
            });
    });
}

fn transport(ui: &mut Ui, app: &mut LabApp) {
    let paused = app.status().paused;
    ui.horizontal(|ui| {
        let label = if paused { "Play" } else { "Pause" };
        if ui.button(label).on_hover_text("Space").clicked() {
            app.send(if paused {
                Command::Resume
            } else {
                Command::Pause
            });
        }
        if ui
            .button("Step")
            .on_hover_text("S: one training step (played slowly when the view's slow motion is on)")
            .clicked()
        {
            app.step_once();
        }
        if ui
            .button("Reset")
            .on_hover_text("R: start over with this seed")
            .clicked()
        {
            app.send(Command::Reset {
                seed: app.state.seed_input,
            });
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("seed");
        ui.add(egui::DragValue::new(&mut app.state.seed_input))
            .labelled_by(label.id)
            .on_hover_text("seed used by Reset: same seed, same run");
    });
}

fn method_knobs(ui: &mut Ui, app: &mut LabApp) {
    let c = app.state.config.clone();
    if c.method.uses_temperature() {
        slider(
            ui,
            app,
            "temperature",
            "temperature τ",
            c.temperature,
            0.01..=10.0,
            true,
            false,
        );
    }
    match c.method {
        Method::Clip => toggle(
            ui,
            app,
            "learnable_temperature",
            "learn τ",
            c.learnable_temperature,
        ),
        Method::Moco => {
            momentum_slider(ui, app, "key-encoder momentum", c.momentum);
            slider(
                ui,
                app,
                "queue_size",
                "queue size K",
                c.queue_size,
                16..=16384,
                true,
                true,
            );
        }
        Method::Byol | Method::SimSiam => {
            toggle(ui, app, "stop_gradient", "stop-gradient", c.stop_gradient);
            toggle(ui, app, "predictor", "predictor", c.predictor);
            toggle(
                ui,
                app,
                "predictor_bn",
                "batch norm in predictor",
                c.predictor_bn,
            );
            if c.method == Method::Byol {
                momentum_slider(ui, app, "target momentum", c.momentum);
                toggle(
                    ui,
                    app,
                    "momentum_schedule",
                    "cosine momentum schedule",
                    c.momentum_schedule,
                );
            }
        }
        Method::Barlow => {
            slider(
                ui,
                app,
                "lambda",
                "λ (off-diagonal weight)",
                c.lambda,
                0.0..=1.0,
                false,
                false,
            );
            toggle(
                ui,
                app,
                "redundancy_only",
                "redundancy term only",
                c.redundancy_only,
            );
        }
        Method::Dino => {
            toggle(ui, app, "centering", "centering", c.centering);
            toggle(ui, app, "sharpening", "sharpening", c.sharpening);
            slider(
                ui,
                app,
                "student_temperature",
                "student τ_s",
                c.student_temperature,
                0.01..=1.0,
                true,
                false,
            );
            slider(
                ui,
                app,
                "teacher_temperature",
                "teacher τ_t",
                c.teacher_temperature,
                0.01..=1.0,
                true,
                false,
            );
            slider(
                ui,
                app,
                "center_momentum",
                "centre momentum",
                c.center_momentum,
                0.0..=0.9999,
                false,
                false,
            );
            momentum_slider(ui, app, "teacher momentum", c.momentum);
        }
        Method::SimClr => {}
    }
}
