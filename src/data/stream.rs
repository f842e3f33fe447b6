//! The training batches, drawn one step ahead on a second thread while the learner works on
//! the current one (on the CPU a step's data costs 10–20 % of its learner time; the second
//! core is otherwise idle for most of a step).
//!
//! The batch drawn ahead is exactly the one the sampler would draw at the next step: when the
//! settings it was drawn with (batch size, augmentation strength) change in between, it is
//! discarded and the sampler and its RNG are rewound, so a run's numbers are the same with or
//! without the look-ahead.

use super::{Batch, Sampler, Source};
use crate::rng::Rng;

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

    /// Run `work` while the following batch is drawn on another thread.
    pub fn while_drawing_next<R>(
        &mut self,
        source: &dyn Source,
        size: usize,
        strength: f32,
        work: impl FnOnce() -> R,
    ) -> R {
        let rewind = (self.sampler.clone(), self.rng.clone());
        let (sampler, rng) = (&mut self.sampler, &mut self.rng);
        let (result, drawn) = std::thread::scope(|scope| {
            let drawing = scope.spawn(move || sampler.next_batch(source, size, strength, rng));
            let result = work();
            (result, drawing.join())
        });
        match drawn {
            Ok(batch) => {
                self.ahead = Some(Ahead {
                    batch,
                    size,
                    strength,
                    rewind,
                })
            }
            // A draw that panicked leaves nothing ahead; the next step draws again, inline.
            Err(_) => (self.sampler, self.rng) = rewind,
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
            stream.while_drawing_next(&source, n, s, || ());
        }
    }
}
