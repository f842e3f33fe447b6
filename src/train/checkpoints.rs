//! Where a rewind starts: forks of the session every [`CHECKPOINT_EVERY`] steps, thinned to
//! fit the run's history budget. The worker keeps one [`Checkpoints`] per run.

use super::session::Session;

/// Steps between the checkpoints a rewind starts from (its replay is at most this long).
pub const CHECKPOINT_EVERY: usize = 100;
/// Checkpoints kept; beyond, every other older one goes (each holds the whole training state).
const MAX_CHECKPOINTS: usize = 48;

/// Forks of one run's session, oldest first.
#[derive(Default)]
pub struct Checkpoints {
    kept: Vec<Session>,
}

impl Checkpoints {
    /// A new run: its first checkpoint is where it starts.
    pub fn restart(&mut self, session: &Session) {
        self.kept.clear();
        self.kept.push(session.fork());
    }

    /// Keep a checkpoint when `session` is at a multiple of [`CHECKPOINT_EVERY`] it has none
    /// for; when there are more than the budget allows, every other older one goes.
    pub fn keep(&mut self, session: &Session) {
        let step = session.step_count();
        if !step.is_multiple_of(CHECKPOINT_EVERY)
            || self.kept.last().is_some_and(|c| c.step_count() >= step)
        {
            return;
        }
        self.kept.push(session.fork());
        thin(&mut self.kept, max_checkpoints(session));
    }

    /// How many checkpoints are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The nearest checkpoint at or before `step`.
    pub fn at_or_before(&self, step: usize) -> Option<&Session> {
        self.kept.iter().rev().find(|c| c.step_count() <= step)
    }

    /// After a rewind to `step`: the checkpoints of the abandoned future go.
    pub fn forget_after(&mut self, step: usize) {
        self.kept.retain(|c| c.step_count() <= step);
    }
}

/// Which of `len` checkpoints (oldest first) go when there are more than `max`:
/// every other one of the older ones, the first (where the run starts) staying, so that old
/// checkpoints are sparser than recent ones; the newest `max / 2` always stay. For `max` ≥ 2
/// (what [`max_checkpoints`] allows at least) at least one goes.
fn thinning(len: usize, max: usize) -> Vec<bool> {
    let older = len.saturating_sub(max.div_ceil(2));
    (0..len).map(|i| i < older && i % 2 == 1).collect()
}

/// Thin `kept` (oldest first) by [`thinning`] until at most `max` stay.
fn thin<T>(kept: &mut Vec<T>, max: usize) {
    while kept.len() > max {
        let before = kept.len();
        let mut drop = thinning(before, max).into_iter();
        kept.retain(|_| !drop.next().unwrap_or(false));
        if kept.len() == before {
            break;
        }
    }
}

/// Checkpoints that fit a quarter of the `history_mb` budget, at least 2, at most
/// [`MAX_CHECKPOINTS`]. Each holds the training state ([`crate::methods::Learner::state_floats`],
/// as f32) and what comes with it (the healthy state it was confirmed from, the data order):
/// 1.10–1.57× the state, measured with `examples/checkpoint_size.rs` for every method; 1.6×
/// here. The data, the probe and the batch drawn ahead are shared or drawn again (see
/// [`Session::fork`]).
pub fn max_checkpoints(session: &Session) -> usize {
    let bytes = 4 * session.learner().state_floats() * 8 / 5;
    let budget = (session.config().history_mb << 20) / 4;
    (budget / bytes.max(1)).clamp(2, MAX_CHECKPOINTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;
    use crate::train::TrainDevice;
    use burn::module::Module;

    #[test]
    fn thinning_keeps_within_any_budget_the_first_and_the_newest() {
        for max in 2..=MAX_CHECKPOINTS {
            // Checkpoint numbers, thinned as `keep` thins them, over 10 × max checkpoints.
            let mut kept: Vec<usize> = vec![0];
            for n in 1..10 * max {
                kept.push(n);
                thin(&mut kept, max);
                assert!(kept.len() <= max, "max {max}: {} kept", kept.len());
                assert_eq!((kept[0], kept.last()), (0, Some(&n)), "max {max}");
            }
            // Older ones are sparser: the gaps never shrink towards the past.
            let gaps: Vec<usize> = kept.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(gaps.windows(2).all(|g| g[0] >= g[1]), "max {max}: {gaps:?}");
        }
    }

    #[test]
    fn a_checkpoint_is_counted_with_what_its_method_keeps() {
        let learner_of = |method: &str| {
            let mut config = RunConfig::default();
            config.set("method", method).expect("a method");
            Session::new(config, TrainDevice::cpu()).expect("a session")
        };
        let (simclr, moco) = (learner_of("simclr"), learner_of("moco"));
        let params = simclr.learner().online.num_params();
        // The weights and (at most) two optimizer moments.
        assert_eq!(simclr.learner().state_floats(), 3 * params);
        // MoCo: the key encoder and the queue of K keys besides.
        let c = moco.config();
        assert_eq!(
            moco.learner().state_floats(),
            4 * params + c.queue_size * c.out_dim
        );
        assert!(max_checkpoints(&moco) < max_checkpoints(&simclr));
    }

    #[test]
    fn a_run_on_images_keeps_no_more_checkpoints_than_its_budget_holds() {
        // Shapes (16 × 16 RGB) in the smallest budget: 4 MB of checkpoints, 3.3 MB each.
        let mut config = RunConfig::default();
        for pair in ["dataset=shapes", "history_mb=16", "batch_size=16"] {
            config.set_pair(pair).expect("a valid setting");
        }
        let mut session = Session::new(config, TrainDevice::cpu()).expect("a session");
        let max = max_checkpoints(&session);
        assert_eq!(max, 2);
        let mut checkpoints = Checkpoints::default();
        checkpoints.restart(&session);
        for _ in 0..6 * CHECKPOINT_EVERY {
            session.step().expect("a step").expect("a healthy step");
            checkpoints.keep(&session);
            assert!(checkpoints.len() <= max, "{} kept", checkpoints.len());
        }
        // The start and the newest stay: a rewind can reach any step.
        assert_eq!(
            checkpoints.at_or_before(0).map(Session::step_count),
            Some(0)
        );
        assert_eq!(
            checkpoints
                .at_or_before(usize::MAX)
                .map(Session::step_count),
            Some(6 * CHECKPOINT_EVERY)
        );
    }
}
