//! `folder:PATH`: your own images, one sub-folder per class (the ImageFolder convention:
//! `PATH/cat/001.png`, `PATH/dog/x.jpg` …). Images are loaded with the `image` crate, resized to
//! [`SIZE`]×[`SIZE`] RGB, and augmented like `shapes` (SimCLR's crop, flip, colour jitter,
//! grayscale, blur, noise). Unreadable files are skipped and counted; an empty or missing
//! folder is an error.

use super::augment;
use super::{InputKind, Source};
use crate::error::{LabError, Result};
use crate::rng::Rng;
use image::imageops::FilterType;
use std::path::{Path, PathBuf};

/// Side of the square images the encoder sees.
pub const SIZE: usize = 24;

/// File name endings the loader tries (others are ignored, not counted as broken).
pub const EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "gif", "webp"];

pub struct ImageFolder {
    root: PathBuf,
    names: Vec<String>,
    /// `[n, 3, SIZE, SIZE]`, values in [0, 1].
    images: super::ImageStack,
    labels: Vec<usize>,
    /// Image files that could not be decoded, with why.
    skipped: Vec<(PathBuf, String)>,
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn visible(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.'))
}

/// Sorted entries of `dir` that satisfy `keep`.
fn entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LabError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| visible(p) && keep(p))
        .collect();
    out.sort();
    Ok(out)
}

/// One image file as `[3, SIZE, SIZE]` in [0, 1].
pub fn load_image(path: &Path) -> std::result::Result<Vec<f32>, String> {
    // Decoded under limits: a file declaring 100 000 × 100 000 pixels is refused unread.
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    reader.limits(crate::limits::image_limits());
    let img = reader.decode().map_err(|e| e.to_string())?.to_rgb8();
    let small = image::imageops::resize(&img, SIZE as u32, SIZE as u32, FilterType::Triangle);
    let mut out = vec![0f32; 3 * SIZE * SIZE];
    for (x, y, px) in small.enumerate_pixels() {
        for c in 0..3 {
            out[c * SIZE * SIZE + y as usize * SIZE + x as usize] = px[c] as f32 / 255.0;
        }
    }
    Ok(out)
}

impl ImageFolder {
    pub fn load(root: &Path) -> Result<Self> {
        let where_ = root.display();
        if !root.is_dir() {
            return Err(LabError::Dataset(format!(
                "image folder {where_} does not exist or is not a folder"
            )));
        }
        let classes = entries(root, |p| p.is_dir())?;
        if classes.is_empty() {
            return Err(LabError::Dataset(format!(
                "image folder {where_} has no class sub-folders (expected {where_}/<class>/<image>, e.g. {where_}/cats/1.png)"
            )));
        }
        let mut names = Vec::new();
        let mut images = super::ImageStack::new(SIZE);
        let mut labels = Vec::new();
        let mut skipped = Vec::new();
        for dir in &classes {
            let files = entries(dir, |p| p.is_file() && is_image(p))?;
            let label = names.len();
            let mut count = 0;
            for f in files {
                match load_image(&f) {
                    Ok(px) => {
                        images.push(&px);
                        labels.push(label);
                        count += 1;
                    }
                    Err(why) => skipped.push((f, why)),
                }
            }
            if count > 0 {
                names.push(
                    dir.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
        if labels.len() < 2 {
            let first = skipped
                .first()
                .map(|(f, why)| format!(", the first {}: {why}", f.display()))
                .unwrap_or_default();
            return Err(LabError::Dataset(format!(
                "image folder {where_} has {} readable image(s) in its class sub-folders ({} skipped as unreadable{first}); it needs at least 2 (formats: {})",
                labels.len(),
                skipped.len(),
                EXTENSIONS.join(", ")
            )));
        }
        Ok(Self {
            root: root.to_path_buf(),
            names,
            images,
            labels,
            skipped,
        })
    }

    pub fn skipped(&self) -> &[(PathBuf, String)] {
        &self.skipped
    }
}

impl Source for ImageFolder {
    fn name(&self) -> String {
        format!("folder:{}", self.root.display())
    }

    fn input(&self) -> InputKind {
        self.images.input()
    }

    fn class_names(&self) -> &[String] {
        &self.names
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn base(&self, i: usize) -> &[f32] {
        self.images.get(i)
    }

    fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
        augment::simclr_view(&self.images.image(i), rng, strength, augment::SIMCLR_COLOUR).data
    }

    fn warning(&self) -> Option<String> {
        let (first, why) = self.skipped.first()?;
        Some(format!(
            "{} unreadable image file(s) skipped in {} (first: {}: {why})",
            self.skipped.len(),
            self.root.display(),
            first.display()
        ))
    }
}
