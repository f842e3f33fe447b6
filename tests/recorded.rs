//! Recorded runs: `run --record` writes the whole run, `replay` writes from it exactly the
//! files the run wrote, a recording round-trips, and a damaged or newer file is refused with a
//! message naming it, never a panic.

use contrastive_lab::recorded::RecordedRun;
use std::path::Path;
use std::process::Command;

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

#[test]
fn a_recorded_run_replays_to_the_same_files_and_round_trips() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (run_dir, replay_dir) = (dir.path().join("run"), dir.path().join("replay"));
    let file = dir.path().join("run.clr");
    let o = bin(&[
        "run",
        "--lesson",
        "simsiam-predictor",
        "--steps",
        "150",
        "--set",
        "snapshot_every=10",
        "--set",
        "probe_size=200",
        "--out",
        s(&run_dir),
        "--record",
        s(&file),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin(&["replay", s(&file), "--out", s(&replay_dir)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "metrics.csv",
        "events.csv",
        "config.toml",
        "embeddings.tsv",
        "metadata.tsv",
    ] {
        let read =
            |d: &Path| std::fs::read_to_string(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(read(&replay_dir), read(&run_dir), "{f} differs");
    }
    // Save and open again: the same snapshots, events and start.
    let run = RecordedRun::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.recording.len(), 16, "steps 0, 10, …, 150");
    let again = dir.path().join("again.clr");
    run.save(&again).unwrap_or_else(|e| panic!("{e}"));
    let back = RecordedRun::load(&again).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.scenario, run.scenario);
    assert_eq!(back.events, run.events);
    assert_eq!(back.recording.times(), run.recording.times());
    for (a, b) in back
        .recording
        .snapshots()
        .iter()
        .zip(run.recording.snapshots())
    {
        assert_eq!(
            (a.step, &a.z, &a.diagnostics, &a.extras),
            (b.step, &b.z, &b.diagnostics, &b.extras)
        );
        assert_eq!(a.pairs, b.pairs);
    }
}

#[test]
fn damaged_truncated_and_newer_recordings_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("run.clr");
    let o = bin(&[
        "run",
        "--steps",
        "30",
        "--set",
        "probe_size=100",
        "--out",
        s(&dir.path().join("r")),
        "--record",
        s(&file),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    let newer = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        #[derive(serde::Serialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header = Header {
            format: contrastive_lab::recorded::FORMAT.into(),
            version: 99,
        };
        ciborium::into_writer(&header, &mut gz).unwrap_or_else(|e| panic!("{e}"));
        let _ = gz.flush();
        gz.finish().unwrap_or_else(|e| panic!("{e}"))
    };
    for (name, content, expect) in [
        ("half.clr", bytes[..bytes.len() / 2].to_vec(), "cut short"),
        ("flipped.clr", flipped, "damaged"),
        (
            "text.clr",
            b"scenario_version = 1\n".to_vec(),
            "not a contrastive-lab recording",
        ),
        ("newer.clr", newer, "newer"),
        ("empty.clr", Vec::new(), "not a contrastive-lab recording"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
        let e = match RecordedRun::load(&path) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(expect) || e.contains("damaged"), "{name}: {e}");
        let o = bin(&["replay", s(&path), "--out", s(&dir.path().join("x"))]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
}
