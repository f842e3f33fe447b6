//! Diagnostics over steps: loss (with the InfoNCE bound), spread (std·√d with its collapse
//! line), kNN accuracy with the random-encoder baseline, alignment/uniformity, RankMe, and
//! method extras. Every knob change is a labelled vertical marker on every plot, and hovering a
//! line shows its formula with that snapshot's values plugged in.
//!
//! `series` declares the lines and their formulas, `time_plot` draws a line plot over steps
//! (its lines decimated and kept between snapshots), `special` the plots of one kind each
//! (loss with its bound, the trajectory, the spectrum, the collapse gauge).

mod series;
mod special;
mod time_plot;

pub use series::FormulaContext;
pub use time_plot::PLOT_COLUMNS;

use super::LabApp;
use crate::metrics::Extra;
use crate::train::{History, MetricsRow};
use egui::{Color32, Ui};
use series::{ACCURACIES, ACCURACY_COLOURS, CHARTS, Drawn, KNN, SPREAD, drawn, extra_formula};
use special::{agreement_plot, collapse_gauge, loss_plot, spectrum, trajectory};
use time_plot::{LinesKey, time_plot};

const PLOT_HEIGHT: f32 = 110.0;

/// Run B's event markers.
const B_EVENTS: Color32 = Color32::from_rgb(120, 170, 255);

/// The rows a plot draws: run A's and, in a comparison, run B's (dashed), each line named
/// "A · …" / "B · …".
struct Rows<'a> {
    a: &'a History,
    b: Option<&'a History>,
}

impl<'a> Rows<'a> {
    fn of(app: &'a LabApp) -> Self {
        Self {
            a: app.history(),
            b: app.comparison().and(app.run_b()).map(|b| b.history()),
        }
    }

    /// Every run's rows with the prefix of its line names (none without a comparison).
    fn runs(&self) -> Vec<(&'static str, Vec<&'a MetricsRow>)> {
        let a: Vec<&MetricsRow> = self.a.iter().collect();
        match self.b {
            None => vec![("", a)],
            Some(b) => {
                // A fork's history starts at the fork: before it, B's curve is A's.
                let before = b.first().map_or(0, |r| r.step);
                let b_rows = self
                    .a
                    .iter()
                    .filter(|r| r.step < before)
                    .chain(b.iter())
                    .collect();
                vec![("A · ", a), ("B · ", b_rows)]
            }
        }
    }
}

/// What every time plot of a frame draws from, gathered once per frame: the runs' rows, the
/// branch a rewind abandoned, the event markers and the timeline's cursor.
struct Shown<'a> {
    runs: Vec<(&'static str, Vec<&'a MetricsRow>)>,
    branch: Vec<&'a MetricsRow>,
    /// The generations and the lineages of run A's, run B's and the branch's histories (0:
    /// none).
    generations: [u64; 3],
    lineages: [u64; 3],
    events: Vec<(f64, String, Color32)>,
    cursor: Option<usize>,
}

impl<'a> Shown<'a> {
    fn of(app: &'a LabApp) -> Self {
        let mut events: Vec<(f64, String, Color32)> = app
            .status()
            .events
            .iter()
            .map(|e| (e.step as f64, e.label(), Color32::from_rgb(200, 120, 40)))
            .collect();
        if let Some(b) = app.comparison().and(app.run_b()) {
            // B's own changes (a fork's, a lesson's scripted one) in B's colour.
            let a_events = &app.status().events;
            events.extend(
                b.status()
                    .events
                    .iter()
                    .filter(|e| !a_events.contains(e))
                    .map(|e| (e.step as f64, format!("B: {}", e.label()), B_EVENTS)),
            );
        }
        // The future a rewind abandoned, from its branch step on: a grey ghost of each line.
        let abandoned = app.published().branch.as_ref();
        let branch = abandoned
            .map(|b| b.history.iter().filter(|r| r.step >= b.from).collect())
            .unwrap_or_default();
        let histories = [
            Some(app.history()),
            app.comparison().and(app.run_b()).map(|b| b.history()),
            abandoned.map(|b| &b.history),
        ];
        Self {
            runs: Rows::of(app).runs(),
            branch,
            generations: histories.map(|h| h.map_or(0, History::generation)),
            lineages: histories.map(|h| h.map_or(0, History::lineage)),
            events,
            cursor: app.shown_step(),
        }
    }

    /// What lines named `names`, `columns` wide, are drawn from.
    fn key(&self, columns: usize, names: Vec<String>) -> LinesKey {
        LinesKey {
            rows: self.generations,
            lineages: self.lineages,
            columns,
            names,
        }
    }
}

/// Every plot of the panel; a right-click on one asks to save it as a PNG.
pub fn panel(ui: &mut Ui, app: &LabApp) -> Vec<super::AppCommand> {
    draw(ui, app)
        .into_iter()
        .filter_map(|(name, response)| super::files::save_plot_menu(&response, &name))
        .collect()
}

fn draw(ui: &mut Ui, app: &LabApp) -> Vec<(String, egui::Response)> {
    let rows = app.history();
    let ctx = FormulaContext {
        dim: app.config().out_dim,
        candidates: crate::methods::info_nce_candidates(app.config()),
    };
    let plotted = Shown::of(app);
    let mut shown: Vec<(String, egui::Response)> = Vec::new();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Diagnostics");
        match app.comparison().zip(app.run_b()) {
            None => {
                // The gauge of the step the views show (the timeline's cursor, or the newest).
                let shown = match app.shown_step() {
                    Some(step) => rows.iter().rev().find(|r| r.step <= step),
                    None => rows.last(),
                };
                if let Some(r) = shown {
                    collapse_gauge(ui, "", r, &ctx);
                }
            }
            Some((b, run_b)) => {
                ui.label(format!("A: this run · {} (dashed)", b.label()));
                if let Some(r) = rows.last() {
                    collapse_gauge(ui, "A ", r, &ctx);
                }
                if let Some(r) = run_b.history().last() {
                    collapse_gauge(ui, "B ", r, &ctx);
                }
            }
        }
        shown.push(("loss".into(), loss_plot(ui, app, &plotted, &ctx)));
        ui.label("std·√d of l2-normalised z (1 = spread over the sphere, 0 = collapsed)");
        let r = time_plot(
            ui,
            &plotted,
            "spread",
            vec![drawn(&SPREAD, ctx)],
            &[("uniform (1/√d)", 1.0)],
        );
        shown.push(("spread".into(), r));
        let baseline = rows.first().map(|r| r.diagnostics.knn_acc).unwrap_or(0.0);
        let reported = |metric: &Extra| rows.last().is_some_and(|r| r.extra(*metric).is_finite());
        let accuracies: Vec<Extra> = ACCURACIES.iter().copied().filter(reported).collect();
        let mut lines = vec![drawn(&KNN, ctx)];
        lines.extend(accuracies.iter().zip(ACCURACY_COLOURS).map(|(&metric, colour)| {
            let line: Drawn<'_> = (
                metric.name(),
                Box::new(move |r: &MetricsRow| r.extra(metric)),
                colour,
                Box::new(move |r: &MetricsRow| extra_formula(metric, r)),
            );
            line
        }));
        ui.label(if accuracies.is_empty() {
            "kNN accuracy (k = 20, cosine) on held-out probe samples"
        } else {
            "kNN accuracy (k = 20, cosine) on held-out probe samples, zero-shot accuracy (nearest prompt) and image→caption retrieval"
        });
        let r = time_plot(
            ui,
            &plotted,
            "knn",
            lines,
            &[("random encoder", baseline)],
        );
        shown.push(("knn".into(), r));
        if app.state.view.present {
            // For the back of the hall: the gauge, the loss, the spread and kNN, large.
            ui.label(
                egui::RichText::new("presenter mode: the other plots are folded (View → Present)")
                    .weak(),
            );
            return;
        }
        if let Some(b) = app.comparison() {
            ui.label("neighbour agreement of A and B (k = 10, cosine): 1 = the same neighbourhoods")
                .on_hover_text("for each probe sample, the share of its 10 nearest neighbours (cosine, on z) that are its neighbours in both runs, averaged over the probe (the Embedding Comparator's measure)");
            shown.push(("agreement".into(), agreement_plot(ui, &b.agreement.series)));
        }
        shown.push(("trajectory".into(), trajectory(ui, &plotted)));
        if let Some(r) = spectrum(ui, &Rows::of(app)) {
            shown.push(("spectrum".into(), r));
        }
        for chart in CHARTS {
            ui.label(chart.title);
            let lines = chart.lines.iter().map(|s| drawn(s, ctx)).collect();
            let r = time_plot(ui, &plotted, chart.id, lines, &[]);
            shown.push((chart.id.into(), r));
        }
        // The InfoNCE bound is drawn on the loss plot.
        let extras: Vec<Extra> = rows
            .last()
            .map(|r| {
                r.extras
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| *k != Extra::MiBound && !ACCURACIES.contains(k))
                    .collect()
            })
            .unwrap_or_default();
        for metric in extras {
            let key = metric.name();
            ui.label(key).on_hover_text(metric.formula());
            let line: Drawn<'_> = (
                key,
                Box::new(move |r| r.extra(metric)),
                Color32::LIGHT_GRAY,
                Box::new(move |r| extra_formula(metric, r)),
            );
            let r = time_plot(ui, &plotted, key, vec![line], &[]);
            shown.push((key.into(), r));
        }
    });
    shown
}

#[cfg(test)]
mod tests;
