//! Property tests: real scenario, config and lesson files, mutated the ways files get damaged
//! (truncated, a byte flipped, a line deleted or repeated, a value made extreme), never make
//! the loader panic: each is loaded, or refused with a message that names the file.

use contrastive_lab::config::{Method, RunConfig};
use contrastive_lab::lessons::{LESSONS, Lesson};
use contrastive_lab::scenario::Scenario;
use proptest::prelude::*;

/// Real files: every lesson's scenario, every method's default config, a user's scenario.
fn originals() -> Vec<String> {
    let mut files: Vec<String> = LESSONS
        .iter()
        .filter_map(|l| l.scenario(true).ok())
        .map(|s| s.to_toml())
        .collect();
    files.extend(
        Method::ALL
            .iter()
            .map(|&m| RunConfig::for_method(m).to_toml()),
    );
    files
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    DeleteLine(usize),
    RepeatLine(usize),
    Extreme(usize, &'static str),
}

const EXTREMES: [&str; 10] = [
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "0",
    "-1",
    "18446744073709551616",
    "\"\"",
    "[1, 2]",
];

/// Every built-in lesson file, as shipped.
fn lesson_files() -> Vec<String> {
    contrastive_lab::lessons::builtin::FILES
        .iter()
        .map(|(_, text)| text.to_string())
        .collect()
}

/// Apply `mutations` to `original` in turn.
fn damaged(original: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.as_bytes().to_vec();
    for m in mutations {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        bytes = apply(&text, m);
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
        (any::<usize>(), 0..EXTREMES.len()).prop_map(|(i, k)| Mutation::Extreme(i, EXTREMES[k])),
    ]
}

fn apply(text: &str, m: &Mutation) -> Vec<u8> {
    let bytes = text.as_bytes();
    let lines: Vec<&str> = text.lines().collect();
    let line = |i: usize| i % lines.len().max(1);
    match *m {
        Mutation::Truncate(i) => bytes[..i % (bytes.len() + 1)].to_vec(),
        Mutation::Flip(i, b) => {
            let mut v = bytes.to_vec();
            if !v.is_empty() {
                let at = i % v.len();
                v[at] ^= b.max(1);
            }
            v
        }
        Mutation::DeleteLine(i) => {
            let k = line(i);
            let kept: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, l)| *l)
                .collect();
            kept.join("\n").into_bytes()
        }
        Mutation::RepeatLine(i) => {
            let k = line(i);
            let mut out: Vec<&str> = lines.clone();
            if let Some(l) = lines.get(k) {
                out.insert(k, l);
            }
            out.join("\n").into_bytes()
        }
        Mutation::Extreme(i, value) => {
            // The value of the i-th `key = value` line.
            let assignments: Vec<usize> = (0..lines.len())
                .filter(|&j| lines[j].contains(" = "))
                .collect();
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            if let Some(&j) = assignments.get(i % assignments.len().max(1))
                && let Some((key, _)) = lines[j].split_once(" = ")
            {
                out[j] = format!("{key} = {value}");
            }
            out.join("\n").into_bytes()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_mutated_file_is_loaded_or_refused_naming_the_file(
        which in 0usize..1000,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let files = originals();
        let bytes = damaged(&files[which % files.len()], &mutations);
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("damaged.toml");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Neither loader may panic (a panic fails the property); a refusal names the file.
        match Scenario::load(&path) {
            Ok(s) => prop_assert!(s.config.validate().is_ok()),
            Err(e) => prop_assert!(
                e.to_string().contains("damaged.toml"),
                "the message does not name the file: {e}"
            ),
        }
        match RunConfig::load(&path) {
            Ok(c) => prop_assert!(c.validate().is_ok()),
            Err(e) => prop_assert!(
                e.to_string().contains("damaged.toml"),
                "the message does not name the file: {e}"
            ),
        }
    }

    #[test]
    fn a_mutated_lesson_file_is_loaded_or_refused_naming_the_file_and_line(
        which in 0usize..1000,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let files = lesson_files();
        let bytes = damaged(&files[which % files.len()], &mutations);
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("damaged-lesson.toml");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match Lesson::load(&path) {
            // What loads is a lesson that starts: its scenario's config is valid.
            Ok(l) => prop_assert!(l.config().is_ok_and(|c| c.validate().is_ok())),
            Err(e) => {
                let e = e.to_string();
                prop_assert!(e.contains("damaged-lesson.toml"), "the message does not name the file: {e}");
                prop_assert!(
                    e.contains("line ") || e.contains("UTF-8"),
                    "the message does not say the line: {e}"
                );
            }
        }
    }
}

/// The originals themselves load (else every mutation would trivially be refused).
#[test]
fn the_unmutated_files_load() {
    for (name, text) in contrastive_lab::lessons::builtin::FILES {
        Lesson::from_toml(text, name).unwrap_or_else(|e| panic!("{e}"));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (i, text) in originals().iter().enumerate() {
        let path = dir.path().join(format!("{i}.toml"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        Scenario::load(&path).unwrap_or_else(|e| panic!("file {i}: {e}"));
    }
}
