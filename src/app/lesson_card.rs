//! The Lessons menu and the card of the running lesson: what it shows, the one change to make
//! (by hand, or auto-played at its step), and what to watch.

use super::compare::Comparison;
use super::{AppCommand, LabApp};
use crate::lessons::{self, LESSONS, Lesson};
use crate::train::Command;
use egui::{Color32, RichText, Ui};
use std::path::Path;
use std::sync::Arc;

/// The Lessons menu: auto-play, a lesson to start (the built-ins, then those opened from
/// files), and "Save this as a lesson…".
pub fn menu(ui: &mut Ui, autoplay: &mut bool, opened: &[Arc<Lesson>]) -> Vec<AppCommand> {
    let mut out = Vec::new();
    ui.menu_button("Lessons", |ui| {
        ui.checkbox(autoplay, "auto-play the change")
            .on_hover_text("make the lesson's change by itself at its step; untick to make it by hand when the class is ready");
        ui.separator();
        let listed = LESSONS.iter().chain(opened.iter().map(|l| &**l));
        for (i, l) in listed.enumerate() {
            if i == LESSONS.len() {
                ui.separator();
            }
            if ui.button(&l.title).clicked() {
                out.push(AppCommand::StartLesson(l.id.clone()));
                ui.close();
            }
        }
        ui.separator();
        if ui
            .button("Open a lesson file...")
            .on_hover_text("a lesson written as a file (docs/lessons.md), yours or a colleague's")
            .clicked()
        {
            out.push(AppCommand::OpenFileWindow(super::files::FileWindow::OpenLesson));
            ui.close();
        }
        if ui
            .button("Save this as a lesson...")
            .on_hover_text("this run's start and the changes made so far, with a card and a question you write, as a lesson file")
            .clicked()
        {
            out.push(AppCommand::OpenFileWindow(super::files::FileWindow::SaveLesson));
            ui.close();
        }
    });
    out
}

/// Run B, when it is this lesson run as a comparison with its control.
fn lesson_comparison<'a>(app: &'a LabApp, lesson: &Lesson) -> Option<&'a Comparison> {
    app.comparison().filter(|b| b.changes == lesson.changes())
}

/// The run the lesson's change is made in: B when the lesson runs as a comparison (A is then
/// the control), else the run.
fn lesson_run<'a>(app: &'a LabApp, lesson: &Lesson) -> &'a crate::train::Status {
    match lesson_comparison(app, lesson).and(app.run_b()) {
        Some(b) => b.status(),
        None => app.status(),
    }
}

/// Whether every change of the lesson has been made in this run, and at which step.
fn change_made(app: &LabApp, lesson: &Lesson) -> Option<usize> {
    let events = &lesson_run(app, lesson).events;
    lesson
        .changes()
        .iter()
        .map(|setting| {
            events
                .iter()
                .rev()
                .find(|e| e.new == *setting)
                .map(|e| e.step)
        })
        .try_fold(0, |at, step| step.map(|s| at.max(s)))
}

/// The running lesson's card; `answer` is the class's prediction.
pub fn card(ui: &mut Ui, app: &LabApp, answer: &mut Option<usize>) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let Some(lesson) = app.current_lesson() else {
        return out;
    };
    let compared = lesson_comparison(app, lesson).is_some();
    // A lesson that is a sweep has no change to make: its answer shows once the runs are at
    // the step it was measured at.
    let swept = lesson.sweep().is_some();
    egui::Frame::group(ui.style())
        .fill(Color32::from_rgb(28, 36, 52))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                // The buttons first, on the right; the title in what is left of the row
                // (cut short with … rather than drawn under them). In presenter mode the card
                // is a banner, its title a heading.
                let title = RichText::new(format!("Lesson: {}", lesson.title)).strong();
                let title = if app.state.view.present {
                    title.heading()
                } else {
                    title
                };
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.button("close").clicked() {
                        out.push(AppCommand::CloseLesson);
                    }
                    if ui
                        .button("restart")
                        .on_hover_text("start the lesson again from step 0")
                        .clicked()
                    {
                        out.push(if compared {
                            AppCommand::CompareLesson(lesson.id.clone())
                        } else {
                            AppCommand::StartLesson(lesson.id.clone())
                        });
                    }
                    if !swept
                        && ui
                        .button("compare")
                        .on_hover_text("run the lesson as B beside an unchanged A (same seed, same data): the difference the change makes, side by side")
                        .clicked()
                    {
                        out.push(AppCommand::CompareLesson(lesson.id.clone()));
                    }
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        ui.add(egui::Label::new(title).truncate());
                    });
                });
            });
            let present = app.state.view.present;
            let what_this_shows = |ui: &mut Ui| {
                egui::CollapsingHeader::new("what this shows")
                    .default_open(false)
                    .show(ui, |ui| ui.label(&lesson.explanation));
            };
            if !present {
                what_this_shows(ui);
            }
            let run = lesson_run(app, lesson);
            // A run being recovered counts from the step it is recovered to.
            let step = run.recovering.unwrap_or(run.step);
            let scripted = run.script.first().map(|s| s.step);
            if compared {
                ui.label(
                    RichText::new("Compared with its control: A never changes, B makes the change.")
                        .color(Color32::LIGHT_BLUE),
                );
            }
            let made = if swept {
                (step >= lesson.steps()).then_some(step)
            } else {
                change_made(app, lesson)
            };
            question(ui, &lesson.question, answer, made.is_some(), present);
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(if compared { "B:" } else { "Now:" }).strong());
                ui.label(&lesson.change);
                match (made, scripted) {
                    (Some(_), _) if swept => {}
                    (None, _) if swept => {
                        ui.label(
                            RichText::new(format!(
                                "(the answer at step {}, in {} steps)",
                                lesson.steps(),
                                lesson.steps().saturating_sub(step)
                            ))
                            .color(Color32::KHAKI),
                        );
                    }
                    (Some(at), _) => {
                        ui.label(
                            RichText::new(format!("(made at step {at})"))
                                .color(Color32::LIGHT_GREEN),
                        );
                    }
                    (None, Some(at)) => {
                        ui.label(
                            RichText::new(format!(
                                "(auto-play at step {at}, in {} steps)",
                                at.saturating_sub(step)
                            ))
                            .color(Color32::KHAKI),
                        );
                    }
                    (None, None) => {
                        if ui.button("make the change now").clicked() {
                            out.extend(lesson.changes().into_iter().map(AppCommand::Set));
                        }
                    }
                }
            });
            if present {
                // The banner stays short: what to watch, and why, one click away.
                ui.horizontal(|ui| {
                    egui::CollapsingHeader::new("Watch")
                        .default_open(false)
                        .show(ui, |ui| ui.label(&lesson.watch));
                    what_this_shows(ui);
                });
            } else {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Watch:").strong());
                    ui.label(&lesson.watch);
                });
            }
        });
    out
}

/// Predict first: the lesson's question with its choices; once the change is made, the answer
/// and why.
fn question(
    ui: &mut Ui,
    q: &lessons::Question,
    picked: &mut Option<usize>,
    answered: bool,
    present: bool,
) {
    // In presenter mode, once answered, the answer takes the question's row.
    let ask = !(answered && present);
    if ask {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Predict:").strong());
            ui.label(&q.prompt);
            for (i, choice) in q.choices.iter().enumerate() {
                let right = answered && i == q.answer;
                let text = if right {
                    RichText::new(choice).color(Color32::LIGHT_GREEN).strong()
                } else {
                    RichText::new(choice)
                };
                if ui.radio(*picked == Some(i), text).clicked() {
                    *picked = Some(i);
                }
            }
        });
    }
    if answered {
        let verdict = match picked {
            Some(p) if *p == q.answer => "Right. ",
            Some(_) => "Not quite. ",
            None => "",
        };
        ui.label(
            RichText::new(format!(
                "{verdict}Answer: {}. {}",
                q.choices[q.answer], q.why
            ))
            .color(Color32::LIGHT_GREEN)
            .small(),
        );
    }
}

impl LabApp {
    /// The lesson `id`: one opened from a file this session (the latest of that id), else a
    /// built-in one.
    fn find_lesson(&self, id: &str) -> crate::error::Result<Arc<Lesson>> {
        match self.lesson.opened.iter().rev().find(|l| l.id == id) {
            Some(l) => Ok(Arc::clone(l)),
            None => lessons::find(id).map(|l| Arc::new(l.clone())),
        }
    }

    /// `--lesson ID|PATH`: a lesson file when the path exists (or ends in `.toml`), else a
    /// built-in lesson's id.
    pub fn start_lesson_or_file(&mut self, lesson: &str) {
        if lessons::names_a_file(lesson) {
            let outcome = self.open_lesson(Path::new(lesson));
            self.files.message = Some(outcome);
        } else {
            self.start_lesson(lesson);
        }
    }

    /// Read the lesson file at `path` (a bad one is refused with its line and field, and
    /// nothing else changes), list it in the Lessons menu and start it.
    pub fn open_lesson(&mut self, path: &Path) -> Result<String, String> {
        let lesson = Lesson::load(path).map_err(|e| e.to_string())?;
        let id = lesson.id.clone();
        let title = lesson.title.clone();
        self.lesson.opened.retain(|l| l.id != id);
        self.lesson.opened.push(Arc::new(lesson));
        self.end_comparison();
        self.end_sweep();
        self.start_lesson(&id);
        Ok(format!("opened the lesson {title} ({})", path.display()))
    }

    /// Start `id` as a fresh run: its configuration, and its change scripted when auto-play
    /// is on. The app keeps its own snapshot rate and probe size.
    pub fn start_lesson(&mut self, id: &str) {
        match self.lesson_scenario(id) {
            Ok((mut s, lesson)) => {
                self.show_phenomenon(lesson.phenomenon);
                self.lesson.lesson = Some(lesson);
                self.lesson.answer = None;
                let sweep = s.sweep.take();
                if let Some(a) = self.slots.first_mut() {
                    a.send(Command::Load(Box::new(s)));
                }
                // A lesson that is a sweep: a run per value beside A, from the lesson's start.
                if let Some(spec) = sweep {
                    self.start_sweep(spec, None);
                }
            }
            Err(e) => self.files.message = Some(Err(e.to_string())),
        }
    }

    /// The run lesson `id` starts: its scenario (its change scripted when auto-play is on), at
    /// the app's own snapshot rate and probe size.
    pub(super) fn lesson_scenario(
        &self,
        id: &str,
    ) -> crate::error::Result<(crate::scenario::Scenario, Arc<Lesson>)> {
        let lesson = self.find_lesson(id)?;
        let s = lesson_start(&lesson, self.state.autoplay, self.config())?;
        Ok((s, lesson))
    }

    /// The lesson as a comparison: A its control (no change), B the lesson (the change at its
    /// step); both from step 0 in lockstep, on the side-by-side embedding views.
    pub fn compare_lesson(&mut self, id: &str) {
        if self.find_lesson(id).is_ok_and(|l| l.sweep().is_some()) {
            // Its runs are already side by side.
            self.start_lesson(id);
            return;
        }
        let started = self
            .find_lesson(id)
            .and_then(|l| Ok((l.scenario(false)?, l)));
        let result = started.and_then(|(mut control, lesson)| {
            control.config.snapshot_every = self.config().snapshot_every;
            control.config.probe_size = self.config().probe_size;
            let spec = crate::scenario::CompareSpec {
                changes: lesson.changes(),
                fork_at: Some(lesson.change_step()),
            };
            self.compare_scenario(&control, spec)?;
            // The class's prediction stands: it is about the lesson, not this run.
            self.lesson.lesson = Some(lesson);
            // Side by side, on the sphere view's fixed scale.
            self.state.view.tab = super::embedding::CentralTab::Embedding;
            self.state.view.projection = super::embedding::Projection::Unit;
            Ok(())
        });
        if let Err(e) = result {
            self.files.message = Some(Err(e.to_string()));
        }
    }

    /// Open the view in which `phenomenon` is seen (measured on each lesson, see docs/guide.md):
    /// a collapse on the sphere view's fixed scale, where it looks like one; the temperature's
    /// and CLIP's effects in the softmax rows of "What the loss sees"; DINO's in the teacher's
    /// and student's distributions over the prototypes.
    pub(super) fn show_phenomenon(&mut self, phenomenon: lessons::Phenomenon) {
        use super::embedding::Matrix;
        use super::embedding::{CentralTab, Projection};
        use lessons::Phenomenon::*;
        let view = &mut self.state.view;
        match phenomenon {
            CompleteCollapse | DimensionalCollapse | NoCollapse | UniformityTolerance => {
                view.tab = CentralTab::Embedding;
                view.projection = Projection::Unit;
                view.zoom_to_fit = false;
            }
            Uniformity | Retrieval => {
                view.tab = CentralTab::LossView;
                view.matrix = Matrix::Softmax;
            }
            OnePrototype | UniformOutput | BalancedPrototypes => {
                view.tab = CentralTab::LossView;
                view.matrix = Matrix::Prototypes;
            }
        }
    }
}

/// The run `lesson` starts (its change scripted when `autoplay`), at the snapshot rate and
/// probe size of `app` (the app keeps its own).
pub fn lesson_start(
    lesson: &Lesson,
    autoplay: bool,
    app: &crate::config::RunConfig,
) -> crate::error::Result<crate::scenario::Scenario> {
    let mut s = lesson.scenario(autoplay)?;
    s.config.snapshot_every = app.snapshot_every;
    s.config.probe_size = app.probe_size;
    Ok(s)
}
