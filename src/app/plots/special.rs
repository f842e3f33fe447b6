//! The plots of one kind each: the loss with ln N and the bound, the neighbour agreement,
//! the alignment–uniformity trajectory, the spectrum, the collapse gauge.

use super::series::{FormulaContext, LOSS, MI_BOUND, SPREAD, drawn};
use super::time_plot::{columns_of, kept_lines, time_plot};
use super::{PLOT_HEIGHT, Rows, Shown};
use crate::app::LabApp;
use crate::app::trace::thin;
use crate::train::MetricsRow;
use egui::{Color32, Ui};
use egui_plot::{HoverPosition, Line, Plot, PlotPoint, PlotPoints};
use std::sync::Arc;

/// The loss; for the InfoNCE methods also ln N (chance: a uniform softmax over the N
/// candidates) and the mutual-information bound ln N − loss, which can never exceed ln N.
pub(super) fn loss_plot(
    ui: &mut Ui,
    app: &LabApp,
    plotted: &Shown<'_>,
    ctx: &FormulaContext,
) -> egui::Response {
    let rows = app.history();
    let mut lines = vec![drawn(&LOSS, *ctx)];
    let mut references = Vec::new();
    match ctx.candidates {
        Some(n) => {
            let ln_n = (n.max(1) as f64).ln();
            lines.push(drawn(&MI_BOUND, *ctx));
            references.push(("ln N (chance)", ln_n));
            let latest = rows.last().map_or(f64::NAN, |r| r.loss);
            ui.label("loss, and the InfoNCE bound on the views' mutual information")
                .on_hover_text(format!(
                    "InfoNCE is an N-way classification of the positive among N = {n} candidates. \
                     A uniform softmax (chance) scores ln N = ln {n} = {ln_n:.3}.\n\
                     ln N − loss = {ln_n:.3} − {latest:.3} = {:.3} nats is a lower bound on the mutual information \
                     I(v1; v2) of the two views (Oord et al. 2018). It can never exceed ln N: \
                     a bigger batch (or MoCo queue) raises the ceiling.",
                    ln_n - latest
                ));
        }
        None => {
            ui.label("loss");
        }
    }
    time_plot(ui, plotted, "loss", lines, &references)
}

/// The mean neighbour agreement of the two runs over steps.
pub(super) fn agreement_plot(ui: &mut Ui, series: &[(usize, f64)]) -> egui::Response {
    let pts: Vec<[f64; 2]> = series.iter().map(|&(s, v)| [s as f64, v]).collect();
    Plot::new("agreement")
        .height(PLOT_HEIGHT)
        .include_y(0.0)
        .include_y(1.0)
        .link_cursor(egui::Id::unique("time-plots"), [true, false])
        .show(ui, |plot| {
            plot.line(
                Line::new("agreement", PlotPoints::from(pts))
                    .color(Color32::from_rgb(120, 220, 200)),
            );
        })
        .response
}

/// Alignment against uniformity, one point per snapshot (Wang & Isola's plane): training
/// should head down-left; a collapse runs to uniformity 0.
pub(super) fn trajectory(ui: &mut Ui, shown: &Shown<'_>) -> egui::Response {
    ui.label("alignment vs uniformity over training (both lower is better)");
    let columns = columns_of(ui);
    let key = shown.key(
        columns,
        shown.runs.iter().map(|(p, _)| p.to_string()).collect(),
    );
    // A path through the rows (not a function of the step, so not in columns): at most two
    // points a column, evenly strided over the rows, with the first and the newest.
    let paths: Arc<Vec<Vec<PlotPoint>>> = kept_lines(ui, "trajectory", key, |_: &mut (), _| {
        shown
            .runs
            .iter()
            .map(|(_, run)| {
                thin(run, 2 * columns)
                    .into_iter()
                    .map(|r| [r.diagnostics.uniformity, r.diagnostics.alignment])
                    .filter(|p| p[0].is_finite() && p[1].is_finite())
                    .map(PlotPoint::from)
                    .collect()
            })
            .collect()
    });
    let nows: Vec<[f64; 2]> = paths
        .iter()
        .filter_map(|p| p.last().map(|q| [q.x, q.y]))
        .collect();
    Plot::new("trajectory")
        .height(PLOT_HEIGHT * 1.3)
        .x_axis_label("uniformity")
        .y_axis_label("alignment")
        .label_formatter(|pos| {
            let p = match pos {
                HoverPosition::NearDataPoint { position, .. }
                | HoverPosition::Elsewhere { position } => position,
            };
            Some(format!(
                "uniformity log E exp(−2‖ẑᵢ − ẑⱼ‖²) = {:.3}\nalignment E‖ẑ₁ − ẑ₂‖² = {:.3}",
                p.x, p.y
            ))
        })
        .show(ui, |plot| {
            for (k, ((prefix, _), path)) in shown.runs.iter().zip(paths.iter()).enumerate() {
                let line = Line::new(format!("{prefix}path"), PlotPoints::Borrowed(path))
                    .color(Color32::LIGHT_BLUE);
                plot.line(if k == 1 {
                    line.style(egui_plot::LineStyle::dashed_dense())
                } else {
                    line
                });
            }
            for p in nows {
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
pub(super) fn spectrum(ui: &mut Ui, rows: &Rows<'_>) -> Option<egui::Response> {
    ui.label("singular values of the centred embedding (log10)");
    let last = rows.a.last()?;
    let total: f64 = last.diagnostics.spectrum.iter().sum::<f64>().max(1e-300);
    // Below 1e-6 of the largest a singular value is numerical noise (it differs with the
    // order of float sums): drawn at that floor, so the axis does not follow the noise.
    let log_values = |r: &MetricsRow| -> Vec<[f64; 2]> {
        let top = r.diagnostics.spectrum.iter().copied().fold(0.0, f64::max);
        let floor = (1e-6 * top).max(1e-12);
        r.diagnostics
            .spectrum
            .iter()
            .enumerate()
            .map(|(k, s)| [k as f64 + 1.0, s.max(floor).log10()])
            .collect()
    };
    let pts = log_values(last);
    let b_pts = rows.b.and_then(|b| b.last()).map(log_values);
    Plot::new("spectrum")
        .height(PLOT_HEIGHT)
        .x_axis_label("index")
        .label_formatter(move |pos| {
            let HoverPosition::NearDataPoint { position, .. } = pos else {
                return None;
            };
            let sigma = 10f64.powf(position.y);
            Some(format!(
                "σ{:.0} = 10^{:.2} = {sigma:.4}: share pₖ = σₖ / Σσ = {:.3} (RankMe's pₖ)",
                position.x,
                position.y,
                sigma / total
            ))
        })
        .show(ui, |plot| {
            let name = if b_pts.is_some() {
                "A · log10 σ"
            } else {
                "log10 σ"
            };
            plot.line(Line::new(name, PlotPoints::from(pts)).color(Color32::KHAKI));
            if let Some(b) = b_pts {
                plot.line(
                    Line::new("B · log10 σ", PlotPoints::from(b))
                        .color(Color32::KHAKI)
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
            }
        })
        .response
        .into()
}

/// A bar from red (collapsed) to green (spread), the number a class reads first.
pub(super) fn collapse_gauge(ui: &mut Ui, run: &str, row: &MetricsRow, ctx: &FormulaContext) {
    let spread = row.diagnostics.spread();
    let s = spread.clamp(0.0, 1.0) as f32;
    let colour = Color32::from_rgb((220.0 * (1.0 - s)) as u8, (180.0 * s) as u8, 60);
    let verdict = if spread < 0.1 {
        "collapsed"
    } else if spread < 0.5 {
        "collapsing?"
    } else {
        "healthy spread"
    };
    ui.add(egui::ProgressBar::new(s).fill(colour).text(format!(
        "{run}collapse gauge: std·√d = {spread:.2} ({verdict})"
    )))
    .on_hover_text(format!(
        "{}\nbelow 0.1: collapsed; below 0.5: collapsing?",
        (SPREAD.formula)(row, ctx)
    ));
}
