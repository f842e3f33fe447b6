//! The Compare → Sweep… window: which setting, its values (a list, or a range with a count
//! and log or linear spacing, as `run --sweep` writes them) and the seeds per value. The
//! values are read as they are typed; what is wrong with them is said under the field and the
//! start button waits until it is right.

use super::{APP_MAX_SEEDS, APP_MAX_VALUES};
use crate::app::command::AppCommand;
use crate::config::{Domain, Key, RunConfig, WidgetKind};
use crate::sweep::SweepSpec;

/// Settings a sweep in the app does not offer: the seed is the seeds' business; the length,
/// the probe, the snapshot rate and the memory budget change what is recorded, not what is
/// learnt.
const NOT_SWEPT: [Key; 5] = [
    Key::Seed,
    Key::Steps,
    Key::ProbeSize,
    Key::SnapshotEvery,
    Key::HistoryMb,
];

pub struct SweepDialog {
    pub open: bool,
    key: Key,
    values: String,
    seeds: u64,
    /// One run after another, this many steps each, instead of all in lockstep.
    queue: bool,
    queue_steps: usize,
}

impl Default for SweepDialog {
    fn default() -> Self {
        Self {
            open: false,
            key: Key::Temperature,
            values: String::new(),
            seeds: 1,
            queue: false,
            queue_steps: 900,
        }
    }
}

/// What the values field starts with for `key`, from the value `config` has: τ's classic six;
/// a flag both ways; a choice every option; a number around its value.
pub fn default_values(key: Key, config: &RunConfig) -> String {
    if key == Key::Temperature {
        return "0.05, 0.1, 0.2, 0.5, 1, 2".into();
    }
    let current = config.get(key);
    match (key.widget(), key.spec().domain, current.number()) {
        (WidgetKind::Toggle, _, _) => "false, true".into(),
        (WidgetKind::Slider { integer }, Domain::Range { lo, hi, log }, Some(v)) => {
            let values: Vec<f64> = if (log || integer) && v > 0.0 {
                [0.5, 1.0, 2.0, 4.0].iter().map(|f| v * f).collect()
            } else {
                vec![lo, lo + (hi - lo) / 3.0, lo + 2.0 * (hi - lo) / 3.0, hi]
            };
            let mut texts: Vec<String> = Vec::new();
            for x in values.into_iter().map(|x| x.clamp(lo, hi)) {
                let t = match key.from_number(x) {
                    Some(s) => s.text(),
                    None => continue,
                };
                if !texts.contains(&t) {
                    texts.push(t);
                }
            }
            texts.join(", ")
        }
        _ => key
            .choices()
            .iter()
            .map(|s| s.text())
            .take(APP_MAX_VALUES)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The sweep the fields describe, or what is wrong with them.
pub fn read(key: Key, values: &str, seeds: u64) -> Result<SweepSpec, String> {
    let spec = SweepSpec::parse(&format!("{}={}", key.name(), values.trim()))
        .map_err(|e| e.to_string())?;
    if spec.values.len() > APP_MAX_VALUES {
        return Err(format!(
            "{} values: the app sweeps at most {APP_MAX_VALUES} (the command line takes more: run --sweep)",
            spec.values.len()
        ));
    }
    if !(1..=APP_MAX_SEEDS).contains(&seeds) {
        return Err(format!("1 to {APP_MAX_SEEDS} seeds per value"));
    }
    spec.with_seeds(seeds).map_err(|e| e.to_string())
}

impl SweepDialog {
    pub fn open_for(&mut self, config: &RunConfig) {
        self.open = true;
        self.values = default_values(self.key, config);
    }

    pub fn ui(&mut self, ctx: &egui::Context, config: &RunConfig) -> Vec<AppCommand> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        let mut open = true;
        egui::Window::new("Sweep…")
            .open(&mut open)
            .default_width(380.0)
            .show(ctx, |ui| {
                ui.label("Train one run per value of a setting (and per seed), side by side, from the same start, in lockstep.");
                egui::ComboBox::from_label("setting")
                    .selected_text(self.key.name())
                    .height(320.0)
                    .show_ui(ui, |ui| {
                        for &key in Key::ALL.iter().filter(|k| !NOT_SWEPT.contains(k)) {
                            if ui
                                .selectable_label(self.key == key, key.name())
                                .on_hover_text(key.spec().help)
                                .clicked()
                            {
                                self.key = key;
                                self.values = default_values(key, config);
                            }
                        }
                    });
                ui.label("values: a list (0.1, 0.5, 1), or a range LO..HI:COUNT, :log for log spacing");
                ui.add(
                    egui::TextEdit::singleline(&mut self.values)
                        .id_salt("sweep-values")
                        .desired_width(f32::INFINITY),
                );
                ui.add(egui::Slider::new(&mut self.seeds, 1..=APP_MAX_SEEDS).text("seeds per value"))
                    .on_hover_text("replicates of every value, seeds s, s + 1, …: the curve shows their mean and range");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.queue, false, "lockstep")
                        .on_hover_text("every run trains at once, all shown at the same step");
                    ui.radio_value(&mut self.queue, true, "queue")
                        .on_hover_text("one run after another, each at full speed for the steps given; its panel fills when its turn comes");
                    ui.add_enabled(
                        self.queue,
                        egui::DragValue::new(&mut self.queue_steps)
                            .range(10..=100_000)
                            .suffix(" steps each"),
                    );
                });
                let spec = read(self.key, &self.values, self.seeds);
                match &spec {
                    Ok(s) => ui.label(format!(
                        "{} runs: {} = {}",
                        s.points().len(),
                        s.key.name(),
                        s.values.join(", ")
                    )),
                    Err(e) => ui.colored_label(ui.visuals().error_fg_color, e),
                };
                if ui
                    .add_enabled(spec.is_ok(), egui::Button::new("Start sweep"))
                    .clicked()
                    && let Ok(s) = spec
                {
                    out.push(AppCommand::StartSweep {
                        spec: s,
                        queue: self.queue.then_some(self.queue_steps),
                    });
                }
            });
        if !open || !out.is_empty() {
            self.open = false;
        }
        out
    }
}
