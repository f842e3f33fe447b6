//! The CPU's fused host Adam against Burn's Adam: the same losses and weights, step after step,
//! with and without weight decay; and a weight decay changed mid-run takes effect.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use contrastive_lab::config::{Method, OptimizerKind, RunConfig};
use contrastive_lab::data::{self, Sampler};
use contrastive_lab::methods::optimizer::Optimizer;
use contrastive_lab::methods::{Learner, to_vec};
use contrastive_lab::model::Network;
use contrastive_lab::rng::Rng;

fn weights(net: &Network) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0
                .extend(to_vec(param.val().detach()).unwrap_or_default());
        }
    }
    let mut c = Collect(Vec::new());
    net.visit(&mut c);
    c.0
}

/// Losses of `steps` steps and the final weights; `burn`: Burn's optimizer instead of the
/// host's; `change`: applied to the config before step `steps / 2`.
fn train(
    config: &RunConfig,
    steps: usize,
    burn: bool,
    change: impl Fn(&mut RunConfig),
) -> (Vec<f64>, Vec<f32>) {
    let mut config = config.clone();
    let source = data::build(&config).expect("dataset");
    let mut sampler = Sampler::new(source.len(), 1);
    let mut rng = Rng::new(1);
    let mut learner = Learner::new(&config, source.as_ref(), &burn::tensor::Device::flex());
    assert!(
        learner.optim.runs_on_host(),
        "Adam on the CPU runs on the host"
    );
    if burn {
        learner.optim = Optimizer::burn(&config);
        assert!(!learner.optim.runs_on_host());
    }
    let mut losses = Vec::new();
    for step in 0..steps {
        if step == steps / 2 {
            change(&mut config);
        }
        let batch = sampler.next_batch(source.as_ref(), config.batch_size, 1.0, &mut rng);
        let ok = learner.step(&batch, &config, step).expect("step");
        losses.push(ok.expect("healthy step").loss);
        assert_eq!(
            learner.optim.runs_on_host(),
            !burn,
            "step {step}: the optimizer kept its kind"
        );
    }
    (losses, weights(&learner.online))
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: sizes");
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1e-3 + y.abs()))
        .fold(0f32, f32::max);
    assert!(worst < 1e-4, "{what}: relative difference {worst}");
}

#[test]
fn host_adam_equals_burns_adam_with_and_without_weight_decay() {
    // The last at the bench's sizes: its 256 × 256 weights are updated on both cores.
    for (method, decay, hidden) in [
        (Method::SimClr, 0.0, None),
        (Method::Byol, 1e-2, None),
        (Method::Byol, 0.0, Some(256)),
    ] {
        let mut config = RunConfig::for_method(method);
        if let Some(hidden) = hidden {
            (config.hidden_dim, config.feature_dim) = (hidden, hidden);
        }
        config.batch_size = 32;
        config.optimizer = OptimizerKind::Adam;
        config.weight_decay = decay;
        config.lr = 3e-3;
        let (host_losses, host) = train(&config, 12, false, |_| {});
        let (burn_losses, reference) = train(&config, 12, true, |_| {});
        for (step, (a, b)) in host_losses.iter().zip(&burn_losses).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                "{method}: loss at step {step}: host {a} vs Burn {b}"
            );
        }
        assert_close(
            &host,
            &reference,
            &format!("{method} weights after 12 steps"),
        );
        let (_, start) = train(&config, 0, false, |_| {});
        assert!(
            host.iter().zip(&start).any(|(a, b)| a != b),
            "{method}: the weights did not move"
        );
    }
}

#[test]
fn a_weight_decay_changed_mid_run_takes_effect() {
    let mut config = RunConfig::for_method(Method::SimClr);
    config.batch_size = 32;
    config.optimizer = OptimizerKind::Adam;
    let decayed = |c: &mut RunConfig| c.weight_decay = 0.5;
    for burn in [false, true] {
        let (_, plain) = train(&config, 8, burn, |_| {});
        let (_, changed) = train(&config, 8, burn, decayed);
        let norm = |w: &[f32]| w.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(
            norm(&changed) < norm(&plain),
            "burn={burn}: weight decay 0.5 from step 4 left the weights' norm at {} (without: {})",
            norm(&changed),
            norm(&plain)
        );
    }
}
