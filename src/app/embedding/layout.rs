//! Where the points should be: the current projection's layout of the shown snapshot.

use super::{Projection, ViewState};
use crate::app::RunFrame;

pub(super) fn on_circle(p: &[f32]) -> [f32; 2] {
    let n = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-12);
    [p[0] / n, p[1] / n]
}

/// A 3-d embedding on the unit sphere, rotated by `yaw` (about the vertical axis), then `pitch`
/// (about the horizontal one), seen orthographically from +z: `([x, y], depth)`, depth > 0 on
/// the visible hemisphere.
pub fn on_sphere(p: &[f32], yaw: f32, pitch: f32) -> ([f32; 2], f32) {
    let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt().max(1e-12);
    let (x, y, z) = (p[0] / n, p[1] / n, p[2] / n);
    let (sy, cy) = yaw.sin_cos();
    let (sp, cp) = pitch.sin_cos();
    let (x1, z1) = (x * cy + z * sy, -x * sy + z * cy);
    let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
    ([x1, y2], z2)
}

/// Where an embedding lands in the current projection.
pub(super) fn project(v: &ViewState, run: &RunFrame, x: &[f32]) -> Option<[f32; 2]> {
    match (v.projection, run.pca()) {
        (Projection::Unit, _) => run.sphere().map(|s| s.project(x)),
        (Projection::Circle, _) if x.len() == 2 => Some(on_circle(x)),
        (Projection::Sphere, _) if x.len() == 3 => Some(on_sphere(x, v.yaw, v.pitch).0),
        // t-SNE has no map for points it was not fitted on.
        (Projection::Tsne, _) => None,
        (_, Some(pca)) => Some(pca.project(x)),
        _ => None,
    }
}

/// Where the points should be now: `(x, y)` and class per probe point, and a caption.
pub(super) struct Target {
    pub points: Vec<[f32; 2]>,
    /// The training step of the snapshot the points show.
    pub step: usize,
    pub labels: Vec<usize>,
    pub caption: String,
    /// Shown when the pointer is on the caption.
    pub detail: String,
}

/// The current projection's target layout, or why there is none.
pub(super) fn layout(view: &ViewState, run: &RunFrame) -> Result<Target, String> {
    let snap = run
        .published
        .snapshot
        .as_ref()
        .ok_or("waiting for the first snapshot…")?;
    let raw = |points: Vec<[f32; 2]>, caption: &str| Target {
        points,
        step: snap.step,
        labels: snap.labels.clone(),
        caption: caption.into(),
        detail: String::new(),
    };
    if view.projection == Projection::Circle && snap.dim == 2 {
        let pts = snap.z.chunks_exact(2).map(on_circle).collect();
        return Ok(raw(pts, "raw embedding on the unit circle"));
    }
    if view.projection == Projection::Sphere && snap.dim == 3 {
        let pts = snap
            .z
            .chunks_exact(3)
            .map(|p| on_sphere(p, view.yaw, view.pitch).0)
            .collect();
        return Ok(raw(
            pts,
            "raw embedding on the unit sphere (the far side is dimmed)",
        ));
    }
    let layouts = run.layouts.ok_or("projecting…")?;
    if view.projection == Projection::Unit {
        let sphere = match &layouts.sphere {
            None => return Err("projecting…".into()),
            Some(Err(e)) => return Err(format!("sphere view undefined: {e}")),
            Some(Ok(s)) => s,
        };
        return Ok(Target {
            points: sphere.points.clone(),
            step: layouts.step,
            labels: layouts.labels.clone(),
            caption: format!(
                "the {}-d embedding on the unit sphere, as the loss sees it (step {}): spread {:.2} in this plane, {:.2} on the sphere",
                snap.dim,
                layouts.step,
                sphere.spread(),
                sphere.spread_on_sphere
            ),
            detail: format!(
                "Each point is ẑ = z/‖z‖ projected onto a plane through the sphere's centre; the circle is the sphere's outline. \
                 Fixed scale: nothing is re-centred or re-zoomed, so a collapse shows as the points converging to one spot. \
                 The plane holds the two directions in which the points reach furthest (eigenvectors of E[ẑẑᵀ], \
                 capturing {:.0}% + {:.0}% of E‖ẑ‖² = 1; points uniform on the sphere would give {:.0}% each), \
                 turned to follow the previous frame.\n\
                 spread = mean distance of the points from their centroid = {:.3} in this plane, {:.3} in all {} dimensions \
                 (0 = one spot; a projection can only bring points closer, so the plane never shows more than the sphere holds).",
                100.0 * sphere.captured[0],
                100.0 * sphere.captured[1],
                100.0 / snap.dim.max(1) as f64,
                sphere.spread(),
                sphere.spread_on_sphere,
                snap.dim
            ),
        });
    }
    if view.projection == Projection::Tsne {
        let t = match &layouts.tsne {
            None => return Err("t-SNE: computing the first layout…".into()),
            Some(Err(e)) => return Err(format!("t-SNE undefined: {e}")),
            Some(Ok(t)) => t,
        };
        let phase = if t.exaggerating {
            " (early exaggeration)"
        } else {
            ""
        };
        let note = t
            .note
            .as_ref()
            .map(|n| format!("\n{n}"))
            .unwrap_or_default();
        return Ok(Target {
            points: t.points.clone(),
            step: t.step,
            labels: layouts.labels.clone(),
            caption: format!(
                "t-SNE rescales: the sphere view shows collapse. Step {}: iteration {}{phase}, KL {:.3}{note}",
                t.step, t.iterations, t.kl
            ),
            detail: format!(
                "perplexity {:.0}; {:.1} ms per iteration on the projector thread; warm-started from the previous layout at each new snapshot",
                t.perplexity, t.ms_per_iter
            ),
        });
    }
    let pca = match &layouts.pca {
        Some(Ok(p)) => p,
        Some(Err(_)) | None => {
            return Err("PCA undefined: the embedding has collapsed to a point".into());
        }
    };
    Ok(Target {
        points: pca.points.clone(),
        step: layouts.step,
        labels: layouts.labels.clone(),
        caption: format!(
            "PCA zooms to fit (the sphere view shows collapse). {}-d embedding at step {}: axes explain {:.0}% + {:.0}% of the variance",
            snap.dim,
            layouts.step,
            100.0 * pca.explained[0],
            100.0 * pca.explained[1],
        ),
        detail: format!("fitted on the projector thread in {:.1} ms", layouts.pca_ms),
    })
}
