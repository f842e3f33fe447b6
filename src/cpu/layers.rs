//! The network's layers as single host operations on the CPU path, each with its exact
//! backward pass registered in Burn's autodiff graph (a custom [`Backward`] step, as Burn's own
//! ops are written), so everything around them is still Burn: parameters, optimizer, the
//! methods' losses.
//!
//! - [`linear`]: `x·W + b` (and ReLU) as one product into a buffer that already holds the bias,
//!   on both cores ([`super::gemm`]); its backward pass is two more products and a column sum.
//!   Burn's op-by-op path runs the product on one core, then a broadcast add, then ReLU, each a
//!   pass over the activations forward and again backward.
//! - [`batch_norm_relu`]: batch norm with the current batch's statistics and ReLU, forward in
//!   two passes and backward in two, where Burn's graph of mean, centre, square, mean, sqrt,
//!   reciprocal, scale, shift and ReLU takes about ten forward and twenty backward.
//!
//! Off the CPU (a GPU), or for tensors these ops cannot read, each function runs Burn's own
//! formula: the same layer, the same numbers up to float rounding (tested below).

use super::gemm::{self, Mat, MatMut};
use super::rows;
use crate::model::{BatchNorm1d, bn};
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, AutodiffBackend, Flex};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Int, Tensor, TensorData};
use std::borrow::Cow;
use std::sync::Arc;

/// What follows a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
}

/// `layer(x)`, then the activation: `[rows, in] → [rows, out]`.
pub fn linear(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match &layer.bias {
        Some(bias) => affine(x, layer.weight.val(), bias.val(), activation),
        None => activate(layer.forward(x), activation),
    }
}

/// `x·W + b`, then the activation: `x: [rows, in]`, `W: [in, out]`, `b: [out]` → `[rows, out]`.
pub fn affine(
    x: Tensor<2>,
    weight: Tensor<2>,
    bias: Tensor<1>,
    activation: Activation,
) -> Tensor<2> {
    let on_host = Inputs::of([x.clone().into(), weight.clone().into(), bias.clone().into()]);
    match on_host {
        Some(inputs) => inputs.run(AffineOp { activation }).into_tensor(),
        None => activate(x.matmul(weight) + bias.unsqueeze_dim(0), activation),
    }
}

/// `relu(bn(x))` with the current batch's statistics: `[rows, features] → [rows, features]`.
pub fn batch_norm_relu(bn: &BatchNorm1d, x: Tensor<2>) -> Tensor<2> {
    normalize_relu(x, bn.gamma.val(), bn.beta.val(), bn.epsilon)
}

/// `out[r, j] = x[r, index[j]]`, or 0 where `index[j]` is the row's length (one past its end):
/// `[rows, len] → [rows, index.len()]`. The convolutions' patches (im2col); backward, each
/// output's gradient is added back to the column it was read from.
pub fn gather_columns(x: Tensor<2>, index: &[u32]) -> Tensor<2> {
    match Inputs::of([x.clone().into()]) {
        Some(inputs) => {
            let [_, len] = x.dims();
            let runs = runs_of(index, len).into();
            inputs
                .run(GatherOp {
                    runs,
                    taps: index.len(),
                })
                .into_tensor()
        }
        None => {
            let [rows, _] = x.dims();
            let device = x.device();
            let taps: Vec<i64> = index.iter().map(|&i| i64::from(i)).collect();
            let taps = Tensor::<1, Int>::from_data(TensorData::new(taps, [index.len()]), &device);
            let padded = Tensor::cat(vec![x, Tensor::zeros([rows, 1], &device)], 1); // [rows, len + 1]
            padded.select(1, taps)
        }
    }
}

/// [`batch_norm_relu`] with its parameters given: `γ, β: [features]`.
fn normalize_relu(x: Tensor<2>, gamma: Tensor<1>, beta: Tensor<1>, epsilon: f64) -> Tensor<2> {
    match Inputs::of([x.clone().into(), gamma.clone().into(), beta.clone().into()]) {
        Some(inputs) => inputs
            .run(BatchNormReluOp {
                epsilon: epsilon as f32,
            })
            .into_tensor(),
        None => relu(bn::batch_norm(x, gamma, beta, epsilon)),
    }
}

fn activate(x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match activation {
        Activation::Identity => x,
        Activation::Relu => relu(x),
    }
}

/// A layer input of either rank.
enum Input {
    Matrix(Tensor<2>),
    Vector(Tensor<1>),
}

impl From<Tensor<2>> for Input {
    fn from(t: Tensor<2>) -> Self {
        Input::Matrix(t)
    }
}

impl From<Tensor<1>> for Input {
    fn from(t: Tensor<1>) -> Self {
        Input::Vector(t)
    }
}

impl Input {
    fn tracked(&self) -> Option<FloatAd> {
        match self {
            Input::Matrix(t) => t.clone().try_into_primitive::<Autodiff<Flex>>().ok(),
            Input::Vector(t) => t.clone().try_into_primitive::<Autodiff<Flex>>().ok(),
        }
    }

    fn plain(&self) -> Option<FlexTensor> {
        match self {
            Input::Matrix(t) => t.clone().try_into_primitive::<Flex>().ok(),
            Input::Vector(t) => t.clone().try_into_primitive::<Flex>().ok(),
        }
    }
}

type FloatAd = burn::backend::tensor::FloatTensor<Autodiff<Flex>>;

/// A host op's inputs: on Burn's autodiff graph (then the op registers its backward step), or
/// plain flex tensors (the teacher's and the probe's forward passes).
enum Inputs<const N: usize> {
    Graph([FloatAd; N]),
    Plain([FlexTensor; N]),
}

impl<const N: usize> Inputs<N> {
    /// `None` unless every input lives on flex (with or without autodiff).
    fn of(inputs: [Input; N]) -> Option<Self> {
        let tracked: Vec<Option<FloatAd>> = inputs.iter().map(Input::tracked).collect();
        if tracked.iter().all(Option::is_none) {
            let plain: Vec<FlexTensor> = inputs.iter().map(Input::plain).collect::<Option<_>>()?;
            return plain.try_into().ok().map(Inputs::Plain);
        }
        // Some inputs on the graph: the others enter as constants.
        let mut all = Vec::with_capacity(N);
        for (input, tracked) in inputs.iter().zip(tracked) {
            all.push(match tracked {
                Some(t) => t,
                None => <Autodiff<Flex> as AutodiffBackend>::from_inner(input.plain()?),
            });
        }
        all.try_into().ok().map(Inputs::Graph)
    }

    fn run<Op: HostOp<N>>(self, op: Op) -> Output {
        match self {
            Inputs::Plain(inputs) => {
                let (values, shapes) = read(&inputs);
                let (output, _) = op.forward(&values, &shapes);
                Output::Plain(output)
            }
            Inputs::Graph(inputs) => {
                let guards: [NodeGuard; N] = std::array::from_fn(|i| inputs[i].node());
                let primitives: Vec<FlexTensor> =
                    inputs.into_iter().map(|t| t.into_primitive()).collect();
                let (values, shapes) = read(&primitives);
                let (output, saved) = op.forward(&values, &shapes);
                drop(values);
                let step = Step { op, shapes };
                let out = match step
                    .prepare::<NoCheckpointing>(guards)
                    .compute_bound()
                    .stateful()
                {
                    OpsKind::Tracked(prep) => {
                        let state = State {
                            inputs: primitives,
                            output: output.clone(),
                            saved,
                        };
                        prep.finish(state, output)
                    }
                    OpsKind::UnTracked(prep) => prep.finish(output),
                };
                Output::Graph(out)
            }
        }
    }
}

enum Output {
    Graph(FloatAd),
    Plain(FlexTensor),
}

impl Output {
    fn into_tensor(self) -> Tensor<2> {
        match self {
            Output::Graph(t) => Tensor::from_primitive::<Autodiff<Flex>>(t),
            Output::Plain(t) => Tensor::from_primitive::<Flex>(t),
        }
    }
}

/// Each tensor's values and shape.
fn read(tensors: &[FlexTensor]) -> (Vec<Cow<'_, [f32]>>, Vec<Vec<usize>>) {
    let shapes = tensors
        .iter()
        .map(|t| t.layout().shape().to_vec())
        .collect();
    (tensors.iter().map(values).collect(), shapes)
}

/// A tensor's values, row-major (borrowed when already so).
fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(
            t.clone()
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap_or_default(),
        ),
    }
}

fn tensor(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn vector(values: Vec<f32>) -> FlexTensor {
    let len = values.len();
    FlexTensor::from_data(TensorData::new(values, [len]))
}

/// One host layer: its forward pass, and its backward pass given what the forward saved.
trait HostOp<const N: usize>: Clone + Send + std::fmt::Debug + 'static {
    /// The output `[rows, cols]` and what the backward pass needs besides inputs and output.
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>);

    /// `∂loss/∂input` for each input, given `∂loss/∂output` (`None`: not needed).
    fn backward(
        &self,
        grad: &[f32],
        state: &State,
        inputs: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        needed: [bool; N],
    ) -> [Option<FlexTensor>; N];
}

/// What a tracked host op keeps for its backward pass (flex tensors share their buffers, so
/// keeping inputs and output copies nothing).
#[derive(Clone, Debug)]
struct State {
    inputs: Vec<FlexTensor>,
    output: FlexTensor,
    saved: Vec<f32>,
}

#[derive(Debug)]
struct Step<Op> {
    op: Op,
    shapes: Vec<Vec<usize>>,
}

impl<Op: HostOp<N>, const N: usize> Backward<Flex, N> for Step<Op> {
    type State = State;

    fn backward(self, ops: Ops<State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let grad = values(&grad);
        let inputs: Vec<Cow<[f32]>> = ops.state.inputs.iter().map(values).collect();
        let needed = std::array::from_fn(|i| ops.parents[i].is_some());
        let input_grads = self
            .op
            .backward(&grad, &ops.state, &inputs, &self.shapes, needed);
        for (parent, g) in ops.parents.into_iter().zip(input_grads) {
            if let (Some(node), Some(g)) = (parent, g) {
                grads.register::<Flex>(node.id, g);
            }
        }
    }
}

fn dims2(shape: &[usize]) -> (usize, usize) {
    (
        shape.first().copied().unwrap_or(0),
        shape.get(1).copied().unwrap_or(1),
    )
}

/// ReLU's backward: the gradient where the output is positive, else 0.
fn relu_masked<'a>(grad: &'a [f32], output: &'a [f32]) -> impl Iterator<Item = f32> + 'a {
    grad.iter()
        .zip(output)
        .map(|(&g, &y)| if y > 0.0 { g } else { 0.0 })
}

/// `x·W + b`, then the activation.
#[derive(Clone, Copy, Debug)]
struct AffineOp {
    activation: Activation,
}

impl HostOp<3> for AffineOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let [x, w, b] = [&inputs[0], &inputs[1], &inputs[2]];
        let ((rows, d_in), (_, d_out)) = (dims2(&shapes[0]), dims2(&shapes[1]));
        let mut y = rows::write_rows(rows, d_out, |_, out| out.copy(b)); // [rows, d_out]: b
        gemm::product(
            MatMut::new(&mut y, rows, d_out),
            Mat::new(x, rows, d_in),
            Mat::new(w, d_in, d_out),
            1.0,
            gemm::Into::Accumulate,
        );
        if self.activation == Activation::Relu {
            rows::by_rows(&mut y, d_out, |_, block| {
                block.iter_mut().for_each(|v| *v = v.max(0.0))
            });
        }
        (tensor(y, [rows, d_out]), Vec::new())
    }

    fn backward(
        &self,
        grad: &[f32],
        state: &State,
        inputs: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x, need_w, need_b]: [bool; 3],
    ) -> [Option<FlexTensor>; 3] {
        let ((rows, d_in), (_, d_out)) = (dims2(&shapes[0]), dims2(&shapes[1]));
        let g = match self.activation {
            Activation::Relu => {
                let output = values(&state.output);
                Cow::Owned(rows::collect_by_rows(rows, d_out, |r| {
                    let row = r * d_out..(r + 1) * d_out;
                    relu_masked(&grad[row.clone()], &output[row])
                }))
            }
            Activation::Identity => Cow::Borrowed(grad),
        }; // [rows, d_out]
        let g_view = Mat::new(&g, rows, d_out);
        let dx = need_x.then(|| {
            let w = Mat::new(&inputs[1], d_in, d_out);
            tensor(gemm::new_product(g_view, w.t(), 1.0), [rows, d_in]) // gWᵀ
        });
        let dw = need_w.then(|| {
            let x = Mat::new(&inputs[0], rows, d_in);
            tensor(gemm::new_product(x.t(), g_view, 1.0), [d_in, d_out]) // xᵀg
        });
        let db = need_b.then(|| vector(column_sums(&g, d_out)));
        [dx, dw, db]
    }
}

fn column_sums(m: &[f32], cols: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; cols];
    for row in m.chunks_exact(cols.max(1)) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    sums
}

/// A gather of columns by a fixed index ([`gather_columns`]), as the runs of consecutive
/// columns the index reads (a channels-last patch reads each tap's channels in one run).
#[derive(Clone, Debug)]
struct GatherOp {
    runs: Arc<[Run]>,
    /// The index's length: the output's columns.
    taps: usize,
}

/// `len` consecutive output columns that read the input's columns `from..from + len`, or are
/// zeros (`from: None`: the index points past the row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    from: Option<usize>,
    len: usize,
}

/// `index` (columns of rows `len` long) as runs: `index[t + 1] = index[t] + 1` within one.
fn runs_of(index: &[u32], len: usize) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for &i in index {
        let from = ((i as usize) < len).then_some(i as usize);
        match runs.last_mut() {
            Some(run) if run.from.map(|f| f + run.len) == from => run.len += 1,
            _ => runs.push(Run { from, len: 1 }),
        }
    }
    runs
}

impl HostOp<1> for GatherOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let (rows, len) = dims2(&shapes[0]);
        let (x, runs) = (&inputs[0], &self.runs);
        let y = rows::write_rows(rows, self.taps, |r, out| {
            let xr = &x[r * len..(r + 1) * len];
            for run in runs.iter() {
                match run.from {
                    Some(from) => out.copy(&xr[from..from + run.len]),
                    None => out.zeros(run.len),
                }
            }
        }); // [rows, taps]
        (tensor(y, [rows, self.taps]), Vec::new())
    }

    fn backward(
        &self,
        grad: &[f32],
        _: &State,
        _: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x]: [bool; 1],
    ) -> [Option<FlexTensor>; 1] {
        let (rows, len) = dims2(&shapes[0]);
        let (taps, runs) = (self.taps, &self.runs);
        let dx = need_x.then(|| {
            // A scatter-add: each input column's gradient sums those of the taps that read it,
            // in the taps' order, run by run.
            let mut dx = vec![0.0f32; rows * len]; // [rows, len]
            rows::by_rows(&mut dx, len, |first, block| {
                for (r, dr) in block.chunks_exact_mut(len.max(1)).enumerate() {
                    let gr = &grad[(first + r) * taps..(first + r + 1) * taps];
                    let mut t = 0;
                    for run in runs.iter() {
                        if let Some(from) = run.from {
                            let (d, g) = (&mut dr[from..from + run.len], &gr[t..t + run.len]);
                            d.iter_mut().zip(g).for_each(|(d, g)| *d += g);
                        }
                        t += run.len;
                    }
                }
            });
            tensor(dx, [rows, len])
        });
        [dx]
    }
}

/// `relu(γ·(x − μ)/√(σ² + ε) + β)`, μ and σ² the batch's (biased) per-column statistics.
#[derive(Clone, Copy, Debug)]
struct BatchNormReluOp {
    epsilon: f32,
}

impl BatchNormReluOp {
    /// Per column: the mean and `1/√(σ² + ε)`.
    fn statistics(&self, x: &[f32], rows: usize, cols: usize) -> (Vec<f32>, Vec<f32>) {
        let n = rows.max(1) as f32;
        let mut mean = column_sums(x, cols);
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f32; cols];
        for row in x.chunks_exact(cols.max(1)) {
            for ((v, &xi), &m) in var.iter_mut().zip(row).zip(&mean) {
                let c = xi - m;
                *v += c * c;
            }
        }
        let inv_std = var
            .iter()
            .map(|v| (v / n + self.epsilon).sqrt().recip())
            .collect();
        (mean, inv_std)
    }
}

impl HostOp<3> for BatchNormReluOp {
    fn forward(&self, inputs: &[Cow<[f32]>], shapes: &[Vec<usize>]) -> (FlexTensor, Vec<f32>) {
        let [x, gamma, beta] = [&inputs[0], &inputs[1], &inputs[2]];
        let (rows, cols) = dims2(&shapes[0]);
        let (mean, inv_std) = self.statistics(x, rows, cols);
        // γ/√(σ² + ε) per column, as `BatchNorm1d::forward` scales.
        let scale: Vec<f32> = inv_std
            .iter()
            .zip(gamma.iter())
            .map(|(s, g)| s * g)
            .collect();
        let y = rows::collect_by_rows(rows, cols, |r| {
            x[r * cols..(r + 1) * cols]
                .iter()
                .zip(&mean)
                .zip(&scale)
                .zip(beta.iter())
                .map(|(((xi, m), s), b)| ((xi - m) * s + b).max(0.0))
        });
        // Saved: mean then 1/√(σ² + ε), [2·cols].
        let mut saved = mean;
        saved.extend(inv_std);
        (tensor(y, [rows, cols]), saved)
    }

    fn backward(
        &self,
        grad: &[f32],
        state: &State,
        inputs: &[Cow<[f32]>],
        shapes: &[Vec<usize>],
        [need_x, need_gamma, need_beta]: [bool; 3],
    ) -> [Option<FlexTensor>; 3] {
        let (x, gamma) = (&inputs[0], &inputs[1]);
        let (rows, cols) = dims2(&shapes[0]);
        let (mean, inv_std) = state.saved.split_at(cols);
        // h = ∂loss/∂(the normalised, shifted value): the gradient where ReLU passed it.
        // ∂β = Σ h,  ∂γ = Σ h·x̂  with x̂ = (x − μ)/σ: both sums in the pass that masks h.
        let output = values(&state.output);
        let mut h = Vec::with_capacity(rows * cols); // [rows, cols]
        let (mut d_beta, mut d_gamma) = (vec![0.0f32; cols], vec![0.0f32; cols]);
        let c = cols.max(1);
        for ((gr, yr), xr) in grad
            .chunks_exact(c)
            .zip(output.chunks_exact(c))
            .zip(x.chunks_exact(c))
        {
            let start = h.len();
            h.extend(relu_masked(gr, yr));
            let sums = d_beta.iter_mut().zip(d_gamma.iter_mut());
            for (((db, dg), &hi), (&xi, &m)) in sums.zip(&h[start..]).zip(xr.iter().zip(mean)) {
                *db += hi;
                *dg += hi * (xi - m);
            }
        }
        d_gamma.iter_mut().zip(inv_std).for_each(|(dg, s)| *dg *= s);
        // ∂x = γ/σ · (h − ∂β/n − x̂·∂γ/n), per column: a·(h − b − (x − μ)·c)
        let dx = need_x.then(|| {
            let n = rows.max(1) as f32;
            let a: Vec<f32> = gamma.iter().zip(inv_std).map(|(g, s)| g * s).collect();
            let b: Vec<f32> = d_beta.iter().map(|db| db / n).collect();
            let c: Vec<f32> = d_gamma
                .iter()
                .zip(inv_std)
                .map(|(dg, s)| dg * s / n)
                .collect();
            let mut dx = h;
            rows::by_rows(&mut dx, cols, |first, block| {
                let xs = x.chunks_exact(cols.max(1)).skip(first);
                for (dr, xr) in block.chunks_exact_mut(cols.max(1)).zip(xs) {
                    for (((((d, &xi), &m), &a), &b), &c) in
                        dr.iter_mut().zip(xr).zip(mean).zip(&a).zip(&b).zip(&c)
                    {
                        *d = a * (*d - b - (xi - m) * c);
                    }
                }
            });
            tensor(dx, [rows, cols])
        });
        [
            dx,
            need_gamma.then(|| vector(d_gamma)),
            need_beta.then(|| vector(d_beta)),
        ]
    }
}

#[cfg(test)]
mod tests;
