//! Sweep mode: one setting over 2–8 values (1–3 seeds each), every value and seed a run slot
//! over its own pipeline, all from the same start and held in lockstep. The central panel
//! shows one sphere view per value in a grid (`grid`), every layout rotated onto the first's;
//! the diagnostics panel the metric-versus-value curve and every run's time plots coloured
//! along the value scale (`plots`). The timeline scrubs all runs together (each slot follows
//! its cursor). `dialog` is the Compare → Sweep… window.
//!
//! Slot `i` is the sweep's run `i` ([`SweepSpec::points`]: value by value, seed by seed), so
//! slot 0, run A, is the first value's first seed: the controls, the timeline and the status
//! bar read it as they read a single run.

pub mod dialog;
pub mod grid;
pub mod plots;

use super::LabApp;
use super::command::AppCommand;
use super::run_slot::RunSlot;
use crate::config::{RunConfig, Setting};
use crate::render::palette::sweep_colour;
use crate::sweep::{SweepPoint, SweepSpec};
use crate::train::{Command, Lockstep, LockstepSide, Session};
use std::sync::Arc;

/// Values a sweep in the app may hold (each value is a panel of the grid).
pub const APP_MAX_VALUES: usize = 8;
/// Seeds per value in the app.
pub const APP_MAX_SEEDS: u64 = 3;
/// Runs (values × seeds) a sweep in the app may hold: every one natively; in the browser, whose
/// one thread trains the runs in turn, as many as the built-in sweep lesson has.
pub const APP_MAX_RUNS: usize = if cfg!(target_arch = "wasm32") {
    6
} else {
    APP_MAX_VALUES * APP_MAX_SEEDS as usize
};

/// The sweep the app shows: its spec, the run each slot is, and their lockstep.
pub struct SweepRuns {
    pub spec: SweepSpec,
    /// The seed of every value's first run (the others: +1, +2).
    pub seed: u64,
    /// Slot `i`'s run.
    pub points: Vec<SweepPoint>,
    /// The runs' ends of their lockstep or queue (one shared switch makes them all free).
    pub lockstep: Vec<LockstepSide>,
    /// One after another, this many steps each (else in lockstep).
    pub queue: Option<usize>,
}

impl SweepRuns {
    /// The index of `value` among the sweep's values.
    pub fn value_index(&self, value: &str) -> usize {
        self.spec.index_of(value)
    }

    /// The colour of value `index` (see [`sweep_colour`]).
    pub fn colour(&self, index: usize) -> egui::Color32 {
        sweep_colour(index, self.spec.values.len())
    }

    /// "temperature τ = 0.1".
    pub fn heading(&self, value: &str) -> String {
        self.spec.heading(value)
    }

    /// The seed slot `i` runs with.
    pub fn seed_of(&self, i: usize) -> Option<u64> {
        self.points.get(i).map(|p| self.seed + p.seed_offset)
    }

    pub fn lockstep_free(&self) -> bool {
        self.lockstep.first().is_some_and(LockstepSide::is_free)
    }

    /// A panel's heading: the value, and in a queue where its run is.
    pub fn panel_heading(&self, value: &str, step: usize) -> String {
        let heading = self.heading(value);
        match self.queue.filter(|_| !self.lockstep_free()) {
            Some(each) if step >= each => format!("{heading} · done"),
            Some(_) if step == 0 => format!("{heading} · waiting"),
            Some(_) => format!("{heading} · training"),
            None => heading,
        }
    }
}

/// Whether a command starts something else in the app's runs, and so ends a sweep first (a
/// file opened ends it once the file has been read: a bad file changes nothing).
pub fn ends_sweep(command: &AppCommand) -> bool {
    matches!(
        command,
        AppCommand::StartComparison { .. }
            | AppCommand::CompareLesson(_)
            | AppCommand::StartLesson(_)
            | AppCommand::SwitchMethod(_)
            | AppCommand::EndSweep
    )
}

/// The configs of a sweep's runs from `base`: the value set, the seed counted from `base`'s.
pub fn run_configs(base: &RunConfig, spec: &SweepSpec) -> crate::error::Result<Vec<RunConfig>> {
    spec.points()
        .iter()
        .map(|p| {
            let mut c = base.clone();
            c.apply(spec.key.parse_value(&p.value)?)?;
            c.apply(Setting::Seed(base.seed + p.seed_offset))?;
            c.validate()?;
            Ok(c)
        })
        .collect()
}

impl LabApp {
    /// The sweep shown, if one is.
    pub fn sweep(&self) -> Option<&SweepRuns> {
        self.sweep.as_ref().filter(|_| self.slots.len() > 1)
    }

    /// Start `spec` from the config run A shows: run A becomes the first value's first run
    /// (from step 0), and a slot starts for every other run, all in lockstep, or with `queue`
    /// one after another, that many steps each, each at full speed.
    pub(super) fn start_sweep(&mut self, spec: SweepSpec, queue: Option<usize>) {
        self.end_comparison();
        self.end_sweep();
        if spec.values.len() > APP_MAX_VALUES || spec.seeds > APP_MAX_SEEDS {
            self.files.message = Some(Err(format!(
                "the app sweeps 2 to {APP_MAX_VALUES} values with 1 to {APP_MAX_SEEDS} seeds each (the command line takes more: run --sweep)"
            )));
            return;
        }
        let runs = spec.values.len() * spec.seeds as usize;
        if runs > APP_MAX_RUNS {
            self.files.message = Some(Err(format!(
                "{runs} runs: the browser lab trains at most {APP_MAX_RUNS} runs of a sweep (values × seeds), in turn on the page's one thread; the desktop app trains them all"
            )));
            return;
        }
        let base = self.config().clone();
        let configs = match run_configs(&base, &spec) {
            Ok(c) => c,
            Err(e) => {
                self.files.message = Some(Err(format!("the sweep could not start: {e}")));
                return;
            }
        };
        let Some(device) = self.device.clone() else {
            self.files.message = Some(Err("the sweep could not start: no training device".into()));
            return;
        };
        let paused = self.status().paused;
        let sides = match queue {
            Some(steps) => Lockstep::queue(configs.len(), steps.max(1)),
            None => Lockstep::group(configs.len()),
        };
        let mut slots = Vec::new();
        for (config, side) in configs.iter().zip(&sides).skip(1) {
            let started = Session::new(config.clone(), device.clone())
                .and_then(|s| RunSlot::start(s, true, Arc::clone(&self.waker), self.drive));
            match started {
                Ok(mut slot) => {
                    slot.send(Command::Lockstep(Some(side.clone())));
                    if !paused {
                        slot.send(Command::Resume);
                    }
                    slots.push(slot);
                }
                Err(e) => {
                    self.files.message = Some(Err(format!("the sweep could not start: {e}")));
                    return;
                }
            }
        }
        let (Some(a), Some(first), Some(side)) =
            (self.slots.first_mut(), configs.first(), sides.first())
        else {
            return;
        };
        a.send(Command::Load(Box::new(crate::scenario::Scenario::new(
            first.clone(),
        ))));
        a.send(Command::Lockstep(Some(side.clone())));
        self.slots.truncate(1);
        self.slots.extend(slots);
        self.timeline.live();
        self.sweep = Some(SweepRuns {
            seed: base.seed,
            points: spec.points(),
            spec,
            lockstep: sides,
            queue,
        });
    }

    /// Drop every run but A (their threads stop); A trains on freely.
    pub fn end_sweep(&mut self) {
        if self.sweep.take().is_some() {
            self.slots.truncate(1);
            self.release.run_ended();
            if let Some(a) = self.slots.first_mut() {
                a.send(Command::Lockstep(None));
            }
        }
    }
}

#[cfg(test)]
mod tests;
