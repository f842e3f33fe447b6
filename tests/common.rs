//! Shared helpers for the integration tests.
#![allow(dead_code)]

use contrastive_lab::cli::run::train;
use contrastive_lab::config::RunConfig;
use contrastive_lab::train::{Session, Snapshot, TrainDevice};

/// Train `config` headless on the CPU; panics with the error if the run cannot start.
pub fn run(config: RunConfig) -> Vec<Snapshot> {
    let mut session = Session::new(config, TrainDevice::cpu()).unwrap_or_else(|e| panic!("{e}"));
    let (snaps, incident) = train(&mut session, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(incident.is_none(), "unexpected incident: {incident:?}");
    snaps
}

pub fn config(method: &str, dataset: &str, steps: usize, sets: &[(&str, &str)]) -> RunConfig {
    let mut c = RunConfig::for_method(method.parse().unwrap_or_else(|e| panic!("{e}")));
    c.set("dataset", dataset).unwrap_or_else(|e| panic!("{e}"));
    c.steps = steps;
    for (k, v) in sets {
        c.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    c
}

/// std·√d: 1 for embeddings spread over the sphere, 0 for a collapsed point.
pub fn spread(s: &Snapshot) -> f64 {
    s.diagnostics.std / s.diagnostics.std_ref
}
