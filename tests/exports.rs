//! A CSV the way spreadsheets write them (a BOM, CRLF line ends, `;` separators, quoted class
//! names holding the separator, a comma, a tab and a quote) trains, and every file the run
//! writes gives the class names back as they were: the TSVs and CSVs through the csv crate's
//! quoting, the web page as text.

mod common;
use std::path::Path;
use std::process::Command;

/// The class names, each holding something a hand-written splitter would break on.
const NAMES: [&str; 3] = ["cats; big", "dogs, \"small\"", "birds\tall"];

fn spreadsheet_csv(path: &Path) {
    let mut text = String::from("\u{feff}x1;x2;x3;x4;species\r\n");
    for (row, k) in common::three_classes(9, 240) {
        let quoted = format!("\"{}\"", NAMES[k].replace('"', "\"\""));
        text += &format!("{};{quoted}\r\n", row.join(";"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// The column `name` of the table at `path` (separated by `sep`), read by the csv crate.
fn column(path: &Path, sep: u8, name: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().cloned().unwrap_or_default();
    let at = headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{}: no column {name} in {headers:?}", path.display()));
    reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .get(at)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn a_spreadsheets_csv_trains_and_its_class_names_come_back_from_every_export() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("animals.csv");
    spreadsheet_csv(&data);
    let out = dir.path().join("out");
    let page = dir.path().join("run.html");
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(["run", "--dataset", &format!("csv:{}", data.display())])
        .args(["--steps", "300", "--set", "probe_size=150", "--quiet"])
        .args([
            "--projection",
            "pca,sphere",
            "--html",
            &page.to_string_lossy(),
        ])
        .args(["--out", &out.to_string_lossy()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // It trained on the three classes: kNN well above chance (1/3).
    let knn: f64 = column(&out.join("metrics.csv"), b',', "knn_acc")
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(knn > 0.6, "kNN {knn}");
    // Every table names the classes exactly as the file did.
    for (file, sep) in [
        ("metadata.tsv", b'\t'),
        ("pca.tsv", b'\t'),
        ("sphere.tsv", b'\t'),
    ] {
        let mut classes = column(&out.join(file), sep, "class");
        classes.sort();
        classes.dedup();
        let mut want: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(classes, want, "{file}");
    }
    // The web page holds them as text (JSON strings in its data, never as markup).
    let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}"));
    for name in NAMES {
        let json = serde_json::to_string(name).unwrap_or_default();
        assert!(html.contains(&json), "the page lacks {json}");
    }
}

#[test]
fn values_that_hold_a_comma_are_quoted_in_events_csv() {
    use contrastive_lab::config::{DatasetKind, Setting};
    use contrastive_lab::train::Event;
    let event = Event {
        step: 10,
        old: Setting::Dataset(DatasetKind::Blobs),
        new: Setting::Dataset(
            "csv:/data/animals, 2026.csv"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        ),
    };
    let text = contrastive_lab::export::events_csv(&[event]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .unwrap_or_default();
    assert_eq!(row.get(3), Some("csv:/data/animals, 2026.csv"), "{text}");
    assert_eq!(row.len(), 4, "{text}");
}
