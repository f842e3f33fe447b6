//! A monkey test of the whole app, as a class treats it in 90 minutes: random sequences of
//! its commands and key presses (play, step, reset, every knob in and out of its range, method
//! switches, lessons started, compared and closed, comparisons from scratch and forked,
//! sweeps, the timeline scrubbed, replayed and continued from, scenarios and runs saved and
//! opened, exports), driven through the real app with egui_kittest, real pipelines and frames
//! between them. After each case: no panic on any thread (a panic hook counts them, the
//! trainer's, the projector's and the helper's included), every run's step never went back
//! except across a new run or a rewind, every run shows the config its trainer published,
//! and the process's memory stays within what the runs' history budgets allow.
//!
//! `cargo test --release --test monkey` runs the short version (the number of cases and
//! commands is printed); `MONKEY_CASES=N MONKEY_COMMANDS=M` runs a longer one.

mod common;
use common::harness_with;
use contrastive_lab::app::files::FileWindow;
use contrastive_lab::app::recovery::{ABOUT, Kept, RecoveryOptions};
use contrastive_lab::app::{AppCommand, AppOptions, LabApp};
use contrastive_lab::config::{Key, Method, RunConfig, Setting};
use contrastive_lab::sweep::SweepSpec;
use egui_kittest::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Panics on any thread of this process since the hook was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// What the monkey does next.
#[derive(Clone, Debug)]
enum Action {
    Command(Pick),
    Key(egui::Key),
    /// Let this many frames pass.
    Frames(usize),
}

/// A command, with what it needs chosen at random (files are in the case's folder).
#[derive(Clone, Debug)]
enum Pick {
    Plain(AppCommand),
    /// A setting: `value` is one of the values its widget offers, or one out of its range.
    Set {
        key: usize,
        value: usize,
    },
    Method(usize),
    Lesson(usize),
    CompareLesson(usize),
    Compare {
        key: usize,
        value: usize,
        fork: bool,
    },
    Sweep {
        queue: bool,
    },
    Seek(usize),
    ContinueFromHere,
    SaveScenario,
    OpenScenario,
    SaveRun,
    OpenRun,
    OpenLesson,
    OpenBrokenFile,
}

fn plain() -> impl Strategy<Value = AppCommand> {
    prop_oneof![
        Just(AppCommand::TogglePlay),
        Just(AppCommand::StepOnce),
        Just(AppCommand::Reset),
        Just(AppCommand::CloseLesson),
        Just(AppCommand::EndComparison),
        Just(AppCommand::EndSweep),
        Just(AppCommand::TimelineHome),
        Just(AppCommand::TimelineLive),
        Just(AppCommand::TimelineReplay(true)),
        Just(AppCommand::TimelineReplay(false)),
        Just(AppCommand::TimelineNudge(-3)),
        Just(AppCommand::TimelineNudge(2)),
        Just(AppCommand::Lockstep(false)),
        Just(AppCommand::Lockstep(true)),
        Just(AppCommand::ReseedLayout),
        Just(AppCommand::ClearError),
        Just(AppCommand::DismissMessage),
        Just(AppCommand::CloseRecording),
        Just(AppCommand::ExportMetrics),
        Just(AppCommand::ExportEmbeddings),
        Just(AppCommand::OpenFileWindow(FileWindow::SaveLesson)),
        Just(AppCommand::CloseFileWindow),
        Just(AppCommand::Recover),
        Just(AppCommand::DeclineRecovery),
    ]
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        4 => plain().prop_map(Pick::Plain),
        4 => (0..Key::ALL.len(), 0usize..8).prop_map(|(key, value)| Pick::Set { key, value }),
        1 => (0..Method::ALL.len()).prop_map(Pick::Method),
        1 => (0usize..32).prop_map(Pick::Lesson),
        1 => (0usize..32).prop_map(Pick::CompareLesson),
        1 => (0..Key::ALL.len(), 0usize..8, any::<bool>())
            .prop_map(|(key, value, fork)| Pick::Compare { key, value, fork }),
        1 => any::<bool>().prop_map(|queue| Pick::Sweep { queue }),
        2 => (0usize..2000).prop_map(Pick::Seek),
        1 => Just(Pick::ContinueFromHere),
        1 => Just(Pick::SaveScenario),
        1 => Just(Pick::OpenScenario),
        1 => Just(Pick::SaveRun),
        1 => Just(Pick::OpenRun),
        1 => Just(Pick::OpenLesson),
        1 => Just(Pick::OpenBrokenFile),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => pick().prop_map(Action::Command),
        2 => prop_oneof![
            Just(egui::Key::Space),
            Just(egui::Key::S),
            Just(egui::Key::R),
            Just(egui::Key::ArrowLeft),
            Just(egui::Key::ArrowRight),
            Just(egui::Key::Home),
            Just(egui::Key::End),
        ]
        .prop_map(Action::Key),
        3 => (1usize..6).prop_map(Action::Frames),
    ]
}

/// A value for setting `key`: one its widget offers (choices, or a point of its range), or,
/// for the last picks, one out of its range.
fn value_for(key: Key, pick: usize, config: &RunConfig) -> Option<Setting> {
    let choices = key.choices();
    if !choices.is_empty() {
        return choices.get(pick % choices.len()).cloned();
    }
    let text = match pick {
        0 => "0".to_string(),
        1 => "-1".to_string(),
        2 => "1e300".to_string(),
        3 => "nan".to_string(),
        _ => {
            // A point inside the widget's range, from its current value.
            let now = config.get(key).text();
            let v: f64 = now.parse().unwrap_or(1.0);
            let factor = [0.5, 2.0, 1.0, 0.9][pick % 4];
            let scaled = v * factor;
            if now.contains('.') || now.contains('e') {
                format!("{scaled}")
            } else {
                format!("{}", scaled.round().max(1.0) as i64)
            }
        }
    };
    key.parse_value(&text).ok()
}

/// The run slots' run ids, steps, and the number of commands their trainers have taken.
fn steps(app: &LabApp) -> Vec<(u64, usize, u64)> {
    app.slots()
        .iter()
        .map(|s| (s.status().run_id, s.status().step, s.status().handled))
        .collect()
}

struct Case<'a> {
    dir: &'a Path,
    teacher_lesson: PathBuf,
}

impl Case<'_> {
    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The command `pick` means now.
    fn command(&self, pick: &Pick, app: &LabApp) -> Option<AppCommand> {
        let lessons = contrastive_lab::lessons::LESSONS.len().max(1);
        let lesson_id = |i: usize| contrastive_lab::lessons::LESSONS[i % lessons].id.clone();
        Some(match pick {
            Pick::Plain(c) => c.clone(),
            Pick::Set { key, value } => {
                let key = Key::ALL[key % Key::ALL.len()];
                AppCommand::Set(value_for(key, *value, app.config())?)
            }
            Pick::Method(m) => AppCommand::SwitchMethod(Method::ALL[m % Method::ALL.len()]),
            Pick::Lesson(i) => AppCommand::StartLesson(lesson_id(*i)),
            Pick::CompareLesson(i) => AppCommand::CompareLesson(lesson_id(*i)),
            Pick::Compare { key, value, fork } => {
                let key = Key::ALL[key % Key::ALL.len()];
                AppCommand::StartComparison {
                    changes: vec![value_for(key, *value, app.config())?],
                    fork: *fork,
                }
            }
            Pick::Sweep { queue } => AppCommand::StartSweep {
                spec: SweepSpec::new(Key::Temperature, vec!["0.1".into(), "1".into()], 1).ok()?,
                queue: queue.then_some(30),
            },
            Pick::Seek(step) => AppCommand::TimelineSeek(*step),
            Pick::ContinueFromHere => AppCommand::ContinueFromHere(app.shown_step()?),
            Pick::SaveScenario => AppCommand::SaveScenario(self.file("s.toml")),
            Pick::OpenScenario => AppCommand::OpenScenario(self.file("s.toml")),
            Pick::SaveRun => AppCommand::SaveRun(self.file("r.clr")),
            Pick::OpenRun => AppCommand::OpenRun(self.file("r.clr")),
            Pick::OpenLesson => AppCommand::OpenLesson(self.teacher_lesson.clone()),
            Pick::OpenBrokenFile => AppCommand::OpenScenario(self.file("broken.toml")),
        })
    }
}

/// Whether `command` may start a run over or move it back (a step counter may then fall).
fn restarts(command: &AppCommand) -> bool {
    !matches!(
        command,
        AppCommand::TogglePlay
            | AppCommand::StepOnce
            | AppCommand::Lockstep(_)
            | AppCommand::ReseedLayout
            | AppCommand::ClearError
            | AppCommand::DismissMessage
            | AppCommand::ExportMetrics
            | AppCommand::ExportEmbeddings
            | AppCommand::OpenFileWindow(_)
            | AppCommand::CloseFileWindow
            | AppCommand::TimelineHome
            | AppCommand::TimelineLive
            | AppCommand::TimelineNudge(_)
            | AppCommand::TimelineSeek(_)
            | AppCommand::TimelineReplay(_)
            | AppCommand::SaveScenario(_)
            | AppCommand::SaveRun(_)
            | AppCommand::CloseLesson
            | AppCommand::DeclineRecovery
    )
}

/// A run of 30 steps recorded where the app keeps its run, as a crash would leave it.
fn leave_a_run(dir: &Path) -> Result<RecoveryOptions, String> {
    let recovery = RecoveryOptions {
        dir: dir.join("recovery"),
        every: Duration::from_millis(200),
    };
    common::record_a_short_run(&recovery.recording(), &dir.join("left"))?;
    let kept = Kept {
        step: 30,
        saved: 0,
        title: "SimCLR on blobs".into(),
    };
    let text = toml::to_string(&kept).map_err(|e| e.to_string())?;
    std::fs::write(recovery.dir.join(ABOUT), text).map_err(|e| e.to_string())?;
    Ok(recovery)
}

/// Frames until every slot shows no pending change (or `limit` passes).
fn settle(h: &mut Harness<'static, LabApp>, limit: Duration) {
    let start = Instant::now();
    while start.elapsed() < limit && h.state().slots().iter().any(|s| s.has_pending()) {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One case: the actions, then the checks. `Err` says what broke.
fn run_case(actions: &[Action], dir: &Path) -> Result<usize, String> {
    let panics_before = PANICS.load(Ordering::SeqCst);
    let case = Case {
        dir,
        teacher_lesson: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/lessons/my-collapse.toml"),
    };
    std::fs::write(
        case.file("broken.toml"),
        "scenario_version = 1\nmethod = \"simclr\"\n",
    )
    .map_err(|e| e.to_string())?;
    let config = RunConfig {
        snapshot_every: 5,
        probe_size: 200,
        ..RunConfig::for_method(Method::SimClr)
    };
    // A run a crashed session left, for the offer (recovered or declined at some point), and
    // the run kept every 200 ms meanwhile.
    let recovery = leave_a_run(dir)?;
    let mut h = harness_with(AppOptions {
        config: Some(config),
        paused: false,
        recovery: Some(recovery),
        ..AppOptions::default()
    });
    h.state_mut().state.paths.export_dir = dir.join("exports").display().to_string();
    h.run_steps(2);
    let budget_mb = |app: &LabApp| -> f64 {
        app.slots()
            .iter()
            .map(|s| s.config().history_mb as f64)
            .sum()
    };
    let mut commands = 0;
    let mut last = steps(h.state());
    // Per slot, the numbers of the commands that may start its run over or move it back:
    // its step may fall when its trainer takes one of them (a frame or more later).
    let mut restarts_sent: Vec<Vec<u64>> = vec![Vec::new(); last.len()];
    let mut worst_rss: f64 = 0.0;
    for (i, action) in actions.iter().enumerate() {
        let slots_before = h.state().slots().len();
        let mut restart = false;
        match action {
            Action::Command(pick) => {
                if let Some(c) = case.command(pick, h.state()) {
                    restart = restarts(&c);
                    h.state_mut().apply(c);
                    commands += 1;
                }
            }
            Action::Key(key) => {
                restart = *key == egui::Key::R;
                h.key_press(*key);
                commands += 1;
            }
            Action::Frames(_) => {}
        }
        if restart && h.state().slots().len() == slots_before {
            for (marks, slot) in restarts_sent.iter_mut().zip(h.state().slots()) {
                marks.push(slot.last_sent());
            }
        }
        match action {
            Action::Frames(n) => {
                h.run_steps(*n);
                std::thread::sleep(Duration::from_millis(20));
            }
            Action::Command(_) => h.run_steps(1),
            Action::Key(_) => {}
        }
        if PANICS.load(Ordering::SeqCst) > panics_before {
            return Err(format!("a thread panicked after action {i}: {action:?}"));
        }
        let now = steps(h.state());
        let same_slots = now.len() == last.len() && h.state().slots().len() == slots_before;
        if !same_slots {
            // Slots came or went: their indices mean other runs now.
            restarts_sent = vec![Vec::new(); now.len()];
        } else if !restart {
            // (A command that restarts runs may also replace a slot's run at once, a sweep or
            // a comparison: its own frame is not checked.)
            for (slot, ((id0, s0, taken0), (id1, s1, _))) in last.iter().zip(&now).enumerate() {
                // A restart or rewind the trainer had not yet taken at the last look: it has
                // taken it since, or is taking it now.
                let restarted = restarts_sent[slot].iter().any(|&n| n > *taken0);
                if id0 == id1 && s1 < s0 && !restarted {
                    return Err(format!(
                        "slot {slot}'s step went back {s0} -> {s1} after action {i}: {action:?}"
                    ));
                }
            }
        }
        if same_slots {
            for (marks, (_, _, taken)) in restarts_sent.iter_mut().zip(&now) {
                marks.retain(|&n| n > *taken);
            }
        }
        last = now;
        worst_rss = worst_rss.max(contrastive_lab::app::stats::rss_mb());
    }
    settle(&mut h, Duration::from_secs(30));
    if PANICS.load(Ordering::SeqCst) > panics_before {
        return Err("a thread panicked while settling".into());
    }
    for (i, slot) in h.state().slots().iter().enumerate() {
        if !slot.has_pending() && Some(slot.config()) != slot.status().config.as_ref() {
            return Err(format!(
                "slot {i} shows a config its trainer did not publish"
            ));
        }
    }
    // The runs' history budgets, the process's own baseline (binary, fonts, wgpu's software
    // renderer) and a margin: what a class's afternoon may take.
    let bound = BASELINE_MB + budget_mb(h.state()) * 1.5 + MARGIN_MB;
    if worst_rss > bound {
        return Err(format!(
            "resident memory reached {worst_rss:.0} MB, over {bound:.0} MB"
        ));
    }
    Ok(commands)
}

/// What the test process holds before any run, and the margin over the history budgets.
const BASELINE_MB: f64 = 600.0;
const MARGIN_MB: f64 = 400.0;

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn the_app_survives_a_monkey() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let cases = env_or("MONKEY_CASES", 2);
    let length = env_or("MONKEY_COMMANDS", 300) as usize;
    // Seeded: the same cases every run (a failure is reproduced by running the test again).
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            max_shrink_iters: 8,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let started = Instant::now();
    let total = std::sync::Mutex::new((0usize, 0usize));
    let result = runner.run(
        &proptest::collection::vec(action(), length / 2..=length),
        |actions| {
            let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let commands = run_case(&actions, dir.path()).map_err(TestCaseError::fail)?;
            if let Ok(mut t) = total.lock() {
                t.0 += 1;
                t.1 += commands;
            }
            Ok(())
        },
    );
    let (ran, commands) = total.lock().map(|t| *t).unwrap_or_default();
    println!(
        "monkey: {ran} cases, {commands} commands and key presses, {:.1} minutes",
        started.elapsed().as_secs_f64() / 60.0
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
