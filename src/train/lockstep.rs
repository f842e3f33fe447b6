//! Two trainers held at the same step (a comparison's runs A and B).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Two trainers shown at the same step: each waits while it is ahead of the other (a run that
/// is paused, or slower, holds the other back), unless the user lets them run free.
#[derive(Debug, Default)]
pub struct Lockstep {
    steps: [AtomicUsize; 2],
    free: AtomicBool,
}

impl Lockstep {
    /// A pair of sides, 0 and 1, starting in step.
    pub fn pair() -> (LockstepSide, LockstepSide) {
        let shared = Arc::new(Lockstep::default());
        (
            LockstepSide {
                shared: Arc::clone(&shared),
                side: 0,
            },
            LockstepSide { shared, side: 1 },
        )
    }
}

/// One trainer's end of a [`Lockstep`].
#[derive(Clone, Debug)]
pub struct LockstepSide {
    shared: Arc<Lockstep>,
    side: usize,
}

impl PartialEq for LockstepSide {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && self.side == other.side
    }
}

impl LockstepSide {
    /// Let both run free (`true`) or hold them at the same step.
    pub fn set_free(&self, free: bool) {
        self.shared.free.store(free, Ordering::Relaxed);
    }

    pub fn is_free(&self) -> bool {
        self.shared.free.load(Ordering::Relaxed)
    }

    pub(super) fn report(&self, step: usize) {
        self.shared.steps[self.side].store(step, Ordering::Release);
    }

    /// Whether this side, at `step`, may take its next step.
    pub(super) fn may_step(&self, step: usize) -> bool {
        self.is_free() || step <= self.shared.steps[1 - self.side].load(Ordering::Acquire)
    }
}
