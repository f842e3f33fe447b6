//! The training batches, drawn one step ahead while the learner works on the current one (on
//! the CPU a step's data costs 10–70 % of its learner time).
//!
//! The batch is drawn by the products' helper thread ([`crate::cpu::helper`]) in the moments
//! the step leaves it without a block to compute (the element-wise passes between products,
//! the loss, the optimiser's serial parts), one sample at a time, so a product posted
//! meanwhile waits one sample at most. Once the step is done, the samples left are taken by
//! this thread and the helper together (all of them where another run's trainer has the
//! helper's idle moments already: two runs compared side by side). This replaced a drawing
//! thread at the lowest priority: the helper, spinning between products, yielded its core to
//! that thread and then waited for the scheduler to hand it back, so the step's products ran
//! on one core more often than on two, and the steps that keep both cores busy (BYOL,
//! SimSiam) drew after the step. Drawn in the helper's idle moments, SimCLR went from 291 to
//! 308 steps/s, BYOL from 281 to 295 and SimSiam from 346 to 369 (two alternated runs each,
//! `bench --steps 600`). Each sample has its own random stream ([`super::Draw`]): which
//! thread draws it changes no number.
//!
//! The batch drawn ahead is exactly the one the sampler would draw at the next step: when the
//! settings it was drawn with (batch size, augmentation strength) change in between, it is
//! discarded and the sampler and its RNG are rewound, so a run's numbers are the same with or
//! without the look-ahead.

use super::{Batch, Sampler, Source, Views};
use crate::cpu::helper::{self, Blocks};
use crate::rng::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// The same stream without the batch drawn ahead (which it draws again, the same, at its
    /// next step): what a checkpoint keeps, a batch lighter.
    pub fn without_ahead(&self) -> Self {
        let (sampler, rng) = match &self.ahead {
            Some(ahead) => ahead.rewind.clone(),
            None => (self.sampler.clone(), self.rng.clone()),
        };
        Self {
            sampler,
            rng,
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

    /// Run `work`, and draw the following batch in the helper's idle moments meanwhile, the
    /// rest after it (see the module's notes).
    pub fn while_drawing_next<R>(
        &mut self,
        source: &dyn Source,
        (size, strength): (usize, f32),
        work: impl FnOnce() -> R,
    ) -> R {
        let rewind = (self.sampler.clone(), self.rng.clone());
        let draw = self
            .sampler
            .start_batch(source, size, strength, &mut self.rng);
        let slots: Vec<OnceLock<Views>> = (0..size).map(|_| OnceLock::new()).collect();
        let next = AtomicUsize::new(0);
        // Take one sample; whether any may be left to take.
        let take_one = || {
            let k = next.fetch_add(1, Ordering::Relaxed);
            slots.get(k).inspect(|slot| {
                let _ = slot.set(draw.sample(k));
            });
            k + 1 < slots.len()
        };
        let take = || while take_one() {};
        let result = helper::in_idle_moments(&take_one, work);
        let drawn = catch_unwind(AssertUnwindSafe(|| helper::share(&Takers(&take)))).is_ok();
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
            stream.while_drawing_next(&source, (n, s), || ());
        }
    }

    #[test]
    fn a_stream_without_its_batch_ahead_draws_the_same_batches() {
        let source = Blobs::new(0);
        let mut stream = BatchStream::new(source.len(), 3);
        for _ in 0..3 {
            stream.next(&source, 16, 1.0);
            stream.while_drawing_next(&source, (16, 1.0), || ());
        }
        let mut light = stream.without_ahead();
        assert!(stream.ahead.is_some() && light.ahead.is_none());
        for _ in 0..3 {
            let (a, b) = (stream.next(&source, 16, 1.0), light.next(&source, 16, 1.0));
            assert_eq!((a.indices, a.x1, a.x2), (b.indices, b.x1, b.x2));
            stream.while_drawing_next(&source, (16, 1.0), || ());
        }
    }

    /// Blobs that note, for every view, the thread that drew it.
    struct Watched {
        blobs: Blobs,
        seen: std::sync::Mutex<Vec<Option<String>>>,
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
                seen.push(thread);
            }
            self.blobs.view(i, rng, strength)
        }
    }

    fn assert_same(batch: &Batch, expected: &Batch) {
        assert_eq!(batch.indices, expected.indices);
        assert_eq!(batch.x1, expected.x1);
        assert_eq!(batch.x2, expected.x2);
    }

    #[test]
    fn the_helper_draws_the_next_batch_during_the_step_with_the_inline_numbers() {
        let source = Watched {
            blobs: Blobs::new(0),
            seen: Default::default(),
        };
        // Other tests' trainers may have the helper's idle moments during one step: a few
        // steps, until one is drawn (partly) by the helper.
        const STEPS: usize = 20;
        let expected = inline(&source, &[(64, 1.0); STEPS + 1]);
        let mut stream = BatchStream::new(source.len(), 3);
        assert_same(&stream.next(&source, 64, 1.0), &expected[0]);
        let helper_drew = |seen: &[Option<String>]| {
            seen.iter()
                .any(|name| name.as_deref() == Some(helper::THREAD_NAME))
        };
        let mut drawn_by_helper = false;
        for expected in &expected[1..] {
            source.seen.lock().unwrap().clear();
            stream.while_drawing_next(&source, (64, 1.0), || {
                // The learner's step: long enough for the helper to take a sample.
                let start = web_time::Instant::now();
                while !helper_drew(&source.seen.lock().unwrap())
                    && start.elapsed() < std::time::Duration::from_millis(500)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
            let seen = source.seen.lock().unwrap().clone();
            assert_eq!(seen.len(), 128, "two views of each of 64 samples");
            assert_same(&stream.next(&source, 64, 1.0), expected);
            if helper_drew(&seen) {
                drawn_by_helper = true;
                break;
            }
        }
        let two_cores = std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
        assert_eq!(
            drawn_by_helper, two_cores,
            "the helper drew no sample in {STEPS} steps"
        );
    }

    /// A source whose views panic.
    struct Broken;

    impl Source for Broken {
        fn name(&self) -> String {
            "broken".into()
        }
        fn input(&self) -> crate::data::InputKind {
            crate::data::InputKind::Vector { dim: 2 }
        }
        fn class_names(&self) -> &[String] {
            &[]
        }
        fn len(&self) -> usize {
            8
        }
        fn base(&self, _: usize) -> &[f32] {
            &[0.0, 0.0]
        }
        fn label(&self, _: usize) -> usize {
            0
        }
        fn view(&self, _: usize, _: &mut Rng, _: f32) -> Vec<f32> {
            panic!("a broken view")
        }
    }

    #[test]
    fn a_draw_that_panics_leaves_nothing_ahead_and_the_step_its_result() {
        let mut stream = BatchStream::new(Broken.len(), 3);
        let result = stream.while_drawing_next(&Broken, (4, 1.0), || 7);
        assert_eq!(result, 7);
        assert!(stream.ahead.is_none());
        // The helper survived the panics it caught and still computes blocks.
        let done = AtomicUsize::new(0);
        let count = || {
            done.fetch_add(1, Ordering::Relaxed);
        };
        helper::share(&Takers(&count));
        assert_eq!(done.load(Ordering::Relaxed), 2);
    }
}
