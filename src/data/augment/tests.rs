use super::colour::{mod_two, rem_euclid};
use super::warp::floor;
use super::*;

fn ramp() -> Image {
    let mut img = Image::new(3, 8, 8);
    for (i, v) in img.data.iter_mut().enumerate() {
        *v = (i % 64) as f32 / 64.0;
    }
    img
}

#[test]
fn identity_warp_and_full_crop_keep_the_image() {
    let img = ramp();
    let same = img.warp([1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 0.0);
    assert_eq!(same, img);
    let rot = rotate_scale_shift(&img, 0.0, 1.0, 0.0, 0.0);
    assert!(
        rot.data
            .iter()
            .zip(&img.data)
            .all(|(a, b)| (a - b).abs() < 1e-5)
    );
}

/// The pixel-at-a-time warp gives what sampling each channel separately gives, and the
/// libm-free floor equals `f32::floor`.
#[test]
fn warp_equals_per_channel_sampling_and_floor_equals_libm() {
    // 8 × 8 (whole fours of pixels) and 7 × 5 (rows that end in single pixels).
    let odd = Image::from_vec(
        2,
        7,
        5,
        (0..70).map(|i| (i * 37 % 70) as f32 / 70.0).collect(),
    );
    for img in [ramp(), odd] {
        let (h, w) = (img.height, img.width);
        // A rotation (corners outside), a zoom out and shifts past every edge (taps far
        // outside, straddling the edges, and exactly on them), the identity, and maps
        // whose coordinates pass 2²³ (read one pixel at a time, past ±2²³ or not).
        for m in [
            rotation_about_centre(8, 0.7),
            [2.0, 0.0, -4.0, 0.0, 2.0, -4.0],
            [1.0, 0.0, -7.5, 0.0, 1.0, 3.0],
            [1.0, 0.0, 7.0, 0.0, 1.0, -1.0],
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [3e6, 0.0, 0.5, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, -1e9, 1.0, 2.0],
        ] {
            let warped = img.warp(m, 0.25);
            for c in 0..img.channels {
                for y in 0..h {
                    for x in 0..w {
                        let (xf, yf) = (x as f32, y as f32);
                        let expected = img.sample(
                            c,
                            m[3] * xf + m[4] * yf + m[5],
                            m[0] * xf + m[1] * yf + m[2],
                            0.25,
                        );
                        let got = warped.data[c * h * w + y * w + x];
                        assert_eq!(got.to_bits(), expected.to_bits(), "{m:?} at {c},{y},{x}");
                    }
                }
            }
        }
    }
    for v in [
        -3.5f32,
        -3.0,
        -0.2,
        -0.0,
        0.0,
        0.7,
        2.0,
        1e7,
        -1e7,
        3e9,
        -3e9,
        f32::MAX,
        f32::MIN,
    ] {
        assert_eq!(floor(v), v.floor(), "{v}");
    }
    // Outside the image reads the fill.
    assert_eq!(ramp().sample(0, -5.0, -5.0, 0.25), 0.25);
}

/// The blur equals its defining formula (each pass Σₖ wₖ·clamped input, then ÷ Σ w) bit
/// for bit, at every kernel radius and on images narrower than the kernel.
#[test]
fn blur_equals_the_clamped_separable_sum_exactly() {
    let mut rng = Rng::new(3);
    for (c, h, w) in [(3, 16, 16), (1, 8, 8), (2, 3, 5), (1, 1, 1)] {
        let data = (0..c * h * w).map(|_| rng.uniform()).collect();
        let img = Image::from_vec(c, h, w, data);
        for sigma in [0.1f32, 0.45, 0.6, 1.3, 2.2] {
            let r = (2.0 * sigma).ceil() as isize;
            let kernel: Vec<f32> = (-r..=r)
                .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
                .collect();
            let norm: f32 = kernel.iter().sum();
            let pass = |src: &Image, horizontal: bool| {
                let mut out = Image::new(c, h, w);
                for ch in 0..c {
                    for y in 0..h as isize {
                        for x in 0..w as isize {
                            let mut acc = 0.0;
                            for (k, weight) in kernel.iter().enumerate() {
                                let o = k as isize - r;
                                let (yy, xx) = if horizontal {
                                    (y, (x + o).clamp(0, w as isize - 1))
                                } else {
                                    ((y + o).clamp(0, h as isize - 1), x)
                                };
                                acc += weight * src.get(ch, yy as usize, xx as usize);
                            }
                            out.data[ch * h * w + y as usize * w + x as usize] = acc / norm;
                        }
                    }
                }
                out
            };
            let expected = pass(&pass(&img, true), false);
            assert_eq!(
                gaussian_blur(&img, sigma),
                expected,
                "{c}×{h}×{w}, σ {sigma}"
            );
        }
    }
}

/// The fast remainder is `f32::rem_euclid` bit for bit: across and beyond its fast range,
/// at signed zeros, and for infinities and NaN.
#[test]
fn fast_rem_euclid_equals_the_standard_one() {
    let mut rng = Rng::new(9);
    let mut values = vec![
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        2.0,
        6.0,
        -6.0,
        12.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-40,
        -1e-40,
    ];
    values.extend((0..200_000).map(|_| rng.range(-20.0, 20.0)));
    for v in values.clone() {
        values.push(f32::from_bits(v.to_bits().wrapping_add(1)));
        values.push(f32::from_bits(v.to_bits().wrapping_sub(1)));
    }
    for m in [1.0f32, 2.0, 6.0] {
        for &x in &values {
            let (ours, std) = (rem_euclid(x, m), x.rem_euclid(m));
            assert!(
                ours.to_bits() == std.to_bits() || (ours.is_nan() && std.is_nan()),
                "{x} mod {m}: {ours} vs {std}"
            );
        }
    }
    // hsv_to_rgb's `h6 % 2.0` on [0, 6)
    for _ in 0..100_000 {
        let h6 = rng.range(0.0, 6.0);
        assert_eq!(mod_two(h6).to_bits(), (h6 % 2.0).to_bits(), "{h6}");
    }
}

#[test]
fn hsv_round_trip_and_flip_twice() {
    for &(r, g, b) in &[
        (0.9, 0.1, 0.2),
        (0.1, 0.8, 0.3),
        (0.2, 0.3, 0.7),
        (0.5, 0.5, 0.5),
    ] {
        let (h, s, v) = rgb_to_hsv(r, g, b);
        let (r2, g2, b2) = hsv_to_rgb(h, s, v);
        assert!((r - r2).abs() < 1e-5 && (g - g2).abs() < 1e-5 && (b - b2).abs() < 1e-5);
    }
    let mut img = ramp();
    flip_horizontal(&mut img);
    assert_ne!(img, ramp());
    flip_horizontal(&mut img);
    assert_eq!(img, ramp());
}

#[test]
fn views_stay_in_range_and_zero_strength_is_identity() {
    let img = ramp();
    let mut rng = Rng::new(3);
    assert_eq!(simclr_view(&img, &mut rng, 0.0, SIMCLR_COLOUR), img);
    for _ in 0..20 {
        let v = simclr_view(&img, &mut rng, 2.0, SIMCLR_COLOUR);
        assert!(v.data.iter().all(|x| (0.0..=1.0).contains(x)));
    }
}
