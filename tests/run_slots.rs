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

/// A headless app whose runs are driven by its frames, as in the browser (each
/// [`LabApp::refresh`] is a frame's share of the training).
fn app_driven_by_frames() -> LabApp {
    LabApp::headless(AppOptions {
        device: DeviceChoice::Cpu,
        fresh: true,
        drive: contrastive_lab::run::Drive::Frames,
        ..AppOptions::default()
    })
}

#[test]
fn a_link_opens_its_run_and_names_what_it_left_out() {
    let mut app = app_driven_by_frames();
    assert_eq!(app.drive(), contrastive_lab::run::Drive::Frames);
    let errors = app.open_link("#method=simsiam&stop_gradient=false&seed=3&view=pca&nonsense=1");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("nonsense"), "{errors:?}");
    poll_until(&mut app, "the linked run to train", |a| {
        a.status().step > 10 && settled(a)
    });
    let c = app.status().config.clone().unwrap_or_default();
    assert_eq!(
        (c.method, c.seed, c.stop_gradient),
        (Method::SimSiam, 3, false)
    );
    assert_eq!(
        app.state.view.projection,
        contrastive_lab::app::embedding::Projection::Pca
    );
    // The message the page shows (and lists in #lab-status).
    let status = app.lab_status(&app.messages_shown());
    let shown = status["errors"].to_string();
    assert!(shown.contains("nonsense"), "{status}");
    assert_eq!(status["config"]["method"], "simsiam", "{status}");
    assert_eq!(status["drive"], "frames", "{status}");

    // A lesson's link opens its card and its run.
    let errors = app.open_link("#lesson=simsiam-stop-gradient");
    assert!(errors.is_empty(), "{errors:?}");
    poll_until(&mut app, "the lesson's run", |a| {
        a.lesson() == Some("simsiam-stop-gradient") && a.status().step > 5 && settled(a)
    });
    assert!(
        app.status()
            .script
            .iter()
            .any(|s| s.setting == Setting::StopGradient(false)),
        "the lesson's change is scripted: {:?}",
        app.status().script
    );
}

#[test]
fn a_shared_link_replays_the_run_to_the_same_numbers() {
    let mut a = app_driven_by_frames();
    a.open_link("#method=byol&seed=4");
    poll_until(&mut a, "BYOL to train", |a| {
        a.status().step >= 15 && settled(a)
    });
    a.apply(AppCommand::Set(Setting::Predictor(false)));
    poll_until(&mut a, "the change and more steps", |a| {
        a.status().events.len() == 1 && a.status().step >= 40
    });
    a.apply(AppCommand::ShareLink);
    let hash = a.take_shared_link().unwrap_or_default();
    assert!(
        hash.contains("method=byol") && hash.contains("script="),
        "{hash}"
    );
    let rows_a = a.history().to_vec();

    let mut b = app_driven_by_frames();
    let errors = b.open_link(&hash);
    assert!(errors.is_empty(), "{hash}: {errors:?}");
    let last = rows_a.last().map_or(0, |r| r.step);
    poll_until(&mut b, "the link's run to reach A's step", |b| {
        b.history().last().is_some_and(|r| r.step >= last)
    });
    assert_eq!(b.status().events, a.status().events, "{hash}");
    let rows_b = b.history().to_vec();
    for ra in &rows_a {
        let rb = rows_b.iter().find(|r| r.step == ra.step);
        let same = rb.is_some_and(|rb| {
            rb.loss.to_bits() == ra.loss.to_bits()
                && rb.diagnostics.knn_acc.to_bits() == ra.diagnostics.knn_acc.to_bits()
                && rb.diagnostics.std.to_bits() == ra.diagnostics.std.to_bits()
        });
        assert!(same, "step {}: {:?} vs {:?}", ra.step, ra, rb);
    }
}

#[test]
fn a_file_picked_in_the_browser_opens_in_the_window_that_asked() {
    use contrastive_lab::app::files::FileWindow;
    let mut app = app_driven_by_frames();
    let text = std::fs::read_to_string("assets/lessons/temperature.toml")
        .unwrap_or_else(|e| panic!("{e}"))
        .replace("id = \"temperature\"", "id = \"picked-temperature\"");
    app.apply(AppCommand::PickFile(FileWindow::OpenLesson));
    let asked = contrastive_lab::browser_files::take_requests();
    assert_eq!(
        asked.last().and_then(|r| r.extension.as_deref()),
        Some("toml")
    );
    let path = contrastive_lab::browser_files::keep("my lesson.toml", text.into_bytes());
    app.apply(AppCommand::FilePicked(path));
    assert_eq!(
        app.lesson(),
        Some("picked-temperature"),
        "{:?}",
        app.files().message
    );
    // A picked file the page no longer holds is refused by name, and the run goes on.
    app.apply(AppCommand::PickFile(FileWindow::OpenScenario));
    app.apply(AppCommand::FilePicked("picked:/gone.toml".into()));
    let message = format!("{:?}", app.files().message);
    assert!(
        message.contains("gone.toml") && message.contains("pick it again"),
        "{message}"
    );
}
