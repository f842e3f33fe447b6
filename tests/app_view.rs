//! The View menu, for the room the app is shown in: presenter mode draws everything 1.6× larger
//! at 1280 × 720 and folds the training settings and the secondary plots; the colour-blind
//! palette gives each class its own shape too; high contrast paints the panels black.

mod common;
use common::{frames_until, harness_sized};
use contrastive_lab::app::{AppOptions, LabApp};
use contrastive_lab::config::RunConfig;
use contrastive_lab::render::palette::ClassScheme;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The app at 1280 × 720 (a projector's size), paused at step 0 on a fixed seed.
fn projector_harness(present: bool) -> Harness<'static, LabApp> {
    let config = RunConfig {
        snapshot_every: 10,
        ..RunConfig::default()
    };
    harness_sized(
        AppOptions {
            config: Some(config),
            paused: true,
            present,
            ..AppOptions::default()
        },
        egui::vec2(1280.0, 720.0),
    )
}

/// The height on screen, in pixels, of the widget labelled `label`.
fn height(h: &Harness<'static, LabApp>, label: &str) -> f32 {
    h.get_by_label(label).rect().height() * h.ctx.pixels_per_point()
}

#[test]
fn presenter_mode_draws_the_window_larger_and_folds_the_advanced_panels() {
    let mut normal = projector_harness(false);
    frames_until(&mut normal, "the first snapshot", 120, |a| {
        !a.history().is_empty() && a.layouts().is_some()
    });
    normal.run_steps(3);
    assert!(normal.query_by_label("Training").is_some());
    let text = height(&normal, "Lessons");

    let mut h = projector_harness(true);
    frames_until(&mut h, "the first snapshot", 120, |a| {
        !a.history().is_empty() && a.layouts().is_some()
    });
    h.run_steps(3);
    let zoom = h.ctx.zoom_factor();
    let big = height(&h, "Lessons");
    println!(
        "menu text {text:.1} pixels high, {big:.1} in presenter mode ({:.2}×; zoom {zoom})",
        big / text
    );
    assert!(big >= 1.6 * text - 0.5, "{text} -> {big}");
    assert!((zoom - 1.6).abs() < 1e-6, "{zoom}");
    // The advanced settings fold under one header; the plots stop after kNN.
    assert!(h.query_by_label("Training").is_none());
    assert!(h.query_by_label("Training and more settings").is_some());
    assert!(
        h.query_by_label_contains("presenter mode: the other plots are folded")
            .is_some()
    );
    // Back to the laptop: the zoom goes back too.
    h.state_mut().state.view.present = false;
    h.run_steps(3);
    assert!((h.ctx.zoom_factor() - 1.0).abs() < 1e-6);
    assert!(h.query_by_label("Training").is_some());
}

#[test]
fn presenter_mode_with_the_colour_blind_palette_matches_its_snapshot() {
    let mut h = projector_harness(true);
    h.state_mut().state.view.class_scheme = ClassScheme::ColourBlind;
    frames_until(&mut h, "the first snapshot and its sphere view", 120, |a| {
        !a.history().is_empty() && common::sphere_drawn(a)
    });
    h.run_steps(5);
    // Each class's legend entry carries its marker's glyph.
    let names = h.state().status().class_names.clone();
    for (class, name) in names.iter().enumerate() {
        let glyph = ClassScheme::ColourBlind.shape(class).1;
        assert!(
            h.query_by_label(&format!("{glyph} {name}")).is_some(),
            "no legend entry {glyph} {name} (classes {names:?})"
        );
    }
    let options = egui_kittest::SnapshotOptions::new().max_failed_pixels(900);
    h.snapshot_options("presenter_colour_blind", &options);
}

#[test]
fn the_view_menu_switches_high_contrast_and_the_palette() {
    let mut h = projector_harness(false);
    frames_until(&mut h, "the first snapshot", 120, |a| {
        !a.history().is_empty()
    });
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("High contrast").click();
    h.run_steps(2);
    if h.query_by_label("Colour-blind palette and shapes")
        .is_none()
    {
        h.get_by_label("View").click();
        h.run_steps(2);
    }
    h.get_by_label("Colour-blind palette and shapes").click();
    h.run_steps(3);
    let view = &h.state().state.view;
    assert!(view.high_contrast);
    assert_eq!(view.class_scheme, ClassScheme::ColourBlind);
    let visuals = h.ctx.global_style().visuals.clone();
    assert_eq!(visuals.window_fill, egui::Color32::BLACK);
    assert_eq!(visuals.override_text_color, Some(egui::Color32::WHITE));
}
