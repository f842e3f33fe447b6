//! `sweep.csv`: a row per run of a sweep (its value, its seed, its last `metrics.csv` row),
//! written and read through the csv crate, and the per-value means a sweep lesson checks.

use super::run::RunSummary;
use crate::error::{LabError, Result};
use crate::export;
use crate::lessons::ValueMeans;
use crate::sweep::SweepSpec;
use crate::train::MetricsRow;
use std::path::{Path, PathBuf};

/// One run of a sweep.
pub struct SweepRun {
    pub value: String,
    pub seed: u64,
    pub dir: PathBuf,
    pub summary: RunSummary,
}

/// The rows of `sweep.csv`: `key,value,seed,` then the `metrics.csv` header, and per run its
/// value, seed and last `metrics.csv` row, kept as written (so that merged shards give the
/// same bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepTable {
    pub key: String,
    /// The `metrics.csv` header (`step`, `loss` …).
    pub header: Vec<String>,
    pub rows: Vec<SweepRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub value: String,
    pub seed: u64,
    /// The run's last `metrics.csv` row, its fields as written.
    pub metrics: Vec<String>,
}

impl SweepTable {
    pub(super) fn of_runs(spec: &SweepSpec, runs: &[SweepRun]) -> Result<Self> {
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for r in runs {
            let head: Vec<String> = export::metrics_header(r.summary.config.method)
                .into_iter()
                .map(String::from)
                .collect();
            match &header {
                Some(h) if *h != head => {
                    return Err(LabError::invalid(
                        "--sweep",
                        spec.key.name(),
                        "its runs report different metrics (a swept method or dataset): one sweep.csv cannot hold them",
                    ));
                }
                _ => header = Some(head),
            }
            rows.push(SweepRow {
                value: r.value.clone(),
                seed: r.seed,
                metrics: r
                    .summary
                    .last()
                    .map(|s| export::metrics_fields(&MetricsRow::of(s)))
                    .unwrap_or_default(),
            });
        }
        Ok(Self {
            key: spec.key.name().to_string(),
            header: header.unwrap_or_default(),
            rows,
        })
    }

    pub fn to_csv(&self) -> String {
        let mut table = export::Table::csv();
        table.row(
            ["key", "value", "seed"]
                .into_iter()
                .chain(self.header.iter().map(String::as_str)),
        );
        for r in &self.rows {
            let seed = r.seed.to_string();
            table.row(
                [self.key.as_str(), r.value.as_str(), seed.as_str()]
                    .into_iter()
                    .chain(r.metrics.iter().map(String::as_str)),
            );
        }
        table.finish()
    }

    /// A table written by [`SweepTable::to_csv`]; `origin` names the file in errors.
    pub fn from_csv(text: &str, origin: &Path) -> Result<Self> {
        let bad = |why: String| LabError::ConfigFile {
            path: origin.display().to_string(),
            reason: why,
        };
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .into_records();
        let first = records
            .next()
            .transpose()
            .map_err(|e| bad(e.to_string()))?
            .unwrap_or_default();
        let fields: Vec<String> = first.iter().map(String::from).collect();
        let header = match fields.get(..3) {
            Some([k, v, s]) if k == "key" && v == "value" && s == "seed" => fields[3..].to_vec(),
            _ => {
                return Err(bad(
                    "not a sweep table: its header must begin key,value,seed,".into(),
                ));
            }
        };
        let mut key: Option<String> = None;
        let mut rows = Vec::new();
        for (n, record) in records.enumerate() {
            let record = record.map_err(|e| bad(format!("line {}: {e}", n + 2)))?;
            let (Some(k), Some(value), Some(seed)) = (record.get(0), record.get(1), record.get(2))
            else {
                return Err(bad(format!("line {}: fewer than four fields", n + 2)));
            };
            if record.len() < 4 {
                return Err(bad(format!("line {}: fewer than four fields", n + 2)));
            }
            match &key {
                None => key = Some(k.to_string()),
                Some(first) if first != k => {
                    return Err(bad(format!("line {}: a second key `{k}`", n + 2)));
                }
                Some(_) => {}
            }
            rows.push(SweepRow {
                value: value.to_string(),
                seed: seed
                    .parse()
                    .map_err(|_| bad(format!("line {}: seed `{seed}` is not a number", n + 2)))?,
                metrics: record.iter().skip(3).map(String::from).collect(),
            });
        }
        Ok(Self {
            key: key.unwrap_or_default(),
            header,
            rows,
        })
    }

    /// The value of metric `name` in `row`, if the table has it.
    pub fn metric(&self, row: &SweepRow, name: &str) -> Option<f64> {
        let column = self.header.iter().position(|h| h == name)?;
        row.metrics.get(column)?.parse().ok()
    }
}

impl SweepTable {
    /// Each value's final kNN accuracy, std·√d, alignment and uniformity, the mean over its
    /// seeds, in the sweep's order (values without a row left out).
    pub fn means(&self, spec: &SweepSpec) -> Vec<ValueMeans> {
        spec.values
            .iter()
            .filter_map(|v| {
                let rows: Vec<_> = self.rows.iter().filter(|r| &r.value == v).collect();
                let n = rows.len() as f64;
                let mean =
                    |f: &dyn Fn(&SweepRow) -> f64| rows.iter().map(|r| f(r)).sum::<f64>() / n;
                let col = |r: &SweepRow, c: &str| self.metric(r, c).unwrap_or(f64::NAN);
                (!rows.is_empty()).then(|| ValueMeans {
                    value: v.clone(),
                    knn: mean(&|r| col(r, "knn_acc")),
                    spread: mean(&|r| col(r, "std") / col(r, "std_ref").max(1e-12)),
                    alignment: mean(&|r| col(r, "alignment")),
                    uniformity: mean(&|r| col(r, "uniformity")),
                })
            })
            .collect()
    }
}
