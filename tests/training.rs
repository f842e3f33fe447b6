//! The InfoNCE family learns what the datasets teach, temperature does what the literature
//! says, and runs are reproducible.

mod common;
use common::{config, run};
use contrastive_lab::export::metrics_csv;

#[test]
fn simclr_on_blobs_reaches_knn_095_within_300_steps_from_a_poor_baseline() {
    let snaps = run(config("simclr", "blobs", 300, &[("snapshot_every", "50")]));
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    println!(
        "blobs kNN: random encoder {:.3} → trained {:.3}",
        first.diagnostics.knn_acc, last.diagnostics.knn_acc
    );
    assert_eq!(last.step, 300);
    assert!(
        last.diagnostics.knn_acc >= 0.95,
        "trained kNN {}",
        last.diagnostics.knn_acc
    );
    assert!(
        first.diagnostics.knn_acc < 0.8,
        "baseline kNN {} leaves nothing to see",
        first.diagnostics.knn_acc
    );
    assert!(last.loss < first.loss);
}

#[test]
fn simclr_on_shapes_beats_the_random_encoder_clearly() {
    let snaps = run(config(
        "simclr",
        "shapes",
        300,
        &[("snapshot_every", "100"), ("batch_size", "128")],
    ));
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    println!(
        "shapes kNN: random encoder {:.3} → trained {:.3}",
        first.diagnostics.knn_acc, last.diagnostics.knn_acc
    );
    assert!(
        last.diagnostics.knn_acc > first.diagnostics.knn_acc + 0.15,
        "{} → {}",
        first.diagnostics.knn_acc,
        last.diagnostics.knn_acc
    );
}

/// Wang & Liu (2021): lower τ ⇒ lower (more uniform) L_uniform. Measured on digits: on blobs
/// the 10 tight clusters bound uniformity and low τ, seeing only the nearest (same-class)
/// negatives, spreads the clusters apart slowly.
#[test]
fn lower_temperature_gives_a_more_uniform_embedding() {
    let at = |tau: &str| {
        let snaps = run(config(
            "simclr",
            "digits",
            300,
            &[("temperature", tau), ("snapshot_every", "300")],
        ));
        snaps[snaps.len() - 1].diagnostics.uniformity
    };
    let (cold, hot) = (at("0.05"), at("1.0"));
    println!("uniformity: τ=0.05 {cold:.3}, τ=1.0 {hot:.3}");
    assert!(
        cold < hot,
        "τ=0.05 uniformity {cold} should be below τ=1.0's {hot}"
    );
}

#[test]
fn same_config_and_seed_give_identical_metrics() {
    // Every method: BYOL, SimSiam and DINO train their two views on two threads.
    for method in [
        "simclr", "moco", "clip", "byol", "simsiam", "barlow", "vicreg", "dino", "dinov2",
    ] {
        let dataset = if method == "clip" { "shapes" } else { "blobs" };
        let c = config(
            method,
            dataset,
            30,
            &[("snapshot_every", "10"), ("batch_size", "64")],
        );
        let a = metrics_csv(c.method, &run(c.clone()));
        let b = metrics_csv(c.method, &run(c.clone()));
        assert_eq!(a, b, "{method} is not deterministic");
        let mut other = c.clone();
        other.seed = 1;
        assert_ne!(
            a,
            metrics_csv(c.method, &run(other)),
            "{method}: the seed changes nothing"
        );
    }
}

#[test]
fn moco_and_clip_learn() {
    let snaps = run(config("moco", "blobs", 200, &[("snapshot_every", "200")]));
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    assert!(
        last.diagnostics.knn_acc > first.diagnostics.knn_acc + 0.2,
        "moco kNN {} → {}",
        first.diagnostics.knn_acc,
        last.diagnostics.knn_acc
    );

    let snaps = run(config(
        "clip",
        "shapes",
        200,
        &[("snapshot_every", "200"), ("batch_size", "128")],
    ));
    let (first, last) = (&snaps[0], &snaps[snaps.len() - 1]);
    let r0 = first
        .extra(contrastive_lab::metrics::Extra::RetrievalAcc)
        .unwrap_or(0.0);
    let r1 = last
        .extra(contrastive_lab::metrics::Extra::RetrievalAcc)
        .unwrap_or(0.0);
    println!(
        "clip retrieval {r0:.3} → {r1:.3}, kNN {:.3} → {:.3}",
        first.diagnostics.knn_acc, last.diagnostics.knn_acc
    );
    assert!(
        last.loss < first.loss * 0.8,
        "clip loss {} → {}",
        first.loss,
        last.loss
    );
    // CLIP's own measure: an image finds its caption among 1000 (chance ≈ 0.003).
    assert!(r1 > r0 + 0.3, "clip retrieval {r0} → {r1}");
    // Its image tower also learns the shape (the caption names it), if more slowly.
    assert!(last.diagnostics.knn_acc > first.diagnostics.knn_acc + 0.05);
    // Zero-shot: the shape prompts through the text tower classify the images well above
    // chance (1/6), and the snapshot carries the prompts the view draws.
    let zero_shot = last
        .extra(contrastive_lab::metrics::Extra::ZeroShotAcc)
        .unwrap_or(0.0);
    println!("clip zero-shot accuracy {zero_shot:.3}");
    assert!(zero_shot > 0.4, "zero-shot {zero_shot}");
    let prompts = last
        .prompts
        .as_ref()
        .unwrap_or_else(|| panic!("no prompts"));
    assert_eq!(prompts.texts.len(), 6);
    assert_eq!(prompts.z.len(), 6 * last.dim);
    assert_eq!(prompts.accuracy, zero_shot);
}

#[test]
fn clip_keeps_learning_its_temperature_after_the_user_drags_it() {
    let c = config("clip", "shapes", 100, &[("snapshot_every", "10")]);
    let mut session =
        contrastive_lab::train::Session::new(c, contrastive_lab::train::TrainDevice::cpu())
            .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..5 {
        let _ = session.step().unwrap_or_else(|e| panic!("{e}"));
    }
    session
        .set(contrastive_lab::config::Setting::Temperature(0.1))
        .unwrap_or_else(|e| panic!("{e}"));
    let tau = |s: &mut contrastive_lab::train::Session| {
        s.snapshot()
            .unwrap_or_else(|e| panic!("{e}"))
            .extra(contrastive_lab::metrics::Extra::Temperature)
            .unwrap_or(f64::NAN)
    };
    assert!(
        (tau(&mut session) - 0.1).abs() < 1e-4,
        "restarts from the dragged τ"
    );
    for _ in 0..30 {
        let _ = session.step().unwrap_or_else(|e| panic!("{e}"));
    }
    let learned = tau(&mut session);
    assert!(
        (learned - 0.1).abs() > 1e-3,
        "τ stopped learning after the drag: {learned}"
    );
}

/// The app's opening view (SimCLR on blobs, the sphere view) shows the ten blobs as ten groups by
/// step 1000: each point's ten nearest neighbours in the 2-D layout share its blob.
#[test]
fn the_opening_sphere_view_separates_the_ten_blobs_by_step_1000() {
    use contrastive_lab::projection::{sphere_2d, tsne::neighbour_agreement};
    let snaps = run(config(
        "simclr",
        "blobs",
        1000,
        &[("snapshot_every", "1000")],
    ));
    let agreement = |s: &contrastive_lab::train::Snapshot| {
        let layout = sphere_2d(&s.z, s.labels.len(), s.dim, None)
            .unwrap_or_else(|e| panic!("step {}: {e}", s.step));
        neighbour_agreement(&layout.points, &s.labels, 10)
    };
    let (first, last) = (agreement(&snaps[0]), agreement(&snaps[snaps.len() - 1]));
    println!("sphere view 10-NN label agreement: step 0 {first:.3} → step 1000 {last:.3}");
    assert!(
        last >= 0.9,
        "blobs not separated in the opening view: {last}"
    );
    assert!(
        first < 0.5,
        "the random encoder already separated them: {first}"
    );
}
