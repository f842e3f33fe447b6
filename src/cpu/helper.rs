//! The helper thread that computes blocks of a product on the second core.
//!
//! A sleeping thread pool was measured to gain nothing here: waking a thread costs tens of
//! microseconds, about what a block of these products takes. The helper therefore *spins* for
//! a short while after each piece of work ([`SPIN`]), so the next product of the same step
//! finds it awake, and sleeps (parks) once the step is over. Between blocks it runs the idle
//! work a trainer offers ([`in_idle_moments`]: the next batch's samples, one at a time), and
//! while spinning it yields its core to any other thread waiting for one. The thread that
//! posts work never waits for the helper to wake: it starts on the first block at once and
//! takes every block the helper has not claimed, so a late or busy helper costs nothing but
//! the hand-over.
//!
//! One helper serves the whole process; a thread that finds it busy with another's product
//! computes its own product alone.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, Thread};
use std::time::Duration;
use web_time::Instant;

/// Work divided into numbered blocks that may run on either thread, in any order.
pub trait Blocks: Sync {
    fn count(&self) -> usize;
    fn block(&self, i: usize);
}

/// A value one block takes, or puts, once (a part of the work, or its result). Its lock's
/// poisoning (a panic in another block) is ignored: no other block touches this slot.
pub struct Slot<T>(Mutex<Option<T>>);

impl<T> Slot<T> {
    pub fn new(value: Option<T>) -> Self {
        Self(Mutex::new(value))
    }

    pub fn take(&self) -> Option<T> {
        self.lock().take()
    }

    pub fn put(&self, value: T) {
        *self.lock() = Some(value);
    }

    pub fn into_inner(self) -> Option<T> {
        self.0
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Option<T>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long the helper stays awake after its last block. A step's products follow each other
/// within tens to hundreds of microseconds (the element-wise passes between them).
const SPIN: Duration = Duration::from_micros(200);

// The post's life: the owner posts, then either the helper takes it (and later marks it done)
// or the owner withdraws it untaken.
const EMPTY: u8 = 0;
const POSTED: u8 = 1;
const TAKEN: u8 = 2;
const DONE: u8 = 3;

// The idle work's life: the owner offers it, the helper runs one unit of it at a time
// (RUNNING, then OFFERED again, or SPENT once none is left), the owner withdraws it.
const IDLE_NONE: u8 = 0;
const IDLE_OFFERED: u8 = 1;
const IDLE_RUNNING: u8 = 2;
const IDLE_SPENT: u8 = 3;

/// One small piece of work the helper runs between blocks: `false` once none is left.
pub type Unit<'a> = dyn Fn() -> bool + Sync + 'a;

struct Helper {
    /// Held by the thread whose work is posted, from posting until the last block is done.
    owned: AtomicBool,
    state: AtomicU8,
    next: AtomicUsize,
    /// Whether a block panicked on the helper (the owner re-raises it: those blocks are missing).
    failed: AtomicBool,
    /// The posted work, valid while `state` is `POSTED` or `TAKEN`.
    work: UnsafeCell<Option<&'static dyn Blocks>>,
    /// Held by the thread whose idle work is offered, from offering until withdrawing.
    idle_owned: AtomicBool,
    idle_state: AtomicU8,
    /// Set by the owner before it withdraws: the helper takes no further unit.
    idle_withdrawn: AtomicBool,
    /// The offered idle work, valid while `idle_state` is not IDLE_NONE.
    idle: UnsafeCell<Option<&'static Unit<'static>>>,
    thread: Thread,
}

// SAFETY: `work` is written only by the owner (holding `owned`) while no post is out, and read
// by the helper only after it moved `state` from POSTED to TAKEN (acquiring the write); `idle`
// likewise, under `idle_owned`, read only after moving `idle_state` from OFFERED to RUNNING.
unsafe impl Sync for Helper {}

static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();

/// The helper thread's name (as the system lists it).
pub const THREAD_NAME: &str = "gemm-helper";

/// The helper, started on first use, at the compute threads' priority
/// ([`crate::cpu::priority`]). `None` on a one-core machine or where no thread starts.
fn helper() -> Option<&'static Helper> {
    *HELPER.get_or_init(|| {
        if thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return None;
        }
        let (tx, rx) = std::sync::mpsc::channel::<&'static Helper>();
        let spawned = thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                // A compute thread like the trainer it helps: it gives way to the window.
                crate::cpu::priority::lower_this_thread();
                if let Ok(helper) = rx.recv() {
                    helper.serve();
                }
            })
            .ok()?;
        let helper: &'static Helper = Box::leak(Box::new(Helper {
            owned: AtomicBool::new(false),
            state: AtomicU8::new(EMPTY),
            next: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            work: UnsafeCell::new(None),
            idle_owned: AtomicBool::new(false),
            idle_state: AtomicU8::new(IDLE_NONE),
            idle_withdrawn: AtomicBool::new(false),
            idle: UnsafeCell::new(None),
            thread: spawned.thread().clone(),
        }));
        tx.send(helper).ok()?;
        Some(helper)
    })
}

impl Helper {
    fn serve(&self) {
        let mut awake_since = Instant::now();
        let mut spins = 0u32;
        loop {
            if self.state.load(Ordering::Acquire) == POSTED
                && self
                    .state
                    .compare_exchange(POSTED, TAKEN, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                // SAFETY: TAKEN keeps the owner waiting (see `share`) until DONE below, so the
                // work outlives this use.
                if let Some(work) = unsafe { *self.work.get() } {
                    let ran = catch_unwind(AssertUnwindSafe(|| run_blocks(work, &self.next)));
                    self.failed.store(ran.is_err(), Ordering::Relaxed);
                }
                self.state.store(DONE, Ordering::Release);
                awake_since = Instant::now();
            } else if self.idle_unit() {
                awake_since = Instant::now();
            } else {
                // The clock is read every 64th turn only: reading it costs more than a turn.
                spins = spins.wrapping_add(1);
                if !spins.is_multiple_of(64) {
                    std::hint::spin_loop();
                } else if awake_since.elapsed() < SPIN {
                    // A thread waiting for this core (the next batch being drawn) runs now.
                    thread::yield_now();
                } else {
                    // An `unpark` since the check above makes `park` return at once.
                    thread::park();
                    awake_since = Instant::now();
                }
            }
        }
    }

    /// Runs one unit of the offered idle work, if any is offered and not spent; whether it did.
    fn idle_unit(&self) -> bool {
        if self.idle_state.load(Ordering::Acquire) != IDLE_OFFERED
            || self.idle_withdrawn.load(Ordering::Acquire)
            || self
                .idle_state
                .compare_exchange(
                    IDLE_OFFERED,
                    IDLE_RUNNING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
        {
            return false;
        }
        // SAFETY: RUNNING keeps the owner waiting (see `Offer`'s drop) until the store
        // below, so the unit outlives this call. A unit that panics leaves its piece undone,
        // which its owner sees (see `in_idle_moments`); the helper goes on.
        let more = unsafe { *self.idle.get() }
            .is_some_and(|unit| catch_unwind(AssertUnwindSafe(unit)).unwrap_or(true));
        let next = if more { IDLE_OFFERED } else { IDLE_SPENT };
        self.idle_state.store(next, Ordering::Release);
        true
    }
}

/// Runs `work` on this thread while the helper, in the moments it has no block to compute,
/// runs `unit` (one small piece of other work per call, `false` once none is left: e.g. the
/// next batch's samples, one at a time). The helper checks for blocks between units, so a
/// product posted meanwhile waits for one unit at most. Pieces left when `work` returns are
/// the caller's; where the helper is absent, or another thread's idle work holds it, all are.
pub fn in_idle_moments<R>(unit: &Unit<'_>, work: impl FnOnce() -> R) -> R {
    let Some(helper) = helper().filter(|h| {
        h.idle_owned
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }) else {
        return work();
    };
    // SAFETY: the reference is used only until `Offer` is dropped in this frame (also when
    // `work` unwinds), which waits for the helper's unit in progress; `idle_owned` makes this
    // thread the only writer, and no idle work is offered (IDLE_NONE).
    unsafe {
        let unit = std::mem::transmute::<&Unit<'_>, &'static Unit<'static>>(unit);
        *helper.idle.get() = Some(unit);
    }
    helper.idle_withdrawn.store(false, Ordering::Relaxed);
    helper.idle_state.store(IDLE_OFFERED, Ordering::Release);
    helper.thread.unpark();
    let _offer = Offer(helper);
    work()
}

/// Offered idle work, withdrawn when dropped.
struct Offer(&'static Helper);

impl Drop for Offer {
    /// Waits for the helper's unit in progress, then frees the idle slot for the next owner.
    fn drop(&mut self) {
        let helper = self.0;
        // A hint that stops the helper from taking unit after unit; the state's own
        // OFFERED/SPENT → NONE is what makes the withdrawal safe.
        helper.idle_withdrawn.store(true, Ordering::Release);
        while [IDLE_OFFERED, IDLE_SPENT].into_iter().all(|from| {
            helper
                .idle_state
                .compare_exchange(from, IDLE_NONE, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        }) {
            std::hint::spin_loop(); // RUNNING: the unit in progress ends soon
        }
        // SAFETY: the helper runs no unit now and can take none (NONE: its CAS from OFFERED
        // fails) until the next owner offers its own.
        unsafe {
            *helper.idle.get() = None;
        }
        helper.idle_owned.store(false, Ordering::Release);
    }
}

fn run_blocks(work: &dyn Blocks, next: &AtomicUsize) {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= work.count() {
            return;
        }
        work.block(i);
    }
}

/// Computes every block of `work`, sharing them with the helper when it is free. Returns once
/// all blocks are done.
pub fn share(work: &dyn Blocks) {
    let Some(helper) = helper().filter(|h| {
        h.owned
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }) else {
        (0..work.count()).for_each(|i| work.block(i));
        return;
    };
    // SAFETY: the reference is used only until this function returns (the helper holds it only
    // between TAKEN and DONE, and `Post::close` waits for DONE before this frame ends, also
    // when unwinding); `owned` makes this thread the only writer, and no post is out (EMPTY).
    unsafe {
        let work: &'static dyn Blocks =
            std::mem::transmute::<&dyn Blocks, &'static dyn Blocks>(work);
        *helper.work.get() = Some(work);
    }
    helper.next.store(0, Ordering::Relaxed);
    helper.state.store(POSTED, Ordering::Release);
    helper.thread.unpark();
    // From here the helper may hold `work`: the post is closed before this frame ends, also
    // when a block panics on this thread (then `Post`'s drop waits for the helper).
    let mut post = Post {
        helper,
        closed: false,
    };
    run_blocks(work, &helper.next);
    let failed = post.close();
    assert!(
        !failed,
        "a block of a shared product panicked on the helper thread"
    );
}

/// A posted piece of work, until it is closed.
struct Post {
    helper: &'static Helper,
    closed: bool,
}

impl Post {
    /// Withdraws the post if the helper has not taken it, else waits for the helper's last
    /// block (it is computing it now); then frees the helper for the next poster. Whether a
    /// block panicked on the helper.
    fn close(&mut self) -> bool {
        if std::mem::replace(&mut self.closed, true) {
            return false;
        }
        let helper = self.helper;
        if helper
            .state
            .compare_exchange(POSTED, EMPTY, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            while helper.state.load(Ordering::Acquire) != DONE {
                std::hint::spin_loop();
            }
            helper.state.store(EMPTY, Ordering::Relaxed);
        }
        let failed = helper.failed.swap(false, Ordering::Relaxed);
        // SAFETY: no post is out; the helper will not read `work` again.
        unsafe {
            *helper.work.get() = None;
        }
        helper.owned.store(false, Ordering::Release);
        failed
    }
}

impl Drop for Post {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
