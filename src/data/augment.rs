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
        let taps = Taps::at(y, x);
        let plane = &self.data[c * self.plane()..(c + 1) * self.plane()];
        taps.blend(plane, self.height, self.width, fill)
    }

    /// Resample through an affine map from output pixel centres to input coordinates:
    /// `(x_in, y_in) = (a·x + b·y + tx, c·x + d·y + ty)`. Each pixel's taps are found once
    /// for all channels, in a copy of the image framed by [`FRAME`] pixels of `fill`: a
    /// pixel whose taps straddle the edge reads them there as from the inside, and one whose
    /// taps lie further out has them moved onto the frame's outer two columns (rows), which
    /// hold `fill` only: the same four values, so no tap is ever checked. Four pixels at a
    /// time in SSE registers on x86-64 (the same operations in the same order: the same
    /// numbers as one at a time, tested).
    pub fn warp(&self, m: [f32; 6], fill: f32) -> Image {
        let (height, width) = (self.height, self.width);
        let framed = self.framed(fill);
        let grid = Grid::new(m, height, width);
        let framed_plane = (height + 2 * FRAME) * grid.framed_width;
        let mut out = Image::new(self.channels, height, width);
        let plane = self.plane();
        let mut row = RowTaps::new(width);
        for y in 0..height {
            grid.row(y, &mut row);
            for c in 0..self.channels {
                let p = &framed[c * framed_plane..(c + 1) * framed_plane];
                let out_row = &mut out.data[c * plane + y * width..c * plane + (y + 1) * width];
                row.mix(p, grid.framed_width, out_row);
            }
        }
        out
    }

    /// Each plane inside a frame [`FRAME`] pixels wide of `fill`
    /// (`[channels, height + 2·FRAME, width + 2·FRAME]`).
    fn framed(&self, fill: f32) -> Vec<f32> {
        let (height, width) = (self.height, self.width);
        let framed_width = width + 2 * FRAME;
        let framed_plane = (height + 2 * FRAME) * framed_width;
        let mut framed = vec![fill; self.channels * framed_plane];
        for (plane, out) in self
            .data
            .chunks_exact(self.plane().max(1))
            .zip(framed.chunks_exact_mut(framed_plane.max(1)))
        {
            for (row, out) in plane
                .chunks_exact(width.max(1))
                .zip(out[FRAME * framed_width..].chunks_exact_mut(framed_width))
            {
                out[FRAME..FRAME + width].copy_from_slice(row);
            }
        }
        framed
    }
}

/// The width of [`Image::warp`]'s frame of fill: two taps beyond either edge.
const FRAME: usize = 2;

/// The affine map of a warp and the image it reads: where each output pixel's taps are.
struct Grid {
    m: [f32; 6],
    width: usize,
    framed_width: usize,
    /// The top-left tap's last column (row) that is not all fill, as a float: `width`
    /// (`height`); a top-left tap at or beyond it, or at or before −FRAME, reads fill only.
    x_max: f32,
    y_max: f32,
}

/// One output row's taps: the framed index of each pixel's top-left tap and its weights.
struct RowTaps {
    k: Vec<usize>,
    fx: Vec<f32>,
    fy: Vec<f32>,
}

impl RowTaps {
    fn new(width: usize) -> Self {
        Self {
            k: vec![0; width],
            fx: vec![0.0; width],
            fy: vec![0.0; width],
        }
    }

    /// `out[x]`: the bilinear mix of pixel x's four taps in the framed plane `p`.
    fn mix(&self, p: &[f32], framed_width: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of every x86-64 processor.
        let x = unsafe { self.mix_sse2(p, framed_width, out) };
        #[cfg(not(target_arch = "x86_64"))]
        let x = 0;
        for (x, out) in out.iter_mut().enumerate().skip(x) {
            *out = bilinear(self.fx[x], self.fy[x], self.taps(p, framed_width, x));
        }
    }

    /// Pixel x's four taps in the framed plane `p`.
    fn taps(&self, p: &[f32], framed_width: usize, x: usize) -> [f32; 4] {
        let k = self.k[x];
        [p[k], p[k + 1], p[k + framed_width], p[k + framed_width + 1]]
    }

    /// [`RowTaps::mix`] four pixels at a time, as far as whole fours go; where it stopped.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    fn mix_sse2(&self, p: &[f32], framed_width: usize, out: &mut [f32]) -> usize {
        use std::arch::x86_64::*;
        let taps = |x: usize| self.taps(p, framed_width, x);
        let mut x = 0;
        while x + 4 <= out.len() {
            let [a, b, c, d] = [taps(x), taps(x + 1), taps(x + 2), taps(x + 3)];
            let lanes = |t: usize| _mm_set_ps(d[t], c[t], b[t], a[t]);
            let load = |v: &[f32]| _mm_set_ps(v[x + 3], v[x + 2], v[x + 1], v[x]);
            let (fx, fy, one) = (load(&self.fx), load(&self.fy), _mm_set1_ps(1.0));
            // [`bilinear`]: top = v0·(1 − fx) + v1·fx, bottom likewise, then top·(1 − fy) + bottom·fy.
            let (gx, gy) = (_mm_sub_ps(one, fx), _mm_sub_ps(one, fy));
            let top = _mm_add_ps(_mm_mul_ps(lanes(0), gx), _mm_mul_ps(lanes(1), fx));
            let bottom = _mm_add_ps(_mm_mul_ps(lanes(2), gx), _mm_mul_ps(lanes(3), fx));
            let mixed = _mm_add_ps(_mm_mul_ps(top, gy), _mm_mul_ps(bottom, fy));
            let mut v = [0.0f32; 4];
            // SAFETY: `v` holds four f32s.
            unsafe { _mm_storeu_ps(v.as_mut_ptr(), mixed) };
            out[x..x + 4].copy_from_slice(&v);
            x += 4;
        }
        x
    }
}

impl Grid {
    fn new(m: [f32; 6], height: usize, width: usize) -> Self {
        Self {
            m,
            width,
            framed_width: width + 2 * FRAME,
            x_max: width as f32,
            y_max: height as f32,
        }
    }

    /// Pixel `(x, y)`'s taps, one at a time.
    fn tap(&self, x: usize, y: usize) -> (usize, f32, f32) {
        let (m, xf, yf) = (&self.m, x as f32, y as f32);
        let xi = m[0] * xf + m[1] * yf + m[2];
        let yi = m[3] * xf + m[4] * yf + m[5];
        let taps = Taps::at(yi, xi);
        let frame = FRAME as isize;
        let tx = taps.x0.clamp(-frame, self.x_max as isize);
        let ty = taps.y0.clamp(-frame, self.y_max as isize);
        let k = (ty + frame) as usize * self.framed_width + (tx + frame) as usize;
        (k, taps.fx, taps.fy)
    }

    /// Row `y`'s taps into `row`.
    fn row(&self, y: usize, row: &mut RowTaps) {
        let mut x = 0;
        #[cfg(target_arch = "x86_64")]
        while x + 4 <= self.width {
            // SAFETY: SSE2 is part of every x86-64 processor.
            if !unsafe { self.four_taps(x, y, row) } {
                break; // coordinates past ±2²³ (or NaN): one at a time, as `floor` does
            }
            x += 4;
        }
        for x in x..self.width {
            (row.k[x], row.fx[x], row.fy[x]) = self.tap(x, y);
        }
    }

    /// Pixels `x..x + 4` of row `y` in SSE registers: the operations of [`Grid::tap`] (and of
    /// [`floor`] for coordinates below 2²³ in magnitude). `false` (nothing written) where a
    /// coordinate is not.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    fn four_taps(&self, x: usize, y: usize, row: &mut RowTaps) -> bool {
        use std::arch::x86_64::*;
        let m = &self.m;
        let x0 = x as f32;
        let xf = _mm_set_ps(x0 + 3.0, x0 + 2.0, x0 + 1.0, x0);
        let yf = _mm_set1_ps(y as f32);
        let coordinate = |a: f32, b: f32, t: f32| {
            _mm_add_ps(
                _mm_add_ps(
                    _mm_mul_ps(_mm_set1_ps(a), xf),
                    _mm_mul_ps(_mm_set1_ps(b), yf),
                ),
                _mm_set1_ps(t),
            )
        };
        let (xi, yi) = (coordinate(m[0], m[1], m[2]), coordinate(m[3], m[4], m[5]));
        // |v| < 2²³ (false for NaN): there `⌊v⌋` is the truncation, less one where it rose.
        let abs = |v: __m128| _mm_andnot_ps(_mm_set1_ps(-0.0), v);
        let limit = _mm_set1_ps(8_388_608.0);
        let fits = _mm_and_ps(_mm_cmplt_ps(abs(xi), limit), _mm_cmplt_ps(abs(yi), limit));
        if _mm_movemask_ps(fits) != 0b1111 {
            return false;
        }
        let floor = |v: __m128| {
            let t = _mm_cvtepi32_ps(_mm_cvttps_epi32(v));
            _mm_sub_ps(t, _mm_and_ps(_mm_cmpgt_ps(t, v), _mm_set1_ps(1.0)))
        };
        let (fx0, fy0) = (floor(xi), floor(yi));
        let (fx, fy) = (_mm_sub_ps(xi, fx0), _mm_sub_ps(yi, fy0));
        let frame = _mm_set1_ps(FRAME as f32);
        let clamp = |v: __m128, max: f32| {
            _mm_min_ps(
                _mm_max_ps(v, _mm_set1_ps(-(FRAME as f32))),
                _mm_set1_ps(max),
            )
        };
        let (tx, ty) = (clamp(fx0, self.x_max), clamp(fy0, self.y_max));
        // Small integers: exact in f32.
        let k = _mm_add_ps(
            _mm_mul_ps(_mm_add_ps(ty, frame), _mm_set1_ps(self.framed_width as f32)),
            _mm_add_ps(tx, frame),
        );
        let (mut ks, mut wx, mut wy) = ([0i32; 4], [0.0f32; 4], [0.0f32; 4]);
        // SAFETY: each array holds four 32-bit values.
        unsafe {
            _mm_storeu_si128(ks.as_mut_ptr().cast(), _mm_cvttps_epi32(k));
            _mm_storeu_ps(wx.as_mut_ptr(), fx);
            _mm_storeu_ps(wy.as_mut_ptr(), fy);
        }
        for i in 0..4 {
            row.k[x + i] = ks[i] as usize;
            row.fx[x + i] = wx[i];
            row.fy[x + i] = wy[i];
        }
        true
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

/// A bilinear sample's top-left pixel (may lie outside the image) and its weights.
struct Taps {
    x0: isize,
    y0: isize,
    fx: f32,
    fy: f32,
}

impl Taps {
    fn at(y: f32, x: f32) -> Self {
        let (x0, y0) = (floor(x), floor(y));
        Self {
            x0: x0 as isize,
            y0: y0 as isize,
            fx: x - x0,
            fy: y - y0,
        }
    }

    /// The sample of one channel's `plane`, reading `fill` outside it.
    fn blend(&self, plane: &[f32], height: usize, width: usize, fill: f32) -> f32 {
        let (h, w) = (height as isize, width as isize);
        let v = |dy: isize, dx: isize| {
            let (yy, xx) = (self.y0.saturating_add(dy), self.x0.saturating_add(dx));
            if (0..h).contains(&yy) && (0..w).contains(&xx) {
                plane[(yy * w + xx) as usize]
            } else {
                fill
            }
        };
        bilinear(self.fx, self.fy, [v(0, 0), v(0, 1), v(1, 0), v(1, 1)])
    }
}

/// The bilinear mix of four taps' values (top-left, top-right, bottom-left, bottom-right) with
/// weights `fx`, `fy` towards the right and the bottom.
fn bilinear(fx: f32, fy: f32, [v0, v1, v2, v3]: [f32; 4]) -> f32 {
    let top = v0 * (1.0 - fx) + v1 * fx;
    let bottom = v2 * (1.0 - fx) + v3 * fx;
    top * (1.0 - fy) + bottom * fy
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
        let (r, g, b) = hsv_to_rgb(rem_euclid(h + turns, 1.0), s, v);
        img.data[i] = r;
        img.data[p + i] = g;
        img.data[2 * p + i] = b;
    }
}

/// `x.rem_euclid(m)` for `m > 0`, bit for bit, without the libm `fmodf` call for
/// `−m < x < 2m` (every call in this module): there the remainder is `x`, `x − m` or `x + m`,
/// exact (Sterbenz) or rounded exactly as `rem_euclid` rounds it.
fn rem_euclid(x: f32, m: f32) -> f32 {
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
fn mod_two(h6: f32) -> f32 {
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

/// Separable Gaussian blur with standard deviation `sigma` pixels (kernel radius ⌈2σ⌉).
pub fn gaussian_blur(img: &Image, sigma: f32) -> Image {
    if sigma < 0.05 || img.data.is_empty() {
        return img.clone();
    }
    let r = (2.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let norm: f32 = kernel.iter().sum();
    let (h, w) = (img.height, img.width);
    let reach = r as usize;
    // Each output is Σₖ weightₖ·(the edge-clamped input k − r away), summed in k's order and
    // then divided by the kernel's sum; each pass works on a copy of its lines with `reach`
    // clamped values on both sides, so the sums run over slices.
    let mut out = Image::new(img.channels, h, w);
    let mut across = vec![0.0f32; h * w]; // one channel after the horizontal pass
    let mut line = Vec::with_capacity(w.max(h) + 2 * reach);
    let mut acc = vec![0.0f32; w];
    for (src, dst) in img
        .data
        .chunks_exact((h * w).max(1))
        .zip(out.data.chunks_exact_mut((h * w).max(1)))
    {
        for (row, out_row) in src.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
            padded(&mut line, row, reach);
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, weight) in kernel.iter().enumerate() {
                for (a, v) in acc.iter_mut().zip(&line[k..k + w]) {
                    *a += weight * v;
                }
            }
            out_row
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, a)| *o = a / norm);
        }
        for (y, out_row) in dst.chunks_exact_mut(w).enumerate() {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, weight) in kernel.iter().enumerate() {
                let yy = (y + k).saturating_sub(reach).min(h - 1);
                for (a, v) in acc.iter_mut().zip(&across[yy * w..(yy + 1) * w]) {
                    *a += weight * v;
                }
            }
            out_row
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, a)| *o = a / norm);
        }
    }
    out
}

/// `row` with its first and last value repeated `reach` times before and after it.
fn padded(line: &mut Vec<f32>, row: &[f32], reach: usize) {
    line.clear();
    let (first, last) = (row[0], row[row.len() - 1]);
    line.extend(std::iter::repeat_n(first, reach));
    line.extend_from_slice(row);
    line.extend(std::iter::repeat_n(last, reach));
}

pub fn add_noise(img: &mut Image, rng: &mut Rng, sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    let mut noise = vec![0.0f32; img.data.len()];
    rng.normals(&mut noise);
    for (v, n) in img.data.iter_mut().zip(&noise) {
        *v = (*v + sigma * n).clamp(0.0, 1.0);
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
mod tests;
