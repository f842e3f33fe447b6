//! A run is a pipeline: a trainer that hands each snapshot to its own projector, and the state
//! both publish. N runs are N pipelines; nothing is global.
//!
//! ```text
//!  commands ──► trainer ──Arc<Snapshot>──► projector
//!                 │ (owns the Session)       │ (PCA, sphere view, t-SNE)
//!                 ▼                          ▼
//!          Arc<Published> {status, snapshot,   Arc<Layouts> {run_id, …}
//!                          history, …}
//!                 └──────────────┬──────────────────┘
//!                                ▼
//!              RunView: the published state and the layouts of the same run
//! ```
//!
//! The two run on threads of their own ([`Drive::Threads`], the desktop) or in the caller's
//! [`Pipeline::tick`], once a frame ([`Drive::Frames`], the browser); see [`crate::run::drive`].

use crate::error::Result;
use crate::projection::projector::RecordedRequest;
use crate::projection::{Layouts, Projector, ProjectorSettings};
use crate::run::Drive;
pub use crate::run::SharedWaker;
use crate::run::drive::{Ticked, boxed};
use crate::train::{Command, Published, Session, Trainer};
use std::sync::Arc;
use web_time::Instant;

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
    /// Start both on `session`, training unless `paused`, driven as this build drives runs
    /// ([`Drive::for_this_target`]).
    pub fn start(session: Session, paused: bool, waker: Option<SharedWaker>) -> Result<Self> {
        Self::driven(Drive::for_this_target(), session, paused, waker)
    }

    /// Start both on `session`, driven by `drive`.
    pub fn driven(
        drive: Drive,
        session: Session,
        paused: bool,
        waker: Option<SharedWaker>,
    ) -> Result<Self> {
        let projector = Projector::driven(drive, boxed(&waker))?;
        let inbox = projector.inbox();
        let sink = Box::new(move |run_id, snapshot| inbox.submit(run_id, snapshot));
        let trainer = Trainer::driven(drive, session, paused, boxed(&waker), Some(sink))?;
        Ok(Self { trainer, projector })
    }

    /// How this run is driven.
    pub fn drive(&self) -> Drive {
        self.trainer.drive()
    }

    /// Under [`Drive::Frames`]: train until `until` or the next snapshot, then lay out what
    /// waits (a new snapshot at least) and iterate t-SNE until `until`. Under threads, nothing.
    pub fn tick(&self, until: Instant) -> Ticked {
        let trained = self.trainer.tick(until);
        let laid_out = self.projector.tick(until);
        Ticked {
            worked: trained.worked || laid_out.worked,
            snapshot: trained.snapshot,
            stopped: trained.stopped || laid_out.stopped,
        }
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

    /// Both still run (they end only when dropped, or by a bug).
    pub fn is_alive(&self) -> bool {
        self.trainer.is_alive() && self.projector.running()
    }
}
