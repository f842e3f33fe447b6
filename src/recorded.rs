//! Recorded runs: a whole run in one file (its starting scenario, events, class names and
//! every recorded snapshot with the second it was taken), so a teacher can record a long run at
//! home and scrub it in class without training. CBOR (`ciborium`) in a gzip stream (`flate2`),
//! a format name and version first; written atomically. A corrupt, truncated or newer file is
//! refused with a message naming the file and the problem.
//!
//! A sweep or a comparison is one file too: the first run's body holds the others (version 2;
//! the first run's scenario says what was swept, or how B differs), so that the app opens it as
//! the sweep or the comparison it was.

use crate::error::{LabError, Result};
use crate::run::{Event, Recording, Snapshot};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// What the file says it is.
pub const FORMAT: &str = "contrastive-lab recording";
/// The version this build reads (and writes for a sweep); a single run is written as version 1,
/// which earlier builds read.
pub const VERSION: u32 = 2;

/// The first part of the file, read before the rest: is it a recording this build reads?
#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

/// The rest of the file. `S` is how it holds the snapshots: written from the run's own
/// (`&Snapshot`, nothing copied), read into `Snapshot`s; the two encode alike.
#[derive(Serialize, Deserialize)]
struct Body<S> {
    /// The run's start and script, as a scenario file holds them.
    scenario: String,
    events: Vec<Event>,
    class_names: Vec<String>,
    /// The probe's dataset indices and how many of them are the kNN reference split.
    probe_indices: Vec<usize>,
    n_reference: usize,
    snapshots: Vec<S>,
    /// Seconds after the first snapshot, per snapshot.
    times: Vec<f64>,
    /// A sweep's other runs, in the sweep's order (version 2).
    #[serde(default = "Vec::new")]
    others: Vec<Body<S>>,
}

/// A run as its file holds it.
#[derive(Clone, Debug)]
pub struct RecordedRun {
    pub scenario: Scenario,
    pub events: Vec<Event>,
    pub class_names: Vec<String>,
    pub probe_indices: Vec<usize>,
    pub n_reference: usize,
    pub recording: Recording,
    /// A sweep's other runs, in the sweep's order (its spec is `scenario.sweep`), or a
    /// comparison's run B (how it differs is `scenario.compare`).
    pub others: Vec<RecordedRun>,
}

fn refused(path: &Path, reason: impl Into<String>) -> LabError {
    LabError::ConfigFile {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

impl RecordedRun {
    /// The config at the end of the run: the start with every logged change applied.
    pub fn final_config(&self) -> Result<crate::config::RunConfig> {
        self.config_at(usize::MAX)
    }

    /// The config at `step`: the start with every change logged up to it applied.
    pub fn config_at(&self, step: usize) -> Result<crate::config::RunConfig> {
        let mut c = self.scenario.config.clone();
        for e in self.events.iter().filter(|e| e.step <= step) {
            c.apply(e.new.clone())?;
        }
        Ok(c)
    }

    /// Write what `run` writes for this run into `dir` (the five files).
    pub fn write_run_files(&self, dir: &Path) -> Result<()> {
        let snapshots: Vec<Snapshot> = self
            .recording
            .snapshots()
            .iter()
            .map(|s| (**s).clone())
            .collect();
        let labels = snapshots
            .last()
            .map(|s| s.labels.clone())
            .unwrap_or_default();
        let metadata = crate::export::metadata_rows(
            &labels,
            &self.probe_indices,
            self.n_reference,
            &self.class_names,
        );
        crate::export::write_run_files(
            dir,
            &self.final_config()?,
            &snapshots,
            &self.events,
            &metadata,
        )
    }

    fn body(&self) -> Body<&Snapshot> {
        Body {
            scenario: self.scenario.to_toml(),
            events: self.events.clone(),
            class_names: self.class_names.clone(),
            probe_indices: self.probe_indices.clone(),
            n_reference: self.n_reference,
            snapshots: self.recording.snapshots().iter().map(|s| &**s).collect(),
            times: self.recording.times().to_vec(),
            others: self.others.iter().map(Self::body).collect(),
        }
    }

    fn from_body(body: Body<Snapshot>, path: &Path) -> Result<Self> {
        if body.times.len() != body.snapshots.len() {
            return Err(refused(
                path,
                "the recording is damaged: times do not match snapshots",
            ));
        }
        let scenario = Scenario::from_toml(&body.scenario, &path.display().to_string())?;
        let mut recording = Recording::with_budget(usize::MAX);
        for (s, t) in body.snapshots.into_iter().zip(body.times) {
            recording.push_at(Arc::new(s), t);
        }
        let others = body
            .others
            .into_iter()
            .map(|b| Self::from_body(b, path))
            .collect::<Result<Vec<_>>>()?;
        if scenario.compare.is_some() && others.len() > 1 {
            return Err(refused(
                path,
                format!(
                    "the recording is damaged: a comparison has two runs, the file {}",
                    others.len() + 1
                ),
            ));
        }
        if let Some(spec) = &scenario.sweep
            && !others.is_empty()
            && others.len() + 1 != spec.points().len()
        {
            return Err(refused(
                path,
                format!(
                    "the recording is damaged: its sweep has {} runs, the file {}",
                    spec.points().len(),
                    others.len() + 1
                ),
            ));
        }
        Ok(Self {
            scenario,
            events: body.events,
            class_names: body.class_names,
            probe_indices: body.probe_indices,
            n_reference: body.n_reference,
            recording,
            others,
        })
    }

    /// Every run the file holds: this one, then a sweep's others.
    pub fn runs(&self) -> impl Iterator<Item = &RecordedRun> {
        std::iter::once(self).chain(&self.others)
    }

    /// Write what `run` writes for every run the file holds: a single run into `dir`, a
    /// sweep's runs into `dir/<key>=<value>/seed<k>/` as `run --sweep` lays them out. Returns
    /// the folders.
    pub fn write_all_run_files(&self, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
        if let (Some(_), [b]) = (&self.scenario.compare, self.others.as_slice()) {
            // A comparison: `a/` and `b/`, as `run --compare` writes them.
            self.write_run_files(&dir.join("a"))?;
            b.write_run_files(&dir.join("b"))?;
            return Ok(vec![dir.join("a"), dir.join("b")]);
        }
        let Some(spec) = self
            .scenario
            .sweep
            .as_ref()
            .filter(|_| !self.others.is_empty())
        else {
            self.write_run_files(dir)?;
            return Ok(vec![dir.to_path_buf()]);
        };
        let mut dirs = Vec::new();
        for (run, point) in self.runs().zip(spec.points()) {
            let out = dir
                .join(spec.folder(&point.value))
                .join(format!("seed{}", point.seed_offset));
            run.write_run_files(&out)?;
            dirs.push(out);
        }
        Ok(dirs)
    }

    /// Write the run to `path` (atomically: a temporary file, then a rename), encoded and
    /// compressed as it is written: no copy of the recording is made, in memory or as bytes.
    pub fn save(&self, path: &Path) -> Result<()> {
        let header = Header {
            format: FORMAT.into(),
            version: if self.others.is_empty() { 1 } else { VERSION },
        };
        let body = self.body();
        crate::export::write_atomic_with(path, |file| {
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let failed =
                |e: &dyn std::fmt::Display| std::io::Error::other(format!("could not encode: {e}"));
            ciborium::into_writer(&header, &mut gz).map_err(|e| failed(&e))?;
            ciborium::into_writer(&body, &mut gz).map_err(|e| failed(&e))?;
            gz.try_finish()
        })
    }

    /// Read a recorded run; anything but a whole recording of this version is refused.
    pub fn load(path: &Path) -> Result<Self> {
        // Its first two bytes first: a large file of anything else is refused unread.
        let bytes = match crate::browser_files::read(path) {
            Some(picked) => picked.to_vec(),
            None => {
                let mut magic = [0u8; 2];
                std::fs::File::open(path)
                    .and_then(|mut f| f.read_exact(&mut magic))
                    .map_err(|_| refused(path, "not a contrastive-lab recording"))?;
                if magic != [0x1f, 0x8b] {
                    return Err(refused(path, "not a contrastive-lab recording"));
                }
                std::fs::read(path).map_err(|e| LabError::io(path, e))?
            }
        };
        if bytes.get(..2) != Some(&[0x1f, 0x8b][..]) {
            return Err(refused(path, "not a contrastive-lab recording"));
        }
        let text = crate::limits::gunzip_bounded(path, &bytes)?;
        drop(bytes);
        let mut reader = text.as_slice();
        let header: Header = ciborium::from_reader(&mut reader)
            .map_err(|_| refused(path, "not a contrastive-lab recording"))?;
        if header.format != FORMAT {
            return Err(refused(path, "not a contrastive-lab recording"));
        }
        if header.version > VERSION {
            return Err(refused(
                path,
                format!(
                    "recording version {} is newer than this build reads ({VERSION})",
                    header.version
                ),
            ));
        }
        let body: Body<Snapshot> = ciborium::from_reader(&mut reader)
            .map_err(|e| refused(path, format!("the recording is damaged: {e}")))?;
        Self::from_body(body, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written from the run's own snapshots by reference, a body encodes exactly as the owned
    /// body a reader decodes: files written before and after read alike.
    #[test]
    fn a_body_of_borrowed_snapshots_encodes_as_an_owned_one() {
        let snapshot = Snapshot {
            step: 40,
            loss: 1.5,
            z: vec![0.25, -1.0, 3.5],
            dim: 3,
            labels: vec![2],
            ..Snapshot::default()
        };
        fn body<S>(s: S) -> Body<S> {
            Body {
                scenario: "x".into(),
                events: Vec::new(),
                class_names: vec!["a".into()],
                probe_indices: vec![7],
                n_reference: 1,
                snapshots: vec![s],
                times: vec![0.5],
                others: Vec::new(),
            }
        }
        let mut owned = Vec::new();
        let mut borrowed = Vec::new();
        ciborium::into_writer(&body(snapshot.clone()), &mut owned)
            .unwrap_or_else(|e| panic!("{e}"));
        ciborium::into_writer(&body(&snapshot), &mut borrowed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(owned, borrowed);
        let back: Body<Snapshot> =
            ciborium::from_reader(borrowed.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.snapshots[0].z, snapshot.z);
    }
}
