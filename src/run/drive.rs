//! How a run is driven. On the desktop its trainer and its projector each run on a thread of
//! their own ([`Drive::Threads`]); in the browser there is one thread, and the app gives each
//! run a slice of every frame ([`Drive::Frames`]: `Pipeline::tick`). Both drives run the same
//! loop bodies, one *turn* at a time (take the waiting commands, then one training step, or
//! one piece of layout work), so the numbers a run makes do not depend on its drive.

use std::sync::Arc;

/// Who runs a pipeline's turns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Drive {
    /// The trainer and the projector on threads of their own, each waiting for work when idle.
    #[default]
    Threads,
    /// The caller's frame: `Pipeline::tick(deadline)` takes turns until the deadline, and
    /// nothing runs between two ticks (one thread: the browser).
    Frames,
}

impl Drive {
    /// What this build can run: threads natively, frames on the web (`wasm32` has no threads).
    pub fn for_this_target() -> Self {
        if cfg!(target_arch = "wasm32") {
            Self::Frames
        } else {
            Self::Threads
        }
    }

    /// The name `#lab-status` and the status bar show.
    pub fn name(self) -> &'static str {
        match self {
            Self::Threads => "threads",
            Self::Frames => "frames",
        }
    }
}

/// Called after each publication of a trainer or a projector (the app passes its repaint
/// request).
pub type Waker = Box<dyn Fn() + Send + 'static>;

/// One waker shared by a run's trainer and projector (and by every run of the app).
pub type SharedWaker = Arc<dyn Fn() + Send + Sync + 'static>;

/// `waker` for one of a run's parts.
pub fn boxed(waker: &Option<SharedWaker>) -> Option<Waker> {
    waker.clone().map(|w| Box::new(move || w()) as Waker)
}

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Took at least one turn that changed something (a command, a step, a layout).
    pub worked: bool,
    /// Took a snapshot (the projector has a new one to lay out).
    pub snapshot: bool,
    /// Stopped by a shutdown (the pipeline is being dropped).
    pub stopped: bool,
}
