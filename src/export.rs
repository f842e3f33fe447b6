//! Files a run writes: `metrics.csv` (a row per snapshot), `events.csv`, `config.toml`, and the
//! TensorBoard Embedding Projector pair `embeddings.tsv` + `metadata.tsv`.

use crate::config::{Method, RunConfig};
use crate::data::{Probe, Source};
use crate::error::{LabError, Result};
use crate::train::{Event, MetricsRow, Snapshot};
use std::fmt::Write as _;
use std::path::Path;

/// How a `metrics.csv` row gives one column's value.
pub type MetricOf = fn(&MetricsRow) -> f64;

/// The common `metrics.csv` columns after `step`, each with how a row gives it: one table, so
/// the header and the rows cannot disagree.
pub const METRIC_COLUMNS: [(&str, MetricOf); 9] = [
    ("loss", |r| r.loss),
    ("std", |r| r.diagnostics.std),
    ("std_ref", |r| r.diagnostics.std_ref),
    ("alignment", |r| r.diagnostics.alignment),
    ("uniformity", |r| r.diagnostics.uniformity),
    ("rankme", |r| r.diagnostics.rankme),
    ("knn_acc", |r| r.diagnostics.knn_acc),
    ("pos_cos", |r| r.diagnostics.pos_cos),
    ("neg_cos", |r| r.diagnostics.neg_cos),
];

/// Common columns added later: written after the method's own, so that no earlier column
/// moves (scripts read `metrics.csv` and `compare.csv` by position too).
pub const LATER_COLUMNS: [(&str, MetricOf); 1] = [("rankme_h", |r| r.diagnostics.rankme_h)];

/// Every metric column of `method` after `step`, in file order.
pub fn metric_names(method: Method) -> Vec<&'static str> {
    METRIC_COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .chain(crate::methods::metrics(method).iter().map(|m| m.name()))
        .chain(LATER_COLUMNS.iter().map(|(name, _)| *name))
        .collect()
}

/// A row's values in the order of [`metric_names`].
pub fn metric_values(r: &MetricsRow) -> Vec<f64> {
    METRIC_COLUMNS
        .iter()
        .map(|(_, value)| value(r))
        .chain(r.extras.iter().map(|(_, v)| *v))
        .chain(LATER_COLUMNS.iter().map(|(_, value)| value(r)))
        .collect()
}

pub fn metrics_header(method: Method) -> String {
    std::iter::once("step")
        .chain(metric_names(method))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn metrics_row(s: &MetricsRow) -> String {
    let mut row = s.step.to_string();
    for v in metric_values(s) {
        let _ = write!(row, ",{v}");
    }
    row
}

/// `metrics.csv` from the snapshots of a run.
pub fn metrics_csv(method: Method, snapshots: &[Snapshot]) -> String {
    let rows: Vec<MetricsRow> = snapshots.iter().map(MetricsRow::of).collect();
    metrics_csv_rows(method, &rows)
}

/// `metrics.csv` from the rows the app keeps.
pub fn metrics_csv_rows(method: Method, rows: &[MetricsRow]) -> String {
    let mut out = metrics_header(method);
    out.push('\n');
    for r in rows {
        out.push_str(&metrics_row(r));
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn events_csv(events: &[Event]) -> String {
    let mut out = String::from("step,key,old,new\n");
    for e in events {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            e.step,
            csv_field(e.key().name()),
            csv_field(&e.old.text()),
            csv_field(&e.new.text())
        );
    }
    out
}

/// Embedding Projector vectors: one tab-separated row per probe point, no header.
pub fn embeddings_tsv(z: &[f32], dim: usize) -> String {
    let mut out = String::with_capacity(z.len() * 10);
    for row in z.chunks_exact(dim.max(1)) {
        let line: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        out.push_str(&line.join("\t"));
        out.push('\n');
    }
    out
}

/// Embedding Projector metadata: a header and one row per point (label, class name, split,
/// dataset index).
pub fn metadata_tsv(probe: &Probe, source: &dyn Source) -> String {
    metadata_rows(
        &probe.labels,
        &probe.indices,
        probe.n_reference,
        source.class_names(),
    )
}

/// [`metadata_tsv`] from its parts: the first `n_reference` points are the kNN reference split.
pub fn metadata_rows(
    labels: &[usize],
    indices: &[usize],
    n_reference: usize,
    names: &[String],
) -> String {
    let mut out = String::from("label\tclass\tsplit\tindex\n");
    for (i, (&label, &index)) in labels.iter().zip(indices).enumerate() {
        let class = names.get(label).map(String::as_str).unwrap_or("?");
        let split = if i < n_reference {
            "reference"
        } else {
            "query"
        };
        let _ = writeln!(out, "{label}\t{class}\t{split}\t{index}");
    }
    out
}

/// A 2-D layout: a header and one row per probe point (x, y, label, class name).
pub fn layout_tsv(points: &[[f32; 2]], labels: &[usize], names: &[String]) -> String {
    let mut out = String::from("x\ty\tlabel\tclass\n");
    for (p, &label) in points.iter().zip(labels) {
        let class = names.get(label).map(String::as_str).unwrap_or("?");
        let _ = writeln!(out, "{}\t{}\t{label}\t{class}", p[0], p[1]);
    }
    out
}

/// Write `text` to `path` atomically: a temporary file beside it, then a rename, so an
/// interrupted write never leaves a half-written file in place of a good one.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic_bytes(path, text.as_bytes())
}

/// Write `bytes` to a temporary file beside `path`, then rename it over `path`: an interrupted
/// write leaves the previous file as it was.
pub fn write_atomic_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    // The process id in the name: processes writing the same file at once (shards of a sweep
    // sharing a folder) each rename a whole file of their own.
    let tmp = path.with_extension(format!(
        "{}.{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| LabError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| LabError::io(path, e))
}

/// Everything a headless run leaves in `dir`.
pub fn write_run(
    dir: &Path,
    config: &RunConfig,
    snapshots: &[Snapshot],
    events: &[Event],
    probe: &Probe,
    source: &dyn Source,
) -> Result<()> {
    write_run_files(dir, config, snapshots, events, &metadata_tsv(probe, source))
}

/// [`write_run`] with the metadata already written out (a replayed recording has no probe).
pub fn write_run_files(
    dir: &Path,
    config: &RunConfig,
    snapshots: &[Snapshot],
    events: &[Event],
    metadata: &str,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    write_atomic(&dir.join("config.toml"), &config.to_toml())?;
    write_atomic(
        &dir.join("metrics.csv"),
        &metrics_csv(config.method, snapshots),
    )?;
    write_atomic(&dir.join("events.csv"), &events_csv(events))?;
    if let Some(last) = snapshots.last() {
        write_atomic(
            &dir.join("embeddings.tsv"),
            &embeddings_tsv(&last.z, last.dim),
        )?;
        write_atomic(&dir.join("metadata.tsv"), metadata)?;
    }
    Ok(())
}
