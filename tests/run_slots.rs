//! Run slots driven by commands alone, without a window: run A and a fork B follow one rule
//! for their configs. The config a slot shows is its trainer's published config with the
//! changes sent and not yet taken made on it; once the trainer has taken them, it is exactly
//! what the trainer published, for A and B alike, whoever changed it.

use contrastive_lab::app::{AppCommand, AppOptions, LabApp};
use contrastive_lab::config::{Method, RunConfig, Setting};
use contrastive_lab::train::DeviceChoice;
use std::time::{Duration, Instant};

/// Poll the app (as a frame does, [`LabApp::refresh`]) until `f` holds; after every poll, every slot without a
/// pending change shows exactly the config its trainer published.
fn poll_until(app: &mut LabApp, what: &str, f: impl Fn(&LabApp) -> bool) {
    let start = Instant::now();
    loop {
        app.refresh();
        for (i, slot) in app.slots().iter().enumerate() {
            if !slot.has_pending() {
                assert_eq!(
                    Some(slot.config()),
                    slot.status().config.as_ref(),
                    "slot {i} shows a config its trainer did not publish"
                );
            }
        }
        if f(app) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn settled(app: &LabApp) -> bool {
    app.slots().iter().all(|s| !s.has_pending())
}

#[test]
fn a_knob_travels_to_the_trainers_and_back_by_one_rule_for_a_and_its_fork() {
    let mut config = RunConfig::for_method(Method::SimClr);
    config.snapshot_every = 5;
    config.probe_size = 200;
    let mut app = LabApp::headless(AppOptions {
        device: DeviceChoice::Cpu,
        fresh: true,
        config: Some(config),
        paused: true,
        ..AppOptions::default()
    });
    assert!(app.run_a().is_some(), "run A did not start");
    poll_until(&mut app, "run A's first publication", |a| {
        a.status().config.is_some()
    });
    app.apply(AppCommand::TogglePlay);
    poll_until(&mut app, "A to train", |a| a.status().step >= 20);

    // B forks from A now with its own τ.
    app.apply(AppCommand::StartComparison {
        changes: vec![Setting::Temperature(0.2)],
        fork: true,
    });
    poll_until(&mut app, "B to start and train", |a| {
        a.run_b().is_some_and(|b| b.status().step > 25) && settled(a)
    });
    assert_eq!(app.slots().len(), 2);
    let b = app.run_b().map(|b| b.config().temperature);
    assert_eq!(b, Some(0.2), "B's own τ");
    assert_eq!(app.config().temperature, 0.5, "A keeps its τ");

    // A knob B keeps its own value of: A only. Shown at once as pending, then published.
    app.apply(AppCommand::Set(Setting::Temperature(0.3)));
    assert_eq!(
        app.config().temperature,
        0.3,
        "the control shows the change at once"
    );
    assert!(app.run_a().is_some_and(|a| a.has_pending()));
    poll_until(&mut app, "A's trainer to take τ", settled);
    let published = |app: &LabApp, i: usize| {
        app.slots()[i]
            .status()
            .config
            .as_ref()
            .map(|c| (c.temperature, c.lr))
    };
    let lr = app.config().lr;
    assert_eq!(published(&app, 0), Some((0.3, lr)));
    assert_eq!(published(&app, 1), Some((0.2, lr)));

    // A knob both take: the same rule for both.
    app.apply(AppCommand::Set(Setting::Lr(lr / 2.0)));
    for slot in app.slots() {
        assert_eq!(slot.config().lr, lr / 2.0, "pending in both");
    }
    poll_until(&mut app, "both trainers to take the rate", settled);
    assert_eq!(published(&app, 0), Some((0.3, lr / 2.0)));
    assert_eq!(published(&app, 1), Some((0.2, lr / 2.0)));

    // An invalid value never shows: the controls keep the trainer's value, and each trainer
    // reports why.
    app.apply(AppCommand::Set(Setting::Lr(-1.0)));
    for slot in app.slots() {
        assert_eq!(slot.config().lr, lr / 2.0, "an invalid value is not shown");
    }
    poll_until(&mut app, "both trainers to refuse the rate", |a| {
        settled(a) && a.slots().iter().all(|s| s.status().error.is_some())
    });
    for slot in app.slots() {
        assert_eq!(slot.config().lr, lr / 2.0);
    }

    // A dismissed error is dismissed in both, by command.
    app.apply(AppCommand::ClearError);
    poll_until(&mut app, "the errors to clear", |a| {
        settled(a) && a.slots().iter().all(|s| s.status().error.is_none())
    });

    // Ending the comparison leaves A alone, training on.
    app.apply(AppCommand::EndComparison);
    assert_eq!(app.slots().len(), 1);
    let at = app.status().step;
    poll_until(&mut app, "A to train on alone", |a| {
        a.status().step > at + 5
    });
}

#[test]
fn a_scripted_change_shows_in_the_config_as_the_trainer_makes_it() {
    let mut app = LabApp::headless(AppOptions {
        device: DeviceChoice::Cpu,
        fresh: true,
        paused: true,
        ..AppOptions::default()
    });
    // The lesson as a comparison: B changes the predictor by its script, A never does.
    app.apply(AppCommand::CompareLesson("simsiam-predictor".into()));
    poll_until(&mut app, "the lesson's two runs", |a| {
        a.run_b().is_some() && settled(a) && a.config().method == Method::SimSiam
    });
    assert!(app.run_b().is_some_and(|b| b.config().predictor));
    app.apply(AppCommand::TogglePlay);
    poll_until(&mut app, "B's scripted change", |a| {
        a.run_b().is_some_and(|b| !b.config().predictor)
    });
    assert!(app.config().predictor, "A is the control");
}
