//! Scenario files and your own image folders: what a teacher prepares and shares must load
//! back exactly, and bad files must be refused with a message while nothing else changes.

mod common;
use common::image_folder;
use contrastive_lab::config::{RunConfig, Setting};
use contrastive_lab::data::Source;
use contrastive_lab::data::folder::ImageFolder;
use contrastive_lab::scenario::{Scenario, ScriptStep};
use contrastive_lab::train::{Session, TrainDevice};

fn demo() -> Scenario {
    let mut config = RunConfig::for_method("simsiam".parse().unwrap_or_else(|e| panic!("{e}")));
    config.seed = 7;
    config.steps = 40;
    config.snapshot_every = 10;
    let mut s = Scenario::new(config);
    s.title = "SimSiam \"without\" stop-gradient".into();
    s.description = "two lines\nof text".into();
    s.script = vec![
        ScriptStep {
            step: 10,
            setting: Setting::StopGradient(false),
        },
        ScriptStep {
            step: 20,
            setting: Setting::Lr(0.01),
        },
    ];
    s
}

fn err_text(r: contrastive_lab::error::Result<Scenario>) -> String {
    match r {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_scenario_survives_save_and_load_and_replays_its_script() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("demo.toml");
    let s = demo();
    s.save(&path).unwrap_or_else(|e| panic!("{e}"));
    let back = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, s);
    // A plain config file (a run's config.toml) is a scenario without a script.
    let plain =
        Scenario::from_toml(&s.config.to_toml(), "config.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.config, s.config);
    assert!(plain.script.is_empty());

    // Replaying: the script's changes happen at their steps, logged as events.
    let mut session =
        Session::from_scenario(&back, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..30 {
        let _ = session.step().unwrap_or_else(|e| panic!("{e}"));
    }
    let ev: Vec<(usize, &str, String)> = session
        .events()
        .iter()
        .map(|e| (e.step, e.key().name(), e.new.text()))
        .collect();
    assert_eq!(
        ev,
        vec![
            (10, "stop_gradient", "false".to_string()),
            (20, "lr", "0.01".to_string())
        ]
    );
    assert!(!session.config().stop_gradient);

    // What the app saves after a demonstration replays it: the start config and the changes.
    let saved =
        Scenario::from_run(session.config(), session.events()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.config, s.config);
    assert_eq!(saved.script, s.script);
}

#[test]
fn corrupt_truncated_and_wrong_version_files_are_refused_with_the_reason() {
    let text = demo().to_toml();
    let e = err_text(Scenario::from_toml(
        "method = \"simclr\"\ntemperature = [1, 2\n",
        "bad.toml",
    ));
    assert!(e.contains("bad.toml"), "{e}");
    // Cut short mid-line (invalid TOML) and at a line end (valid TOML, but no `end = true`).
    let e = err_text(Scenario::from_toml(&text[..text.len() / 2], "cut.toml"));
    assert!(e.contains("cut.toml"), "{e}");
    let at_line = &text[..text.rfind("end = true").unwrap_or(0)];
    let e = err_text(Scenario::from_toml(at_line, "cut.toml"));
    assert!(e.contains("truncated"), "{e}");
    let e = err_text(Scenario::from_toml(
        &text.replace("scenario_version = 1", "scenario_version = 9"),
        "new.toml",
    ));
    assert!(e.contains("version 9"), "{e}");
    let e = err_text(Scenario::from_toml(
        &text.replace("key = \"lr\"", "key = \"learning_speed\""),
        "key.toml",
    ));
    assert!(e.contains("learning_speed"), "{e}");
    let e = err_text(Scenario::from_toml(
        &text.replace("value = \"0.01\"", "value = \"-3\""),
        "lr.toml",
    ));
    assert!(e.contains("step 20") && e.contains("lr"), "{e}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let binary = dir.path().join("x.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x12]).unwrap_or_else(|e| panic!("{e}"));
    assert!(err_text(Scenario::load(&binary)).contains("UTF-8"));
}

#[test]
fn an_interrupted_save_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("lesson.toml");
    let first = demo();
    first.save(&path).unwrap_or_else(|e| panic!("{e}"));
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    // A save that dies while writing: here the temporary file cannot be created.
    let tmp = dir
        .path()
        .join(format!("lesson.toml.{}.tmp", std::process::id()));
    std::fs::create_dir(&tmp).unwrap_or_else(|e| panic!("{e}"));
    let mut second = demo();
    second.config.seed = 99;
    assert!(second.save(&path).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), before);
    assert_eq!(
        Scenario::load(&path).unwrap_or_else(|e| panic!("{e}")),
        first
    );
    // A half-written temporary file left by a crash does not matter either.
    std::fs::remove_dir(&tmp).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&tmp, "scenario_version = 1\nmeth").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        Scenario::load(&path).unwrap_or_else(|e| panic!("{e}")),
        first
    );
    second.save(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        Scenario::load(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .config
            .seed,
        99
    );
}

#[test]
fn an_image_folder_trains_and_counts_its_unreadable_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    image_folder(dir.path(), 12);
    std::fs::write(
        dir.path().join("discs").join("broken.png"),
        b"not a png at all",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("discs").join("notes.txt"),
        b"ignored, not counted",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let folder = ImageFolder::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folder.len(), 24);
    assert_eq!(
        folder.class_names(),
        &["discs".to_string(), "squares".to_string()]
    );
    assert_eq!(folder.skipped().len(), 1);
    let warning = folder.warning().unwrap_or_default();
    assert!(
        warning.starts_with("1 unreadable") && warning.contains("broken.png"),
        "{warning}"
    );

    let mut c = RunConfig::for_method("simclr".parse().unwrap_or_else(|e| panic!("{e}")));
    c.set("dataset", &format!("folder:{}", dir.path().display()))
        .unwrap_or_else(|e| panic!("{e}"));
    c.batch_size = 16;
    let mut session = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let first = session.snapshot().unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..20 {
        assert!(session.step().unwrap_or_else(|e| panic!("{e}")).is_ok());
    }
    let last = session.snapshot().unwrap_or_else(|e| panic!("{e}"));
    assert!(last.loss.is_finite() && last.labels.len() == 24);
    assert_ne!(first.z, last.z, "the encoder did not change");
}

#[test]
fn an_empty_or_missing_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let e = ImageFolder::load(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("no class sub-folders"), "{e}");
    std::fs::create_dir(dir.path().join("cats")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("cats").join("a.jpg"), b"garbage")
        .unwrap_or_else(|e| panic!("{e}"));
    let e = ImageFolder::load(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("0 readable") && e.contains("1 skipped"), "{e}");
    let e = ImageFolder::load(&dir.path().join("nope"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("does not exist"), "{e}");
    // A session on it fails to start, with that message.
    let mut c = RunConfig::default();
    c.set(
        "dataset",
        &format!("folder:{}", dir.path().join("nope").display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = Session::new(c, TrainDevice::cpu())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn a_comparison_scenario_saves_and_reopens_exactly_and_a_bad_one_is_refused() {
    use contrastive_lab::scenario::CompareSpec;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("compare.toml");
    let mut s = demo();
    s.compare = Some(CompareSpec {
        changes: vec![Setting::Predictor(false), Setting::Lr(0.02)],
        fork_at: Some(15),
    });
    s.save(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Scenario::load(&path).ok(), Some(s.clone()));
    s.compare = Some(CompareSpec {
        changes: vec![Setting::StopGradient(false)],
        fork_at: None,
    });
    s.save(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Scenario::load(&path).ok(), Some(s.clone()));

    let good = s.to_toml();
    for (bad, expect) in [
        (
            good.replace("key = \"stop_gradient\"", "key = \"nonsense\""),
            "unknown setting",
        ),
        (
            good.replace("value = \"false\" }] }", "value = \"maybe\" }] }"),
            "compare change 1",
        ),
        (
            good.replace("compare = {", "compare = { fork_at = -3,"),
            "fork_at",
        ),
        (
            good.replace("compare = {", "compare = { colour = 1,"),
            "unknown key `colour`",
        ),
        (
            good.replace("compare = { changes", "compare = { changes = 3, other"),
            "compare",
        ),
    ] {
        let e = err_text(Scenario::from_toml(&bad, "class.toml"));
        assert!(
            e.contains("class.toml") && e.contains(expect),
            "{expect}: {e}"
        );
    }
}

#[test]
fn a_sweep_scenario_survives_save_and_load_and_bad_sweeps_name_the_file() {
    use contrastive_lab::config::Key;
    use contrastive_lab::sweep::SweepSpec;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("sweep.toml");
    let mut s = demo();
    s.sweep = Some(
        SweepSpec::new(Key::Lr, vec!["0.001".into(), "0.01".into()], 3)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    s.save(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Scenario::load(&path).unwrap_or_else(|e| panic!("{e}")), s);

    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let line = text
        .lines()
        .find(|l| l.starts_with("sweep = "))
        .unwrap_or_default()
        .to_string();
    for (bad, needle) in [
        ("sweep = 3", "`sweep` must be a table"),
        (
            "sweep = { key = \"lr\", values = [\"0.1\"] }",
            "2 to 64 values",
        ),
        (
            "sweep = { key = \"nope\", values = [\"1\", \"2\"] }",
            "nope",
        ),
        ("sweep = { key = \"lr\", values = [\"0.1\", \"-5\"] }", "-5"),
        (
            "sweep = { key = \"lr\", values = [\"0.1\", \"0.2\"], seeds = 0 }",
            "seeds",
        ),
        (
            "sweep = { key = \"lr\", values = [\"0.1\", \"0.2\"], colour = 1 }",
            "colour",
        ),
        (
            "sweep = { key = \"lr\", values = [\"0.1\", \"0.2\"] }\ncompare = { changes = [] }",
            "not both",
        ),
    ] {
        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, text.replace(&line, bad)).unwrap_or_else(|e| panic!("{e}"));
        let e = err_text(Scenario::load(&broken));
        assert!(
            e.contains("broken.toml") && e.contains(needle),
            "{bad}: {e}"
        );
    }
}
