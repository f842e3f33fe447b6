use super::*;
use crate::rng::Rng;
use burn::tensor::Device;

fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.range(-1.0, 1.0)).collect()
}

fn leaf<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device).require_grad()
}

fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap_or_default()
}

fn close(ours: &[f32], reference: &[f32], what: &str) {
    assert_eq!(ours.len(), reference.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(reference).enumerate() {
        assert!(
            (a - b).abs() < 2e-4 * (1.0 + b.abs()),
            "{what}[{i}]: {a} vs {b}"
        );
    }
}

/// Output and every input's gradient of `ours` and `reference` (the same layer written with
/// Burn's ops) under a random upstream gradient.
fn compare(
    rows: usize,
    cols: [usize; 2],
    ours: impl Fn(Tensor<2>, Tensor<2>, Tensor<1>) -> Tensor<2>,
    reference: impl Fn(Tensor<2>, Tensor<2>, Tensor<1>) -> Tensor<2>,
    square_weight: bool,
) {
    let device = Device::flex().autodiff();
    let mut rng = Rng::new(11);
    let [d_in, d_out] = cols;
    let x = random(&mut rng, rows * d_in);
    let w_shape = if square_weight {
        [1, d_out]
    } else {
        [d_in, d_out]
    };
    let w = random(&mut rng, w_shape[0] * w_shape[1]);
    let b = random(&mut rng, d_out);
    let upstream = random(&mut rng, rows * d_out);
    let run = |f: &dyn Fn(Tensor<2>, Tensor<2>, Tensor<1>) -> Tensor<2>| {
        let (x, w, b) = (
            leaf(x.clone(), [rows, d_in], &device),
            leaf(w.clone(), w_shape, &device),
            leaf(b.clone(), [d_out], &device),
        );
        let y = f(x.clone(), w.clone(), b.clone());
        let up = Tensor::<2>::from_data(TensorData::new(upstream.clone(), [rows, d_out]), &device);
        let grads = (y.clone() * up).sum().backward();
        let g = |t: Vec<f32>| t;
        [
            read(y),
            g(x.grad(&grads).map(read).unwrap_or_default()),
            g(w.grad(&grads).map(read).unwrap_or_default()),
            g(b.grad(&grads).map(read).unwrap_or_default()),
        ]
    };
    let (a, r) = (run(&ours), run(&reference));
    for (what, (a, r)) in ["output", "∂x", "∂W", "∂b"].iter().zip(a.iter().zip(&r)) {
        assert!(!r.is_empty(), "{what} missing");
        close(a, r, what);
    }
}

#[test]
fn the_host_linear_layer_equals_burns_forward_and_backward() {
    for activation in [Activation::Identity, Activation::Relu] {
        // Small (one core), large (split by rows), wide (split by columns).
        for (rows, d_in, d_out) in [(5, 3, 4), (512, 64, 256), (64, 300, 257)] {
            compare(
                rows,
                [d_in, d_out],
                |x, w, b| affine(x, w, b, activation),
                |x, w, b| activate(x.matmul(w) + b.unsqueeze_dim(0), activation),
                false,
            );
        }
    }
}

/// The gather by runs equals the element-by-element gather, and its backward pass the
/// scatter-add in the taps' order, bit for bit: repeated columns, runs broken and resumed,
/// padding (columns past the row) at the ends and inside; one core and split.
#[test]
fn the_gather_by_runs_equals_a_gather_and_a_scatter_add_exactly() {
    let device = Device::flex().autodiff();
    let mut rng = Rng::new(13);
    for (rows, len) in [(3, 7), (600, 500)] {
        let mut index: Vec<u32> = vec![len as u32, 0, 1, 2, 2, 3, 9_999];
        index.extend((0..len as u32).rev());
        index.extend((0..3 * len).map(|_| rng.below(len + 2) as u32));
        index.extend(0..len as u32);
        let taps = index.len();
        let x = random(&mut rng, rows * len);
        let upstream = random(&mut rng, rows * taps);
        let xt = leaf(x.clone(), [rows, len], &device);
        let y = gather_columns(xt.clone(), &index);
        let up = Tensor::<2>::from_data(TensorData::new(upstream.clone(), [rows, taps]), &device);
        let grads = (y.clone() * up).sum().backward();
        let (mut want_y, mut want_dx) = (vec![0.0f32; rows * taps], vec![0.0f32; rows * len]);
        for r in 0..rows {
            for (t, &i) in index.iter().enumerate() {
                if (i as usize) < len {
                    want_y[r * taps + t] = x[r * len + i as usize];
                    want_dx[r * len + i as usize] += upstream[r * taps + t];
                }
            }
        }
        assert_eq!(read(y), want_y, "{rows}×{len}: output");
        assert_eq!(xt.grad(&grads).map(read), Some(want_dx), "{rows}×{len}: ∂x");
    }
    assert_eq!(
        runs_of(&[4, 0, 1, 2, 2, 3, 7, 4], 4),
        [(None, 1), (Some(0), 3), (Some(2), 2), (None, 2)].map(|(from, len)| Run { from, len })
    );
}

#[test]
fn host_batch_norm_with_relu_equals_burns_forward_and_backward() {
    let gamma = |g: Tensor<2>| {
        let [_, cols] = g.dims();
        g.reshape([cols])
    };
    for (rows, cols) in [(7, 3), (512, 256), (300, 33)] {
        compare(
            rows,
            [cols, cols],
            |x, g, b| batch_norm_relu(x, gamma(g), b, 1e-5),
            |x, g, b| relu(batch_norm(x, gamma(g), b, 1e-5)),
            true,
        );
    }
}

#[test]
fn off_the_graph_the_layers_compute_the_same_forward() {
    let mut rng = Rng::new(5);
    let (rows, d_in, d_out) = (300, 40, 70);
    let (x, w, b) = (
        random(&mut rng, rows * d_in),
        random(&mut rng, d_in * d_out),
        random(&mut rng, d_out),
    );
    let plain = Device::flex();
    let t2 = |v: &[f32], shape: [usize; 2]| {
        Tensor::<2>::from_data(TensorData::new(v.to_vec(), shape), &plain)
    };
    let (xt, wt) = (t2(&x, [rows, d_in]), t2(&w, [d_in, d_out]));
    let bt = Tensor::<1>::from_data(TensorData::new(b.clone(), [d_out]), &plain);
    let ours = affine(xt.clone(), wt.clone(), bt.clone(), Activation::Relu);
    let reference = relu(xt.matmul(wt) + bt.unsqueeze_dim(0));
    close(&read(ours), &read(reference), "output");
}

#[test]
fn a_constant_input_gets_no_gradient_and_the_parameters_do() {
    // The first layer's input (a batch) is not a leaf that requires a gradient.
    let device = Device::flex().autodiff();
    let x = Tensor::<2>::from_data(TensorData::new(vec![1.0, -2.0, 3.0, 0.5], [2, 2]), &device);
    let w = leaf(vec![0.5, -1.0, 2.0, 1.0], [2, 2], &device);
    let b = leaf(vec![0.1, 0.2], [2], &device);
    let grads = affine(x.clone(), w.clone(), b.clone(), Activation::Identity)
        .sum()
        .backward();
    assert!(x.grad(&grads).is_none());
    // ∂Σy/∂W = xᵀ·1: the column sums of x (4, −1.5), once per output.
    close(
        &w.grad(&grads).map(read).unwrap_or_default(),
        &[4.0, 4.0, -1.5, -1.5],
        "∂W",
    );
    close(
        &b.grad(&grads).map(read).unwrap_or_default(),
        &[2.0, 2.0],
        "∂b",
    );
}
