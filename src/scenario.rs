//! Scenario files: a config (with its seed) plus a script of timed knob changes, in TOML, so a
//! teacher can prepare a demonstration, share it, and replay it exactly, in the app or with
//! `contrastive-lab run --config FILE`.
//!
//! ```toml
//! scenario_version = 1
//! title = "SimSiam without stop-gradient"
//! method = "simsiam"          # … every config key, as in a run's config.toml
//! seed = 0
//! script = [
//!   { step = 100, key = "stop_gradient", value = "false" },
//! ]
//! compare = { fork_at = 100, changes = [{ key = "predictor", value = "false" }] }  # optional
//! sweep = { key = "temperature", values = ["0.1", "0.5"], seeds = 2 }  # optional, or compare
//! end = true                   # written last: a file cut short lacks it
//! ```
//!
//! A plain config file (no `scenario_version`) is a scenario without a script.

use crate::config::{Key, RunConfig, Setting};
use crate::error::{LabError, Result};
use crate::run::Event;
use crate::sweep::SweepSpec;
use std::path::Path;

pub const SCENARIO_VERSION: i64 = 1;

/// One timed change, applied just before step `step + 1` (logged at `step`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptStep {
    pub step: usize,
    pub setting: Setting,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub title: String,
    pub description: String,
    pub config: RunConfig,
    /// Sorted by step.
    pub script: Vec<ScriptStep>,
    /// A comparison: run B beside this run (the file's `compare = { … }`).
    pub compare: Option<CompareSpec>,
    /// A sweep: this run over several values of one setting (the file's `sweep = { … }`).
    pub sweep: Option<SweepSpec>,
}

/// Run B of a comparison: this run with `changes`, from scratch or forked at `fork_at`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CompareSpec {
    pub changes: Vec<Setting>,
    pub fork_at: Option<usize>,
}

/// "B: stop_gradient = false, lr = 0.01" (forked at step 100).
pub fn difference_label(changes: &[Setting], fork_at: Option<usize>) -> String {
    let what = if changes.is_empty() {
        "no change".to_string()
    } else {
        changes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match fork_at {
        Some(at) => format!("B: {what} (forked at step {at})"),
        None => format!("B: {what}"),
    }
}

/// The line (from 1) of byte `at` in `text`: where a TOML error points.
pub fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |t| t.matches('\n').count() + 1)
}

fn file_error(path: &str, reason: impl Into<String>) -> LabError {
    LabError::ConfigFile {
        path: path.into(),
        reason: reason.into(),
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Scenario {
    pub fn new(config: RunConfig) -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            config,
            script: Vec::new(),
            compare: None,
            sweep: None,
        }
    }

    /// What the app saves after a demonstration: the run's starting config (the logged changes
    /// undone, newest first) and those changes as the script, so the file replays the run.
    pub fn from_run(current: &RunConfig, events: &[Event]) -> Result<Self> {
        let mut start = current.clone();
        for e in events.iter().rev() {
            start.apply(e.old.clone())?;
        }
        let mut s = Self::new(start);
        s.script = events
            .iter()
            .map(|e| ScriptStep {
                step: e.step,
                setting: e.new.clone(),
            })
            .collect();
        Ok(s)
    }

    pub fn to_toml(&self) -> String {
        let mut out = format!("scenario_version = {SCENARIO_VERSION}\n");
        if !self.title.is_empty() {
            out += &format!("title = {}\n", quoted(&self.title));
        }
        if !self.description.is_empty() {
            out += &format!("description = {}\n", quoted(&self.description));
        }
        out += &self.config.to_toml();
        out += "script = [\n";
        for s in &self.script {
            out += &format!(
                "  {{ step = {}, key = {}, value = {} }},\n",
                s.step,
                quoted(s.setting.key().name()),
                quoted(&s.setting.text())
            );
        }
        out += "]\n";
        if let Some(c) = &self.compare {
            let changes: Vec<String> = c
                .changes
                .iter()
                .map(|s| {
                    format!(
                        "{{ key = {}, value = {} }}",
                        quoted(s.key().name()),
                        quoted(&s.text())
                    )
                })
                .collect();
            let fork = c
                .fork_at
                .map(|at| format!("fork_at = {at}, "))
                .unwrap_or_default();
            out += &format!("compare = {{ {fork}changes = [{}] }}\n", changes.join(", "));
        }
        if let Some(sw) = &self.sweep {
            let values: Vec<String> = sw.values.iter().map(|v| quoted(v)).collect();
            out += &format!(
                "sweep = {{ key = {}, values = [{}], seeds = {} }}\n",
                quoted(sw.key.name()),
                values.join(", "),
                sw.seeds
            );
        }
        out += "# Written last: a file that lacks it was cut short.\nend = true\n";
        out
    }

    /// Parse a scenario (or a plain config). `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = line_of(text, e.span().map_or(0, |s| s.start));
            file_error(origin, format!("line {line}: {}", e.message().trim_end()))
        })?;
        Self::from_table(table, origin)
    }

    /// [`Self::from_toml`] of a table already parsed (a lesson file's `[scenario]`).
    pub fn from_table(mut table: toml::Table, origin: &str) -> Result<Self> {
        let version = table.remove("scenario_version");
        let end = table.remove("end");
        let script = table.remove("script");
        let compare = table.remove("compare");
        let sweep = table.remove("sweep");
        let text_of = |table: &mut toml::Table, key: &str| -> Result<String> {
            match table.remove(key) {
                None => Ok(String::new()),
                Some(toml::Value::String(s)) => Ok(s),
                Some(other) => Err(file_error(
                    origin,
                    format!("`{key}` must be a string, not {other}"),
                )),
            }
        };
        let title = text_of(&mut table, "title")?;
        let description = text_of(&mut table, "description")?;
        match version {
            None if script.is_some() || end.is_some() || compare.is_some() || sweep.is_some() => {
                return Err(file_error(
                    origin,
                    "a scenario needs `scenario_version = 1` at its top",
                ));
            }
            None => {}
            Some(toml::Value::Integer(SCENARIO_VERSION))
                if end != Some(toml::Value::Boolean(true)) =>
            {
                return Err(file_error(
                    origin,
                    "the file is truncated: it lacks the final `end = true` every saved scenario ends with",
                ));
            }
            Some(toml::Value::Integer(SCENARIO_VERSION)) => {}
            Some(toml::Value::Integer(v)) => {
                return Err(file_error(
                    origin,
                    format!(
                        "scenario version {v} is not supported (this build reads version {SCENARIO_VERSION})"
                    ),
                ));
            }
            Some(other) => {
                return Err(file_error(
                    origin,
                    format!("`scenario_version` must be an integer, not {other}"),
                ));
            }
        }
        let config =
            RunConfig::from_table(&table).map_err(|e| file_error(origin, e.to_string()))?;
        let script = parse_script(script, &config).map_err(|e| file_error(origin, e))?;
        let compare = parse_compare(compare, &config).map_err(|e| file_error(origin, e))?;
        let sweep = parse_sweep(sweep).map_err(|e| file_error(origin, e))?;
        if compare.is_some() && sweep.is_some() {
            return Err(file_error(
                origin,
                "a scenario holds a `compare` or a `sweep`, not both",
            ));
        }
        Ok(Self {
            title,
            description,
            config,
            script,
            compare,
            sweep,
        })
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::limits::read_text(path, crate::limits::MAX_TEXT_BYTES, "scenario")?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Save atomically: a temporary file beside `path`, then a rename. An interrupted save
    /// leaves the previous file as it was.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::export::write_atomic(path, &self.to_toml())
    }
}

/// `script = [{ step, key, value }, …]`, each change checked against the config (replayed in
/// order on a copy), sorted by step.
/// A `{ key, value }` entry (of `script` or of `compare.changes`), typed; `what` names the
/// entry in errors ("script entry 2").
fn setting_entry(t: &toml::Table, what: &str) -> Result<Setting, String> {
    let key = match t.get("key") {
        Some(toml::Value::String(k)) => Key::from_name(k).map_err(|e| format!("{what}: {e}"))?,
        _ => return Err(format!("{what}: `key` must be a setting name")),
    };
    let value = match t.get("value") {
        Some(toml::Value::String(v)) => v.clone(),
        Some(toml::Value::Integer(v)) => v.to_string(),
        Some(toml::Value::Float(v)) => v.to_string(),
        Some(toml::Value::Boolean(v)) => v.to_string(),
        _ => return Err(format!("{what}: `value` is missing")),
    };
    key.parse_value(&value).map_err(|e| format!("{what}: {e}"))
}

/// The tables of an array, or why it is not one; `what` names it in errors.
fn tables(value: toml::Value, what: &str, shape: &str) -> Result<Vec<toml::Table>, String> {
    let toml::Value::Array(items) = value else {
        return Err(format!("`{what}` must be an array, not {value}"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            toml::Value::Table(t) => Ok(t),
            _ => Err(format!("{what} entry {}: expected {shape}", i + 1)),
        })
        .collect()
}

/// `script = [{ step, key, value }, …]`, each change checked against the config (replayed in
/// order on a copy), sorted by step.
fn parse_script(value: Option<toml::Value>, config: &RunConfig) -> Result<Vec<ScriptStep>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut script = Vec::new();
    for (i, t) in tables(value, "script", "{ step, key, value }")?
        .into_iter()
        .enumerate()
    {
        let what = format!("script entry {}", i + 1);
        let step = match t.get("step") {
            Some(toml::Value::Integer(s)) if *s >= 0 => *s as usize,
            _ => return Err(format!("{what}: `step` must be a whole number ≥ 0")),
        };
        let setting = setting_entry(&t, &what)?;
        script.push(ScriptStep { step, setting });
    }
    script.sort_by_key(|s| s.step);
    let mut check = config.clone();
    for (i, s) in script.iter().enumerate() {
        check
            .apply(s.setting.clone())
            .and_then(|_| check.validate())
            .map_err(|e| format!("script entry {} (step {}): {e}", i + 1, s.step))?;
    }
    Ok(script)
}

/// `compare = { fork_at = STEP, changes = [{ key, value }, …] }`: run B of a comparison.
fn parse_compare(
    value: Option<toml::Value>,
    config: &RunConfig,
) -> Result<Option<CompareSpec>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let toml::Value::Table(mut t) = value else {
        return Err(format!(
            "`compare` must be a table {{ fork_at, changes }}, not {value}"
        ));
    };
    let fork_at = match t.remove("fork_at") {
        None => None,
        Some(toml::Value::Integer(s)) if s >= 0 => Some(s as usize),
        Some(other) => {
            return Err(format!(
                "`compare.fork_at` must be a whole number ≥ 0, not {other}"
            ));
        }
    };
    let changes = match t.remove("changes") {
        None => Vec::new(),
        Some(v) => tables(v, "compare.changes", "{ key, value }")?
            .iter()
            .enumerate()
            .map(|(i, t)| setting_entry(t, &format!("compare change {}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?,
    };
    if let Some(extra) = t.keys().next() {
        return Err(format!(
            "`compare` has an unknown key `{extra}` (expected fork_at, changes)"
        ));
    }
    let mut b = config.clone();
    for change in &changes {
        b.apply(change.clone())
            .map_err(|e| format!("compare change {change}: {e}"))?;
    }
    b.validate().map_err(|e| format!("compare: {e}"))?;
    Ok(Some(CompareSpec { changes, fork_at }))
}

/// `sweep = { key, values, seeds }`.
fn parse_sweep(value: Option<toml::Value>) -> Result<Option<SweepSpec>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let toml::Value::Table(mut t) = value else {
        return Err(format!(
            "`sweep` must be a table {{ key, values, seeds }}, not {value}"
        ));
    };
    let key = match t.remove("key") {
        Some(toml::Value::String(k)) => Key::from_name(&k).map_err(|e| format!("sweep: {e}"))?,
        other => {
            return Err(format!(
                "`sweep.key` must name a setting, not {}",
                other.map_or("nothing".into(), |v| v.to_string())
            ));
        }
    };
    let values = match t.remove("values") {
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s),
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
                    Ok(v.to_string())
                }
                other => Err(format!("`sweep.values` holds {other}, not a value")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(format!(
                "`sweep.values` must be a list of values, not {}",
                other.map_or("nothing".into(), |v| v.to_string())
            ));
        }
    };
    let seeds = match t.remove("seeds") {
        None => 1,
        Some(toml::Value::Integer(s)) if s >= 1 => s as u64,
        Some(other) => {
            return Err(format!(
                "`sweep.seeds` must be a whole number ≥ 1, not {other}"
            ));
        }
    };
    if let Some(extra) = t.keys().next() {
        return Err(format!(
            "`sweep` has an unknown key `{extra}` (expected key, values, seeds)"
        ));
    }
    SweepSpec::new(key, values, seeds)
        .map(Some)
        .map_err(|e| format!("sweep: {e}"))
}
