//! Frame pacing: one frame per slot. The trainer publishes its step counter every 15 ms and
//! every snapshot, the projector a layout every ten t-SNE iterations; drawing a frame for each
//! would spend the cores on frames nobody can tell apart (and, with software rendering, take
//! them from training). Instead a publication asks for a frame at the next slot, one
//! [`FRAME_INTERVAL`] after the start of the last frame: the window draws at most one frame per
//! slot for the pipelines' sake, as a display's vertical sync would. Input (a click, a drag,
//! a key) is not paced: egui draws its response at once; the views' own animations (a layout
//! gliding to the next) ask for the next slot too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use web_time::Instant;

/// The animation's frame interval (30 frames/s): while training the window draws one frame
/// per interval, whatever wakes it.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// When the last frame started, shared between the UI thread (which marks it) and the
/// pipelines' wakers (which ask for the next slot).
#[derive(Debug)]
pub struct FramePacer {
    origin: Instant,
    /// Nanoseconds from `origin` to the start of the last frame.
    last_frame_ns: AtomicU64,
}

impl Default for FramePacer {
    fn default() -> Self {
        Self::new()
    }
}

impl FramePacer {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            last_frame_ns: AtomicU64::new(0),
        }
    }

    /// Mark the start of a frame (the UI thread, first thing in a frame).
    pub fn frame_started(&self) {
        self.frame_started_at(Instant::now());
    }

    fn frame_started_at(&self, now: Instant) {
        let ns = now.saturating_duration_since(self.origin).as_nanos();
        self.last_frame_ns
            .store(u64::try_from(ns).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// How long from now until the next frame slot (zero when it is due).
    pub fn until_next_slot(&self) -> Duration {
        self.until_next_slot_at(Instant::now())
    }

    fn until_next_slot_at(&self, now: Instant) -> Duration {
        let last = self.origin + Duration::from_nanos(self.last_frame_ns.load(Ordering::Relaxed));
        (last + FRAME_INTERVAL).saturating_duration_since(now)
    }
}

/// Where a context keeps its pacer ([`install`]).
fn pacer_id() -> egui::Id {
    egui::Id::unique("contrastive-lab frame pacer")
}

/// Give `ctx` a pacer (the app does, once); [`request_frame`] and [`frame_started`] use it.
pub fn install(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(pacer_id(), Arc::new(FramePacer::new())));
}

fn pacer_of(ctx: &egui::Context) -> Option<Arc<FramePacer>> {
    ctx.data(|d| d.get_temp::<Arc<FramePacer>>(pacer_id()))
}

/// Mark the start of a frame of `ctx` (the app, first thing in a frame).
pub fn frame_started(ctx: &egui::Context) {
    if let Some(p) = pacer_of(ctx) {
        p.frame_started();
    }
}

/// Ask for a frame of `ctx` at the next slot (from any thread). Without a pacer (a test
/// harness that drives frames itself), one interval from now.
pub fn request_frame(ctx: &egui::Context) {
    let wait = pacer_of(ctx).map_or(FRAME_INTERVAL, |p| p.until_next_slot());
    ctx.request_repaint_after(wait);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_right_after_a_frame_waits_for_the_next_slot() {
        let pacer = FramePacer::new();
        let t0 = Instant::now() + Duration::from_millis(5);
        pacer.frame_started_at(t0);
        assert_eq!(pacer.until_next_slot_at(t0), FRAME_INTERVAL);
        let mid = t0 + Duration::from_millis(20);
        assert_eq!(
            pacer.until_next_slot_at(mid),
            FRAME_INTERVAL - Duration::from_millis(20)
        );
        // A slot already past (the window was busy or idle) is due at once.
        assert_eq!(
            pacer.until_next_slot_at(t0 + FRAME_INTERVAL * 3),
            Duration::ZERO
        );
    }

    #[test]
    fn the_first_wake_is_at_most_one_interval_away() {
        let pacer = FramePacer::new();
        assert!(pacer.until_next_slot() <= FRAME_INTERVAL);
    }
}
