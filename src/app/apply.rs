//! The one place app state changes: [`LabApp::apply`] carries out an [`AppCommand`] from a
//! panel, a menu, a key or a file window, after the frame that gave it.

use super::files::Shot;
use super::{AppCommand, LabApp};
use crate::config::DatasetKind;
use crate::config::Setting;

impl LabApp {
    /// Do what a button, menu item, key or file window asked for.
    pub fn apply(&mut self, command: AppCommand) {
        // An opened recording does not train: play replays it, and it cannot be rewound.
        let command = match command {
            AppCommand::TogglePlay if self.replayed().is_some() => {
                AppCommand::TimelineReplay(!self.timeline.replaying())
            }
            AppCommand::ContinueFromHere(_) | AppCommand::StepOnce | AppCommand::Reset
                if self.replayed().is_some() =>
            {
                self.files.message = Some(Err(
                    "this is a recording: File → Close the recording returns to training".into(),
                ));
                return;
            }
            other => other,
        };
        self.apply_to_app(&command);
        self.apply_to_runs(&command);
    }

    /// What `command` changes in the app itself (windows, the timeline, the comparison …).
    fn apply_to_app(&mut self, command: &AppCommand) {
        if super::sweep::ends_sweep(command) {
            self.end_sweep();
        }
        match command {
            AppCommand::OpenSweep => {
                let a = self.config().clone();
                self.sweep_dialog.open_for(&a);
            }
            AppCommand::StartSweep { spec, queue } => self.start_sweep(spec.clone(), *queue),
            AppCommand::Reset => {
                if let Some(s) = &mut self.sweep {
                    s.seed = self.state.controls.seed_input;
                }
            }
            AppCommand::OpenCompare => {
                let a = self.config().clone();
                self.compare_dialog.open_for(&a);
            }
            AppCommand::StartComparison { changes, fork } => {
                self.start_comparison(changes.clone(), *fork)
            }
            AppCommand::Lockstep(on) => {
                if let Some(c) = &self.compare {
                    c.lockstep.0.set_free(!on);
                }
                if let Some(side) = self.sweep.as_ref().and_then(|s| s.lockstep.first()) {
                    side.set_free(!on);
                }
            }
            AppCommand::EndComparison => self.end_comparison(),
            AppCommand::CompareLesson(id) => self.compare_lesson(id),
            AppCommand::CloseLesson => self.lesson.lesson = None,
            AppCommand::Recover => self.recover(),
            AppCommand::DeclineRecovery => {
                if let Some(k) = &mut self.recovery {
                    k.decline();
                }
            }
            AppCommand::OpenLesson(path) => {
                let outcome = self.open_lesson(path);
                self.file_outcome(outcome, true);
            }
            AppCommand::SaveLesson(path) => {
                let outcome = self.save_lesson(path);
                self.file_outcome(outcome, true);
            }
            AppCommand::TimelineSeek(step) => {
                self.timeline.cursor = Some(*step);
                self.timeline.stop();
            }
            AppCommand::TimelineNudge(by) => {
                let steps = self.recorded_steps();
                self.timeline.nudge(&steps, *by);
            }
            AppCommand::TimelineHome => {
                let steps = self.recorded_steps();
                self.timeline.home(&steps);
            }
            AppCommand::TimelineLive | AppCommand::ContinueFromHere(_) => self.timeline.live(),
            AppCommand::TimelineReplay(on) => self.replay(*on),
            // A new experiment ends the comparison.
            AppCommand::SwitchMethod(_) => self.end_comparison(),
            AppCommand::StartLesson(id) => {
                self.end_comparison();
                self.start_lesson(id);
            }
            AppCommand::StepOnce if super::embedding::plays_slowly(&self.state.view) => {
                let seconds = self.state.view.slow_seconds;
                let step = self.status().step;
                if let Some(a) = self.slots.first_mut() {
                    a.view.arm_slow_motion(step, seconds);
                }
            }
            AppCommand::ReseedLayout => {
                if let Some(p) = self.pipeline() {
                    p.reseed_layout();
                }
            }
            AppCommand::SavePlot { name, rect } => {
                self.request_shot(Shot::Plot(name.clone(), *rect));
            }
            AppCommand::OpenFileWindow(w) => {
                if *w == super::files::FileWindow::SaveLesson {
                    self.draft_lesson();
                }
                self.files.open = Some(*w);
            }
            AppCommand::CloseFileWindow => self.files.open = None,
            AppCommand::DismissMessage => self.files.message = None,
            AppCommand::DismissNotice => {
                self.notice = None;
                if let Some(k) = &mut self.recovery {
                    k.failure = None;
                }
            }
            AppCommand::OpenScenario(path) => {
                let outcome = self.open_scenario(path);
                self.file_outcome(outcome, true);
            }
            AppCommand::SaveScenario(path) => {
                let outcome = self.save_scenario(path);
                self.file_outcome(outcome, false);
            }
            AppCommand::OpenRun(path) => {
                let outcome = self.open_recording(path);
                self.file_outcome(outcome, true);
            }
            AppCommand::SaveRun(path) => {
                let outcome = self.save_recording(path);
                self.file_outcome(outcome, false);
            }
            AppCommand::CloseRecording => self.close_recording(),
            AppCommand::TrainOn { prefix, path } => self.train_on(prefix, path),
            AppCommand::ExportEmbeddings => self.files.message = Some(self.export_embeddings()),
            AppCommand::ExportMetrics => self.files.message = Some(self.export_metrics()),
            AppCommand::ExportWindow => self.request_shot(Shot::Window),
            AppCommand::ExportAnimation => self.files.message = Some(self.export_animation()),
            AppCommand::ExportWebPage => self.files.message = Some(self.export_web_page()),
            AppCommand::OpenLink(hash) => {
                self.open_link(hash);
            }
            AppCommand::ShareLink => self.share(),
            AppCommand::PickFile(which) => {
                self.files.picking = Some(*which);
                crate::browser_files::request_pick(super::files::picked_extension(*which));
            }
            AppCommand::FilePicked(path) => {
                if let Some(next) = self
                    .files
                    .picking
                    .take()
                    .and_then(|w| self.file_picked(w, path.clone()))
                {
                    self.apply(next);
                }
            }
            _ => {}
        }
    }

    /// What `command` asks of the runs' trainers: play, pause, step and reset act on every
    /// slot (a sweep's replicates each with its own seed); a setting on every slot but one
    /// that keeps its own value of it (run B's changes; in a sweep, the swept setting, which
    /// no slot takes from the controls).
    fn apply_to_runs(&mut self, command: &AppCommand) {
        let paused = self.status().paused;
        let seed = self.state.controls.seed_input;
        if let (Some(sweep), AppCommand::Set(s)) = (&self.sweep, command)
            && s.key() == sweep.spec.key
        {
            self.files.message = Some(Err(format!(
                "{} is swept: each run keeps its own value (Compare → End sweep to set it)",
                s.key().name()
            )));
            return;
        }
        let compare = self.compare.as_ref();
        let keeps_own = |setting: &Setting| compare.is_some_and(|c| c.keeps_own(setting));
        let sweep = self.sweep.as_ref();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if i > 0 && matches!(command, AppCommand::Set(s) if keeps_own(s)) {
                continue;
            }
            // A sweep's replicate k starts over with seed + k.
            let seed = sweep
                .and_then(|s| s.points.get(i))
                .map_or(seed, |p| seed + p.seed_offset);
            for c in command.for_run(slot.config(), paused, seed) {
                slot.send(c);
            }
        }
        if *command == AppCommand::Reset
            && let Some(c) = &mut self.compare
        {
            // Both start over: B is now A with its changes from step 0.
            c.fork_at = None;
        }
    }

    /// A file action's outcome in the banner; an open that worked closes its window.
    fn file_outcome(&mut self, outcome: Result<String, String>, opens: bool) {
        if opens && outcome.is_ok() {
            self.files.open = None;
        }
        self.files.message = Some(outcome);
    }

    /// Switch the run to the dataset `prefix` + `path` (`folder:` or `csv:`). An empty path is
    /// refused here ("needs a path"); a broken dataset shows as a red banner when the trainer
    /// loads it, and the current run goes on.
    fn train_on(&mut self, prefix: &str, path: &str) {
        let path = path.trim();
        match format!("{prefix}{path}").parse::<DatasetKind>() {
            Err(e) => self.files.message = Some(Err(e.to_string())),
            Ok(dataset) => {
                self.apply(AppCommand::Set(Setting::Dataset(dataset)));
                self.files.message = Some(Ok(format!(
                    "loading {path}: a problem with it shows as a red banner, and the current run goes on"
                )));
                self.files.open = None;
            }
        }
    }
}
