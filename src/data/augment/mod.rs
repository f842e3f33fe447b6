//! Image augmentations (SimCLR's list), on planar `[channels, height, width]` f32 images in
//! [0, 1]. Each is scaled by one augmentation-strength knob `s` (0 = identity, 1 = the paper's
//! default recipe, up to 3 = views that destroy the signal).
//!
//! The recipe comes first (below); the augmentations it composes are in `warp` (geometric:
//! crop, rotation, flip, with the fast bilinear sampling under them), `colour` (jitter,
//! grayscale, hue) and `blur` (Gaussian blur, noise); `image` is the image type.

mod blur;
mod colour;
mod image;
mod warp;

pub use blur::{add_noise, gaussian_blur};
pub use colour::{color_jitter, grayscale, hsv_to_rgb, rgb_to_hsv, shift_hue};
pub use image::Image;
pub use warp::{flip_horizontal, random_resized_crop, rotate_scale_shift, rotation_about_centre};

use crate::rng::Rng;

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
