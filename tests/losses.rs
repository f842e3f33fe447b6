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

/// VICReg's three terms against a plain f64 computation: mean squared error, the hinge on
/// each dimension's unbiased std (ε = 1e-4), squared off-diagonal unbiased covariances / d.
fn vicreg_ref(z1: &[f64], z2: &[f64], n: usize, d: usize) -> [f64; 3] {
    let inv = z1.iter().zip(z2).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (n * d) as f64;
    let stats = |z: &[f64]| -> (f64, f64) {
        let mean: Vec<f64> = (0..d)
            .map(|k| (0..n).map(|i| z[i * d + k]).sum::<f64>() / n as f64)
            .collect();
        let cov = |a: usize, b: usize| -> f64 {
            (0..n)
                .map(|i| (z[i * d + a] - mean[a]) * (z[i * d + b] - mean[b]))
                .sum::<f64>()
                / (n - 1) as f64
        };
        let hinge = (0..d)
            .map(|k| (1.0 - (cov(k, k) + 1e-4).sqrt()).max(0.0))
            .sum::<f64>()
            / d as f64;
        let mut off = 0.0;
        for a in 0..d {
            for b in 0..d {
                if a != b {
                    off += cov(a, b).powi(2);
                }
            }
        }
        (hinge, off / d as f64)
    };
    let ((v1, c1), (v2, c2)) = (stats(z1), stats(z2));
    [inv, (v1 + v2) / 2.0, c1 + c2]
}

#[test]
fn vicreg_terms_match_brute_force() {
    use contrastive_lab::methods::vicreg;
    let mut rng = Rng::new(21);
    for (n, d, scale) in [(8, 3, 1.0), (16, 6, 0.1), (5, 4, 3.0)] {
        let z1: Vec<f64> = random(&mut rng, n, d).iter().map(|v| v * scale).collect();
        let z2: Vec<f64> = z1.iter().map(|v| v + 0.3 * rng.normal() as f64).collect();
        let [inv, var, cov] = vicreg_ref(&z1, &z2, n, d);
        let (a, b, c) = vicreg::vicreg_terms(t(&z1, n), t(&z2, n));
        close(value(a), inv, "VICReg invariance");
        close(value(b), var, "VICReg variance");
        close(value(c), cov, "VICReg covariance");
        let total = value(vicreg::vicreg_loss(t(&z1, n), t(&z2, n), [25.0, 25.0, 1.0]));
        close(total, 25.0 * inv + 25.0 * var + cov, "VICReg 25/25/1");
    }
    // A collapsed embedding: invariance and covariance 0, the variance hinge ≈ 1 (std 0).
    let constant = vec![0.5; 8 * 3];
    let (a, b, c) = vicreg::vicreg_terms(t(&constant, 8), t(&constant, 8));
    close(value(a), 0.0, "collapsed invariance");
    close(value(b), 1.0 - 1e-2, "collapsed variance: 1 − √ε");
    close(value(c), 0.0, "collapsed covariance");
}

/// KoLeo against a brute-force f64 sum over all pairs: −(1/n) Σᵢ log(minⱼ≠ᵢ ‖x̂ᵢ − x̂ⱼ‖ + 1e-8).
#[test]
fn koleo_matches_brute_force_f64() {
    let mut rng = Rng::new(22);
    for (n, d) in [(10, 3), (40, 8), (7, 2)] {
        let x = random(&mut rng, n, d);
        let u: Vec<Vec<f64>> = rows(&x, d).iter().map(|r| unit(r)).collect();
        let reference = -(0..n)
            .map(|i| {
                let nearest = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| {
                        u[i].iter()
                            .zip(&u[j])
                            .map(|(a, b)| (a - b).powi(2))
                            .sum::<f64>()
                            .sqrt()
                    })
                    .fold(f64::INFINITY, f64::min);
                (nearest + 1e-8).ln()
            })
            .sum::<f64>()
            / n as f64;
        close(value(dino::koleo(t(&x, n))), reference, "KoLeo");
    }
}

/// Sinkhorn-Knopp's output: every row a distribution (it ends on the samples), the prototypes'
/// shares of the batch equal to within what 3 iterations reach, much closer than the plain
/// softmax's; and with many iterations equal.
#[test]
fn sinkhorn_knopp_meets_its_marginals() {
    let mut rng = Rng::new(23);
    let (n, k) = (64, 10);
    // Logits that favour prototype 0 strongly, as a collapsing teacher's would.
    let logits: Vec<f64> = (0..n * k)
        .map(|i| 0.3 * rng.normal() as f64 + if i % k == 0 { 0.5 } else { 0.0 })
        .collect();
    let column_error = |q: &[f32]| -> f64 {
        (0..k)
            .map(|c| {
                let share: f64 = (0..n).map(|r| q[r * k + c] as f64).sum::<f64>() / n as f64;
                (share - 1.0 / k as f64).abs()
            })
            .fold(0.0, f64::max)
    };
    let softmax = to_vec(dino::teacher_probs(t(&logits, n), None, 0.05)).unwrap_or_default();
    for iterations in [3, 50] {
        let q = to_vec(dino::sinkhorn_knopp(t(&logits, n), 0.05, iterations)).unwrap_or_default();
        assert_eq!(q.len(), n * k);
        for r in 0..n {
            let sum: f64 = q[r * k..(r + 1) * k].iter().map(|&v| v as f64).sum();
            assert!((sum - 1.0).abs() < 1e-4, "row {r} sums to {sum}");
            assert!(q[r * k..(r + 1) * k].iter().all(|v| *v >= 0.0));
        }
        let (ours, plain) = (column_error(&q), column_error(&softmax));
        println!(
            "Sinkhorn {iterations} iterations: largest prototype share error {ours:.5} (softmax {plain:.4})"
        );
        assert!(ours < plain / 3.0, "{ours} vs softmax {plain}");
        if iterations == 50 {
            assert!(ours < 1e-3, "{ours}");
        }
    }
}

/// CLIP with every same-caption pair a positive, against a brute-force f64 sum of
/// −(1/|Pᵢ|) Σ_{j∈Pᵢ} log softmax over rows and columns; with only the diagonal positive it is
/// the paper's loss.
#[test]
fn multi_positive_clip_matches_brute_force_and_reduces_to_clip() {
    let mut rng = Rng::new(24);
    let (n, d) = (9, 4);
    let img = random(&mut rng, n, d);
    let txt = random(&mut rng, n, d);
    let keys = [0, 1, 0, 2, 1, 3, 0, 4, 2];
    let (ui, ut): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (
        rows(&img, d).iter().map(|r| unit(r)).collect(),
        rows(&txt, d).iter().map(|r| unit(r)).collect(),
    );
    for tau in [0.05, 0.5, 2.0] {
        let side = |a: &[Vec<f64>], b: &[Vec<f64>]| -> f64 {
            (0..n)
                .map(|i| {
                    let logits: Vec<f64> = (0..n).map(|j| dot(&a[i], &b[j]) / tau).collect();
                    let positives: Vec<usize> = (0..n).filter(|&j| keys[j] == keys[i]).collect();
                    positives.iter().map(|&p| ce(&logits, p)).sum::<f64>() / positives.len() as f64
                })
                .sum::<f64>()
                / n as f64
        };
        let reference = (side(&ui, &ut) + side(&ut, &ui)) / 2.0;
        let scale = || Tensor::<1>::from_floats([1.0 / tau as f32], &dev());
        let mask = clip::same_caption(&keys, &dev());
        let ours = value(clip::clip_loss_multi(t(&img, n), t(&txt, n), scale(), mask));
        close(ours, reference, &format!("multi-positive CLIP τ={tau}"));
        let distinct: Vec<usize> = (0..n).collect();
        let identity = clip::same_caption(&distinct, &dev());
        close(
            value(clip::clip_loss_multi(
                t(&img, n),
                t(&txt, n),
                scale(),
                identity,
            )),
            value(clip::clip_loss(t(&img, n), t(&txt, n), scale())),
            &format!("distinct captions = CLIP τ={tau}"),
        );
    }
}
