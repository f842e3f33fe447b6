//! A run is a pipeline: the trainer hands each snapshot to its own projector, so layouts follow
//! training with no window at all, and what a reader takes is always one run's state.

mod common;
use common::{config, wait_for};
use contrastive_lab::pipeline::Pipeline;
use contrastive_lab::train::{Command, Session, TrainDevice};
use std::time::{Duration, Instant};

/// SimCLR on blobs, small and snapshotted often, with `sets` on top.
fn small(sets: &[(&str, &str)]) -> contrastive_lab::config::RunConfig {
    let mut all = vec![
        ("batch_size", "64"),
        ("snapshot_every", "5"),
        ("probe_size", "200"),
    ];
    all.extend_from_slice(sets);
    config("simclr", "blobs", 100_000, &all)
}

fn start(sets: &[(&str, &str)]) -> Pipeline {
    let c = small(sets);
    let session = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    Pipeline::start(session, false, None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn layouts_advance_with_no_window() {
    let pipeline = start(&[]);
    // Nobody draws or polls a frame: the trainer feeds its projector itself.
    let first = wait_for("the first layouts", || pipeline.view().layouts);
    let later = wait_for("layouts of a later snapshot", || {
        pipeline
            .view()
            .layouts
            .filter(|l| l.step >= first.step + 20)
    });
    assert!(matches!(later.pca, Some(Ok(_))), "{:?}", later.pca);
    let sphere = match &later.sphere {
        Some(Ok(s)) => s,
        other => panic!("no sphere layout: {other:?}"),
    };
    assert_eq!(sphere.points.len(), 200);
    assert!(pipeline.is_alive());
}

#[test]
fn the_published_state_is_one_runs_under_rapid_resets_and_replacements() {
    let pipeline = start(&[]);
    wait_for("training to start", || {
        (pipeline.published().status.step >= 10).then_some(())
    });
    let sizes = [120usize, 200, 160, 240];
    let deadline = Instant::now() + Duration::from_secs(6);
    let (mut checked, mut k) = (0usize, 0usize);
    while Instant::now() < deadline {
        // A burst of restarts of both kinds, then read as fast as possible.
        for _ in 0..3 {
            k += 1;
            if k.is_multiple_of(2) {
                pipeline.send(Command::Reset { seed: k as u64 });
            } else {
                let size = sizes[k % sizes.len()].to_string();
                pipeline.send(Command::Replace(Box::new(config(
                    "simclr",
                    "blobs",
                    100_000,
                    &[
                        ("batch_size", "64"),
                        ("snapshot_every", "5"),
                        ("probe_size", &size),
                    ],
                ))));
            }
        }
        // As fast as a hand on the keyboard, and faster: a burst every few milliseconds.
        std::thread::sleep(Duration::from_millis(3));
        for _ in 0..200 {
            let view = pipeline.view();
            let p = &view.published;
            let Some(config) = &p.status.config else {
                continue;
            };
            if let Some(snap) = &p.snapshot {
                // The snapshot, history and status belong to the same run and moment.
                assert_eq!(
                    snap.labels.len(),
                    config.probe_size,
                    "another run's snapshot"
                );
                assert!(snap.step <= p.status.step);
                assert_eq!(p.history.last().map(|r| r.step), Some(snap.step));
                assert!(p.history.iter().all(|r| r.step <= snap.step));
                checked += 1;
            }
            if let Some(l) = &view.layouts {
                assert_eq!(l.run_id, p.status.run_id);
                assert_eq!(l.labels.len(), config.probe_size, "another run's layouts");
            }
        }
    }
    assert!(checked > 100, "too few consistent reads checked: {checked}");
    assert!(pipeline.is_alive());
}

/// The app's commands (what its buttons, knobs and keys produce) drive a run with no window:
/// exactly the trainer commands the window would send, through the run's slot, whose config
/// shows a change at once and then as the trainer published it.
#[test]
fn app_commands_steer_a_pipeline_without_a_window() {
    use contrastive_lab::app::AppCommand;
    use contrastive_lab::app::run_slot::RunSlot;
    use contrastive_lab::config::{Method, Setting};
    let c = small(&[]);
    let session = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let mut slot = RunSlot::start(
        session,
        false,
        std::sync::Arc::new(|| {}),
        contrastive_lab::run::Drive::Threads,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let apply = |command: AppCommand, slot: &mut RunSlot| {
        let paused = slot.pipeline().published().status.paused;
        for c in command.for_run(slot.config(), paused, 3) {
            slot.send(c);
        }
    };
    let pipeline = |slot: &RunSlot| slot.pipeline().published();
    apply(AppCommand::TogglePlay, &mut slot);
    wait_for("pause", || pipeline(&slot).status.paused.then_some(()));
    let at = pipeline(&slot).status.step;
    apply(AppCommand::Set(Setting::Temperature(0.1)), &mut slot);
    apply(AppCommand::StepOnce, &mut slot);
    wait_for("one step", || {
        (pipeline(&slot).status.step == at + 1).then_some(())
    });
    let status = pipeline(&slot).status.clone();
    assert_eq!(status.config.map(|c| c.temperature), Some(0.1));
    assert!(
        status
            .events
            .iter()
            .any(|e| e.new == Setting::Temperature(0.1))
    );
    apply(AppCommand::SwitchMethod(Method::SimSiam), &mut slot);
    assert_eq!(slot.config().method, Method::SimSiam);
    wait_for("the switch", || {
        pipeline(&slot)
            .status
            .config
            .as_ref()
            .is_some_and(|c| c.method == Method::SimSiam && c.probe_size == 200)
            .then_some(())
    });
    apply(AppCommand::Reset, &mut slot);
    wait_for("the reset with the controls' seed", || {
        pipeline(&slot)
            .status
            .config
            .as_ref()
            .is_some_and(|c| c.seed == 3)
            .then_some(())
    });
}

/// Compare mode's fork: the trainer hands over its session; B, trained on in lockstep with A,
/// records the same numbers as A step for step.
#[test]
fn a_running_trainer_forks_and_the_fork_keeps_in_step() {
    use contrastive_lab::train::{Lockstep, Reply};
    let a = start(&[]);
    a.send(Command::Pause);
    wait_for("A to pause", || a.published().status.paused.then_some(()));
    a.send(Command::Step(7));
    wait_for("seven steps", || {
        (a.published().status.step >= 7).then_some(())
    });
    let (tx, rx) = std::sync::mpsc::channel();
    a.send(Command::Fork(Reply(tx)));
    let session = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("no fork: {e}"));
    let at = session.step_count();
    let b = Pipeline::start(*session, true, None).unwrap_or_else(|e| panic!("{e}"));
    let (side_a, side_b) = Lockstep::pair();
    a.send(Command::Lockstep(Some(side_a)));
    b.send(Command::Lockstep(Some(side_b)));
    a.send(Command::Resume);
    b.send(Command::Resume);
    wait_for("both to pass the fork by 40 steps", || {
        (a.published().status.step >= at + 40 && b.published().status.step >= at + 40).then_some(())
    });
    a.send(Command::Pause);
    b.send(Command::Pause);
    wait_for("both to pause", || {
        (a.published().status.paused && b.published().status.paused).then_some(())
    });
    let (pa, pb) = (a.published(), b.published());
    assert!(
        pa.status.step.abs_diff(pb.status.step) <= 1,
        "lockstep broke"
    );
    let rows_b: Vec<(usize, u64)> = pb
        .history
        .iter()
        .map(|r| (r.step, r.loss.to_bits()))
        .collect();
    let shared: Vec<(usize, u64)> = pa
        .history
        .iter()
        .map(|r| (r.step, r.loss.to_bits()))
        .filter(|(s, _)| *s > at && rows_b.iter().any(|(t, _)| t == s))
        .collect();
    assert!(shared.len() >= 5, "too few shared snapshots: {shared:?}");
    for row in &shared {
        assert!(rows_b.contains(row), "step {}: A and B differ", row.0);
    }
}

/// The timeline shows what was recorded: the recording's snapshot at step s holds the same
/// embeddings as a fresh run stopped at s.
#[test]
fn the_recording_at_a_step_is_what_a_fresh_run_shows_there() {
    let pipeline = start(&[]);
    wait_for("sixty steps recorded", || {
        (pipeline.recording().last().is_some_and(|s| s.step >= 60)).then_some(())
    });
    let recorded = pipeline
        .recording()
        .at(40)
        .cloned()
        .unwrap_or_else(|| panic!("nothing recorded at 40"));
    assert_eq!(recorded.step, 40);
    let c = small(&[]);
    let mut fresh = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    fresh
        .measure_initial_loss()
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..40 {
        let _ = fresh.step().unwrap_or_else(|e| panic!("{e}"));
    }
    let snap = fresh.snapshot().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snap.z, recorded.z);
    assert_eq!(snap.diagnostics.knn_acc, recorded.diagnostics.knn_acc);
}

#[cfg(target_os = "linux")]
#[test]
fn the_compute_threads_give_way_to_the_window() {
    use contrastive_lab::cpu::priority::{
        COMPUTE_NICENESS, niceness_of_threads, this_thread_niceness,
    };
    let before = this_thread_niceness();
    let pipeline = start(&[]);
    wait_for("the first layouts", || pipeline.view().layouts);
    for name in [
        contrastive_lab::train::trainer::THREAD_NAME,
        contrastive_lab::projection::projector::THREAD_NAME,
    ] {
        let nice = niceness_of_threads(name);
        assert!(!nice.is_empty(), "no thread called {name}");
        assert!(
            nice.iter().all(|&n| n == COMPUTE_NICENESS),
            "{name} threads at niceness {nice:?}, expected {COMPUTE_NICENESS}"
        );
    }
    // The thread that started them (the UI thread in the app) keeps its priority.
    assert_eq!(this_thread_niceness(), before);
    assert_ne!(before, Some(COMPUTE_NICENESS));
}

/// What a drive made of one command script: metrics.csv, every recorded snapshot (encoded:
/// equal bytes are equal bits), the events; of the first run and of the scenario's.
struct Driven {
    metrics_csv: String,
    snapshots: Vec<Vec<u8>>,
    events: Vec<contrastive_lab::train::Event>,
}

impl Driven {
    fn of(p: &Pipeline) -> Self {
        let published = p.published();
        let rows = published.history.to_vec();
        let snapshots = p
            .recording()
            .snapshots()
            .iter()
            .map(|s| {
                let mut bytes = Vec::new();
                ciborium::into_writer(&**s, &mut bytes).unwrap_or_else(|e| panic!("{e}"));
                bytes
            })
            .collect();
        Self {
            metrics_csv: contrastive_lab::export::metrics_csv_rows(
                contrastive_lab::Method::SimSiam,
                &rows,
            ),
            snapshots,
            events: published.status.events.clone(),
        }
    }
}

/// The same script of commands under `drive`: steps in paused mode (so that each command
/// arrives at a known step however fast the run goes), changes between them, a scenario with a
/// scripted change, a restart.
fn drive_script(drive: contrastive_lab::run::Drive) -> [Driven; 2] {
    use contrastive_lab::config::Setting;
    use contrastive_lab::run::Drive;
    use contrastive_lab::scenario::{Scenario, ScriptStep};
    let c = config(
        "simsiam",
        "blobs",
        100_000,
        &[
            ("batch_size", "64"),
            ("snapshot_every", "5"),
            ("probe_size", "200"),
        ],
    );
    let session = Session::new(c.clone(), TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::driven(drive, session, true, None).unwrap_or_else(|e| panic!("{e}"));
    let reach = |step: usize, handled: u64| {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = p.published().status.clone();
            if s.step == step && s.handled == handled && s.paused {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{drive:?}: stuck at step {}",
                s.step
            );
            match drive {
                Drive::Frames => {
                    p.tick(Instant::now() + Duration::from_millis(12));
                }
                Drive::Threads => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    };
    let mut sent = 0;
    let mut send = |command: Command| {
        sent = p.send(command);
        sent
    };
    let n = send(Command::Step(23));
    reach(23, n);
    send(Command::Set(Setting::Lr(0.01)));
    let n = send(Command::Step(17));
    reach(40, n);
    let first = Driven::of(&p);
    let mut scenario = Scenario::new(c);
    scenario.config.seed = 5;
    scenario.script = vec![ScriptStep {
        step: 30,
        setting: Setting::StopGradient(false),
    }];
    send(Command::Load(Box::new(scenario)));
    let n = send(Command::Step(45));
    reach(45, n);
    send(Command::Set(Setting::BatchSize(32)));
    let n = send(Command::Step(12));
    reach(57, n);
    [first, Driven::of(&p)]
}

#[test]
fn threads_and_frames_make_the_same_run_bit_for_bit() {
    use contrastive_lab::run::Drive;
    let [threads_first, threads] = drive_script(Drive::Threads);
    let [frames_first, frames] = drive_script(Drive::Frames);
    // The scripted change and the user's change after the scenario's start both happened.
    assert_eq!(threads.events.len(), 2, "{:?}", threads.events);
    for (t, f, run) in [
        (&threads_first, &frames_first, "first"),
        (&threads, &frames, "scenario"),
    ] {
        assert_eq!(t.events, f.events, "{run} run");
        assert!(t.metrics_csv.lines().count() > 5, "{}", t.metrics_csv);
        assert_eq!(t.metrics_csv, f.metrics_csv, "{run} run");
        assert_eq!(t.snapshots.len(), f.snapshots.len(), "{run} run");
        for (i, (a, b)) in t.snapshots.iter().zip(&f.snapshots).enumerate() {
            assert!(a == b, "{run} run: snapshot {i} differs between the drives");
        }
    }
}

#[test]
fn under_frames_nothing_runs_between_ticks_and_a_tick_ends_at_a_snapshot() {
    use contrastive_lab::run::Drive;
    let session = Session::new(small(&[]), TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::driven(Drive::Frames, session, false, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.drive(), Drive::Frames);
    std::thread::sleep(Duration::from_millis(50));
    assert!(p.published().snapshot.is_none(), "trained without a tick");
    // The first tick takes the first snapshot and lays it out.
    let first = p.tick(Instant::now() + Duration::from_secs(5));
    assert!(first.snapshot && first.worked);
    assert_eq!(p.published().status.step, 0);
    assert!(p.view().layouts.is_some_and(|l| l.step == 0));
    // A long budget still ends at the next snapshot (every 5 steps), with its layouts.
    let next = p.tick(Instant::now() + Duration::from_secs(60));
    assert!(next.snapshot);
    assert_eq!(p.published().status.step, 5);
    assert!(p.view().layouts.is_some_and(|l| l.step == 5));
    assert!(p.is_alive());
}

#[test]
fn under_frames_t_sne_follows_in_the_ticks_time() {
    use contrastive_lab::projection::ProjectorSettings;
    use contrastive_lab::run::Drive;
    let session = Session::new(small(&[]), TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let p = Pipeline::driven(Drive::Frames, session, false, None).unwrap_or_else(|e| panic!("{e}"));
    p.configure_projection(ProjectorSettings {
        tsne: true,
        ..ProjectorSettings::default()
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut longest = Duration::ZERO;
    let tsne = loop {
        let start = Instant::now();
        p.tick(start + Duration::from_millis(12));
        longest = longest.max(start.elapsed());
        if let Some(Ok(t)) = p.view().layouts.and_then(|l| l.tsne.clone())
            && t.iterations >= 100
        {
            break t;
        }
        assert!(Instant::now() < deadline, "no t-SNE layout from the ticks");
    };
    assert_eq!(tsne.points.len(), 200);
    assert!(
        tsne.points
            .iter()
            .all(|q| q[0].is_finite() && q[1].is_finite())
    );
    // A tick overruns its budget by at most one turn (a step, a snapshot, an iteration).
    assert!(longest < Duration::from_secs(2), "a tick took {longest:?}");
}
