//! `run --compare key=value [--fork-at STEP]`: two runs one change apart, trained side by side
//! (one thread each). Run A is the usual run; run B is A with the changes, either from scratch
//! (same seed, so the same data order and, when the change keeps the network's shape, the same
//! initial weights) or forked from A's exact state at `--fork-at`. Writes `DIR/a/` and `DIR/b/`
//! (each with the files `run` writes) and `DIR/compare.csv`: per snapshot step, every metric of
//! A, every metric of B, and their neighbour agreement.

use super::RunArgs;
use super::run::{
    RunSummary, first_snapshot, layouts_from_args, scenario_from_args, summary_text, train_until,
    write_outputs,
};
use crate::config::{Key, Setting};
use crate::error::{LabError, Result};
use crate::export::{self, LATER_COLUMNS, METRIC_COLUMNS};
use crate::metrics::agreement::{AGREEMENT_K, mean_agreement};
use crate::scenario::Scenario;
use crate::scenario::difference_label;
use crate::train::{MetricsRow, Session, Snapshot, device};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// What a comparison reports.
pub struct CompareSummary {
    pub a: RunSummary,
    pub b: RunSummary,
    /// B's settings that differ from A's.
    pub changes: Vec<Setting>,
    /// The step B forked from A at (from scratch when `None`).
    pub fork_at: Option<usize>,
    /// Mean neighbour agreement of A and B, per step both snapshotted.
    pub agreement: Vec<(usize, f64)>,
}

/// `key=value` of `--compare`, typed and checked against the declarations.
pub fn parse_change(pair: &str) -> Result<Setting> {
    let Some((key, value)) = pair.split_once('=') else {
        return Err(LabError::invalid(
            "--compare",
            pair,
            "expected key=value, e.g. stop_gradient=false",
        ));
    };
    let setting = Key::from_name(key)?.parse_value(value)?;
    setting.check()?;
    Ok(setting)
}

/// Whether `args` ask for a comparison: `--compare`, `--fork-at`, or a scenario file with a
/// `compare` table.
pub fn is_comparison(args: &RunArgs) -> bool {
    !args.compare.is_empty()
        || args.fork_at.is_some()
        || scenario_from_args(args).is_ok_and(|s| s.compare.is_some())
}

pub fn execute(args: &RunArgs) -> Result<CompareSummary> {
    let mut scenario = scenario_from_args(args)?;
    let layouts = layouts_from_args(args)?;
    // The file's comparison, then the command line's changes (which win).
    let spec = scenario.compare.take().unwrap_or_default();
    let mut changes = spec.changes;
    for pair in &args.compare {
        let change = parse_change(pair)?;
        changes.retain(|c| c.key() != change.key());
        changes.push(change);
    }
    let fork_at = args.fork_at.or(spec.fork_at);
    let steps = scenario.config.steps;
    if let Some(at) = fork_at.filter(|&at| at > steps) {
        return Err(LabError::invalid(
            "--fork-at",
            at,
            format!("the run has {steps} steps"),
        ));
    }
    let dev = device::select(args.device.parse()?)?;
    let label = dev.label.clone();
    let start = Instant::now();
    let mut a = Session::from_scenario(&scenario, dev.clone())?;
    if let Some(warning) = a.source().warning() {
        eprintln!("warning: {warning}");
    }
    if !args.quiet {
        eprintln!(
            "comparing {} on {} for {steps} steps on {label}: {}",
            scenario.config.method,
            scenario.config.dataset,
            difference_label(&changes, fork_at)
        );
    }
    let mut snaps_a = vec![first_snapshot(&mut a)?];
    let (mut b, mut snaps_b, b_replay) = match fork_at {
        Some(at) => {
            if let Some(incident) = train_until(&mut a, at, None, &mut snaps_a)? {
                return Err(super::run::incident_error(&incident));
            }
            let mut b = a.fork();
            for change in &changes {
                b.set(change.clone())?;
            }
            // B's own file replays it from scratch: A's start, A's script, then the changes.
            let replay = Scenario::from_run(b.config(), b.events())?;
            let history = snaps_a.clone();
            (b, history, replay)
        }
        None => {
            let mut config = scenario.config.clone();
            for change in &changes {
                config.apply(change.clone())?;
            }
            config.validate()?;
            let replay = Scenario {
                config,
                compare: None,
                ..scenario.clone()
            };
            let mut b = Session::from_scenario(&replay, dev)?;
            let first = first_snapshot(&mut b)?;
            (b, vec![first], replay)
        }
    };
    // Both on to the end at once, one thread each.
    let (incident_a, incident_b) = std::thread::scope(|scope| {
        let side = scope.spawn(|| train_until(&mut b, steps, None, &mut snaps_b));
        let main = train_until(&mut a, steps, None, &mut snaps_a);
        let side = side
            .join()
            .unwrap_or_else(|_| Err(LabError::Diverged("run B's thread panicked".into())));
        (main, side)
    });
    let (incident_a, incident_b) = (incident_a?, incident_b?);
    let seconds = start.elapsed().as_secs_f64();
    let out = &args.out;
    let a_replay = (!scenario.script.is_empty()).then_some(&scenario);
    let a_written = write_outputs(&out.join("a"), &a, &snaps_a, a_replay, &layouts, args)?;
    let b_replay = (fork_at.is_some() || !b_replay.script.is_empty()).then_some(&b_replay);
    let b_written = write_outputs(&out.join("b"), &b, &snaps_b, b_replay, &layouts, args)?;
    let agreement = agreement_by_step(&snaps_a, &snaps_b);
    export::write_atomic(
        &out.join("compare.csv"),
        &compare_csv(&a, &snaps_a, &b, &snaps_b, &agreement),
    )?;
    // The whole comparison as one scenario: `run --config` on it runs it again.
    let whole = Scenario {
        compare: Some(crate::scenario::CompareSpec {
            changes: changes.clone(),
            fork_at,
        }),
        ..scenario.clone()
    };
    whole.save(&out.join("scenario.toml"))?;
    if args.html.is_some() || args.record.is_some() {
        let (mut ra, rb) = (
            super::run::recorded(&scenario, &a, &snaps_a, seconds),
            super::run::recorded(
                &b_replay.cloned().unwrap_or_else(|| scenario.clone()),
                &b,
                &snaps_b,
                seconds,
            ),
        );
        // One recording of both: A's holds B, and says how B differs.
        ra.scenario.compare = whole.compare.clone();
        ra.others = vec![rb];
        crate::web::write_recording_and_page(
            &ra,
            args.record.as_deref(),
            args.html.as_deref(),
            None,
        )?;
    }
    let summary = |session: &Session, snapshots, incident, also_written| RunSummary {
        config: session.config().clone(),
        snapshots,
        incident,
        device: label.clone(),
        seconds,
        verdict: None,
        also_written,
        animation: None,
        recorded: None,
    };
    Ok(CompareSummary {
        a: summary(&a, snaps_a, incident_a, a_written),
        b: summary(&b, snaps_b, incident_b, b_written),
        changes,
        fork_at,
        agreement,
    })
}

/// The mean neighbour agreement (k = 10, cosine) at every step both runs snapshotted.
pub fn agreement_by_step(a: &[Snapshot], b: &[Snapshot]) -> Vec<(usize, f64)> {
    a.iter()
        .filter_map(|sa| {
            let sb = b.iter().find(|sb| sb.step == sa.step)?;
            Some((
                sa.step,
                mean_agreement(&sa.z, sa.dim, &sb.z, sb.dim, AGREEMENT_K),
            ))
        })
        .collect()
}

/// `compare.csv`: `step`, A's metrics (`a_loss` …), B's (`b_loss` …), `neighbour_agreement`;
/// a row per step both runs snapshotted.
pub fn compare_csv(
    a: &Session,
    snaps_a: &[Snapshot],
    b: &Session,
    snaps_b: &[Snapshot],
    agreement: &[(usize, f64)],
) -> String {
    let columns = |session: &Session, prefix: &str| -> Vec<String> {
        export::metric_names(session.config().method)
            .into_iter()
            .map(|name| format!("{prefix}{name}"))
            .collect()
    };
    let mut out = std::iter::once("step".to_string())
        .chain(columns(a, "a_"))
        .chain(columns(b, "b_"))
        .chain(std::iter::once("neighbour_agreement".to_string()))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    let values = |s: &Snapshot| -> String {
        export::metric_values(&MetricsRow::of(s))
            .into_iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    for &(step, agree) in agreement {
        let (Some(sa), Some(sb)) = (
            snaps_a.iter().find(|s| s.step == step),
            snaps_b.iter().find(|s| s.step == step),
        ) else {
            continue;
        };
        let _ = writeln!(out, "{step},{},{},{agree}", values(sa), values(sb));
    }
    out
}

pub fn summary_text_compare(s: &CompareSummary, out: &Path) -> String {
    let mut lines = vec![
        format!("A: {}", summary_text(&s.a, &out.join("a"))),
        format!(
            "{}: {}",
            difference_label(&s.changes, s.fork_at),
            summary_text(&s.b, &out.join("b"))
        ),
        format!(
            "  wrote {}, {}",
            out.join("compare.csv").display(),
            out.join("scenario.toml").display()
        ),
    ];
    if let (Some(a), Some(b)) = (s.a.last(), s.b.last()) {
        lines.push(format!(
            "differences at the end (step {}):",
            a.step.min(b.step)
        ));
        let (ra, rb) = (MetricsRow::of(a), MetricsRow::of(b));
        for (name, value) in METRIC_COLUMNS.iter().chain(&LATER_COLUMNS) {
            let (va, vb) = (value(&ra), value(&rb));
            lines.push(format!(
                "  {name:<13} A {va:>9.4}   B {vb:>9.4}   B − A {:+.4}",
                vb - va
            ));
        }
        if let Some((_, agree)) = s.agreement.last() {
            lines.push(format!(
                "  neighbour agreement (k = {AGREEMENT_K}): {agree:.3} (1 = the same neighbourhoods)"
            ));
        }
    }
    lines.join("\n")
}
