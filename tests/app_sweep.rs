//! Sweep mode in the app, driven like a person would: Compare → Sweep… makes one run per value,
//! all train in lockstep from the same start, the grid draws a panel per value (the hovered
//! sample ringed in all), the curve and the time plots name every value, the timeline scrubs
//! every run, and the swept setting stays each run's own.

mod common;
use common::{frames_until, harness};
use contrastive_lab::app::AppCommand;
use contrastive_lab::config::{Method, RunConfig, Setting};
use egui_kittest::kittest::Queryable;

/// SimCLR with snapshots every 5 steps on a probe of 200 points, at `batch`.
fn small_simclr(batch: usize) -> RunConfig {
    let mut c = RunConfig::for_method(Method::SimClr);
    c.snapshot_every = 5;
    c.probe_size = 200;
    c.batch_size = batch;
    c
}

#[test]
fn sweep_window_trains_a_run_per_value_and_draws_the_grid_and_the_curve() {
    let mut h = harness(small_simclr(64), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 2);

    h.get_by_label("Compare").click();
    h.run_steps(2);
    h.get_by_label("Sweep…").click();
    // A window's first frame only measures it.
    h.run_steps(8);
    // τ is the default, with the classic six values.
    h.get_by_label_contains("6 runs: temperature = 0.05, 0.1, 0.2, 0.5, 1, 2");
    // Typed over: a range, log-spaced; a wrong one is said under the field and not started.
    h.get_by_role(egui::accesskit::Role::TextInput).focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("0.1..1:9:log");
    h.run_steps(2);
    h.get_by_label_contains("the app sweeps at most 8");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("0.1..1:3:log");
    h.run_steps(2);
    h.get_by_label_contains("3 runs: temperature = 0.1, 0.3162, 1");
    h.get_by_label("Start sweep").click();
    frames_until(&mut h, "every run to train and lay out", 180, |a| {
        a.slots().len() == 3
            && a.slots()
                .iter()
                .all(|s| s.history().len() >= 4 && s.layouts().is_some())
    });
    let taus: Vec<f64> = h
        .state()
        .slots()
        .iter()
        .map(|s| s.config().temperature)
        .collect();
    assert_eq!(taus, [0.1, 0.3162, 1.0]);
    // The same start: every run has the seed and the data of run A.
    let seeds: Vec<u64> = h.state().slots().iter().map(|s| s.config().seed).collect();
    assert_eq!(seeds, [0, 0, 0]);
    // Run A started over with the first value: its history is the sweep's from step 0.
    assert_eq!(
        h.state().history().first().map(|r| r.step),
        Some(0),
        "run A did not start over"
    );

    // The grid's headings, the curve's dots and every time plot name each value.
    h.run_steps(3);
    // Each value: its panel's heading, and its swatch on the colour bar.
    for v in ["0.1", "0.3162", "1"] {
        h.get_by_label(&format!("temperature τ = {v}"));
        h.get_by_label(v);
    }
    h.get_by_label_contains("Sweep of temperature: 3 values × 1 seed(s)");
    h.get_by_label_contains("at the newest step");

    // Pause holds them all at the same step (lockstep: none more than one ahead).
    h.get_by_label("Pause").click();
    frames_until(&mut h, "every run to pause", 30, |a| {
        a.slots().iter().all(|s| s.status().paused)
    });
    h.run_steps(3);
    let steps: Vec<usize> = h.state().slots().iter().map(|s| s.status().step).collect();
    let (lo, hi) = (
        steps.iter().min().copied().unwrap_or_default(),
        steps.iter().max().copied().unwrap_or_default(),
    );
    assert!(hi - lo <= 1, "not in lockstep: {steps:?}");

    // The swept setting is each run's own: the controls' τ does not reach them.
    h.state_mut().set_setting(Setting::Temperature(0.7));
    h.run_steps(3);
    let taus: Vec<f64> = h
        .state()
        .slots()
        .iter()
        .map(|s| s.config().temperature)
        .collect();
    assert_eq!(taus, [0.1, 0.3162, 1.0]);
    h.get_by_label_contains("temperature is swept");
    // Another setting reaches every run.
    h.state_mut().set_setting(Setting::Lr(0.002));
    frames_until(&mut h, "every run to take the new rate", 30, |a| {
        a.slots()
            .iter()
            .all(|s| s.status().config.as_ref().is_some_and(|c| c.lr == 0.002))
    });

    // Hover a sample in the first panel: it is ringed in every panel.
    let i = 11;
    let pos = h
        .state()
        .run_view()
        .screen_pos(i)
        .unwrap_or_else(|| panic!("the first panel drew no points"));
    h.event(egui::Event::PointerMoved(pos));
    frames_until(&mut h, "a sample under the pointer", 30, |a| {
        a.hovered().is_some()
    });
    let hovered = h.state().hovered();
    frames_until(
        &mut h,
        "the hovered sample ringed in every panel",
        30,
        |a| a.slots().iter().all(|s| s.view.ringed() == hovered),
    );

    // The timeline scrubs every run: each shows its recorded snapshot at the cursor.
    h.state_mut().apply(AppCommand::TimelineSeek(10));
    frames_until(&mut h, "every run to show step 10", 60, |a| {
        a.slots().iter().all(|s| s.shown_step() == Some(10))
    });
    h.get_by_label_contains("at the timeline's step 10");
    h.state_mut().apply(AppCommand::TimelineLive);

    // Saved as one recording and one scenario; the recording opens as the sweep it was, each
    // run scrubbed at the cursor; the scenario starts the sweep again.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (file, plan) = (dir.path().join("sweep.clr"), dir.path().join("sweep.toml"));
    h.state_mut().apply(AppCommand::SaveRun(file.clone()));
    h.run_steps(2);
    h.get_by_label_contains("a sweep of 3 runs");
    h.state_mut().apply(AppCommand::SaveScenario(plan.clone()));
    // File → Export → Web page: the sweep's every run in one page.
    h.state_mut().state.paths.export_dir = dir.path().join("exports").to_string_lossy().to_string();
    h.state_mut().apply(AppCommand::ExportWebPage);
    h.run_steps(2);
    h.get_by_label_contains("it replays the run in any browser");
    let page = std::fs::read_dir(dir.path().join("exports"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "html"))
        .unwrap_or_else(|| panic!("no page exported"));
    let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
    for v in ["0.1", "0.3162", "1"] {
        assert!(
            text.contains(&format!("temperature τ = {v}")),
            "the page lacks τ = {v}"
        );
    }
    assert!(text.contains("\"kind\":\"sweep\""));
    let recorded: Vec<usize> = h
        .state()
        .slots()
        .iter()
        .map(|s| s.with_recording(|r| r.len()).unwrap_or_default())
        .collect();
    h.state_mut().apply(AppCommand::OpenRun(file.clone()));
    frames_until(&mut h, "the recorded sweep to open", 30, |a| {
        a.sweep().is_some()
            && a.slots().len() == 3
            && a.slots().iter().all(|s| s.replayed().is_some())
    });
    let opened: Vec<(usize, f64)> = h
        .state()
        .slots()
        .iter()
        .map(|s| {
            (
                s.with_recording(|r| r.len()).unwrap_or_default(),
                s.config().temperature,
            )
        })
        .collect();
    assert_eq!(
        opened,
        recorded
            .iter()
            .copied()
            .zip([0.1, 0.3162, 1.0])
            .collect::<Vec<_>>()
    );
    h.state_mut().apply(AppCommand::TimelineSeek(15));
    frames_until(&mut h, "every recorded run to show step 15", 60, |a| {
        a.slots().iter().all(|s| s.shown_step() == Some(15))
    });
    // The command line writes the recorded sweep's runs as `run --sweep` lays them out.
    let out = dir.path().join("replayed");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args([
            "replay",
            &file.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for v in ["0.1", "0.3162", "1"] {
        let metrics = out.join(format!("temperature={v}/seed0/metrics.csv"));
        let rows = std::fs::read_to_string(&metrics)
            .unwrap_or_else(|e| panic!("{}: {e}", metrics.display()))
            .lines()
            .count();
        assert!(rows > 4, "{}: {rows} lines", metrics.display());
    }
    h.state_mut().apply(AppCommand::CloseRecording);
    frames_until(&mut h, "the recording to close", 30, |a| {
        a.slots().len() == 1 && a.replayed().is_none() && a.sweep().is_none()
    });
    h.state_mut().apply(AppCommand::OpenScenario(plan));
    frames_until(&mut h, "the saved sweep to start again", 30, |a| {
        a.sweep()
            .is_some_and(|s| s.spec.values == ["0.1", "0.3162", "1"])
            && a.slots().len() == 3
    });
    // Paused, as the recording left run A; play trains them all.
    h.state_mut().apply(AppCommand::TogglePlay);
    frames_until(&mut h, "the saved sweep to train again", 120, |a| {
        a.slots()
            .iter()
            .all(|s| s.history().last().is_some_and(|r| r.step >= 10))
    });

    h.get_by_label("Compare").click();
    h.run_steps(2);
    h.get_by_label("End sweep (keep the first run)").click();
    frames_until(&mut h, "the sweep to end", 30, |a| {
        a.sweep().is_none() && a.slots().len() == 1
    });
    let at = h.state().status().step;
    frames_until(&mut h, "run A to train on alone", 60, |a| {
        a.status().step > at + 5
    });
}

#[test]
fn the_temperature_sweep_lesson_opens_as_six_runs_with_its_question() {
    let mut h = harness(small_simclr(256), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 1);
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    h.get_by_label("A sweep of τ: uniformity against tolerance")
        .click();
    frames_until(&mut h, "the lesson's six runs to train", 180, |a| {
        a.slots().len() == 6 && a.slots().iter().all(|s| s.history().len() >= 2)
    });
    let taus: Vec<f64> = h
        .state()
        .slots()
        .iter()
        .map(|s| s.config().temperature)
        .collect();
    assert_eq!(taus, [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
    assert!(
        h.state()
            .slots()
            .iter()
            .all(|s| s.config().dataset == contrastive_lab::config::DatasetKind::Digits)
    );
    h.get_by_label("Where will kNN accuracy peak?");
    h.get_by_label_contains("the answer at step 900");
    // No change to compare against: the card offers none.
    assert!(h.query_by_label("compare").is_none());
}

#[test]
fn a_queued_sweep_trains_one_run_after_another_and_each_stops_at_its_steps() {
    let mut h = harness(small_simclr(64), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 1);
    let spec = contrastive_lab::sweep::SweepSpec::parse("temperature=0.1,0.5,1")
        .unwrap_or_else(|e| panic!("{e}"));
    h.state_mut().apply(AppCommand::StartSweep {
        spec,
        queue: Some(40),
    });
    let start = std::time::Instant::now();
    loop {
        h.run_steps(1);
        let steps: Vec<usize> = h.state().slots().iter().map(|s| s.status().step).collect();
        // A run starts only once every run before it has made its 40 steps.
        for (i, s) in steps.iter().enumerate() {
            if *s > 0 {
                assert!(
                    steps[..i].iter().all(|b| *b >= 40),
                    "run {i} trains before its turn: {steps:?}"
                );
            }
        }
        if steps.len() == 3 && steps.iter().all(|s| *s >= 40) {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 180,
            "the queue did not finish: {steps:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Each stopped at its steps, and its panel says so.
    h.run_steps(5);
    let steps: Vec<usize> = h.state().slots().iter().map(|s| s.status().step).collect();
    assert_eq!(steps, [40, 40, 40]);
    h.get_by_label("temperature τ = 1 · done");
    // Freed from the queue (Compare → queue unticked), all train on at once.
    h.state_mut().apply(AppCommand::Lockstep(false));
    frames_until(&mut h, "every run to train on", 60, |a| {
        a.slots().iter().all(|s| s.status().step > 45)
    });
}
