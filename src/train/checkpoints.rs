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
        let max = max_checkpoints(session);
        if self.kept.len() > max {
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                i > max / 2 || i % 2 == 1
            });
        }
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

/// Checkpoints that fit a quarter of the `history_mb` budget (each holds the weights, the
/// optimizer's moments, the teacher and the probe), at least 2, at most [`MAX_CHECKPOINTS`].
fn max_checkpoints(session: &Session) -> usize {
    use burn::module::Module;
    let params = session.learner().online.num_params();
    let probe = session.probe();
    let bytes = 4 * (4 * params + probe.inputs.len() + probe.view_a.len() + probe.view_b.len());
    let budget = (session.config().history_mb << 20) / 4;
    (budget / bytes.max(1)).clamp(2, MAX_CHECKPOINTS)
}
