//! Crash recovery: the run shown is kept recoverable. Every [`EVERY`] while it trains, and
//! whenever it rests at a step not yet kept (paused, a lesson's end), run A's recording (within
//! its `history_mb`), start config, changes and script still ahead are written atomically to
//! the app's data folder: [`RECORDING`], then [`ABOUT`] saying when and at which step. A thread
//! of its own writes them (a 64 MB recording takes seconds to compress), never the UI's.
//!
//! A clean exit removes them. After a crash or `kill -9` the next start offers "Recover the run
//! from HH:MM (step N)" beside starting fresh; recovering replays the run deterministically to
//! that step ([`crate::train::Command::Recover`]), so that it scrubs, replays and continues
//! exactly as it would have.

use crate::recorded::RecordedRun;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How often a training run is kept.
pub const EVERY: Duration = Duration::from_secs(60);
/// The run's recording (a `.clr`, as File → Save run writes).
pub const RECORDING: &str = "recovery.clr";
/// What the offer says: when, and at which step.
pub const ABOUT: &str = "recovery.toml";

/// Where and how often the run is kept.
#[derive(Clone, Debug)]
pub struct RecoveryOptions {
    pub dir: PathBuf,
    pub every: Duration,
}

impl RecoveryOptions {
    /// The app's data folder (where eframe keeps its state: `$XDG_DATA_HOME/contrastive-lab`
    /// on Linux), every [`EVERY`].
    /// `None` in the browser, which has no data folder (its runs are not kept).
    pub fn in_data_dir() -> Option<Self> {
        #[cfg(not(target_arch = "wasm32"))]
        return eframe::storage_dir("contrastive-lab").map(|dir| Self { dir, every: EVERY });
        #[cfg(target_arch = "wasm32")]
        None
    }

    pub fn recording(&self) -> PathBuf {
        self.dir.join(RECORDING)
    }

    fn about(&self) -> PathBuf {
        self.dir.join(ABOUT)
    }
}

/// What [`ABOUT`] holds: the kept run's newest step, when it was written, and its title.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    pub step: usize,
    /// Seconds since the Unix epoch.
    pub saved: u64,
    pub title: String,
}

impl Kept {
    /// "Recover the run from 14:32 (step 48200)": local time, today; the date before it
    /// otherwise.
    pub fn offer(&self) -> String {
        format!(
            "Recover the run from {} (step {})",
            local_time(self.saved),
            self.step
        )
    }
}

/// `HH:MM` of `unix` seconds in the local time zone (`YYYY-MM-DD HH:MM` when not today).
fn local_time(unix: u64) -> String {
    use chrono::TimeZone;
    let when = i64::try_from(unix)
        .ok()
        .and_then(|secs| chrono::Local.timestamp_opt(secs, 0).single());
    match when {
        Some(t) if t.date_naive() == chrono::Local::now().date_naive() => {
            t.format("%H:%M").to_string()
        }
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => format!("{unix} s after 1970"),
    }
}

/// Keeps the run recoverable, and holds the offer of the run a crash left.
pub struct Keeper {
    options: RecoveryOptions,
    /// When the run was last kept, and (run id, step) of what was kept.
    last: (Instant, Option<(u64, usize)>),
    writer: Option<JoinHandle<Result<(), String>>>,
    /// The run the last session left, until recovered or declined: nothing is kept meanwhile
    /// (it would be overwritten).
    pub offer: Option<Kept>,
    /// Why the run could not be kept, shown once.
    pub failure: Option<String>,
    /// The id run A had when its recovery was asked for, until the trainer has answered.
    taken: Option<u64>,
}

impl Keeper {
    /// Start keeping in `options.dir`; what a crashed session left there becomes the offer.
    pub fn new(options: RecoveryOptions) -> Self {
        let (offer, failure) = match left_behind(&options) {
            Ok(offer) => (offer, None),
            Err(why) => (None, Some(why)),
        };
        Self {
            options,
            last: (Instant::now(), None),
            writer: None,
            offer,
            failure,
            taken: None,
        }
    }

    pub fn options(&self) -> &RecoveryOptions {
        &self.options
    }

    /// Whether the run at `step` of `run_id` should be kept now: not yet kept, no offer open,
    /// no write under way, and resting or a period since the last one.
    pub fn due(&mut self, run_id: u64, step: usize, resting: bool) -> bool {
        if self.offer.is_some() || self.last.1 == Some((run_id, step)) || !self.writer_idle() {
            return false;
        }
        resting || self.last.0.elapsed() >= self.options.every
    }

    /// Whether no write is under way (a finished one's failure is taken).
    fn writer_idle(&mut self) -> bool {
        match self.writer.take() {
            Some(w) if !w.is_finished() => {
                self.writer = Some(w);
                false
            }
            Some(w) => {
                if let Ok(Err(e)) = w.join() {
                    self.failure = Some(e);
                }
                true
            }
            None => true,
        }
    }

    /// Write `run` (of `run_id`, newest snapshot at `step`) on a thread of its own.
    pub fn keep(&mut self, run: RecordedRun, run_id: u64, step: usize) {
        self.last = (Instant::now(), Some((run_id, step)));
        let options = self.options.clone();
        let kept = Kept {
            step,
            saved: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            title: run.scenario.title.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name("recovery".into())
            .spawn(move || write(&options, &run, &kept));
        match spawned {
            Ok(w) => self.writer = Some(w),
            Err(e) => self.failure = Some(format!("the run could not be kept: {e}")),
        }
    }

    /// The offer is declined: the next keep overwrites what it offered.
    pub fn decline(&mut self) {
        self.offer = None;
    }

    /// A clean exit: the write under way finishes, then nothing is left to recover (unless an
    /// offer is still open: the crashed run stays for the next start).
    pub fn close(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        if self.offer.is_none() {
            let _ = std::fs::remove_file(self.options.about());
            let _ = std::fs::remove_file(self.options.recording());
        }
    }
}

/// What a crashed session left in `options.dir`: the run to offer, or nothing. A recording
/// whose [`ABOUT`] is missing or cannot be read is not overwritten by the next keep: it is set
/// aside beside it (`recovery-unreadable-<seconds>.clr`, which File → Open run opens) and the
/// error says so. An [`ABOUT`] without its recording is removed.
fn left_behind(options: &RecoveryOptions) -> Result<Option<Kept>, String> {
    let (about, recording) = (options.about(), options.recording());
    let text = std::fs::read_to_string(&about);
    if !recording.exists() {
        if text.is_ok() {
            let _ = std::fs::remove_file(&about);
        }
        return Ok(None);
    }
    let why = match text.map(|t| toml::from_str::<Kept>(&t)) {
        Ok(Ok(kept)) => return Ok(Some(kept)),
        Ok(Err(e)) => format!("{} could not be read ({})", about.display(), e.message()),
        Err(e) => format!("{} could not be read ({e})", about.display()),
    };
    let _ = std::fs::remove_file(&about);
    Err(match set_aside(options) {
        Ok(aside) => format!(
            "The last session left a run to recover, but {why}. Its recording was set aside as \
             {} (File → Open run opens it).",
            aside.display()
        ),
        Err(e) => format!("The last session left a run to recover, but {why}, and {e}."),
    })
}

/// Rename the recording to `recovery-unreadable-<seconds>.clr` beside it, where no keep
/// overwrites it; or say why it could not be.
fn set_aside(options: &RecoveryOptions) -> Result<PathBuf, String> {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let aside = options
        .dir
        .join(format!("recovery-unreadable-{seconds}.clr"));
    let recording = options.recording();
    std::fs::rename(&recording, &aside)
        .map(|()| aside)
        .map_err(|e| {
            format!(
                "its recording {} could not be set aside ({e}): the next keep will overwrite it",
                recording.display()
            )
        })
}

/// The recording, then what the offer says: an [`ABOUT`] always describes a complete
/// recording.
fn write(options: &RecoveryOptions, run: &RecordedRun, kept: &Kept) -> Result<(), String> {
    let failed = |e: &dyn std::fmt::Display| format!("the run could not be kept for recovery: {e}");
    run.save(&options.recording()).map_err(|e| failed(&e))?;
    let text = toml::to_string(kept).map_err(|e| failed(&e))?;
    crate::export::write_atomic(&options.about(), &text).map_err(|e| failed(&e))
}

impl super::LabApp {
    /// Keep run A recoverable when it is due (each frame): a live run whose trainer has taken
    /// every command sent (its published state is the run's), not in the middle of a recovery.
    pub(super) fn keep_recoverable(&mut self) {
        let (Some(keeper), Some(slot)) = (self.recovery.as_mut(), self.slots.first()) else {
            return;
        };
        let status = slot.status();
        if slot.replayed().is_some()
            || status.recovering.is_some()
            || slot.last_sent() > status.handled
        {
            return;
        }
        if keeper.taken.take() == Some(status.run_id) {
            // The trainer refused the recording (its error is on the bar): keep it from being
            // overwritten by this session's keeps.
            keeper.failure = Some(match set_aside(&keeper.options) {
                Ok(aside) => format!(
                    "The run was not recovered; its recording was set aside as {}, where no \
                     keep overwrites it.",
                    aside.display()
                ),
                Err(e) => format!("The run was not recovered, and {e}."),
            });
        }
        let newest = slot
            .pipeline()
            .recording()
            .snapshots()
            .last()
            .map(|s| s.step);
        let Some(step) = newest else {
            return;
        };
        if !keeper.due(status.run_id, step, status.paused) {
            return;
        }
        let mut run = match slot.recorded_run() {
            Ok(run) => run,
            Err(e) => {
                keeper.failure = Some(format!("the run could not be kept for recovery: {e}"));
                return;
            }
        };
        // The changes still ahead (a lesson's) come back with the run.
        run.scenario.script.extend(status.script.iter().cloned());
        if let Some(lesson) = &self.lesson.lesson {
            run.scenario.title = lesson.title.clone();
        }
        let run_id = status.run_id;
        keeper.keep(run, run_id, step);
    }

    /// Recover the run the last session left, in run A's slot: the rest ends (a comparison, a
    /// sweep, an opened recording), its lesson's card comes back.
    pub(super) fn recover(&mut self) {
        let Some((kept, path)) = self
            .recovery
            .as_mut()
            .and_then(|k| Some((k.offer.take()?, k.options().recording())))
        else {
            return;
        };
        self.close_recording();
        self.end_comparison();
        self.end_sweep();
        self.lesson.lesson = crate::lessons::by_title(&kept.title)
            .cloned()
            .map(std::sync::Arc::new);
        self.lesson.answer = None;
        if let Some(a) = self.slots.first_mut() {
            if let Some(k) = self.recovery.as_mut() {
                k.taken = Some(a.status().run_id);
            }
            a.send(crate::train::Command::Recover(path));
        }
    }

    /// The run the last session left, while the user has not chosen.
    pub fn recovery_offer(&self) -> Option<&Kept> {
        self.recovery.as_ref()?.offer.as_ref()
    }

    /// The banner of the offer, and of a keep that failed.
    pub(super) fn recovery_banner(&self, ui: &mut egui::Ui) -> Vec<super::AppCommand> {
        use super::AppCommand;
        let mut out = Vec::new();
        let Some(keeper) = self.recovery.as_ref() else {
            return out;
        };
        if let Some(kept) = &keeper.offer {
            egui::Frame::new()
                .fill(super::status::SUCCESS)
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            egui::RichText::new(format!(
                                "The last session ended without closing the window: {}.",
                                kept.title
                            ))
                            .color(egui::Color32::WHITE),
                        );
                        if ui.button(kept.offer()).clicked() {
                            out.push(AppCommand::Recover);
                        }
                        if ui.button("Start fresh").clicked() {
                            out.push(AppCommand::DeclineRecovery);
                        }
                    });
                });
        }
        if let Some(failure) = &keeper.failure {
            out.extend(super::status::message_bar(
                ui,
                super::status::FAILURE,
                failure,
                "dismiss",
                Some(AppCommand::DismissNotice),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &std::path::Path) -> RecoveryOptions {
        RecoveryOptions {
            dir: dir.to_path_buf(),
            every: EVERY,
        }
    }

    /// `o`'s [`ABOUT`] saying `kept`.
    fn write_about(o: &RecoveryOptions, kept: &Kept) {
        let text = toml::to_string(kept).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(o.about(), text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn an_offer_without_its_recording_is_nothing_to_recover_and_is_removed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let o = options(dir.path());
        write_about(
            &o,
            &Kept {
                step: 7,
                saved: 0,
                title: "t".into(),
            },
        );
        assert_eq!(left_behind(&o), Ok(None));
        assert!(!o.about().exists());
        assert_eq!(left_behind(&o), Ok(None), "an empty folder: nothing");
    }

    #[test]
    fn a_complete_pair_is_offered_as_written() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let o = options(dir.path());
        let kept = Kept {
            step: 48200,
            saved: 1,
            title: "τ \"quoted\"".into(),
        };
        write_about(&o, &kept);
        std::fs::write(o.recording(), b"kept").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(left_behind(&o), Ok(Some(kept)));
        assert!(o.recording().exists(), "left where it is until taken");
    }
}
