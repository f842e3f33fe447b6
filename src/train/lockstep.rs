//! Trainers held at the same step (a comparison's runs A and B, a sweep's runs), or one after
//! another (a sweep's queue).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Trainers shown at the same step: each waits while it is ahead of any other (a run that is
/// paused, or slower, holds the others back), unless the user lets them run free.
///
/// As a queue of `steps` each, side `i` trains alone, at full speed, once every side before it
/// has made its `steps`, and stops there.
#[derive(Debug, Default)]
pub struct Lockstep {
    steps: Vec<AtomicUsize>,
    free: AtomicBool,
    queue: Option<usize>,
}

impl Lockstep {
    /// A pair of sides, 0 and 1, starting in step.
    pub fn pair() -> (LockstepSide, LockstepSide) {
        let shared = Self::shared(2, None);
        (
            LockstepSide {
                shared: Arc::clone(&shared),
                side: 0,
            },
            LockstepSide { shared, side: 1 },
        )
    }

    fn shared(n: usize, queue: Option<usize>) -> Arc<Self> {
        Arc::new(Lockstep {
            steps: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            free: AtomicBool::new(false),
            queue,
        })
    }

    /// `n` sides, 0 to n − 1, in a queue of `steps` steps each.
    pub fn queue(n: usize, steps: usize) -> Vec<LockstepSide> {
        Self::sides(Self::shared(n, Some(steps)))
    }

    /// `n` sides, 0 to n − 1, starting in step.
    pub fn group(n: usize) -> Vec<LockstepSide> {
        Self::sides(Self::shared(n, None))
    }

    fn sides(shared: Arc<Self>) -> Vec<LockstepSide> {
        (0..shared.steps.len())
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

    /// The steps each side of a queue makes, if this is one.
    pub fn queue_steps(&self) -> Option<usize> {
        self.shared.queue
    }

    /// Whether this side, at `step`, may take its next step: in lockstep, no other side is
    /// behind it; in a queue, every side before it has made its steps and it has not.
    pub(super) fn may_step(&self, step: usize) -> bool {
        let steps = &self.shared.steps;
        self.is_free()
            || match self.shared.queue {
                None => steps
                    .iter()
                    .enumerate()
                    .all(|(i, s)| i == self.side || step <= s.load(Ordering::Acquire)),
                Some(each) => {
                    step < each
                        && steps[..self.side.min(steps.len())]
                            .iter()
                            .all(|s| s.load(Ordering::Acquire) >= each)
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lockstep_none_runs_ahead_and_in_a_queue_one_runs_at_a_time() {
        let sides = Lockstep::group(3);
        sides[1].report(5);
        sides[2].report(4);
        assert!(sides[0].may_step(4) && !sides[0].may_step(5));
        sides[0].set_free(true);
        assert!(sides[0].may_step(50));

        let queue = Lockstep::queue(3, 10);
        assert!(queue[0].may_step(0) && !queue[1].may_step(0) && !queue[2].may_step(0));
        queue[0].report(10);
        assert!(!queue[0].may_step(10), "a side stops at its steps");
        assert!(queue[1].may_step(0) && !queue[2].may_step(0));
        queue[1].report(10);
        assert!(queue[2].may_step(3));
        assert_eq!(queue[2].queue_steps(), Some(10));
        // Free, every side trains on.
        queue[2].set_free(true);
        assert!(queue[0].may_step(10) && queue[1].may_step(99));
    }
}
