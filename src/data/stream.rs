//! The training batches, drawn one step ahead while the learner works on the current one (on
//! the CPU a step's data costs 10–70 % of its learner time).
//!
//! How the drawing overlaps the step depends on what the step leaves free ([`Overlap`]):
//!
//! - Where the learner leaves a core idle at moments (SimCLR, MoCo, CLIP, Barlow Twins: one
//!   thread, its products split with the helper), a drawing thread at the lowest priority
//!   takes samples one at a time while the learner steps, so it only fills the moments a core
//!   has nothing else to do (at equal priority it took the core from the learner and the whole
//!   step waited).
//! - Where the learner's own two threads keep both cores busy (BYOL, SimSiam, DINO: one view
//!   per core), a drawer beside them only slowed the step (BYOL 220–229 steps/s with it,
//!   256–269 without, four alternated runs), so the batch is drawn after the step.
//!
//! Either way, once the learner's step is done, the samples left are taken by this thread and
//! the products' helper thread ([`crate::cpu::helper`]) together, at the trainer's priority,
//! so the batch never waits on a thread that the rest of the machine outranks. Each sample has
//! its own random stream ([`super::Draw`]): which thread draws it changes no number.
//!
//! The batch drawn ahead is exactly the one the sampler would draw at the next step: when the
//! settings it was drawn with (batch size, augmentation strength) change in between, it is
//! discarded and the sampler and its RNG are rewound, so a run's numbers are the same with or
//! without the look-ahead.

use super::{Batch, Sampler, Source, Views};
use crate::cpu::helper::{self, Blocks};
use crate::rng::Rng;
use crate::train::priority;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The name of the thread that draws ahead.
pub const DRAWER: &str = "next-batch";

/// When the next batch is drawn, relative to the learner's step (see the module's notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// During the step, by a drawing thread that only takes idle moments of a core.
    Alongside,
    /// After the step, on both cores: the step keeps both busy itself.
    After,
}

impl Overlap {
    /// The overlap for a step whose learner does (not) run its two views on the two cores.
    pub fn for_step(views_on_two_cores: bool) -> Self {
        if views_on_two_cores {
            Self::After
        } else {
            Self::Alongside
        }
    }
}

/// Whoever runs a block takes samples until none is left: two blocks, one a core.
struct Takers<'a>(&'a (dyn Fn() + Sync));

impl Blocks for Takers<'_> {
    fn count(&self) -> usize {
        2
    }
    fn block(&self, _: usize) {
        (self.0)()
    }
}

#[derive(Clone)]
pub struct BatchStream {
    sampler: Sampler,
    rng: Rng,
    ahead: Option<Ahead>,
}

#[derive(Clone)]
struct Ahead {
    batch: Batch,
    size: usize,
    strength: f32,
    /// The sampler and RNG before this batch was drawn.
    rewind: (Sampler, Rng),
}

impl BatchStream {
    /// `len` samples; the sampler's and the augmentations' streams both come from `seed`.
    pub fn new(len: usize, seed: u64) -> Self {
        Self {
            sampler: Sampler::new(len, seed),
            rng: Rng::fork(seed, "augment"),
            ahead: None,
        }
    }

    /// The batch for this step: the one drawn ahead if it was drawn with these settings.
    pub fn next(&mut self, source: &dyn Source, size: usize, strength: f32) -> Batch {
        if let Some(ahead) = self.ahead.take() {
            if ahead.size == size && ahead.strength == strength {
                return ahead.batch;
            }
            (self.sampler, self.rng) = ahead.rewind;
        }
        self.sampler
            .next_batch(source, size, strength, &mut self.rng)
    }

    /// Run `work`, and draw the following batch alongside it or after it (see the module's
    /// notes).
    pub fn while_drawing_next<R>(
        &mut self,
        source: &dyn Source,
        (size, strength): (usize, f32),
        overlap: Overlap,
        work: impl FnOnce() -> R,
    ) -> R {
        let rewind = (self.sampler.clone(), self.rng.clone());
        let draw = self
            .sampler
            .start_batch(source, size, strength, &mut self.rng);
        let slots: Vec<OnceLock<Views>> = (0..size).map(|_| OnceLock::new()).collect();
        let next = AtomicUsize::new(0);
        // Take samples until none is left.
        let take = || {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(k) else { break };
                let _ = slot.set(draw.sample(k));
            }
        };
        let (result, drawn) = std::thread::scope(|scope| {
            // Where no thread can be started, the batch is drawn after `work`.
            let drawing = (overlap == Overlap::Alongside)
                .then(|| {
                    std::thread::Builder::new()
                        .name(DRAWER.into())
                        .spawn_scoped(scope, || {
                            priority::lowest_this_thread();
                            take()
                        })
                        .ok()
                })
                .flatten();
            let result = work();
            let here = catch_unwind(AssertUnwindSafe(|| helper::share(&Takers(&take))));
            let there = drawing.is_none_or(|drawer| drawer.join().is_ok());
            (result, here.is_ok() && there)
        });
        let samples: Option<Vec<Views>> = drawn
            .then(|| slots.into_iter().map(OnceLock::into_inner).collect())
            .flatten();
        match samples {
            Some(samples) => {
                self.ahead = Some(Ahead {
                    batch: draw.finish(samples),
                    size,
                    strength,
                    rewind,
                })
            }
            // A draw that panicked leaves nothing ahead; the next step draws again, inline.
            None => (self.sampler, self.rng) = rewind,
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blobs::Blobs;

    fn inline(source: &dyn Source, sizes: &[(usize, f32)]) -> Vec<Batch> {
        let mut sampler = Sampler::new(source.len(), 3);
        let mut rng = Rng::fork(3, "augment");
        sizes
            .iter()
            .map(|&(n, s)| sampler.next_batch(source, n, s, &mut rng))
            .collect()
    }

    #[test]
    fn drawing_ahead_changes_no_batch_even_when_settings_change() {
        let source = Blobs::new(0);
        let settings = [
            (16, 1.0),
            (16, 1.0),
            (8, 1.0),
            (8, 0.5),
            (8, 0.5),
            (32, 0.5),
        ];
        let expected = inline(&source, &settings);
        let mut stream = BatchStream::new(source.len(), 3);
        for (i, &(n, s)) in settings.iter().enumerate() {
            let batch = stream.next(&source, n, s);
            assert_eq!(batch.indices, expected[i].indices, "batch {i}");
            assert_eq!(batch.x1, expected[i].x1, "batch {i}");
            assert_eq!(batch.x2, expected[i].x2, "batch {i}");
            // Drawn ahead with this step's settings; the next step may use others.
            let overlap = [Overlap::Alongside, Overlap::After][i % 2];
            stream.while_drawing_next(&source, (n, s), overlap, || ());
        }
    }

    /// Blobs that note, for every view, the thread that drew it and whether that thread was
    /// background work.
    struct Watched {
        blobs: Blobs,
        seen: std::sync::Mutex<Vec<(Option<String>, bool)>>,
    }

    impl Source for Watched {
        fn name(&self) -> String {
            self.blobs.name()
        }
        fn input(&self) -> crate::data::InputKind {
            self.blobs.input()
        }
        fn class_names(&self) -> &[String] {
            self.blobs.class_names()
        }
        fn len(&self) -> usize {
            self.blobs.len()
        }
        fn base(&self, i: usize) -> &[f32] {
            self.blobs.base(i)
        }
        fn label(&self, i: usize) -> usize {
            self.blobs.label(i)
        }
        fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
            let thread = std::thread::current().name().map(str::to_owned);
            if let Ok(mut seen) = self.seen.lock() {
                seen.push((thread, priority::this_thread_is_background()));
            }
            self.blobs.view(i, rng, strength)
        }
    }

    /// A watched source, its first two batches of 64 drawn inline, and a stream that has
    /// served the first (the watch cleared after it).
    fn first_batch_served() -> (Watched, Vec<Batch>, BatchStream) {
        let source = Watched {
            blobs: Blobs::new(0),
            seen: Default::default(),
        };
        let expected = inline(&source, &[(64, 1.0), (64, 1.0)]);
        let mut stream = BatchStream::new(source.len(), 3);
        assert_same(&stream.next(&source, 64, 1.0), &expected[0]);
        source.seen.lock().unwrap().clear();
        (source, expected, stream)
    }

    fn assert_same(batch: &Batch, expected: &Batch) {
        assert_eq!(batch.indices, expected.indices);
        assert_eq!(batch.x1, expected.x1);
        assert_eq!(batch.x2, expected.x2);
    }

    #[test]
    fn the_batch_ahead_is_drawn_in_the_background_with_the_inline_numbers() {
        let (source, expected, mut stream) = first_batch_served();
        let drawer_drew = |seen: &[(Option<String>, bool)]| {
            seen.iter().any(|(name, _)| name.as_deref() == Some(DRAWER))
        };
        stream.while_drawing_next(&source, (64, 1.0), Overlap::Alongside, || {
            // The learner's step: long enough for the drawer to take at least one sample.
            let start = std::time::Instant::now();
            while !drawer_drew(&source.seen.lock().unwrap())
                && start.elapsed() < std::time::Duration::from_secs(10)
            {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let seen = source.seen.lock().unwrap().clone();
        assert!(drawer_drew(&seen), "the drawer took no sample in 10 s");
        assert_eq!(seen.len(), 128, "two views of each of 64 samples");
        for (name, background) in &seen {
            let on_drawer = name.as_deref() == Some(DRAWER);
            // Linux only: elsewhere no thread is ever background.
            assert_eq!(
                *background,
                on_drawer && cfg!(target_os = "linux"),
                "{name:?}"
            );
        }
        assert_same(&stream.next(&source, 64, 1.0), &expected[1]);
    }

    #[test]
    fn after_a_step_that_keeps_both_cores_busy_no_drawer_starts_and_the_numbers_stay() {
        let (source, expected, mut stream) = first_batch_served();
        stream.while_drawing_next(&source, (64, 1.0), Overlap::After, || {
            assert!(
                source.seen.lock().unwrap().is_empty(),
                "drawn during the step"
            );
        });
        let seen = source.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 128);
        assert!(
            seen.iter()
                .all(|(name, background)| name.as_deref() != Some(DRAWER) && !background)
        );
        assert_same(&stream.next(&source, 64, 1.0), &expected[1]);
    }
}
