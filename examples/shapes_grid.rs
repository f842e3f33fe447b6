//! Writes `shapes_grid.png`: rows of shapes samples, each followed by augmented views.
use contrastive_lab::data::Source;
use contrastive_lab::data::shapes::{SIZE, Shapes};
use contrastive_lab::rng::Rng;

fn main() {
    let s = Shapes::new(0);
    let strength: f32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    let (rows, cols, scale) = (12, 8, 6);
    let mut img = image::RgbImage::new((cols * SIZE * scale) as u32, (rows * SIZE * scale) as u32);
    let mut rng = Rng::new(1);
    for r in 0..rows {
        for c in 0..cols {
            let data = if c == 0 {
                s.base(r).to_vec()
            } else {
                s.view(r, &mut rng, strength)
            };
            for y in 0..SIZE * scale {
                for x in 0..SIZE * scale {
                    let i = (y / scale) * SIZE + x / scale;
                    let px = |ch: usize| (data[ch * SIZE * SIZE + i].clamp(0.0, 1.0) * 255.0) as u8;
                    img.put_pixel(
                        (c * SIZE * scale + x) as u32,
                        (r * SIZE * scale + y) as u32,
                        image::Rgb([px(0), px(1), px(2)]),
                    );
                }
            }
        }
    }
    let _ = img.save("shapes_grid.png");
}
