//! A finished run's memory goes back to the system (`allocator::release_freed_memory`): with
//! the heap kept for training's speed (`keep_freed_memory`), 200 MB freed in the middle of it
//! would otherwise stay resident for the rest of a class.

use contrastive_lab::train::allocator::{keep_freed_memory, release_freed_memory};

fn rss_mb() -> f64 {
    memory_stats::memory_stats().map_or(f64::NAN, |m| m.physical_mem as f64 / 1e6)
}

#[test]
fn memory_freed_inside_the_heap_is_handed_back() {
    keep_freed_memory();
    // 200 blocks of 1 MiB (below the mmap threshold: on the heap), touched, then a small block
    // above them so that freeing them leaves a hole rather than a heap top to trim.
    let blocks: Vec<Vec<u8>> = (0..200).map(|i| vec![i as u8 | 1; 1 << 20]).collect();
    let pin = vec![7u8; 4096];
    let full = rss_mb();
    drop(blocks);
    let freed = rss_mb();
    release_freed_memory();
    let released = rss_mb();
    assert_eq!(pin[0], 7);
    println!("RSS {full:.0} MB full, {freed:.0} MB freed, {released:.0} MB released");
    assert!(
        freed > full - 50.0,
        "freed blocks stay resident without the release ({full:.0} → {freed:.0} MB)"
    );
    assert!(
        released < freed - 150.0,
        "the release hands the free pages back ({freed:.0} → {released:.0} MB)"
    );
}
