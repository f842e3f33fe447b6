//! Times the CPU path's matrix products on one core and split over two
//! (`cargo run --release --example gemm_split`): the shapes of a SimCLR step at the bench's
//! sizes (batch 2×256, MLP 64→256→256, projector →64), forward and backward.
use contrastive_lab::cpu::gemm::{Into, Mat, MatMut, on_one_core, product};
use std::time::Instant;

fn main() {
    // (m, k, n): forward x·W, backward g·Wᵀ and xᵀ·g.
    let shapes = [
        (512, 64, 256),
        (512, 256, 256),
        (512, 256, 64),
        (256, 512, 256),
        (64, 512, 256),
        (512, 64, 512),
    ];
    for &(m, k, n) in &shapes {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut dst = vec![0.0f32; m * n];
        let mut time = |split: bool| {
            let reps = 200;
            let mut run = || {
                for _ in 0..reps {
                    product(
                        MatMut::new(&mut dst, m, n),
                        Mat::new(&a, m, k),
                        Mat::new(&b, k, n),
                        1.0,
                        Into::Overwrite,
                    );
                }
            };
            let t = Instant::now();
            if split {
                run()
            } else {
                on_one_core(run)
            }
            t.elapsed().as_secs_f64() * 1e6 / reps as f64
        };
        let (one, two) = (time(false), time(true));
        let (one, two) = (one.min(time(false)), two.min(time(true)));
        println!(
            "[{m}, {k}]·[{k}, {n}]: one core {one:.0} µs, two {two:.0} µs, {:.2}×",
            one / two
        );
    }
}
