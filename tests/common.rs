//! Shared helpers for the integration tests.
#![allow(dead_code)]

use contrastive_lab::app::{AppOptions, LabApp};
use contrastive_lab::cli::run::train;
use contrastive_lab::config::RunConfig;
use contrastive_lab::train::DeviceChoice;
use contrastive_lab::train::{Session, Snapshot, TrainDevice};
use egui_kittest::Harness;
use std::time::{Duration, Instant};

/// Train `config` headless on the CPU; panics with the error if the run cannot start.
pub fn run(config: RunConfig) -> Vec<Snapshot> {
    let mut session = Session::new(config, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let (snaps, incident) = train(&mut session, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(incident.is_none(), "unexpected incident: {incident:?}");
    snaps
}

pub fn config(method: &str, dataset: &str, steps: usize, sets: &[(&str, &str)]) -> RunConfig {
    let mut c = RunConfig::for_method(method.parse().unwrap_or_else(|e| panic!("{e}")));
    c.set("dataset", dataset).unwrap_or_else(|e| panic!("{e}"));
    c.steps = steps;
    for (k, v) in sets {
        c.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    c
}

/// std·√d: 1 for embeddings spread over the sphere, 0 for a collapsed point.
pub fn spread(s: &Snapshot) -> f64 {
    s.diagnostics.spread()
}

/// The app in egui_kittest (wgpu renderer; lavapipe in CI), training on the CPU from `config`.
pub fn harness(config: RunConfig, paused: bool) -> Harness<'static, LabApp> {
    harness_with(AppOptions {
        config: Some(config),
        paused,
        ..AppOptions::default()
    })
}

/// The app with these options, on the CPU, from the defaults rather than a saved state.
pub fn harness_with(options: AppOptions) -> Harness<'static, LabApp> {
    harness_sized(options, egui::vec2(1280.0, 800.0))
}

/// [`harness_with`] in a window of `size` points.
pub fn harness_sized(options: AppOptions, size: egui::Vec2) -> Harness<'static, LabApp> {
    Harness::builder()
        .with_size(size)
        .wgpu()
        .build_eframe(move |cc| {
            LabApp::new(
                cc,
                AppOptions {
                    device: DeviceChoice::Cpu,
                    fresh: true,
                    ..options
                },
            )
        })
}

/// Whether the app's embedding view has drawn the sphere layout (the projector may publish it
/// a few frames before the trainer publishes the snapshot the view needs beside it).
pub fn sphere_drawn(a: &LabApp) -> bool {
    a.layouts().is_some_and(|l| matches!(l.sphere, Some(Ok(_))))
        && a.run_view().target_step().is_some()
}

/// Render frames until `f` holds (the trainer runs on its own thread meanwhile).
pub fn frames_until(
    h: &mut Harness<'static, LabApp>,
    what: &str,
    timeout_s: u64,
    f: impl Fn(&LabApp) -> bool,
) {
    let start = Instant::now();
    loop {
        h.run_steps(1);
        if f(h.state()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(timeout_s),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `root/<class>/<i>.png`: a bright disc or a dark square, with some variation.
pub fn image_folder(root: &std::path::Path, per_class: usize) {
    for (class, bright) in [("discs", true), ("squares", false)] {
        let dir = root.join(class);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..per_class {
            let img = image::RgbImage::from_fn(32, 32, |x, y| {
                let (dx, dy) = (x as f32 - 16.0 - (i % 5) as f32, y as f32 - 16.0);
                let inside = if bright {
                    dx * dx + dy * dy < 100.0
                } else {
                    dx.abs() < 9.0 && dy.abs() < 9.0
                };
                let v = if inside { 230 - (i * 7 % 40) as u8 } else { 20 };
                image::Rgb([v, if bright { v } else { 40 }, 60])
            });
            img.save(dir.join(format!("{i}.png")))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Two gradients agree to 10⁻⁴ of the reference's largest entry (which must not be 0).
pub fn assert_same_gradient(ours: &[f32], reference: &[f32], what: &str) {
    assert_eq!(ours.len(), reference.len(), "{what}: gradient shape");
    let largest = reference.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    assert!(largest > 0.0, "{what}: zero gradient");
    for (a, b) in ours.iter().zip(reference) {
        assert!(
            (a - b).abs() <= 1e-4 * largest,
            "{what}: gradient {a} vs reference {b} (largest {largest})"
        );
    }
}

/// Poll `f` every 5 ms until it gives a value (two minutes at most).
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Rows of three classes of 4-d vectors, well apart (class k around (3k, −2k, 1, 0), unit
/// noise), `n` of them in turn: each row's cells as text and its class.
pub fn three_classes(seed: u64, n: usize) -> Vec<(Vec<String>, usize)> {
    let mut rng = contrastive_lab::rng::Rng::new(seed);
    (0..n)
        .map(|i| {
            let k = i % 3;
            let centre = [k as f32 * 3.0, -(k as f32) * 2.0, 1.0, 0.0];
            let cells = centre
                .iter()
                .map(|c| format!("{:.3}", c + rng.normal()))
                .collect();
            (cells, k)
        })
        .collect()
}

/// A 30-step SimCLR run on blobs (200 probe points, a snapshot every 10 steps) recorded to
/// `path` by `contrastive-lab run --record`, its other outputs in `out`.
pub fn record_a_short_run(path: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let args = contrastive_lab::cli::RunArgs {
        method: Some("simclr".into()),
        steps: Some(30),
        out: out.to_path_buf(),
        record: Some(path.to_path_buf()),
        set: vec!["probe_size=200".into(), "snapshot_every=10".into()],
        quiet: true,
        device: "cpu".into(),
        ..Default::default()
    };
    contrastive_lab::cli::run::execute(&args)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
