//! A planar image.

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

    /// Pixels per channel.
    pub(super) fn plane(&self) -> usize {
        self.height * self.width
    }

    pub fn get(&self, c: usize, y: usize, x: usize) -> f32 {
        self.data[c * self.plane() + y * self.width + x]
    }
}
