//! One-core GFLOPS of products in the three layouts a layer uses: x·W (forward), g·Wᵀ (the
//! input's gradient) and xᵀ·g (the weight's gradient), at the sizes of the bench's models.
use contrastive_lab::cpu::gemm::{Into, Mat, MatMut, on_one_core, product};
use std::time::Instant;

/// A layout: its name and the two operands of `[m, k]·[k, n]` viewed from row-major buffers.
type Layout = (
    &'static str,
    for<'a> fn(&'a [f32], &'a [f32], usize, usize, usize) -> (Mat<'a>, Mat<'a>),
);

const LAYOUTS: [Layout; 3] = [
    ("A·B", |a, b, m, k, n| {
        (Mat::new(a, m, k), Mat::new(b, k, n))
    }),
    ("A·Bᵀ", |a, b, m, k, n| {
        (Mat::new(a, m, k), Mat::new(b, n, k).t())
    }),
    ("Aᵀ·B", |a, b, m, k, n| {
        (Mat::new(a, k, m).t(), Mat::new(b, k, n))
    }),
];

fn main() {
    contrastive_lab::train::allocator::keep_freed_memory();
    for &(m, k, n) in &[
        (256usize, 256usize, 256usize),
        (256, 64, 256),
        (256, 256, 64),
        (512, 256, 256),
        (256, 64, 16),
        (256, 16, 64),
    ] {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut dst = vec![0.0f32; m * n];
        for (name, operands) in LAYOUTS {
            let reps = 300;
            // The fastest of five rounds: the least disturbed by other load on the machine.
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                on_one_core(|| {
                    for _ in 0..reps {
                        let (av, bv) = operands(&a, &b, m, k, n);
                        product(MatMut::new(&mut dst, m, n), av, bv, 1.0, Into::Overwrite);
                    }
                });
                best = best.min(t.elapsed().as_secs_f64() * 1e6 / reps as f64);
            }
            let gflops = 2.0 * (m * n * k) as f64 / best / 1e3;
            println!("[{m},{k}]·[{k},{n}] {name}: {best:.1} µs, {gflops:.0} GFLOPS");
        }
    }
}
