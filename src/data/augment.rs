//! Image augmentations (SimCLR's list), on planar `[channels, height, width]` f32 images in
//! [0, 1]. Each is scaled by one augmentation-strength knob `s` (0 = identity, 1 = the paper's
//! default recipe, up to 3 = views that destroy the signal).

use crate::rng::Rng;

/// A planar image: `data[c * h * w + y * w + x]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl Image {
    pub fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
            data: vec![0.0; channels * height * width],
        }
    }

    pub fn from_vec(channels: usize, height: usize, width: usize, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), channels * height * width);
        Self {
            channels,
            height,
            width,
            data,
        }
    }

    fn plane(&self) -> usize {
        self.height * self.width
    }

    pub fn get(&self, c: usize, y: usize, x: usize) -> f32 {
        self.data[c * self.plane() + y * self.width + x]
    }

    /// Bilinear sample at continuous pixel coordinates; outside the image reads `fill`.
    pub fn sample(&self, c: usize, y: f32, x: f32, fill: f32) -> f32 {
        let taps = Taps::at(y, x, self.height, self.width);
        taps.blend(&self.data[c * self.plane()..(c + 1) * self.plane()], fill)
    }

    /// Resample through an affine map from output pixel centres to input coordinates:
    /// `(x_in, y_in) = (a·x + b·y + tx, c·x + d·y + ty)`. Each pixel's taps are found once
    /// for all channels.
    pub fn warp(&self, m: [f32; 6], fill: f32) -> Image {
        let mut out = Image::new(self.channels, self.height, self.width);
        let plane = self.plane();
        for y in 0..self.height {
            for x in 0..self.width {
                let (xf, yf) = (x as f32, y as f32);
                let xi = m[0] * xf + m[1] * yf + m[2];
                let yi = m[3] * xf + m[4] * yf + m[5];
                let taps = Taps::at(yi, xi, self.height, self.width);
                let i = y * self.width + x;
                for c in 0..self.channels {
                    out.data[c * plane + i] =
                        taps.blend(&self.data[c * plane..(c + 1) * plane], fill);
                }
            }
        }
        out
    }
}

/// `⌊v⌋` without a libm call (the build targets baseline x86-64, which has no SSE4.1 `roundss`);
/// equal to `f32::floor` for every finite value.
fn floor(v: f32) -> f32 {
    if v.abs() >= 8_388_608.0 || v.is_nan() {
        return v.floor(); // already an integer (or NaN)
    }
    let t = v as i32 as f32;
    if t > v { t - 1.0 } else { t }
}

/// The four pixels a bilinear sample reads (`usize::MAX`, which no plane holds, outside the
/// image) and its weights.
struct Taps {
    index: [usize; 4],
    fx: f32,
    fy: f32,
}

impl Taps {
    fn at(y: f32, x: f32, height: usize, width: usize) -> Self {
        let (x0, y0) = (floor(x), floor(y));
        let (h, w) = (height as isize, width as isize);
        let (xi, yi) = (x0 as isize, y0 as isize);
        let at = |yy: isize, xx: isize| {
            if yy >= 0 && xx >= 0 && yy < h && xx < w {
                (yy * w + xx) as usize
            } else {
                usize::MAX
            }
        };
        Self {
            index: [
                at(yi, xi),
                at(yi, xi + 1),
                at(yi + 1, xi),
                at(yi + 1, xi + 1),
            ],
            fx: x - x0,
            fy: y - y0,
        }
    }

    /// The sample of one channel's `plane`, reading `fill` outside it.
    fn blend(&self, plane: &[f32], fill: f32) -> f32 {
        let v = |k: usize| plane.get(self.index[k]).copied().unwrap_or(fill);
        let (fx, fy) = (self.fx, self.fy);
        let top = v(0) * (1.0 - fx) + v(1) * fx;
        let bottom = v(2) * (1.0 - fx) + v(3) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Random resized crop: a region of area fraction in `[min_scale, 1]` and aspect ratio in
/// `[3/4, 4/3]`, resized back to the full image (SimCLR's most important augmentation).
pub fn random_resized_crop(img: &Image, rng: &mut Rng, min_scale: f32) -> Image {
    let (h, w) = (img.height as f32, img.width as f32);
    let area = rng.range(min_scale.clamp(0.05, 1.0), 1.0);
    let log_ratio = rng.range((3.0f32 / 4.0).ln(), (4.0f32 / 3.0).ln());
    let ratio = log_ratio.exp();
    let cw = (area * ratio).sqrt().min(1.0) * w;
    let ch = (area / ratio).sqrt().min(1.0) * h;
    let x0 = rng.range(0.0, (w - cw).max(0.0));
    let y0 = rng.range(0.0, (h - ch).max(0.0));
    // Output pixel centre (x + 0.5) / w maps into the crop.
    let sx = cw / w;
    let sy = ch / h;
    img.warp(
        [sx, 0.0, x0 + 0.5 * sx - 0.5, 0.0, sy, y0 + 0.5 * sy - 0.5],
        0.0,
    )
}

/// Rotation by `angle` radians, isotropic scale and shift (pixels), about the image centre.
pub fn rotate_scale_shift(img: &Image, angle: f32, scale: f32, dx: f32, dy: f32) -> Image {
    let (cx, cy) = (
        (img.width as f32 - 1.0) / 2.0,
        (img.height as f32 - 1.0) / 2.0,
    );
    let (s, c) = angle.sin_cos();
    let inv = 1.0 / scale.max(1e-3);
    // Inverse map: input = R(-θ)·(output − centre − shift)/scale + centre.
    let a = c * inv;
    let b = s * inv;
    let cc = -s * inv;
    let d = c * inv;
    let ox = cx + dx;
    let oy = cy + dy;
    img.warp(
        [a, b, cx - a * ox - b * oy, cc, d, cy - cc * ox - d * oy],
        0.0,
    )
}

/// The inverse map of a rotation by `angle` about the centre of a `side`×`side` image, for
/// [`Image::warp`].
pub fn rotation_about_centre(side: usize, angle: f32) -> [f32; 6] {
    let c0 = (side as f32 - 1.0) / 2.0;
    let (s, c) = angle.sin_cos();
    [c, s, c0 - c * c0 - s * c0, -s, c, c0 + s * c0 - c * c0]
}

pub fn flip_horizontal(img: &mut Image) {
    let (h, w) = (img.height, img.width);
    for c in 0..img.channels {
        for y in 0..h {
            let row = c * h * w + y * w;
            img.data[row..row + w].reverse();
        }
    }
}

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
        let (r, g, b) = hsv_to_rgb((h + turns).rem_euclid(1.0), s, v);
        img.data[i] = r;
        img.data[p + i] = g;
        img.data[2 * p + i] = b;
    }
}

pub fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let h = if d <= 1e-6 {
        0.0
    } else if max == r {
        ((g - b) / d).rem_euclid(6.0) / 6.0
    } else if max == g {
        ((b - r) / d + 2.0) / 6.0
    } else {
        ((r - g) / d + 4.0) / 6.0
    };
    let s = if max <= 1e-6 { 0.0 } else { d / max };
    (h, s, max)
}

pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h6 = h.rem_euclid(1.0) * 6.0;
    let c = v * s;
    let x = c * (1.0 - ((h6 % 2.0) - 1.0).abs());
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

/// Separable Gaussian blur with standard deviation `sigma` pixels (kernel radius ⌈2σ⌉).
pub fn gaussian_blur(img: &Image, sigma: f32) -> Image {
    if sigma < 0.05 {
        return img.clone();
    }
    let r = (2.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let norm: f32 = kernel.iter().sum();
    let (h, w) = (img.height as isize, img.width as isize);
    let pass = |src: &Image, horizontal: bool| -> Image {
        let mut out = Image::new(src.channels, src.height, src.width);
        for c in 0..src.channels {
            for y in 0..h {
                for x in 0..w {
                    let mut acc = 0.0;
                    for (k, weight) in kernel.iter().enumerate() {
                        let o = k as isize - r;
                        let (yy, xx) = if horizontal {
                            (y, (x + o).clamp(0, w - 1))
                        } else {
                            ((y + o).clamp(0, h - 1), x)
                        };
                        acc += weight * src.get(c, yy as usize, xx as usize);
                    }
                    out.data[c * (h * w) as usize + (y * w + x) as usize] = acc / norm;
                }
            }
        }
        out
    };
    pass(&pass(img, true), false)
}

pub fn add_noise(img: &mut Image, rng: &mut Rng, sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    for pair in img.data.chunks_mut(2) {
        let (a, b) = rng.normal_pair();
        for (v, n) in pair.iter_mut().zip([a, b]) {
            *v = (*v + sigma * n).clamp(0.0, 1.0);
        }
    }
}

/// How strongly colour is distorted at strength 1.
#[derive(Clone, Copy, Debug)]
pub struct ColourRecipe {
    /// Hue jitter range in turns (SimCLR: 0.2).
    pub hue: f32,
    /// Probability of grayscale (SimCLR: 0.2).
    pub grayscale: f32,
}

/// SimCLR's ImageNet recipe.
pub const SIMCLR_COLOUR: ColourRecipe = ColourRecipe {
    hue: 0.2,
    grayscale: 0.2,
};

/// SimCLR's augmentation pipeline scaled by strength `s`: random resized crop, flip, colour
/// jitter (p 0.8), grayscale, Gaussian blur (p 0.5), noise.
pub fn simclr_view(img: &Image, rng: &mut Rng, s: f32, colour: ColourRecipe) -> Image {
    if s <= 0.0 {
        return img.clone();
    }
    let p = s.min(1.0);
    let mut out = random_resized_crop(img, rng, 1.0 - 0.6 * s.min(1.5));
    if rng.chance(0.5) {
        flip_horizontal(&mut out);
    }
    if rng.chance(0.8 * p) {
        color_jitter(&mut out, rng, s, colour.hue * s);
    }
    if rng.chance(colour.grayscale * p) {
        grayscale(&mut out);
    }
    if rng.chance(0.5 * p) {
        let sigma = rng.range(0.1, 0.6 * s);
        out = gaussian_blur(&out, sigma);
    }
    add_noise(&mut out, rng, 0.03 * s);
    out
}

#[cfg(test)]
mod tests {
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
        let img = ramp();
        let m = rotation_about_centre(8, 0.7);
        let warped = img.warp(m, 0.25);
        for c in 0..3 {
            for y in 0..8 {
                for x in 0..8 {
                    let (xf, yf) = (x as f32, y as f32);
                    let expected = img.sample(
                        c,
                        m[3] * xf + m[4] * yf + m[5],
                        m[0] * xf + m[1] * yf + m[2],
                        0.25,
                    );
                    assert_eq!(warped.data[c * 64 + y * 8 + x], expected);
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
        assert_eq!(img.sample(0, -5.0, -5.0, 0.25), 0.25);
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
}
