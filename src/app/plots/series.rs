//! The lines of the time plots: what each reads off a row, its colour, and its formula with
//! the row's values plugged in.

use crate::metrics::Extra;
use crate::train::MetricsRow;
use egui::Color32;

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
pub(super) struct Series {
    pub(super) name: &'static str,
    pub(super) value: fn(&MetricsRow) -> f64,
    pub(super) colour: Color32,
    pub(super) formula: fn(&MetricsRow, &FormulaContext) -> String,
}

/// A time plot whose lines are all [`Series`].
pub(super) struct Chart {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) lines: &'static [Series],
}

pub(super) const SPREAD: Series = Series {
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

pub(super) const KNN: Series = Series {
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

pub(super) const LOSS: Series = Series {
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

pub(super) const MI_BOUND: Series = Series {
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
pub(super) const ACCURACIES: [Extra; 2] = [Extra::ZeroShotAcc, Extra::RetrievalAcc];
pub(super) const ACCURACY_COLOURS: [Color32; 2] = [
    Color32::from_rgb(255, 120, 200),
    Color32::from_rgb(120, 200, 255),
];

pub(super) const CHARTS: &[Chart] = &[
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
pub(super) fn row_at<'a>(rows: &[&'a MetricsRow], step: f64) -> Option<&'a MetricsRow> {
    rows.iter().copied().find(|r| r.step as f64 >= step - 0.5)
}

/// A method-specific number with the formula declared beside it.
pub(super) fn extra_formula(metric: Extra, r: &MetricsRow) -> String {
    format!("{metric} = {}\n= {:.4}", metric.formula(), r.extra(metric))
}

/// A line's formula with a row's values plugged in.
pub(super) type Formula<'a> = Box<dyn Fn(&MetricsRow) -> String + 'a>;

/// How a line reads its value off a row.
pub(super) type Value<'a> = Box<dyn Fn(&MetricsRow) -> f64 + 'a>;

/// One line as drawn: name, value, colour, and its formula on hover.
pub(super) type Drawn<'a> = (&'a str, Value<'a>, Color32, Formula<'a>);

pub(super) fn drawn(s: &Series, ctx: FormulaContext) -> Drawn<'_> {
    let formula = s.formula;
    (
        s.name,
        Box::new(s.value),
        s.colour,
        Box::new(move |r| formula(r, &ctx)),
    )
}
