//! Lessons: one click from "open the app" to "the class sees it". Each is a scenario (a start
//! configuration and the one scripted change), a text that says what to do and what to watch,
//! and the check that tells whether the phenomenon showed (used by `run --lesson` and the tests).

use crate::config::{DatasetKind, Method, RunConfig, Setting};
use crate::error::{LabError, Result};
use crate::scenario::{Scenario, ScriptStep};
use crate::train::Snapshot;

/// What a lesson's change did, measured: the diagnostic it points at, before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub shown: bool,
    pub text: String,
}

pub struct Lesson {
    pub id: &'static str,
    pub title: &'static str,
    /// What happens and why, in a few sentences (true at this toy scale).
    pub explanation: &'static str,
    /// The one change to make, as said to the class.
    pub change: &'static str,
    /// What to watch after the change.
    pub watch: &'static str,
    method: Method,
    dataset: DatasetKind,
    /// Settings of the start configuration beyond the method's paper defaults.
    start: &'static [Setting],
    /// The step the change is made at, and the changes.
    at: usize,
    changes: &'static [Setting],
    /// Steps the lesson runs headless (the phenomenon shows by then).
    pub steps: usize,
    check: Check,
    /// What the class should see; the app opens the view that shows it.
    pub phenomenon: Phenomenon,
    /// Asked before the change, answered after it.
    pub question: Question,
}

/// How a lesson tells whether its phenomenon showed.
pub enum Check {
    /// The one change's effect: the newest snapshot before it against the last.
    Change(fn(before: &Snapshot, after: &Snapshot, config: &RunConfig) -> Verdict),
    /// A sweep's: the lesson is the sweep, and the check reads its values' final metrics.
    Sweep(SweepCheck),
}

/// A lesson that is a sweep of one setting rather than one change.
pub struct SweepCheck {
    pub key: crate::config::Key,
    pub values: &'static [&'static str],
    pub seeds: u64,
    pub check: fn(&[ValueMeans]) -> Verdict,
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
pub struct Question {
    pub prompt: &'static str,
    pub choices: &'static [&'static str],
    /// The index of the right choice.
    pub answer: usize,
    /// Why, in a sentence.
    pub why: &'static str,
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

mod checks;
mod table;

pub use table::LESSONS;

impl Lesson {
    /// The start configuration (paper defaults of the method plus the lesson's settings).
    pub fn config(&self) -> Result<RunConfig> {
        let mut c = RunConfig::for_method(self.method);
        c.dataset = self.dataset.clone();
        c.steps = self.steps;
        for setting in self.start {
            c.apply(setting.clone())?;
        }
        c.validate()?;
        Ok(c)
    }

    /// The lesson as a scenario; with `autoplay`, its change is scripted at its step.
    pub fn scenario(&self, autoplay: bool) -> Result<Scenario> {
        let mut s = Scenario::new(self.config()?);
        s.title = self.title.into();
        s.description = self.explanation.into();
        s.sweep = self.sweep();
        if autoplay {
            s.script = self
                .changes
                .iter()
                .map(|setting| ScriptStep {
                    step: self.at,
                    setting: setting.clone(),
                })
                .collect();
        }
        Ok(s)
    }

    /// The step the change is made at.
    pub fn change_step(&self) -> usize {
        self.at
    }

    /// The changes.
    pub fn changes(&self) -> &'static [Setting] {
        self.changes
    }

    /// Did the phenomenon show? `snapshots` of a headless run of the lesson (of a lesson that
    /// makes a change; a sweep's is [`Self::sweep_verdict`]).
    pub fn verdict(&self, snapshots: &[Snapshot], config: &RunConfig) -> Option<Verdict> {
        let Check::Change(check) = self.check else {
            return None;
        };
        let before = snapshots.iter().rev().find(|s| s.step <= self.at)?;
        let after = snapshots.last().filter(|s| s.step > self.at)?;
        Some(check(before, after, config))
    }

    /// The sweep the lesson is, if it is one.
    pub fn sweep(&self) -> Option<crate::sweep::SweepSpec> {
        let Check::Sweep(s) = &self.check else {
            return None;
        };
        crate::sweep::SweepSpec::new(
            s.key,
            s.values.iter().map(|v| v.to_string()).collect(),
            s.seeds,
        )
        .ok()
    }

    /// Did a sweep lesson's phenomenon show? Its values' final metrics, mean over seeds.
    pub fn sweep_verdict(&self, means: &[ValueMeans]) -> Option<Verdict> {
        match &self.check {
            Check::Sweep(s) => Some((s.check)(means)),
            Check::Change(_) => None,
        }
    }
}

pub fn find(id: &str) -> Result<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id).ok_or_else(|| {
        LabError::invalid(
            "lesson",
            id,
            format!(
                "known lessons: {}",
                LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
            ),
        )
    })
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
