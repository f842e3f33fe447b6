//! The handle the UI (or a test) holds on a trainer: it sends commands and reads the latest
//! [`Published`] state, which the trainer's worker (see [`super::worker`]) replaces as a whole
//! (one `Arc` swap), so a reader never waits for training and never sees one run's snapshot
//! with another run's id. The worker runs on a thread of its own ([`Drive::Threads`]) or in
//! the caller's [`Trainer::tick`] ([`Drive::Frames`]): the same turns either way.

use super::command::Command;
use super::device::TrainDevice;
use super::published::{Published, Status};
use super::session::Session;
use super::worker::{SnapshotSink, Worker, lock};
use crate::config::{RunConfig, Setting};
use crate::error::{LabError, Result};
use crate::run::drive::Ticked;
use crate::run::snapshot::Snapshot;
use crate::run::{Drive, Waker};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use web_time::Instant;

/// The trainer thread's name (the CPU accounting of `--stats` and the priority tests find it).
pub const THREAD_NAME: &str = "trainer";

/// A running trainer: commands in, published state out. Dropping it stops it.
pub struct Trainer {
    tx: Sender<Command>,
    /// Commands sent so far (the number of the last one).
    sent: AtomicU64,
    published: Arc<Mutex<Arc<Published>>>,
    recording: Arc<Mutex<crate::run::Recording>>,
    engine: Engine,
}

/// Who runs the worker's turns.
enum Engine {
    Thread(Option<JoinHandle<()>>),
    /// [`Trainer::tick`]: the worker and its end of the channel (`None` once it stopped).
    Frames(Mutex<Option<(Box<Worker>, Receiver<Command>)>>),
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
        Self::driven(Drive::Threads, session, paused, waker, sink)
    }

    /// Start a trainer on `session` driven by `drive`: on a thread of its own, or by
    /// [`Self::tick`] (its first tick takes the run's first snapshot).
    pub fn driven(
        drive: Drive,
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
        let recording = Arc::new(Mutex::new(crate::run::Recording::with_budget(
            session.config().history_mb << 20,
        )));
        let record = Arc::clone(&recording);
        let worker = Worker::new(session, paused, first, out, waker, sink, record);
        let engine = match drive {
            Drive::Threads => {
                let join = std::thread::Builder::new()
                    .name(THREAD_NAME.into())
                    .spawn(move || {
                        crate::cpu::priority::lower_this_thread();
                        let mut worker = worker;
                        worker.run(rx);
                    })
                    .map_err(|source| LabError::Thread {
                        what: "trainer",
                        source,
                    })?;
                Engine::Thread(Some(join))
            }
            Drive::Frames => Engine::Frames(Mutex::new(Some((Box::new(worker), rx)))),
        };
        Ok(Self {
            tx,
            sent: AtomicU64::new(0),
            published,
            recording,
            engine,
        })
    }

    /// How this trainer is driven.
    pub fn drive(&self) -> Drive {
        match self.engine {
            Engine::Thread(_) => Drive::Threads,
            Engine::Frames(_) => Drive::Frames,
        }
    }

    /// Under [`Drive::Frames`], take turns until `until`, a snapshot, or nothing to do (at
    /// least one); on a thread, nothing (the thread takes its own).
    pub fn tick(&self, until: Instant) -> Ticked {
        let Engine::Frames(worker) = &self.engine else {
            return Ticked::default();
        };
        let mut guard = lock(worker);
        let Some((w, rx)) = guard.as_mut() else {
            return Ticked::default();
        };
        let ticked = w.tick(rx, until);
        if ticked.stopped {
            *guard = None;
        }
        ticked
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
    pub fn recording(&self) -> MutexGuard<'_, crate::run::Recording> {
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
        match &self.engine {
            Engine::Thread(join) => join.as_ref().is_some_and(|j| !j.is_finished()),
            Engine::Frames(worker) => lock(worker).is_some(),
        }
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Shutdown);
        if let Engine::Thread(join) = &mut self.engine
            && let Some(j) = join.take()
        {
            let _ = j.join();
        }
    }
}
