//! Splits a training step's time into data preparation and the learner step.
use contrastive_lab::cli::bench::{bench_config, image_bench_config};
use contrastive_lab::config::Method;
use contrastive_lab::cpu::gemm::on_one_core;
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
    // `STEP_PROFILE_ROUNDS=1 STEP_PROFILE_STEPS=3` for an instruction count under callgrind.
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, rounds) = (env("STEP_PROFILE_STEPS", 40), env("STEP_PROFILE_ROUNDS", 5));
    // The fastest of `rounds` rounds of `n` (the least disturbed by other load on the machine).
    let mut data_ms = f64::INFINITY;
    let mut batches = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        batches = (0..n)
            .map(|_| sampler.next_batch(source.as_ref(), 256, 1.0, &mut rng))
            .collect();
        data_ms = data_ms.min(t.elapsed().as_secs_f64() * 1000.0 / n as f64);
    }
    let device = burn::tensor::Device::flex();
    let mut learner = Learner::new(&config, source.as_ref(), &device);
    for (i, b) in batches
        .iter()
        .take(env("STEP_PROFILE_WARMUP", 10))
        .enumerate()
    {
        let _ = learner.step(b, &config, i);
    }
    let mut step_ms = f64::INFINITY;
    for round in 0..rounds {
        // On one core: the same work, without the helper thread's spinning (which makes an
        // instruction count depend on timing). `STEP_PROFILE_ONE_CORE=1`.
        let mut steps = || {
            for (i, b) in batches.iter().enumerate() {
                let _ = learner.step(b, &config, round * n + i);
            }
        };
        let t = Instant::now();
        if env("STEP_PROFILE_ONE_CORE", 0) == 1 {
            on_one_core(steps)
        } else {
            steps()
        }
        step_ms = step_ms.min(t.elapsed().as_secs_f64() * 1000.0 / n as f64);
    }
    println!(
        "{method}: data {data_ms:.2} ms/batch, learner step {step_ms:.2} ms (best of {rounds} rounds of {n})"
    );
}
