//! The desktop binary: without a subcommand it opens the app (and takes the app's flags).

use anyhow::Context;
use clap::Parser;
use contrastive_lab::app::{self, AppOptions};
use contrastive_lab::cli::{
    AppArgs, Cli, CliCommand, RunArgs, SweepCommand, bench, compare, run, sweep,
};
use contrastive_lab::config::RunConfig;
use std::process::ExitCode;

/// Print to stdout; a closed pipe (`contrastive-lab settings | head`) ends the output quietly
/// instead of panicking.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn run_command(args: &RunArgs) -> anyhow::Result<ExitCode> {
    if compare::is_comparison(args) {
        return compare_command(args);
    }
    if let Some(scenario) = sweep::plan(args)? {
        return sweep_command(args, &scenario);
    }
    if let Some(shard) = &args.shard {
        anyhow::bail!(
            "invalid value `{shard}` for --shard: a shard is part of a sweep (--sweep, or --config sweep.toml)"
        );
    }
    let summary = run::execute(args).context("the run could not start or finish")?;
    if !args.quiet {
        say(&run::summary_text(&summary, &args.out));
    }
    if let Some(incident) = &summary.incident {
        eprintln!("error: {}", run::incident_error(incident));
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// `run --sweep …` (or `--config sweep.toml`): every run of the sweep (or of its shard), then
/// the table of final metrics per value.
fn sweep_command(
    args: &RunArgs,
    scenario: &contrastive_lab::scenario::Scenario,
) -> anyhow::Result<ExitCode> {
    let shard = args
        .shard
        .as_deref()
        .map(contrastive_lab::sweep::Shard::parse)
        .transpose()?;
    let outcome = sweep::execute(args, scenario, shard).context("the sweep could not finish")?;
    // A lesson that is a sweep: did its phenomenon show?
    let verdict = match &args.lesson {
        Some(id) => contrastive_lab::lessons::find_or_load(id)?
            .sweep_verdict(&outcome.table.means(&outcome.spec)),
        None => None,
    };
    if !args.quiet {
        say(&sweep::summary_text(
            &outcome.spec,
            &outcome.table,
            &outcome.csv,
        ));
        say(&format!(
            "  and {}, which runs it again: contrastive-lab run --config {} --out DIR",
            args.out.join("sweep.toml").display(),
            args.out.join("sweep.toml").display()
        ));
        if let Some(v) = &verdict {
            say(&format!(
                "  lesson: {} {}",
                if v.shown { "shown:" } else { "NOT shown:" },
                v.text
            ));
        }
    }
    for r in &outcome.runs {
        if let Some(incident) = &r.summary.incident {
            eprintln!(
                "error: {}: {}",
                r.dir.display(),
                run::incident_error(incident)
            );
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sweep merge DIR…`: the shards' rows into one `sweep.csv`, and the sweep's table.
fn sweep_merge(
    dirs: &[std::path::PathBuf],
    out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let out = out
        .or(dirs.first().map(|d| d.as_path()))
        .unwrap_or(std::path::Path::new("."));
    let (plan, table) = sweep::merge(dirs, out)?;
    if let Some(spec) = &plan.sweep {
        say(&sweep::summary_text(spec, &table, &out.join("sweep.csv")));
    }
    Ok(ExitCode::SUCCESS)
}

/// `run --compare …`: runs A and B, then their summaries and the differences.
fn compare_command(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let summary = compare::execute(args).context("the comparison could not start or finish")?;
    if !args.quiet {
        say(&compare::summary_text_compare(&summary, &args.out));
    }
    for (name, s) in [("A", &summary.a), ("B", &summary.b)] {
        if let Some(incident) = &s.incident {
            eprintln!("error: run {name}: {}", run::incident_error(incident));
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Vulkan/Wayland client libraries complain on stderr when `XDG_RUNTIME_DIR` is unset (as on
/// CI and headless servers) while wgpu enumerates adapters; give them a private one.
fn ensure_runtime_dir() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("contrastive-lab-runtime-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // SAFETY: called first thing in main, before any thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn open_app(args: &AppArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => Some(RunConfig::load(path)?),
        None => None,
    };
    let renderer = match args.renderer.as_str() {
        "auto" => None,
        "wgpu" => Some(eframe::Renderer::Wgpu),
        "glow" => Some(eframe::Renderer::Glow),
        other => anyhow::bail!("unknown renderer `{other}` (expected auto, wgpu or glow)"),
    };
    // Refused before the window opens, naming the argument (the app's limits included).
    let sweep = match &args.sweep {
        Some(text) => {
            let (key, values) = text.split_once('=').unwrap_or((text, ""));
            let key = contrastive_lab::config::Key::from_name(key.trim())?;
            let spec = app::sweep::dialog::read(key, values, args.seeds)
                .map_err(|e| anyhow::anyhow!("--sweep {text} --seeds {}: {e}", args.seeds))?;
            if args.queue == Some(0) {
                anyhow::bail!(
                    "invalid value `0` for --queue: a queued run takes at least one step"
                );
            }
            Some((spec, args.queue))
        }
        None => None,
    };
    app::run(AppOptions {
        sweep,
        device: args.device.parse()?,
        fresh: args.fresh,
        config,
        paused: false,
        renderer,
        lesson: args.lesson.clone(),
        present: args.present,
        recovery: app::recovery::RecoveryOptions::in_data_dir(),
        tour: args
            .tour
            .map(app::tour::Tour::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("invalid value for --tour: {e}"))?,
        compare: args
            .compare
            .iter()
            .map(|c| compare::parse_change(c))
            .collect::<Result<_, _>>()?,
        stats: match &args.stats {
            Some(path) => {
                // Refused before the window opens, naming the file.
                std::fs::write(path, "")
                    .with_context(|| format!("cannot write the stats file {}", path.display()))?;
                Some(path.clone())
            }
            None => None,
        },
        ..AppOptions::default()
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn main() -> ExitCode {
    contrastive_lab::train::allocator::keep_freed_memory();
    ensure_runtime_dir();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(CliCommand::App(args)) => open_app(&args),
        Some(CliCommand::Run(args)) => run_command(&args),
        Some(CliCommand::Bench(args)) => bench::execute(&args)
            .map(|_| ExitCode::SUCCESS)
            .map_err(Into::into),
        Some(CliCommand::Settings { markdown }) => {
            say(&if markdown {
                contrastive_lab::config::markdown_table()
            } else {
                contrastive_lab::config::listing()
            });
            Ok(ExitCode::SUCCESS)
        }
        Some(CliCommand::Replay(args)) => contrastive_lab::recorded::RecordedRun::load(&args.file)
            .and_then(|r| {
                let dirs = r.write_all_run_files(&args.out)?;
                say(&format!(
                    "replayed {} ({} snapshots): wrote {{metrics.csv, events.csv, config.toml, embeddings.tsv, metadata.tsv}} to {}",
                    args.file.display(),
                    r.runs().map(|r| r.recording.len()).sum::<usize>(),
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                Ok(ExitCode::SUCCESS)
            })
            .map_err(Into::into),
        Some(CliCommand::ExportHtml(args)) => contrastive_lab::web::export(&args.file, &args.out)
            .map(|bytes| {
                say(&format!(
                    "wrote {} ({:.1} MB): open it in any browser, offline",
                    args.out.display(),
                    bytes as f64 / 1e6
                ));
                ExitCode::SUCCESS
            })
            .map_err(Into::into),
        Some(CliCommand::Sweep(args)) => match &args.command {
            SweepCommand::Merge { dirs, out } => sweep_merge(dirs, out.as_deref()),
        },
        Some(CliCommand::Completions { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "contrastive-lab",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(CliCommand::Lessons) => {
            say(&contrastive_lab::lessons::listing());
            Ok(ExitCode::SUCCESS)
        }
        None => open_app(&cli.app),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
