//! Lessons are files: every built-in is a file in `assets/lessons/` read by the public loader,
//! a lesson written back reads the same, a teacher's file runs with `run --lesson PATH` and
//! says whether it showed, and a malformed one is refused naming the file, the line and the
//! field at fault, before anything runs.

use contrastive_lab::lessons::{self, LESSONS, Lesson, Phenomenon, Question};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
}

fn lesson_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("assets/lessons"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_lesson_file_loads_and_is_the_built_in_lesson() {
    let files = lesson_files();
    assert_eq!(
        files.len(),
        LESSONS.len(),
        "a file is not among the built-ins"
    );
    assert!(LESSONS.len() >= 14);
    for path in files {
        let lesson = Lesson::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let built_in = lessons::find(&lesson.id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&lesson, built_in, "{}", path.display());
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(lesson.id.as_str()),
            "a lesson file is named after its id"
        );
        assert!(!lesson.shows.is_empty(), "{}: it checks nothing", lesson.id);
    }
}

#[test]
fn a_lesson_written_back_reads_the_same() {
    for lesson in LESSONS.iter() {
        let text = lesson.to_toml();
        let back = Lesson::from_toml(&text, &lesson.id).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, lesson);
    }
    // A lesson made from a run (as the app's "Save this as a lesson…" makes one).
    let start = lessons::find("simsiam-stop-gradient")
        .and_then(|l| l.scenario(true))
        .unwrap_or_else(|e| panic!("{e}"));
    let made = Lesson::new(
        "from-the-app",
        "Made in class, \"quoted\"",
        [
            "Untick stop-gradient.",
            "The points meet.",
            "No negatives.\nA second line.",
        ],
        Question {
            prompt: "What will happen?".into(),
            choices: vec!["collapse".into(), "nothing".into()],
            answer: 0,
            why: "Nothing holds the points apart.".into(),
        },
        Phenomenon::CompleteCollapse,
        start,
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("from-the-app.toml");
    made.save(&path).unwrap_or_else(|e| panic!("{e}"));
    let back = Lesson::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, made);
    assert_eq!(back.scenario(true).ok(), made.scenario(true).ok());
}

#[test]
fn a_teachers_lesson_runs_from_its_file_and_shows_against_its_control() {
    let path = Path::new(ROOT).join("tests/data/lessons/my-collapse.toml");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let o = bin()
        .args(["run", "--lesson", &path.to_string_lossy()])
        .args(["--out", &dir.path().to_string_lossy()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let said = String::from_utf8_lossy(&o.stdout);
    println!("{said}");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(said.contains("lesson: shown:"), "{said}");
    assert!(
        said.contains("the control's"),
        "the control was not read: {said}"
    );
    assert!(dir.path().join("scenario.toml").is_file());
}

/// `run --lesson FILE` on `text` fails before training, naming the file and saying `needles`.
fn refused(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("teacher.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("out");
    let o = bin()
        .args(["run", "--lesson", &path.to_string_lossy()])
        .args(["--out", &out.to_string_lossy()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("training"), "it ran: {stderr}");
    assert!(!out.exists(), "it wrote a run");
    for needle in ["teacher.toml"].iter().chain(needles) {
        assert!(stderr.contains(needle), "no `{needle}` in: {stderr}");
    }
}

#[test]
fn a_malformed_lesson_is_refused_naming_its_file_line_and_field() {
    let good = std::fs::read_to_string(Path::new(ROOT).join("tests/data/lessons/my-collapse.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let line_of = |needle: &str| {
        good.lines()
            .position(|l| l.starts_with(needle))
            .map(|i| format!("line {}", i + 1))
            .unwrap_or_else(|| panic!("{needle}"))
    };
    // A misspelt field, on its line.
    let misspelt = good.replace("title = ", "titel = ");
    refused(&misspelt, &[&line_of("title = "), "titel"]);
    // A metric no run reports, named, before it runs.
    let metric = good.replacen("metric = \"std_sqrt_d\"", "metric = \"std_sqrt_dd\"", 1);
    refused(
        &metric,
        &[
            &line_of("metric = "),
            "std_sqrt_dd",
            "is not a metric of simsiam",
        ],
    );
    // A metric of another method.
    let other = good.replacen("metric = \"std_sqrt_d\"", "metric = \"teacher_entropy\"", 1);
    refused(&other, &["teacher_entropy", "is not a metric of simsiam"]);
    // An answer that is not a choice.
    let answer = good.replace("answer = 2", "answer = 4");
    refused(&answer, &[&line_of("answer = "), "question.answer"]);
    // A bound that does not read.
    let bound = good.replace("\"0.3 * change\"", "\"0.3 times change\"");
    refused(&bound, &["0.3 times change"]);
    // Two relations in one check.
    let two = good.replacen("below = \"0.3 * change\"", "below = 0.2\nabove = 0.1", 1);
    refused(&two, &["exactly one of `below`"]);
    // An unknown phenomenon, and a setting the scenario does not know.
    refused(
        &good.replace("\"complete-collapse\"", "\"collapse\""),
        &["phenomenon"],
    );
    refused(
        &good.replace("seed = 1", "sead = 1"),
        &["[scenario]", "sead"],
    );
    // A lesson of a newer format.
    refused(
        &good.replace("lesson_version = 1", "lesson_version = 2"),
        &["lesson_version"],
    );
}

#[test]
fn the_lesson_format_is_documented_field_by_field() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/lessons.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    for field in [
        "lesson_version",
        "id",
        "title",
        "phenomenon",
        "[card]",
        "now",
        "watch",
        "why",
        "[question]",
        "prompt",
        "choices",
        "answer",
        "[scenario]",
        "script",
        "sweep",
        "[[shows]]",
        "metric",
        "at",
        "below",
        "above",
        "at_most",
        "at_least",
        "check",
        "change",
        "control",
        "start",
        "std_sqrt_d",
        "teacher_entropy_ratio",
    ] {
        assert!(
            doc.contains(&format!("`{field}`")),
            "docs/lessons.md does not explain `{field}`"
        );
    }
    for (_, name) in Phenomenon::ALL {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/lessons.md lacks phenomenon `{name}`"
        );
    }
}
