//! Every method's loss against an independent f64 reference (brute-force sums over all pairs)
//! and hand-derived small cases, across temperatures 0.01–10; and every method's loss falls
//! when it trains on one fixed batch.

mod common;
use burn::tensor::{Device, Tensor};
use common::assert_same_gradient;
use contrastive_lab::config::{DatasetKind, Method, RunConfig};
use contrastive_lab::data::{self, Sampler};
use contrastive_lab::methods::{
    Learner, barlow, byol, clip, dino, moco, scalar, simclr, simsiam, tensor2, to_vec,
};
use contrastive_lab::rng::Rng;

fn dev() -> Device {
    Device::flex()
}

fn t(data: &[f64], rows: usize) -> Tensor<2> {
    let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    tensor2(&v, rows, &dev())
}

fn value(x: Tensor<1>) -> f64 {
    scalar(x).unwrap_or(f64::NAN)
}

fn random(rng: &mut Rng, n: usize, d: usize) -> Vec<f64> {
    (0..n * d).map(|_| rng.normal() as f64).collect()
}

fn rows(x: &[f64], d: usize) -> Vec<Vec<f64>> {
    x.chunks(d).map(|r| r.to_vec()).collect()
}

fn unit(r: &[f64]) -> Vec<f64> {
    let n = r.iter().map(|v| v * v).sum::<f64>().sqrt();
    r.iter().map(|v| v / n).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Cross-entropy of `logits` with target index `target`, computed naively in f64 with the
/// maximum factored out.
fn ce(logits: &[f64], target: usize) -> f64 {
    let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let lse = m + logits.iter().map(|l| (l - m).exp()).sum::<f64>().ln();
    lse - logits[target]
}

fn close(ours: f64, reference: f64, what: &str) {
    let tol = 1e-4 * reference.abs().max(1.0);
    assert!(
        (ours - reference).abs() <= tol,
        "{what}: ours {ours} vs reference {reference}"
    );
}

fn nt_xent_ref(z1: &[f64], z2: &[f64], d: usize, tau: f64) -> f64 {
    let z: Vec<Vec<f64>> = rows(z1, d)
        .into_iter()
        .chain(rows(z2, d))
        .map(|r| unit(&r))
        .collect();
    let n2 = z.len();
    let n = n2 / 2;
    (0..n2)
        .map(|a| {
            let others: Vec<usize> = (0..n2).filter(|&j| j != a).collect();
            let logits: Vec<f64> = others.iter().map(|&j| dot(&z[a], &z[j]) / tau).collect();
            let pos = (a + n) % n2;
            ce(&logits, others.iter().position(|&j| j == pos).unwrap_or(0))
        })
        .sum::<f64>()
        / n2 as f64
}

#[test]
fn nt_xent_matches_hand_derived_cases() {
    // One sample: the positive is the only other view, so the loss is exactly 0.
    let z = [1.0, 2.0];
    close(value(simclr::nt_xent(t(&z, 1), t(&z, 1), 0.5)), 0.0, "n=1");
    // Orthogonal e0, e1 with identical views, τ = 1: every anchor sees logits {0, 1, 0} with
    // the 1 as its positive: ln(2 + e) − 1.
    let z = [1.0, 0.0, 0.0, 1.0];
    let expected = (2.0 + std::f64::consts::E).ln() - 1.0;
    close(
        value(simclr::nt_xent(t(&z, 2), t(&z, 2), 1.0)),
        expected,
        "e0/e1",
    );
}

#[test]
fn nt_xent_matches_brute_force_for_temperatures_from_0_01_to_10() {
    let mut rng = Rng::new(11);
    let (n, d) = (12, 5);
    let (z1, z2) = (random(&mut rng, n, d), random(&mut rng, n, d));
    for tau in [0.01, 0.05, 0.1, 0.5, 1.0, 3.0, 10.0] {
        let ours = value(simclr::nt_xent(t(&z1, n), t(&z2, n), tau));
        assert!(ours.is_finite(), "τ={tau}");
        close(
            ours,
            nt_xent_ref(&z1, &z2, d, tau),
            &format!("nt_xent τ={tau}"),
        );
    }
}

/// The value of `loss` at `x` `[rows, d]` and its gradient with respect to `x`, by Burn's
/// autodiff on the CPU.
fn value_and_grad(
    x: &[f64],
    rows: usize,
    loss: impl Fn(Tensor<2>) -> Tensor<1>,
) -> (f64, Vec<f32>) {
    let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let leaf = tensor2(&x, rows, &dev().autodiff()).require_grad();
    let l = loss(leaf.clone());
    let grad = leaf
        .grad(&l.backward())
        .and_then(|g| to_vec(g).ok())
        .unwrap_or_default();
    (value(l), grad)
}

/// The training path (fused host kernel on the CPU, handed to autodiff through a surrogate)
/// against the brute-force value and against autodiff's gradient of [`simclr::nt_xent`].
#[test]
fn nt_xent_training_path_matches_value_and_gradient() {
    let mut rng = Rng::new(5);
    let (n, d) = (9, 6);
    let z = random(&mut rng, 2 * n, d);
    for tau in [0.01, 0.1, 0.5, 1.0, 10.0] {
        let (fused, fused_grad) = value_and_grad(&z, 2 * n, |z| simclr::nt_xent_views(z, tau));
        let (_, auto_grad) = value_and_grad(&z, 2 * n, |z| {
            simclr::nt_xent(z.clone().narrow(0, 0, n), z.narrow(0, n, n), tau)
        });
        let what = format!("fused nt_xent τ={tau}");
        close(fused, nt_xent_ref(&z[..n * d], &z[n * d..], d, tau), &what);
        assert_same_gradient(&fused_grad, &auto_grad, &what);
    }
}

/// Brute-force MoCo InfoNCE in f64: queries and keys normalised here, `queue` already unit.
fn info_nce_ref(q: &[f64], key: &[f64], queue: &[f64], d: usize, tau: f64) -> f64 {
    let n = q.len() / d;
    (0..n)
        .map(|i| {
            let qi = unit(&q[i * d..(i + 1) * d]);
            let ki = unit(&key[i * d..(i + 1) * d]);
            let mut logits = vec![dot(&qi, &ki) / tau];
            logits.extend(rows(queue, d).iter().map(|r| dot(&qi, r) / tau));
            ce(&logits, 0)
        })
        .sum::<f64>()
        / n as f64
}

fn unit_rows(rng: &mut Rng, n: usize, d: usize) -> Vec<f64> {
    rows(&random(rng, n, d), d)
        .iter()
        .flat_map(|r| unit(r))
        .collect()
}

/// MoCo's training path against the brute-force value and autodiff's gradient with respect to
/// the queries (keys and queue get none).
#[test]
fn info_nce_training_path_matches_value_and_gradient() {
    let mut rng = Rng::new(8);
    let (n, k, d) = (7, 33, 5);
    let (q, key) = (random(&mut rng, n, d), random(&mut rng, n, d));
    let queue = unit_rows(&mut rng, k, d);
    for tau in [0.01, 0.2, 1.0, 10.0] {
        let (fused, fused_grad) = value_and_grad(&q, n, |q| {
            moco::info_nce_training(q, t(&key, n), t(&queue, k), tau)
        });
        let (_, auto_grad) =
            value_and_grad(&q, n, |q| moco::info_nce(q, t(&key, n), t(&queue, k), tau));
        let what = format!("fused info_nce τ={tau}");
        close(fused, info_nce_ref(&q, &key, &queue, d, tau), &what);
        assert_same_gradient(&fused_grad, &auto_grad, &what);
    }
}

#[test]
fn info_nce_matches_hand_case_and_brute_force() {
    // q = k = e0, one negative e1: ln(1 + e^{−1/τ}).
    for tau in [0.1, 1.0] {
        let ours = value(moco::info_nce(
            t(&[1.0, 0.0], 1),
            t(&[1.0, 0.0], 1),
            t(&[0.0, 1.0], 1),
            tau,
        ));
        close(ours, (1.0 + (-1.0 / tau).exp()).ln(), "info_nce hand");
    }
    let mut rng = Rng::new(5);
    let (n, k, d) = (8, 20, 6);
    let (q, key) = (random(&mut rng, n, d), random(&mut rng, n, d));
    let queue = unit_rows(&mut rng, k, d);
    for tau in [0.01, 0.2, 10.0] {
        let reference = info_nce_ref(&q, &key, &queue, d, tau);
        let ours = value(moco::info_nce(t(&q, n), t(&key, n), t(&queue, k), tau));
        close(ours, reference, &format!("info_nce τ={tau}"));
    }
}

#[test]
fn clip_loss_matches_hand_case_and_brute_force() {
    let scale = |s: f64| Tensor::<1>::from_floats([s as f32], &dev());
    // Matched orthogonal pairs, scale 1: every row and column is CE([1, 0], 0) = ln(1 + e) − 1.
    let e = [1.0, 0.0, 0.0, 1.0];
    let expected = (1.0 + std::f64::consts::E).ln() - 1.0;
    close(
        value(clip::clip_loss(t(&e, 2), t(&e, 2), scale(1.0))),
        expected,
        "clip hand",
    );

    let mut rng = Rng::new(9);
    let (n, d) = (10, 4);
    let (img, txt) = (random(&mut rng, n, d), random(&mut rng, n, d));
    let (iu, tu): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (
        rows(&img, d).iter().map(|r| unit(r)).collect(),
        rows(&txt, d).iter().map(|r| unit(r)).collect(),
    );
    for s in [1.0, 14.3, 100.0] {
        let i2t: f64 = (0..n)
            .map(|i| {
                ce(
                    &(0..n).map(|j| s * dot(&iu[i], &tu[j])).collect::<Vec<_>>(),
                    i,
                )
            })
            .sum::<f64>()
            / n as f64;
        let t2i: f64 = (0..n)
            .map(|j| {
                ce(
                    &(0..n).map(|i| s * dot(&iu[i], &tu[j])).collect::<Vec<_>>(),
                    j,
                )
            })
            .sum::<f64>()
            / n as f64;
        let ours = value(clip::clip_loss(t(&img, n), t(&txt, n), scale(s)));
        close(ours, (i2t + t2i) / 2.0, &format!("clip scale={s}"));
    }
}

#[test]
fn byol_and_simsiam_losses_are_cosine_regressions() {
    let (a, b) = ([1.0, 0.0], [0.0, 3.0]);
    close(
        value(byol::regression_loss(t(&a, 1), t(&b, 1))),
        2.0,
        "byol orthogonal",
    );
    close(
        value(byol::regression_loss(t(&a, 1), t(&[5.0, 0.0], 1))),
        0.0,
        "byol equal",
    );
    close(
        value(simsiam::negative_cosine(t(&a, 1), t(&[2.0, 0.0], 1))),
        -1.0,
        "simsiam equal",
    );
    let mut rng = Rng::new(3);
    let (n, d) = (7, 5);
    let (p, z) = (random(&mut rng, n, d), random(&mut rng, n, d));
    let cos: f64 = (0..n)
        .map(|i| dot(&unit(&p[i * d..(i + 1) * d]), &unit(&z[i * d..(i + 1) * d])))
        .sum::<f64>()
        / n as f64;
    close(
        value(simsiam::negative_cosine(t(&p, n), t(&z, n))),
        -cos,
        "simsiam",
    );
    close(
        value(byol::regression_loss(t(&p, n), t(&z, n))),
        2.0 - 2.0 * cos,
        "byol",
    );
}

#[test]
fn barlow_loss_matches_brute_force() {
    let mut rng = Rng::new(4);
    let (n, d) = (16, 4);
    let (z1, z2) = (random(&mut rng, n, d), random(&mut rng, n, d));
    let standardize = |x: &[f64]| -> Vec<f64> {
        let mut out = x.to_vec();
        for c in 0..d {
            let col: Vec<f64> = (0..n).map(|r| x[r * d + c]).collect();
            let mean = col.iter().sum::<f64>() / n as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            for r in 0..n {
                out[r * d + c] = (x[r * d + c] - mean) / (var + 1e-5).sqrt();
            }
        }
        out
    };
    let (s1, s2) = (standardize(&z1), standardize(&z2));
    let (mut inv, mut red) = (0.0, 0.0);
    for i in 0..d {
        for j in 0..d {
            let c = (0..n).map(|r| s1[r * d + i] * s2[r * d + j]).sum::<f64>() / n as f64;
            if i == j {
                inv += (1.0 - c).powi(2);
            } else {
                red += c * c;
            }
        }
    }
    for lambda in [0.0, 0.0051, 1.0] {
        let ours = value(barlow::barlow_loss(t(&z1, n), t(&z2, n), lambda));
        close(ours, inv + lambda * red, &format!("barlow λ={lambda}"));
    }
    // Identical, decorrelated views give C = I: loss 0.
    let eye = [1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0];
    close(
        value(barlow::barlow_loss(t(&eye, 4), t(&eye, 4), 1.0)),
        0.0,
        "barlow identity",
    );
}

#[test]
fn dino_loss_matches_brute_force() {
    let mut rng = Rng::new(8);
    let (n, k) = (6, 5);
    let (teacher, student) = (random(&mut rng, n, k), random(&mut rng, n, k));
    let center: Vec<f64> = (0..k).map(|_| rng.normal() as f64 * 0.3).collect();
    let softmax = |x: &[f64], tau: f64| -> Vec<f64> {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = x.iter().map(|v| ((v - m) / tau).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    };
    let (tau_s, tau_t) = (0.1, 0.04);
    let reference = (0..n)
        .map(|i| {
            let t: Vec<f64> = (0..k).map(|j| teacher[i * k + j] - center[j]).collect();
            let pt = softmax(&t, tau_t);
            let ps = softmax(&student[i * k..(i + 1) * k], tau_s);
            -pt.iter().zip(&ps).map(|(a, b)| a * b.ln()).sum::<f64>()
        })
        .sum::<f64>()
        / n as f64;
    let pt = dino::teacher_probs(t(&teacher, n), Some(t(&center, 1)), tau_t);
    let ours = value(dino::dino_loss(pt, t(&student, n), tau_s));
    close(ours, reference, "dino");
    // A uniform teacher against a uniform student: the loss is ln K.
    let zeros = vec![0.0; n * k];
    let pt = dino::teacher_probs(t(&zeros, n), None, tau_t);
    close(
        value(dino::dino_loss(pt, t(&zeros, n), tau_s)),
        (k as f64).ln(),
        "dino uniform",
    );
}

/// Train on one fixed batch: the loss must fall.
fn loss_falls_on_a_fixed_batch(method: Method) {
    let mut config = RunConfig::for_method(method);
    if method != Method::Clip {
        config.dataset = DatasetKind::Blobs;
    }
    config.batch_size = 64;
    config.queue_size = 128;
    let source = data::build(&config).unwrap_or_else(|e| panic!("{e}"));
    let mut sampler = Sampler::new(source.len(), 1);
    let mut rng = Rng::new(2);
    let batch = sampler.next_batch(source.as_ref(), config.batch_size, 1.0, &mut rng);
    let mut learner = Learner::new(&config, source.as_ref(), &dev());
    let queue = learner.state.queue.clone();
    let first = learner.loss_only(&batch, &config).unwrap_or(f64::NAN);
    for step in 0..40 {
        // MoCo: keep the negatives fixed, or the batch's own keys become its negatives.
        learner.state.queue = queue.clone();
        let outcome = learner
            .step(&batch, &config, step)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(outcome.is_ok(), "{method}: {outcome:?}");
    }
    learner.state.queue = queue;
    let last = learner.loss_only(&batch, &config).unwrap_or(f64::NAN);
    assert!(
        last < first - 0.01 * first.abs().max(0.1),
        "{method}: loss {first} → {last}"
    );
}

#[test]
fn every_method_lowers_its_loss_on_a_fixed_batch() {
    for method in Method::ALL {
        loss_falls_on_a_fixed_batch(method);
    }
}

/// The forces the view draws are −∂L/∂u of the method's own loss: NT-Xent's (attraction to the
/// positive, repulsion weighted by the softmax) against autodiff of [`simclr::nt_xent`] at unit
/// embeddings (where autodiff's gradient is the tangential part of ∂L/∂u), for τ from 0.05 to 5.
#[test]
fn nt_xent_forces_are_autodiffs_gradient() {
    use contrastive_lab::metrics::forces;
    let mut rng = Rng::new(11);
    let (m, d) = (7, 5);
    let z = unit_rows(&mut rng, 2 * m, d);
    let zf: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    for tau in [0.05, 0.2, 0.5, 1.0, 5.0] {
        let (_, grad) = value_and_grad(&z, 2 * m, |z| {
            simclr::nt_xent(z.clone().narrow(0, 0, m), z.narrow(0, m, m), tau)
        });
        let f = forces::nt_xent(&zf[..m * d], &zf[m * d..], d, tau);
        let ours: Vec<f32> = f.force.iter().map(|&v| -v as f32).collect();
        assert_same_gradient(&ours, &grad, &format!("NT-Xent forces τ={tau}"));
    }
}

/// SimSiam's and BYOL's pull of the prediction towards the stop-gradient target, against
/// autodiff of their losses with respect to the prediction (any scale).
#[test]
fn predictor_pull_is_autodiffs_gradient() {
    use contrastive_lab::methods::{byol, simsiam};
    use contrastive_lab::metrics::forces;
    let mut rng = Rng::new(12);
    let (n, d) = (6, 4);
    let p = random(&mut rng, n, d);
    let target = random(&mut rng, n, d);
    let pf: Vec<f32> = p.iter().map(|&v| v as f32).collect();
    let tf: Vec<f32> = target.iter().map(|&v| v as f32).collect();
    type Loss<'a> = &'a dyn Fn(Tensor<2>) -> Tensor<1>;
    let cases: [(&str, f64, Loss<'_>); 2] = [
        ("SimSiam", 0.5, &|p| {
            simsiam::negative_cosine(p, t(&target, n)).div_scalar(2.0)
        }),
        ("BYOL", 2.0, &|p| byol::regression_loss(p, t(&target, n))),
    ];
    for (what, weight, loss) in cases {
        let (_, grad) = value_and_grad(&p, n, loss);
        let ours: Vec<f32> = forces::cosine_pull(&pf, &tf, d, weight)
            .iter()
            .map(|&v| -v as f32)
            .collect();
        assert_same_gradient(&ours, &grad, what);
    }
}

/// CLIP's forces on images and captions against autodiff of [`clip::clip_loss`] at unit
/// embeddings, for τ from 0.07 to 2.
#[test]
fn clip_forces_are_autodiffs_gradient() {
    use contrastive_lab::metrics::forces;
    let mut rng = Rng::new(13);
    let (m, d) = (6, 5);
    let z = unit_rows(&mut rng, 2 * m, d);
    let zf: Vec<f32> = z.iter().map(|&v| v as f32).collect();
    for tau in [0.07, 0.3, 1.0, 2.0] {
        let (_, grad) = value_and_grad(&z, 2 * m, |z| {
            let scale = Tensor::<1>::from_floats([1.0 / tau as f32], &z.device());
            clip::clip_loss(z.clone().narrow(0, 0, m), z.narrow(0, m, m), scale)
        });
        let f = forces::clip(&zf[..m * d], &zf[m * d..], d, tau);
        let ours: Vec<f32> = f.force.iter().map(|&v| -v as f32).collect();
        assert_same_gradient(&ours, &grad, &format!("CLIP forces τ={tau}"));
    }
}

/// MoCo's forces on its queries (keys and queue get none) against autodiff of
/// [`moco::info_nce`] at unit queries.
#[test]
fn moco_forces_are_autodiffs_gradient() {
    use contrastive_lab::metrics::forces;
    let mut rng = Rng::new(14);
    let (m, d, k) = (5, 4, 9);
    let q = unit_rows(&mut rng, m, d);
    let keys = random(&mut rng, m, d);
    let queue = unit_rows(&mut rng, k, d);
    let f32s = |x: &[f64]| -> Vec<f32> { x.iter().map(|&v| v as f32).collect() };
    for tau in [0.07, 0.2, 1.0] {
        let (_, grad) =
            value_and_grad(&q, m, |q| moco::info_nce(q, t(&keys, m), t(&queue, k), tau));
        let f = forces::moco(&f32s(&q), &f32s(&keys), &f32s(&queue), d, tau);
        let ours: Vec<f32> = f.force.iter().map(|&v| -v as f32).collect();
        assert_same_gradient(&ours, &grad, &format!("MoCo forces τ={tau}"));
        for i in 0..m {
            let w: f64 = f.weights[i * (k + 1)..(i + 1) * (k + 1)].iter().sum();
            assert!((w - 1.0).abs() < 1e-9);
        }
    }
}
