//! The projector thread (one per run, see the map in `lib.rs`): it takes the newest snapshot, fits PCA at once, and advances
//! a t-SNE layout warm-started from the previous one. It runs on its own single thread (the
//! trainer keeps its core) and publishes latest-value: the UI reads the newest layouts without
//! ever waiting for a computation.
//!
//! Pacing: t-SNE picks up a new snapshot only after its early exaggeration is over and at least
//! [`MIN_ITERS_PER_INPUT`] iterations and [`MIN_INPUT_INTERVAL`] have passed since the last one;
//! between, it rests, so that a fast trainer neither keeps it recomputing affinities nor loses
//! its core to it. A snapshot whose embedding has hardly moved from the layout's input (less
//! than [`DRIFT_TO_FOLLOW`], see [`drift`]) waits until [`MAX_INPUT_AGE`] has passed, or until
//! no newer one came for [`PENDING_SETTLES_AFTER`] (training paused): a converged run only
//! jitters, and chasing its jitter kept t-SNE on a core for the whole run. Without new input
//! (training paused) it refines for up to [`SETTLE_ITERS`] iterations, then sleeps.

use super::pca::{PcaLayout, pca_2d};
use super::sphere::{SphereLayout, sphere_2d};
use super::tsne::TsneParams;
use crate::run::drive::Ticked;
use crate::run::{Drive, Snapshot, Waker};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use web_time::Instant;

pub const MIN_ITERS_PER_INPUT: usize = 40;
pub const MIN_INPUT_INTERVAL: Duration = Duration::from_millis(250);
pub const SETTLE_ITERS: usize = 300;
/// How far a snapshot's embedding must have moved from the layout's input ([`drift`]) for
/// t-SNE to follow it at once. Measured in a SimCLR run on blobs (5 000 probe points): 0.34
/// between snapshots 10 steps apart at step 20, 0.04 at step 700 and after (the jitter of
/// training); 0.06–0.09 over 280 steps late in the run.
pub const DRIFT_TO_FOLLOW: f64 = 0.1;
/// The layout's input is never older than this while training runs, however little it moved.
pub const MAX_INPUT_AGE: Duration = Duration::from_secs(5);
/// A snapshot with no newer one after this long (training paused or slow) is taken up.
pub const PENDING_SETTLES_AFTER: Duration = Duration::from_secs(2);
/// The projector thread's name (the CPU accounting of `--stats` and the priority tests find it).
pub const THREAD_NAME: &str = "projector";
/// Iterations between two publications of the t-SNE layout.
const PUBLISH_EVERY: usize = 10;

/// What the user controls (the Embedding Projector's sliders).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProjectorSettings {
    /// Run t-SNE at all (only while its view is shown; PCA always runs).
    pub tsne: bool,
    pub perplexity: f32,
    pub learning_rate: f32,
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        let p = TsneParams::default();
        Self {
            tsne: false,
            perplexity: p.perplexity,
            learning_rate: p.learning_rate,
        }
    }
}

/// A t-SNE layout as published.
#[derive(Clone, Debug)]
pub struct TsneView {
    /// `[n]` positions, centred and scaled to unit RMS radius.
    pub points: Vec<[f32; 2]>,
    /// The training step of the snapshot it was fitted to.
    pub step: usize,
    /// Iterations since the cold start.
    pub iterations: usize,
    pub exaggerating: bool,
    pub kl: f64,
    pub perplexity: f32,
    pub ms_per_iter: f64,
    /// Why the newest snapshot was not taken up (the layout shows an earlier one).
    pub note: Option<String>,
}

/// How far the embedding moved from `from` to `to` (the same probe, a later snapshot): the RMS
/// of the change over the RMS spread of `from`'s points around their mean. 0: the same
/// embedding; 1: a change as large as the embedding's own spread. `None` where the two cannot be
/// compared (other sizes, non-finite values, no spread: a collapsed embedding).
pub fn drift(from: &Snapshot, to: &Snapshot) -> Option<f64> {
    let d = from.dim;
    if d == 0 || to.dim != d || from.z.len() != to.z.len() || !from.z.len().is_multiple_of(d) {
        return None;
    }
    let n = from.z.len() / d;
    let mut mean = vec![0.0f64; d]; // [dim]
    for row in from.z.chunks_exact(d) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let (mut spread, mut change) = (0.0f64, 0.0f64);
    for (a, b) in from.z.chunks_exact(d).zip(to.z.chunks_exact(d)) {
        for ((&x, &y), m) in a.iter().zip(b).zip(&mean) {
            spread += (x as f64 - m).powi(2);
            change += (y as f64 - x as f64).powi(2);
        }
    }
    let ratio = (change / spread).sqrt();
    (spread > 0.0 && ratio.is_finite()).then_some(ratio)
}

/// PCA and the sphere view of `snap`, each oriented like the `previous` fit when given (a
/// panic in either becomes its error, see [`guarded`]). The projector thread and the timeline
/// (a recorded snapshot) use the same.
pub fn linear_layouts(
    snap: &Snapshot,
    previous_pca: Option<&PcaLayout>,
    previous_sphere: Option<&SphereLayout>,
) -> (Result<PcaLayout, String>, Result<SphereLayout, String>) {
    let n = snap.labels.len();
    let pca = guarded("PCA", || pca_2d(&snap.z, n, snap.dim, previous_pca));
    let sphere = guarded("the sphere view", || {
        sphere_2d(&snap.z, n, snap.dim, previous_sphere)
    });
    (pca, sphere)
}

/// Everything the projector last published, for one run.
#[derive(Clone, Debug, Default)]
pub struct Layouts {
    pub run_id: u64,
    /// Step of the snapshot PCA was fitted to.
    pub step: usize,
    /// `[n]` the class of each point.
    pub labels: Vec<usize>,
    /// `Err` says why there is no PCA (e.g. a collapsed embedding).
    pub pca: Option<Result<PcaLayout, String>>,
    pub pca_ms: f64,
    /// The unit-normalised embedding on the fixed scale of the unit circle.
    pub sphere: Option<Result<SphereLayout, String>>,
    pub tsne: Option<Result<TsneView, String>>,
}

/// A recorded snapshot to lay out for the timeline, oriented like the layouts the view shows.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Which view asks (the run's own timeline, the abandoned branch beside it …): each key
    /// keeps its newest request and its newest answer.
    pub key: u64,
    pub run_id: u64,
    pub snapshot: Arc<Snapshot>,
    pub like_pca: Option<PcaLayout>,
    pub like_sphere: Option<SphereLayout>,
}

#[derive(Default)]
struct Inbox {
    snapshot: Option<(u64, Arc<Snapshot>)>,
    /// Recorded snapshots to lay out, newest per key (before any live work: they are cheap).
    recorded: Vec<RecordedRequest>,
    settings: ProjectorSettings,
    reseed: bool,
    /// Where the next t-SNE layout starts (another run's layout), instead of at random.
    start_from: Option<Vec<[f32; 2]>>,
    stop: bool,
}

struct Shared {
    inbox: Mutex<Inbox>,
    wake: Condvar,
    output: Mutex<Option<Arc<Layouts>>>,
    /// The layouts of recorded snapshots, newest per key.
    recorded: Mutex<Vec<(u64, Arc<Layouts>)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Handle to a projector; dropping it stops it.
pub struct Projector {
    shared: Arc<Shared>,
    engine: Engine,
}

/// Who runs the projector's turns (see [`crate::run::drive`]).
enum Engine {
    Thread(Option<JoinHandle<()>>),
    /// [`Projector::tick`]: the worker (`None` once it stopped).
    Frames(Mutex<Option<Box<Worker>>>),
}

/// Where snapshots go in: a handle the trainer thread keeps (it does not keep the thread alive).
#[derive(Clone)]
pub struct ProjectorInbox {
    shared: Arc<Shared>,
}

impl ProjectorInbox {
    /// Offer the newest snapshot of run `run_id` (latest-value: an unread one is replaced).
    pub fn submit(&self, run_id: u64, snapshot: Arc<Snapshot>) {
        lock(&self.shared.inbox).snapshot = Some((run_id, snapshot));
        self.shared.wake.notify_one();
    }
}

impl Projector {
    /// A projector on a thread of its own.
    pub fn start(waker: Option<Waker>) -> crate::error::Result<Self> {
        Self::driven(Drive::Threads, waker)
    }

    /// A projector driven by `drive`: on a thread of its own, or by [`Self::tick`].
    pub fn driven(drive: Drive, waker: Option<Waker>) -> crate::error::Result<Self> {
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            wake: Condvar::new(),
            output: Mutex::new(None),
            recorded: Mutex::new(Vec::new()),
        });
        let worker = Worker::new(Arc::clone(&shared), waker);
        let engine = match drive {
            Drive::Threads => {
                let handle = std::thread::Builder::new()
                    .name(THREAD_NAME.into())
                    .spawn(move || {
                        crate::cpu::priority::lower_this_thread();
                        worker.run()
                    })
                    .map_err(|source| crate::error::LabError::Thread {
                        what: "projector",
                        source,
                    })?;
                Engine::Thread(Some(handle))
            }
            Drive::Frames => Engine::Frames(Mutex::new(Some(Box::new(worker)))),
        };
        Ok(Self { shared, engine })
    }

    /// Under [`Drive::Frames`], lay out what waits and iterate t-SNE until `until` (at least
    /// one turn, so a new snapshot is always laid out); on a thread, nothing.
    pub fn tick(&self, until: Instant) -> Ticked {
        let Engine::Frames(worker) = &self.engine else {
            return Ticked::default();
        };
        let mut guard = lock(worker);
        let Some(w) = guard.as_mut() else {
            return Ticked::default();
        };
        let ticked = w.tick(until);
        if ticked.stopped {
            *guard = None;
        }
        ticked
    }

    pub fn inbox(&self) -> ProjectorInbox {
        ProjectorInbox {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Offer the newest snapshot of run `run_id` (latest-value: an unread one is replaced).
    pub fn submit(&self, run_id: u64, snapshot: Arc<Snapshot>) {
        self.inbox().submit(run_id, snapshot);
    }

    pub fn configure(&self, settings: ProjectorSettings) {
        let mut inbox = lock(&self.shared.inbox);
        if inbox.settings != settings {
            inbox.settings = settings;
            drop(inbox);
            self.shared.wake.notify_one();
        }
    }

    /// Start t-SNE again from a fresh random layout (new seed).
    /// Start the next t-SNE layout from `points` (e.g. run A's layout when B forks from it),
    /// so that the two layouts begin alike.
    pub fn start_layout_from(&self, points: Vec<[f32; 2]>) {
        lock(&self.shared.inbox).start_from = Some(points);
        self.shared.wake.notify_one();
    }

    pub fn reseed(&self) {
        lock(&self.shared.inbox).reseed = true;
        self.shared.wake.notify_one();
    }

    /// The newest layouts, without waiting: `None` if none is published yet or the projector is
    /// swapping them in at this very instant (the caller keeps its previous copy).
    pub fn latest(&self) -> Option<Arc<Layouts>> {
        self.shared.output.try_lock().ok().and_then(|g| g.clone())
    }

    /// Lay out a recorded snapshot (the timeline's cursor): PCA and the sphere view, oriented
    /// like `request`'s layouts, published under its key for [`Self::recorded`] to read. The
    /// UI thread never fits a layout itself.
    pub fn request_recorded(&self, request: RecordedRequest) {
        let mut inbox = lock(&self.shared.inbox);
        inbox.recorded.retain(|r| r.key != request.key);
        inbox.recorded.push(request);
        drop(inbox);
        self.shared.wake.notify_one();
    }

    /// The newest layouts of a recorded snapshot asked for under `key`, without waiting.
    pub fn recorded(&self, key: u64) -> Option<Arc<Layouts>> {
        let out = self.shared.recorded.try_lock().ok()?;
        out.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, l)| Arc::clone(l))
    }

    /// Whether the projector still runs (it only ends on drop, or by a bug).
    pub fn running(&self) -> bool {
        match &self.engine {
            Engine::Thread(h) => h.as_ref().is_some_and(|h| !h.is_finished()),
            Engine::Frames(w) => lock(w).is_some(),
        }
    }
}

impl Drop for Projector {
    fn drop(&mut self) {
        lock(&self.shared.inbox).stop = true;
        self.shared.wake.notify_one();
        if let Engine::Thread(h) = &mut self.engine
            && let Some(h) = h.take()
        {
            let _ = h.join();
        }
    }
}

/// Run one linear projection so that neither its error nor a panic inside it can touch the
/// other layouts (a panic in an earlier PCA used to drop the t-SNE layout, which then started
/// again from noise in the middle of a run).
fn guarded<T>(what: &str, f: impl FnOnce() -> crate::error::Result<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("internal error in {what} (see stderr)")),
    }
}

/// Centre the points and scale them to unit root-mean-square radius (t-SNE's own scale is
/// arbitrary and grows while it fits).
pub fn normalised(points: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let n = points.len().max(1) as f32;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p[0] / n, b + p[1] / n));
    let rms = (points
        .iter()
        .map(|p| (p[0] - mx).powi(2) + (p[1] - my).powi(2))
        .sum::<f32>()
        / n)
        .sqrt()
        .max(1e-12);
    points
        .iter()
        .map(|p| [(p[0] - mx) / rms, (p[1] - my) / rms])
        .collect()
}

mod worker;

use worker::Worker;

#[cfg(test)]
mod tests;
