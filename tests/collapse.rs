//! Each collapse the lessons teach reproduced with one toggle, and prevented by switching it
//! back (blobs, 500 steps, default sizes, seeded).

mod common;
use common::{config, run, spread};
use contrastive_lab::train::{Session, TrainDevice};

const STEPS: usize = 500;

fn last(method: &str, sets: &[(&str, &str)]) -> contrastive_lab::train::Snapshot {
    let mut all = vec![("snapshot_every", "100")];
    all.extend_from_slice(sets);
    let snaps = run(config(method, "blobs", STEPS, &all));
    snaps
        .into_iter()
        .last()
        .unwrap_or_else(|| panic!("no snapshot"))
}

#[test]
fn simsiam_collapses_without_stop_gradient_or_predictor_and_learns_with_both() {
    let healthy = last("simsiam", &[]);
    let no_sg = last("simsiam", &[("stop_gradient", "false")]);
    let no_pred = last("simsiam", &[("predictor", "false")]);
    println!(
        "simsiam std·√d: healthy {:.3} (kNN {:.3}), no stop-grad {:.4} (loss {:.4}), no predictor {:.4}",
        spread(&healthy),
        healthy.diagnostics.knn_acc,
        spread(&no_sg),
        no_sg.loss,
        spread(&no_pred)
    );
    assert!(
        spread(&healthy) >= 0.5,
        "healthy SimSiam spread {}",
        spread(&healthy)
    );
    assert!(
        healthy.diagnostics.knn_acc >= 0.8,
        "healthy kNN {}",
        healthy.diagnostics.knn_acc
    );
    assert!(
        spread(&no_sg) < 0.1,
        "no stop-gradient: spread {}",
        spread(&no_sg)
    );
    assert!(
        no_sg.loss < -0.99,
        "no stop-gradient: loss {} should approach −1",
        no_sg.loss
    );
    assert!(
        spread(&no_pred) < 0.1,
        "no predictor: spread {}",
        spread(&no_pred)
    );
}

/// What a class watches: stop-gradient switched off on a healthy run. The loss jumps to ≈ −1 at
/// once; the spread then decays steadily (blobs' views can be aligned almost perfectly without
/// collapsing, so the collapse drive is weaker than from scratch).
#[test]
fn switching_stop_gradient_off_mid_run_collapses_a_healthy_simsiam() {
    let c = config("simsiam", "blobs", 5000, &[("snapshot_every", "50")]);
    let mut s = Session::new(c, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let advance = |s: &mut Session, n: usize| {
        for _ in 0..n {
            s.step()
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|i| panic!("{i}"));
        }
        s.snapshot().unwrap_or_else(|e| panic!("{e}"))
    };
    let before = advance(&mut s, 100);
    assert!(
        spread(&before) >= 0.5,
        "not healthy before the switch: {}",
        spread(&before)
    );
    let event = s
        .set(contrastive_lab::config::Setting::StopGradient(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (event.step, event.old, event.new),
        (
            100,
            contrastive_lab::config::Setting::StopGradient(true),
            contrastive_lab::config::Setting::StopGradient(false)
        )
    );
    let after_300 = advance(&mut s, 300);
    assert!(
        after_300.loss < -0.95,
        "loss {} should jump towards −1",
        after_300.loss
    );
    assert!(
        spread(&after_300) < 0.6 * spread(&before),
        "{} → {}",
        spread(&before),
        spread(&after_300)
    );
    // How long the decay takes depends on the draw: below 0.1 at step 2050 for seed 0, 1200,
    // 1600 and 1400 for seeds 2–4 (this build's data streams).
    let mut collapsed_at = None;
    for _ in 0..50 {
        let snap = advance(&mut s, 50);
        if spread(&snap) < 0.1 {
            collapsed_at = Some(snap.step);
            break;
        }
    }
    println!(
        "stop-gradient off at step 100 (std·√d {:.3}): collapsed (< 0.1) at step {collapsed_at:?}",
        spread(&before)
    );
    assert!(
        collapsed_at.is_some_and(|step| step <= 2600),
        "no collapse within 2500 steps of the switch"
    );
}

#[test]
fn byol_collapses_without_predictor_and_momentum_but_not_by_default() {
    let healthy = last("byol", &[]);
    let collapsed = last("byol", &[("predictor", "false"), ("momentum", "0")]);
    println!(
        "byol std·√d: default {:.3} (kNN {:.3}), no predictor + momentum 0: {:.4} (RankMe {:.2})",
        spread(&healthy),
        healthy.diagnostics.knn_acc,
        spread(&collapsed),
        collapsed.diagnostics.rankme
    );
    assert!(spread(&healthy) >= 0.5 && healthy.diagnostics.knn_acc >= 0.8);
    assert!(spread(&collapsed) < 0.1, "spread {}", spread(&collapsed));
}

#[test]
fn dino_needs_both_centering_and_sharpening() {
    let ln_k = (config("dino", "blobs", 1, &[]).prototypes as f64).ln();
    let entropy = |s: &contrastive_lab::train::Snapshot| {
        s.extra(contrastive_lab::metrics::Extra::TeacherEntropy)
            .unwrap_or(f64::NAN)
    };
    let kl = |s: &contrastive_lab::train::Snapshot| {
        s.extra(contrastive_lab::metrics::Extra::Kl)
            .unwrap_or(f64::NAN)
    };
    let healthy = last("dino", &[]);
    let no_center = last("dino", &[("centering", "off")]);
    let no_sharpen = last("dino", &[("sharpening", "false")]);
    println!(
        "dino teacher entropy / ln K: default {:.3}, no centering {:.4}, no sharpening {:.3}; KL {:.5} / {:.6} / {:.6}; default kNN {:.3}",
        entropy(&healthy) / ln_k,
        entropy(&no_center) / ln_k,
        entropy(&no_sharpen) / ln_k,
        kl(&healthy),
        kl(&no_center),
        kl(&no_sharpen),
        healthy.diagnostics.knn_acc
    );
    // One prototype dominates / the output goes uniform / neither.
    assert!(entropy(&no_center) < 0.1 * ln_k);
    assert!(entropy(&no_sharpen) > 0.9 * ln_k);
    assert!(entropy(&healthy) > 0.1 * ln_k && entropy(&healthy) < 0.9 * ln_k);
    assert!(
        healthy.diagnostics.knn_acc >= 0.8,
        "kNN {}",
        healthy.diagnostics.knn_acc
    );
    // Both collapses make the student match the teacher trivially: KL → 0.
    assert!(kl(&no_center) < kl(&healthy) / 5.0 && kl(&no_sharpen) < kl(&healthy) / 5.0);
}

#[test]
fn barlow_twins_without_redundancy_reduction_collapses_dimensionally() {
    let healthy = last("barlow", &[]);
    let invariance_only = last("barlow", &[("lambda", "0")]);
    println!(
        "barlow RankMe: default {:.2} (kNN {:.3}), λ = 0: {:.2}",
        healthy.diagnostics.rankme, healthy.diagnostics.knn_acc, invariance_only.diagnostics.rankme
    );
    assert!(invariance_only.diagnostics.rankme < 0.5 * healthy.diagnostics.rankme);
    assert!(healthy.diagnostics.knn_acc >= 0.8);
}

#[test]
fn vicreg_collapses_without_its_variance_term_and_learns_with_it() {
    let healthy = last("vicreg", &[]);
    let no_variance = last("vicreg", &[("variance_weight", "0")]);
    let hinge = |s: &contrastive_lab::train::Snapshot| {
        s.extra(contrastive_lab::metrics::Extra::VicVariance)
            .unwrap_or(f64::NAN)
    };
    println!(
        "vicreg std·√d: default {:.3} (kNN {:.3}, variance hinge {:.3}), variance weight 0: {:.4} (hinge {:.3})",
        spread(&healthy),
        healthy.diagnostics.knn_acc,
        hinge(&healthy),
        spread(&no_variance),
        hinge(&no_variance)
    );
    assert!(spread(&healthy) >= 0.5 && healthy.diagnostics.knn_acc >= 0.8);
    assert!(
        spread(&no_variance) < 0.2,
        "spread {}",
        spread(&no_variance)
    );
    // The hinge is the collapse measure itself: near 1 when every dimension's std is near 0.
    assert!(hinge(&no_variance) > 0.9 && hinge(&healthy) < 0.2);
}

/// Batch norm and collapse (Fetterman & Albrecht 2020): BYOL without it collapses, SimCLR,
/// with its negatives, does not; layer norm (per-sample statistics) does not save BYOL here.
#[test]
fn byol_needs_batch_norm_and_simclr_does_not() {
    let byol = last("byol", &[]);
    let byol_no_bn = last(
        "byol",
        &[("projector_bn", "false"), ("predictor_bn", "false")],
    );
    let byol_layer = last("byol", &[("norm", "layer")]);
    let simclr_no_bn = last("simclr", &[("projector_bn", "false")]);
    println!(
        "std·√d: BYOL {:.3}, BYOL without BN {:.4}, BYOL with layer norm {:.3}, SimCLR without BN {:.3} (kNN {:.2})",
        spread(&byol),
        spread(&byol_no_bn),
        spread(&byol_layer),
        spread(&simclr_no_bn),
        simclr_no_bn.diagnostics.knn_acc
    );
    assert!(spread(&byol) >= 0.5);
    assert!(spread(&byol_no_bn) < 0.1, "{}", spread(&byol_no_bn));
    assert!(spread(&byol_layer) < 0.3, "{}", spread(&byol_layer));
    assert!(spread(&simclr_no_bn) >= 0.8 && simclr_no_bn.diagnostics.knn_acc >= 0.9);
}
