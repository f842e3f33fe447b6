//! The nine methods (DINOv2 shares DINO's file), one file each. Every file holds the method's loss as a public function
//! on embedding tensors (tested against independent references) and its training forward.
//! [`Learner`] owns what they share: the online network, the EMA teacher, the optimizer and
//! method state (MoCo's queue, DINO's centre), and runs the three visible lines of a step:
//! `loss.backward()`, `GradientsParams::from_grads(..)`, `optim.step(..)`.

pub mod barlow;
pub mod byol;
pub mod clip;
pub mod dino;
pub mod fast;
pub mod host;
pub mod moco;
pub mod optimizer;
pub mod parallel;
pub mod probe;
pub mod simclr;
pub mod simsiam;
pub mod spec;
pub mod vicreg;

pub use probe::{MethodExtras, Probed};
pub use spec::{MethodSpec, Views};

use crate::config::{Key, Method, RunConfig};
use crate::data::{Batch, Source};
use crate::error::{LabError, Result};
use crate::model::{Network, ema};
use crate::rng::Rng;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use optimizer::Optimizer;
use parallel::Halves;
use std::borrow::Cow;

/// Every method's spec, in the order of [`Method::ALL`] (DINOv2 shares DINO's file).
const SPECS: [&MethodSpec; Method::ALL.len()] = [
    &simclr::SPEC,
    &moco::SPEC,
    &clip::SPEC,
    &byol::SPEC,
    &simsiam::SPEC,
    &barlow::SPEC,
    &vicreg::SPEC,
    &dino::SPEC,
    &dino::SPEC_V2,
];

/// What `method`'s file declares: its title, knobs, metrics, loss and measurements.
pub fn spec(method: Method) -> &'static MethodSpec {
    SPECS[method as usize]
}

/// `method`'s title: "SimSiam (predictor + stop-gradient)".
pub fn title(method: Method) -> &'static str {
    spec(method).title
}

/// What a run of `config` is called where it is saved or shown: "SimSiam (…) on blobs".
pub fn run_title(config: &crate::config::RunConfig) -> String {
    format!("{} on {}", title(config.method), config.dataset)
}

/// For the InfoNCE methods, the number N of candidates each anchor's softmax chooses among:
/// the loss of a uniform softmax (chance) is ln N, and ln N − loss is a lower bound on the
/// mutual information of the two views (Oord et al. 2018), so it can never exceed ln N.
pub fn info_nce_candidates(config: &RunConfig) -> Option<usize> {
    spec(config.method).candidates.map(|n| n(config))
}

/// The InfoNCE estimate of the views' mutual information, `ln N − loss` (nats), for the methods
/// with an N-way softmax; it can never exceed ln N, the loss of a uniform softmax (chance).
pub fn mi_bound(config: &RunConfig, loss: f64) -> Option<f64> {
    info_nce_candidates(config).map(|n| (n.max(1) as f64).ln() - loss)
}

/// `log Σ_j exp(x_ij)` along dim 1, stable for any temperature: the row maximum is factored out.
/// `[rows, cols] → [rows, 1]`
pub fn logsumexp(x: Tensor<2>) -> Tensor<2> {
    let max = x.clone().max_dim(1).detach(); // [rows, 1]
    (x - max.clone()).exp().sum_dim(1).log() + max
}

/// Row-wise ℓ2 normalisation (re-exported for the losses).
pub use crate::model::network::l2_normalize;

/// What a method's training forward hands back to the learner.
pub struct Forward {
    /// `[1]`
    pub loss: Tensor<1>,
    /// The online network's representation h and raw (unnormalised) outputs, checked for
    /// overflow: once the weights explode, squared activations overflow f32, normalisation (ℓ2
    /// or batch norm) silently returns zeros and the loss looks finite while meaning nothing.
    pub outputs: Vec<Tensor<2>>,
    /// Post-step state update the method needs.
    pub update: StateUpdate,
    /// The loss as two independent halves, back-propagated on both cores (then `loss` is
    /// their detached sum); `None`: one backward pass from `loss`.
    pub halves: Option<Halves>,
}

pub enum StateUpdate {
    None,
    /// MoCo: enqueue these keys `[batch, out_dim]` (normalised, no graph).
    Enqueue(Tensor<2>),
    /// DINO: the teacher logits of this step `[2·batch, K]` for the centre's EMA.
    Center(Tensor<2>),
}

/// Method state beyond the networks.
#[derive(Clone, Debug)]
pub struct MethodState {
    /// MoCo: `[K, out_dim]` normalised keys, newest first.
    pub queue: Option<Tensor<2>>,
    /// DINO: `[1, K]` running mean of teacher logits.
    pub center: Option<Tensor<2>>,
}

#[derive(Clone)]
pub struct Learner {
    pub online: Network,
    /// MoCo's key encoder, BYOL's target, DINO's teacher (EMA of `online`, no autodiff).
    pub teacher: Option<Network>,
    pub optim: Optimizer,
    pub state: MethodState,
    /// Autodiff training device.
    pub device: Device,
    /// ‖θ‖ of the online network at the last weight check (divergence check).
    pub weight_norm: Option<f64>,
}

/// Tensor from row-major data on `device`.
pub fn tensor2(data: &[f32], rows: usize, device: &Device) -> Tensor<2> {
    let cols = data.len().checked_div(rows).unwrap_or(0);
    Tensor::from_data(TensorData::new(data.to_vec(), [rows, cols]), device)
}

/// Read a tensor back to the host.
pub fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| LabError::Readback(format!("{e:?}")))
}

/// Weights that grew by more than this factor between two checks have diverged (healthy steps
/// change the weight norm by a few percent; an absurd learning rate by 10⁴–10⁷ in one step).
pub const DIVERGENCE_GROWTH: f64 = 100.0;

/// Steps between weight-norm checks: the check visits every parameter, which costs about a
/// third of a small MLP's step, and an explosion is obvious whenever it is looked at.
pub const WEIGHT_CHECK_EVERY: usize = 8;

/// A healthy step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOk {
    /// The loss before the update.
    pub loss: f64,
    /// Whether this step also checked the weights (and found them sane).
    pub weights_checked: bool,
}

/// Sum of squares of every parameter. `→ [1]`
fn squared_norm(net: &Network) -> Tensor<1> {
    struct SumSquares(Option<Tensor<1>>);
    impl ModuleVisitor for SumSquares {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let sq = param.val().detach().square().sum();
            self.0 = Some(match self.0.take() {
                Some(acc) => acc + sq,
                None => sq,
            });
        }
    }
    let mut v = SumSquares(None);
    net.visit(&mut v);
    v.0.unwrap_or_else(|| Tensor::zeros([1], &Device::flex()))
}

/// The loss, the squared norms of the outputs it came from, and of the weights, in one
/// read-back.
fn read_health(forward: &Forward, net: Option<&Network>) -> Result<(f64, bool, Option<f64>)> {
    let mut parts = vec![forward.loss.clone()];
    parts.extend(
        forward
            .outputs
            .iter()
            .map(|z| z.clone().detach().square().sum()),
    );
    let n_outputs = parts.len();
    if let Some(net) = net {
        parts.push(squared_norm(net).to_device(&forward.loss.device()));
    }
    let values = to_vec(Tensor::cat(parts, 0))?;
    let loss = values.first().copied().unwrap_or(f32::NAN) as f64;
    let outputs_finite = values[..n_outputs.min(values.len())]
        .iter()
        .all(|v| v.is_finite());
    let weight_norm = values.get(n_outputs).map(|&v| (v as f64).sqrt());
    Ok((loss, outputs_finite, weight_norm))
}

/// The loss, or NaN when the outputs it was computed from overflowed.
fn checked_loss(forward: &Forward) -> Result<f64> {
    let (loss, finite, _) = read_health(forward, None)?;
    Ok(if finite { loss } else { f64::NAN })
}

/// Read a one-element tensor back as f64.
pub fn scalar(t: Tensor<1>) -> Result<f64> {
    Ok(to_vec(t)?.first().copied().unwrap_or(f32::NAN) as f64)
}

impl Learner {
    /// `device` is the base (non-autodiff) training device.
    pub fn new(config: &RunConfig, source: &dyn Source, device: &Device) -> Self {
        let device = device.clone().autodiff();
        let online = Network::new(&config.model(), source, config.seed, &device);
        let teacher = config
            .method
            .has_teacher()
            .then(|| ema::teacher_of(&online));
        let mut rng = Rng::fork(config.seed, "method-state");
        let state = MethodState {
            queue: (config.method == Method::Moco)
                .then(|| moco::random_queue(&mut rng, config.queue_size, config.out_dim, &device)),
            center: config
                .method
                .is_dino()
                .then(|| Tensor::zeros([1, config.prototypes], &device.clone().without_autodiff())),
        };
        Self {
            online,
            teacher,
            optim: Optimizer::new(config, &device),
            state,
            device,
            weight_norm: None,
        }
    }

    /// An independent copy of the whole training state (weights, optimizer moments, EMA
    /// teacher, MoCo queue, DINO centre) that trains on from here as this one would. Its
    /// parameters are new autodiff leaves (same values and ids), so two copies training on two
    /// threads share no autodiff graph.
    pub fn fork(&self) -> Self {
        let mut copy = self.clone();
        copy.online = parallel::separate_leaves(&self.online);
        copy
    }

    /// The floats of the training state a fork ends up holding on its own once this one trains
    /// on: the online weights and (at most) two optimizer moments for each, the teacher's
    /// weights, MoCo's queue, DINO's centre.
    pub fn state_floats(&self) -> usize {
        let teacher = self.teacher.as_ref().map_or(0, |t| t.num_params());
        let state: usize = [&self.state.queue, &self.state.center]
            .into_iter()
            .flatten()
            .map(|t| t.shape().num_elements())
            .sum();
        3 * self.online.num_params() + teacher + state
    }

    /// The base (non-autodiff) device, for no-graph work.
    pub fn inference_device(&self) -> Device {
        self.device.clone().without_autodiff()
    }

    /// The EMA copy of the online network (MoCo's key encoder, BYOL's target, DINO's teacher),
    /// without a graph. The methods that use one always have it ([`Method::has_teacher`]); a
    /// learner without one answers with the online network's weights.
    pub fn teacher(&self) -> Cow<'_, Network> {
        match &self.teacher {
            Some(teacher) => Cow::Borrowed(teacher),
            None => Cow::Owned(self.online.valid()),
        }
    }

    /// One training step on `batch`. Returns the loss *before* the update, or why training
    /// diverged: a non-finite loss, outputs that overflowed f32, or weights that grew more than
    /// [`DIVERGENCE_GROWTH`]-fold in the previous step. A diverged step updates nothing.
    pub fn step(
        &mut self,
        batch: &Batch,
        config: &RunConfig,
        step: usize,
    ) -> Result<Result<StepOk, String>> {
        let forward = self.forward(batch, config);
        let check = step.is_multiple_of(WEIGHT_CHECK_EVERY);
        let (loss, outputs_finite, norm) = read_health(&forward, check.then_some(&self.online))?;
        if !loss.is_finite() || !outputs_finite || norm.is_some_and(|n| !n.is_finite()) {
            return Ok(Err(
                "the loss became non-finite (NaN or infinite, or computed from activations whose \
                 squares overflowed f32)"
                    .into(),
            ));
        }
        if let Some(norm) = norm {
            if let Some(previous) = self.weight_norm.filter(|&p| p > 0.0) {
                let growth = norm / previous;
                if growth > DIVERGENCE_GROWTH {
                    return Ok(Err(format!(
                        "training diverged: the weights grew {growth:.0}-fold within {WEIGHT_CHECK_EVERY} steps (norm {previous:.3} → {norm:.3e})"
                    )));
                }
            }
            self.weight_norm = Some(norm);
        }
        let grads = match forward.halves {
            Some(halves) => halves.backward(&self.online),
            None => GradientsParams::from_grads(forward.loss.backward(), &self.online),
        };
        self.online = self
            .optim
            .step(config, &self.device, self.online.clone(), grads);

        match forward.update {
            StateUpdate::None => {}
            StateUpdate::Enqueue(keys) => {
                if let Some(queue) = self.state.queue.take() {
                    self.state.queue = Some(moco::enqueue(queue, keys, config.queue_size));
                }
            }
            StateUpdate::Center(logits) => {
                if let Some(center) = self.state.center.take() {
                    self.state.center =
                        Some(dino::update_center(center, logits, config.center_momentum));
                }
            }
        }
        if let Some(teacher) = self.teacher.take() {
            let m = effective_momentum(config, step);
            self.teacher = Some(ema::update(teacher, &self.online, m));
        }
        Ok(Ok(StepOk {
            loss,
            weights_checked: check,
        }))
    }

    fn forward(&self, batch: &Batch, config: &RunConfig) -> Forward {
        let views = Views {
            x1: tensor2(&batch.x1, batch.size, &self.device), // [batch, in]
            x2: tensor2(&batch.x2, batch.size, &self.device), // [batch, in] (CLIP: captions)
            caption_keys: &batch.caption_keys,
        };
        (spec(config.method).forward)(self, views, config)
    }

    /// The loss on `batch` without updating anything.
    pub fn loss_only(&self, batch: &Batch, config: &RunConfig) -> Result<f64> {
        checked_loss(&self.forward(batch, config))
    }

    /// Apply a live change that needs more than re-reading the config.
    pub fn on_change(&mut self, key: Key, config: &RunConfig) {
        match key {
            Key::QueueSize => {
                if let Some(queue) = self.state.queue.take() {
                    let mut rng = Rng::fork(config.seed, "queue-resize");
                    self.state.queue = Some(moco::resize(queue, config.queue_size, &mut rng));
                }
            }
            // Dragging τ while CLIP learns it restarts the learned value from the new τ.
            Key::Temperature => {
                if let Some(p) = self.online.log_scale.take() {
                    let value = (1.0 / config.temperature).ln() as f32;
                    self.online.log_scale =
                        Some(p.map(|t| t.zeros_like().add_scalar(value).detach().require_grad()));
                }
            }
            _ => {}
        }
    }
}

/// The numbers `method` reports beside the common diagnostics, declared beside its loss.
pub fn metrics(method: Method) -> &'static [crate::metrics::Extra] {
    spec(method).metrics
}

/// The knobs `method`'s panel shows, declared beside its loss.
pub fn knobs(method: Method) -> &'static [crate::config::Knob] {
    spec(method).knobs
}

/// The EMA momentum at `step`: fixed, or BYOL's cosine schedule from `momentum` to 1 at
/// `momentum_horizon` (the papers' whole run; a live run has no end).
pub fn effective_momentum(config: &RunConfig, step: usize) -> f64 {
    if !config.momentum_schedule {
        return config.momentum;
    }
    let progress = (step as f64 / config.momentum_horizon.max(1) as f64).min(1.0);
    1.0 - (1.0 - config.momentum) * ((std::f64::consts::PI * progress).cos() + 1.0) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_found_by_its_own_spec() {
        for method in Method::ALL {
            assert_eq!(spec(method).method, method);
            assert!(!spec(method).title.is_empty() && !spec(method).knobs.is_empty());
        }
    }

    #[test]
    fn cosine_schedule_goes_from_base_to_one() {
        let mut c = RunConfig::for_method(Method::Byol);
        c.momentum_schedule = true;
        c.momentum_horizon = 100;
        assert!((effective_momentum(&c, 0) - 0.99).abs() < 1e-12);
        assert!((effective_momentum(&c, 100) - 1.0).abs() < 1e-12);
        c.momentum_schedule = false;
        assert_eq!(effective_momentum(&c, 50), 0.99);
    }
}
