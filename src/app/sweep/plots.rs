//! The sweep's diagnostics: the metric-versus-value curve (the mean over seeds, their range as
//! a band, each seed as a dot; a log axis for a setting that spans a factor of ten or more) at
//! the timeline's cursor or the newest step, and every run's time plots coloured along the
//! value scale, with the scale's colour bar.

use super::SweepRuns;
use crate::app::LabApp;
use crate::app::command::AppCommand;
use crate::train::{History, MetricsRow};
use egui::{Color32, Ui};
use egui_plot::{FilledArea, Line, Plot, PlotPoints, Points, VLine};

const PLOT_HEIGHT: f32 = 110.0;
/// Points of a time plot's line at most (every k-th row beyond).
const LINE_POINTS: usize = 300;

/// A number every run reports, as the curve and the time plots draw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SweepMetric {
    #[default]
    Knn,
    Spread,
    Alignment,
    Uniformity,
    Loss,
    RankMe,
}

impl SweepMetric {
    pub const ALL: [SweepMetric; 6] = [
        Self::Knn,
        Self::Spread,
        Self::Alignment,
        Self::Uniformity,
        Self::Loss,
        Self::RankMe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Knn => "kNN accuracy",
            Self::Spread => "std·√d",
            Self::Alignment => "alignment (lower: views closer)",
            Self::Uniformity => "uniformity (lower: more uniform)",
            Self::Loss => "loss",
            Self::RankMe => "RankMe",
        }
    }

    pub fn of(self, r: &MetricsRow) -> f64 {
        let d = &r.diagnostics;
        match self {
            Self::Knn => d.knn_acc,
            Self::Spread => d.spread(),
            Self::Alignment => d.alignment,
            Self::Uniformity => d.uniformity,
            Self::Loss => r.loss,
            Self::RankMe => d.rankme,
        }
    }
}

/// One value's point of the curve: where it sits on the axis, its mean over seeds, their range
/// and each seed's number.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub value: String,
    pub x: f64,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub seeds: Vec<f64>,
}

/// The row of `history` the curve reads at `step` (the newest at or before it; the newest
/// without one).
fn row_at(history: &History, step: Option<usize>) -> Option<&MetricsRow> {
    match step {
        Some(s) => history.iter().rev().find(|r| r.step <= s),
        None => history.last(),
    }
}

/// The curve of `metric` over the sweep's values, from each run's history (`histories[i]` is
/// run `i`'s) at `step`. Values without a row yet are left out, and so are runs still at step
/// 0 once others have trained (a queue's waiting runs: their random encoder is no point on
/// the curve).
pub fn curve(
    sweep: &SweepRuns,
    histories: &[&History],
    metric: SweepMetric,
    step: Option<usize>,
) -> Vec<CurvePoint> {
    let axis = sweep.spec.axis();
    let started = |h: &History| h.last().is_some_and(|r| r.step > 0);
    let any_started = histories.iter().any(|h| started(h));
    let mut points: Vec<CurvePoint> = sweep
        .spec
        .values
        .iter()
        .enumerate()
        .filter_map(|(j, value)| {
            let seeds: Vec<f64> = sweep
                .points
                .iter()
                .zip(histories)
                .filter(|(p, h)| &p.value == value && (started(h) || !any_started))
                .filter_map(|(_, h)| row_at(h, step).map(|r| metric.of(r)))
                .filter(|v| v.is_finite())
                .collect();
            if seeds.is_empty() {
                return None;
            }
            Some(CurvePoint {
                value: value.clone(),
                x: axis[j],
                mean: seeds.iter().sum::<f64>() / seeds.len() as f64,
                lo: seeds.iter().copied().fold(f64::INFINITY, f64::min),
                hi: seeds.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                seeds,
            })
        })
        .collect();
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    points
}

/// The swept values' colours in a row, labelled: the colour bar of the time plots.
fn colour_bar(ui: &mut Ui, sweep: &SweepRuns) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{}:", sweep.spec.key.name()));
        for (j, value) in sweep.spec.values.iter().enumerate() {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(22.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, sweep.colour(j));
            ui.label(value);
        }
    });
}

/// The panel: the curve, the colour bar and the time plots; a right-click on a plot saves it.
pub fn panel(ui: &mut Ui, app: &LabApp) -> Vec<AppCommand> {
    let Some(sweep) = app.sweep() else {
        return Vec::new();
    };
    let histories: Vec<&History> = app.slots().iter().map(|s| s.history()).collect();
    let cursor = app.shown_step();
    let chosen = egui::Id::unique("sweep-curve-metric");
    let mut metric: SweepMetric = ui.data(|d| d.get_temp(chosen)).unwrap_or_default();
    let mut saved = Vec::new();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading(format!(
            "Sweep of {}: {} values × {} seed(s)",
            sweep.spec.key.name(),
            sweep.spec.values.len(),
            sweep.spec.seeds
        ));
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("sweep-metric")
                .selected_text(metric.name())
                .show_ui(ui, |ui| {
                    for m in SweepMetric::ALL {
                        ui.selectable_value(&mut metric, m, m.name());
                    }
                });
            ui.label(match cursor {
                Some(step) => format!("at the timeline's step {step}"),
                None => "at the newest step".into(),
            });
        });
        ui.data_mut(|d| d.insert_temp(chosen, metric));
        let points = curve(sweep, &histories, metric, cursor);
        saved.push((
            "sweep-curve".to_string(),
            curve_plot(ui, sweep, &points, metric),
        ));
        colour_bar(ui, sweep);
        for m in [
            SweepMetric::Loss,
            SweepMetric::Spread,
            SweepMetric::Knn,
            SweepMetric::Uniformity,
            SweepMetric::Alignment,
        ] {
            ui.label(m.name());
            saved.push((
                format!("sweep-{m:?}").to_lowercase(),
                time_plot(ui, sweep, &histories, m, cursor),
            ));
        }
    });
    saved
        .into_iter()
        .filter_map(|(name, r)| crate::app::files::save_plot_menu(&r, &name))
        .collect()
}

fn curve_plot(
    ui: &mut Ui,
    sweep: &SweepRuns,
    points: &[CurvePoint],
    metric: SweepMetric,
) -> egui::Response {
    let log = sweep.spec.log_axis();
    let numeric = sweep.spec.numeric_values().is_some();
    let labels = sweep.spec.values.clone();
    let key = sweep.spec.key.name();
    Plot::new("sweep-curve")
        .height(150.0)
        .x_axis_label(if log {
            format!("{key} (log scale)")
        } else {
            key.to_string()
        })
        .x_axis_formatter(move |mark, _| {
            if log {
                format!("{:.3}", 10f64.powf(mark.value))
            } else if numeric {
                format!("{}", mark.value)
            } else {
                // A choice: its values at 0, 1, 2 …
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        })
        .show(ui, |plot| {
            let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
            let lo: Vec<f64> = points.iter().map(|p| p.lo).collect();
            let hi: Vec<f64> = points.iter().map(|p| p.hi).collect();
            if sweep.spec.seeds > 1 && xs.len() > 1 {
                plot.add(
                    FilledArea::new("range over seeds", &xs, &lo, &hi)
                        .fill_color(Color32::from_rgba_unmultiplied(150, 150, 150, 60)),
                );
            }
            let mean: Vec<[f64; 2]> = points.iter().map(|p| [p.x, p.mean]).collect();
            plot.line(
                Line::new(format!("{} (mean)", metric.name()), PlotPoints::from(mean))
                    .color(Color32::LIGHT_GRAY),
            );
            for p in points {
                let j = sweep.value_index(&p.value);
                let dots: Vec<[f64; 2]> = p.seeds.iter().map(|v| [p.x, *v]).collect();
                plot.points(
                    Points::new(sweep.heading(&p.value), PlotPoints::from(dots))
                        .radius(4.0)
                        .color(sweep.colour(j)),
                );
            }
        })
        .response
}

fn time_plot(
    ui: &mut Ui,
    sweep: &SweepRuns,
    histories: &[&History],
    metric: SweepMetric,
    cursor: Option<usize>,
) -> egui::Response {
    Plot::new(("sweep-time", metric.name()))
        .height(PLOT_HEIGHT)
        .link_cursor(egui::Id::unique("sweep-time-plots"), [true, false])
        .show(ui, |plot| {
            for (p, history) in sweep.points.iter().zip(histories) {
                let every = history.len().div_ceil(LINE_POINTS).max(1);
                let line: Vec<[f64; 2]> = history
                    .iter()
                    .step_by(every)
                    .chain(history.last())
                    .map(|r| [r.step as f64, metric.of(r)])
                    .collect();
                let name = if sweep.spec.seeds > 1 {
                    format!(
                        "{} · seed {}",
                        sweep.heading(&p.value),
                        sweep.seed + p.seed_offset
                    )
                } else {
                    sweep.heading(&p.value)
                };
                plot.line(
                    Line::new(name, PlotPoints::from(line))
                        .color(sweep.colour(sweep.value_index(&p.value))),
                );
            }
            if let Some(step) = cursor {
                plot.vline(
                    VLine::new(format!("timeline: step {step}"), step as f64)
                        .color(Color32::WHITE)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
        })
        .response
}
