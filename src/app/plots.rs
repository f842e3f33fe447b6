//! Diagnostics over steps: loss, spread (std·√d with its collapse line), kNN accuracy with the
//! random-encoder baseline, alignment/uniformity, RankMe, and method extras. Every knob change
//! is a labelled vertical marker on every plot.

use super::LabApp;
use crate::train::MetricsRow;
use egui::{Color32, Ui};
use egui_plot::{HLine, Legend, Line, Plot, PlotPoints, VLine};

const PLOT_HEIGHT: f32 = 110.0;

/// A diagnostic read off a metrics row.
type Metric = fn(&MetricsRow) -> f64;

/// A time plot with plain lines (the ones with reference lines are drawn by hand).
struct Chart {
    id: &'static str,
    title: &'static str,
    lines: &'static [(&'static str, Metric, Color32)],
}

const CHARTS: &[Chart] = &[
    Chart {
        id: "align",
        title: "alignment (lower: views agree) and uniformity (lower: more spread out)",
        lines: &[
            ("alignment", |r| r.diagnostics.alignment, Color32::LIGHT_RED),
            (
                "uniformity",
                |r| r.diagnostics.uniformity,
                Color32::LIGHT_BLUE,
            ),
        ],
    },
    Chart {
        id: "rankme",
        title: "RankMe (effective rank of the embedding)",
        lines: &[("RankMe", |r| r.diagnostics.rankme, Color32::KHAKI)],
    },
    Chart {
        id: "cos",
        title: "mean cosine: positive pairs vs negatives",
        lines: &[
            ("positive", |r| r.diagnostics.pos_cos, Color32::LIGHT_GREEN),
            ("negative", |r| r.diagnostics.neg_cos, Color32::LIGHT_RED),
        ],
    },
];

fn series(rows: &[MetricsRow], f: impl Fn(&MetricsRow) -> f64) -> PlotPoints<'static> {
    rows.iter()
        .map(|r| [r.step as f64, f(r)])
        .filter(|p| p[1].is_finite())
        .collect::<Vec<_>>()
        .into()
}

fn time_plot(
    ui: &mut Ui,
    app: &LabApp,
    id: &str,
    title: &str,
    lines: Vec<(&str, PlotPoints<'static>, Color32)>,
    references: &[(&str, f64)],
) -> egui::Response {
    ui.label(title);
    let events: Vec<(f64, String)> = app
        .status()
        .events
        .iter()
        .map(|e| (e.step as f64, e.label()))
        .collect();
    Plot::new(id)
        .height(PLOT_HEIGHT)
        .legend(Legend::default())
        .link_cursor(egui::Id::unique("time-plots"), [true, false])
        .show(ui, |plot| {
            for (name, pts, colour) in lines {
                plot.line(Line::new(name, pts).color(colour));
            }
            for (name, y) in references {
                plot.hline(
                    HLine::new(*name, *y)
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
            for (x, label) in &events {
                plot.vline(VLine::new(label.clone(), *x).color(Color32::from_rgb(200, 120, 40)));
            }
        })
        .response
}

/// Every plot of the panel; a right-click on one saves it as a PNG.
pub fn panel(ui: &mut Ui, app: &mut LabApp) {
    let shown = draw(ui, app);
    for (name, response) in shown {
        super::files::plot_menu(&response, app, &name);
    }
}

fn draw(ui: &mut Ui, app: &LabApp) -> Vec<(String, egui::Response)> {
    let rows = app.history();
    let mut shown: Vec<(String, egui::Response)> = Vec::new();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Diagnostics");
        let spread = rows
            .last()
            .map(|r| r.diagnostics.std / r.diagnostics.std_ref.max(1e-12));
        if let Some(s) = spread {
            collapse_gauge(ui, s);
        }
        let r = time_plot(
            ui,
            app,
            "loss",
            "loss",
            vec![("loss", series(rows, |r| r.loss), Color32::LIGHT_BLUE)],
            &[],
        );
        shown.push(("loss".into(), r));
        let r = time_plot(
            ui,
            app,
            "spread",
            "std·√d of l2-normalised z (1 = spread over the sphere, 0 = collapsed)",
            vec![(
                "std·√d",
                series(rows, |r| {
                    r.diagnostics.std / r.diagnostics.std_ref.max(1e-12)
                }),
                Color32::LIGHT_GREEN,
            )],
            &[("uniform (1/√d)", 1.0)],
        );
        shown.push(("spread".into(), r));
        let baseline = rows.first().map(|r| r.diagnostics.knn_acc).unwrap_or(0.0);
        let r = time_plot(
            ui,
            app,
            "knn",
            "kNN accuracy (k = 20, cosine) on held-out probe samples",
            vec![(
                "kNN",
                series(rows, |r| r.diagnostics.knn_acc),
                Color32::GOLD,
            )],
            &[("random encoder", baseline)],
        );
        shown.push(("knn".into(), r));
        shown.push(("trajectory".into(), trajectory(ui, rows)));
        if let Some(r) = spectrum(ui, rows) {
            shown.push(("spectrum".into(), r));
        }
        for chart in CHARTS {
            let lines = chart
                .lines
                .iter()
                .map(|(name, metric, colour)| (*name, series(rows, metric), *colour))
                .collect();
            let r = time_plot(ui, app, chart.id, chart.title, lines, &[]);
            shown.push((chart.id.into(), r));
        }
        let extras: Vec<&'static str> = rows
            .last()
            .map(|r| r.extras.iter().map(|(k, _)| *k).collect())
            .unwrap_or_default();
        for key in extras {
            let pts = series(rows, |r| {
                r.extras
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| *v)
                    .unwrap_or(f64::NAN)
            });
            let r = time_plot(
                ui,
                app,
                key,
                key,
                vec![(key, pts, Color32::LIGHT_GRAY)],
                &[],
            );
            shown.push((key.into(), r));
        }
    });
    shown
}

/// Alignment against uniformity, one point per snapshot (Wang & Isola's plane): training
/// should head down-left; a collapse runs to uniformity 0.
fn trajectory(ui: &mut Ui, rows: &[MetricsRow]) -> egui::Response {
    ui.label("alignment vs uniformity over training (both lower is better)");
    let path: Vec<[f64; 2]> = rows
        .iter()
        .map(|r| [r.diagnostics.uniformity, r.diagnostics.alignment])
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    let now = path.last().copied();
    Plot::new("trajectory")
        .height(PLOT_HEIGHT * 1.3)
        .x_axis_label("uniformity")
        .y_axis_label("alignment")
        .show(ui, |plot| {
            plot.line(Line::new("path", PlotPoints::from(path)).color(Color32::LIGHT_BLUE));
            if let Some(p) = now {
                plot.points(
                    egui_plot::Points::new("now", PlotPoints::from(vec![p]))
                        .radius(4.0)
                        .color(Color32::GOLD),
                );
            }
        })
        .response
}

/// The current singular values of the centred embedding on a log scale: a collapse shows as
/// a cliff (dimensional collapse) or as everything falling together (complete collapse).
fn spectrum(ui: &mut Ui, rows: &[MetricsRow]) -> Option<egui::Response> {
    ui.label("singular values of the centred embedding (log10)");
    let last = rows.last()?;
    let pts: Vec<[f64; 2]> = last
        .diagnostics
        .spectrum
        .iter()
        .enumerate()
        .map(|(k, s)| [k as f64 + 1.0, s.max(1e-12).log10()])
        .collect();
    Plot::new("spectrum")
        .height(PLOT_HEIGHT)
        .x_axis_label("index")
        .show(ui, |plot| {
            plot.line(Line::new("log10 σ", PlotPoints::from(pts)).color(Color32::KHAKI));
        })
        .response
        .into()
}

/// A bar from red (collapsed) to green (spread), the number a class reads first.
fn collapse_gauge(ui: &mut Ui, spread: f64) {
    let s = spread.clamp(0.0, 1.0) as f32;
    let colour = Color32::from_rgb((220.0 * (1.0 - s)) as u8, (180.0 * s) as u8, 60);
    let verdict = if spread < 0.1 {
        "collapsed"
    } else if spread < 0.5 {
        "collapsing?"
    } else {
        "healthy spread"
    };
    ui.add(
        egui::ProgressBar::new(s)
            .fill(colour)
            .text(format!("collapse gauge: std·√d = {spread:.2} ({verdict})")),
    );
}
