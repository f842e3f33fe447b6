//! "Save this as a lesson…": the card and the question a teacher writes for the run on screen.
//! The run's start and the changes made so far become the lesson's scenario; the file is
//! checked by reading it back before it is written (docs/lessons.md).

use super::{AppCommand, LabApp};
use crate::lessons::{Lesson, Phenomenon, Question};
use crate::scenario::Scenario;
use egui::{RichText, Ui};
use std::path::Path;

/// What the teacher types: the card, the question (one choice per line, the right one's number
/// from 1) and the phenomenon that picks the view the lesson opens on.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonDraft {
    pub id: String,
    pub title: String,
    pub phenomenon: Phenomenon,
    pub now: String,
    pub watch: String,
    pub why: String,
    pub prompt: String,
    pub choices: String,
    pub answer: usize,
    pub answer_why: String,
}

impl Default for LessonDraft {
    fn default() -> Self {
        Self {
            id: "my-lesson".into(),
            title: String::new(),
            phenomenon: Phenomenon::CompleteCollapse,
            now: String::new(),
            watch: String::new(),
            why: String::new(),
            prompt: String::new(),
            choices: String::new(),
            answer: 1,
            answer_why: String::new(),
        }
    }
}

impl LessonDraft {
    /// A draft for `scenario`: the running lesson's card when there is one (to edit it), else
    /// one that says what the script changes.
    pub fn for_run(lesson: Option<&Lesson>, scenario: &Scenario) -> Self {
        if let Some(l) = lesson {
            return Self {
                id: format!("{}-mine", l.id),
                title: l.title.clone(),
                phenomenon: l.phenomenon,
                now: l.change.clone(),
                watch: l.watch.clone(),
                why: l.explanation.clone(),
                prompt: l.question.prompt.clone(),
                choices: l.question.choices.join("\n"),
                answer: l.question.answer + 1,
                answer_why: l.question.why.clone(),
            };
        }
        let changes: Vec<String> = scenario
            .script
            .iter()
            .map(|s| {
                format!(
                    "at step {}: {} = {}",
                    s.step,
                    s.setting.key().name(),
                    s.setting.text()
                )
            })
            .collect();
        let config = &scenario.config;
        Self {
            title: crate::methods::run_title(config),
            now: if changes.is_empty() {
                "Watch the run.".into()
            } else {
                format!("The change, {}.", changes.join("; "))
            },
            ..Self::default()
        }
    }

    /// The lesson of `scenario` with this card; refused (with what to fix) when the file it
    /// makes would not read back.
    pub fn lesson(&self, scenario: Scenario, origin: &str) -> Result<Lesson, String> {
        let choices: Vec<String> = self
            .choices
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        let lesson = Lesson::new(
            self.id.trim(),
            self.title.trim(),
            [self.now.as_str(), self.watch.as_str(), self.why.as_str()],
            Question {
                prompt: self.prompt.clone(),
                answer: self.answer.saturating_sub(1),
                choices,
                why: self.answer_why.clone(),
            },
            self.phenomenon,
            scenario,
        );
        Lesson::from_toml(&lesson.to_toml(), origin).map_err(|e| e.to_string())
    }

    /// The form; the path field and the Save button are the window's.
    pub fn ui(&mut self, ui: &mut Ui) {
        egui::Grid::new("lesson-draft")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let line = |ui: &mut Ui, label: &str, text: &mut String, hint: &str| {
                    ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(f32::INFINITY),
                    );
                    ui.end_row();
                };
                line(ui, "id", &mut self.id, "lower-case letters, digits and -");
                line(
                    ui,
                    "title",
                    &mut self.title,
                    "the menu entry and the card's heading",
                );
                ui.label("the class sees");
                egui::ComboBox::from_id_salt("lesson-phenomenon")
                    .selected_text(self.phenomenon.name())
                    .show_ui(ui, |ui| {
                        for (p, name) in Phenomenon::ALL {
                            ui.selectable_value(&mut self.phenomenon, p, name);
                        }
                    });
                ui.end_row();
                line(ui, "now", &mut self.now, "the change, as said to the class");
                line(ui, "watch", &mut self.watch, "what to watch after it");
                ui.label("why");
                ui.add(egui::TextEdit::multiline(&mut self.why).desired_rows(2));
                ui.end_row();
                line(ui, "question", &mut self.prompt, "asked before the change");
                ui.label("choices");
                ui.add(
                    egui::TextEdit::multiline(&mut self.choices)
                        .hint_text("one per line")
                        .desired_rows(3),
                );
                ui.end_row();
                ui.label("right choice");
                ui.add(egui::DragValue::new(&mut self.answer).range(1..=9));
                ui.end_row();
                line(
                    ui,
                    "answer's why",
                    &mut self.answer_why,
                    "shown with the answer",
                );
            });
    }
}

/// The "Save this as a lesson" window's body: the form, where to, and Save.
pub fn window(ui: &mut Ui, app: &mut LabApp) -> Option<AppCommand> {
    ui.label(
        "This run's start and every change made so far become the lesson's scenario; write its card and question. \
         Add what it must show ([[shows]], docs/lessons.md) to the file after a rehearsal.",
    );
    app.lesson.draft.ui(ui);
    ui.separator();
    ui.label(RichText::new("Save to").strong());
    super::file_field::destination(ui, &mut app.state.paths.lesson, Some("toml"));
    ui.button("Save lesson")
        .clicked()
        .then(|| AppCommand::SaveLesson(app.state.paths.lesson.clone().into()))
}

impl LabApp {
    /// The run on screen as a scenario: its start, the changes made so far as its script, and
    /// the sweep it is part of.
    fn run_as_scenario(&self) -> Result<Scenario, String> {
        let mut scenario =
            Scenario::from_run(self.config(), &self.status().events).map_err(|e| e.to_string())?;
        scenario.sweep = self.sweep().map(|s| s.spec.clone());
        Ok(scenario)
    }

    /// Fill "Save this as a lesson…" from the run on screen.
    pub fn draft_lesson(&mut self) {
        if let Ok(scenario) = self.run_as_scenario() {
            self.lesson.draft = LessonDraft::for_run(self.current_lesson(), &scenario);
        }
    }

    /// Write the run as a lesson file at `path` with the draft's card.
    pub fn save_lesson(&mut self, path: &Path) -> Result<String, String> {
        let scenario = self.run_as_scenario()?;
        let lesson = self
            .lesson
            .draft
            .lesson(scenario, &path.display().to_string())?;
        lesson.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved the lesson {} to {} (File → Open lesson… or --lesson {} opens it)",
            lesson.title,
            path.display(),
            path.display()
        ))
    }
}
