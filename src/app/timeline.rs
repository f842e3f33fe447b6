//! The timeline under the views: the run's recorded steps with its events marked. Dragging it
//! shows that step everywhere (the embedding views, the loss view's heatmap, a cursor on every
//! plot) while training carries on; "Live" returns to the newest snapshot. Replay plays the
//! recording from the cursor at 0.25×–8× the pace it was recorded at, or loops a range.

use super::command::AppCommand;
use egui::{Color32, Sense, Stroke, Ui, pos2, vec2};
use web_time::Instant;

/// Replay speeds offered, × the recorded pace.
pub const SPEEDS: [f32; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

/// What the timeline shows of a recording this frame.
pub struct Track<'a> {
    /// Recorded steps, oldest first.
    pub steps: &'a [usize],
    /// (step, label) of each event.
    pub events: &'a [(usize, String)],
    /// Megabytes the recording holds, and how many snapshots thinning dropped.
    pub megabytes: f64,
    pub dropped: usize,
    /// Whether the run can be continued from an earlier step (not a recording opened from a
    /// file).
    pub can_rewind: bool,
    /// The step of the future the last rewind abandoned, if there is one.
    pub branch_from: Option<usize>,
}

pub struct Timeline {
    /// The step shown; `None`: live (the newest snapshot).
    pub cursor: Option<usize>,
    /// Replay: when it started, from which recorded second, at what speed.
    replay: Option<(Instant, f64)>,
    pub speed: f32,
    /// Replay loops between these steps.
    pub loop_range: Option<(usize, usize)>,
    /// Show the abandoned branch beside the run.
    pub show_branch: bool,
}

impl Default for Timeline {
    fn default() -> Self {
        Self {
            cursor: None,
            replay: None,
            speed: 1.0,
            loop_range: None,
            show_branch: false,
        }
    }
}

impl Timeline {
    pub fn is_live(&self) -> bool {
        self.cursor.is_none()
    }

    pub fn replaying(&self) -> bool {
        self.replay.is_some()
    }

    /// Move the cursor by `by` recorded snapshots (from live: from the newest).
    pub fn nudge(&mut self, steps: &[usize], by: isize) {
        let Some(&last) = steps.last() else {
            return;
        };
        let now = self.cursor.unwrap_or(last);
        let i = steps.partition_point(|&s| s < now) as isize;
        let j = (i + by).clamp(0, steps.len() as isize - 1) as usize;
        self.cursor = Some(steps[j]);
        self.replay = None;
    }

    pub fn home(&mut self, steps: &[usize]) {
        self.cursor = steps.first().copied();
        self.replay = None;
    }

    pub fn live(&mut self) {
        self.cursor = None;
        self.replay = None;
    }

    /// Start replay from the cursor (`time_of` gives the recorded second of a step).
    pub fn play(&mut self, from_seconds: f64) {
        self.replay = Some((Instant::now(), from_seconds));
    }

    pub fn stop(&mut self) {
        self.replay = None;
    }

    /// Where a running replay is now: the recorded second, looped in the loop range
    /// (`seconds_of` maps a step to its recorded second).
    pub fn replay_seconds(&self, seconds_of: impl Fn(usize) -> Option<f64>) -> Option<f64> {
        let (start, from) = self.replay?;
        let t = from + start.elapsed().as_secs_f64() * self.speed as f64;
        let Some((a, b)) = self.loop_range else {
            return Some(t);
        };
        let (ta, tb) = (seconds_of(a)?, seconds_of(b)?);
        if tb <= ta {
            return Some(ta);
        }
        Some(ta + (t - ta).rem_euclid(tb - ta))
    }

    /// The bar: Live, the track with its events and cursor, replay controls. Returns the
    /// commands it gives (replay start/stop are its own).
    pub fn ui(&mut self, ui: &mut Ui, track: &Track<'_>) -> Vec<AppCommand> {
        let mut out = Vec::new();
        let (Some(&first), Some(&last)) = (track.steps.first(), track.steps.last()) else {
            // The same height as the bar, so the panels above do not jump when it fills.
            ui.horizontal(|ui| {
                let _ = ui.selectable_label(true, "Live");
                ui.label("nothing recorded yet");
            });
            ui.allocate_exact_size(vec2(ui.available_width(), 18.0), Sense::hover());
            return out;
        };
        ui.horizontal(|ui| {
            let live = self.is_live();
            if ui
                .selectable_label(live, "Live")
                .on_hover_text("show the newest snapshot (End)")
                .clicked()
            {
                out.push(AppCommand::TimelineLive);
            }
            let replay_label = if self.replaying() { "■ stop" } else { "▶ replay" };
            if ui
                .button(replay_label)
                .on_hover_text("play the recording from the cursor at the chosen speed (of the pace it was recorded at)")
                .clicked()
            {
                out.push(AppCommand::TimelineReplay(!self.replaying()));
            }
            if let Some(step) = self.cursor.filter(|_| track.can_rewind)
                && ui
                    .button("continue from here")
                    .on_hover_text("train on from this step: its exact state is rebuilt from the nearest checkpoint and a replay; the future after it stays on the plots as a grey branch")
                    .clicked()
            {
                out.push(AppCommand::ContinueFromHere(step));
            }
            if let Some(from) = track.branch_from {
                ui.checkbox(&mut self.show_branch, "branch beside")
                    .on_hover_text(format!("show the future abandoned at step {from} beside the new path, at the same step"));
            }
            egui::ComboBox::from_label("speed")
                .width(60.0)
                .selected_text(format!("{}×", self.speed))
                .show_ui(ui, |ui| {
                    for s in SPEEDS {
                        ui.selectable_value(&mut self.speed, s, format!("{s}×"));
                    }
                });
            let mut looping = self.loop_range.is_some();
            if ui
                .checkbox(&mut looping, "loop")
                .on_hover_text("replay loops over the range around the cursor's 20 snapshots (set it where the moment is)")
                .changed()
            {
                self.loop_range = looping.then(|| {
                    let at = self.cursor.unwrap_or(last);
                    let i = track.steps.partition_point(|&s| s < at);
                    let a = track.steps[i.saturating_sub(10)];
                    let b = track.steps[(i + 10).min(track.steps.len() - 1)];
                    (a, b)
                });
            }
            let shown = self.cursor.unwrap_or(last);
            ui.label(format!(
                "step {shown} of {first}–{last} · {} snapshots, {:.0} MB{}",
                track.steps.len(),
                track.megabytes,
                if track.dropped > 0 {
                    format!(" ({} thinned)", track.dropped)
                } else {
                    String::new()
                }
            ));
        });
        if let Some(step) = self.track(ui, track) {
            out.push(AppCommand::TimelineSeek(step));
        }
        out
    }

    /// The track itself; the recorded step under the pointer while it is dragged or clicked.
    fn track(&self, ui: &mut Ui, track: &Track<'_>) -> Option<usize> {
        let (first, last) = (*track.steps.first()?, *track.steps.last()?);
        let width = ui.available_width();
        let (rect, response) = ui.allocate_exact_size(vec2(width, 18.0), Sense::click_and_drag());
        let span = (last - first).max(1) as f32;
        let x_of = |step: usize| rect.left() + rect.width() * (step - first) as f32 / span;
        let painter = ui.painter_at(rect);
        let mid = rect.center().y;
        painter.line_segment(
            [pos2(rect.left(), mid), pos2(rect.right(), mid)],
            Stroke::new(3.0, Color32::from_gray(80)),
        );
        if let Some((a, b)) = self.loop_range {
            painter.line_segment(
                [pos2(x_of(a), mid), pos2(x_of(b), mid)],
                Stroke::new(5.0, Color32::from_rgb(70, 110, 160)),
            );
        }
        for (step, _) in track
            .events
            .iter()
            .filter(|(s, _)| (first..=last).contains(s))
        {
            let x = x_of(*step);
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom())],
                Stroke::new(2.0, Color32::from_rgb(200, 120, 40)),
            );
        }
        let shown = self.cursor.unwrap_or(last);
        painter.circle_filled(
            pos2(x_of(shown.clamp(first, last)), mid),
            6.0,
            if self.is_live() {
                Color32::LIGHT_GREEN
            } else {
                Color32::WHITE
            },
        );
        let events = track
            .events
            .iter()
            .map(|(s, l)| format!("step {s}: {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        let response = response.on_hover_text(if events.is_empty() {
            "drag to see an earlier step (←/→ one snapshot, Home/End)".to_string()
        } else {
            format!("drag to see an earlier step (←/→ one snapshot, Home/End)\n{events}")
        });
        if !(response.dragged() || response.clicked()) {
            return None;
        }
        let x = response.interact_pointer_pos()?.x;
        let target = first as f32 + span * ((x - rect.left()) / rect.width()).clamp(0.0, 1.0);
        // The nearest recorded step.
        let i = track.steps.partition_point(|&s| (s as f32) < target);
        let candidates = [i.saturating_sub(1), i.min(track.steps.len() - 1)];
        candidates
            .into_iter()
            .min_by(|&a, &b| {
                (track.steps[a] as f32 - target)
                    .abs()
                    .total_cmp(&(track.steps[b] as f32 - target).abs())
            })
            .map(|i| track.steps[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nudging_moves_one_recorded_snapshot_and_stops_at_the_ends() {
        let steps = [0, 5, 10, 20, 40];
        let mut t = Timeline::default();
        t.nudge(&steps, -1);
        assert_eq!(t.cursor, Some(20));
        t.nudge(&steps, -1);
        assert_eq!(t.cursor, Some(10));
        t.nudge(&steps, 10);
        assert_eq!(t.cursor, Some(40));
        t.home(&steps);
        assert_eq!(t.cursor, Some(0));
        t.nudge(&steps, -3);
        assert_eq!(t.cursor, Some(0));
        t.live();
        assert!(t.is_live());
    }

    #[test]
    fn a_looped_replay_stays_in_its_range() {
        let mut t = Timeline {
            loop_range: Some((10, 20)),
            speed: 8.0,
            ..Timeline::default()
        };
        t.play(0.5);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let seconds = |s: usize| Some(s as f64 / 10.0);
        let now = t.replay_seconds(seconds).unwrap_or(-1.0);
        assert!((1.0..2.0).contains(&now), "{now}");
    }
}
