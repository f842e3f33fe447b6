//! A run is a pipeline: a trainer thread that hands each snapshot to its own projector thread,
//! and the state both publish. N runs are N pipelines; nothing is global.
//!
//! ```text
//!  commands ──► trainer thread ──Arc<Snapshot>──► projector thread
//!                 │ (owns the Session)              │ (PCA, sphere view, t-SNE)
//!                 ▼                                 ▼
//!          Arc<Published> {status, snapshot,   Arc<Layouts> {run_id, …}
//!                          history, …}
//!                 └──────────────┬──────────────────┘
//!                                ▼
//!              RunView: the published state and the layouts of the same run
//! ```

use crate::error::Result;
use crate::projection::projector::RecordedRequest;
use crate::projection::{Layouts, Projector, ProjectorSettings};
use crate::train::worker::Waker;
use crate::train::{Command, Published, Session, Trainer};
use std::sync::Arc;

/// Called after every publication of either thread (the app passes `request_repaint`).
pub type SharedWaker = Arc<dyn Fn() + Send + Sync + 'static>;

/// One run: its trainer and its projector. Dropping it stops both (the trainer first).
pub struct Pipeline {
    trainer: Trainer,
    projector: Projector,
}

/// What a view reads of a run in one frame: its published state and the layouts of the same run
/// (`None` until the projector has caught up with a new run).
#[derive(Clone)]
pub struct RunView {
    pub published: Arc<Published>,
    pub layouts: Option<Arc<Layouts>>,
}

impl Pipeline {
    /// Start both threads on `session`, training unless `paused`.
    pub fn start(session: Session, paused: bool, waker: Option<SharedWaker>) -> Result<Self> {
        let boxed = |w: &Option<SharedWaker>| -> Option<Waker> {
            w.clone().map(|w| Box::new(move || w()) as Waker)
        };
        let projector = Projector::start(boxed(&waker))?;
        let inbox = projector.inbox();
        let sink = Box::new(move |run_id, snapshot| inbox.submit(run_id, snapshot));
        let trainer = Trainer::spawn(session, paused, boxed(&waker), Some(sink))?;
        Ok(Self { trainer, projector })
    }

    /// Send `command` to the trainer; returns its number (see [`crate::train::Status::handled`]).
    pub fn send(&self, command: Command) -> u64 {
        self.trainer.send(command)
    }

    /// Every snapshot of the run so far (within its memory budget); hold the lock briefly.
    pub fn recording(&self) -> std::sync::MutexGuard<'_, crate::train::Recording> {
        self.trainer.recording()
    }

    /// The newest published state (never waits for training).
    pub fn published(&self) -> Arc<Published> {
        self.trainer.published()
    }

    /// The published state and, if the projector has reached this run, its layouts.
    pub fn view(&self) -> RunView {
        let published = self.published();
        let run_id = published.status.run_id;
        let layouts = self.projector.latest().filter(|l| l.run_id == run_id);
        RunView { published, layouts }
    }

    /// What the views want projected (t-SNE on or off, its perplexity and learning rate).
    pub fn configure_projection(&self, settings: ProjectorSettings) {
        self.projector.configure(settings);
    }

    /// Start this run's t-SNE layout from `points` (run A's, when B forks from it).
    pub fn start_layout_from(&self, points: Vec<[f32; 2]>) {
        self.projector.start_layout_from(points);
    }

    /// Lay out a recorded snapshot on the projector thread (see [`Projector::request_recorded`]).
    pub fn request_recorded(&self, request: RecordedRequest) {
        self.projector.request_recorded(request);
    }

    /// The newest layouts of a recorded snapshot asked for under `key`.
    pub fn recorded_layouts(&self, key: u64) -> Option<Arc<Layouts>> {
        self.projector.recorded(key)
    }

    /// Start the t-SNE layout again from random positions.
    pub fn reseed_layout(&self) {
        self.projector.reseed();
    }

    /// Both threads still run (they end only when dropped, or by a bug).
    pub fn is_alive(&self) -> bool {
        self.trainer.is_alive() && self.projector.running()
    }
}
