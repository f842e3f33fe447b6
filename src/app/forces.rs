//! The forces overlay of the sphere view: why the points move. For SimCLR, the batch of the
//! first probe samples seen twice, each embedding with the force −∂L/∂u of NT-Xent on it (an
//! arrow); for CLIP, their images and captions under its symmetric InfoNCE. Click one and its
//! positive and negatives light up, each negative as bright as its weight
//! p_ik = softmax_k(sim_ik/τ). For MoCo, each query against its key and the queue. For BYOL and
//! SimSiam, each prediction with its pull
//! towards the stop-gradient target. Computed every frame from the snapshot and the *current*
//! τ, so dragging τ redistributes the weights and arrows at once (see [`crate::metrics::forces`]).

use super::RunFrame;
use crate::config::Method;
use crate::metrics::forces;
use crate::projection::SphereLayout;

/// (class, origin, tip) of an arrow.
pub type Arrow = (usize, [f64; 2], [f64; 2]);

/// What the plot draws on top of the points.
#[derive(Default)]
pub struct Overlay {
    /// The embeddings the forces act on: (class, position).
    pub points: Vec<(usize, [f64; 2])>,
    /// (class, origin, tip) of each force, scaled so that the longest is 0.25 of the radius.
    pub arrows: Vec<Arrow>,
    /// For the selected point: (from, to, brightness 0–1, is the positive or target).
    pub rays: Vec<([f64; 2], [f64; 2], f32, bool)>,
    /// What the overlay shows, with the selected point's numbers.
    pub caption: String,
}

/// Why the view has no forces for `method`, if it has none.
pub fn unavailable(method: Method) -> Option<&'static str> {
    match method {
        Method::SimClr | Method::Clip | Method::Moco | Method::Byol | Method::SimSiam => None,
        Method::Barlow => {
            Some("Barlow Twins' loss acts on the batch's cross-correlation, not on single points")
        }
        Method::Vicreg => Some(
            "VICReg's variance and covariance terms act on the batch's statistics, not on single points",
        ),
        Method::Dino | Method::DinoV2 => {
            Some("DINO's loss compares distributions: see What the loss sees, teacher vs student")
        }
    }
}

/// The three largest of `weights`, as text.
fn strongest(mut weights: Vec<f64>) -> String {
    weights.sort_by(|a, b| b.total_cmp(a));
    weights
        .iter()
        .take(3)
        .map(|p| format!("{p:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn at(layout: &SphereLayout, x: &[f32]) -> [f64; 2] {
    let p = layout.project(x);
    [p[0] as f64, p[1] as f64]
}

fn scaled_arrows(origins: &[(usize, [f64; 2])], dirs: &[[f64; 2]]) -> (Vec<Arrow>, f64) {
    let longest = dirs
        .iter()
        .map(|v| v[0].hypot(v[1]))
        .fold(0.0, f64::max)
        .max(1e-12);
    let s = 0.25 / longest;
    let arrows = origins
        .iter()
        .zip(dirs)
        .map(|(&(c, o), v)| (c, o, [o[0] + s * v[0], o[1] + s * v[1]]))
        .collect();
    (arrows, longest)
}

/// The overlay for the current snapshot, τ and selection.
pub fn overlay(run: &RunFrame, layout: &SphereLayout, selected: Option<usize>) -> Option<Overlay> {
    let snap = run.published.snapshot.as_ref()?;
    let config = run.config;
    let d = snap.dim.max(1);
    let label = |i: usize| snap.labels.get(i).copied().unwrap_or(0);
    let names = &run.published.status.class_names;
    let name = |i: usize| names.get(label(i)).cloned().unwrap_or_default();
    match config.method {
        Method::SimClr | Method::Clip => {
            let clip = config.method == Method::Clip;
            // CLIP's τ is learned: the snapshot's (1 / its logit scale).
            let tau = if clip {
                snap.extra(crate::metrics::Extra::Temperature)
                    .unwrap_or(config.temperature)
            } else {
                config.temperature
            };
            let f = if clip {
                forces::clip(&snap.view_a, &snap.view_b, d, tau)
            } else {
                forces::nt_xent(&snap.view_a, &snap.view_b, d, tau)
            };
            let (m, n) = (f.m, 2 * f.m);
            let (loss, view_names, formula) = if clip {
                (
                    "CLIP's symmetric InfoNCE on the images and captions of",
                    ["image", "caption"],
                    "(2v⁺ − Σⱼ (p_ij + q_ij) vⱼ) / (2mτ), over the other modality",
                )
            } else {
                (
                    "NT-Xent on",
                    ["view 1", "view 2"],
                    "(2u⁺ − Σₖ (p_ik + p_ki) uₖ) / (2mτ)",
                )
            };
            let points: Vec<(usize, [f64; 2])> = (0..n)
                .map(|i| (label(i % m), layout.direction(&f.u[i * d..(i + 1) * d])))
                .collect();
            let dirs: Vec<[f64; 2]> = (0..n)
                .map(|i| layout.direction(&f.force[i * d..(i + 1) * d]))
                .collect();
            let (arrows, longest) = scaled_arrows(&points, &dirs);
            let mut rays = Vec::new();
            let mut caption = format!(
                "forces: −∂L/∂u of {loss} {m} probe samples{}, τ = {tau:.3} (arrows scaled: the longest is {longest:.2e} in the plane). Click a point to see its positive and negatives.",
                if clip { "" } else { " seen twice" }
            );
            if let Some(i) = selected.filter(|&i| i < n) {
                let pos = f.positive(i);
                let row = &f.weights[i * n..(i + 1) * n];
                let peak = row.iter().copied().fold(1e-12, f64::max);
                // Only the row's candidates (for CLIP: the other modality).
                for k in (0..n).filter(|&k| k != i && (row[k] > 0.0 || k == pos)) {
                    rays.push((points[i].1, points[k].1, (row[k] / peak) as f32, k == pos));
                }
                let negatives: Vec<f64> = (0..n)
                    .filter(|&k| k != i && k != pos && row[k] > 0.0)
                    .map(|k| row[k])
                    .collect();
                let candidates = negatives.len() + 1;
                let norm: f64 = f.force[i * d..(i + 1) * d]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt();
                caption = format!(
                    "anchor: probe sample {} ({}), {}. Softmax over its {candidates} candidates at τ = {tau:.3}: positive p = {:.3}; strongest negatives {}.\n\
                     force −∂L/∂u = {formula}, along the sphere: |f| = {norm:.2e}. \
                     Low τ: a few hard negatives take the mass; high τ: all share it.",
                    i % m + 1,
                    name(i % m),
                    view_names[i / m],
                    row[pos],
                    strongest(negatives),
                );
            }
            Some(Overlay {
                points,
                arrows,
                rays,
                caption,
            })
        }
        Method::Moco => {
            let Some(crate::run::snapshot::ForceInputs::Queue { keys, queue }) = &snap.forces
            else {
                return None;
            };
            let tau = config.temperature;
            let f = forces::moco(&snap.view_a, keys, queue, d, tau);
            let m = f.m;
            let points: Vec<(usize, [f64; 2])> = (0..m)
                .map(|i| (label(i), layout.direction(&f.queries[i * d..(i + 1) * d])))
                .collect();
            let dirs: Vec<[f64; 2]> = (0..m)
                .map(|i| layout.direction(&f.force[i * d..(i + 1) * d]))
                .collect();
            let (arrows, longest) = scaled_arrows(&points, &dirs);
            let width = f.weights.len() / m.max(1);
            let mut caption = format!(
                "forces: −∂L/∂q of MoCo's InfoNCE on the queries of {m} probe samples, each against its key and the {} keys of the queue, τ = {tau:.3} (arrows scaled: the longest is {longest:.2e}). Keys and queue do not move: the key encoder follows by EMA. Click a query.",
                width - 1
            );
            let mut rays = Vec::new();
            if let Some(i) = selected.filter(|&i| i < m) {
                let row = &f.weights[i * width..(i + 1) * width];
                let key = layout.direction(&f.keys[i * d..(i + 1) * d]);
                rays.push((points[i].1, key, 1.0, true));
                // The queue's keys that take the most of this query's softmax.
                let mut order: Vec<usize> = (1..width).collect();
                order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
                let peak = row[1..].iter().copied().fold(1e-12, f64::max);
                for &j in order.iter().take(24) {
                    let c = at(layout, &queue[(j - 1) * d..j * d]);
                    rays.push((points[i].1, c, (row[j] / peak) as f32, false));
                }
                caption = format!(
                    "query of probe sample {} ({}). Softmax over its {width} candidates (its key + the queue) at τ = {tau:.3}: positive p = {:.3}; strongest queue keys {} (the 24 strongest drawn).\n\
                     force −∂L/∂q = (k⁺ − Σ_c p_c c) / (mτ), along the sphere.",
                    i + 1,
                    name(i),
                    row[0],
                    strongest(row[1..].to_vec()),
                );
            }
            Some(Overlay {
                points,
                arrows,
                rays,
                caption,
            })
        }
        Method::Byol | Method::SimSiam => {
            let Some(crate::run::snapshot::ForceInputs::Pull(pull)) = &snap.forces else {
                return None;
            };
            let forces = forces::cosine_pull(&pull.prediction, &pull.target, d, pull.weight);
            let m = forces.len() / d;
            let points: Vec<(usize, [f64; 2])> = (0..m)
                .map(|i| (label(i), at(layout, &pull.prediction[i * d..(i + 1) * d])))
                .collect();
            let dirs: Vec<[f64; 2]> = (0..m)
                .map(|i| layout.direction(&forces[i * d..(i + 1) * d]))
                .collect();
            let (arrows, longest) = scaled_arrows(&points, &dirs);
            let target = if config.method == Method::Byol {
                "the EMA target network's projection"
            } else {
                "the same network's projection"
            };
            let mut caption = format!(
                "forces: the pull on each prediction p of view 1 towards {target} of view 2 (arrows scaled: the longest is {longest:.2e}). Click a prediction to see its target."
            );
            let mut rays = Vec::new();
            if let Some(i) = selected.filter(|&i| i < m) {
                let t = at(layout, &pull.target[i * d..(i + 1) * d]);
                rays.push((points[i].1, t, 1.0, true));
                let stop = if config.stop_gradient {
                    "behind a stop-gradient: it does not move"
                } else {
                    "stop-gradient off: the target is pulled towards p as well"
                };
                caption = format!(
                    "prediction of probe sample {} ({}), view 1, and its target ({stop}).\n\
                     force −∂L/∂p = w/n · (t̂ − (t̂·p̂) p̂) / ‖p‖, w = {}: towards the target, along the sphere.",
                    i + 1,
                    name(i),
                    pull.weight
                );
            }
            Some(Overlay {
                points,
                arrows,
                rays,
                caption,
            })
        }
        _ => None,
    }
}
