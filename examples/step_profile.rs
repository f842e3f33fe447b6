//! Splits a training step's time into data preparation and the learner step.
use contrastive_lab::cli::bench::{bench_config, image_bench_config};
use contrastive_lab::config::Method;
use contrastive_lab::data::{self, Sampler};
use contrastive_lab::methods::Learner;
use contrastive_lab::rng::Rng;
use std::time::Instant;

fn main() {
    contrastive_lab::train::allocator::keep_freed_memory();
    // `simclr-shapes`: the bench's image case (the small CNN on shapes).
    let arg = std::env::args().nth(1).unwrap_or_default();
    let mut config = if arg == "simclr-shapes" {
        image_bench_config(256)
    } else {
        bench_config(arg.parse().unwrap_or(Method::SimClr), 256)
    };
    let method = config.method;
    // Optional width: a tiny model exposes the fixed per-step overhead.
    if let Some(w) = std::env::args().nth(2).and_then(|w| w.parse().ok()) {
        config.hidden_dim = w;
        config.feature_dim = w;
    }
    let source = data::build(&config).expect("dataset");
    let mut sampler = Sampler::new(source.len(), 0);
    let mut rng = Rng::new(0);
    let n = 100;
    let t = Instant::now();
    let batches: Vec<_> = (0..n)
        .map(|_| sampler.next_batch(source.as_ref(), 256, 1.0, &mut rng))
        .collect();
    let data_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let device = burn::tensor::Device::flex();
    let mut learner = Learner::new(&config, source.as_ref(), &device);
    for (i, b) in batches.iter().take(10).enumerate() {
        let _ = learner.step(b, &config, i);
    }
    let t = Instant::now();
    for (i, b) in batches.iter().enumerate() {
        let _ = learner.step(b, &config, i);
    }
    let step_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    println!("{method}: data {data_ms:.2} ms/batch, learner step {step_ms:.2} ms");
}
