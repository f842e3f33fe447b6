//! The memory a run holds as it trains: a headless pipeline (trainer and projector, as the app
//! runs each run) on a method and dataset, with the process's RSS and the recording's size every
//! 5 s. The figures in docs/benchmarks.md ("Checkpoints within their budget") come from it:
//!
//! ```sh
//! cargo run --release --example run_memory -- simclr shapes [KEY=VALUE…] [--seconds 80]
//! ```
use anyhow::{Context, Result, bail};
use contrastive_lab::config::RunConfig;
use contrastive_lab::pipeline::Pipeline;
use contrastive_lab::train::{Session, TrainDevice};
use std::time::Duration;

fn rss_mb() -> f64 {
    memory_stats::memory_stats().map_or(f64::NAN, |m| m.physical_mem as f64 / 1e6)
}

fn main() -> Result<()> {
    contrastive_lab::train::allocator::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let (Some(method), Some(dataset)) = (args.next(), args.next()) else {
        bail!("usage: run_memory METHOD DATASET [KEY=VALUE…] [--seconds N]");
    };
    let mut config = RunConfig::default();
    config.set("method", &method)?;
    config.set("dataset", &dataset)?;
    let mut seconds = 80;
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            let n = args.next().context("--seconds needs a number")?;
            seconds = n.parse().with_context(|| format!("--seconds {n}"))?;
        } else {
            config.set_pair(&arg)?;
        }
    }
    let session = Session::new(config, TrainDevice::cpu())?;
    println!("seconds,step,rss_mb,recorded_mb");
    println!("0,0,{:.1},0.0", rss_mb());
    let run = Pipeline::start(session, false, None)?;
    for i in 1..=seconds / 5 {
        std::thread::sleep(Duration::from_secs(5));
        let step = run.published().status.step;
        let recorded = run.recording().bytes() as f64 / 1e6;
        println!("{},{step},{:.1},{recorded:.1}", 5 * i, rss_mb());
    }
    Ok(())
}
