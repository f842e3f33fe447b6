//! Colour distortions: jitter of brightness, contrast, saturation and hue; grayscale.

use super::Image;
use crate::rng::Rng;

fn luminance(img: &Image, i: usize) -> f32 {
    let p = img.plane();
    0.299 * img.data[i] + 0.587 * img.data[p + i] + 0.114 * img.data[2 * p + i]
}

pub fn grayscale(img: &mut Image) {
    if img.channels != 3 {
        return;
    }
    let p = img.plane();
    for i in 0..p {
        let l = luminance(img, i);
        for c in 0..3 {
            img.data[c * p + i] = l;
        }
    }
}

/// Colour jitter with SimCLR's (0.8s, 0.8s, 0.8s) brightness/contrast/saturation ranges and a
/// hue range of `hue` turns, applied in random order as torchvision does.
pub fn color_jitter(img: &mut Image, rng: &mut Rng, s: f32, hue: f32) {
    let b = 0.8 * s;
    let hue = hue.min(0.5);
    let mut order = [0usize, 1, 2, 3];
    rng.shuffle(&mut order);
    for op in order {
        match op {
            0 => {
                let f = rng.range((1.0 - b).max(0.0), 1.0 + b);
                img.data.iter_mut().for_each(|v| *v *= f);
            }
            1 => {
                let f = rng.range((1.0 - b).max(0.0), 1.0 + b);
                let p = img.plane();
                let mean = if img.channels == 3 {
                    (0..p).map(|i| luminance(img, i)).sum::<f32>() / p as f32
                } else {
                    img.data.iter().sum::<f32>() / img.data.len() as f32
                };
                img.data
                    .iter_mut()
                    .for_each(|v| *v = (*v - mean) * f + mean);
            }
            2 if img.channels == 3 => {
                let f = rng.range((1.0 - b).max(0.0), 1.0 + b);
                let p = img.plane();
                for i in 0..p {
                    let l = luminance(img, i);
                    for c in 0..3 {
                        let v = &mut img.data[c * p + i];
                        *v = (*v - l) * f + l;
                    }
                }
            }
            3 if img.channels == 3 => {
                let shift = rng.range(-hue, hue);
                shift_hue(img, shift);
            }
            _ => {}
        }
        img.data.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
    }
}

/// Rotate hue by `turns` (1.0 = 360°) through HSV.
pub fn shift_hue(img: &mut Image, turns: f32) {
    let p = img.plane();
    for i in 0..p {
        let (h, s, v) = rgb_to_hsv(img.data[i], img.data[p + i], img.data[2 * p + i]);
        let (r, g, b) = hsv_to_rgb(rem_euclid(h + turns, 1.0), s, v);
        img.data[i] = r;
        img.data[p + i] = g;
        img.data[2 * p + i] = b;
    }
}

/// `x.rem_euclid(m)` for `m > 0`, bit for bit, without the libm `fmodf` call for
/// `−m < x < 2m` (every call in this module): there the remainder is `x`, `x − m` or `x + m`,
/// exact (Sterbenz) or rounded exactly as `rem_euclid` rounds it.
pub(super) fn rem_euclid(x: f32, m: f32) -> f32 {
    if (0.0..m).contains(&x) {
        x
    } else if (m..2.0 * m).contains(&x) {
        x - m
    } else if x < 0.0 && x > -m {
        x + m
    } else {
        x.rem_euclid(m)
    }
}

/// `h6 % 2.0` for the sector position `h6` in [0, 6) (or NaN), where `%` and `rem_euclid`
/// agree; `h6 − 4` on [4, 6) is exact too.
pub(super) fn mod_two(h6: f32) -> f32 {
    if (4.0..6.0).contains(&h6) {
        h6 - 4.0
    } else {
        rem_euclid(h6, 2.0)
    }
}

pub fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let h = if d <= 1e-6 {
        0.0
    } else if max == r {
        rem_euclid((g - b) / d, 6.0) / 6.0
    } else if max == g {
        ((b - r) / d + 2.0) / 6.0
    } else {
        ((r - g) / d + 4.0) / 6.0
    };
    let s = if max <= 1e-6 { 0.0 } else { d / max };
    (h, s, max)
}

pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h6 = rem_euclid(h, 1.0) * 6.0;
    let c = v * s;
    let x = c * (1.0 - (mod_two(h6) - 1.0).abs());
    let (r, g, b) = match h6 as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    (r + m, g + m, b + m)
}
