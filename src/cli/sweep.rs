//! `run --sweep KEY=V1,V2,…` (or `KEY=LO..HI:COUNT[:log]`, or `--config sweep.toml`): one run
//! per value and seed, each written as `run` writes it to `OUT/<key>=<value>/seed<k>/`;
//! `OUT/sweep.toml`, the scenario that runs the sweep again; and `OUT/sweep.csv` with one row
//! per run (`key, value, seed`, then the run's last `metrics.csv` row: step and every metric).
//! Every run is exactly the run `run --config OUT/sweep.toml --set KEY=VALUE --seed S` makes.
//!
//! `--shard I/N` runs only the runs numbered `i ≡ I (mod N)` and writes its rows to
//! `sweep-shard-I-of-N.csv`; `sweep merge DIR…` puts the shards' rows together into the
//! `sweep.csv` the whole sweep would have written.

use super::RunArgs;
use super::run;
use crate::error::{LabError, Result};
use crate::export;
use crate::lessons::ValueMeans;
use crate::scenario::Scenario;
use crate::sweep::{Shard, SweepSpec};
use std::path::{Path, PathBuf};

pub use super::sweep_table::{SweepRow, SweepRun, SweepTable};

/// The scenario of the sweep `args` describe (`--sweep`, or a `--config` file holding a
/// `sweep = { … }`), its `sweep` set; `None` when they describe no sweep.
pub fn plan(args: &RunArgs) -> Result<Option<Scenario>> {
    let from_flag = match &args.sweep {
        Some(text) => Some(SweepSpec::parse(text)?.with_seeds(args.seeds)?),
        None => None,
    };
    if from_flag.is_none() && args.config.is_none() && args.lesson.is_none() {
        return Ok(None);
    }
    let mut scenario = run::scenario_from_args(args)?;
    if let Some(spec) = from_flag {
        scenario.sweep = Some(spec);
    }
    if scenario.sweep.is_some() && (!args.compare.is_empty() || scenario.compare.is_some()) {
        return Err(LabError::invalid(
            "--sweep",
            args.sweep.as_deref().unwrap_or("(from --config)"),
            "a sweep does not combine with a comparison",
        ));
    }
    Ok(scenario.sweep.is_some().then_some(scenario))
}

/// What a sweep (or a shard of one) did.
pub struct SweepOutcome {
    pub spec: SweepSpec,
    pub runs: Vec<SweepRun>,
    /// The rows it wrote (to `sweep.csv`, or the shard's file).
    pub table: SweepTable,
    pub csv: PathBuf,
}

/// Every run of `scenario`'s sweep that `shard` takes (all without one), value by value, seed
/// by seed (seeds from the scenario's): `OUT/sweep.toml` first, then each run in its folder
/// (run from that file), then the rows.
pub fn execute(args: &RunArgs, scenario: &Scenario, shard: Option<Shard>) -> Result<SweepOutcome> {
    let Some(spec) = scenario.sweep.clone() else {
        return Err(LabError::invalid(
            "--sweep",
            "",
            "the scenario holds no sweep",
        ));
    };
    if let Some(s) = shard.filter(|_| args.record.is_some() || args.html.is_some()) {
        return Err(LabError::invalid(
            "--shard",
            format!("{}/{}", s.index, s.count),
            "a shard holds part of the sweep: its recording and page (--record, --html) need every run, so make them without --shard",
        ));
    }
    let plan_file = args.out.join("sweep.toml");
    scenario.save(&plan_file)?;
    let base = scenario.config.seed;
    let mut runs = Vec::new();
    for point in spec.points() {
        if shard.is_some_and(|s| !s.takes(point.index)) {
            continue;
        }
        let seed = base + point.seed_offset;
        let dir = args
            .out
            .join(spec.folder(&point.value))
            .join(format!("seed{}", point.seed_offset));
        // The run `sweep.toml` describes, with this value and seed: the file is the truth, so
        // that running it again runs the same.
        // With --record or --html, each run keeps its recording, which the sweep's are made of.
        let keep = args.record.is_some() || args.html.is_some();
        let one = RunArgs {
            config: Some(plan_file.clone()),
            set: vec![format!("{}={}", spec.key.name(), point.value)],
            seed: Some(seed),
            out: dir.clone(),
            quiet: true,
            method: None,
            dataset: None,
            steps: None,
            lesson: None,
            animate: None,
            record: keep.then(|| dir.join("run.clr")),
            html: None,
            sweep: None,
            shard: None,
            compare: Vec::new(),
            fork_at: None,
            ..args.clone()
        };
        if !args.quiet {
            eprintln!("sweep: {}={}, seed {seed}", spec.key.name(), point.value);
        }
        let summary = run::execute(&one)?;
        runs.push(SweepRun {
            value: point.value,
            seed,
            dir,
            summary,
        });
    }
    let table = SweepTable::of_runs(&spec, &runs)?;
    let csv = args.out.join(match shard {
        Some(s) => s.csv_name(),
        None => "sweep.csv".to_string(),
    });
    export::write_atomic(&csv, &table.to_csv())?;
    if args.record.is_some() || args.html.is_some() {
        record_the_sweep(args, &spec, &mut runs)?;
    }
    Ok(SweepOutcome {
        spec,
        runs,
        table,
        csv,
    })
}

/// `--record`: the sweep as one recording (the app opens it as the sweep); `--html`: its page
/// (a panel per value, the curve, every run's plots). Made of the recordings the runs kept
/// (each also wrote it to its `run.clr`).
fn record_the_sweep(args: &RunArgs, spec: &SweepSpec, runs: &mut [SweepRun]) -> Result<()> {
    let mut recorded = runs
        .iter_mut()
        .filter_map(|r| r.summary.recorded.take())
        .collect::<Vec<_>>()
        .into_iter();
    let Some(mut first) = recorded.next() else {
        return Ok(());
    };
    first.others = recorded.collect();
    first.scenario.sweep = Some(spec.clone());
    crate::web::write_recording_and_page(&first, args.record.as_deref(), args.html.as_deref(), None)
}

/// `sweep merge DIR…`: the shards' rows (`sweep-shard-I-of-N.csv` in each folder) put together
/// in the sweep's order, written to `OUT/sweep.csv`. Every folder's `sweep.toml` must describe
/// the same sweep, and together they must hold every run once.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<(Scenario, SweepTable)> {
    let refuse = |dir: &Path, why: String| LabError::invalid("sweep merge", dir.display(), why);
    let Some(first) = dirs.first() else {
        return Err(LabError::invalid(
            "sweep merge",
            "",
            "give the shard folders to merge",
        ));
    };
    let mut plan: Option<Scenario> = None;
    let mut found: Vec<(SweepRow, PathBuf)> = Vec::new();
    let mut header: Option<(String, Vec<String>)> = None;
    for dir in dirs {
        let file = dir.join("sweep.toml");
        if !file.is_file() {
            return Err(refuse(
                dir,
                "holds no sweep.toml: is it a sweep's folder?".into(),
            ));
        }
        let scenario = Scenario::load(&file)?;
        if scenario.sweep.is_none() {
            return Err(refuse(dir, "its sweep.toml describes no sweep".into()));
        }
        match &plan {
            Some(p) if *p != scenario => {
                return Err(refuse(
                    dir,
                    format!(
                        "is a shard of a different sweep than {} (their sweep.toml differ)",
                        first.display()
                    ),
                ));
            }
            Some(_) => {}
            None => plan = Some(scenario),
        }
        let mut shard_files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| LabError::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("sweep-shard-") && n.ends_with(".csv"))
            })
            .collect();
        shard_files.sort();
        if shard_files.is_empty() {
            return Err(refuse(
                dir,
                "holds no shard's rows (sweep-shard-I-of-N.csv): did its shard finish?".into(),
            ));
        }
        for file in shard_files {
            let text =
                crate::limits::read_text(&file, crate::limits::MAX_CSV_BYTES, "sweep table")?;
            let table = SweepTable::from_csv(&text, &file)?;
            match &header {
                Some((_, h)) if *h != table.header => {
                    return Err(refuse(dir, format!("{} has other columns", file.display())));
                }
                Some(_) => {}
                None => header = Some((table.key.clone(), table.header.clone())),
            }
            found.extend(table.rows.into_iter().map(|r| (r, file.clone())));
        }
    }
    let (Some(plan), Some((key, header))) = (plan, header) else {
        return Err(LabError::invalid("sweep merge", "", "nothing to merge"));
    };
    let Some(spec) = plan.sweep.clone() else {
        return Err(refuse(first, "its sweep.toml describes no sweep".into()));
    };
    let base = plan.config.seed;
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for point in spec.points() {
        let seed = base + point.seed_offset;
        let mut of_run = found
            .iter()
            .filter(|(r, _)| r.value == point.value && r.seed == seed);
        match of_run.next() {
            None => missing.push(format!("{}={} seed {seed}", key, point.value)),
            Some((row, file)) => {
                if let Some((other, file2)) = of_run.find(|(r, _)| r != row) {
                    return Err(LabError::invalid(
                        "sweep merge",
                        file.display(),
                        format!(
                            "{}={} seed {seed} differs in {} ({} against {})",
                            key,
                            point.value,
                            file2.display(),
                            row.metrics.join(","),
                            other.metrics.join(",")
                        ),
                    ));
                }
                rows.push(row.clone());
            }
        }
    }
    if !missing.is_empty() {
        return Err(LabError::invalid(
            "sweep merge",
            first.display(),
            format!(
                "the shards lack {} of the sweep's {} runs: {}",
                missing.len(),
                spec.points().len(),
                missing.join(", ")
            ),
        ));
    }
    let table = SweepTable { key, header, rows };
    std::fs::create_dir_all(out).map_err(|e| LabError::io(out, e))?;
    export::write_atomic(&out.join("sweep.csv"), &table.to_csv())?;
    Ok((plan, table))
}

/// The summary: a row per value (mean over its seeds) of the final kNN accuracy, std·√d,
/// alignment and uniformity, the best value of each marked `*`.
pub fn summary_text(spec: &SweepSpec, table: &SweepTable, wrote: &Path) -> String {
    // (title, the value's mean, higher is better).
    type Column = (&'static str, fn(&ValueMeans) -> f64, bool);
    let metrics: [Column; 4] = [
        ("kNN", |m| m.knn, true),
        ("std·√d", |m| m.spread, true),
        ("alignment", |m| m.alignment, false),
        ("uniformity", |m| m.uniformity, false),
    ];
    let means = table.means(spec);
    // Per metric, its best score (higher is better once a lower-is-better one is negated);
    // every value that reaches it (to the printed precision) is marked.
    let sign = |higher: bool| if higher { 1.0 } else { -1.0 };
    let best: Vec<f64> = metrics
        .iter()
        .map(|(_, f, higher)| {
            means
                .iter()
                .map(|m| f(m) * sign(*higher))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let mut lines = vec![
        format!(
            "sweep of {} over {} values, {} seed(s) each{}: final metrics, mean over seeds (* best)",
            spec.key.name(),
            means.len(),
            spec.seeds,
            if table.rows.len() < spec.points().len() {
                format!(
                    " (this shard: {} of its {} runs)",
                    table.rows.len(),
                    spec.points().len()
                )
            } else {
                String::new()
            }
        ),
        format!(
            "  {:>12}{}",
            spec.key.name(),
            metrics
                .iter()
                .map(|(title, _, _)| format!("{title:>13}"))
                .collect::<String>()
        ),
    ];
    for m in &means {
        let cells: String = metrics
            .iter()
            .zip(&best)
            .map(|((_, f, higher), best)| {
                let v = f(m);
                let is_best = (v * sign(*higher) - best).abs() < 5e-4;
                format!("{:>12.3}{}", v, if is_best { "*" } else { " " })
            })
            .collect();
        lines.push(format!("  {:>12}{}", m.value, cells.trim_end()));
    }
    lines.push(format!("  wrote {}", wrote.display()));
    lines.join("\n")
}
