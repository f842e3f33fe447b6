//! A recorded moment of a run, as the timeline shows it: the run's published state with the
//! recorded snapshot in place of the newest, and that snapshot's layouts. The layouts are
//! fitted on the run's projector thread (PCA and the sphere view oriented like the live ones);
//! t-SNE is the layout it fitted to that step or the latest before. The UI thread only asks
//! and reads: until the answer arrives, the frame keeps the layouts it had.

use crate::pipeline::Pipeline;
use crate::projection::Layouts;
use crate::projection::projector::{RecordedRequest, TsneView};
use crate::train::{Published, Snapshot};
use std::sync::Arc;

/// The projector's key for a slot's own timeline.
pub const RUN_KEY: u64 = 0;
/// The projector's key for the branch a rewind abandoned, shown beside the run.
pub const BRANCH_KEY: u64 = 1;

/// A run's recorded state at one step, laid out.
pub struct RecordedFrame {
    pub step: usize,
    pub run_id: u64,
    pub published: Arc<Published>,
    pub layouts: Arc<Layouts>,
}

/// What a view shows of a recording: the newest recorded frame laid out, and the snapshot
/// asked for since (shown once the projector has laid it out, so that a frame never pairs one
/// step's state with another step's layouts).
#[derive(Default)]
pub struct Scrub {
    pub shown: Option<RecordedFrame>,
    wanted: Option<(u64, Arc<Snapshot>)>,
}

impl Scrub {
    /// The step shown, once laid out.
    pub fn step(&self) -> Option<usize> {
        self.shown.as_ref().map(|f| f.step)
    }
}

/// Make `scrub` show `snap` of the run whose live state is `live`: ask `pipeline`'s projector
/// for its layouts under `key` when the step is new, and show it once they are there (`tsne`:
/// the t-SNE layout fitted to that step or the latest before).
pub fn follow(
    scrub: &mut Scrub,
    key: u64,
    pipeline: &Pipeline,
    live: (&Arc<Published>, Option<&Layouts>),
    snap: Arc<Snapshot>,
    tsne: Option<Arc<TsneView>>,
) {
    let (published, layouts) = live;
    let run_id = published.status.run_id;
    if scrub.shown.as_ref().is_some_and(|f| f.run_id != run_id) {
        scrub.shown = None;
    }
    let asked = match &scrub.wanted {
        Some((r, s)) => Some((*r, s.step)),
        None => scrub.shown.as_ref().map(|f| (f.run_id, f.step)),
    };
    if asked != Some((run_id, snap.step)) {
        let like = |l: Option<&Layouts>| {
            (
                l.and_then(|l| l.pca.as_ref())
                    .and_then(|r| r.as_ref().ok())
                    .cloned(),
                l.and_then(|l| l.sphere.as_ref())
                    .and_then(|r| r.as_ref().ok())
                    .cloned(),
            )
        };
        let (like_pca, like_sphere) = like(layouts);
        pipeline.request_recorded(RecordedRequest {
            key,
            run_id,
            snapshot: Arc::clone(&snap),
            like_pca,
            like_sphere,
        });
        scrub.wanted = Some((run_id, snap));
    }
    let Some((wanted_run, wanted)) = &scrub.wanted else {
        return;
    };
    let Some(arrived) = pipeline
        .recorded_layouts(key)
        .filter(|l| l.run_id == *wanted_run && l.step == wanted.step)
    else {
        return;
    };
    let mut laid_out = (*arrived).clone();
    laid_out.tsne = Some(match tsne {
        Some(t) => Ok((*t).clone()),
        None => Err(
            "no t-SNE layout was fitted up to this step (t-SNE is recorded while its view is open)"
                .into(),
        ),
    });
    scrub.shown = Some(RecordedFrame {
        step: wanted.step,
        run_id: *wanted_run,
        published: Arc::new(Published {
            snapshot: Some(Arc::clone(wanted)),
            ..(**published).clone()
        }),
        layouts: Arc::new(laid_out),
    });
    scrub.wanted = None;
}
