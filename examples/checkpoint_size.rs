//! What a rewind checkpoint (a fork of the session every 100 steps) really holds, against the
//! estimate the checkpoints' budget is divided by (`checkpoints::max_checkpoints`): for every
//! method on blobs, SimCLR on digits and shapes, CLIP on shapes (or the METHOD DATASET given),
//! the resident memory 15 checkpoints added, in a budget that keeps them all, each run in a
//! process of its own.
//!
//! ```sh
//! cargo run --release --example checkpoint_size [-- METHOD DATASET]
//! ```
use anyhow::Result;
use contrastive_lab::config::RunConfig;
use contrastive_lab::train::checkpoints::{CHECKPOINT_EVERY, Checkpoints};
use contrastive_lab::train::{Session, TrainDevice};

fn rss_mb() -> f64 {
    memory_stats::memory_stats().map_or(f64::NAN, |m| m.physical_mem as f64 / 1e6)
}

/// MB a checkpoint holds, measured, and the training state's MB.
fn per_checkpoint(method: &str, dataset: &str) -> Result<(f64, f64)> {
    let mut config = RunConfig::default();
    config.set("method", method)?;
    config.set("dataset", dataset)?;
    config.set("history_mb", "65536")?;
    let mut session = Session::new(config, TrainDevice::cpu())?;
    let mut checkpoints = Checkpoints::default();
    checkpoints.restart(&session);
    let mut train = |steps: usize| -> Result<()> {
        for _ in 0..steps {
            // A diverged step (none at the defaults) would only keep the state.
            let _ = session.step()?;
            checkpoints.keep(&session);
        }
        Ok(())
    };
    // Past the first checkpoints (the allocator's first growth), then 15 more.
    train(2 * CHECKPOINT_EVERY)?;
    let before = rss_mb();
    train(15 * CHECKPOINT_EVERY)?;
    let measured = (rss_mb() - before) / 15.0;
    Ok((
        measured,
        4.0 * session.learner().state_floats() as f64 / 1e6,
    ))
}

fn main() -> Result<()> {
    contrastive_lab::train::allocator::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [method, dataset] = args.as_slice() {
        let (measured, state) = per_checkpoint(method, dataset)?;
        let ratio = measured / state;
        println!("| {method} | {dataset} | {state:.2} | {measured:.2} | {ratio:.2} |");
        return Ok(());
    }
    println!("| method | dataset | state MB | a checkpoint, MB | ratio |");
    println!("|---|---|---|---|---|");
    let methods = [
        "simclr", "moco", "byol", "simsiam", "barlow", "vicreg", "dino", "dinov2",
    ];
    let runs = methods.iter().map(|m| (*m, "blobs")).chain([
        ("simclr", "digits"),
        ("simclr", "shapes"),
        ("clip", "shapes"),
    ]);
    // Each in a process of its own: one run's freed memory would hide the next one's growth.
    let me = std::env::current_exe()?;
    for (method, dataset) in runs {
        let out = std::process::Command::new(&me)
            .args([method, dataset])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "{method} on {dataset}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}
