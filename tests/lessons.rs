//! Every lesson, run headless like `run --lesson`, shows its phenomenon, and the same run
//! without the lesson's change does not: the change is what the class sees.

use contrastive_lab::lessons::{LESSONS, Lesson, Phenomenon};
use contrastive_lab::projection::sphere_2d;
use contrastive_lab::train::{Session, Snapshot, TrainDevice};

/// The sphere view's spread of a snapshot (mean distance from the centroid, in sphere radii):
/// in the view's plane, and in all d dimensions of the sphere.
fn sphere_spread(s: &Snapshot) -> [f64; 2] {
    let l = sphere_2d(&s.z, s.labels.len(), s.dim, None)
        .unwrap_or_else(|e| panic!("sphere view at step {}: {e}", s.step));
    [l.spread(), l.spread_on_sphere]
}

/// The lesson's verdict with (`autoplay`) and without its scripted change, and the sphere
/// view's spread at the change and at the end.
fn verdict(lesson: &Lesson, autoplay: bool) -> (contrastive_lab::lessons::Verdict, [[f64; 2]; 2]) {
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
        for change in lesson.changes() {
            assert!(
                events
                    .iter()
                    .any(|e| e.step == lesson.change_step() && e.new == change),
                "{}: the change {change} was not logged at step {}: {events:?}",
                lesson.id,
                lesson.change_step()
            );
        }
    }
    let at = snaps
        .iter()
        .rev()
        .find(|s| s.step <= lesson.change_step())
        .unwrap_or_else(|| panic!("{}: no snapshot before the change", lesson.id));
    let end = snaps
        .last()
        .unwrap_or_else(|| panic!("{}: no snapshots", lesson.id));
    let verdict = lesson
        .verdict(&snaps, session.config(), None)
        .unwrap_or_else(|| panic!("{}: no snapshots around the change", lesson.id));
    (verdict, [sphere_spread(at), sphere_spread(end)])
}

fn check(id: &str) {
    let lesson = contrastive_lab::lessons::find(id).unwrap_or_else(|e| panic!("{e}"));
    let (with, spread_with) = verdict(lesson, true);
    let (without, spread_without) = verdict(lesson, false);
    let [[w0, s0], [w1, s1]] = spread_with;
    let [[c0, t0], [c1, t1]] = spread_without;
    println!(
        "{id}: with the change: {} (sphere view spread, plane / sphere: {w0:.3} / {s0:.3} -> {w1:.3} / {s1:.3})\n\
         {id}: without: {} (sphere view spread, plane / sphere: {c0:.3} / {t0:.3} -> {c1:.3} / {t1:.3})",
        with.text, without.text
    );
    if lesson.phenomenon == Phenomenon::CompleteCollapse {
        // The picture carries the lesson: on the sphere view's fixed scale the points converge
        // (their spread in the view falls at least 5×). Without the change the spread on the
        // sphere, which the view projects, stays within 20 %; the view's own spread may shrink
        // somewhat as training spreads the points over more directions than one plane shows,
        // but nowhere near a collapse.
        assert!(
            w1 * 5.0 <= w0 && s1 * 5.0 <= s0,
            "{id}: the sphere view did not show the collapse: {spread_with:?}"
        );
        assert!(
            (t1 / t0 - 1.0).abs() <= 0.2 && c1 * 2.0 >= c0,
            "{id}: the sphere view changed without the change: {spread_without:?}"
        );
    }
    assert!(
        with.shown,
        "{id}: the phenomenon did not show: {}",
        with.text
    );
    if lesson.phenomenon == Phenomenon::NoCollapse {
        // The lesson is that the change does not matter: both runs keep their spread.
        assert!(
            without.shown && (w1 / c1 - 1.0).abs() <= 0.3,
            "{id}: the run without the change differs: {} vs {}",
            with.text,
            without.text
        );
        return;
    }
    assert!(
        !without.shown,
        "{id}: it showed without the change too: {}",
        without.text
    );
}

#[test]
fn there_are_lessons_for_every_phenomenon_with_unique_ids_and_texts() {
    assert!(LESSONS.len() >= 7);
    for l in LESSONS.iter() {
        assert!(!l.title.is_empty() && !l.explanation.is_empty());
        assert!(!l.change.is_empty() && !l.watch.is_empty());
        assert!(l.change_step() < l.steps(), "{}", l.id);
        assert_eq!(LESSONS.iter().filter(|m| m.id == l.id).count(), 1);
        l.config().unwrap_or_else(|e| panic!("{}: {e}", l.id));
    }
    // The scripted change of each lesson is a valid scenario: it survives a save and load.
    for l in LESSONS.iter() {
        let s = l.scenario(true).unwrap_or_else(|e| panic!("{e}"));
        let back = contrastive_lab::scenario::Scenario::from_toml(&s.to_toml(), &l.id)
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
fn lesson_byol_batch_norm() {
    check("byol-batch-norm");
}

#[test]
fn lesson_simclr_batch_norm() {
    check("simclr-batch-norm");
}

#[test]
fn lesson_vicreg_variance() {
    check("vicreg-variance");
}

#[test]
fn lesson_dinov2() {
    check("dinov2");
}

#[test]
fn lesson_clip_temperature() {
    check("clip-temperature");
}

/// A lesson that is a sweep, run as `run --lesson` runs it: its phenomenon shows; the same check
/// on a sweep whose values changed nothing (every value the first's numbers) does not.
fn sweep_check(id: &str) {
    let lesson = contrastive_lab::lessons::find(id).unwrap_or_else(|e| panic!("{e}"));
    let spec = lesson
        .sweep()
        .unwrap_or_else(|| panic!("{id} is not a sweep"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args([
            "run",
            "--lesson",
            id,
            "--out",
            &dir.path().to_string_lossy(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&o.stdout);
    println!("{stdout}");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("lesson: shown:"), "{id}: {stdout}");
    let path = dir.path().join("sweep.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let table = contrastive_lab::cli::sweep::SweepTable::from_csv(&text, &path)
        .unwrap_or_else(|e| panic!("{e}"));
    let means = table.means(&spec);
    assert_eq!(means.len(), spec.values.len());
    let flat: Vec<_> = means
        .iter()
        .map(|m| contrastive_lab::lessons::ValueMeans {
            value: m.value.clone(),
            ..means[0].clone()
        })
        .collect();
    let verdict = lesson
        .sweep_verdict(&flat)
        .unwrap_or_else(|| panic!("{id}: no verdict"));
    assert!(
        !verdict.shown,
        "{id}: shown by a sweep that changed nothing: {}",
        verdict.text
    );
}

#[test]
fn lesson_temperature_sweep() {
    sweep_check("temperature-sweep");
}

#[test]
fn every_lesson_has_a_test() {
    let me = include_str!("lessons.rs");
    for l in LESSONS.iter() {
        assert!(
            me.contains(&format!("check(\"{}\")", l.id)),
            "lesson {} has no test",
            l.id
        );
    }
}
