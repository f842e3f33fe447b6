use super::shot::slug;
use super::*;
use egui::{Color32, Rect};

#[test]
fn a_plot_is_cropped_from_the_window_at_the_pixel_scale() {
    let mut image = ColorImage::filled([10, 8], Color32::BLACK);
    image.pixels[3 * 10 + 4] = Color32::RED; // (x 4, y 3)
    let rect = Rect::from_min_max(egui::pos2(1.0, 1.0), egui::pos2(3.0, 2.5));
    let cropped = crop(&image, rect, 2.0); // pixels x 2..6, y 2..5
    assert_eq!(cropped.size, [4, 3]);
    let (x, y) = (4 - 2, 3 - 2); // the red pixel, in the crop
    assert_eq!(cropped.pixels[y * 4 + x], Color32::RED);
    // Off-screen parts are clamped away.
    let big = Rect::from_min_max(egui::pos2(-5.0, -5.0), egui::pos2(50.0, 50.0));
    assert_eq!(crop(&image, big, 1.0).size, [10, 8]);
    assert_eq!(
        slug("std·√d of l2-normalised z"),
        "std-d-of-l2-normalised-z"
    );
}

#[test]
fn pngs_are_written_whole() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("x.png");
    let mut image = ColorImage::filled([5, 4], Color32::from_rgb(10, 200, 30));
    image.pixels[0] = Color32::WHITE;
    save_png(&image, &path).unwrap_or_else(|e| panic!("{e}"));
    let back = image::open(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .to_rgba8();
    assert_eq!(back.dimensions(), (5, 4));
    assert_eq!(back.get_pixel(0, 0).0, [255, 255, 255, 255]);
    assert_eq!(back.get_pixel(4, 3).0, [10, 200, 30, 255]);
}
