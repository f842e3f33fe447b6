//! Training: device choice, the deterministic [`Session`] core, snapshots and events, and the
//! [`Trainer`] thread the app steers with commands.

pub mod allocator;
pub mod checkpoints;
pub mod command;
pub mod device;
pub mod lockstep;
pub mod published;
pub mod session;
pub mod trainer;
pub mod worker;

// The run's own types, where a trainer's user looks for them.
pub use crate::run::{Event, History, MetricsRow, Recording, Snapshot};
pub use command::{Command, Reply};
pub use device::{DeviceChoice, TrainDevice};
pub use lockstep::{Lockstep, LockstepSide};
pub use published::{AugmentationPreview, Branch, ProbeSamples, Published, Status};
pub use session::{Incident, Session};
pub use trainer::Trainer;
pub use worker::SnapshotSink;
