//! Times each of SimCLR's augmentations on a shapes image (µs per image).
use contrastive_lab::data::augment::{self, Image};
use contrastive_lab::rng::Rng;
use std::time::Instant;

/// The fastest of 20 rounds of `n / 20` calls (the least disturbed by other load).
fn time(name: &str, n: usize, mut f: impl FnMut(&mut Rng) -> f32) {
    let mut rng = Rng::new(1);
    let mut sink = 0.0;
    let mut best = f64::INFINITY;
    for _ in 0..20 {
        let t = Instant::now();
        for _ in 0..n / 20 {
            sink += f(&mut rng);
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / (n / 20) as f64);
    }
    println!("{name:>12}: {best:6.2} µs ({sink:.1})");
}

fn main() {
    let mut rng = Rng::new(0);
    let data: Vec<f32> = (0..3 * 16 * 16).map(|_| rng.uniform()).collect();
    let img = Image::from_vec(3, 16, 16, data);
    let digit = Image::from_vec(1, 8, 8, img.data[..64].to_vec());
    let n = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    time("warp", n, |r| {
        img.warp(augment::rotation_about_centre(16, r.uniform()), 0.0)
            .data[5]
    });
    time("crop", n, |r| {
        augment::random_resized_crop(&img, r, 0.4).data[7]
    });
    time("jitter", n, |r| {
        let mut v = img.clone();
        augment::color_jitter(&mut v, r, 1.0, 0.2);
        v.data[3]
    });
    time("hue", n, |r| {
        let mut v = img.clone();
        augment::shift_hue(&mut v, r.uniform() - 0.5);
        v.data[3]
    });
    time("blur", n, |r| {
        augment::gaussian_blur(&img, r.range(0.1, 0.6)).data[9]
    });
    time("noise", n, |r| {
        let mut v = img.clone();
        augment::add_noise(&mut v, r, 0.03);
        v.data[3]
    });
    time("digit warp", n, |r| {
        augment::rotate_scale_shift(&digit, r.range(-0.26, 0.26), 1.0, 0.5, -0.5).data[9]
    });
    time("digit noise", n, |r| {
        let mut v = digit.clone();
        augment::add_noise(&mut v, r, 0.05);
        v.data[9]
    });
    time("digit", n, |r| {
        let mut v = augment::rotate_scale_shift(&digit, r.range(-0.26, 0.26), 1.0, 0.5, -0.5);
        augment::add_noise(&mut v, r, 0.05);
        v.data[9]
    });
    time("view", n, |r| {
        augment::simclr_view(&img, r, 1.0, augment::SIMCLR_COLOUR).data[11]
    });
}
