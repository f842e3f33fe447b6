//! What the user asks for, typed: every button, menu item, keyboard shortcut and file window
//! produces an [`AppCommand`]; the app applies them after the frame, in order
//! ([`super::LabApp::apply`]). What a command asks of a run's trainer is
//! [`AppCommand::for_run`], a plain function of the config the run shows.

use super::files::FileWindow;
use crate::config::{Method, RunConfig, Setting};
use crate::train::Command;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Play when paused, pause when playing.
    TogglePlay,
    /// One training step (played slowly when the view's slow motion is on).
    StepOnce,
    /// Start over with the seed the controls show.
    Reset,
    /// Change one setting of the run.
    Set(Setting),
    /// A new experiment with `method`'s paper defaults (keeping the data, seed and rates).
    SwitchMethod(Method),
    /// Start the lesson with this id (a built-in one, or one opened from a file).
    StartLesson(String),
    /// Read a lesson file and start it (File → Open lesson…, `--lesson PATH`).
    OpenLesson(PathBuf),
    /// Write the run as a lesson file, with the card of "Save this as a lesson…".
    SaveLesson(PathBuf),
    /// Start the t-SNE layout again from random positions.
    ReseedLayout,
    /// Save the plot `name` (at `rect` on screen) as a PNG.
    SavePlot {
        name: String,
        rect: egui::Rect,
    },
    /// Open the "Compare…" window.
    OpenCompare,
    /// Train run B beside this run with `changes`: from scratch, or forked from now.
    StartComparison {
        changes: Vec<Setting>,
        fork: bool,
    },
    /// Hold both runs at the same step (`true`) or let them run free.
    Lockstep(bool),
    /// Drop run B; this run goes on.
    EndComparison,
    /// Open the "Sweep…" window.
    OpenSweep,
    /// Train one run per value and seed of this sweep, side by side, from the same start: in
    /// lockstep, or (`queue`: steps each) one after another at full speed.
    StartSweep {
        spec: crate::sweep::SweepSpec,
        queue: Option<usize>,
    },
    /// Drop every run of the sweep but the first; it goes on.
    EndSweep,
    /// Run the lesson with this id as a comparison with its control.
    CompareLesson(String),
    /// Close the lesson's card (the run goes on).
    CloseLesson,
    /// Recover the run the last session left (see [`super::recovery`]).
    Recover,
    /// Start fresh instead: the run the last session left is overwritten by the next keep.
    DeclineRecovery,
    /// Show the recorded step nearest at or before this one.
    TimelineSeek(usize),
    /// Move the timeline's cursor by this many recorded snapshots.
    TimelineNudge(isize),
    /// Show the first recorded step.
    TimelineHome,
    /// Back to the newest snapshot.
    TimelineLive,
    /// Start (`true`) or stop the replay.
    TimelineReplay(bool),
    /// Continue training from the step the timeline shows (the later future is kept as a
    /// branch on the plots).
    ContinueFromHere(usize),
    /// Open one of the File menu's windows, or close the open one.
    OpenFileWindow(FileWindow),
    CloseFileWindow,
    /// Dismiss the file banner, the notice, or the run's error or incident banner.
    DismissMessage,
    DismissNotice,
    ClearError,
    /// Start the scenario in this file (a comparison when it holds one).
    OpenScenario(PathBuf),
    /// Save the run's start config and its changes so far as a scenario.
    SaveScenario(PathBuf),
    /// Show the recorded run in this file instead of training.
    OpenRun(PathBuf),
    /// Save the run's recording.
    SaveRun(PathBuf),
    /// Back from an opened recording to the paused training run.
    CloseRecording,
    /// Train on the dataset `prefix` + `path` (`folder:` or `csv:`).
    TrainOn {
        prefix: &'static str,
        path: String,
    },
    /// Write into the export folder: the embeddings (Projector TSV), the metrics and events
    /// (CSV), the whole window (PNG), the recorded run as an animation (GIF) or as a web page
    /// (HTML: a comparison's or a sweep's every run).
    ExportEmbeddings,
    ExportMetrics,
    ExportWindow,
    ExportAnimation,
    ExportWebPage,
    /// Open the run a link describes (the browser lab's address: `#method=simsiam&…`).
    OpenLink(String),
    /// Copy the link of the run on screen.
    ShareLink,
    /// Open the browser's file picker for this File window.
    PickFile(FileWindow),
    /// The file the picker gave (kept in memory at this path, see `browser_files`).
    FilePicked(PathBuf),
}

/// The keyboard shortcuts, each with the command its button gives.
pub const SHORTCUTS: &[(egui::Key, AppCommand)] = &[
    (egui::Key::Space, AppCommand::TogglePlay),
    (egui::Key::S, AppCommand::StepOnce),
    (egui::Key::R, AppCommand::Reset),
    (egui::Key::ArrowLeft, AppCommand::TimelineNudge(-1)),
    (egui::Key::ArrowRight, AppCommand::TimelineNudge(1)),
    (egui::Key::Home, AppCommand::TimelineHome),
    (egui::Key::End, AppCommand::TimelineLive),
];

impl AppCommand {
    /// The key that gives this command, for the button's tooltip.
    pub fn shortcut(&self) -> Option<egui::Key> {
        SHORTCUTS
            .iter()
            .find(|(_, c)| c == self)
            .map(|(key, _)| *key)
    }

    /// What the run's trainer must do for this command, given the `config` the run shows,
    /// whether the run is `paused`, and the controls' `seed`. The config is not changed here:
    /// the run's slot shows a sent change as pending until its trainer publishes it.
    pub fn for_run(&self, config: &RunConfig, paused: bool, seed: u64) -> Vec<Command> {
        match self {
            AppCommand::TogglePlay if paused => vec![Command::Resume],
            AppCommand::TogglePlay => vec![Command::Pause],
            AppCommand::StepOnce => vec![Command::Step(1)],
            AppCommand::Reset => vec![Command::Reset { seed }],
            AppCommand::Set(setting) => vec![Command::Set(setting.clone())],
            AppCommand::SwitchMethod(method) => {
                vec![Command::Replace(Box::new(config_for_method(
                    config, *method,
                )))]
            }
            AppCommand::ClearError => vec![Command::ClearError],
            // A lesson is a scenario: the app builds and loads it (it keeps its own rates).
            // The layout and the screenshot are the projector's and the window's business.
            // So are the comparison's.
            AppCommand::StartLesson(_)
            | AppCommand::OpenLesson(_)
            | AppCommand::SaveLesson(_)
            | AppCommand::ReseedLayout
            | AppCommand::SavePlot { .. }
            | AppCommand::OpenCompare
            | AppCommand::StartComparison { .. }
            | AppCommand::Lockstep(_)
            | AppCommand::EndComparison
            | AppCommand::OpenSweep
            | AppCommand::StartSweep { .. }
            | AppCommand::EndSweep
            | AppCommand::CompareLesson(_)
            | AppCommand::CloseLesson
            | AppCommand::Recover
            | AppCommand::DeclineRecovery
            | AppCommand::TimelineSeek(_)
            | AppCommand::TimelineNudge(_)
            | AppCommand::TimelineHome
            | AppCommand::TimelineLive
            | AppCommand::TimelineReplay(_)
            | AppCommand::OpenFileWindow(_)
            | AppCommand::CloseFileWindow
            | AppCommand::DismissMessage
            | AppCommand::DismissNotice
            | AppCommand::OpenScenario(_)
            | AppCommand::SaveScenario(_)
            | AppCommand::OpenRun(_)
            | AppCommand::SaveRun(_)
            | AppCommand::CloseRecording
            | AppCommand::TrainOn { .. }
            | AppCommand::ExportEmbeddings
            | AppCommand::ExportMetrics
            | AppCommand::ExportWindow
            | AppCommand::ExportAnimation
            | AppCommand::ExportWebPage
            | AppCommand::OpenLink(_)
            | AppCommand::ShareLink
            | AppCommand::PickFile(_)
            | AppCommand::FilePicked(_) => Vec::new(),
            AppCommand::ContinueFromHere(step) => vec![Command::Rewind(*step)],
        }
    }
}

/// The keyboard's commands this frame (none while a text field has the keyboard).
pub fn from_keys(ctx: &egui::Context) -> Vec<AppCommand> {
    if ctx.egui_wants_keyboard_input() {
        return Vec::new();
    }
    // The arrows and Home/End move a focused widget (a slider) when there is one.
    let focused = ctx.memory(|m| m.focused().is_some());
    ctx.input(|i| {
        SHORTCUTS
            .iter()
            .filter(|(key, _)| i.key_pressed(*key))
            .filter(|(key, _)| {
                !focused
                    || !matches!(
                        key,
                        egui::Key::ArrowLeft
                            | egui::Key::ArrowRight
                            | egui::Key::Home
                            | egui::Key::End
                    )
            })
            .map(|(_, c)| c.clone())
            .collect()
    })
}

/// The config a switch to `method` starts: that method's paper defaults (optimizer, τ,
/// momentum …), keeping the dataset (CLIP needs shapes), the seed and the snapshot rate.
pub fn config_for_method(current: &RunConfig, method: Method) -> RunConfig {
    let mut next = RunConfig::for_method(method);
    next.dataset = method
        .required_dataset()
        .unwrap_or_else(|| current.dataset.clone());
    next.seed = current.seed;
    next.snapshot_every = current.snapshot_every;
    next.probe_size = current.probe_size;
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatasetKind, OptimizerKind};

    #[test]
    fn switching_method_takes_its_defaults_and_keeps_the_data() {
        let mut current = RunConfig::for_method(Method::SimClr);
        current.dataset = DatasetKind::Digits;
        current.seed = 7;
        current.snapshot_every = 5;
        let next = config_for_method(&current, Method::SimSiam);
        assert_eq!((next.optimizer, next.lr), (OptimizerKind::Sgd, 0.05));
        assert_eq!(
            (next.dataset, next.seed, next.snapshot_every),
            (DatasetKind::Digits, 7, 5)
        );
        assert_eq!(
            config_for_method(&current, Method::Clip).dataset,
            DatasetKind::Shapes
        );
    }

    #[test]
    fn an_invalid_setting_reaches_the_trainer_but_not_the_controls() {
        let config = RunConfig::default();
        let bad = AppCommand::Set(Setting::Temperature(-1.0));
        assert_eq!(
            bad.for_run(&config, false, 0),
            vec![Command::Set(Setting::Temperature(-1.0))]
        );
        assert_eq!(config.temperature, 0.5);
        assert_eq!(
            AppCommand::TogglePlay.for_run(&config, true, 0),
            vec![Command::Resume]
        );
        assert_eq!(AppCommand::Reset.shortcut(), Some(egui::Key::R));
    }
}
