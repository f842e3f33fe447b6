//! A line plot over steps: every run's lines, decimated to the plot's width and kept between
//! snapshots, the events as labelled markers, the values at the pointer.

use super::series::{Drawn, Formula, row_at};
use super::{PLOT_HEIGHT, Shown};
use crate::app::trace::{Trace, Tracer};
use egui::{Color32, Ui};
use egui_plot::{
    ColorConflictHandling, FilledArea, HLine, HoverPosition, Legend, Line, Plot, PlotPoints, VLine,
};
use std::sync::{Arc, Mutex, PoisonError};

/// Columns a time plot's lines are decimated to at most (wider plots get no more).
pub const PLOT_COLUMNS: usize = 256;

/// Pixels of a plot's width a column of a decimated line spans. The software rasteriser's
/// cost follows a line's vertices more than its pixels: at one column a pixel the window's
/// frames cost ≈ 0.1 cores more once the plots had filled (minute 5 of a run against minute
/// 1), at 48 columns a plot nothing more; the band keeps four pixels a column looking like
/// the full line. The columns' grid doubles as the run grows, so a column spans 4–8 pixels.
pub(super) const PIXELS_PER_COLUMN: f32 = 4.0;

/// How opaque a decimated line's band (its columns' lowest to highest value) is drawn, as a
/// share of the line's colour.
pub(super) const BAND_OPACITY: f32 = 0.35;

/// Columns a time plot's lines are decimated to at most: one per [`PIXELS_PER_COLUMN`] pixels
/// of the plot's width, within `[32, PLOT_COLUMNS]`.
pub(super) fn columns_of(ui: &Ui) -> usize {
    let pixels = ui.available_width() * ui.ctx().pixels_per_point();
    ((pixels / PIXELS_PER_COLUMN).max(0.0).ceil() as usize).clamp(32, PLOT_COLUMNS)
}

/// What a plot's lines were computed from: the rows (each history's generation and lineage),
/// the width and the lines.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LinesKey {
    pub(super) rows: [u64; 3],
    pub(super) lineages: [u64; 3],
    pub(super) columns: usize,
    pub(super) names: Vec<String>,
}

impl LinesKey {
    /// The same lines of the same runs, whose rows have at most grown since `self`.
    fn grown_into(&self, next: &LinesKey) -> bool {
        (&self.lineages, self.columns, &self.names) == (&next.lineages, next.columns, &next.names)
    }
}

/// A plot's lines as last drawn, what drew them, and from what.
#[derive(Default)]
pub(super) struct Kept<S, T> {
    key: Option<LinesKey>,
    state: S,
    lines: Arc<T>,
}

/// A plot's lines, computed only when the rows or the plot's width change (a snapshot arrives
/// a few times a second, a frame thirty times). `compute` gets the state it kept from the last
/// time and whether the rows have only grown since (so it may take up only the new ones).
pub(super) fn kept_lines<S, T>(
    ui: &Ui,
    id: &str,
    key: LinesKey,
    compute: impl FnOnce(&mut S, bool) -> T,
) -> Arc<T>
where
    S: Default + Send + 'static,
    T: Default + Send + Sync + 'static,
{
    let handle = egui::Id::unique(("plot-lines", id));
    let kept = ui.ctx().data_mut(|d| {
        d.get_temp_mut_or_default::<Arc<Mutex<Kept<S, T>>>>(handle)
            .clone()
    });
    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.key.as_ref() != Some(&key) {
        let grown = kept.key.as_ref().is_some_and(|k| k.grown_into(&key));
        kept.lines = Arc::new(compute(&mut kept.state, grown));
        kept.key = Some(key);
    }
    Arc::clone(&kept.lines)
}

pub(super) fn time_plot(
    ui: &mut Ui,
    shown: &Shown<'_>,
    id: &str,
    lines: Vec<Drawn<'_>>,
    references: &[(&str, f64)],
) -> egui::Response {
    let Shown {
        runs,
        branch,
        events,
        cursor,
        ..
    } = shown;
    // Each drawn line: its name, its colour, dashed or not; the points come from the cache.
    let mut drawn_lines = Vec::with_capacity(lines.len() * (runs.len() + 1));
    let mut values = Vec::with_capacity(lines.len());
    let mut formulas: Vec<(&str, Formula<'_>)> = Vec::new();
    for (name, value, colour, formula) in lines {
        for (k, (prefix, _)) in runs.iter().enumerate() {
            drawn_lines.push((format!("{prefix}{name}"), colour, k == 1));
        }
        if !branch.is_empty() {
            drawn_lines.push((format!("branch · {name}"), Color32::GRAY, true));
        }
        values.push(value);
        formulas.push((name, formula));
    }
    let columns = columns_of(ui);
    let key = shown.key(
        columns,
        drawn_lines.iter().map(|(n, _, _)| n.clone()).collect(),
    );
    // Each drawn line's tracer takes up only the rows new since the last snapshot.
    let computed = kept_lines(ui, id, key, |tracers: &mut Vec<Tracer>, grown| {
        if !grown {
            *tracers = vec![Tracer::new(columns); drawn_lines.len()];
        }
        let mut tracers = tracers.iter_mut();
        let mut out: Vec<Trace> = Vec::with_capacity(drawn_lines.len());
        for value in &values {
            let rows = runs
                .iter()
                .map(|(_, r)| r)
                .chain((!branch.is_empty()).then_some(branch));
            for (run_rows, tracer) in rows.zip(tracers.by_ref()) {
                out.push(tracer.trace(run_rows, value));
            }
        }
        out
    });
    let hover = |pos: &HoverPosition<'_>| -> Option<String> {
        let HoverPosition::NearDataPoint {
            plot_name,
            position,
            ..
        } = pos
        else {
            return None;
        };
        // "B · kNN" is B's kNN line.
        let (run, name) = match plot_name.split_once(" · ") {
            Some(("B", name)) => (1, name),
            Some((_, name)) => (0, name),
            None => (0, *plot_name),
        };
        let formula = formulas.iter().find(|(n, _)| *n == name);
        let run_rows = runs.get(run).map(|(_, r)| r.as_slice()).unwrap_or_default();
        match (formula, row_at(run_rows, position.x)) {
            (Some((_, f)), Some(r)) => Some(format!("step {}\n{}", r.step, f(r))),
            // A reference line or an event marker: its name says what it is.
            _ => Some(format!(
                "{plot_name}\nstep {:.0}, {:.4}",
                position.x, position.y
            )),
        }
    };
    Plot::new(id)
        .height(PLOT_HEIGHT)
        // A line and its band share a name (one legend entry, shown and hidden together),
        // and the entry takes the line's colour, drawn last.
        .legend(Legend::default().color_conflict_handling(ColorConflictHandling::PickLast))
        .link_cursor(egui::Id::unique("time-plots"), [true, false])
        .label_formatter(hover)
        .show(ui, |plot| {
            for ((name, colour, dashed), trace) in drawn_lines.into_iter().zip(computed.iter()) {
                let band = &trace.band;
                if !band.steps.is_empty() {
                    plot.add(
                        FilledArea::new(name.as_str(), &band.steps, &band.lo, &band.hi)
                            .fill_color(colour.gamma_multiply(BAND_OPACITY))
                            .allow_hover(false),
                    );
                }
                let line = Line::new(name, PlotPoints::Borrowed(&trace.line)).color(colour);
                plot.line(if dashed {
                    line.style(egui_plot::LineStyle::dashed_dense())
                } else {
                    line
                });
            }
            for (name, y) in references {
                plot.hline(
                    HLine::new(*name, *y)
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
            for (x, label, colour) in events {
                plot.vline(VLine::new(label.clone(), *x).color(*colour));
            }
            if let Some(step) = *cursor {
                plot.vline(
                    VLine::new(format!("timeline: step {step}"), step as f64)
                        .color(Color32::WHITE)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            }
        })
        .response
}
