//! The geometric augmentations (random resized crop, rotation and scale, flip), and the
//! bilinear sampling of [`Image::warp`] under them, four taps a pixel with SSE2 where it is.

use super::Image;
use crate::rng::Rng;

impl Image {
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
        // Four at a time in SSE registers where there are any, then one at a time.
        #[cfg(target_arch = "x86_64")]
        let x = {
            let mut x = 0;
            while x + 4 <= self.width {
                // SAFETY: SSE2 is part of every x86-64 processor.
                if !unsafe { self.four_taps(x, y, row) } {
                    break; // coordinates past ±2²³ (or NaN): one at a time, as `floor` does
                }
                x += 4;
            }
            x
        };
        #[cfg(not(target_arch = "x86_64"))]
        let x = 0;
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
pub(super) fn floor(v: f32) -> f32 {
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
