//! Compare mode in the app, driven like a person would: the Compare… window makes run B, both
//! train in lockstep, every time plot shows both runs, and the sample under the pointer is
//! ringed in both views.

mod common;
use common::{frames_until, harness};
use contrastive_lab::config::{Method, RunConfig};
use egui_kittest::kittest::Queryable;

/// `method` with snapshots every 5 steps on a probe of `probe` points.
fn small(method: Method, probe: usize) -> RunConfig {
    let mut c = RunConfig::for_method(method);
    c.snapshot_every = 5;
    c.probe_size = probe;
    c
}

#[test]
fn the_compare_window_makes_run_b_and_every_plot_shows_both_runs() {
    let c = small(Method::SimSiam, 300);
    let mut h = harness(c, false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 5);

    h.get_by_label("Compare").click();
    h.run_steps(2);
    h.get_by_label("Compare…").click();
    // A window's first frame only measures it.
    h.run_steps(8);
    // The window's own stop-gradient box is drawn after the controls panel's.
    h.get_all_by_label("stop-gradient")
        .last()
        .unwrap_or_else(|| panic!("no stop-gradient box in the window"))
        .click();
    h.run_steps(2);
    h.get_by_label_contains("B: stop_gradient = false");
    h.get_by_label("Start comparison").click();
    frames_until(&mut h, "run B to train", 120, |a| {
        a.run_b()
            .is_some_and(|b| b.history().len() >= 3 && b.layouts().is_some())
    });
    let b = h
        .state()
        .comparison()
        .zip(h.state().run_b())
        .map(|(c, b)| (c.changes.clone(), b.config().stop_gradient));
    assert_eq!(
        b,
        Some((
            vec![contrastive_lab::config::Setting::StopGradient(false)],
            false
        ))
    );
    assert!(h.state().config().stop_gradient, "A keeps stop-gradient");
    // Pause acts on both; in lockstep they stop at the same step (either at most one ahead).
    h.get_by_label("Pause").click();
    frames_until(&mut h, "both to pause", 30, |a| {
        a.status().paused && a.run_b().is_some_and(|b| b.status().paused)
    });
    h.run_steps(3);
    let (sa, sb) = (
        h.state().status().step,
        h.state().run_b().map_or(0, |b| b.status().step),
    );
    assert!(sa.abs_diff(sb) <= 1, "A at {sa}, B at {sb}");
    h.get_by_label("Step").click();
    frames_until(&mut h, "one step of each", 30, |a| {
        a.status().step == sa + 1 && a.run_b().is_some_and(|b| b.status().step == sb + 1)
    });

    // Every time plot's legend has an A and a B line.
    for series in [
        "loss",
        "std·√d",
        "kNN",
        "alignment",
        "uniformity",
        "RankMe of z",
        "RankMe of h",
        "pred_cos",
    ] {
        h.get_by_label(&format!("A · {series}"));
        h.get_by_label(&format!("B · {series}"));
    }

    // Hover a sample in A's view: it is ringed in both.
    h.run_steps(3);
    let i = 17;
    let pos = h
        .state()
        .run_view()
        .screen_pos(i)
        .unwrap_or_else(|| panic!("A's view drew no points"));
    h.event(egui::Event::PointerMoved(pos));
    frames_until(&mut h, "the hovered sample ringed in both views", 30, |a| {
        a.hovered().is_some()
            && a.run_view().ringed() == a.hovered()
            && a.run_b().and_then(|b| b.view.ringed()) == a.hovered()
    });

    // Saved as one recording, it opens as the comparison it was: A and B side by side.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("compare.clr");
    h.state_mut()
        .apply(contrastive_lab::app::AppCommand::SaveRun(file.clone()));
    h.run_steps(2);
    h.get_by_label_contains("a comparison");
    h.state_mut()
        .apply(contrastive_lab::app::AppCommand::OpenRun(file.clone()));
    frames_until(&mut h, "the recorded comparison to open", 30, |a| {
        a.slots().len() == 2
            && a.slots().iter().all(|s| s.replayed().is_some())
            && a.comparison().is_some_and(|c| {
                c.changes == [contrastive_lab::config::Setting::StopGradient(false)]
            })
    });
    assert!(
        h.get_all_by_label_contains("B: stop_gradient = false")
            .next()
            .is_some()
    );
    h.state_mut()
        .apply(contrastive_lab::app::AppCommand::CloseRecording);
    frames_until(&mut h, "the recording to close", 30, |a| {
        a.slots().len() == 1 && a.replayed().is_none()
    });
    h.state_mut()
        .apply(contrastive_lab::app::AppCommand::StartComparison {
            changes: vec![contrastive_lab::config::Setting::StopGradient(false)],
            fork: false,
        });
    frames_until(&mut h, "run B again", 60, |a| a.run_b().is_some());

    h.get_by_label("Compare").click();
    h.run_steps(2);
    h.get_by_label("End comparison (keep A)").click();
    frames_until(&mut h, "the comparison to end", 30, |a| {
        a.comparison().is_none()
    });
    let at = h.state().status().step;
    h.get_by_label("Play").click();
    frames_until(&mut h, "A to train on alone", 60, |a| {
        a.status().step > at + 5
    });
}

#[test]
fn a_lesson_runs_as_a_comparison_with_its_control_and_answers_its_question() {
    let c = small(Method::SimClr, 200);
    let mut h = harness(c, false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 2);
    h.state_mut().start_lesson("simsiam-predictor");
    frames_until(&mut h, "the lesson to start", 60, |a| {
        a.status()
            .config
            .as_ref()
            .is_some_and(|c| c.method == Method::SimSiam)
    });
    // Predict first: pick an answer before the change.
    h.get_by_label("no, it collapses").click();
    h.run_steps(2);
    h.get_by_label("compare").click();
    frames_until(&mut h, "B to make the change at step 100", 240, |a| {
        a.run_b().is_some_and(|b| {
            b.status().events.iter().any(|e| {
                e.step == 100 && e.new == contrastive_lab::config::Setting::Predictor(false)
            })
        }) && a.status().step > 100
    });
    // A is the control: it never changes.
    assert!(
        h.state().status().events.is_empty(),
        "{:?}",
        h.state().status().events
    );
    assert!(h.state().config().predictor);
    h.run_steps(2);
    h.get_by_label_contains("Right. Answer: no, it collapses");
    h.get_by_label_contains("Compared with its control");
}

#[test]
fn a_comparison_scenario_opens_as_a_comparison_and_saves_as_one() {
    use contrastive_lab::config::Setting;
    use contrastive_lab::scenario::{CompareSpec, Scenario};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let c = small(Method::Byol, 200);
    let mut s = Scenario::new(c.clone());
    s.compare = Some(CompareSpec {
        changes: vec![Setting::Momentum(0.0), Setting::Predictor(false)],
        fork_at: Some(20),
    });
    let path = dir.path().join("byol.toml");
    s.save(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut h = harness(c, false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 2);
    let opened = h.state_mut().open_scenario(&path);
    assert!(
        opened
            .as_ref()
            .is_ok_and(|m| m.contains("compared with B: momentum = 0, predictor = false")),
        "{opened:?}"
    );
    frames_until(&mut h, "B to pass step 20", 120, |a| {
        a.run_b().is_some_and(|b| b.status().step > 25)
    });
    let saved = dir.path().join("again.toml");
    let said = h.state_mut().save_scenario(&saved);
    assert!(said.is_ok(), "{said:?}");
    let back = Scenario::load(&saved).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.compare, s.compare);
    assert_eq!(back.config, s.config);
}

/// The timeline: Home shows the first recorded step in the views and as a cursor on every plot
/// while training carries on; ←/→ move a snapshot; Live returns to the newest.
#[test]
fn the_timeline_shows_an_earlier_step_and_live_returns() {
    let c = small(Method::SimClr, 200);
    let mut h = harness(c, false);
    frames_until(&mut h, "thirty recorded steps", 120, |a| {
        a.recorded_steps().last().is_some_and(|&s| s >= 30)
    });
    h.key_press(egui::Key::Home);
    frames_until(&mut h, "the first step shown", 30, |a| {
        a.shown_step() == Some(0)
    });
    // A cursor on every time plot (each legend names it).
    let cursors = h.get_all_by_label("timeline: step 0").count();
    assert!(cursors >= 5, "{cursors} plots show the cursor");
    h.key_press(egui::Key::ArrowRight);
    frames_until(&mut h, "the next snapshot", 30, |a| {
        a.shown_step() == Some(5)
    });
    let shown = h.state().run_view().target().to_vec();
    let at = h.state().status().step;
    frames_until(&mut h, "training to go on", 60, |a| {
        a.status().step > at + 20
    });
    assert_eq!(
        h.state().shown_step(),
        Some(5),
        "the cursor moved by itself"
    );
    assert_eq!(
        h.state().run_view().target(),
        shown.as_slice(),
        "the shown step's points changed"
    );
    // Replay from the first step at 8× the recorded pace: the cursor walks forward by itself.
    h.key_press(egui::Key::Home);
    frames_until(&mut h, "back at the start", 30, |a| {
        a.shown_step() == Some(0)
    });
    h.state_mut().timeline.speed = 8.0;
    h.get_by_label("▶ replay").click();
    frames_until(&mut h, "the replay to move on", 60, |a| {
        a.shown_step().is_some_and(|s| s >= 15)
    });
    h.get_by_label("Live").click();
    frames_until(&mut h, "live again", 30, |a| a.shown_step().is_none());
    assert!(h.query_by_label("timeline: step 5").is_none());
}

/// "continue from here": the run goes back to the step the timeline shows and trains on; the
/// abandoned future stays on the plots as a branch.
#[test]
fn continue_from_here_rewinds_the_run_and_keeps_the_branch() {
    let c = small(Method::SimClr, 200);
    let mut h = harness(c, false);
    frames_until(&mut h, "sixty recorded steps", 120, |a| {
        a.recorded_steps().last().is_some_and(|&s| s >= 60)
    });
    h.get_by_label("Pause").click();
    frames_until(&mut h, "the pause", 30, |a| a.status().paused);
    h.key_press(egui::Key::Home);
    for _ in 0..4 {
        h.key_press(egui::Key::ArrowRight);
        h.run_steps(1);
    }
    frames_until(&mut h, "step 20 shown", 30, |a| a.shown_step() == Some(20));
    h.get_by_label("continue from here").click();
    frames_until(&mut h, "the run back at step 20", 60, |a| {
        a.status().step == 20 && a.published().branch.is_some() && a.shown_step().is_none()
    });
    h.run_steps(3);
    let ghosts = h.get_all_by_label("branch · kNN").count();
    assert_eq!(ghosts, 1, "the abandoned future is not on the kNN plot");
    // The branch beside the new path, at the same step.
    h.get_by_label("branch beside").click();
    frames_until(&mut h, "the branch drawn beside", 30, |a| {
        a.branch_view().is_some_and(|v| !v.target().is_empty())
    });
    h.get_by_label("Play").click();
    // A snapshot past 40 (the step counter alone may pause between two snapshots).
    frames_until(&mut h, "training on from 20", 60, |a| {
        a.published().snapshot.as_ref().is_some_and(|s| s.step > 40)
    });
    h.get_by_label("Pause").click();
    frames_until(&mut h, "the pause", 30, |a| a.status().paused);
    // The branch's recorded snapshot at (or just before) the step the run shows.
    frames_until(&mut h, "the branch shown at the run's step", 30, |a| {
        let step = a.published().snapshot.as_ref().map_or(0, |s| s.step);
        let expected = a
            .published()
            .branch
            .as_ref()
            .and_then(|b| b.recording.at(step).map(|s| s.step));
        step > 40 && expected.is_some() && a.branch_step() == expected
    });
    h.get_by_label_contains("the branch abandoned at step 20");
}

/// File → Save run, then Open run: the app shows the recording (from its first step) without
/// training; Space replays it; a damaged file is refused and changes nothing.
#[test]
fn a_saved_run_opens_as_a_recording_to_scrub_and_replay() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("class.clr");
    let mut h = harness(small(Method::SimClr, 200), false);
    frames_until(&mut h, "forty recorded steps", 120, |a| {
        a.recorded_steps().last().is_some_and(|&s| s >= 40)
    });
    let saved = h.state_mut().save_recording(&path);
    assert!(saved.is_ok(), "{saved:?}");
    let in_file = contrastive_lab::recorded::RecordedRun::load(&path)
        .map(|r| r.recording.steps())
        .unwrap_or_else(|e| panic!("{e}"));

    let broken = dir.path().join("broken.clr");
    let bytes = std::fs::read(&path).unwrap_or_default();
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap_or_else(|e| panic!("{e}"));
    let refused = h.state_mut().open_recording(&broken);
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("broken.clr")),
        "{refused:?}"
    );
    assert!(h.state().replayed().is_none());

    let opened = h.state_mut().open_recording(&path);
    assert!(opened.is_ok(), "{opened:?}");
    // The first step is shown once the projector has laid it out (never on the UI thread).
    frames_until(&mut h, "the recording's first step shown", 60, |a| {
        a.shown_step() == Some(0)
    });
    assert_eq!(h.state().recorded_steps(), in_file);
    assert!(h.state().status().paused);
    h.state_mut().timeline.speed = 8.0;
    h.key_press(egui::Key::Space);
    frames_until(&mut h, "the replay to move", 60, |a| {
        a.shown_step().is_some_and(|s| s >= 10)
    });
    h.state_mut().close_recording();
    frames_until(&mut h, "back to the run", 30, |a| {
        a.replayed().is_none() && a.shown_step().is_none() && a.history().len() >= 8
    });
}

/// t-SNE on the timeline: the layouts the projector published are kept, and an earlier step
/// shows the latest one fitted at or before it.
#[test]
fn the_timeline_shows_the_tsne_layout_of_an_earlier_step() {
    let mut h = harness(small(Method::SimClr, 200), false);
    h.state_mut().state.view.projection = contrastive_lab::app::embedding::Projection::Tsne;
    frames_until(&mut h, "a settled t-SNE layout", 180, |a| {
        a.layouts()
            .and_then(|l| l.tsne.as_ref())
            .is_some_and(|t| t.as_ref().is_ok_and(|t| !t.exaggerating && t.step >= 10))
    });
    let fitted = h
        .state()
        .layouts()
        .and_then(|l| l.tsne.as_ref())
        .and_then(|t| t.as_ref().ok())
        .map_or(0, |t| t.step);
    frames_until(&mut h, "training past it", 60, |a| {
        a.status().step > fitted + 40
    });
    h.state_mut()
        .apply(contrastive_lab::app::AppCommand::TimelineSeek(fitted + 5));
    frames_until(&mut h, "the earlier step's t-SNE", 30, |a| {
        a.shown_step().is_some_and(|s| s >= fitted)
            && a.run_view()
                .target_step()
                .is_some_and(|s| (fitted..=fitted + 5).contains(&s))
            && a.run_view().target().len() == 200
    });
}
