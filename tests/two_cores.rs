//! BYOL, SimSiam and DINO train each view on its own core (forward and backward, the second on
//! a twin of the network): the loss and every parameter's gradient must be those of one graph
//! over both views, as the papers write the loss.

mod common;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use common::assert_same_gradient;
use contrastive_lab::config::{Method, RunConfig};
use contrastive_lab::data::{self, Sampler};
use contrastive_lab::methods::{
    Forward, Learner, Views, byol, dino, scalar, simsiam, tensor2, to_vec,
};
use contrastive_lab::model::Network;
use contrastive_lab::rng::Rng;

/// A learner a few steps into training (so BN, predictor and teacher are not at their
/// initial symmetric values) and the views of a fresh batch.
fn setup(method: Method) -> (RunConfig, Learner, Tensor<2>, Tensor<2>) {
    let mut config = RunConfig::for_method(method);
    config.batch_size = 32;
    let source = data::build(&config).expect("dataset");
    let mut sampler = Sampler::new(source.len(), 1);
    let mut rng = Rng::new(1);
    let mut learner = Learner::new(&config, source.as_ref(), &burn::tensor::Device::flex());
    for step in 0..5 {
        let batch = sampler.next_batch(source.as_ref(), 32, 1.0, &mut rng);
        let ok = learner.step(&batch, &config, step).expect("step");
        assert!(ok.is_ok(), "step {step} diverged");
    }
    let batch = sampler.next_batch(source.as_ref(), 32, 1.0, &mut rng);
    let x1 = tensor2(&batch.x1, 32, &learner.device);
    let x2 = tensor2(&batch.x2, 32, &learner.device);
    (config, learner, x1, x2)
}

/// The batch as the forward pass takes it.
fn views(x1: &Tensor<2>, x2: &Tensor<2>) -> Views<'static> {
    Views {
        x1: x1.clone(),
        x2: x2.clone(),
        caption_keys: &[],
    }
}

/// Every parameter's gradient, flattened, in visiting order.
fn gradients(net: &Network, grads: &GradientsParams) -> Vec<Vec<f32>> {
    struct Collect<'a>(&'a GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(param.id) {
                self.1.push(to_vec(g).unwrap_or_default());
            }
        }
    }
    let mut c = Collect(grads, Vec::new());
    net.visit(&mut c);
    c.1
}

fn assert_same(method: Method, two_cores: Forward, one_graph: Tensor<1>, learner: &Learner) {
    let (ours, reference) = (
        scalar(two_cores.loss).unwrap_or(f64::NAN),
        scalar(one_graph.clone()).unwrap_or(f64::NAN),
    );
    assert!(
        (ours - reference).abs() <= 1e-5 * reference.abs().max(1.0),
        "{method}: loss {ours} vs one graph {reference}"
    );
    let halves = two_cores
        .halves
        .unwrap_or_else(|| panic!("{method} did not split its views"));
    let ours = gradients(&learner.online, &halves.backward(&learner.online));
    let reference = gradients(
        &learner.online,
        &GradientsParams::from_grads(one_graph.backward(), &learner.online),
    );
    assert_eq!(
        ours.len(),
        reference.len(),
        "{method}: parameters with gradients"
    );
    assert!(ours.len() >= 8, "{method}: only {} gradients", ours.len());
    for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert_same_gradient(a, b, &format!("{method}: parameter {i}"));
    }
}

#[test]
fn simsiam_on_two_cores_equals_one_graph() {
    let (config, learner, x1, x2) = setup(Method::SimSiam);
    let two_cores = simsiam::forward(&learner, views(&x1, &x2), &config);
    let net = &learner.online;
    let (_, z1) = net.embed(x1, config.projector_norm());
    let (_, z2) = net.embed(x2, config.projector_norm());
    let p1 = net.predict(z1.clone(), config.predictor, config.predictor_norm());
    let p2 = net.predict(z2.clone(), config.predictor, config.predictor_norm());
    let one_graph = (simsiam::negative_cosine(p1, z2.detach())
        + simsiam::negative_cosine(p2, z1.detach()))
    .div_scalar(2.0);
    assert_same(Method::SimSiam, two_cores, one_graph, &learner);
}

#[test]
fn byol_on_two_cores_equals_one_graph() {
    let (config, learner, x1, x2) = setup(Method::Byol);
    let two_cores = byol::forward(&learner, views(&x1, &x2), &config);
    let (net, target) = (&learner.online, learner.teacher.as_ref().expect("target"));
    let bn = config.projector_norm();
    let t1 = target.embed(x1.clone().without_autodiff(), bn).1;
    let t2 = target.embed(x2.clone().without_autodiff(), bn).1;
    let p1 = net.predict(
        net.embed(x1, bn).1,
        config.predictor,
        config.predictor_norm(),
    );
    let p2 = net.predict(
        net.embed(x2, bn).1,
        config.predictor,
        config.predictor_norm(),
    );
    let one_graph = byol::regression_loss(p1, t2) + byol::regression_loss(p2, t1);
    assert_same(Method::Byol, two_cores, one_graph, &learner);
}

#[test]
fn dino_on_two_cores_equals_one_graph() {
    let (config, learner, x1, x2) = setup(Method::Dino);
    let two_cores = dino::forward(&learner, views(&x1, &x2), &config);
    let (net, teacher) = (&learner.online, learner.teacher.as_ref().expect("teacher"));
    let bn = config.projector_norm();
    let logits = |x: Tensor<2>| teacher.prototype_logits(teacher.embed(x, bn).1);
    let (t1, t2) = (
        logits(x1.clone().without_autodiff()),
        logits(x2.clone().without_autodiff()),
    );
    let center = learner.state.center.clone();
    let tau_t = dino::teacher_temperature(&config);
    let p1 = dino::teacher_probs(t1, center.clone(), tau_t);
    let p2 = dino::teacher_probs(t2, center, tau_t);
    let s1 = net.prototype_logits(net.embed(x1, bn).1);
    let s2 = net.prototype_logits(net.embed(x2, bn).1);
    let tau_s = config.student_temperature;
    let one_graph =
        (dino::dino_loss(p1, s2, tau_s) + dino::dino_loss(p2, s1, tau_s)).div_scalar(2.0);
    assert_same(Method::Dino, two_cores, one_graph, &learner);
}
