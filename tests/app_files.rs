//! The app's Lessons and File menus, driven like a person would: a lesson starts from the menu
//! and auto-plays its change; scenarios save and open (a corrupt one is refused and the run goes
//! on); data and pictures export; an image folder trains, with its unreadable files counted.

mod common;
use common::{frames_until, harness, image_folder};
use contrastive_lab::app::LabApp;
use contrastive_lab::app::files::FileWindow;
use contrastive_lab::config::{DatasetKind, Method, RunConfig};
use egui_kittest::kittest::Queryable;

fn fast() -> RunConfig {
    let mut c = RunConfig::for_method(Method::SimClr);
    c.snapshot_every = 10;
    c.probe_size = 300;
    c
}

fn message(app: &LabApp) -> Option<Result<String, String>> {
    app.files().message.clone()
}

#[test]
fn a_lesson_starts_from_the_menu_and_plays_its_change() {
    let mut h = harness(fast(), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 5);
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    h.get_by_label("DINO without sharpening: the output goes uniform")
        .click();
    frames_until(&mut h, "the lesson's run", 60, |a| {
        a.status()
            .config
            .as_ref()
            .is_some_and(|c| c.method == Method::Dino)
    });
    assert_eq!(h.state().lesson(), Some("dino-sharpening"));
    assert!(
        h.query_by_label_contains("Lesson: DINO without sharpening")
            .is_some()
    );
    assert!(h.state().config().sharpening, "starts with sharpening");
    frames_until(&mut h, "the auto-played change", 120, |a| {
        a.status()
            .events
            .iter()
            .any(|e| e.key().name() == "sharpening" && e.step == 100 && e.new.text() == "false")
    });
    h.run_steps(2);
    assert!(
        !h.state().config().sharpening,
        "the checkbox follows the script"
    );
    assert!(h.query_by_label_contains("(made at step 100)").is_some());
}

#[test]
fn scenarios_save_and_open_and_a_corrupt_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut h = harness(fast(), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 5);
    h.state_mut()
        .set_setting(contrastive_lab::config::Setting::Temperature(0.2));
    frames_until(&mut h, "the change", 30, |a| !a.status().events.is_empty());
    // Save through the window: type the path, press Save.
    let path = dir.path().join("demo.toml");
    h.state_mut().files_open(FileWindow::SaveScenario);
    h.state_mut().state.paths.scenario = path.display().to_string();
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(
        matches!(message(h.state()), Some(Ok(m)) if m.contains("demo.toml") && m.contains("1 scripted change")),
        "{:?}",
        message(h.state())
    );
    let saved = contrastive_lab::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.config.temperature, 0.5, "the start config");
    assert_eq!(saved.script.len(), 1);

    // A corrupt file: refused with the reason, the running session untouched.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "scenario_version = 1\nmethod = \"simclr\"\nbatch_size = [",
    )
    .unwrap_or_default();
    let run_id = h.state().status().run_id;
    h.state_mut().files_open(FileWindow::OpenScenario);
    h.state_mut().state.paths.scenario = bad.display().to_string();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(3);
    assert!(
        matches!(message(h.state()), Some(Err(m)) if m.contains("bad.toml")),
        "{:?}",
        message(h.state())
    );
    let step = h.state().status().step;
    frames_until(&mut h, "training to go on", 30, |a| {
        a.status().step > step + 5
    });
    assert_eq!(h.state().status().run_id, run_id);
    assert_eq!(h.state().config().temperature, 0.2);

    // The good one opens as a fresh run that replays the change.
    h.state_mut().state.paths.scenario = path.display().to_string();
    h.run_steps(1);
    h.get_by_label("Open").click();
    frames_until(&mut h, "the scenario's run", 60, |a| {
        a.status().run_id != run_id
    });
    frames_until(&mut h, "the replayed change", 60, |a| {
        a.status()
            .events
            .iter()
            .any(|e| e.key().name() == "temperature" && e.new.text() == "0.2")
    });
}

#[test]
fn exports_write_the_projector_tsv_the_csvs_and_pngs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut h = harness(fast(), false);
    frames_until(&mut h, "some history", 120, |a| a.history().len() >= 3);
    h.get_by_label("Pause").click();
    frames_until(&mut h, "pause", 30, |a| a.status().paused);
    h.state_mut().files_open(FileWindow::Export);
    h.state_mut().state.paths.export_dir = dir.path().join("out").display().to_string();
    h.run_steps(2);
    let step = h.state().status().step;
    h.get_by_label("Embeddings (Projector TSV)").click();
    h.run_steps(2);
    let out = dir.path().join("out");
    let vectors =
        std::fs::read_to_string(out.join(format!("embeddings-step{step}.tsv"))).unwrap_or_default();
    let metadata = std::fs::read_to_string(out.join(format!("embeddings-step{step}-metadata.tsv")))
        .unwrap_or_default();
    assert_eq!(vectors.lines().count(), 300);
    assert_eq!(
        vectors.lines().next().map(|l| l.split('\t').count()),
        Some(32)
    );
    assert_eq!(metadata.lines().next(), Some("label\tclass\tsplit\tindex"));
    assert_eq!(metadata.lines().count(), 301);
    assert!(matches!(message(h.state()), Some(Ok(m)) if m.contains("embeddings-step")));

    h.get_by_label("Metrics + events (CSV)").click();
    h.run_steps(2);
    let metrics =
        std::fs::read_to_string(out.join(format!("metrics-step{step}.csv"))).unwrap_or_default();
    assert!(metrics.starts_with(
        "step,loss,std,std_ref,alignment,uniformity,rankme,knn_acc,pos_cos,neg_cos,temperature,mi_bound"
    ));
    assert_eq!(metrics.lines().count(), h.state().history().len() + 1);
    assert!(out.join(format!("events-step{step}.csv")).is_file());

    h.get_by_label("Whole window (PNG)").click();
    frames_until(
        &mut h,
        "the window PNG",
        30,
        |a| matches!(a.files().message, Some(Ok(ref m)) if m.contains("window-step")),
    );
    let png =
        image::open(out.join(format!("window-step{step}.png"))).unwrap_or_else(|e| panic!("{e}"));
    assert!(png.width() >= 1000 && png.height() >= 600);
}

/// A File window that trains on a dataset: the window, where its path goes, its button.
struct DatasetWindow {
    window: FileWindow,
    path: fn(&mut contrastive_lab::app::files::Paths) -> &mut String,
    button: &'static str,
}

/// In the app: `broken` is refused with a banner containing every `refusal` while the run goes on
/// on blobs; then `good` trains, with `classes` and a warning containing `warning`.
fn train_from_the_window(
    w: DatasetWindow,
    (broken, refusal): (&std::path::Path, &[&str]),
    (good, classes, warning): (&std::path::Path, &[&str], &str),
) {
    let mut h = harness(fast(), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 5);
    let run_step = h.state().status().step;
    let choose = |h: &mut egui_kittest::Harness<'_, contrastive_lab::app::LabApp>,
                  path: &std::path::Path| {
        h.state_mut().files_open(w.window);
        *(w.path)(&mut h.state_mut().state.paths) = path.display().to_string();
        h.run_steps(2);
        h.get_by_label(w.button).click();
    };
    choose(&mut h, broken);
    frames_until(&mut h, "the error banner", 60, |a| {
        a.status()
            .error
            .as_deref()
            .is_some_and(|e| refusal.iter().all(|r| e.contains(r)))
    });
    frames_until(&mut h, "training to go on", 30, |a| {
        a.status().step > run_step + 10
    });
    assert_eq!(h.state().config().dataset, DatasetKind::Blobs);
    h.get_by_label("dismiss").click();

    choose(&mut h, good);
    frames_until(&mut h, "the dataset's classes", 60, |a| {
        a.status().class_names == classes
    });
    h.run_steps(2);
    assert!(
        h.query_by_label_contains(warning).is_some(),
        "no warning {warning:?}"
    );
    let step = h.state().status().step;
    frames_until(&mut h, "training on the dataset", 60, |a| {
        a.status().step > step + 5
    });
}

#[test]
fn an_image_folder_from_the_app_trains_and_warns_and_an_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let images = dir.path().join("pets");
    image_folder(&images, 10);
    std::fs::write(images.join("squares").join("bad.jpg"), b"no jpeg here").unwrap_or_default();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap_or_default();
    train_from_the_window(
        DatasetWindow {
            window: FileWindow::ImageFolder,
            path: |p| &mut p.image_folder,
            button: "Use this folder",
        },
        (&empty, &["no class sub-folders"]),
        (
            &images,
            &["discs", "squares"],
            "1 unreadable image file(s) skipped",
        ),
    );
}

#[test]
fn a_csv_from_the_app_trains_and_warns_and_a_broken_one_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let good = dir.path().join("points.csv");
    let mut text = String::from("a,b,c,label\n");
    for i in 0..200 {
        let k = i % 2;
        text += &format!("{},{},{},{}\n", k * 4, i % 7, 1 - k, ["left", "right"][k]);
    }
    text += "1,2,not a number,left\n";
    std::fs::write(&good, text).unwrap_or_default();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "a,label\nx,1\n").unwrap_or_default();
    train_from_the_window(
        DatasetWindow {
            window: FileWindow::CsvFile,
            path: |p| &mut p.csv_file,
            button: "Use this file",
        },
        (&broken, &["broken.csv", "usable row"]),
        (&good, &["left", "right"], "1 malformed row(s) skipped"),
    );
}

// Lessons are files in the app too: a teacher's file opens (File → Open lesson) and is listed
// in the Lessons menu; a broken one is refused with its line, and the run goes on; "Save this
// as a lesson…" writes the run's start and changes with the card typed, which reads back the
// same.
#[test]
fn a_lesson_file_opens_and_a_run_saves_as_a_lesson_that_reads_back() {
    use contrastive_lab::lessons::Lesson;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut h = harness(fast(), false);
    frames_until(&mut h, "training to start", 120, |a| a.status().step >= 5);
    // A broken lesson file: refused, naming the file and its line; nothing else changes.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "lesson_version = 1\nid = \"x\"\ntitel = \"typo\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    h.state_mut().files_open(FileWindow::OpenLesson);
    h.state_mut().state.paths.lesson = broken.display().to_string();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(2);
    assert!(
        matches!(message(h.state()), Some(Err(m)) if m.contains("broken.toml") && m.contains("line 3")),
        "{:?}",
        message(h.state())
    );
    assert_eq!(h.state().lesson(), None);
    // A teacher's lesson: it starts, its card shows, the Lessons menu lists it.
    let mine = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lessons/my-collapse.toml"
    );
    h.state_mut().state.paths.lesson = mine.into();
    h.run_steps(2);
    h.get_by_label("Open").click();
    frames_until(&mut h, "the teacher's lesson", 60, |a| {
        a.status()
            .config
            .as_ref()
            .is_some_and(|c| c.method == Method::SimSiam)
    });
    assert_eq!(h.state().lesson(), Some("my-collapse"));
    assert!(
        h.query_by_label_contains("Lesson: My class: SimSiam loses its predictor")
            .is_some()
    );
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("My class: SimSiam loses its predictor")
            .is_some(),
        "the menu lists the opened lesson"
    );
    h.key_press(egui::Key::Escape);
    // Make a change by hand, then save the run as a lesson with a card of our own.
    h.state_mut()
        .set_setting(contrastive_lab::config::Setting::StopGradient(false));
    frames_until(&mut h, "the change", 30, |a| {
        a.status()
            .events
            .iter()
            .any(|e| e.key().name() == "stop_gradient")
    });
    let path = dir.path().join("saved-lesson.toml");
    h.state_mut().files_open(FileWindow::SaveLesson);
    {
        let app = h.state_mut();
        app.state.paths.lesson = path.display().to_string();
        let draft = &mut app.lesson_draft_mut();
        draft.id = "saved-in-class".into();
        draft.title = "Saved in class".into();
        draft.prompt = "What will the points do?".into();
        draft.choices = "meet\nnothing".into();
        draft.answer = 1;
    }
    h.run_steps(2);
    h.get_by_label("Save lesson").click();
    h.run_steps(2);
    assert!(
        matches!(message(h.state()), Some(Ok(m)) if m.contains("saved-lesson.toml")),
        "{:?}",
        message(h.state())
    );
    let saved = Lesson::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.id, "saved-in-class");
    assert_eq!(saved.question.choices, ["meet", "nothing"]);
    // The card kept the running lesson's text, which the draft started from.
    assert_eq!(saved.change, "Untick predictor.");
    let script = saved
        .scenario(true)
        .unwrap_or_else(|e| panic!("{e}"))
        .script;
    assert!(
        script
            .iter()
            .any(|s| s.setting.key().name() == "stop_gradient"),
        "the change made by hand is in the script: {script:?}"
    );
    assert_eq!(
        Lesson::from_toml(&saved.to_toml(), "again").ok(),
        Some(saved)
    );
}
