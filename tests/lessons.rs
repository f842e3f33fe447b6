//! Every lesson, run headless like `run --lesson`, shows its phenomenon, and the same run
//! without the lesson's change does not: the change is what the class sees.

use contrastive_lab::lessons::{LESSONS, Lesson};
use contrastive_lab::train::{Session, TrainDevice};

/// The lesson's verdict with (`autoplay`) and without its scripted change.
fn verdict(lesson: &Lesson, autoplay: bool) -> contrastive_lab::lessons::Verdict {
    let scenario = lesson
        .scenario(autoplay)
        .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
    let mut session = Session::from_scenario(&scenario, TrainDevice::cpu())
        .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
    let (snaps, incident) = contrastive_lab::cli::run::train(&mut session, None)
        .unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
    assert!(incident.is_none(), "{}: {incident:?}", lesson.id);
    if autoplay {
        let events = session.events();
        for (key, value) in lesson.changes() {
            assert!(
                events
                    .iter()
                    .any(|e| e.step == lesson.change_step() && e.key == *key && e.new == *value),
                "{}: the change {key} = {value} was not logged at step {}: {events:?}",
                lesson.id,
                lesson.change_step()
            );
        }
    }
    lesson
        .verdict(&snaps, session.config())
        .unwrap_or_else(|| panic!("{}: no snapshots around the change", lesson.id))
}

fn check(id: &str) {
    let lesson = contrastive_lab::lessons::find(id).unwrap_or_else(|e| panic!("{e}"));
    let with = verdict(lesson, true);
    let without = verdict(lesson, false);
    println!(
        "{id}: with the change: {}\n{id}: without: {}",
        with.text, without.text
    );
    assert!(
        with.shown,
        "{id}: the phenomenon did not show: {}",
        with.text
    );
    assert!(
        !without.shown,
        "{id}: it showed without the change too: {}",
        without.text
    );
}

#[test]
fn there_are_lessons_for_every_phenomenon_with_unique_ids_and_texts() {
    assert!(LESSONS.len() >= 7);
    for l in LESSONS {
        assert!(!l.title.is_empty() && !l.explanation.is_empty());
        assert!(!l.change.is_empty() && !l.watch.is_empty());
        assert!(l.change_step() < l.steps, "{}", l.id);
        assert_eq!(LESSONS.iter().filter(|m| m.id == l.id).count(), 1);
        l.config().unwrap_or_else(|e| panic!("{}: {e}", l.id));
    }
    // The scripted change of each lesson is a valid scenario: it survives a save and load.
    for l in LESSONS {
        let s = l.scenario(true).unwrap_or_else(|e| panic!("{e}"));
        let back = contrastive_lab::scenario::Scenario::from_toml(&s.to_toml(), l.id)
            .unwrap_or_else(|e| panic!("{}: {e}", l.id));
        assert_eq!(back, s);
    }
}

#[test]
fn lesson_temperature() {
    check("temperature");
}

#[test]
fn lesson_simsiam_stop_gradient() {
    check("simsiam-stop-gradient");
}

#[test]
fn lesson_simsiam_predictor() {
    check("simsiam-predictor");
}

#[test]
fn lesson_byol_predictor_momentum() {
    check("byol-predictor-momentum");
}

#[test]
fn lesson_moco_momentum() {
    check("moco-momentum");
}

#[test]
fn lesson_dino_centering() {
    check("dino-centering");
}

#[test]
fn lesson_dino_sharpening() {
    check("dino-sharpening");
}

#[test]
fn lesson_barlow_invariance_only() {
    check("barlow-invariance-only");
}

#[test]
fn lesson_clip_temperature() {
    check("clip-temperature");
}

#[test]
fn every_lesson_has_a_test() {
    let me = include_str!("lessons.rs");
    for l in LESSONS {
        assert!(
            me.contains(&format!("check(\"{}\")", l.id)),
            "lesson {} has no test",
            l.id
        );
    }
}
