//! Training: device choice, the deterministic [`Session`] core, snapshots and events, and the
//! [`Trainer`] thread the app steers with commands.

pub mod allocator;
pub mod checkpoints;
pub mod command;
pub mod device;
pub mod history;
pub mod lockstep;
pub mod published;
pub mod recording;
pub mod session;
pub mod trainer;
pub mod worker;

pub use crate::run::{Event, Snapshot};
pub use device::{DeviceChoice, TrainDevice};
pub use history::{History, MetricsRow};
pub use recording::Recording;
pub use session::{Incident, Session};
pub use worker::{
    AugmentationPreview, Branch, Command, Lockstep, LockstepSide, ProbeSamples, Published, Reply,
    SnapshotSink, Status, Trainer,
};
