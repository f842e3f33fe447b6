//! The lesson file: TOML, one lesson per file (docs/lessons.md describes every field).
//!
//! ```toml
//! lesson_version = 1
//! id = "simsiam-stop-gradient"
//! title = "SimSiam without stop-gradient collapses"
//! phenomenon = "complete-collapse"     # what the class should see; the app opens its view
//! [card]
//! now = "Untick stop-gradient."        # the change, as said to the class
//! watch = "The loss drops to -1 while the points converge."
//! why = "SimSiam has no negatives …"
//! [question]
//! prompt = "Without stop-gradient, what will the loss do?"
//! choices = ["rise", "fall to -1", "stay"]
//! answer = 2                            # the right choice, counted from 1
//! why = "Both branches can now move towards each other …"
//! [scenario]                            # a scenario file's keys: config, script or sweep
//! method = "simsiam"
//! steps = 1500
//! script = [{ step = 100, key = "stop_gradient", value = "false" }]
//! [[shows]]                             # what the run must show
//! metric = "std_sqrt_d"
//! at = "end"
//! below = "0.3 * change"
//! ```

use super::checks::{At, Bound, Condition, Relation, Shows, SweepCheck, known_metrics};
use super::{Lesson, Phenomenon, Question};
use crate::error::{LabError, Result};
use crate::scenario::{Scenario, line_of};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

pub const LESSON_VERSION: i64 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    lesson_version: Spanned<i64>,
    id: Spanned<String>,
    title: Spanned<String>,
    phenomenon: Spanned<String>,
    card: CardFile,
    question: Spanned<QuestionFile>,
    scenario: Spanned<toml::Table>,
    #[serde(default)]
    shows: Vec<Spanned<ShowsFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFile {
    now: String,
    watch: String,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    prompt: String,
    choices: Vec<String>,
    answer: Spanned<i64>,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowsFile {
    metric: Option<Spanned<String>>,
    at: Option<Spanned<toml::Value>>,
    below: Option<Spanned<toml::Value>>,
    above: Option<Spanned<toml::Value>>,
    at_most: Option<Spanned<toml::Value>>,
    at_least: Option<Spanned<toml::Value>>,
    check: Option<Spanned<String>>,
}

/// A refusal naming the file, the line and what is wrong there.
struct Refuse<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Refuse<'_> {
    fn at(&self, span: std::ops::Range<usize>, reason: impl std::fmt::Display) -> LabError {
        LabError::ConfigFile {
            path: self.origin.to_string(),
            reason: format!("line {}: {reason}", line_of(self.text, span.start)),
        }
    }
}

impl Lesson {
    /// Read a lesson file's text; `origin` names it in errors, each of which says the line and
    /// the field at fault.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let refuse = Refuse { text, origin };
        let file: LessonFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            refuse.at(span, e.message().trim_end())
        })?;
        if *file.lesson_version.get_ref() != LESSON_VERSION {
            return Err(refuse.at(
                file.lesson_version.span(),
                format!(
                    "`lesson_version` {} is not one this build reads ({LESSON_VERSION})",
                    file.lesson_version.get_ref()
                ),
            ));
        }
        let id = file.id.get_ref().trim().to_string();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(refuse.at(
                file.id.span(),
                format!(
                    "`id` = {id:?}: use lower-case letters, digits and `-` (e.g. \"my-collapse\")"
                ),
            ));
        }
        if file.title.get_ref().trim().is_empty() {
            return Err(refuse.at(file.title.span(), "`title` is empty"));
        }
        let phenomenon = Phenomenon::parse(file.phenomenon.get_ref())
            .map_err(|e| refuse.at(file.phenomenon.span(), format!("`phenomenon`: {e}")))?;
        let question_span = file.question.span();
        let q = file.question.into_inner();
        if q.choices.len() < 2 {
            return Err(refuse.at(question_span, "`question.choices`: give at least two"));
        }
        let answer = *q.answer.get_ref();
        if answer < 1 || answer as usize > q.choices.len() {
            return Err(refuse.at(
                q.answer.span(),
                format!(
                    "`question.answer` = {answer}: the right choice's number, 1 to {}",
                    q.choices.len()
                ),
            ));
        }
        let scenario_span = file.scenario.span();
        let mut table = file.scenario.into_inner();
        // A lesson's scenario is whole by construction: the lesson file's version covers it.
        table
            .entry("scenario_version")
            .or_insert(toml::Value::Integer(crate::scenario::SCENARIO_VERSION));
        table.entry("end").or_insert(toml::Value::Boolean(true));
        table.remove("title");
        table.remove("description");
        let mut scenario = Scenario::from_table(table, origin).map_err(|e| match e {
            LabError::ConfigFile { reason, .. } => {
                refuse.at(scenario_span.clone(), format!("[scenario]: {reason}"))
            }
            other => refuse.at(scenario_span.clone(), format!("[scenario]: {other}")),
        })?;
        if scenario.compare.is_some() {
            return Err(refuse.at(
                scenario_span,
                "[scenario]: a lesson makes its change by its `script` (the app compares it with its control); `compare` is for scenario files",
            ));
        }
        scenario.title = file.title.get_ref().clone();
        scenario.description = file.card.why.clone();
        let method = scenario.config.method;
        let mut shows = Vec::new();
        for entry in file.shows {
            let span = entry.span();
            let entry = entry.into_inner();
            let parsed = parse_shows(entry, method, &scenario, &refuse, span)?;
            shows.push(parsed);
        }
        Ok(Lesson {
            id,
            title: file.title.into_inner(),
            explanation: file.card.why,
            change: file.card.now,
            watch: file.card.watch,
            phenomenon,
            question: Question {
                prompt: q.prompt,
                choices: q.choices,
                answer: answer as usize - 1,
                why: q.why,
            },
            scenario,
            shows,
        })
    }

    /// Read the lesson file at `path` (bounded: a lesson is text of a few kB).
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::limits::read_text(path, crate::limits::MAX_TEXT_BYTES, "lesson")?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Write it atomically (a temporary file, then a rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::export::write_atomic(path, &self.to_toml())
    }

    /// The lesson file: [`Lesson::from_toml`] of it gives this lesson back.
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from("# A contrastive-lab lesson (the format: docs/lessons.md).\n");
        out += &format!("lesson_version = {LESSON_VERSION}\n");
        out += &format!("id = {}\ntitle = {}\n", q(&self.id), q(&self.title));
        out += &format!("phenomenon = {}\n\n", q(self.phenomenon.name()));
        out += &format!(
            "[card]\nnow = {}\nwatch = {}\nwhy = {}\n\n",
            q(&self.change),
            q(&self.watch),
            q(&self.explanation)
        );
        out += "[question]\n";
        out += &format!("prompt = {}\nchoices = [\n", q(&self.question.prompt));
        for c in &self.question.choices {
            out += &format!("  {},\n", q(c));
        }
        out += &format!(
            "]\nanswer = {}\nwhy = {}\n\n",
            self.question.answer + 1,
            q(&self.question.why)
        );
        let mut scenario = self.scenario.clone();
        scenario.title.clear();
        scenario.description.clear();
        out += "[scenario]\n";
        out += &scenario.to_toml();
        for s in &self.shows {
            out += "\n[[shows]]\n";
            match s {
                Shows::Metric(c) => {
                    out += &format!(
                        "metric = {}\nat = {}\n{} = {}\n",
                        q(&c.metric),
                        c.at.to_toml(),
                        c.relation.name(),
                        c.bound.to_toml()
                    );
                }
                Shows::Sweep(check) => out += &format!("check = {}\n", q(check.name())),
            }
        }
        out
    }
}

/// One `[[shows]]` entry: a condition on a metric, or a named check of a sweep.
fn parse_shows(
    entry: ShowsFile,
    method: crate::config::Method,
    scenario: &Scenario,
    refuse: &Refuse,
    span: std::ops::Range<usize>,
) -> Result<Shows> {
    if let Some(check) = entry.check {
        if entry.metric.is_some() {
            return Err(refuse.at(span, "[[shows]]: a `check` or a `metric`, not both"));
        }
        let named = SweepCheck::parse(check.get_ref()).map_err(|e| refuse.at(check.span(), e))?;
        if scenario.sweep.is_none() {
            return Err(refuse.at(
                check.span(),
                format!(
                    "[[shows]]: `{}` checks a sweep, and the scenario is none",
                    named.name()
                ),
            ));
        }
        return Ok(Shows::Sweep(named));
    }
    let Some(metric) = entry.metric else {
        return Err(refuse.at(
            span,
            "[[shows]]: name the `metric` to check (or a sweep's `check`)",
        ));
    };
    if scenario.sweep.is_some() {
        return Err(refuse.at(
            metric.span(),
            "[[shows]]: a sweep lesson's checks are named checks (`check = \"uniformity-against-tolerance\"`)",
        ));
    }
    let known = known_metrics(method);
    if !known.iter().any(|k| k == metric.get_ref()) {
        return Err(refuse.at(
            metric.span(),
            format!(
                "[[shows]]: `{}` is not a metric of {} (its metrics: {})",
                metric.get_ref(),
                method.name(),
                known.join(", ")
            ),
        ));
    }
    let at = match &entry.at {
        None => At::End,
        Some(at) => At::parse(at.get_ref()).map_err(|e| refuse.at(at.span(), e))?,
    };
    let relations = [
        (Relation::Below, entry.below),
        (Relation::Above, entry.above),
        (Relation::AtMost, entry.at_most),
        (Relation::AtLeast, entry.at_least),
    ];
    let mut given = relations.into_iter().filter_map(|(r, v)| v.map(|v| (r, v)));
    let (Some((relation, bound)), None) = (given.next(), given.next()) else {
        return Err(refuse.at(
            span,
            "[[shows]]: give exactly one of `below`, `above`, `at_most`, `at_least`",
        ));
    };
    let bound_span = bound.span();
    let bound = Bound::parse(bound.get_ref()).map_err(|e| refuse.at(bound_span.clone(), e))?;
    let condition = Condition {
        metric: metric.into_inner(),
        at,
        relation,
        bound,
    };
    if (condition.needs_control() || condition.refers_to_change()) && scenario.script.is_empty() {
        return Err(refuse.at(
            bound_span,
            "[[shows]]: `change` and `control` refer to the lesson's change, and its scenario has no `script`",
        ));
    }
    Ok(Shows::Metric(condition))
}
