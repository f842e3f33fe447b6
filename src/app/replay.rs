//! The timeline's moving parts: a replay that moves the cursor at the recorded pace, a recorded
//! run opened from a file (shown in run A's slot instead of training), and the future a rewind
//! abandoned, shown beside run A at the same step.

use super::LabApp;
use super::embedding::RunView;
use super::run_slot::RunSlot;
use super::scrub::{self, Scrub};
use crate::train::{History, MetricsRow, Published, Status};
use std::sync::Arc;

/// The abandoned branch's view beside run A, and its recorded frame at the step A shows.
#[derive(Default)]
pub struct BranchView {
    pub view: RunView,
    pub frame: Scrub,
}

impl LabApp {
    /// Start (`true`) or stop the replay, from the cursor (or the first recorded step).
    pub(super) fn replay(&mut self, on: bool) {
        if !on {
            self.timeline.stop();
            return;
        }
        let cursor = self.timeline.cursor;
        let (steps, from) = self
            .with_recording(|rec| {
                let start = cursor.or_else(|| rec.first().map(|s| s.step)).unwrap_or(0);
                (rec.steps(), rec.time_at(start).unwrap_or(0.0))
            })
            .unwrap_or_default();
        if self.timeline.cursor.is_none() {
            self.timeline.cursor = steps.first().copied();
        }
        self.timeline.play(from);
    }

    /// A running replay moves the cursor; past the end (unless looping) it stops there.
    pub(super) fn follow_replay(&mut self) {
        let replayed = self
            .with_recording(|rec| {
                let seconds = self.timeline.replay_seconds(|s| rec.time_at(s))?;
                let end = rec.times().last().copied().unwrap_or(0.0);
                if seconds > end && self.timeline.loop_range.is_none() {
                    return Some((true, rec.last().map(|s| s.step)));
                }
                Some((false, rec.step_at_time(seconds).map(|s| s.floor() as usize)))
            })
            .flatten();
        if let Some((ended, step)) = replayed {
            if step.is_some() {
                self.timeline.cursor = step;
            }
            if ended {
                self.timeline.stop();
            }
        }
    }

    /// Open a recorded run: training pauses, and the views, plots and timeline show the file's
    /// run (from its first step) until the recording is closed; a recorded sweep opens as the
    /// sweep, a slot per run. A bad file changes nothing.
    pub fn open_recording(&mut self, path: &std::path::Path) -> Result<String, String> {
        let run = crate::recorded::RecordedRun::load(path).map_err(|e| e.to_string())?;
        let run_id = self.status().run_id.wrapping_add(1 << 32);
        let (first, published) = recorded_state(&run, path, run_id)?;
        // A sweep's other runs, each in a paused slot of its own (its projector lays out the
        // recorded snapshots the timeline asks for).
        let mut others = Vec::new();
        let device = self
            .device
            .clone()
            .ok_or("no device to lay out the recording on")?;
        for (i, other) in run.others.iter().enumerate() {
            let (_, state) = recorded_state(other, path, run_id + 1 + i as u64)?;
            let config = other.final_config().map_err(|e| e.to_string())?;
            let mut slot = crate::train::Session::new(config, device.clone())
                .and_then(|s| RunSlot::start(s, true, Arc::clone(&self.waker), self.drive))
                .map_err(|e| e.to_string())?;
            slot.show_recording(other.clone(), state);
            others.push(slot);
        }
        let sweep = run.scenario.sweep.clone().filter(|_| !others.is_empty());
        let compare = run
            .scenario
            .compare
            .clone()
            .filter(|_| others.len() == 1 && sweep.is_none());
        let message = format!(
            "opened {} ({}{} snapshots, steps {first}–{}): drag the timeline or replay it; File → Close the recording returns to training",
            path.display(),
            match (&sweep, &compare) {
                (Some(s), _) => format!(
                    "a sweep of {} over {} runs, ",
                    s.key.name(),
                    others.len() + 1
                ),
                (None, Some(c)) => format!(
                    "a comparison, {}, ",
                    crate::scenario::difference_label(&c.changes, c.fork_at)
                ),
                (None, None) => String::new(),
            },
            run.recording.len(),
            published.status.step
        );
        self.end_comparison();
        self.end_sweep();
        let Some(a) = self.slots.first_mut() else {
            return Err("no run slot to show the recording in".into());
        };
        a.send(crate::train::Command::Pause);
        let seed = run.scenario.config.seed;
        a.show_recording(run, published);
        if let Some(c) = compare {
            self.slots.extend(others);
            self.compare = Some(super::compare::Comparison::recorded(c.changes, c.fork_at));
        } else if let Some(spec) = sweep {
            self.slots.extend(others);
            self.sweep = Some(super::sweep::SweepRuns {
                seed,
                points: spec.points(),
                lockstep: crate::train::Lockstep::group(spec.points().len()),
                queue: None,
                spec,
            });
        }
        self.timeline.cursor = Some(first);
        Ok(message)
    }

    /// Back from a recording to the paused training run (a recorded sweep's or comparison's
    /// other runs end).
    pub fn close_recording(&mut self) {
        if self.replayed().is_some() {
            self.end_sweep();
            self.end_comparison();
        }
        if let Some(a) = self.slots.first_mut() {
            a.close_recording();
        }
        self.timeline.live();
    }

    /// The abandoned branch's recorded state at the step run A shows (laid out once per step).
    pub(super) fn update_branch_frame(&mut self) {
        let Some(a) = self.slots.first() else {
            return;
        };
        let branch = a
            .published()
            .branch
            .clone()
            .filter(|_| self.timeline.show_branch);
        let shown = a
            .shown_step()
            .unwrap_or_else(|| a.published().snapshot.as_ref().map_or(0, |s| s.step));
        let Some(snap) = branch.and_then(|b| b.recording.at(shown).cloned()) else {
            self.branch.frame = Scrub::default();
            return;
        };
        let live = a.live_frame();
        scrub::follow(
            &mut self.branch.frame,
            scrub::BRANCH_KEY,
            a.pipeline(),
            (a.published(), live.layouts),
            snap,
            None,
        );
    }

    /// The step of the branch's snapshot shown beside the run.
    pub fn branch_step(&self) -> Option<usize> {
        self.branch.frame.step()
    }

    /// The abandoned branch's view, when it is shown.
    pub fn branch_view(&self) -> Option<&RunView> {
        self.branch.frame.shown.as_ref().map(|_| &self.branch.view)
    }
}

/// What a recorded run shows as published (its state at its last snapshot, paused, its whole
/// history), and its first recorded step; `run_id` tells its caches from the live run's.
fn recorded_state(
    run: &crate::recorded::RecordedRun,
    path: &std::path::Path,
    run_id: u64,
) -> Result<(usize, Published), String> {
    let config = run.final_config().map_err(|e| e.to_string())?;
    let (Some(first), Some(last)) = (run.recording.first(), run.recording.last()) else {
        return Err(format!(
            "{}: the recording holds no snapshot",
            path.display()
        ));
    };
    let (first, last) = (first.step, Arc::clone(last));
    let mut history = History::default();
    for s in run.recording.snapshots() {
        let event = run.events.iter().any(|e| e.step == s.step);
        history.push(MetricsRow::of(s), event);
    }
    let published = Published {
        status: Status {
            step: last.step,
            paused: true,
            device: format!("recording {}", path.display()),
            config: Some(config),
            events: run.events.clone(),
            class_names: run.class_names.clone(),
            run_id,
            ..Status::default()
        },
        snapshot: Some(last),
        history,
        ..Published::default()
    };
    Ok((first, published))
}
