//! Diagnostics over steps: loss (with the InfoNCE bound), spread (std·√d with its collapse
//! line), kNN accuracy with the random-encoder baseline, alignment/uniformity, RankMe, and
//! method extras. Every knob change is a labelled vertical marker on every plot, and hovering a
//! line shows its formula with that snapshot's values plugged in.

use super::LabApp;
use super::trace::{Trace, Tracer, thin};
use crate::metrics::Extra;
use crate::train::{History, MetricsRow};
use egui::{Color32, Ui};
use egui_plot::{
    ColorConflictHandling, FilledArea, HLine, HoverPosition, Legend, Line, Plot, PlotPoint,
    PlotPoints, VLine,
};
use std::sync::{Arc, Mutex, PoisonError};

const PLOT_HEIGHT: f32 = 110.0;

/// What a formula may need besides the row: the current run's sizes.
#[derive(Clone, Copy, Debug)]
pub struct FormulaContext {
    /// Embedding dimension d.
    pub dim: usize,
    /// Candidates N of an InfoNCE softmax, for the methods that have one.
    pub candidates: Option<usize>,
}

/// A line of a time plot: its name, how to read it off a row, its colour, and its formula
/// with the row's values plugged in.
struct Series {
    name: &'static str,
    value: fn(&MetricsRow) -> f64,
    colour: Color32,
    formula: fn(&MetricsRow, &FormulaContext) -> String,
}

/// A time plot whose lines are all [`Series`].
struct Chart {
    id: &'static str,
    title: &'static str,
    lines: &'static [Series],
}

const SPREAD: Series = Series {
    name: "std·√d",
    value: |r| r.diagnostics.spread(),
    colour: Color32::LIGHT_GREEN,
    formula: |r, c| {
        format!(
            "std·√d = mean over channels of std(ẑ) × √d = {:.4} × √{} = {:.3}\n1 = spread like a uniform distribution on the sphere, 0 = collapsed to a point",
            r.diagnostics.std,
            c.dim,
            r.diagnostics.spread()
        )
    },
};

const KNN: Series = Series {
    name: "kNN",
    value: |r| r.diagnostics.knn_acc,
    colour: Color32::GOLD,
    formula: |r, _| {
        format!(
            "kNN accuracy = fraction of held-out probe samples whose k = 20 nearest reference samples (cosine, on the encoder output h) vote for their own class = {:.3}",
            r.diagnostics.knn_acc
        )
    },
};

const LOSS: Series = Series {
    name: "loss",
    value: |r| r.loss,
    colour: Color32::LIGHT_BLUE,
    formula: |r, _| {
        format!(
            "loss = mean training loss over the steps since the previous snapshot = {:.4}",
            r.loss
        )
    },
};

const MI_BOUND: Series = Series {
    name: "I(v1; v2) >= ln N - loss",
    value: |r| r.extra(Extra::MiBound),
    colour: Color32::from_rgb(200, 150, 255),
    formula: |r, c| {
        let n = c.candidates.unwrap_or(1).max(1);
        format!(
            "I(v1; v2) ≥ ln N − loss = ln {n} − {:.4} = {:.4} nats (never above ln N = {:.3})",
            r.loss,
            r.extra(Extra::MiBound),
            (n as f64).ln()
        )
    },
};

/// Method accuracies drawn on the kNN plot (same scale, same question: what does the
/// embedding get right), with their colours.
const ACCURACIES: [Extra; 2] = [Extra::ZeroShotAcc, Extra::RetrievalAcc];
const ACCURACY_COLOURS: [Color32; 2] = [
    Color32::from_rgb(255, 120, 200),
    Color32::from_rgb(120, 200, 255),
];

const CHARTS: &[Chart] = &[
    Chart {
        id: "align",
        title: "alignment (lower: views agree) and uniformity (lower: more spread out)",
        lines: &[
            Series {
                name: "alignment",
                value: |r| r.diagnostics.alignment,
                colour: Color32::LIGHT_RED,
                formula: |r, _| {
                    format!(
                        "alignment = E ‖ẑ₁ − ẑ₂‖² over the probe's positive pairs = {:.4} (0: both views land on the same point)",
                        r.diagnostics.alignment
                    )
                },
            },
            Series {
                name: "uniformity",
                value: |r| r.diagnostics.uniformity,
                colour: Color32::LIGHT_BLUE,
                formula: |r, _| {
                    format!(
                        "uniformity = log E exp(−2 ‖ẑᵢ − ẑⱼ‖²) over distinct probe pairs = {:.4} (0: every point at one spot; lower: more evenly spread)",
                        r.diagnostics.uniformity
                    )
                },
            },
        ],
    },
    Chart {
        id: "rankme",
        title: "RankMe (effective rank) of the embedding z and the representation h",
        lines: &[
            Series {
                name: "RankMe of z",
                value: |r| r.diagnostics.rankme,
                colour: Color32::KHAKI,
                formula: |r, c| {
                    format!(
                        "RankMe of the embedding z = exp(−Σₖ pₖ log pₖ), pₖ = σₖ / Σσ + 1e-7 over the singular values σ of the centred embedding = {:.2} (at most d = {})",
                        r.diagnostics.rankme, c.dim
                    )
                },
            },
            Series {
                name: "RankMe of h",
                value: |r| r.diagnostics.rankme_h,
                colour: Color32::from_rgb(150, 200, 120),
                formula: |r, _| {
                    format!(
                        "RankMe of the representation h (the encoder's output, what Garrido et al. report) = {:.2}",
                        r.diagnostics.rankme_h
                    )
                },
            },
        ],
    },
    Chart {
        id: "cos",
        title: "mean cosine: positive pairs vs negatives",
        lines: &[
            Series {
                name: "positive",
                value: |r| r.diagnostics.pos_cos,
                colour: Color32::LIGHT_GREEN,
                formula: |r, _| {
                    format!(
                        "mean cos(ẑ₁, ẑ₂) over the two views of each probe sample = {:.4}",
                        r.diagnostics.pos_cos
                    )
                },
            },
            Series {
                name: "negative",
                value: |r| r.diagnostics.neg_cos,
                colour: Color32::LIGHT_RED,
                formula: |r, _| {
                    format!(
                        "mean cos(ẑᵢ, ẑⱼ) over distinct probe samples = {:.4} (1: all in one spot)",
                        r.diagnostics.neg_cos
                    )
                },
            },
        ],
    },
];

/// The row of `step` (rows are in step order).
fn row_at<'a>(rows: &[&'a MetricsRow], step: f64) -> Option<&'a MetricsRow> {
    rows.iter().copied().find(|r| r.step as f64 >= step - 0.5)
}

/// Run B's event markers.
const B_EVENTS: Color32 = Color32::from_rgb(120, 170, 255);

/// Columns a time plot's lines are decimated to at most (wider plots get no more).
pub const PLOT_COLUMNS: usize = 256;

/// Pixels of a plot's width a column of a decimated line spans. The software rasteriser's
/// cost follows a line's vertices more than its pixels: at one column a pixel the window's
/// frames cost ≈ 0.1 cores more once the plots had filled (minute 5 of a run against minute
/// 1), at 48 columns a plot nothing more; the band keeps four pixels a column looking like
/// the full line. The columns' grid doubles as the run grows, so a column spans 4–8 pixels.
const PIXELS_PER_COLUMN: f32 = 4.0;

/// How opaque a decimated line's band (its columns' lowest to highest value) is drawn, as a
/// share of the line's colour.
const BAND_OPACITY: f32 = 0.35;

/// Columns a time plot's lines are decimated to at most: one per [`PIXELS_PER_COLUMN`] pixels
/// of the plot's width, within `[32, PLOT_COLUMNS]`.
fn columns_of(ui: &Ui) -> usize {
    let pixels = ui.available_width() * ui.ctx().pixels_per_point();
    ((pixels / PIXELS_PER_COLUMN).max(0.0).ceil() as usize).clamp(32, PLOT_COLUMNS)
}

/// What a plot's lines were computed from: the rows (each history's generation and lineage),
/// the width and the lines.
#[derive(Clone, Debug, PartialEq)]
struct LinesKey {
    rows: [u64; 3],
    lineages: [u64; 3],
    columns: usize,
    names: Vec<String>,
}

impl LinesKey {
    /// The same lines of the same runs, whose rows have at most grown since `self`.
    fn grown_into(&self, next: &LinesKey) -> bool {
        (&self.lineages, self.columns, &self.names) == (&next.lineages, next.columns, &next.names)
    }
}

/// A plot's lines as last drawn, what drew them, and from what.
#[derive(Default)]
struct Kept<S, T> {
    key: Option<LinesKey>,
    state: S,
    lines: Arc<T>,
}

/// A plot's lines, computed only when the rows or the plot's width change (a snapshot arrives
/// a few times a second, a frame thirty times). `compute` gets the state it kept from the last
/// time and whether the rows have only grown since (so it may take up only the new ones).
fn kept_lines<S, T>(
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

/// A method-specific number with the formula declared beside it.
fn extra_formula(metric: Extra, r: &MetricsRow) -> String {
    format!("{metric} = {}\n= {:.4}", metric.formula(), r.extra(metric))
}

/// A line's formula with a row's values plugged in.
type Formula<'a> = Box<dyn Fn(&MetricsRow) -> String + 'a>;

/// How a line reads its value off a row.
type Value<'a> = Box<dyn Fn(&MetricsRow) -> f64 + 'a>;

/// One line as drawn: name, value, colour, and its formula on hover.
type Drawn<'a> = (&'a str, Value<'a>, Color32, Formula<'a>);

fn drawn(s: &Series, ctx: FormulaContext) -> Drawn<'_> {
    let formula = s.formula;
    (
        s.name,
        Box::new(s.value),
        s.colour,
        Box::new(move |r| formula(r, &ctx)),
    )
}

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

fn time_plot(
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

/// The loss; for the InfoNCE methods also ln N (chance: a uniform softmax over the N
/// candidates) and the mutual-information bound ln N − loss, which can never exceed ln N.
fn loss_plot(
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
fn agreement_plot(ui: &mut Ui, series: &[(usize, f64)]) -> egui::Response {
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
fn trajectory(ui: &mut Ui, shown: &Shown<'_>) -> egui::Response {
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
fn spectrum(ui: &mut Ui, rows: &Rows<'_>) -> Option<egui::Response> {
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
fn collapse_gauge(ui: &mut Ui, run: &str, row: &MetricsRow, ctx: &FormulaContext) {
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

#[cfg(test)]
mod tests;
