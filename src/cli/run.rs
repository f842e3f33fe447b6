//! `contrastive-lab run`: one experiment, headless, to files.

use super::RunArgs;
use crate::config::{RunConfig, Setting};
use crate::error::{LabError, Result};
use crate::export;
use crate::lessons::Verdict;
use crate::scenario::Scenario;
use crate::train::{DeviceChoice, Incident, Session, Snapshot, device};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

/// The scenario `args` describe: a lesson, a config or scenario file, or the method's defaults;
/// then the explicit flags, then every `--set`, in order.
pub fn scenario_from_args(args: &RunArgs) -> Result<Scenario> {
    let mut scenario = match (&args.lesson, &args.config, &args.method) {
        (Some(id), _, _) => crate::lessons::find_or_load(id)?.scenario(true)?,
        (None, Some(path), _) => Scenario::load(path)?,
        (None, None, Some(m)) => Scenario::new(RunConfig::for_method(m.parse()?)),
        (None, None, None) => Scenario::new(RunConfig::default()),
    };
    let config = &mut scenario.config;
    if let Some(m) = &args.method {
        config.apply(Setting::Method(m.parse()?))?;
    }
    if let Some(d) = &args.dataset {
        config.apply(Setting::Dataset(d.parse()?))?;
    }
    if let Some(s) = args.steps {
        config.apply(Setting::Steps(s))?;
    }
    if let Some(s) = args.seed {
        config.apply(Setting::Seed(s))?;
    }
    for pair in &args.set {
        config.set_pair(pair)?;
    }
    config.validate()?;
    Ok(scenario)
}

/// What a finished run reports.
#[derive(Debug)]
pub struct RunSummary {
    pub config: RunConfig,
    pub snapshots: Vec<Snapshot>,
    pub incident: Option<Incident>,
    pub device: String,
    pub seconds: f64,
    /// For `--lesson`: whether the phenomenon showed.
    pub verdict: Option<Verdict>,
    /// The files this run wrote beside the five it always writes (scenario.toml, layouts).
    pub also_written: Vec<&'static str>,
    /// `--animate`: the GIF and its frame count.
    pub animation: Option<(std::path::PathBuf, usize)>,
    /// The run as a recording, when `--record` or `--html` asked for one (a sweep makes its own
    /// of its runs').
    pub recorded: Option<crate::recorded::RecordedRun>,
}

impl RunSummary {
    pub fn last(&self) -> Option<&Snapshot> {
        self.snapshots.last()
    }

    pub fn first(&self) -> Option<&Snapshot> {
        self.snapshots.first()
    }
}

/// A snapshot as a headless run keeps it (all of them, to the end): its numbers and embeddings,
/// without what only the app's forces overlay draws (MoCo's queue alone is K × d floats).
fn kept(mut snapshot: Snapshot) -> Snapshot {
    snapshot.forces = None;
    snapshot
}

/// Train `config` for `config.steps` steps on `session`, snapshotting every `snapshot_every`
/// steps (and at step 0, the random-encoder baseline). Stops at a non-finite loss.
pub fn train(
    session: &mut Session,
    progress: Option<&ProgressBar>,
) -> Result<(Vec<Snapshot>, Option<Incident>)> {
    let mut snapshots = vec![first_snapshot(session)?];
    let steps = session.config().steps;
    let incident = train_until(session, steps, progress, &mut snapshots)?;
    Ok((snapshots, incident))
}

/// The step-0 snapshot: the random encoder, with the loss of its initial weights.
pub fn first_snapshot(session: &mut Session) -> Result<Snapshot> {
    session.measure_initial_loss()?;
    Ok(kept(session.snapshot()?))
}

/// Train on to step `until`, adding a snapshot every `snapshot_every` steps (and at the run's
/// last step). Stops at a non-finite loss and returns it.
pub fn train_until(
    session: &mut Session,
    until: usize,
    progress: Option<&ProgressBar>,
    snapshots: &mut Vec<Snapshot>,
) -> Result<Option<Incident>> {
    let steps = session.config().steps;
    while session.step_count() < until.min(steps) {
        match session.step()? {
            Ok(loss) => {
                let step = session.step_count();
                if step.is_multiple_of(session.config().snapshot_every.max(1)) || step == steps {
                    let snap = kept(session.snapshot()?);
                    if let Some(pb) = progress {
                        pb.set_message(format!(
                            "loss {:.4}  knn {:.3}  std·√d {:.2}",
                            snap.loss,
                            snap.diagnostics.knn_acc,
                            snap.diagnostics.spread()
                        ));
                    }
                    snapshots.push(snap);
                } else if let Some(pb) = progress {
                    pb.set_message(format!("loss {loss:.4}"));
                }
                if let Some(pb) = progress {
                    pb.set_position(step as u64);
                }
            }
            Err(incident) => return Ok(Some(incident)),
        }
    }
    Ok(None)
}

/// The run with every snapshot, at the pace it trained (its snapshots' seconds spread evenly
/// over the run's): what `--record` writes and `--html` shows.
pub(crate) fn recorded(
    scenario: &Scenario,
    session: &Session,
    snapshots: &[Snapshot],
    seconds: f64,
) -> crate::recorded::RecordedRun {
    let last = snapshots.last().map_or(1, |s| s.step).max(1) as f64;
    let mut recording = crate::train::Recording::with_budget(usize::MAX);
    for s in snapshots {
        recording.push_at(
            std::sync::Arc::new(s.clone()),
            seconds * s.step as f64 / last,
        );
    }
    crate::recorded::RecordedRun {
        scenario: scenario.clone(),
        events: session.events().to_vec(),
        class_names: session.source().class_names().to_vec(),
        probe_indices: session.probe().indices.clone(),
        n_reference: session.probe().n_reference,
        recording,
        others: Vec::new(),
    }
}

/// A 2-D layout `run --projection` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    Pca,
    Tsne,
    /// The unit-normalised embedding on the sphere view's plane (fixed scale, see
    /// [`crate::projection::sphere`]).
    Sphere,
}

impl LayoutKind {
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Pca => "pca.tsv",
            Self::Tsne => "tsne.tsv",
            Self::Sphere => "sphere.tsv",
        }
    }
}

impl std::str::FromStr for LayoutKind {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pca" => Ok(Self::Pca),
            "tsne" | "t-sne" => Ok(Self::Tsne),
            "sphere" => Ok(Self::Sphere),
            _ => Err(LabError::invalid(
                "projection",
                s,
                "expected pca, tsne or sphere",
            )),
        }
    }
}

/// t-SNE iterations of a headless layout (250 of them with early exaggeration).
pub const TSNE_ITERATIONS: usize = 1000;

/// The final layout of `snap` as x, y per probe point.
pub fn final_layout(
    kind: LayoutKind,
    snap: &Snapshot,
    perplexity: f32,
    seed: u64,
) -> Result<Vec<[f32; 2]>> {
    let n = snap.labels.len();
    match kind {
        LayoutKind::Pca => Ok(crate::projection::pca_2d(&snap.z, n, snap.dim, None)?.points),
        LayoutKind::Sphere => Ok(crate::projection::sphere_2d(&snap.z, n, snap.dim, None)?.points),
        LayoutKind::Tsne => {
            let params = crate::projection::TsneParams {
                perplexity,
                ..Default::default()
            };
            let t =
                crate::projection::tsne::fit(&snap.z, n, snap.dim, params, TSNE_ITERATIONS, seed)?;
            Ok(t.points())
        }
    }
}

/// The layouts `--projection` asks for (checked with `--perplexity`).
pub fn layouts_from_args(args: &RunArgs) -> Result<Vec<LayoutKind>> {
    let layouts = args
        .projection
        .iter()
        .map(|p| p.parse())
        .collect::<Result<Vec<LayoutKind>>>()?;
    if !layouts.is_empty() && !(2.0..=100.0).contains(&args.perplexity) {
        return Err(LabError::invalid(
            "perplexity",
            args.perplexity,
            "must be in 2..=100",
        ));
    }
    Ok(layouts)
}

/// Write what a run writes into `dir`: the five files, `scenario.toml` when `replay` is given
/// (the run's start and script), and the final `layouts`. Returns the files beyond the five.
pub fn write_outputs(
    dir: &std::path::Path,
    session: &Session,
    snapshots: &[Snapshot],
    replay: Option<&Scenario>,
    layouts: &[LayoutKind],
    args: &RunArgs,
) -> Result<Vec<&'static str>> {
    export::write_run(
        dir,
        session.config(),
        snapshots,
        session.events(),
        session.probe(),
        session.source().as_ref(),
    )?;
    let mut also_written = Vec::new();
    if let Some(scenario) = replay {
        // config.toml is the config at the end; the scenario replays the run from its start.
        scenario.save(&dir.join("scenario.toml"))?;
        also_written.push("scenario.toml");
    }
    if let Some(last) = snapshots.last() {
        for &kind in layouts {
            let points = final_layout(kind, last, args.perplexity, session.config().seed)?;
            export::write_atomic(
                &dir.join(kind.file_name()),
                &export::layout_tsv(&points, &last.labels, session.source().class_names()),
            )?;
            also_written.push(kind.file_name());
        }
    }
    Ok(also_written)
}

/// Did the lesson's phenomenon show in this run? Where a check compares with the control, the
/// same run without the lesson's change is trained too, from the same start on the same kind
/// of device (a GPU draws other random numbers than the CPU).
fn lesson_verdict(
    lesson: &crate::lessons::Lesson,
    scenario: &Scenario,
    session: &Session,
    snapshots: &[Snapshot],
    choice: DeviceChoice,
) -> Result<Option<Verdict>> {
    let control = if lesson.needs_control() {
        let mut start = scenario.clone();
        start.script.clear();
        let mut control = Session::from_scenario(&start, device::select(choice)?)?;
        let (snaps, _) = train(&mut control, None)?;
        Some((snaps, control.config().clone()))
    } else {
        None
    };
    let control = control.as_ref().map(|(s, c)| (s.as_slice(), c));
    Ok(lesson.verdict(snapshots, session.config(), control))
}

pub fn execute(args: &RunArgs) -> Result<RunSummary> {
    let mut scenario = scenario_from_args(args)?;
    // One run of a sweep (`--config sweep.toml --set KEY=VALUE`) is a plain run.
    scenario.sweep = None;
    let config = scenario.config.clone();
    let layouts = layouts_from_args(args)?;
    let choice: DeviceChoice = args.device.parse()?;
    let dev = device::select(choice)?;
    let device_label = dev.label.clone();
    let mut session = Session::from_scenario(&scenario, dev)?;
    if let Some(warning) = session.source().warning() {
        eprintln!("warning: {warning}");
    }
    let progress = (!args.quiet).then(|| {
        let pb = ProgressBar::new(config.steps as u64);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb
    });
    if !args.quiet {
        eprintln!(
            "training {} on {} for {} steps on {device_label}",
            config.method, config.dataset, config.steps
        );
    }
    let start = Instant::now();
    let (snapshots, incident) = train(&mut session, progress.as_ref())?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let replay = (!scenario.script.is_empty()).then_some(&scenario);
    let also_written = write_outputs(&args.out, &session, &snapshots, replay, &layouts, args)?;
    let lesson = args
        .lesson
        .as_deref()
        .map(crate::lessons::find_or_load)
        .transpose()?;
    let verdict = match &lesson {
        Some(l) => lesson_verdict(l, &scenario, &session, &snapshots, choice)?,
        None => None,
    };
    let recorded = if args.record.is_some() || args.html.is_some() {
        let run = recorded(&scenario, &session, &snapshots, seconds);
        crate::web::write_recording_and_page(
            &run,
            args.record.as_deref(),
            args.html.as_deref(),
            lesson.as_ref(),
        )?;
        Some(run)
    } else {
        None
    };
    let animation = match &args.animate {
        Some(path) => {
            let refs: Vec<&Snapshot> = snapshots.iter().collect();
            let frames = crate::render::animation::write_gif(path, &refs, Default::default())?;
            Some((path.clone(), frames))
        }
        None => None,
    };
    Ok(RunSummary {
        config: session.config().clone(),
        snapshots,
        incident,
        device: device_label,
        seconds,
        verdict,
        also_written,
        animation,
        recorded,
    })
}

pub fn summary_text(s: &RunSummary, out: &std::path::Path) -> String {
    let mut lines = vec![format!(
        "{} on {}: {} steps in {:.1} s on {}",
        s.config.method,
        s.config.dataset,
        s.last().map(|l| l.step).unwrap_or(0),
        s.seconds,
        s.device
    )];
    if let (Some(first), Some(last)) = (s.first(), s.last()) {
        let (a, b) = (&first.diagnostics, &last.diagnostics);
        lines.push(format!(
            "  loss          {:>9.4} → {:.4}",
            first.loss, last.loss
        ));
        lines.push(format!(
            "  kNN accuracy  {:>9.3} → {:.3}   (random-encoder baseline → trained)",
            a.knn_acc, b.knn_acc
        ));
        lines.push(format!(
            "  std·√d        {:>9.3} → {:.3}   (1 = spread over the sphere, 0 = collapsed)",
            a.spread(),
            b.spread()
        ));
        lines.push(format!(
            "  alignment     {:>9.3} → {:.3}",
            a.alignment, b.alignment
        ));
        lines.push(format!(
            "  uniformity    {:>9.3} → {:.3}",
            a.uniformity, b.uniformity
        ));
        lines.push(format!(
            "  RankMe        {:>9.2} → {:.2}",
            a.rankme, b.rankme
        ));
        for (k, v) in &last.extras {
            lines.push(format!("  {:<13} {:>9} → {v:.4}", k.name(), ""));
        }
    }
    lines.push(format!(
        "  wrote {}/{{metrics.csv, events.csv, config.toml, embeddings.tsv, metadata.tsv}}",
        out.display()
    ));
    // Only what this run wrote: a file an earlier run left in the folder is not news.
    for file in &s.also_written {
        lines.push(format!("  wrote {}", out.join(file).display()));
    }
    if let Some((path, frames)) = &s.animation {
        lines.push(format!("  wrote {} ({frames} frames)", path.display()));
    }
    if let Some(v) = &s.verdict {
        lines.push(format!(
            "  lesson: {} {}",
            if v.shown { "shown:" } else { "NOT shown:" },
            v.text
        ));
    }
    lines.join("\n")
}

/// The error a run ends with when training hit a non-finite loss.
pub fn incident_error(incident: &Incident) -> LabError {
    LabError::Diverged(format!("{incident}; lower `lr` (e.g. --set lr=0.001)"))
}
