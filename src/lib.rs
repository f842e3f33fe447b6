//! contrastive-lab: see contrastive and self-supervised learning happen.
//!
//! # The data path
//!
//! ```text
//!  UI thread (eframe)          trainer thread (one per run)        projector thread (one per run)
//!  ─────────────────           ────────────────────────────        ──────────────────────────────
//!  panels, keys → AppCommand
//!  (applied after the frame;
//!  a RunSlot per run) ─Command─► Session: model, optimizer, data,
//!  (mpsc channel)              RNG; steps; every k steps a
//!                              Snapshot ──Arc<Snapshot>──────────► PCA, sphere view, t-SNE
//!                              (latest-value inbox)                (warm-started)
//!  ◄──Arc<Published>────────── status + snapshot + history,        │
//!  ◄──Arc<Layouts>─────────────── swapped whole ───────────────────┘ {run_id, pca, sphere, tsne}
//!  (one Arc each per frame, never waits; both threads wake the UI with request_repaint)
//! ```
//!
//! - The trainer thread owns everything that trains ([`train::Session`]); nothing else touches
//!   the model. The projector thread owns the layouts. The UI owns only views and settings.
//! - A run = one [`pipeline::Pipeline`] (trainer → projector → published state, and its
//!   recording); N runs are N pipelines (compare mode: run B is a second one, held in lockstep).
//!   Headless `run` drives a [`train::Session`] directly, with the same projections.
//! - In the browser there are no threads: the same trainer and projector take their turns in
//!   a slice of each frame ([`run::Drive::Frames`], `Pipeline::tick`), with the same numbers.
//!
//! # Modules
//! - [`config`]: `RunConfig`, the one description of an experiment; every setting declared
//!   once (`settings!`), typed end to end (`Key`, `Setting`, `Command::Set(Setting)`).
//! - [`data`]: generated and shipped datasets, your images and CSV files, augmentations, the
//!   probe set (and CLIP's zero-shot prompts).
//! - [`model`]: encoders, heads, the EMA teacher.
//! - [`cpu`]: the CPU path's kernels: products split over both cores (a helper thread takes
//!   half of each), and the layers as host ops with their backward passes in Burn's graph.
//! - [`methods`]: SimCLR, MoCo, CLIP, BYOL, SimSiam, Barlow Twins, VICReg, DINO (and DINOv2,
//!   in DINO's file) — one file each: the paper's loss first, then one
//!   [`methods::MethodSpec`] (title, knobs, metrics and how they are measured, `forward`);
//!   the CPU's fast paths apart in [`methods::fast`] and [`methods::parallel`].
//! - [`metrics`]: collapse diagnostics, kNN accuracy, neighbour agreement of two runs.
//! - [`run`]: what a run's parts share, below them: the snapshot, how they are driven
//!   (threads or frames), the waker, the compute threads' priority.
//! - [`train`]: the session (and its fork, its rewind, its checkpoints), the trainer thread
//!   and its handle, what it publishes and records (every snapshot, for the timeline), device
//!   choice.
//! - [`projection`]: PCA, the sphere view, t-SNE, and the projector thread.
//! - [`pipeline`]: one run's trainer and projector together.
//! - [`app`]: the eframe app. Every run it shows is a [`app::run_slot::RunSlot`] over one
//!   pipeline (one poll; its config is the trainer's published one plus the changes not yet
//!   taken); panels, menus, keys and file windows give one typed `AppCommand`
//!   ([`app::command`]), applied in one place ([`app::apply`]); [`render`]: the WGSL point
//!   renderer, GIF animations.
//! - [`lessons`], [`scenario`]: one-click demonstrations and their files; [`sweep`]: one
//!   setting over several values (a run per value and seed).
//! - [`export`]: metrics/events CSV and Embedding Projector TSV; [`recorded`]: a whole run
//!   (every snapshot) in one file, for the timeline; [`web`]: a recording as one offline web
//!   page.
//! - [`cli`]: the headless `run` (one run, two compared, a sweep) and `bench` commands (the
//!   desktop's).
//! - [`link`]: a run as the browser lab's URL hash; [`browser_files`]: files in the browser
//!   (picked ones in memory, written ones downloaded); `browser` (wasm only): the page around
//!   the app.
//!
//! `ARCHITECTURE.md` at the root follows a knob change and a snapshot hop by hop, says where
//! to add a method, a metric, a view or a lesson, and which files are one declarative table.

pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod browser_files;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod config;
pub mod cpu;
pub mod data;
pub mod error;
pub mod export;
pub mod lessons;
pub mod limits;
pub mod link;
pub mod methods;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod projection;
pub mod recorded;
pub mod render;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod train;
pub mod web;

pub use config::{Method, RunConfig};
pub use error::{LabError, Result};
