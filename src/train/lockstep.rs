//! Trainers held at the same step (a comparison's runs A and B, a sweep's runs).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Trainers shown at the same step: each waits while it is ahead of any other (a run that is
/// paused, or slower, holds the others back), unless the user lets them run free.
#[derive(Debug, Default)]
pub struct Lockstep {
    steps: Vec<AtomicUsize>,
    free: AtomicBool,
}

impl Lockstep {
    /// A pair of sides, 0 and 1, starting in step.
    pub fn pair() -> (LockstepSide, LockstepSide) {
        let shared = Self::shared(2);
        (
            LockstepSide {
                shared: Arc::clone(&shared),
                side: 0,
            },
            LockstepSide { shared, side: 1 },
        )
    }

    fn shared(n: usize) -> Arc<Self> {
        Arc::new(Lockstep {
            steps: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            free: AtomicBool::new(false),
        })
    }

    /// `n` sides, 0 to n − 1, starting in step.
    pub fn group(n: usize) -> Vec<LockstepSide> {
        let shared = Self::shared(n);
        (0..n)
            .map(|side| LockstepSide {
                shared: Arc::clone(&shared),
                side,
            })
            .collect()
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
    /// Let every side run free (`true`) or hold them at the same step.
    pub fn set_free(&self, free: bool) {
        self.shared.free.store(free, Ordering::Relaxed);
    }

    pub fn is_free(&self) -> bool {
        self.shared.free.load(Ordering::Relaxed)
    }

    pub(super) fn report(&self, step: usize) {
        if let Some(s) = self.shared.steps.get(self.side) {
            s.store(step, Ordering::Release);
        }
    }

    /// Whether this side, at `step`, may take its next step: no other side is behind it.
    pub(super) fn may_step(&self, step: usize) -> bool {
        self.is_free()
            || self
                .shared
                .steps
                .iter()
                .enumerate()
                .all(|(i, s)| i == self.side || step <= s.load(Ordering::Acquire))
    }
}
