use super::*;
use crate::rng::Rng;

fn naive(a: Mat, b: Mat) -> Vec<f64> {
    let mut out = vec![0.0; a.rows * b.cols];
    for i in 0..a.rows {
        for j in 0..b.cols {
            out[i * b.cols + j] = (0..a.cols)
                .map(|p| a.data[i * a.rs + p * a.cs] as f64 * b.data[p * b.rs + j * b.cs] as f64)
                .sum();
        }
    }
    out
}

fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.normal()).collect()
}

#[test]
fn split_products_equal_the_plain_sum_in_every_layout() {
    let mut rng = Rng::new(3);
    // Small (one block), tall (split by rows), wide (split by columns), odd sizes.
    for &(m, k, n) in &[(5, 7, 3), (517, 64, 256), (64, 512, 300), (300, 33, 301)] {
        let a = random(&mut rng, m * k);
        let b = random(&mut rng, k * n);
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        for (b_view, into) in [
            (Mat::new(&b, k, n), Into::Overwrite),
            (Mat::new(&bt, n, k).t(), Into::Accumulate),
        ] {
            let mut dst = vec![1.0f32; m * n];
            product(
                MatMut::new(&mut dst, m, n),
                Mat::new(&a, m, k),
                b_view,
                0.5,
                into,
            );
            let expected = naive(Mat::new(&a, m, k), Mat::new(&b, k, n));
            let base = if into == Into::Accumulate { 1.0 } else { 0.0 };
            for (got, want) in dst.iter().zip(&expected) {
                assert!((*got as f64 - (base + 0.5 * want)).abs() < 1e-3 * (1.0 + want.abs()));
            }
        }
    }
}

#[test]
fn a_split_product_is_bit_identical_to_one_on_one_core() {
    let mut rng = Rng::new(4);
    let (m, k, n) = (512, 256, 256);
    let (a, b) = (random(&mut rng, m * k), random(&mut rng, k * n));
    let run = |split: bool| {
        let mut dst = vec![0.0f32; m * n];
        let mut go = || {
            product(
                MatMut::new(&mut dst, m, n),
                Mat::new(&a, m, k),
                Mat::new(&b, k, n),
                1.0,
                Into::Overwrite,
            )
        };
        if split {
            go()
        } else {
            on_one_core(go)
        }
        dst
    };
    assert_eq!(run(true), run(false));
}

/// A transposed right operand (copied row-major inside) gives exactly the numbers of the
/// same matrix stored row-major: edges of every width, rows padded by a stride.
#[test]
fn a_transposed_right_operand_gives_the_numbers_of_its_row_major_copy() {
    let mut rng = Rng::new(5);
    for &(m, k, n, stride) in &[(64, 5, 7, 5), (300, 37, 70, 40), (512, 256, 256, 256)] {
        let a = random(&mut rng, m * k);
        let bt = random(&mut rng, n * stride); // [n, k] rows `stride` apart
        let b: Vec<f32> = (0..k * n).map(|i| bt[(i % n) * stride + i / n]).collect();
        let run = |b_view: Mat| {
            let mut dst = vec![0.0f32; m * n];
            product(
                MatMut::new(&mut dst, m, n),
                Mat::new(&a, m, k),
                b_view,
                1.0,
                Into::Overwrite,
            );
            dst
        };
        let transposed = Mat::strided(&bt[..(n - 1) * stride + k], n, k, stride).t();
        assert_eq!(run(transposed), run(Mat::new(&b, k, n)), "{m}×{k}×{n}");
    }
}

#[test]
fn transposed_copies_every_value_across_tiles_and_edges() {
    for &(rows, cols) in &[(1, 1), (3, 70), (70, 33), (512, 512), (37, 4)] {
        let a: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let t = copy_row_major(Mat::new(&a, rows, cols).t());
        for i in 0..rows {
            for j in 0..cols {
                assert_eq!(t[j * rows + i], a[i * cols + j], "{rows}×{cols} at {i},{j}");
            }
        }
    }
}

#[test]
fn a_new_product_equals_one_into_zeros() {
    let mut rng = Rng::new(9);
    for (m, k, n) in [
        (0, 3, 4),
        (3, 0, 4),
        (5, 7, 3),
        (300, 64, 200),
        (512, 64, 512),
    ] {
        let (a, b) = (random(&mut rng, m * k), random(&mut rng, k * n));
        let (a, b) = (Mat::new(&a, m, k), Mat::new(&b, n, k).t());
        let mut expected = vec![0.0f32; m * n];
        product(MatMut::new(&mut expected, m, n), a, b, 0.5, Into::Overwrite);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&new_product(a, b, 0.5)),
            bits(&expected),
            "{m}×{k}×{n}"
        );
    }
}

#[test]
fn strided_destinations_keep_their_gaps() {
    let (m, k, n) = (300, 64, 200);
    let a = vec![1.0f32; m * k];
    let b = vec![1.0f32; k * n];
    let mut dst = vec![-1.0f32; m * (n + 3)];
    product(
        MatMut::strided(&mut dst, m, n, n + 3),
        Mat::new(&a, m, k),
        Mat::new(&b, k, n),
        1.0,
        Into::Overwrite,
    );
    for row in dst.chunks_exact(n + 3) {
        assert!(row[..n].iter().all(|&v| v == k as f32));
        assert!(row[n..].iter().all(|&v| v == -1.0));
    }
}
