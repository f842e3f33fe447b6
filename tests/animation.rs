//! Animated GIFs for slides: `run --animate` writes one frame per snapshot, and the file
//! decodes to exactly that many frames.

use image::AnimationDecoder;
use std::process::Command;

fn frames(path: &std::path::Path) -> usize {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{e}"));
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("not a GIF: {e}"));
    decoder
        .into_frames()
        .collect_frames()
        .unwrap_or_else(|e| panic!("{e}"))
        .len()
}

#[test]
fn run_animate_writes_a_gif_with_a_frame_per_snapshot() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gif = dir.path().join("simsiam.gif");
    let o = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args([
            "run",
            "--method",
            "simsiam",
            "--steps",
            "60",
            "--set",
            "snapshot_every=5",
            "--set",
            "probe_size=200",
            "--out",
        ])
        .arg(dir.path().join("run"))
        .arg("--animate")
        .arg(&gif)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("(13 frames)"), "{text}");
    // Steps 0, 5, …, 60.
    assert_eq!(frames(&gif), 13);
}

#[test]
fn a_long_run_is_subsampled_to_the_frame_limit() {
    use contrastive_lab::render::animation::{MAX_FRAMES, frame_snapshots};
    use contrastive_lab::train::Snapshot;
    let snaps: Vec<Snapshot> = (0..1000)
        .map(|step| Snapshot {
            step,
            ..Snapshot::default()
        })
        .collect();
    let refs: Vec<&Snapshot> = snaps.iter().collect();
    let picked = frame_snapshots(&refs);
    assert_eq!(picked.len(), MAX_FRAMES);
    assert_eq!(picked.first().map(|s| s.step), Some(0));
    assert_eq!(picked.last().map(|s| s.step), Some(999));
}
