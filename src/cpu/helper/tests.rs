use super::*;
use std::sync::Mutex;

struct Record(Mutex<Vec<usize>>, usize);

impl Blocks for Record {
    fn count(&self) -> usize {
        self.1
    }
    fn block(&self, i: usize) {
        if let Ok(mut done) = self.0.lock() {
            done.push(i);
        }
    }
}

#[test]
fn every_block_runs_exactly_once_however_the_threads_share_them() {
    for count in [0, 1, 2, 7, 64] {
        for _ in 0..50 {
            let record = Record(Mutex::new(Vec::new()), count);
            share(&record);
            let mut done = record.0.into_inner().unwrap_or_default();
            done.sort_unstable();
            assert_eq!(done, (0..count).collect::<Vec<_>>());
        }
    }
}

#[test]
fn posters_on_several_threads_each_get_all_their_blocks() {
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..200 {
                    let record = Record(Mutex::new(Vec::new()), 5);
                    share(&record);
                    assert_eq!(record.0.into_inner().map(|d| d.len()).unwrap_or(0), 5);
                }
            });
        }
    });
}

struct PanicAt(usize, usize);

impl Blocks for PanicAt {
    fn count(&self) -> usize {
        self.1
    }
    fn block(&self, i: usize) {
        assert!(i != self.0, "block {i} fails");
    }
}

#[test]
fn a_failing_block_is_reported_and_the_helper_serves_the_next_product() {
    for failing in 0..4 {
        let failed = std::panic::catch_unwind(|| share(&PanicAt(failing, 4)));
        assert!(failed.is_err());
    }
    let record = Record(Mutex::new(Vec::new()), 6);
    share(&record);
    assert_eq!(record.0.into_inner().map(|d| d.len()).unwrap_or(0), 6);
}

/// Offers a unit that counts its calls (up to `limit`) while posting products, until the
/// helper ran a unit or 5 s passed; the calls then, and whether every product was whole.
fn offer_counting(limit: usize, during: impl FnOnce()) -> (usize, bool) {
    let calls = AtomicUsize::new(0);
    let unit = || calls.fetch_add(1, Ordering::Relaxed) + 1 < limit;
    let mut whole = true;
    in_idle_moments(&unit, || {
        let start = Instant::now();
        while calls.load(Ordering::Relaxed) == 0 && start.elapsed() < Duration::from_secs(5) {
            let record = Record(Mutex::new(Vec::new()), 4);
            share(&record);
            whole &= record.0.into_inner().map(|d| d.len()).unwrap_or(0) == 4;
        }
        during();
    });
    (calls.load(Ordering::Relaxed), whole)
}

#[test]
fn idle_work_runs_between_blocks_until_spent_and_never_after_withdrawal() {
    if helper().is_none() {
        return;
    }
    // Other tests' trainers may have the idle moments now and then: a few tries.
    let ran = (0..20).find_map(|_| {
        let (calls, whole) = offer_counting(3, || std::thread::sleep(Duration::from_millis(20)));
        assert!(whole, "a product lost blocks to the idle work");
        (calls > 0).then_some(calls)
    });
    // Spent after its third unit: the helper called it no more.
    assert_eq!(ran, Some(3));
    // Withdrawn while units were left: none runs afterwards.
    let calls = AtomicUsize::new(0);
    let unit = || {
        calls.fetch_add(1, Ordering::Relaxed);
        true
    };
    in_idle_moments(&unit, || std::thread::sleep(Duration::from_millis(5)));
    let after = calls.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(calls.load(Ordering::Relaxed), after);
}

#[test]
fn a_second_offer_while_one_is_out_runs_its_work_alone() {
    if helper().is_none() {
        return;
    }
    let inner_calls = AtomicUsize::new(0);
    let inner = || {
        inner_calls.fetch_add(1, Ordering::Relaxed);
        true
    };
    for _ in 0..20 {
        // Per try: a try whose outer offer found the helper taken (another test's) may have
        // let the inner one run, and says nothing of the next.
        inner_calls.store(0, Ordering::Relaxed);
        let mut result = 0;
        let (outer_calls, _) = offer_counting(usize::MAX, || {
            result = in_idle_moments(&inner, || 5);
        });
        assert_eq!(result, 5);
        if outer_calls > 0 {
            // The outer offer held the helper's idle moments throughout.
            assert_eq!(inner_calls.load(Ordering::Relaxed), 0);
            return;
        }
    }
    panic!("the helper ran no idle unit in 20 tries");
}

#[test]
fn a_panicking_unit_leaves_the_helper_serving() {
    if helper().is_none() {
        return;
    }
    let calls = AtomicUsize::new(0);
    let unit = || {
        calls.fetch_add(1, Ordering::Relaxed);
        panic!("a broken unit")
    };
    in_idle_moments(&unit, || {
        let start = Instant::now();
        while calls.load(Ordering::Relaxed) == 0 && start.elapsed() < Duration::from_secs(1) {
            std::hint::spin_loop();
        }
    });
    let record = Record(Mutex::new(Vec::new()), 6);
    share(&record);
    assert_eq!(record.0.into_inner().map(|d| d.len()).unwrap_or(0), 6);
}

#[cfg(target_os = "linux")]
#[test]
fn the_helper_runs_at_the_compute_threads_priority() {
    use crate::cpu::priority::{COMPUTE_NICENESS, niceness_of_threads};
    share(&Record(Mutex::new(Vec::new()), 2));
    if helper().is_some() {
        assert_eq!(niceness_of_threads(THREAD_NAME), vec![COMPUTE_NICENESS]);
    }
}
