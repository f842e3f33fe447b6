//! What the File menu's windows save and open: scenarios, recordings, the embeddings and
//! metrics tables, the animation. Each returns the banner's text, or why not.

use crate::app::LabApp;
use crate::export;
use crate::recorded::RecordedRun;
use crate::scenario::Scenario;
use crate::train::Command;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl LabApp {
    pub(super) fn export_dir(&self) -> Result<PathBuf, String> {
        // In the browser each export is a download of its own name.
        if cfg!(target_arch = "wasm32") {
            return Ok(PathBuf::new());
        }
        let dir = PathBuf::from(self.state.paths.export_dir.trim());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(dir)
    }

    /// `<stem>-step<N>`: exports of different moments do not overwrite each other.
    pub(super) fn export_stem(&self, stem: &str) -> String {
        format!("{stem}-step{}", self.status().step)
    }

    pub fn open_scenario(&mut self, path: &Path) -> Result<String, String> {
        let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
        let what = self.load_scenario(scenario)?;
        Ok(format!("opened {} ({what})", path.display()))
    }

    /// Start `scenario` in place of the runs shown: run A with its script, and run B beside
    /// it or the sweep's runs when it holds one. Returns what started ("2 scripted changes,
    /// compared with B: …"), or why run B could not.
    pub fn load_scenario(&mut self, mut scenario: Scenario) -> Result<String, String> {
        let changes = scenario.script.len();
        let compare = scenario.compare.take();
        let sweep = scenario.sweep.take();
        self.end_comparison();
        self.end_sweep();
        let compared = match compare {
            Some(spec) => {
                let label = crate::scenario::difference_label(&spec.changes, spec.fork_at);
                self.compare_scenario(&scenario, spec)
                    .map_err(|e| format!("run B could not start: {e}"))?;
                format!(", compared with {label}")
            }
            None => {
                if let Some(a) = self.slots.first_mut() {
                    a.send(Command::Load(Box::new(scenario)));
                }
                // A sweep (`run --sweep`'s sweep.toml) starts from the file's config, which A
                // now shows.
                match sweep {
                    Some(spec) => {
                        let label = format!(", sweeping {}", spec.key.name());
                        self.start_sweep(spec, None);
                        label
                    }
                    None => String::new(),
                }
            }
        };
        Ok(format!(
            "{changes} scripted change{}{compared}",
            if changes == 1 { "" } else { "s" }
        ))
    }

    pub fn save_scenario(&mut self, path: &Path) -> Result<String, String> {
        let config = self.config().clone();
        let mut scenario =
            Scenario::from_run(&config, &self.status().events).map_err(|e| e.to_string())?;
        scenario.title = crate::methods::run_title(&config);
        // In a comparison, the file says how B differs: opening it compares again; in a sweep,
        // what is swept: opening it sweeps again.
        scenario.compare = self.comparison().map(|b| crate::scenario::CompareSpec {
            changes: b.changes.clone(),
            fork_at: b.fork_at,
        });
        scenario.sweep = self.sweep().map(|s| s.spec.clone());
        scenario.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} ({} scripted change{})",
            path.display(),
            scenario.script.len(),
            if scenario.script.len() == 1 { "" } else { "s" }
        ))
    }

    pub fn export_embeddings(&mut self) -> Result<String, String> {
        let snap = self
            .published()
            .snapshot
            .clone()
            .ok_or("no snapshot to export yet")?;
        let probe = self
            .published()
            .probe
            .clone()
            .ok_or("the probe is not ready yet")?;
        let dir = self.export_dir()?;
        let stem = self.export_stem("embeddings");
        let vectors = dir.join(format!("{stem}.tsv"));
        let metadata = dir.join(format!("{stem}-metadata.tsv"));
        export::write_atomic(&vectors, &export::embeddings_tsv(&snap.z, snap.dim))
            .map_err(|e| e.to_string())?;
        let text = export::metadata_rows(
            &snap.labels,
            &probe.indices,
            probe.n_reference,
            &self.status().class_names,
        );
        export::write_atomic(&metadata, &text).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} and {} (load both at projector.tensorflow.org)",
            vectors.display(),
            metadata.display()
        ))
    }

    pub fn export_metrics(&mut self) -> Result<String, String> {
        let method = self.config().method;
        let dir = self.export_dir()?;
        let metrics = dir.join(format!("{}.csv", self.export_stem("metrics")));
        let events = dir.join(format!("{}.csv", self.export_stem("events")));
        export::write_atomic(
            &metrics,
            &export::metrics_csv_rows(method, &self.history().to_vec()),
        )
        .map_err(|e| e.to_string())?;
        export::write_atomic(&events, &export::events_csv(&self.status().events))
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} and {}",
            metrics.display(),
            events.display()
        ))
    }

    /// Every run the app shows as one recording: run A's, holding a sweep's others (its spec
    /// in A's scenario) or a comparison's B (how it differs in A's scenario); a lesson's title
    /// kept, so that its page shows the lesson's card.
    fn recorded_runs(&self) -> Result<RecordedRun, String> {
        let mut runs = self
            .slots
            .iter()
            .map(|slot| slot.recorded_run())
            .collect::<Result<Vec<_>, String>>()?
            .into_iter();
        let Some(mut run) = runs.next() else {
            return Err("no run to save".into());
        };
        if let Some(lesson) = self.current_lesson() {
            run.scenario.title = lesson.title.clone();
        }
        if let Some(sweep) = self.sweep() {
            run.scenario.sweep = Some(sweep.spec.clone());
            run.others = runs.collect();
        } else if let Some(c) = self.comparison() {
            run.scenario.compare = Some(crate::scenario::CompareSpec {
                changes: c.changes.clone(),
                fork_at: c.fork_at,
            });
            run.others = runs.take(1).collect();
        }
        Ok(run)
    }

    /// The whole run as a recording file; a sweep's or a comparison's runs all in one.
    pub fn save_recording(&mut self, path: &Path) -> Result<String, String> {
        let run = self.recorded_runs()?;
        run.save(path).map_err(|e| e.to_string())?;
        let snapshots: usize = run.runs().map(|r| r.recording.len()).sum();
        Ok(format!(
            "saved {} ({}{snapshots} snapshots)",
            path.display(),
            match (run.others.len(), &run.scenario.compare) {
                (0, _) => String::new(),
                (_, Some(_)) => "a comparison, ".into(),
                (n, None) => format!("a sweep of {} runs, ", n + 1),
            }
        ))
    }

    /// The runs shown as one web page (`page-stepN.html` in the export folder): a single run
    /// (with its lesson's card), A and B of a comparison, or a sweep.
    pub fn export_web_page(&mut self) -> Result<String, String> {
        let run = self.recorded_runs()?;
        let dir = self.export_dir()?;
        let path = dir.join(format!("{}.html", self.export_stem("page")));
        let text = crate::web::page_of_recording(
            &run,
            "(File → Save run… keeps the recording)",
            self.current_lesson(),
        )
        .map_err(|e| e.to_string())?;
        export::write_atomic(&path, &text).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} ({:.1} MB): it replays the run in any browser, offline",
            path.display(),
            text.len() as f64 / 1e6
        ))
    }

    /// The recorded run (or the timeline's loop range) as an animated GIF for slides.
    pub fn export_animation(&mut self) -> Result<String, String> {
        let dir = self.export_dir()?;
        let (from, to) = self.timeline.loop_range.unwrap_or((0, usize::MAX));
        let snapshots: Vec<Arc<crate::train::Snapshot>> = self
            .with_recording(|rec| {
                rec.snapshots()
                    .iter()
                    .filter(|s| (from..=to).contains(&s.step))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (first, last) = match (snapshots.first(), snapshots.last()) {
            (Some(a), Some(b)) => (a.step, b.step),
            _ => return Err("nothing recorded yet".into()),
        };
        let path = dir.join(format!("animation-step{first}-{last}.gif"));
        let refs: Vec<&crate::train::Snapshot> = snapshots.iter().map(|s| &**s).collect();
        let frames = crate::render::animation::write_gif(&path, &refs, Default::default())
            .map_err(|e| e.to_string())?;
        Ok(format!("saved {} ({frames} frames)", path.display()))
    }
}
