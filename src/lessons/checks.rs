//! What a lesson must show: conditions on the run's metrics (`std_sqrt_d` at the end below
//! 0.3 × its value at the change …), each read from the snapshots of a headless run, and the
//! named checks of a sweep. `run --lesson` prints whether they held.

use super::{ValueMeans, Verdict, name_in, parse_in};
use crate::config::{Method, RunConfig};
use crate::metrics::Extra;
use crate::run::{MetricsRow, Snapshot};

/// Metrics a lesson may name beyond `metrics.csv`'s columns: std·√d (the collapse gauge: 1 for
/// a uniform spread, 0 collapsed) and DINO's teacher entropy as a fraction of ln K.
pub const DERIVED: [&str; 2] = ["std_sqrt_d", "teacher_entropy_ratio"];

/// Where in a run a metric is read: the last snapshot, the last one at or before the
/// lesson's change, or the last one at or before a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum At {
    End,
    Change,
    Step(usize),
}

/// What a bound is measured against: the same metric at the change, at the start, or in the
/// control run (the lesson without its change) at the same point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    Change,
    Start,
    Control,
}

/// A condition's bound: a number, a multiple of a reference (`0.3 * change`), or a reference
/// plus or minus a number (`change - 0.3`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Value(f64),
    Times(f64, Reference),
    Plus(Reference, f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Below,
    Above,
    AtMost,
    AtLeast,
}

/// One thing the run must show: `metric` at `at` in `relation` to `bound`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub metric: String,
    pub at: At,
    pub relation: Relation,
    pub bound: Bound,
}

/// A check a sweep lesson names: its values' final metrics, mean over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepCheck {
    /// τ's sweep: uniformity lowest at a small τ (≤ 0.2) and highest at the largest, at least
    /// 0.5 apart; alignment at the largest τ under half of its value where uniformity is
    /// lowest; the kNN peak at neither end.
    UniformityAgainstTolerance,
}

/// One entry of a lesson's `[[shows]]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Shows {
    Metric(Condition),
    Sweep(SweepCheck),
}

impl Reference {
    pub const ALL: [(Reference, &'static str); 3] = [
        (Reference::Change, "change"),
        (Reference::Start, "start"),
        (Reference::Control, "control"),
    ];

    pub fn name(self) -> &'static str {
        name_in(&Self::ALL, self)
    }

    fn parse(text: &str) -> Option<Self> {
        parse_in(&Self::ALL, text)
    }
}

impl Relation {
    pub const ALL: [(Relation, &'static str); 4] = [
        (Relation::Below, "below"),
        (Relation::Above, "above"),
        (Relation::AtMost, "at_most"),
        (Relation::AtLeast, "at_least"),
    ];

    pub fn name(self) -> &'static str {
        name_in(&Self::ALL, self)
    }

    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Relation::Below => value < bound,
            Relation::Above => value > bound,
            Relation::AtMost => value <= bound,
            Relation::AtLeast => value >= bound,
        }
    }

    fn words(self) -> &'static str {
        match self {
            Relation::Below => "below",
            Relation::Above => "above",
            Relation::AtMost => "at most",
            Relation::AtLeast => "at least",
        }
    }
}

impl At {
    /// `"end"`, `"change"`, or a step number.
    pub fn parse(value: &toml::Value) -> Result<Self, String> {
        match value {
            toml::Value::String(s) if s == "end" => Ok(At::End),
            toml::Value::String(s) if s == "change" => Ok(At::Change),
            toml::Value::Integer(n) if *n >= 0 => Ok(At::Step(*n as usize)),
            other => Err(format!(
                "`at` must be \"end\", \"change\" or a step number, not {other}"
            )),
        }
    }

    pub fn to_toml(self) -> String {
        match self {
            At::End => "\"end\"".into(),
            At::Change => "\"change\"".into(),
            At::Step(n) => n.to_string(),
        }
    }
}

impl Bound {
    /// A number (`0.2`), `K * REF`, `REF`, `REF + K` or `REF - K`, REF one of `change`,
    /// `start`, `control` (`×` may stand for `*`).
    pub fn parse(value: &toml::Value) -> Result<Self, String> {
        let text = match value {
            toml::Value::Float(v) => return Ok(Bound::Value(*v)),
            toml::Value::Integer(v) => return Ok(Bound::Value(*v as f64)),
            toml::Value::String(s) => s.replace('×', "*"),
            other => return Err(format!("a bound is a number or a text, not {other}")),
        };
        let bad = || {
            format!(
                "cannot read the bound `{text}`: write a number (0.2), `0.3 * change`, `change - 0.3` or `0.5 * control` (change, start or control)"
            )
        };
        let number = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let reference = |s: &str| Reference::parse(s.trim());
        if let Some(v) = number(&text) {
            return Ok(Bound::Value(v));
        }
        if let Some((k, r)) = text.split_once('*') {
            return match (number(k), reference(r)) {
                (Some(k), Some(r)) => Ok(Bound::Times(k, r)),
                _ => Err(bad()),
            };
        }
        for (sign, op) in [(1.0, '+'), (-1.0, '-')] {
            if let Some((r, k)) = text.split_once(op) {
                return match (reference(r), number(k)) {
                    (Some(r), Some(k)) => Ok(Bound::Plus(r, sign * k)),
                    _ => Err(bad()),
                };
            }
        }
        reference(&text)
            .map(|r| Bound::Times(1.0, r))
            .ok_or_else(bad)
    }

    pub fn to_toml(self) -> String {
        match self {
            Bound::Value(v) => format!("{v:?}"),
            Bound::Times(1.0, r) => format!("\"{}\"", r.name()),
            Bound::Times(k, r) => format!("\"{k:?} * {}\"", r.name()),
            Bound::Plus(r, d) if d < 0.0 => format!("\"{} - {:?}\"", r.name(), -d),
            Bound::Plus(r, d) => format!("\"{} + {d:?}\"", r.name()),
        }
    }

    fn reference(self) -> Option<Reference> {
        match self {
            Bound::Value(_) => None,
            Bound::Times(_, r) | Bound::Plus(r, _) => Some(r),
        }
    }
}

impl SweepCheck {
    pub const ALL: [(SweepCheck, &'static str); 1] = [(
        SweepCheck::UniformityAgainstTolerance,
        "uniformity-against-tolerance",
    )];

    pub fn name(self) -> &'static str {
        name_in(&Self::ALL, self)
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        parse_in(&Self::ALL, name).ok_or_else(|| {
            format!(
                "no check named `{name}` (named checks: {})",
                Self::ALL.map(|(_, n)| n).join(", ")
            )
        })
    }

    pub fn verdict(self, means: &[ValueMeans]) -> Verdict {
        match self {
            SweepCheck::UniformityAgainstTolerance => uniformity_against_tolerance(means),
        }
    }
}

/// Every metric a lesson of `method` may name: `metrics.csv`'s columns and [`DERIVED`] (the
/// teacher's entropy only where there is a teacher).
pub fn known_metrics(method: Method) -> Vec<String> {
    let dino = matches!(method, Method::Dino | Method::DinoV2);
    crate::export::metric_names(method)
        .into_iter()
        .chain(
            DERIVED
                .into_iter()
                .filter(|m| dino || *m != "teacher_entropy_ratio"),
        )
        .map(String::from)
        .collect()
}

/// `name`'s value in snapshot `s` of a run configured as `config`.
fn metric(s: &Snapshot, name: &str, config: &RunConfig) -> Option<f64> {
    match name {
        "std_sqrt_d" => Some(s.diagnostics.spread()),
        "teacher_entropy_ratio" => {
            Some(s.extra(Extra::TeacherEntropy)? / (config.prototypes as f64).ln())
        }
        _ => {
            let names = crate::export::metric_names(config.method);
            let i = names.iter().position(|n| *n == name)?;
            crate::export::metric_values(&MetricsRow::of(s))
                .get(i)
                .copied()
        }
    }
}

/// A run's snapshots and config, and the step of the lesson's change.
pub struct RunRead<'a> {
    pub snapshots: &'a [Snapshot],
    pub config: &'a RunConfig,
    pub change_step: usize,
}

impl RunRead<'_> {
    fn at(&self, at: At) -> Option<&Snapshot> {
        match at {
            At::End => self.snapshots.last(),
            At::Change => self
                .snapshots
                .iter()
                .rev()
                .find(|s| s.step <= self.change_step),
            At::Step(n) => self.snapshots.iter().rev().find(|s| s.step <= n),
        }
    }

    fn value(&self, name: &str, at: At) -> Option<(f64, usize)> {
        let s = self.at(at)?;
        Some((metric(s, name, self.config)?, s.step))
    }
}

impl Condition {
    /// Whether the condition holds in `run` (with `control`, the lesson's run without its
    /// change, where the bound refers to it), and the numbers behind it; `None` where the run
    /// has no snapshot to read (or no control was run).
    pub fn holds(&self, run: &RunRead, control: Option<&RunRead>) -> Option<(bool, String)> {
        let (value, step) = run.value(&self.metric, self.at)?;
        let reference = |r: Reference| -> Option<(f64, String)> {
            let (v, s) = match r {
                Reference::Change => run.value(&self.metric, At::Change)?,
                Reference::Start => run.value(&self.metric, At::Step(0))?,
                Reference::Control => control?.value(&self.metric, self.at)?,
            };
            let whose = if r == Reference::Control {
                "the control's"
            } else {
                "its value"
            };
            Some((v, format!("{whose} {v:.3} at step {s}")))
        };
        let (bound, said) = match self.bound {
            Bound::Value(v) => (v, format!("{v}")),
            Bound::Times(k, r) => {
                let (v, what) = reference(r)?;
                if k == 1.0 {
                    (v, what)
                } else {
                    (k * v, format!("{k} × {what} = {:.3}", k * v))
                }
            }
            Bound::Plus(r, d) => {
                let (v, what) = reference(r)?;
                let op = if d < 0.0 { '-' } else { '+' };
                (v + d, format!("{what} {op} {} = {:.3}", d.abs(), v + d))
            }
        };
        let held = self.relation.holds(value, bound);
        let mark = if held { "yes" } else { "no" };
        Some((
            held,
            format!(
                "{} {value:.3} at step {step}, {} {said}: {mark}",
                self.metric,
                self.relation.words()
            ),
        ))
    }

    pub fn needs_control(&self) -> bool {
        self.bound.reference() == Some(Reference::Control)
    }

    pub fn refers_to_change(&self) -> bool {
        self.at == At::Change || self.bound.reference() == Some(Reference::Change)
    }
}

/// Every condition of `shows` read in `run`: shown when all hold. `None` where one cannot be
/// read (no snapshot after the change, no control run).
pub fn verdict(shows: &[Condition], run: &RunRead, control: Option<&RunRead>) -> Option<Verdict> {
    if shows.is_empty() {
        return Some(Verdict {
            shown: true,
            text: "nothing to check: the lesson names no metric to show".into(),
        });
    }
    let mut shown = true;
    let mut said = Vec::new();
    for c in shows {
        let (held, text) = c.holds(run, control)?;
        shown &= held;
        said.push(text);
    }
    Some(Verdict {
        shown,
        text: said.join("; "),
    })
}

/// τ's sweep (see [`SweepCheck::UniformityAgainstTolerance`]).
fn uniformity_against_tolerance(means: &[ValueMeans]) -> Verdict {
    let by = |f: fn(&ValueMeans) -> f64, max: bool| {
        means
            .iter()
            .enumerate()
            .max_by(|a, b| {
                let (x, y) = (f(a.1), f(b.1));
                if max {
                    x.total_cmp(&y)
                } else {
                    y.total_cmp(&x)
                }
            })
            .map(|(i, _)| i)
    };
    let (Some(most_uniform), Some(least_uniform), Some(knn_peak), Some(last)) = (
        by(|m| m.uniformity, false),
        by(|m| m.uniformity, true),
        by(|m| m.knn, true),
        means.len().checked_sub(1),
    ) else {
        return Verdict {
            shown: false,
            text: "the sweep has no values".into(),
        };
    };
    let (u, l) = (&means[most_uniform], &means[last]);
    let small = u.value.parse::<f64>().is_ok_and(|v| v <= 0.2);
    let shown = small
        && least_uniform == last
        && l.uniformity - u.uniformity >= 0.5
        && l.alignment < 0.5 * u.alignment
        && knn_peak != 0
        && knn_peak != last;
    Verdict {
        shown,
        text: format!(
            "uniformity {:.2} at τ = {} (most uniform) -> {:.2} at τ = {}; alignment {:.3} -> {:.3}; kNN peaks at τ = {} ({:.3}; {:.3} at τ = {}, {:.3} at τ = {})",
            u.uniformity,
            u.value,
            l.uniformity,
            l.value,
            u.alignment,
            l.alignment,
            means[knn_peak].value,
            means[knn_peak].knn,
            means[0].knn,
            means[0].value,
            l.knn,
            l.value
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(text: &str) -> Result<Bound, String> {
        Bound::parse(&toml::Value::String(text.into()))
    }

    #[test]
    fn bounds_read_as_written_and_write_back_the_same() {
        assert_eq!(bound("0.2"), Ok(Bound::Value(0.2)));
        assert_eq!(
            bound("0.3 * change"),
            Ok(Bound::Times(0.3, Reference::Change))
        );
        assert_eq!(
            bound("0.5×control"),
            Ok(Bound::Times(0.5, Reference::Control))
        );
        assert_eq!(
            bound("change - 0.3"),
            Ok(Bound::Plus(Reference::Change, -0.3))
        );
        assert_eq!(bound("start + 1"), Ok(Bound::Plus(Reference::Start, 1.0)));
        assert_eq!(bound("control"), Ok(Bound::Times(1.0, Reference::Control)));
        for text in ["0.3 * chnage", "half of change", "", "change - x", "nan"] {
            assert!(bound(text).is_err(), "{text}");
        }
        for b in [
            Bound::Value(0.2),
            Bound::Times(0.3, Reference::Change),
            Bound::Plus(Reference::Change, -0.3),
            Bound::Plus(Reference::Start, 1.0),
            Bound::Times(1.0, Reference::Control),
        ] {
            let text = b.to_toml();
            let value: toml::Value = toml::from_str::<toml::Table>(&format!("x = {text}"))
                .ok()
                .and_then(|mut t| t.remove("x"))
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(Bound::parse(&value), Ok(b), "{text}");
        }
    }
}
