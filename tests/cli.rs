//! The command line as scripts use it: files and columns, reproducible configs, and clear
//! errors (never a panic) on bad input.

mod common;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not start the binary: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn run_writes_every_file_with_the_promised_columns_and_reruns_identically() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("a");
    let o = run(&[
        "run",
        "--method",
        "simclr",
        "--dataset",
        "blobs",
        "--steps",
        "20",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap_or_default(),
        "--set",
        "snapshot_every=10",
        "--set",
        "temperature=0.2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let metrics = read(&out.join("metrics.csv"));
    let header: Vec<&str> = metrics
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .collect();
    for col in [
        "step",
        "loss",
        "std",
        "std_ref",
        "alignment",
        "uniformity",
        "rankme",
        "knn_acc",
        "pos_cos",
        "neg_cos",
        "rankme_h",
    ] {
        assert!(header.contains(&col), "metrics.csv lacks {col}: {header:?}");
    }
    assert_eq!(metrics.lines().count(), 1 + 3, "rows at steps 0, 10, 20");
    assert!(read(&out.join("events.csv")).starts_with("step,key,old,new"));
    let config = read(&out.join("config.toml"));
    assert!(
        config.contains("temperature = 0.2") && config.contains("seed = 3"),
        "{config}"
    );
    let emb = read(&out.join("embeddings.tsv"));
    let meta = read(&out.join("metadata.tsv"));
    assert_eq!(emb.lines().count(), 1000);
    assert_eq!(
        emb.lines().next().unwrap_or_default().split('\t').count(),
        32
    );
    assert_eq!(meta.lines().count(), 1001);
    assert!(meta.starts_with("label\tclass"));

    // Re-running the written config reproduces the metrics exactly.
    let again = dir.path().join("b");
    let o = run(&[
        "run",
        "--config",
        out.join("config.toml").to_str().unwrap_or_default(),
        "--out",
        again.to_str().unwrap_or_default(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(metrics, read(&again.join("metrics.csv")));
}

fn assert_clean_failure(args: &[&str], expect: &[&str]) {
    let o = run(args);
    let t = text(&o);
    assert!(!o.status.success(), "{args:?} should fail: {t}");
    assert!(!t.contains("panicked"), "{args:?} panicked: {t}");
    for e in expect {
        assert!(t.contains(e), "{args:?}: message lacks `{e}`: {t}");
    }
}

#[test]
fn bad_input_gives_clear_errors_and_no_panic() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().to_str().unwrap_or_default().to_string();
    let base = ["run", "--steps", "5", "--quiet", "--out", out.as_str()];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (with(&["--method", "simclr2"]), vec!["method", "simclr2"]),
        (with(&["--dataset", "cifar"]), vec!["dataset", "cifar"]),
        (
            with(&["--set", "temperature=0"]),
            vec!["temperature", "between 0.001 and 100"],
        ),
        (with(&["--set", "temperature=-1"]), vec!["temperature"]),
        (with(&["--set", "batch_size=1"]), vec!["batch_size"]),
        (with(&["--set", "bogus=1"]), vec!["unknown setting `bogus`"]),
        (with(&["--set", "lr"]), vec!["key=value"]),
        (with(&["--set", "lr=fast"]), vec!["lr", "fast"]),
        (
            with(&["--method", "clip", "--dataset", "blobs"]),
            vec!["CLIP"],
        ),
        (with(&["--config", "/nonexistent/x.toml"]), vec!["x.toml"]),
        (with(&["--device", "tpu"]), vec!["device"]),
        (with(&["--projection", "umap"]), vec!["projection", "umap"]),
        (
            with(&["--projection", "tsne", "--perplexity", "500"]),
            vec!["perplexity"],
        ),
    ];
    for (args, expect) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_clean_failure(&refs, &expect);
    }
    let corrupt = dir.path().join("corrupt.toml");
    std::fs::write(&corrupt, "method = \"simclr\"\ntemperature = [1, 2\n").unwrap_or_default();
    assert_clean_failure(
        &[
            "run",
            "--config",
            corrupt.to_str().unwrap_or_default(),
            "--quiet",
            "--out",
            &out,
        ],
        &["corrupt.toml"],
    );
}

#[test]
fn an_absurd_learning_rate_is_caught_and_reported() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let o = run(&[
        "run",
        "--method",
        "simclr",
        "--steps",
        "50",
        "--quiet",
        "--set",
        "lr=1e6",
        "--set",
        "optimizer=sgd",
        "--out",
        dir.path().to_str().unwrap_or_default(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(
        t.contains("lr = 1000000") && (t.contains("diverged") || t.contains("non-finite")),
        "{t}"
    );
    assert!(t.contains("restored"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    // What ran before the incident is still written.
    assert!(dir.path().join("metrics.csv").is_file());
}

#[test]
fn settings_lists_every_documented_key() {
    let o = run(&["settings"]);
    assert!(o.status.success());
    let t = text(&o);
    for key in [
        "temperature",
        "lr",
        "batch_size",
        "out_dim",
        "projector_bn",
        "momentum",
        "queue_size",
        "augment_strength",
        "snapshot_every",
    ] {
        assert!(t.contains(key), "settings lacks {key}");
    }
}

#[test]
fn projection_writes_the_final_pca_and_tsne_layouts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("p");
    let o = run(&[
        "run",
        "--steps",
        "30",
        "--set",
        "probe_size=300",
        "--projection",
        "pca,tsne,sphere",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("tsne.tsv"), "the summary names the files");
    assert!(
        text(&o).contains("sphere.tsv"),
        "the summary names the files"
    );
    let metadata = read(&out.join("metadata.tsv"));
    // The sphere view is on the fixed scale of the unit circle.
    for line in read(&out.join("sphere.tsv")).lines().skip(1) {
        let xy: Vec<f32> = line
            .split('\t')
            .take(2)
            .map(|v| v.parse().unwrap_or(f32::NAN))
            .collect();
        assert!(
            xy[0].hypot(xy[1]) <= 1.0 + 1e-5,
            "off the unit disc: {line}"
        );
    }
    for file in ["pca.tsv", "tsne.tsv", "sphere.tsv"] {
        let tsv = read(&out.join(file));
        let mut lines = tsv.lines();
        assert_eq!(lines.next(), Some("x\ty\tlabel\tclass"), "{file} header");
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.len(), 300, "{file}: one row per probe point");
        for (row, meta) in rows.iter().zip(metadata.lines().skip(1)) {
            assert_eq!(row.len(), 4, "{file}: {row:?}");
            assert!(row[0].parse::<f32>().is_ok_and(f32::is_finite), "{row:?}");
            assert!(row[1].parse::<f32>().is_ok_and(f32::is_finite), "{row:?}");
            // The same label and class as the Embedding Projector metadata, in the same order.
            assert!(
                meta.starts_with(&format!("{}\t{}\t", row[2], row[3])),
                "{row:?} vs {meta}"
            );
        }
    }
}

#[test]
fn bench_tsne_prints_its_contract_line() {
    let o = run(&["bench", "tsne", "--n", "200", "--iters", "5", "--no-torch"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    let line = t
        .lines()
        .find(|l| l.starts_with("bench tsne n=200 ms_per_iter="))
        .unwrap_or_else(|| panic!("no contract line in {t}"));
    let ms: f64 = line
        .rsplit('=')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("unparsable {line}"));
    assert!(ms > 0.0 && ms.is_finite());
    assert_clean_failure(&["bench", "umap"], &["tsne"]);
    assert_clean_failure(&["bench", "tsne", "--n", "2"], &["at least 3"]);
}

#[test]
fn lessons_are_listed_and_run_headless_with_their_scripted_change() {
    let o = run(&["lessons"]);
    assert!(o.status.success(), "{}", text(&o));
    let listing = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(listing.lines().count() >= 7, "{listing}");
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("simsiam-stop-gradient ") && l.contains("SimSiam")),
        "{listing}"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("lesson");
    let o = run(&[
        "run",
        "--lesson",
        "dino-sharpening",
        "--steps",
        "300",
        "--set",
        "snapshot_every=50",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("lesson: shown"), "{}", text(&o));
    let events = read(&out.join("events.csv"));
    assert!(events.contains("100,sharpening,true,false"), "{events}");
    // scenario.toml replays the run exactly (config.toml is the config at its end).
    let again = dir.path().join("again");
    let scenario = out.join("scenario.toml");
    let o = run(&[
        "run",
        "--config",
        scenario.to_str().unwrap_or_default(),
        "--quiet",
        "--out",
        again.to_str().unwrap_or_default(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        read(&out.join("metrics.csv")),
        read(&again.join("metrics.csv"))
    );
    assert_eq!(events, read(&again.join("events.csv")));

    assert_clean_failure(
        &["run", "--lesson", "nope", "--quiet"],
        &["lesson", "simsiam-stop-gradient"],
    );
    let truncated = dir.path().join("cut.toml");
    let text_full = read(&scenario);
    std::fs::write(
        &truncated,
        &text_full[..text_full.rfind("end = true").unwrap_or(0)],
    )
    .unwrap_or_default();
    assert_clean_failure(
        &[
            "run",
            "--config",
            truncated.to_str().unwrap_or_default(),
            "--quiet",
        ],
        &["cut.toml", "truncated"],
    );
    let missing = dir.path().join("no-such-folder");
    assert_clean_failure(
        &[
            "run",
            "--dataset",
            &format!("folder:{}", missing.display()),
            "--quiet",
            "--out",
            out.to_str().unwrap_or_default(),
        ],
        &["no-such-folder", "does not exist"],
    );
}

#[test]
fn bench_points_prints_the_renderer_frame_cost() {
    let o = run(&["bench", "points", "--n", "2000", "--frames", "2"]);
    if !o.status.success() && std::env::var_os("CONTRASTIVE_LAB_SKIP_WGPU").is_some() {
        return;
    }
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.lines()
            .any(|l| l.starts_with("bench points n=2000 ms_per_frame=") && l.contains(" fps=")),
        "{t}"
    );
}

/// `metrics.csv` gains `mi_bound` for the InfoNCE methods: ln N − loss, N the candidates of each
/// anchor's softmax (SimCLR 2B − 1, MoCo K + 1, CLIP B).
#[test]
fn metrics_csv_has_the_infonce_bound() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (method, sets, n) in [
        ("simclr", "batch_size=32", 63.0f64),
        ("moco", "queue_size=100", 101.0),
        ("clip", "batch_size=16", 16.0),
    ] {
        let metrics = small_run(dir.path(), method, &["--set", sets]);
        let mut lines = metrics.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .unwrap_or_else(|| panic!("{method}: no {name} in {header:?}"))
        };
        let (loss, bound) = (col("loss"), col("mi_bound"));
        for line in lines {
            let v: Vec<f64> = line
                .split(',')
                .map(|x| x.parse().unwrap_or(f64::NAN))
                .collect();
            assert!(
                (v[bound] - (n.ln() - v[loss])).abs() < 1e-9,
                "{method}: mi_bound {} vs ln {n} - {}",
                v[bound],
                v[loss]
            );
            assert!(v[bound] <= n.ln());
        }
    }
    // The other methods have no N-way softmax, and no such column.
    assert!(!small_run(dir.path(), "byol", &[]).contains("mi_bound"));
}

/// `metrics.csv` of a 10-step run of `method` on a 100-sample probe, in `root/<method>`.
fn small_run(root: &Path, method: &str, extra: &[&str]) -> String {
    let out = root.join(method);
    let mut args = vec![
        "run",
        "--method",
        method,
        "--steps",
        "10",
        "--set",
        "probe_size=100",
        "--quiet",
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o));
    read(&out.join("metrics.csv"))
}

/// The app's flags work without the `app` subcommand (here: a bad one is refused by the app's
/// own check, which proves the flag reached it).
#[test]
fn app_flags_work_without_the_subcommand() {
    let o = run(&["--renderer", "nonsense", "--fresh"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unknown renderer `nonsense`"),
        "{}",
        text(&o)
    );
    let o = run(&["--lesson", "no-such-lesson", "--config", "x.toml"]);
    assert!(!o.status.success(), "--lesson and --config conflict");
}

/// The summary lists what this run wrote, not what an earlier run left in the folder.
#[test]
fn the_summary_names_only_the_files_this_run_wrote() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("again");
    let args = |projection: bool| {
        let mut a = vec![
            "run",
            "--steps",
            "5",
            "--set",
            "probe_size=100",
            "--out",
            out.to_str().unwrap_or_default(),
        ];
        if projection {
            a.extend(["--projection", "pca"]);
        }
        a
    };
    let first = run(&args(true));
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("pca.tsv"));
    let second = run(&args(false));
    assert!(second.status.success(), "{}", text(&second));
    assert!(out.join("pca.tsv").is_file(), "the earlier file stays");
    assert!(
        !text(&second).contains("pca.tsv"),
        "the summary claims a file it did not write: {}",
        text(&second)
    );
}

/// `--dataset csv:PATH`: your own vectors train (three separated classes, a few broken rows
/// skipped and counted in the warning); a file with no usable rows is refused naming it.
#[test]
fn a_csv_of_vectors_trains_and_a_broken_one_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut csv = String::from("x1,x2,x3,x4,species\n");
    for (row, k) in common::three_classes(5, 300) {
        csv += &format!(
            "{},{}\n",
            row.join(","),
            ["setosa", "versicolor", "virginica"][k]
        );
    }
    csv += "1,2,three,4,setosa\n1,2,3\n";
    let good = dir.path().join("flowers.csv");
    std::fs::write(&good, csv).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("out");
    let o = run(&[
        "run",
        "--dataset",
        &format!("csv:{}", good.display()),
        "--steps",
        "150",
        "--set",
        "probe_size=200",
        "--out",
        out.to_str().unwrap_or_default(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("2 malformed row(s) skipped"), "{t}");
    let metrics = read(&out.join("metrics.csv"));
    let last = metrics.lines().last().unwrap_or_default();
    let knn: f64 = last
        .split(',')
        .nth(7)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(knn > 0.8, "kNN on three separated classes: {last}");
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "a,b,label\nx,y,1\n,,\n").unwrap_or_else(|e| panic!("{e}"));
    assert_clean_failure(
        &[
            "run",
            "--dataset",
            &format!("csv:{}", broken.display()),
            "--quiet",
            "--out",
            out.to_str().unwrap_or_default(),
        ],
        &["broken.csv", "usable row"],
    );
}

// `run --sweep`: one run per value and seed, each the very run `run --set` makes, and
// `sweep.csv` holding each run's last metrics row; bad sweeps get an error naming `--sweep`.

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", text(o));
}

#[test]
fn a_sweep_is_the_runs_made_one_by_one_and_its_csv_holds_their_last_rows() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("sweep");
    let out_s = out.to_string_lossy().to_string();
    let common = ["--method", "simclr", "--dataset", "blobs", "--steps", "200"];
    let mut args = vec!["run", "--sweep", "temperature=0.1,0.5", "--seeds", "2"];
    args.extend(common);
    args.extend(["--out", &out_s]);
    let o = run(&args);
    ok(&o);
    let summary = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        summary.contains("sweep of temperature over 2 values"),
        "{summary}"
    );
    assert!(summary.contains('*'), "the best value is marked: {summary}");

    let csv = read(&out.join("sweep.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "a header and a row per run:\n{csv}");
    assert!(
        lines[0].starts_with("key,value,seed,step,loss,"),
        "{}",
        lines[0]
    );
    let mut row = 1;
    for value in ["0.1", "0.5"] {
        for seed in ["0", "1"] {
            let run_dir = out
                .join(format!("temperature={value}"))
                .join(format!("seed{seed}"));
            let alone = dir.path().join(format!("alone-{value}-{seed}"));
            let set = format!("temperature={value}");
            let alone_s = alone.to_string_lossy().to_string();
            let mut one = vec!["run", "--set", &set, "--seed", seed, "--quiet"];
            one.extend(common);
            one.extend(["--out", &alone_s]);
            ok(&run(&one));
            let metrics = read(&run_dir.join("metrics.csv"));
            assert_eq!(
                metrics,
                read(&alone.join("metrics.csv")),
                "temperature={value} seed {seed}: the sweep's run differs from the run made alone"
            );
            let last = metrics.lines().last().unwrap_or_default();
            assert_eq!(lines[row], format!("temperature,{value},{seed},{last}"));
            row += 1;
        }
    }
}

#[test]
fn a_range_spaces_its_values_and_bad_sweeps_name_the_argument() {
    use contrastive_lab::sweep::SweepSpec;
    let log = SweepSpec::parse("temperature=0.05..2:4:log").unwrap_or_else(|e| panic!("{e}"));
    let values: Vec<f64> = log
        .values
        .iter()
        .map(|v| v.parse().unwrap_or(f64::NAN))
        .collect();
    assert_eq!(values.len(), 4);
    assert!((values[0] - 0.05).abs() < 1e-9 && (values[3] - 2.0).abs() < 1e-9);
    // Evenly spaced in log space: equal ratios.
    let (r1, r2) = (values[1] / values[0], values[2] / values[1]);
    assert!((r1 - r2).abs() < 1e-3 * r1, "{values:?}");
    let linear = SweepSpec::parse("batch_size=64..256:3").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(linear.values, ["64", "160", "256"]);

    for bad in [
        "temperature",            // no values
        "no_such_key=1,2",        // an unknown key
        "temperature=0.1",        // one value
        "temperature=0.1,-3",     // outside the range
        "temperature=0.1..1",     // a range without a count
        "temperature=0..1:3:log", // log through 0
        "stop_gradient=0..1:3",   // a range over a choice
    ] {
        let e = SweepSpec::parse(bad).err().map(|e| e.to_string());
        let e = e.unwrap_or_else(|| panic!("`{bad}` was taken"));
        assert!(
            e.contains("--sweep") || e.contains("no_such_key"),
            "`{bad}`: {e}"
        );
    }
    // The binary says so too, and writes nothing.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("s");
    let o = run(&[
        "run",
        "--sweep",
        "temperature=0.1,-3",
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--sweep") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!out.join("sweep.csv").exists());
}

// A sweep that outgrows one machine: `--shard I/N` runs its part, `sweep merge` puts the parts
// together into the very `sweep.csv` of the whole sweep; `sweep.toml` runs the sweep again.

#[test]
fn sharded_sweeps_merge_into_the_sweep_and_its_sweep_toml_runs_it_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let at = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let sweep = [
        "run",
        "--sweep",
        "temperature=0.1,0.5",
        "--seeds",
        "2",
        "--method",
        "simclr",
        "--dataset",
        "blobs",
        "--steps",
        "120",
        "--quiet",
    ];
    let whole = at("whole");
    ok(&run(&[&sweep[..], &["--out", &whole]].concat()));
    let expected = read(&dir.path().join("whole/sweep.csv"));
    assert_eq!(expected.lines().count(), 5, "{expected}");

    // Two shards as two processes at once, each in its own folder.
    let shards: Vec<_> = (0..2)
        .map(|i| {
            let out = at(&format!("shard{i}"));
            let shard = format!("{i}/2");
            bin()
                .args([&sweep[..], &["--shard", &shard, "--out", &out]].concat())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    for child in shards {
        ok(&child.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
    }
    let shard0 = read(&dir.path().join("shard0/sweep-shard-0-of-2.csv"));
    assert_eq!(shard0.lines().count(), 3, "runs 0 and 2:\n{shard0}");
    let merged = at("merged");
    let o = run(&[
        "sweep",
        "merge",
        &at("shard0"),
        &at("shard1"),
        "--out",
        &merged,
    ]);
    ok(&o);
    assert!(text(&o).contains("sweep of temperature"), "{}", text(&o));
    assert_eq!(
        read(&dir.path().join("merged/sweep.csv")),
        expected,
        "sharded and merged differs from the whole sweep"
    );

    // sweep.toml runs the same sweep again.
    let again = at("again");
    let plan = at("whole/sweep.toml");
    ok(&run(&[
        "run", "--config", &plan, "--quiet", "--out", &again,
    ]));
    assert_eq!(read(&dir.path().join("again/sweep.csv")), expected);

    // Refused, naming what is at fault: one shard alone, a shard of another sweep, a folder
    // that holds no sweep, a shard outside 0..N.
    let other = at("other");
    ok(&run(&[
        "run",
        "--sweep",
        "temperature=0.1,0.2",
        "--method",
        "simclr",
        "--dataset",
        "blobs",
        "--steps",
        "20",
        "--quiet",
        "--shard",
        "0/1",
        "--out",
        &other,
    ]));
    for (args, needles) in [
        (
            vec!["sweep", "merge", &at("shard0")],
            vec!["lack 2 of the sweep's 4 runs", "temperature=0.1 seed 1"],
        ),
        (
            vec!["sweep", "merge", &at("shard0"), &other],
            vec!["other", "different sweep"],
        ),
        (
            vec!["sweep", "merge", &at("nowhere")],
            vec!["nowhere", "no sweep.toml"],
        ),
        (
            [&sweep[..], &["--shard", "3/2", "--out", &at("x")]].concat(),
            vec!["--shard", "3/2"],
        ),
        (
            vec!["run", "--shard", "0/2", "--steps", "5", "--out", &at("y")],
            vec!["--shard", "part of a sweep"],
        ),
    ] {
        assert_clean_failure(&args, &needles);
    }
}

// Installs like a Rust tool: `--help` has an example of every subcommand, `--version` says the
// version, and `completions` prints a shell's script that knows the subcommands.
#[test]
fn help_shows_an_example_of_every_subcommand_and_completions_know_them() {
    use clap::CommandFactory;
    let help = String::from_utf8_lossy(&run(&["--help"]).stdout).to_string();
    let names: Vec<String> = contrastive_lab::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    assert!(names.len() >= 9, "{names:?}");
    for name in &names {
        assert!(
            help.contains(&format!("  contrastive-lab {name}")),
            "--help has no example of `{name}`"
        );
    }
    let version = String::from_utf8_lossy(&run(&["--version"]).stdout).to_string();
    assert_eq!(
        version.trim(),
        format!("contrastive-lab {}", env!("CARGO_PKG_VERSION"))
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        ok(&o);
        let script = String::from_utf8_lossy(&o.stdout);
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: no `{name}`");
        }
    }
}
