//! Lessons: one click from "open the app" to "the class sees it". A lesson is a file
//! (`file.rs`: TOML, described in docs/lessons.md): the scenario it starts (a start
//! configuration and its scripted change, or a sweep), the card that says what to do and what
//! to watch, the question asked first, and what the run must show as checks on its metrics
//! (`checks.rs`, used by `run --lesson` and the tests). The built-in lessons are such files,
//! `assets/lessons/*.toml`, embedded in the binary and read by the same parser as a
//! teacher's own.

use crate::config::{RunConfig, Setting};
use crate::error::{LabError, Result};
use crate::run::Snapshot;
use crate::scenario::Scenario;
use std::path::Path;
use std::sync::LazyLock;

pub use checks::{At, Bound, Condition, Reference, Relation, RunRead, Shows, SweepCheck};
pub use file::LESSON_VERSION;

/// What a lesson's change did, measured: the diagnostic it points at, before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub shown: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    /// What happens and why, in a few sentences (true at this toy scale): the card's "why".
    pub explanation: String,
    /// The change to make, as said to the class: the card's "now".
    pub change: String,
    /// What to watch after the change.
    pub watch: String,
    /// What the class should see; the app opens the view that shows it.
    pub phenomenon: Phenomenon,
    /// Asked before the change, answered after it.
    pub question: Question,
    /// The run it starts: the start configuration, its change as the script (or a sweep).
    scenario: Scenario,
    /// What the run must show.
    pub shows: Vec<Shows>,
}

/// A swept value's final metrics, the mean over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueMeans {
    pub value: String,
    pub knn: f64,
    /// std·√d.
    pub spread: f64,
    pub alignment: f64,
    pub uniformity: f64,
}

/// A question the class answers before the change ("what will the loss do?"); the card shows
/// the answer once the change is made.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub prompt: String,
    pub choices: Vec<String>,
    /// The index of the right choice (from 0; the file counts from 1).
    pub answer: usize,
    /// Why, in a sentence.
    pub why: String,
}

/// What a lesson's change does to the embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phenomenon {
    /// Every point converges to one spot (std·√d → 0).
    CompleteCollapse,
    /// The cloud flattens onto fewer directions (RankMe falls, std·√d need not).
    DimensionalCollapse,
    /// The embedding spreads more evenly over the sphere.
    Uniformity,
    /// DINO: one prototype takes every sample (teacher entropy → 0).
    OnePrototype,
    /// DINO: the teacher's output goes uniform over the prototypes (entropy → ln K).
    UniformOutput,
    /// CLIP: images find their own captions.
    Retrieval,
    /// A sweep: a small τ spreads the embedding (uniformity), a large one aligns the views
    /// (alignment) and tolerates a class close together.
    UniformityTolerance,
    /// Nothing collapses: the change that was expected to matter does not (std·√d holds).
    NoCollapse,
    /// DINOv2: the teacher spreads the batch over the prototypes (teacher entropy rises).
    BalancedPrototypes,
}

impl Phenomenon {
    pub const ALL: [(Phenomenon, &'static str); 9] = [
        (Phenomenon::CompleteCollapse, "complete-collapse"),
        (Phenomenon::DimensionalCollapse, "dimensional-collapse"),
        (Phenomenon::Uniformity, "uniformity"),
        (Phenomenon::OnePrototype, "one-prototype"),
        (Phenomenon::UniformOutput, "uniform-output"),
        (Phenomenon::Retrieval, "retrieval"),
        (Phenomenon::UniformityTolerance, "uniformity-tolerance"),
        (Phenomenon::NoCollapse, "no-collapse"),
        (Phenomenon::BalancedPrototypes, "balanced-prototypes"),
    ];

    /// Its name in a lesson file.
    pub fn name(self) -> &'static str {
        name_in(&Self::ALL, self)
    }

    pub fn parse(name: &str) -> std::result::Result<Self, String> {
        parse_in(&Self::ALL, name).ok_or_else(|| {
            format!(
                "`{name}` is not one of {}",
                Self::ALL.map(|(_, n)| n).join(", ")
            )
        })
    }
}

/// The name `value` has in `table` (a lesson file's word for it).
fn name_in<T: PartialEq>(table: &[(T, &'static str)], value: T) -> &'static str {
    table
        .iter()
        .find(|(t, _)| *t == value)
        .map_or("", |(_, n)| *n)
}

/// The value named `name` in `table`.
fn parse_in<T: Copy>(table: &[(T, &'static str)], name: &str) -> Option<T> {
    table.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
}

pub mod builtin;
mod checks;
mod file;

/// The built-in lessons, in the order the Lessons menu lists them.
pub static LESSONS: LazyLock<Vec<Lesson>> = LazyLock::new(builtin::load);

impl Lesson {
    /// The start configuration.
    pub fn config(&self) -> Result<RunConfig> {
        Ok(self.scenario.config.clone())
    }

    /// The lesson as a scenario; with `autoplay`, its change is scripted at its step.
    pub fn scenario(&self, autoplay: bool) -> Result<Scenario> {
        let mut s = self.scenario.clone();
        if !autoplay {
            s.script.clear();
        }
        Ok(s)
    }

    /// Steps the lesson runs headless (the phenomenon shows by then): its scenario's.
    pub fn steps(&self) -> usize {
        self.scenario.config.steps
    }

    /// The step the change is made at (its first scripted change's).
    pub fn change_step(&self) -> usize {
        self.scenario.script.first().map_or(0, |s| s.step)
    }

    /// The changes it makes, in the order of its script.
    pub fn changes(&self) -> Vec<Setting> {
        self.scenario
            .script
            .iter()
            .map(|s| s.setting.clone())
            .collect()
    }

    /// Its conditions on metrics (a sweep lesson's checks are [`Self::sweep_verdict`]'s).
    fn conditions(&self) -> Vec<Condition> {
        self.shows
            .iter()
            .filter_map(|s| match s {
                Shows::Metric(c) => Some(c.clone()),
                Shows::Sweep(_) => None,
            })
            .collect()
    }

    /// Whether a check compares with the control: the same run without the change.
    pub fn needs_control(&self) -> bool {
        self.conditions().iter().any(Condition::needs_control)
    }

    /// Did the phenomenon show? `snapshots` of a headless run of the lesson and its config at
    /// the end; `control`, the lesson run without its change, where a check needs it. `None`
    /// for a sweep lesson (see [`Self::sweep_verdict`]) or where a check finds no snapshot to
    /// read.
    pub fn verdict(
        &self,
        snapshots: &[Snapshot],
        config: &RunConfig,
        control: Option<(&[Snapshot], &RunConfig)>,
    ) -> Option<Verdict> {
        if self.sweep().is_some() {
            return None;
        }
        let change_step = self.change_step();
        // A check against the change reads the run after it.
        if !self.scenario.script.is_empty() && snapshots.last()?.step <= change_step {
            return None;
        }
        let run = RunRead {
            snapshots,
            config,
            change_step,
        };
        let control = control.map(|(snapshots, config)| RunRead {
            snapshots,
            config,
            change_step,
        });
        checks::verdict(&self.conditions(), &run, control.as_ref())
    }

    /// The sweep the lesson is, if it is one.
    pub fn sweep(&self) -> Option<crate::sweep::SweepSpec> {
        self.scenario.sweep.clone()
    }

    /// Did a sweep lesson's phenomenon show? Its values' final metrics, mean over seeds.
    pub fn sweep_verdict(&self, means: &[ValueMeans]) -> Option<Verdict> {
        self.sweep()?;
        let verdicts: Vec<Verdict> = self
            .shows
            .iter()
            .filter_map(|s| match s {
                Shows::Sweep(check) => Some(check.verdict(means)),
                Shows::Metric(_) => None,
            })
            .collect();
        Some(Verdict {
            shown: verdicts.iter().all(|v| v.shown),
            text: if verdicts.is_empty() {
                "nothing to check: the lesson names no check".into()
            } else {
                verdicts
                    .iter()
                    .map(|v| v.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        })
    }

    /// A lesson made from a run in the app: `scenario` (its start and the changes made so far
    /// as the script), the card and the question as the teacher wrote them, nothing to check.
    pub fn new(
        id: &str,
        title: &str,
        card: [&str; 3],
        question: Question,
        phenomenon: Phenomenon,
        scenario: Scenario,
    ) -> Self {
        let [now, watch, why] = card.map(String::from);
        let mut scenario = scenario;
        scenario.title = title.to_string();
        scenario.description = why.clone();
        Self {
            id: id.to_string(),
            title: title.to_string(),
            explanation: why,
            change: now,
            watch,
            phenomenon,
            question,
            scenario,
            shows: Vec::new(),
        }
    }
}

pub fn find(id: &str) -> Result<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id).ok_or_else(|| {
        LabError::invalid(
            "lesson",
            id,
            format!(
                "known lessons: {} (or the path of a lesson file)",
                LESSONS
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// `--lesson ID|PATH`: a built-in lesson by its id, or a lesson file (a path that exists, or
/// one ending in `.toml`).
pub fn find_or_load(id_or_path: &str) -> Result<Lesson> {
    if names_a_file(id_or_path) {
        return Lesson::load(Path::new(id_or_path));
    }
    find(id_or_path).cloned()
}

/// Whether `--lesson`'s argument is a lesson file (a path that exists, or one ending in
/// `.toml`) rather than a built-in lesson's id.
pub fn names_a_file(id_or_path: &str) -> bool {
    Path::new(id_or_path).exists() || id_or_path.ends_with(".toml")
}

/// The lesson a recording or scenario titled `title` was made from, if any.
pub fn by_title(title: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.title == title)
}

/// `contrastive-lab lessons`: `<id>  <title>` per line.
pub fn listing() -> String {
    let width = LESSONS.iter().map(|l| l.id.len()).max().unwrap_or(0);
    LESSONS
        .iter()
        .map(|l| format!("{:width$}  {}", l.id, l.title))
        .collect::<Vec<_>>()
        .join("\n")
}
