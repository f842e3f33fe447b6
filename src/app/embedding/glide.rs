//! Points that glide between layouts at frame rate, and one optimizer step in slow motion.

use web_time::Instant;

/// The positions on screen, easing towards each new layout so that points glide; or, in slow
/// motion, travelling in a straight line from before an optimizer step to after it.
#[derive(Default)]
pub struct Glide {
    shown: Vec<[f32; 2]>,
    last: Option<Instant>,
    /// Slow motion asked for: the first layout of a step after this one plays slowly.
    armed: Option<(usize, f32)>,
    slow: Option<SlowMove>,
}

/// One optimizer step played slowly.
#[derive(Clone, Debug)]
pub struct SlowMove {
    pub from: Vec<[f32; 2]>,
    pub to: Vec<[f32; 2]>,
    /// The steps of the layouts before and after.
    pub steps: (usize, usize),
    pub elapsed: f32,
    pub duration: f32,
}

impl SlowMove {
    /// How far along the move is, 0 to 1.
    pub fn progress(&self) -> f32 {
        (self.elapsed / self.duration.max(1e-3)).clamp(0.0, 1.0)
    }
}

/// Seconds for the remaining distance to fall by a factor e.
pub const GLIDE_TIME: f32 = 0.15;

impl Glide {
    /// Play the first layout of a step after `step` slowly, over `seconds`.
    pub fn arm_slow_motion(&mut self, step: usize, seconds: f32) {
        self.armed = Some((step, seconds));
    }

    /// The slow move in progress, if any.
    pub fn slow_move(&self) -> Option<&SlowMove> {
        self.slow.as_ref()
    }

    /// Move the shown points `dt` seconds towards `target`, the layout of snapshot `step` (at
    /// once when the point count changed); returns whether they are still moving.
    pub fn advance(&mut self, target: &[[f32; 2]], step: usize, dt: f32) -> bool {
        if self.shown.len() != target.len() {
            // Nothing was on screen to move from (the first layout, or new points): they
            // appear at once, and a step armed meanwhile has nothing to play slowly.
            self.shown = target.to_vec();
            self.slow = None;
            self.armed = None;
            return false;
        }
        if let Some((armed_at, seconds)) = self.armed
            && step > armed_at
        {
            self.armed = None;
            self.slow = Some(SlowMove {
                from: self.shown.clone(),
                to: target.to_vec(),
                steps: (armed_at, step),
                elapsed: 0.0,
                duration: seconds,
            });
        }
        if let Some(m) = &mut self.slow {
            if m.to.as_slice() == target {
                m.elapsed += dt.max(0.0);
                let f = m.progress();
                // Smoothstep: starts and ends at rest, so the eye can follow each point.
                let e = f * f * (3.0 - 2.0 * f);
                for ((s, a), b) in self.shown.iter_mut().zip(&m.from).zip(&m.to) {
                    *s = [a[0] + (b[0] - a[0]) * e, a[1] + (b[1] - a[1]) * e];
                }
                if f >= 1.0 {
                    self.slow = None;
                    return false;
                }
                return true;
            }
            // Another layout arrived meanwhile: glide on from where the points are.
            self.slow = None;
        }
        let keep = (-dt.max(0.0) / GLIDE_TIME).exp();
        let mut moving = false;
        let scale = target
            .iter()
            .fold(0f32, |m, p| m.max(p[0].abs()).max(p[1].abs()))
            .max(1e-12);
        for (s, t) in self.shown.iter_mut().zip(target) {
            for c in 0..2 {
                s[c] = t[c] + (s[c] - t[c]) * keep;
                if (s[c] - t[c]).abs() > 1e-3 * scale {
                    moving = true;
                } else {
                    s[c] = t[c];
                }
            }
        }
        moving
    }

    /// Advance by the wall-clock time since the last frame.
    pub(super) fn frame(&mut self, target: &[[f32; 2]], step: usize) -> bool {
        let now = Instant::now();
        let dt = self
            .last
            .map(|t| now.duration_since(t).as_secs_f32())
            .unwrap_or(0.0)
            .min(0.1);
        self.last = Some(now);
        self.advance(target, step, dt)
    }

    pub fn shown(&self) -> &[[f32; 2]] {
        &self.shown
    }
}
