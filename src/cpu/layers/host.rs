//! How a host layer enters Burn's autodiff graph: its inputs read as host slices (or `None`
//! when they are not flex tensors), its forward run, and a [`Step`] registered whose backward
//! pass is the op's own.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, AutodiffBackend, Flex};
use burn::tensor::{Tensor, TensorData};
use std::borrow::Cow;

/// A layer input of either rank.
pub(super) enum Input {
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
pub(super) enum Inputs<const N: usize> {
    Graph([FloatAd; N]),
    Plain([FlexTensor; N]),
}

impl<const N: usize> Inputs<N> {
    /// `None` unless every input lives on flex (with or without autodiff).
    pub(super) fn of(inputs: [Input; N]) -> Option<Self> {
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

    pub(super) fn run<Op: HostOp<N>>(self, op: Op) -> Output {
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

pub(super) enum Output {
    Graph(FloatAd),
    Plain(FlexTensor),
}

impl Output {
    pub(super) fn into_tensor(self) -> Tensor<2> {
        match self {
            Output::Graph(t) => Tensor::from_primitive::<Autodiff<Flex>>(t),
            Output::Plain(t) => Tensor::from_primitive::<Flex>(t),
        }
    }
}

/// Each tensor's values and shape.
pub(super) fn read(tensors: &[FlexTensor]) -> (Vec<Cow<'_, [f32]>>, Vec<Vec<usize>>) {
    let shapes = tensors
        .iter()
        .map(|t| t.layout().shape().to_vec())
        .collect();
    (tensors.iter().map(values).collect(), shapes)
}

/// A tensor's values, row-major (borrowed when already so).
pub(super) fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
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

pub(super) fn tensor(values: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

pub(super) fn vector(values: Vec<f32>) -> FlexTensor {
    let len = values.len();
    FlexTensor::from_data(TensorData::new(values, [len]))
}

/// One host layer: its forward pass, and its backward pass given what the forward saved.
pub(super) trait HostOp<const N: usize>: Clone + Send + std::fmt::Debug + 'static {
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
pub(super) struct State {
    pub(super) inputs: Vec<FlexTensor>,
    pub(super) output: FlexTensor,
    pub(super) saved: Vec<f32>,
}

#[derive(Debug)]
pub(super) struct Step<Op> {
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

pub(super) fn dims2(shape: &[usize]) -> (usize, usize) {
    (
        shape.first().copied().unwrap_or(0),
        shape.get(1).copied().unwrap_or(1),
    )
}

/// ReLU's backward: the gradient where the output is positive, else 0.
pub(super) fn relu_masked<'a>(
    grad: &'a [f32],
    output: &'a [f32],
) -> impl Iterator<Item = f32> + 'a {
    grad.iter()
        .zip(output)
        .map(|(&g, &y)| if y > 0.0 { g } else { 0.0 })
}
