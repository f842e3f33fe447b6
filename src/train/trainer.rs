//! The handle the UI (or a test) holds on a trainer thread: it sends commands and reads the
//! latest [`Published`] state, which the thread (see [`super::worker`]) replaces as a whole (one
//! `Arc` swap), so a reader never waits for training and never sees one run's snapshot with
//! another run's id.

use super::command::Command;
use super::device::TrainDevice;
use super::published::{Published, Status};
use super::session::Session;
use super::snapshot::Snapshot;
use super::worker::Worker;
use crate::config::{RunConfig, Setting};
use crate::error::{LabError, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded value is an `Arc` swapped in one move: a panic cannot leave it half-written.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Receives each new snapshot with its run id (a pipeline passes its projector's inbox).
pub type SnapshotSink = Box<dyn Fn(u64, Arc<Snapshot>) + Send + 'static>;

/// The trainer thread's name (the CPU accounting of `--stats` and the priority tests find it).
pub const THREAD_NAME: &str = "trainer";

/// Called after each publish (the app passes `ctx.request_repaint`).
pub type Waker = Box<dyn Fn() + Send + 'static>;

/// A running trainer thread: commands in, published state out. Dropping it stops the thread.
pub struct Trainer {
    tx: Sender<Command>,
    /// Commands sent so far (the number of the last one).
    sent: AtomicU64,
    published: Arc<Mutex<Arc<Published>>>,
    recording: Arc<Mutex<super::Recording>>,
    join: Option<JoinHandle<()>>,
}

impl Trainer {
    /// Start a trainer thread on `session`, running unless `paused`. `sink` receives every
    /// snapshot; `waker` is called after every publication.
    pub fn spawn(
        session: Session,
        paused: bool,
        waker: Option<Waker>,
        sink: Option<SnapshotSink>,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let first = Published {
            status: Status {
                paused,
                device: session.device().label.clone(),
                config: Some(session.config().clone()),
                ..Status::default()
            },
            ..Published::default()
        };
        let published = Arc::new(Mutex::new(Arc::new(first.clone())));
        let out = Arc::clone(&published);
        let recording = Arc::new(Mutex::new(super::Recording::with_budget(
            session.config().history_mb << 20,
        )));
        let record = Arc::clone(&recording);
        let join = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                super::priority::lower_this_thread();
                Worker::new(session, paused, first, out, waker, sink, record).run(rx);
            })
            .map_err(|source| LabError::Thread {
                what: "trainer",
                source,
            })?;
        Ok(Self {
            tx,
            sent: AtomicU64::new(0),
            published,
            recording,
            join: Some(join),
        })
    }

    /// Start a trainer for `config` on `device`.
    pub fn start(
        config: RunConfig,
        device: TrainDevice,
        paused: bool,
        waker: Option<Waker>,
    ) -> Result<Self> {
        Self::spawn(Session::new(config, device)?, paused, waker, None)
    }

    /// Send `command`; returns its number, which the published `status.handled` reaches once
    /// the trainer has taken it.
    pub fn send(&self, command: Command) -> u64 {
        let number = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        // The worker only stops on Shutdown or drop; a send after that has nobody to tell.
        let _ = self.tx.send(command);
        number
    }

    pub fn set(&self, setting: Setting) {
        self.send(Command::Set(setting));
    }

    /// Every snapshot of the current run, within the `history_mb` budget (the timeline reads
    /// it; hold the lock briefly).
    pub fn recording(&self) -> MutexGuard<'_, super::Recording> {
        lock(&self.recording)
    }

    /// The newest published state, without waiting for training (one short lock, one `Arc`).
    pub fn published(&self) -> Arc<Published> {
        Arc::clone(&lock(&self.published))
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.published().snapshot.clone()
    }

    pub fn status(&self) -> Status {
        self.published().status.clone()
    }

    pub fn is_alive(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}
