//! The projector: t-SNE keeps neighbourhoods, warm starts stay put on unchanged input and
//! converge faster on changed input, and the projector thread never makes its reader wait.

mod common;
use common::{config, run, wait_for};
use contrastive_lab::projection::tsne::{self, Tsne, TsneParams, affinities, neighbour_agreement};
use contrastive_lab::projection::{Projector, ProjectorSettings, TsneView};
use contrastive_lab::rng::Rng;
use contrastive_lab::train::Snapshot;
use std::sync::Arc;

/// `n` points around 10 well-separated centres in R^`dim` (centres N(0, 1), spread 0.3).
fn separated_blobs(n: usize, dim: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::fork(seed, "blobs");
    let centres: Vec<f32> = (0..10 * dim).map(|_| rng.normal()).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    let x = labels
        .iter()
        .flat_map(|&c| (0..dim).map(move |j| (c, j)))
        .map(|(c, j)| centres[c * dim + j] + 0.3 * rng.normal())
        .collect();
    (x, labels)
}

#[test]
fn tsne_of_separated_blobs_keeps_neighbourhoods() {
    let (x, labels) = separated_blobs(1000, 32, 0);
    let t =
        tsne::fit(&x, 1000, 32, TsneParams::default(), 1000, 0).unwrap_or_else(|e| panic!("{e}"));
    let agreement = neighbour_agreement(&t.points(), &labels, 10);
    println!(
        "10-NN label agreement of the t-SNE layout: {agreement:.3}, KL {:.3}",
        t.kl()
    );
    assert!(agreement >= 0.9, "10-NN agreement {agreement}");
    // Each cluster's points are closer to each other than to the other clusters'.
    let random = Tsne::new(
        affinities(&x, 1000, 32, 30.0).unwrap_or_else(|e| panic!("{e}")),
        TsneParams::default(),
        0,
    );
    assert!(neighbour_agreement(&random.points(), &labels, 10) < 0.3);
}

fn rms_radius(points: &[[f32; 2]]) -> f64 {
    (points
        .iter()
        .map(|p| (p[0] as f64).powi(2) + (p[1] as f64).powi(2))
        .sum::<f64>()
        / points.len() as f64)
        .sqrt()
}

/// Iterations until KL(P ‖ Q) falls to `target` (or `max`).
fn iterations_to(t: &mut Tsne, target: f64, max: usize) -> usize {
    for i in 0..max {
        t.step();
        if t.kl() <= target {
            return i + 1;
        }
    }
    max
}

#[test]
fn warm_start_stays_put_on_unchanged_input_and_converges_faster_on_changed_input() {
    // Two snapshots of one SimCLR run: the encoder at steps 40 and 80 (the clusters move).
    let snaps = run(config(
        "simclr",
        "blobs",
        80,
        &[("snapshot_every", "40"), ("probe_size", "600")],
    ));
    let (a, b) = (&snaps[1], &snaps[2]);
    let n = a.labels.len();
    let params = TsneParams::default();
    let p = |s: &Snapshot| {
        affinities(&s.z, n, s.dim, params.perplexity).unwrap_or_else(|e| panic!("{e}"))
    };

    let mut fitted = Tsne::new(p(a), params, 1);
    for _ in 0..1000 {
        fitted.step();
    }
    // Unchanged input: the layout barely moves.
    let mut same = fitted.clone();
    same.set_affinities(p(a)).unwrap_or_else(|e| panic!("{e}"));
    let before = same.points();
    for _ in 0..100 {
        same.step();
    }
    let moved = before
        .iter()
        .zip(same.points())
        .map(|(x, y)| (((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2)) as f64).sqrt())
        .sum::<f64>()
        / n as f64;
    let relative = moved / rms_radius(&before);
    println!("unchanged input: mean displacement {relative:.4} of the layout's radius");
    assert!(relative < 0.05, "the warm layout wandered by {relative}");

    // Changed input: the warm start reaches the cold start's final KL (+ 5 %) much sooner.
    let mut cold = Tsne::new(p(b), params, 2);
    for _ in 0..1000 {
        cold.step();
    }
    let target = cold.kl() * 1.05;
    let mut cold_again = Tsne::new(p(b), params, 2);
    let cold_iters = iterations_to(&mut cold_again, target, 1000);
    let mut warm = fitted.clone();
    warm.set_affinities(p(b)).unwrap_or_else(|e| panic!("{e}"));
    let warm_iters = iterations_to(&mut warm, target, 1000);
    println!(
        "changed input: KL ≤ {target:.3} after {warm_iters} warm vs {cold_iters} cold iterations"
    );
    assert!(
        2 * warm_iters <= cold_iters,
        "warm start took {warm_iters} iterations, cold {cold_iters}"
    );
}

/// A snapshot of `n` random `dim`-d embeddings in `classes` classes (only what the projector reads).
fn synthetic(n: usize, dim: usize, step: usize, seed: u64) -> Arc<Snapshot> {
    let mut rng = Rng::fork(seed, "synthetic");
    let z = (0..n * dim).map(|_| rng.normal()).collect();
    Arc::new(Snapshot {
        step,
        z,
        dim,
        labels: (0..n).map(|i| i % 10).collect(),
        ..Snapshot::default()
    })
}

/// A projector thread with t-SNE on.
fn tsne_projector() -> Projector {
    let projector = Projector::start(None).unwrap_or_else(|e| panic!("{e}"));
    projector.configure(ProjectorSettings {
        tsne: true,
        ..ProjectorSettings::default()
    });
    projector
}

/// The projector's newest t-SNE layout, if it has one.
fn tsne_layout(p: &Projector) -> Option<TsneView> {
    p.latest().and_then(|l| match &l.tsne {
        Some(Ok(t)) => Some(t.clone()),
        _ => None,
    })
}

#[test]
fn the_projector_publishes_pca_at_once_and_tsne_later_without_making_the_reader_wait() {
    let projector = tsne_projector();
    projector.submit(1, synthetic(300, 16, 10, 1));
    let first = wait_for("the first t-SNE layout", || {
        projector.latest().filter(|l| matches!(l.tsne, Some(Ok(_))))
    });
    assert_eq!((first.run_id, first.step, first.labels.len()), (1, 10, 300));
    assert!(matches!(first.pca, Some(Ok(_))));

    // A big input: its affinities alone take the thread a while. The reader meanwhile gets
    // the previous layouts, then the new PCA, long before the new t-SNE.
    projector.submit(2, synthetic(6000, 64, 20, 2));
    let right_after = projector
        .latest()
        .unwrap_or_else(|| panic!("layouts vanished"));
    assert!(right_after.run_id == 1 || right_after.run_id == 2);
    let pca_only = wait_for("the new run's PCA", || {
        projector.latest().filter(|l| l.run_id == 2)
    });
    assert!(matches!(pca_only.pca, Some(Ok(_))), "PCA of the new input");
    assert!(
        pca_only.tsne.is_none(),
        "PCA waited for t-SNE's affinities instead of being published first"
    );
    let tsne = wait_for("the new run's t-SNE", || {
        projector
            .latest()
            .filter(|l| l.run_id == 2 && matches!(l.tsne, Some(Ok(_))))
    });
    assert_eq!(tsne.labels.len(), 6000);
    assert!(projector.running());
}

/// A collapsed embedding (every point the same, as a collapsed SimSiam's) never breaks the
/// projector: PCA says why it has no layout, and the next input is projected as usual.
#[test]
fn the_projector_reports_a_collapsed_embedding_instead_of_failing() {
    let projector = tsne_projector();
    let collapsed = Arc::new(Snapshot {
        step: 5,
        z: vec![0.5; 200 * 8],
        dim: 8,
        labels: vec![0; 200],
        ..Snapshot::default()
    });
    projector.submit(1, collapsed);
    let l = wait_for("layouts of a collapsed embedding", || {
        projector.latest().filter(|l| l.tsne.is_some())
    });
    println!(
        "{:?} / {:?}",
        l.pca.as_ref().map(|r| r.is_ok()),
        l.tsne.as_ref().map(|r| r.is_ok())
    );
    assert!(projector.running(), "the projector thread died");
}

/// A snapshot whose affinities cannot be computed is skipped with its reason in the caption,
/// and the layout goes on from where it was: it never starts again from noise mid-run.
#[test]
fn a_snapshot_tsne_cannot_use_is_skipped_and_the_layout_kept() {
    let projector = tsne_projector();
    projector.submit(1, synthetic(300, 16, 10, 1));
    let settled = wait_for("the layout past early exaggeration", || {
        tsne_layout(&projector).filter(|t| !t.exaggerating && t.iterations >= 300)
    });
    // Its embeddings do not match its point count: no affinities, no PCA.
    let broken = Arc::new(Snapshot {
        step: 20,
        z: vec![0.5; 7],
        dim: 16,
        labels: (0..300).map(|i| i % 10).collect(),
        ..Snapshot::default()
    });
    projector.submit(1, broken);
    let skipped = wait_for("the skipped snapshot's note", || {
        tsne_layout(&projector).filter(|t| t.note.is_some())
    });
    assert!(
        skipped.iterations >= settled.iterations && !skipped.exaggerating,
        "the layout started over: {} -> {} iterations",
        settled.iterations,
        skipped.iterations
    );
    assert_eq!(
        skipped.step, settled.step,
        "the layout still shows its last input"
    );
    assert!(
        skipped
            .note
            .as_deref()
            .is_some_and(|n| n.contains("step 20")),
        "{:?}",
        skipped.note
    );
    projector.submit(1, synthetic(300, 16, 30, 3));
    let resumed = wait_for("the next good snapshot", || {
        tsne_layout(&projector).filter(|t| t.step == 30)
    });
    assert!(resumed.note.is_none() && !resumed.exaggerating);
    assert!(resumed.iterations > skipped.iterations);
}

/// A converged run only jitters: t-SNE does not chase snapshots that hardly moved from its
/// input (so it leaves the cores to training), but follows one that moved at once, takes the
/// last one when no newer comes (training paused), and never shows an input older than
/// `MAX_INPUT_AGE` while training runs.
#[test]
fn tsne_follows_a_moving_embedding_at_once_and_a_still_one_only_now_and_then() {
    use contrastive_lab::projection::projector::{MAX_INPUT_AGE, PENDING_SETTLES_AFTER, drift};
    use std::time::{Duration, Instant};
    let projector = tsne_projector();
    let base = synthetic(300, 16, 10, 1);
    let submitted = Instant::now();
    projector.submit(1, Arc::clone(&base));
    wait_for("the layout past early exaggeration", || {
        tsne_layout(&projector).filter(|t| !t.exaggerating && t.step == 10)
    });
    // The same embedding with 1 % noise, a snapshot every 50 ms as a training run sends them.
    let jittered = |of: &Snapshot, step: usize| {
        let mut rng = Rng::fork(step as u64, "jitter");
        Arc::new(Snapshot {
            step,
            z: of.z.iter().map(|v| v + 0.01 * rng.normal()).collect(),
            ..of.clone()
        })
    };
    assert!(drift(&base, &jittered(&base, 20)).is_some_and(|d| d < 0.05));
    let start = Instant::now();
    let mut step = 20;
    // (The input cannot be older than MAX_INPUT_AGE before that long after it was sent.)
    let quiet = Duration::from_secs(1).min(MAX_INPUT_AGE.saturating_sub(submitted.elapsed()) / 2);
    while start.elapsed() < quiet {
        projector.submit(1, jittered(&base, step));
        step += 10;
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            tsne_layout(&projector).map(|t| t.step),
            Some(10),
            "t-SNE followed a snapshot that hardly moved"
        );
    }
    // Still training: within MAX_INPUT_AGE (and a margin for a busy machine) it takes one up.
    let mut followed = None;
    while followed.is_none() && start.elapsed() < MAX_INPUT_AGE * 6 {
        projector.submit(1, jittered(&base, step));
        step += 10;
        std::thread::sleep(Duration::from_millis(50));
        followed = tsne_layout(&projector).filter(|t| t.step > 10);
    }
    let followed =
        followed.unwrap_or_else(|| panic!("the input stayed older than {MAX_INPUT_AGE:?}"));
    assert!(start.elapsed() >= quiet, "{followed:?}");
    // An embedding that moved: followed at once (well before MAX_INPUT_AGE).
    let moved = synthetic(300, 16, 5_000, 2);
    assert!(drift(&base, &moved).is_some_and(|d| d > 1.0));
    let sent = Instant::now();
    projector.submit(1, Arc::clone(&moved));
    wait_for("the moved snapshot", || {
        tsne_layout(&projector).filter(|t| t.step == 5_000)
    });
    assert!(sent.elapsed() < MAX_INPUT_AGE, "{:?}", sent.elapsed());
    // Training pauses on a snapshot that hardly moved: taken up once no newer one comes.
    let sent = Instant::now();
    projector.submit(1, jittered(&moved, 5_010));
    wait_for("the last snapshot before a pause", || {
        tsne_layout(&projector).filter(|t| t.step == 5_010)
    });
    assert!(
        sent.elapsed() >= PENDING_SETTLES_AFTER,
        "{:?}",
        sent.elapsed()
    );
}

/// A fork's t-SNE starts where run A's is: the same input, started from A's layout, begins
/// (and stays, after the settle) much closer to it than a cold start from random positions.
#[test]
fn a_layout_started_from_another_begins_alike() {
    let settings = ProjectorSettings {
        tsne: true,
        ..ProjectorSettings::default()
    };
    let layout_of = |projector: &Projector, run: u64| -> Vec<[f32; 2]> {
        let l = wait_for("a settled t-SNE layout", || {
            projector.latest().filter(|l| {
                l.run_id == run
                    && matches!(&l.tsne, Some(Ok(t)) if !t.exaggerating && t.iterations >= 200)
            })
        });
        match &l.tsne {
            Some(Ok(t)) => t.points.clone(),
            _ => Vec::new(),
        }
    };
    let snapshot = synthetic(300, 16, 10, 7);
    let a = Projector::start(None).unwrap_or_else(|e| panic!("{e}"));
    a.configure(settings);
    a.submit(1, Arc::clone(&snapshot));
    let a_points = layout_of(&a, 1);

    let residual = |points: &[[f32; 2]]| -> f32 {
        let aligned = contrastive_lab::projection::eig::align_points(points, &a_points);
        aligned
            .iter()
            .zip(&a_points)
            .map(|(p, q)| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
            .sum::<f32>()
            / points.len() as f32
    };
    let warm = Projector::start(None).unwrap_or_else(|e| panic!("{e}"));
    warm.configure(settings);
    warm.start_layout_from(a_points.clone());
    warm.submit(1, Arc::clone(&snapshot));
    let cold = Projector::start(None).unwrap_or_else(|e| panic!("{e}"));
    cold.configure(settings);
    // Another seed, as a run's own cold start would have (the same seed would repeat A's).
    cold.reseed();
    cold.submit(1, Arc::clone(&snapshot));
    let (w, c) = (
        residual(&layout_of(&warm, 1)),
        residual(&layout_of(&cold, 1)),
    );
    println!("mean squared distance to A's layout: warm start {w:.4}, cold start {c:.4}");
    assert!(w < 0.25 * c, "warm {w} vs cold {c}");
}

/// The project's PCA (its own d × d eigendecomposition) against linfa-reduction's (a truncated
/// SVD of the centred data): the same explained variance and the same axes up to sign.
fn assert_pca_matches_linfa(x: &[f32], n: usize, d: usize, what: &str) {
    use linfa::traits::Fit;
    let ours = contrastive_lab::projection::pca::pca_2d(x, n, d, None)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let records = ndarray::Array2::from_shape_vec((n, d), x.iter().map(|&v| v as f64).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    let theirs = linfa_reduction::Pca::params(2)
        .fit(&linfa::DatasetBase::from(records.clone()))
        .unwrap_or_else(|e| panic!("{what}: linfa: {e}"));
    // Their σₖ²/(n − 1) are the covariance's eigenvalues; ours are fractions of its trace.
    let mean = records.mean_axis(ndarray::Axis(0)).unwrap_or_default();
    let total: f64 = (&records - &mean).mapv(|v| v * v).sum() / (n as f64 - 1.0);
    for k in 0..2 {
        let sigma = theirs.singular_values()[k];
        let explained = sigma * sigma / (n as f64 - 1.0) / total;
        assert!(
            (ours.explained[k] - explained).abs() < 1e-4,
            "{what}: axis {k} explains {} here, {explained} by linfa",
            ours.explained[k]
        );
        let axis = &ours.axes[k * d..(k + 1) * d];
        let cosine: f64 = axis
            .iter()
            .zip(theirs.components().row(k))
            .map(|(a, b)| a * b)
            .sum();
        assert!(
            (cosine.abs() - 1.0).abs() < 1e-3,
            "{what}: axis {k} at cosine {cosine} to linfa's"
        );
    }
}

#[test]
fn pca_equals_linfa_reductions_on_digits_and_on_a_collapsed_embedding() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/digits/optdigits.csv"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let digits: Vec<f32> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .flat_map(|l| {
            l.split(',')
                .take(64)
                .map(|v| v.trim().parse::<f32>().unwrap_or(f32::NAN))
        })
        .collect();
    let n = digits.len() / 64;
    assert_eq!(n, 1797);
    assert_pca_matches_linfa(&digits, n, 64, "digits");
    // A collapsing embedding: 1000 points of 32 dimensions near one point, spread mostly along
    // one direction, then another, then noise.
    let mut rng = Rng::fork(3, "collapsed");
    let (u, v): (Vec<f32>, Vec<f32>) = (
        (0..32).map(|_| rng.normal()).collect(),
        (0..32).map(|_| rng.normal()).collect(),
    );
    let collapsed: Vec<f32> = (0..1000)
        .flat_map(|_| {
            let (a, b) = (0.05 * rng.normal(), 0.01 * rng.normal());
            let noise: Vec<f32> = (0..32).map(|_| 0.001 * rng.normal()).collect();
            (0..32)
                .map(|j| 1.0 + a * u[j] + b * v[j] + noise[j])
                .collect::<Vec<_>>()
        })
        .collect();
    assert_pca_matches_linfa(&collapsed, 1000, 32, "a collapsed embedding");
}
