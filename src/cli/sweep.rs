//! `run --sweep KEY=V1,V2,…` (or `KEY=LO..HI:COUNT[:log]`): one run per value and seed, each
//! written as `run` writes it to `OUT/<key>=<value>/seed<k>/`, and `OUT/sweep.csv` with one row
//! per run (`key, value, seed`, then the run's last `metrics.csv` row: step and every metric).
//! Every run is exactly the run `run --set KEY=VALUE --seed S` makes with the same arguments.

use super::RunArgs;
use super::run::{self, RunSummary};
use crate::config::Key;
use crate::error::{LabError, Result};
use crate::export;
use crate::train::MetricsRow;
use std::path::{Path, PathBuf};

/// Values a sweep may hold, at most (each is a whole run per seed).
pub const MAX_VALUES: usize = 64;
/// Seeds per value, at most.
pub const MAX_SEEDS: u64 = 16;

/// The setting swept and its values, each already checked against the setting's declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    pub key: Key,
    /// The values as `--set` takes them.
    pub values: Vec<String>,
}

impl SweepSpec {
    /// `KEY=V1,V2,…` or `KEY=LO..HI:COUNT[:log]` (COUNT values from LO to HI, evenly spaced, or
    /// evenly in log space with `:log`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| LabError::invalid("--sweep", text, why);
        let (key, values) = text
            .split_once('=')
            .ok_or_else(|| bad("expected KEY=V1,V2,… or KEY=LO..HI:COUNT[:log]"))?;
        let key = Key::from_name(key.trim())?;
        let values = match values.split_once("..") {
            Some((lo, rest)) => range(lo, rest).map_err(|why| bad(&why))?,
            None => values.split(',').map(|v| v.trim().to_string()).collect(),
        };
        if values.len() < 2 || values.len() > MAX_VALUES {
            return Err(bad(&format!("a sweep takes 2 to {MAX_VALUES} values")));
        }
        for value in &values {
            let setting = key
                .parse_value(value)
                .map_err(|e| bad(&format!("value `{value}`: {e}")))?;
            setting
                .check()
                .map_err(|e| bad(&format!("value `{value}`: {e}")))?;
        }
        Ok(Self { key, values })
    }

    /// `<key>=<value>`: a run's folder under the sweep's.
    pub fn folder(&self, value: &str) -> String {
        format!("{}={value}", self.key.name())
    }
}

/// `LO..HI:COUNT[:log]` after the `..` split: the values, or why not.
fn range(lo: &str, rest: &str) -> std::result::Result<Vec<String>, String> {
    let mut parts = rest.split(':');
    let hi = parts.next().unwrap_or_default();
    let count = parts.next().ok_or("a range needs a count: LO..HI:COUNT")?;
    let log = match parts.next() {
        None => false,
        Some("log") => true,
        Some(other) => return Err(format!("`{other}`: the only spacing is `log`")),
    };
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or(format!(
                "`{t}` is not a number (a range takes numeric settings)"
            ))
    };
    let (lo, hi) = (number(lo)?, number(hi)?);
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a count"))?;
    if !(2..=MAX_VALUES).contains(&count) {
        return Err(format!("a range takes 2 to {MAX_VALUES} values"));
    }
    if log && (lo <= 0.0 || hi <= 0.0) {
        return Err("a log range needs LO and HI above 0".into());
    }
    Ok((0..count)
        .map(|i| {
            let t = i as f64 / (count - 1) as f64;
            let v = if log {
                (lo.ln() + (hi.ln() - lo.ln()) * t).exp()
            } else {
                lo + (hi - lo) * t
            };
            // Four significant digits, as a person writes them (and names folders by): the
            // value run is the value printed.
            let short: f64 = format!("{v:.3e}").parse().unwrap_or(v);
            format!("{short}")
        })
        .collect())
}

/// One run of a sweep.
pub struct SweepRun {
    pub value: String,
    pub seed: u64,
    pub dir: PathBuf,
    pub summary: RunSummary,
}

/// Every run of the sweep, value by value, seed by seed (`--seeds` seeds from `--seed`, or
/// from the config's seed): each written to its folder; then `sweep.csv`.
pub fn execute(args: &RunArgs, spec: &SweepSpec) -> Result<Vec<SweepRun>> {
    let seeds = args.seeds;
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(LabError::invalid(
            "--seeds",
            seeds,
            format!("must be between 1 and {MAX_SEEDS}"),
        ));
    }
    if !args.compare.is_empty() || args.lesson.is_some() {
        return Err(LabError::invalid(
            "--sweep",
            spec.key.name(),
            "a sweep does not combine with --compare or --lesson",
        ));
    }
    let base = match args.seed {
        Some(seed) => seed,
        None => run::scenario_from_args(args)?.config.seed,
    };
    let mut runs = Vec::new();
    for value in &spec.values {
        for k in 0..seeds {
            let dir = args.out.join(spec.folder(value)).join(format!("seed{k}"));
            let mut one = args.clone();
            one.set.push(format!("{}={value}", spec.key.name()));
            one.seed = Some(base + k);
            one.out = dir.clone();
            one.quiet = true;
            one.animate = None;
            one.record = None;
            if !args.quiet {
                eprintln!("sweep: {}={value}, seed {}", spec.key.name(), base + k);
            }
            let summary = run::execute(&one)?;
            runs.push(SweepRun {
                value: value.clone(),
                seed: base + k,
                dir,
                summary,
            });
        }
    }
    write_csv(&args.out.join("sweep.csv"), spec, &runs)?;
    Ok(runs)
}

/// `sweep.csv`: `key,value,seed,` then each run's `metrics.csv` header and last row (written by
/// the functions that write `metrics.csv`, from the same snapshots).
fn write_csv(path: &Path, spec: &SweepSpec, runs: &[SweepRun]) -> Result<()> {
    let mut header: Option<String> = None;
    let mut out = String::new();
    for r in runs {
        let head = export::metrics_header(r.summary.config.method);
        match &header {
            None => header = Some(head),
            Some(h) if *h != head => {
                return Err(LabError::invalid(
                    "--sweep",
                    spec.key.name(),
                    "its runs report different metrics (a swept method or dataset): one sweep.csv cannot hold them",
                ));
            }
            Some(_) => {}
        }
        let last = r
            .summary
            .last()
            .map(|s| export::metrics_row(&MetricsRow::of(s)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{last}\n",
            spec.key.name(),
            r.value,
            r.seed
        ));
    }
    let text = format!("key,value,seed,{}\n{out}", header.unwrap_or_default());
    export::write_atomic(path, &text)
}

/// The summary: a row per value (mean over its seeds) of the final kNN accuracy, std·√d,
/// alignment and uniformity, the best value of each marked `*`.
pub fn summary_text(spec: &SweepSpec, runs: &[SweepRun], out: &Path) -> String {
    type Metric = (&'static str, fn(&crate::metrics::Diagnostics) -> f64, bool);
    let metrics: [Metric; 4] = [
        ("kNN", |d| d.knn_acc, true),
        ("std·√d", |d| d.spread(), true),
        ("alignment", |d| d.alignment, false),
        ("uniformity", |d| d.uniformity, false),
    ];
    let means: Vec<(String, Vec<f64>)> = spec
        .values
        .iter()
        .map(|v| {
            let of_value: Vec<_> = runs
                .iter()
                .filter(|r| &r.value == v)
                .filter_map(|r| r.summary.last())
                .collect();
            let n = of_value.len().max(1) as f64;
            let m = metrics
                .iter()
                .map(|(_, f, _)| of_value.iter().map(|s| f(&s.diagnostics)).sum::<f64>() / n)
                .collect();
            (v.clone(), m)
        })
        .collect();
    // Per metric, its best score (higher is better once a lower-is-better one is negated);
    // every value that reaches it (to the printed precision) is marked.
    let sign = |higher: bool| if higher { 1.0 } else { -1.0 };
    let best: Vec<f64> = metrics
        .iter()
        .enumerate()
        .map(|(j, (_, _, higher))| {
            means
                .iter()
                .map(|(_, m)| m[j] * sign(*higher))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let seeds = runs.len() / spec.values.len().max(1);
    let mut lines = vec![
        format!(
            "sweep of {} over {} values, {seeds} seed(s) each: final metrics, mean over seeds (* best)",
            spec.key.name(),
            spec.values.len()
        ),
        format!(
            "  {:>12}{}",
            spec.key.name(),
            metrics
                .iter()
                .map(|(name, _, _)| format!("{name:>13}"))
                .collect::<String>()
        ),
    ];
    for (value, m) in &means {
        let cells: String = m
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let is_best = (v * sign(metrics[j].2) - best[j]).abs() < 5e-4;
                format!("{:>12.3}{}", v, if is_best { "*" } else { " " })
            })
            .collect();
        lines.push(format!("  {value:>12}{}", cells.trim_end()));
    }
    lines.push(format!(
        "  wrote {} and a folder per run ({}/<{}=value>/seed<k>/)",
        out.join("sweep.csv").display(),
        out.display(),
        spec.key.name()
    ));
    lines.join("\n")
}
