//! `contrastive-lab bench sweep --n N --steps S`: what a sweep costs. The app's sweep is N
//! pipelines (trainer and projector threads each) held in lockstep; this times one such
//! pipeline alone, then N together, each for `S` steps after a warm-up, at the app's settings
//! (SimCLR on digits, a snapshot every 5 steps, 1000 probe points), and prints the total steps/s
//! of the N against the one's (`ratio sweepN/single=`).

use crate::config::{DatasetKind, Method, RunConfig};
use crate::error::{LabError, Result};
use crate::pipeline::Pipeline;
use crate::train::{Command, Lockstep, Session, TrainDevice};
use std::time::{Duration, Instant};

const WARMUP: usize = 20;

/// The config each run of the timed sweep trains: the app's defaults, τ swept.
fn config(i: usize) -> RunConfig {
    let mut c = RunConfig::for_method(Method::SimClr);
    c.dataset = DatasetKind::Digits;
    c.snapshot_every = 5;
    c.temperature = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0][i % 6];
    c
}

/// Total steps/s of `n` pipelines trained together (in lockstep when more than one) for
/// `steps` steps each.
fn total_steps_per_s(n: usize, steps: usize, dev: &TrainDevice) -> Result<f64> {
    let sides = Lockstep::group(n);
    let mut pipelines = Vec::new();
    for (i, side) in sides.iter().enumerate() {
        let p = Pipeline::start(Session::new(config(i), dev.clone())?, true, None)?;
        if n > 1 {
            p.send(Command::Lockstep(Some(side.clone())));
        }
        pipelines.push(p);
    }
    for p in &pipelines {
        p.send(Command::Resume);
    }
    let slowest = |ps: &[Pipeline]| {
        ps.iter()
            .map(|p| p.published().status.step)
            .min()
            .unwrap_or_default()
    };
    let wait_for = |target: usize| -> Result<(usize, Instant)> {
        let limit = Instant::now() + Duration::from_secs(600);
        loop {
            let at = slowest(&pipelines);
            if at >= target {
                return Ok((at, Instant::now()));
            }
            if Instant::now() > limit || pipelines.iter().any(|p| !p.is_alive()) {
                return Err(LabError::invalid(
                    "bench sweep",
                    n,
                    "a run stopped training before the timed steps were done",
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let (from, start) = wait_for(WARMUP)?;
    let (to, end) = wait_for(WARMUP + steps)?;
    let seconds = (end - start).as_secs_f64().max(1e-9);
    Ok(n as f64 * (to - from) as f64 / seconds)
}

/// The lines `bench sweep` prints (and returns).
pub fn execute(n: usize, steps: usize, dev: &TrainDevice) -> Result<Vec<String>> {
    if !(2..=8).contains(&n) {
        return Err(LabError::invalid(
            "--n",
            n,
            "a sweep in the app has 2 to 8 values",
        ));
    }
    let single = total_steps_per_s(1, steps, dev)?;
    let together = total_steps_per_s(n, steps, dev)?;
    let lines = vec![
        format!(
            "bench sweep single device={} steps_per_s={single:.1}",
            dev.label
        ),
        format!(
            "bench sweep{n} device={} total_steps_per_s={together:.1} per_run={:.1}",
            dev.label,
            together / n as f64
        ),
        format!(
            "ratio sweep{n}/single={:.2} (total steps/s of {n} runs in lockstep against one run, target ≥ 0.85)",
            together / single
        ),
    ];
    for l in &lines {
        println!("{l}");
    }
    Ok(lines)
}
