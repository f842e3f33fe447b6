//! Two runs one change apart: a fork with no change trains on bit for bit as its parent, and a
//! comparison shows the change's effect (headless and through the session API).

mod common;
use common::config;
use contrastive_lab::config::Method;
use contrastive_lab::train::{Session, TrainDevice};
use std::collections::HashMap;
use std::process::Command;

fn steps(s: &mut Session, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            s.step()
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|i| panic!("{i}"))
                .to_bits()
        })
        .collect()
}

#[test]
fn a_fork_with_no_change_is_bit_identical_to_its_parent_for_every_method() {
    for method in Method::ALL {
        let dataset = if method == Method::Clip {
            "shapes"
        } else {
            "blobs"
        };
        let c = config(
            method.name(),
            dataset,
            1000,
            &[
                ("batch_size", "32"),
                ("probe_size", "100"),
                ("queue_size", "128"),
            ],
        );
        let mut a = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
        steps(&mut a, 12);
        let mut b = a.fork();
        // Train B first: a fork must not share anything A's later steps depend on.
        let losses_b = steps(&mut b, 12);
        let losses_a = steps(&mut a, 12);
        assert_eq!(losses_a, losses_b, "{method}: losses differ after the fork");
        let (sa, sb) = (
            a.snapshot().unwrap_or_else(|e| panic!("{e}")),
            b.snapshot().unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(sa.z, sb.z, "{method}: embeddings differ after the fork");
        assert_eq!(sa.extras, sb.extras, "{method}");
    }
}

fn run(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not start the binary: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{args:?}: {text}");
    text
}

/// compare.csv as one map per row, column name → text.
fn read_compare(dir: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("compare.csv")).unwrap_or_else(|e| panic!("{e}"));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn a_headless_fork_with_no_change_matches_run_a_from_the_fork_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().to_str().unwrap_or_default();
    run(&[
        "run",
        "--method",
        "byol",
        "--steps",
        "60",
        "--fork-at",
        "25",
        "--set",
        "batch_size=32",
        "--set",
        "probe_size=100",
        "--set",
        "snapshot_every=10",
        "--out",
        out,
        "--quiet",
    ]);
    let rows = read_compare(dir.path());
    assert_eq!(rows.len(), 7, "steps 0, 10, …, 60");
    for row in &rows {
        for (name, value) in row {
            if let Some(metric) = name.strip_prefix("a_") {
                assert_eq!(
                    Some(value),
                    row.get(&format!("b_{metric}")),
                    "step {}: {metric}",
                    row["step"]
                );
            }
        }
        assert_eq!(row["neighbour_agreement"], "1", "step {}", row["step"]);
    }
    // Both folders hold what `run` writes; B's scenario replays it.
    for sub in ["a", "b"] {
        for file in [
            "metrics.csv",
            "events.csv",
            "config.toml",
            "embeddings.tsv",
            "metadata.tsv",
        ] {
            assert!(dir.path().join(sub).join(file).exists(), "{sub}/{file}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a/metrics.csv")).ok(),
        std::fs::read_to_string(dir.path().join("b/metrics.csv")).ok()
    );
}

#[test]
fn a_comparison_scenario_runs_the_same_comparison_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = dir.path().join("first");
    run(&[
        "run",
        "--method",
        "simclr",
        "--steps",
        "40",
        "--fork-at",
        "20",
        "--compare",
        "temperature=0.1",
        "--set",
        "batch_size=32",
        "--set",
        "probe_size=100",
        "--out",
        first.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let scenario = first.join("scenario.toml");
    let text = std::fs::read_to_string(&scenario).unwrap_or_default();
    assert!(
        text.contains(
            "compare = { fork_at = 20, changes = [{ key = \"temperature\", value = \"0.1\" }] }"
        ),
        "{text}"
    );
    let again = dir.path().join("again");
    run(&[
        "run",
        "--config",
        scenario.to_str().unwrap_or_default(),
        "--out",
        again.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    let read =
        |d: &std::path::Path| std::fs::read_to_string(d.join("compare.csv")).unwrap_or_default();
    assert!(!read(&first).is_empty());
    assert_eq!(read(&first), read(&again));
}

#[test]
fn comparing_simsiam_without_stop_gradient_collapses_b_while_a_stays_healthy() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().to_str().unwrap_or_default();
    let summary = run(&[
        "run",
        "--method",
        "simsiam",
        "--dataset",
        "blobs",
        "--steps",
        "500",
        "--set",
        "snapshot_every=100",
        "--compare",
        "stop_gradient=false",
        "--out",
        out,
    ]);
    assert!(summary.contains("B: stop_gradient = false"), "{summary}");
    assert!(
        summary.contains("differences at the end (step 500)"),
        "{summary}"
    );
    let rows = read_compare(dir.path());
    let header: Vec<&String> = rows[0].keys().collect();
    for column in [
        "step",
        "a_loss",
        "a_std",
        "a_knn_acc",
        "a_pred_cos",
        "b_loss",
        "b_std",
        "b_pred_cos",
        "neighbour_agreement",
    ] {
        assert!(rows[0].contains_key(column), "no {column} in {header:?}");
    }
    let last = rows.last().unwrap_or_else(|| panic!("no rows"));
    let num = |k: &str| last[k].parse::<f64>().unwrap_or(f64::NAN);
    let spread = |prefix: &str| num(&format!("{prefix}std")) * 32f64.sqrt();
    assert!(
        spread("a_") >= 0.5,
        "A should stay spread: {}",
        spread("a_")
    );
    assert!(spread("b_") < 0.1, "B should collapse: {}", spread("b_"));
    assert!(num("b_loss") < -0.99, "B's loss {}", num("b_loss"));
    // Step 0: same seed, same initial weights, so the same random embedding.
    assert_eq!(rows[0]["neighbour_agreement"], "1");
    assert!(num("neighbour_agreement") < 0.9);
    let events = std::fs::read_to_string(dir.path().join("b/config.toml")).unwrap_or_default();
    assert!(events.contains("stop_gradient = false"), "{events}");
}

#[test]
fn bad_comparisons_are_clear_errors() {
    for (args, expect) in [
        (vec!["--compare", "stop_gradient"], "expected key=value"),
        (vec!["--compare", "nonsense=1"], "unknown setting"),
        (vec!["--compare", "temperature=-1"], "temperature"),
        (vec!["--fork-at", "500"], "--fork-at"),
    ] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut all = vec!["run", "--steps", "20", "--quiet", "--out"];
        all.push(dir.path().to_str().unwrap_or_default());
        all.extend(args.iter().copied());
        let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
            .args(&all)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{all:?}: {text}");
        assert!(
            text.contains(expect) && !text.contains("panicked"),
            "{all:?}: {text}"
        );
    }
}

/// Each method's file declares its numbers (the `metrics.csv` columns) and measures them on the
/// probe: a snapshot holds exactly those, in that order, all finite, with what its views draw.
#[test]
fn every_method_measures_the_numbers_its_spec_declares_in_order() {
    use contrastive_lab::methods::spec;
    for method in Method::ALL {
        let dataset = method
            .required_dataset()
            .map_or("blobs".into(), |d| d.to_string());
        let c = config(
            method.name(),
            &dataset,
            1000,
            &[("batch_size", "32"), ("probe_size", "100")],
        );
        let mut s = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
        steps(&mut s, 3);
        let snap = s.snapshot().unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = snap.extras.iter().map(|(m, _)| *m).collect();
        assert_eq!(names, spec(method).metrics, "{method}");
        assert!(
            snap.extras.iter().all(|(_, v)| v.is_finite()),
            "{method}: {:?}",
            snap.extras
        );
        let draws_forces = matches!(method, Method::Moco | Method::Byol | Method::SimSiam);
        assert_eq!(snap.forces.is_some(), draws_forces, "{method}: forces");
        assert_eq!(snap.prototypes.is_some(), method.is_dino(), "{method}");
        assert_eq!(snap.prompts.is_some(), method == Method::Clip, "{method}");
    }
}
