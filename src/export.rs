//! Files a run writes: `metrics.csv` (a row per snapshot), `events.csv`, `config.toml`, and the
//! TensorBoard Embedding Projector pair `embeddings.tsv` + `metadata.tsv`.

use crate::config::{Method, RunConfig};
use crate::data::{Probe, Source};
use crate::error::{LabError, Result};
use crate::run::{Event, MetricsRow, Snapshot};
use std::io::Write;
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

/// A CSV or TSV table built in memory by the csv crate: a field holding the separator, a quote
/// or a line break (a class name, a folder's path) is quoted as `"a, b"`, with its quotes
/// doubled; every other field is written as it is, so files of numbers read as before.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    /// Comma-separated.
    pub fn csv() -> Self {
        Self::separated_by(b',')
    }

    /// Tab-separated (the Embedding Projector's files, the layouts).
    pub fn tsv() -> Self {
        Self::separated_by(b'\t')
    }

    fn separated_by(separator: u8) -> Self {
        let writer = csv::WriterBuilder::new()
            .delimiter(separator)
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(Vec::new());
        Self { writer }
    }

    /// Append one row.
    pub fn row<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        // The only errors of csv's writer are its sink's, and a Vec takes every byte.
        self.writer
            .write_record(fields)
            .expect("writing a table to memory cannot fail");
    }

    /// The table's text.
    pub fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("flushing a table to memory cannot fail");
        // Every field came in as UTF-8 text.
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// `metrics.csv`'s header: `step`, then [`metric_names`].
pub fn metrics_header(method: Method) -> Vec<&'static str> {
    std::iter::once("step")
        .chain(metric_names(method))
        .collect()
}

/// One `metrics.csv` row: the step, then [`metric_values`], as text.
pub fn metrics_fields(s: &MetricsRow) -> Vec<String> {
    std::iter::once(s.step.to_string())
        .chain(metric_values(s).into_iter().map(|v| v.to_string()))
        .collect()
}

/// `metrics.csv` from the snapshots of a run.
pub fn metrics_csv(method: Method, snapshots: &[Snapshot]) -> String {
    let rows: Vec<MetricsRow> = snapshots.iter().map(MetricsRow::of).collect();
    metrics_csv_rows(method, &rows)
}

/// `metrics.csv` from the rows the app keeps.
pub fn metrics_csv_rows(method: Method, rows: &[MetricsRow]) -> String {
    let mut table = Table::csv();
    table.row(metrics_header(method));
    for r in rows {
        table.row(metrics_fields(r));
    }
    table.finish()
}

/// `events.csv`: `step, key, old, new` per change (a value holding a comma, such as a folder's
/// path, is quoted).
pub fn events_csv(events: &[Event]) -> String {
    let mut table = Table::csv();
    table.row(["step", "key", "old", "new"]);
    for e in events {
        table.row([
            e.step.to_string(),
            e.key().name().to_string(),
            e.old.text(),
            e.new.text(),
        ]);
    }
    table.finish()
}

/// Embedding Projector vectors: one tab-separated row per probe point, no header.
pub fn embeddings_tsv(z: &[f32], dim: usize) -> String {
    let mut table = Table::tsv();
    for row in z.chunks_exact(dim.max(1)) {
        table.row(row.iter().map(|v| v.to_string()));
    }
    table.finish()
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

/// The name of class `label`, or `?` for a label without one.
fn class_name(names: &[String], label: usize) -> &str {
    names.get(label).map(String::as_str).unwrap_or("?")
}

/// [`metadata_tsv`] from its parts: the first `n_reference` points are the kNN reference split.
pub fn metadata_rows(
    labels: &[usize],
    indices: &[usize],
    n_reference: usize,
    names: &[String],
) -> String {
    let mut table = Table::tsv();
    table.row(["label", "class", "split", "index"]);
    for (i, (&label, &index)) in labels.iter().zip(indices).enumerate() {
        let split = if i < n_reference {
            "reference"
        } else {
            "query"
        };
        table.row([
            &label.to_string(),
            class_name(names, label),
            split,
            &index.to_string(),
        ]);
    }
    table.finish()
}

/// A 2-D layout: a header and one row per probe point (x, y, label, class name).
pub fn layout_tsv(points: &[[f32; 2]], labels: &[usize], names: &[String]) -> String {
    let mut table = Table::tsv();
    table.row(["x", "y", "label", "class"]);
    for (p, &label) in points.iter().zip(labels) {
        table.row([
            &p[0].to_string(),
            &p[1].to_string(),
            &label.to_string(),
            class_name(names, label),
        ]);
    }
    table.finish()
}

/// Write `text` to `path` atomically: a temporary file beside it, then a rename, so an
/// interrupted write never leaves a half-written file in place of a good one.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic_bytes(path, text.as_bytes())
}

/// Write `bytes` to a temporary file beside `path`, then rename it over `path`: an interrupted
/// write leaves the previous file as it was.
pub fn write_atomic_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// What `write` writes, streamed to a temporary file beside `path` (buffered), then renamed
/// over `path`; a failed or interrupted write leaves the previous file as it was and no
/// temporary file behind.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    // In the browser, a file written is a download (see `browser_files`).
    if cfg!(target_arch = "wasm32") {
        let mut bytes = Vec::new();
        write(&mut bytes).map_err(|e| LabError::io(path, e))?;
        crate::browser_files::offer_download(path, bytes);
        return Ok(());
    }
    // The folder first: a page or a lesson saved into one that does not exist yet.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    }
    // The process id in the name: processes writing the same file at once (shards of a sweep
    // sharing a folder) each rename a whole file of their own.
    let tmp = path.with_extension(format!(
        "{}.{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        w.flush()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(LabError::io(path, e));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_midway_leaves_the_previous_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("run.clr");
        write_atomic_bytes(&path, b"the first").unwrap_or_else(|e| panic!("{e}"));
        let failed = write_atomic_with(&path, |w| {
            w.write_all(&[0; 100_000])?;
            Err(std::io::Error::other("the disk is full"))
        });
        let message = failed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("run.clr") && message.contains("the disk is full"),
            "{message}"
        );
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"the first");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("run.clr")]);
    }
}
