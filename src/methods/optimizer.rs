//! The optimizer step. Burn's Adam is about fourteen tensor operations per parameter, each a
//! pass over the parameter and an allocation; on the CPU the same update runs here as one
//! pass per parameter over host memory ([`HostAdam`]), with Burn's formula in Burn's order of
//! operations. On a GPU (and for SGD) Burn's optimizer runs.

use super::fast::on_cpu;
use crate::config::{OptimizerKind, RunConfig};
use crate::cpu::gemm::may_split;
use crate::cpu::helper::{self, Blocks, Slot};
use crate::model::Network;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::HashMap;

/// Burn's Adam defaults (`AdamConfig`): β₁, β₂, ε.
const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-5;

/// The optimizer of a learner, rebuilt when the settings it was built with change.
#[derive(Clone)]
pub struct Optimizer {
    built_for: Settings,
    inner: Inner,
}

/// What an optimizer is built from: the kind, weight decay and SGD momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Settings {
    kind: OptimizerKind,
    weight_decay: f64,
    sgd_momentum: f64,
}

impl Settings {
    fn of(config: &RunConfig) -> Self {
        Self {
            kind: config.optimizer,
            weight_decay: config.weight_decay,
            sgd_momentum: config.sgd_momentum,
        }
    }
}

#[derive(Clone)]
enum Inner {
    /// Burn's optimizer (GPU, or SGD).
    Burn(ModuleOptimizer),
    /// Adam fused on the host (CPU).
    HostAdam(HostAdam),
}

impl Optimizer {
    /// The optimizer `config` asks for, for a network on `device`: Adam on the CPU runs on the
    /// host, everything else is Burn's.
    pub fn new(config: &RunConfig, device: &Device) -> Self {
        let inner = match config.optimizer {
            OptimizerKind::Adam if on_cpu(device) => Inner::HostAdam(HostAdam::default()),
            kind => Inner::Burn(burn_optimizer(kind, config)),
        };
        Self {
            built_for: Settings::of(config),
            inner,
        }
    }

    /// Burn's optimizer whatever the device (the reference the host Adam is tested against).
    pub fn burn(config: &RunConfig) -> Self {
        Self {
            built_for: Settings::of(config),
            inner: Inner::Burn(burn_optimizer(config.optimizer, config)),
        }
    }

    /// Whether the update runs on the host (Adam on the CPU).
    pub fn runs_on_host(&self) -> bool {
        matches!(self.inner, Inner::HostAdam(_))
    }

    /// `net` after one step down `grads` at `config`'s learning rate and weight decay. A
    /// change of optimizer kind restarts the optimizer state; so does a change of weight
    /// decay or SGD momentum for Burn's optimizers, which hold them (the host Adam reads the
    /// weight decay at every step and keeps its moments).
    pub fn step(
        &mut self,
        config: &RunConfig,
        device: &Device,
        net: Network,
        grads: GradientsParams,
    ) -> Network {
        let wanted = Settings::of(config);
        let stale = match self.inner {
            Inner::HostAdam(_) => wanted.kind != OptimizerKind::Adam,
            Inner::Burn(_) => wanted != self.built_for,
        };
        if stale {
            // A new kind is chosen afresh; Burn's optimizer with new settings stays Burn's.
            *self = if wanted.kind == self.built_for.kind {
                Self::burn(config)
            } else {
                Self::new(config, device)
            };
        }
        self.built_for = wanted;
        match &mut self.inner {
            Inner::Burn(optim) => optim.step(config.lr, net, grads),
            Inner::HostAdam(adam) => adam.step(config.lr, config.weight_decay as f32, net, grads),
        }
    }
}

/// Burn's optimizer of `kind` with the run's weight decay and SGD momentum.
pub fn burn_optimizer(kind: OptimizerKind, config: &RunConfig) -> ModuleOptimizer {
    let decay =
        (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
    match kind {
        OptimizerKind::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::Sgd => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum(Some(
                // PyTorch's convention (no dampening); Burn's default dampening is 0.1.
                MomentumConfig::new()
                    .with_momentum(config.sgd_momentum)
                    .with_dampening(0.0),
            ))
            .init(),
    }
}

/// One parameter's Adam moments.
#[derive(Clone, Debug)]
struct Moments {
    time: i32,
    first: Vec<f32>,
    second: Vec<f32>,
}

impl Moments {
    /// Before the first step, for a parameter of `n` values.
    fn zeros(n: usize) -> Self {
        Self {
            time: 0,
            first: vec![0.0; n],
            second: vec![0.0; n],
        }
    }
}

/// Adam (with Burn's L2 weight decay, `g + λθ`) over host copies of the parameters: per
/// element `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr·m·c / (√v + ε·√(1−β₂ᵗ))`
/// with `c = √(1−β₂ᵗ) / (1−β₁ᵗ)`, as `burn::optim::Adam` computes it.
#[derive(Clone, Debug, Default)]
pub struct HostAdam {
    moments: HashMap<ParamId, Moments>,
}

impl HostAdam {
    pub fn step(
        &mut self,
        lr: f64,
        weight_decay: f32,
        net: Network,
        grads: GradientsParams,
    ) -> Network {
        let mut mapper = Update {
            adam: self,
            grads,
            lr: lr as f32,
            weight_decay: weight_decay.max(0.0),
        };
        net.map(&mut mapper)
    }

    /// One parameter's update in place; `theta` and `grad` have the same length.
    fn update(&mut self, id: ParamId, theta: &mut [f32], grad: &[f32], (lr, decay): (f32, f32)) {
        let n = theta.len();
        let moments = self.moments.entry(id).or_insert_with(|| Moments::zeros(n));
        if moments.first.len() != n {
            *moments = Moments::zeros(n);
        }
        let first_step = moments.time == 0;
        moments.time += 1;
        let bias_correction2_sqrt = (1.0 - BETA_2.powi(moments.time)).sqrt();
        let rule = Rule {
            combined: bias_correction2_sqrt / (1.0 - BETA_1.powi(moments.time)),
            epsilon: EPSILON * bias_correction2_sqrt,
            lr,
            decay,
            first_step,
        };
        let parts = Parts::of(rule, theta, grad, &mut moments.first, &mut moments.second);
        if n >= SPLIT_MIN_PARAMS && may_split() {
            helper::share(&parts);
        } else {
            (0..parts.count()).for_each(|i| parts.block(i));
        }
    }
}

/// Parameters below this size are updated on one core (the hand-over costs more).
const SPLIT_MIN_PARAMS: usize = 1 << 15;
/// Blocks a parameter is cut into (as for the products: enough to even out a late start).
const BLOCKS: usize = 4;

/// One step's Adam update of a parameter tensor, element by element.
#[derive(Clone, Copy)]
struct Rule {
    combined: f32,
    epsilon: f32,
    lr: f32,
    decay: f32,
    first_step: bool,
}

impl Rule {
    /// Burn's Adam on `theta[i]` with gradient `grad[i]` and moments `m[i]`, `v[i]`, in
    /// Burn's order of operations.
    #[inline(always)]
    fn apply(&self, theta: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        let Rule {
            combined,
            epsilon,
            lr,
            decay,
            first_step,
        } = *self;
        for (((t, &g), m), v) in theta.iter_mut().zip(grad).zip(m).zip(v) {
            let g = if decay > 0.0 { *t * decay + g } else { g };
            if first_step {
                *m = g * (1.0 - BETA_1);
                *v = g * g * (1.0 - BETA_2);
            } else {
                *m = *m * BETA_1 + g * (1.0 - BETA_1);
                *v = *v * BETA_2 + g * g * (1.0 - BETA_2);
            }
            *t -= *m * combined / (v.sqrt() + epsilon) * lr;
        }
    }

    /// [`Rule::apply`] with AVX-512's 16 lanes (the same IEEE operations in the same order:
    /// the same numbers; no fused multiply-add is formed).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn apply_avx512(&self, theta: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.apply(theta, grad, m, v)
    }

    fn apply_fastest(&self, theta: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was detected on this CPU.
            return unsafe { self.apply_avx512(theta, grad, m, v) };
        }
        self.apply(theta, grad, m, v)
    }
}

/// A parameter's update cut into up to [`BLOCKS`] consecutive parts, each a block of work
/// that either core may take (each element's update depends on that element only, so the
/// numbers do not depend on who takes which).
struct Parts<'a> {
    rule: Rule,
    parts: Vec<Slot<Part<'a>>>,
}

/// θ, its gradient and the two moments over one range of a parameter's elements.
type Part<'a> = (&'a mut [f32], &'a [f32], &'a mut [f32], &'a mut [f32]);

impl<'a> Parts<'a> {
    fn of(
        rule: Rule,
        theta: &'a mut [f32],
        grad: &'a [f32],
        m: &'a mut [f32],
        v: &'a mut [f32],
    ) -> Self {
        let len = theta.len().div_ceil(BLOCKS).max(1);
        let parts = theta
            .chunks_mut(len)
            .zip(grad.chunks(len))
            .zip(m.chunks_mut(len))
            .zip(v.chunks_mut(len))
            .map(|(((t, g), m), v)| Slot::new(Some((t, g, m, v))))
            .collect();
        Self { rule, parts }
    }
}

impl Blocks for Parts<'_> {
    fn count(&self) -> usize {
        self.parts.len()
    }

    fn block(&self, i: usize) {
        if let Some((theta, grad, m, v)) = self.parts[i].take() {
            self.rule.apply_fastest(theta, grad, m, v);
        }
    }
}

struct Update<'a> {
    adam: &'a mut HostAdam,
    grads: GradientsParams,
    lr: f32,
    weight_decay: f32,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(grad) = self.grads.remove::<D>(param.id) else {
            return param;
        };
        let id = param.id;
        let (adam, rates) = (&mut *self.adam, (self.lr, self.weight_decay));
        param.map(|tensor| {
            let (shape, device) = (tensor.shape(), tensor.device());
            let require_grad = tensor.is_require_grad();
            let values = tensor.clone().detach().into_data().try_into_vec::<f32>();
            let grad = grad.into_data().try_into_vec::<f32>();
            let (Ok(mut theta), Ok(grad)) = (values, grad) else {
                return tensor; // not f32: nothing this optimizer can update
            };
            if grad.len() != theta.len() {
                return tensor;
            }
            adam.update(id, &mut theta, &grad, rates);
            let updated = Tensor::<D>::from_data(TensorData::new(theta, shape), &device);
            if require_grad {
                updated.require_grad()
            } else {
                updated
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::on_one_core;
    use crate::rng::Rng;

    /// θ, gradient and moments of `n` random elements.
    fn state(n: usize, seed: u64) -> [Vec<f32>; 4] {
        let mut rng = Rng::new(seed);
        let mut draw = |scale: f32| {
            let mut x = vec![0.0; n];
            rng.normals(&mut x);
            x.iter_mut().for_each(|x| *x *= scale);
            x
        };
        let (theta, grad, m) = (draw(1.0), draw(0.1), draw(0.01));
        let v = draw(0.01).iter().map(|x| x * x).collect();
        [theta, grad, m, v]
    }

    #[test]
    fn the_update_split_over_both_cores_and_vectorised_equals_the_plain_loop_bit_for_bit() {
        // Odd sizes, below and above the split, first and later steps, with and without decay.
        for (n, decay, first_step) in [
            (1001, 0.0, true),
            (100_003, 1e-2, false),
            (65_536, 0.0, false),
        ] {
            let rule = Rule {
                combined: 1.7,
                epsilon: 3e-6,
                lr: 1e-3,
                decay,
                first_step,
            };
            let [mut theta, grad, mut m, mut v] = state(n, n as u64);
            let [mut theta_0, _, mut m_0, mut v_0] = state(n, n as u64);
            rule.apply(&mut theta_0, &grad, &mut m_0, &mut v_0);
            let mut adam = HostAdam::default();
            let id = ParamId::new();
            adam.moments.insert(
                id,
                Moments {
                    time: i32::from(!first_step),
                    first: m.clone(),
                    second: v.clone(),
                },
            );
            // The same rule as `update` derives it, by way of the constants above.
            let parts = Parts::of(rule, &mut theta, &grad, &mut m, &mut v);
            helper::share(&parts);
            assert_eq!((&theta, &m, &v), (&theta_0, &m_0, &v_0), "n = {n}");
            // And `update` itself, on one core and on two, agrees with itself.
            let [mut on_one, _, _, _] = state(n, n as u64);
            let mut twin = adam.clone();
            let mut on_two = on_one.clone();
            on_one_core(|| adam.update(id, &mut on_one, &grad, (1e-3, decay)));
            twin.update(id, &mut on_two, &grad, (1e-3, decay));
            assert_eq!(on_one, on_two, "n = {n}: one core vs two");
            assert_ne!(on_one, state(n, n as u64)[0], "n = {n}: nothing moved");
        }
    }
}
