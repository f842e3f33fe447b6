//! The controls panel: play / pause / step / reset, method and dataset, the selected method's
//! knobs (declared beside its loss, `methods/*.rs`), the training settings, and every other
//! setting under "More settings". Each widget comes from its setting's declaration (label,
//! range, scale, tooltip), so what a slider can produce is what validation accepts.

use super::command::AppCommand;
use crate::config::{DatasetKind, Domain, Key, Knob, Method, RunConfig, Setting, Spec, WidgetKind};
use egui::Ui;
use serde::{Deserialize, Serialize};

/// The general training settings, below the method's knobs.
const TRAINING: &[Knob] = &[
    Knob::new(Key::Lr),
    Knob::new(Key::BatchSize),
    Knob::new(Key::AugmentStrength),
    Knob::new(Key::ProbeSize),
    Knob::new(Key::OutDim),
    Knob::new(Key::ProjectorBn),
    Knob::new(Key::Norm),
    Knob::new(Key::Optimizer),
];

/// Settings the panel shows in its own way (the combo boxes above, the seed field).
const OWN_WIDGETS: &[Key] = &[Key::Method, Key::Dataset, Key::Seed];

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Controls {
    /// The seed Reset starts over with.
    pub seed_input: u64,
}

impl Controls {
    /// The panel; in presenter mode (`present`) the training settings fold away under one
    /// header, leaving the run's transport and the method's knobs.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        config: &RunConfig,
        paused: bool,
        present: bool,
    ) -> Vec<AppCommand> {
        let mut out = Vec::new();
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Run");
            self.transport(ui, paused, &mut out);
            ui.separator();
            method_and_dataset(ui, config, &mut out);
            ui.separator();
            ui.heading(config.method.name());
            let knobs = crate::methods::knobs(config.method);
            knob_widgets(ui, config, knobs, &mut out);
            ui.separator();
            let mut training = |ui: &mut Ui| {
                ui.heading("Training");
                knob_widgets(ui, config, TRAINING, &mut out);
                egui::CollapsingHeader::new("More settings")
                    .default_open(false)
                    .show(ui, |ui| {
                        let rest: Vec<Knob> = Key::ALL
                            .iter()
                            .filter(|k| {
                                !OWN_WIDGETS.contains(k)
                                    && !knobs.iter().chain(TRAINING).any(|n| n.key == **k)
                            })
                            .map(|k| Knob::new(*k))
                            .collect();
                        knob_widgets(ui, config, &rest, &mut out);
                    });
            };
            if present {
                egui::CollapsingHeader::new("Training and more settings")
                    .default_open(false)
                    .show(ui, training);
            } else {
                training(ui);
            }
        });
        out
    }

    fn transport(&mut self, ui: &mut Ui, paused: bool, out: &mut Vec<AppCommand>) {
        ui.horizontal(|ui| {
            let play = if paused { "Play" } else { "Pause" };
            for (label, command, hint) in [
                (play, AppCommand::TogglePlay, "play / pause"),
                (
                    "Step",
                    AppCommand::StepOnce,
                    "one training step (played slowly when the view's slow motion is on)",
                ),
                ("Reset", AppCommand::Reset, "start over with this seed"),
            ] {
                let key = command
                    .shortcut()
                    .map(|k| format!("{}: ", k.name()))
                    .unwrap_or_default();
                if ui
                    .button(label)
                    .on_hover_text(format!("{key}{hint}"))
                    .clicked()
                {
                    out.push(command);
                }
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label(Key::Seed.spec().label);
            ui.add(egui::DragValue::new(&mut self.seed_input))
                .labelled_by(label.id)
                .on_hover_text("seed used by Reset: same seed, same run");
        });
    }
}

fn method_and_dataset(ui: &mut Ui, config: &RunConfig, out: &mut Vec<AppCommand>) {
    // The closed box shows the method's name (the full titles are long for the panel).
    egui::ComboBox::from_label(Key::Method.spec().label)
        .selected_text(
            crate::methods::title(config.method)
                .split(" (")
                .next()
                .unwrap_or_default(),
        )
        .show_ui(ui, |ui| {
            for m in Method::ALL {
                if ui
                    .selectable_label(config.method == m, crate::methods::title(m))
                    .clicked()
                    && config.method != m
                {
                    out.push(AppCommand::SwitchMethod(m));
                }
            }
        })
        .response
        .on_hover_text(Key::Method.spec().help);
    egui::ComboBox::from_label(Key::Dataset.spec().label)
        .selected_text(config.dataset.name())
        .show_ui(ui, |ui| {
            for d in DatasetKind::ALL {
                let allowed = config.method.trains_on(&d);
                let item = egui::Button::selectable(config.dataset == d, d.name());
                if ui.add_enabled(allowed, item).clicked() && config.dataset != d {
                    out.push(AppCommand::Set(Setting::Dataset(d)));
                }
            }
        })
        .response
        .on_hover_text(Key::Dataset.spec().help);
}

fn knob_widgets(ui: &mut Ui, config: &RunConfig, knobs: &[Knob], out: &mut Vec<AppCommand>) {
    out.extend(
        knobs
            .iter()
            .filter_map(|knob| widget(ui, config, *knob))
            .map(AppCommand::Set),
    );
}

/// The widget of one setting, as its declaration says; the new value when the user changed it.
/// Knobs that rebuild the network apply when the drag ends, not at every pixel of it.
pub fn widget(ui: &mut Ui, config: &RunConfig, knob: Knob) -> Option<Setting> {
    let key = knob.key;
    let spec = key.spec();
    let current = config.get(key);
    match (key.widget(), spec.domain) {
        (WidgetKind::Toggle, _) => {
            let mut on = current.flag()?;
            let changed = ui
                .checkbox(&mut on, knob.label())
                .on_hover_text(spec.help)
                .changed();
            changed.then(|| key.from_flag(on)).flatten()
        }
        (WidgetKind::Choice, _) => {
            let mut picked = None;
            egui::ComboBox::from_label(knob.label())
                .selected_text(current.text())
                .show_ui(ui, |ui| {
                    for choice in key.choices() {
                        if ui
                            .selectable_label(choice == current, choice.text())
                            .clicked()
                            && choice != current
                        {
                            picked = Some(choice);
                        }
                    }
                })
                .response
                .on_hover_text(spec.help);
            picked
        }
        (WidgetKind::Slider { integer }, Domain::Range { lo, hi, log }) => {
            let mut v = spec.domain.clamp(current.number()?);
            let mut slider = egui::Slider::new(&mut v, lo..=hi)
                .text(knob.label())
                .logarithmic(log);
            slider = if integer {
                slider.integer()
            } else {
                slider.max_decimals(5)
            };
            let response = ui.add(slider).on_hover_text(spec.help);
            applies(&response, spec)
                .then(|| key.widget_value(v))
                .flatten()
        }
        (WidgetKind::Slider { .. } | WidgetKind::Field, _) => {
            let mut v = current.number()?;
            let response = ui
                .horizontal(|ui| {
                    let r = ui.add(egui::DragValue::new(&mut v));
                    ui.label(knob.label());
                    r
                })
                .inner
                .on_hover_text(spec.help);
            applies(&response, spec)
                .then(|| key.widget_value(v))
                .flatten()
        }
    }
}

/// Whether a change applies now: live settings at every change, rebuilding ones when the drag
/// ends (or at a click or typed value).
fn applies(response: &egui::Response, spec: &Spec) -> bool {
    match spec.apply {
        crate::config::Apply::Live => response.changed(),
        crate::config::Apply::Rebuild => {
            response.drag_stopped() || (response.changed() && !response.dragged())
        }
    }
}
