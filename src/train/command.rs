//! What the UI (or a test) asks of a trainer thread: [`Command`]s, taken from its channel
//! before each step, and [`coalesce`], which drops what a later command of the same batch makes
//! moot.

use super::lockstep::LockstepSide;
use super::session::Session;
use crate::config::{RunConfig, Setting};
use std::sync::mpsc::Sender;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Change one setting (checked against its declaration by the trainer).
    Set(Setting),
    Pause,
    Resume,
    /// Run `n` steps, then stay paused.
    Step(usize),
    /// Start over with this seed.
    Reset {
        seed: u64,
    },
    /// Replace the whole config (a scenario): a fresh run.
    Replace(Box<RunConfig>),
    /// A scenario or lesson: its config as a fresh run, and its script of timed changes.
    Load(Box<crate::scenario::Scenario>),
    /// The user dismissed the error or incident banner.
    ClearError,
    /// Send a fork of the session as it is now (run B of a comparison, [`Session::fork`]).
    Fork(Reply<Box<Session>>),
    /// Train in lockstep with another trainer (or, with `None`, freely).
    Lockstep(Option<LockstepSide>),
    /// Continue from the state at this step (the nearest checkpoint, then a deterministic
    /// replay); the abandoned future stays visible as the published `branch`.
    Rewind(usize),
    /// Continue the run this recording file holds (the app's crash recovery): its start and
    /// changes replayed deterministically to its newest snapshot, its recording and history
    /// kept; paused there.
    Recover(std::path::PathBuf),
    Shutdown,
}

/// Where a command's answer goes. Two replies never compare equal (each is its own request).
pub struct Reply<T>(pub Sender<T>);

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

impl<T> PartialEq for Reply<T> {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}

fn is_restart(c: &Command) -> bool {
    matches!(
        c,
        Command::Reset { .. } | Command::Replace(_) | Command::Load(_) | Command::Recover(_)
    )
}

/// Drop what a later command in the same batch makes moot, so that a flood of restarts (a key
/// held down, a script gone wrong) costs one rebuild, not one per command: a restart (reset,
/// replace, load) makes every earlier restart moot, and a replace or load every earlier
/// setting too (the new config replaces them). Pause, resume, step and the rest keep their
/// order. The outcome is the same as applying every command in turn.
pub fn coalesce(commands: Vec<Command>) -> Vec<Command> {
    let last_restart = commands.iter().rposition(is_restart);
    let last_replace = commands.iter().rposition(|c| {
        matches!(
            c,
            Command::Replace(_) | Command::Load(_) | Command::Recover(_)
        )
    });
    commands
        .into_iter()
        .enumerate()
        .filter(|(i, c)| match c {
            c if is_restart(c) => Some(*i) == last_restart,
            Command::Set(_) => last_replace.is_none_or(|r| *i > r),
            _ => true,
        })
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: f64) -> Command {
        Command::Set(Setting::Temperature(v))
    }

    #[test]
    fn a_later_restart_makes_earlier_restarts_moot_and_a_replace_earlier_settings() {
        let replace = Command::Replace(Box::default());
        let commands = vec![
            set(0.1),
            Command::Reset { seed: 1 },
            Command::Pause,
            set(0.2),
            Command::Reset { seed: 2 },
            Command::Step(1),
        ];
        assert_eq!(
            coalesce(commands),
            vec![
                set(0.1),
                Command::Pause,
                set(0.2),
                Command::Reset { seed: 2 },
                Command::Step(1),
            ]
        );
        let commands = vec![
            set(0.1),
            Command::Reset { seed: 1 },
            Command::Resume,
            replace.clone(),
            set(0.3),
        ];
        assert_eq!(coalesce(commands), vec![Command::Resume, replace, set(0.3)]);
        assert_eq!(coalesce(vec![Command::Shutdown]), vec![Command::Shutdown]);
    }
}
