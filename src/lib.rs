//! contrastive-lab: see contrastive and self-supervised learning happen.
//!
//! - [`config`]: `RunConfig`, the one description of an experiment.
//! - [`data`]: generated and shipped datasets, augmentations, the probe set.
//! - [`model`]: encoders, heads, the EMA teacher.
//! - [`methods`]: SimCLR, MoCo, CLIP, BYOL, SimSiam, Barlow Twins, DINO — one file each.
//! - [`metrics`]: collapse diagnostics and kNN accuracy.
//! - [`train`]: the session, the trainer thread, device choice.
//! - [`export`]: metrics/events CSV and Embedding Projector TSV.
//! - [`cli`]: the headless `run` and `bench` commands.

pub mod app;
pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod export;
pub mod lessons;
pub mod methods;
pub mod metrics;
pub mod model;
pub mod projection;
pub mod render;
pub mod rng;
pub mod scenario;
pub mod train;

pub use config::{Method, RunConfig};
pub use error::{LabError, Result};
