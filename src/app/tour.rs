//! `contrastive-lab app --tour SECONDS`: the app teaches by itself. Every `SECONDS` the next
//! built-in lesson starts (its change made by itself at its step), and every third is run as
//! a comparison with its control; after the last lesson the tour begins again. For a screen
//! left on at an open day, and the driver of the long class session in `docs/benchmarks.md`.
//!
//! The tour only issues the [`AppCommand`]s the Lessons menu issues; the user may take over
//! at any time (the next lesson still comes on time).

use super::AppCommand;
use std::time::Duration;
use web_time::Instant;

/// Every how many lessons one is a comparison with its control.
pub const COMPARE_EVERY: usize = 3;

/// The shortest time a lesson is shown.
pub const MIN_SECONDS: u64 = 10;

#[derive(Clone, Debug)]
pub struct Tour {
    every: Duration,
    /// Lessons started so far.
    started: usize,
    /// When the next lesson starts (`None`: at the first frame).
    next_at: Option<Instant>,
}

impl Tour {
    /// A lesson every `seconds` (at least [`MIN_SECONDS`]).
    pub fn new(seconds: u64) -> Result<Self, String> {
        if seconds < MIN_SECONDS {
            return Err(format!(
                "a lesson needs at least {MIN_SECONDS} s on screen (got {seconds})"
            ));
        }
        Ok(Self {
            every: Duration::from_secs(seconds),
            started: 0,
            next_at: None,
        })
    }

    /// How long from `now` until the next lesson is due (zero before the first).
    pub fn until_next(&self, now: Instant) -> Duration {
        self.next_at
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    /// The command due at `now`, if one is: the next lesson, started or compared.
    pub fn due(&mut self, now: Instant) -> Option<AppCommand> {
        if self.next_at.is_some_and(|t| now < t) {
            return None;
        }
        let lessons = &*crate::lessons::LESSONS;
        let lesson = lessons.get(self.started % lessons.len().max(1))?;
        self.started += 1;
        self.next_at = Some(now + self.every);
        let id = lesson.id.clone();
        Some(if self.started.is_multiple_of(COMPARE_EVERY) {
            AppCommand::CompareLesson(id)
        } else {
            AppCommand::StartLesson(id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_every_period_every_third_compared_then_round_again() {
        let mut tour = Tour::new(60).expect("a valid period");
        let t0 = Instant::now();
        let lessons = &*crate::lessons::LESSONS;
        let mut seen = Vec::new();
        for i in 0..lessons.len() + 2 {
            let at = t0 + Duration::from_secs(60 * i as u64);
            // Nothing between two lessons.
            if i > 0 {
                assert_eq!(tour.due(at - Duration::from_secs(1)), None);
            }
            seen.push(tour.due(at).expect("a lesson is due"));
        }
        assert_eq!(seen[0], AppCommand::StartLesson(lessons[0].id.clone()));
        assert_eq!(seen[1], AppCommand::StartLesson(lessons[1].id.clone()));
        assert_eq!(seen[2], AppCommand::CompareLesson(lessons[2].id.clone()));
        let n = lessons.len();
        let id = |c: &AppCommand| match c {
            AppCommand::StartLesson(id) | AppCommand::CompareLesson(id) => id.clone(),
            other => panic!("the tour issued {other:?}"),
        };
        // Round again after the last lesson.
        assert_eq!(id(&seen[n]), lessons[0].id);
        assert_eq!(id(&seen[n + 1]), lessons[1].id);
    }

    #[test]
    fn a_period_too_short_to_read_is_refused() {
        assert!(Tour::new(MIN_SECONDS - 1).is_err());
        assert!(Tour::new(MIN_SECONDS).is_ok());
    }
}
