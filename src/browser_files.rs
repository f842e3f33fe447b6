//! Files in the browser, where a page reaches no disk. A file the user picks (the browser's file
//! picker) is kept in memory under a path of its own, `picked:/NAME`, and the readers
//! ([`crate::limits::read_bounded`], recordings) read it as they read a file; what the app writes
//! (`export::write_atomic_with`) becomes a download named like the file. The File menu's
//! windows, the scenario, lesson, recording and CSV readers are thus the desktop's own.
//!
//! This module only holds the files and the requests; the page (`browser::page`) opens the
//! picker and starts the downloads. Natively nothing is picked, so every path is the disk's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Where picked files live.
pub const PREFIX: &str = "picked:/";

/// Picked files kept at once (the oldest goes first): a student opens a few files, not many.
pub const MAX_KEPT: usize = 8;

#[derive(Default)]
struct Store {
    /// Picked files, oldest first.
    picked: Vec<(String, Arc<[u8]>)>,
    /// What the app asked the picker for (the file types it accepts), not yet opened.
    requests: Vec<PickRequest>,
    /// Files written, for the page to hand to the browser as downloads.
    downloads: Vec<(String, Vec<u8>)>,
}

static STORE: Mutex<Store> = Mutex::new(Store {
    picked: Vec::new(),
    requests: Vec::new(),
    downloads: Vec::new(),
});

fn store() -> MutexGuard<'static, Store> {
    STORE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A request to open the browser's file picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickRequest {
    /// The extension the picker offers (`toml`, `clr`, `csv`), or any file.
    pub extension: Option<String>,
}

/// Keep `bytes`, picked as `name`, and return the path the readers find them at. A file of
/// the same name is replaced.
pub fn keep(name: &str, bytes: Vec<u8>) -> PathBuf {
    // The name is the browser's (the user's file name): only its last part, as text.
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_string();
    let mut s = store();
    s.picked.retain(|(n, _)| *n != name);
    s.picked.push((name.clone(), bytes.into()));
    let over = s.picked.len().saturating_sub(MAX_KEPT);
    s.picked.drain(..over);
    PathBuf::from(format!("{PREFIX}{name}"))
}

/// The picked file at `path`, if `path` names one.
pub fn read(path: &Path) -> Option<Arc<[u8]>> {
    let name = path.to_str()?.strip_prefix(PREFIX)?;
    store()
        .picked
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| Arc::clone(b))
}

/// Whether `path` is a picked file's (found or not: such a path never reaches the disk).
pub fn is_picked(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.starts_with(PREFIX))
}

/// Ask the page to open the file picker.
pub fn request_pick(extension: Option<&str>) {
    store().requests.push(PickRequest {
        extension: extension.map(str::to_string),
    });
}

/// The picker requests since the last call (the page opens the newest).
pub fn take_requests() -> Vec<PickRequest> {
    std::mem::take(&mut store().requests)
}

/// Hand `bytes` to the browser as a download named after `path`'s file name.
pub fn offer_download(path: &Path, bytes: Vec<u8>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "contrastive-lab-download".into());
    store().downloads.push((name, bytes));
}

/// The downloads written since the last call, oldest first.
pub fn take_downloads() -> Vec<(String, Vec<u8>)> {
    std::mem::take(&mut store().downloads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picked_file_reads_back_by_its_path_and_only_its_name_is_kept() {
        let path = keep("../../etc/lesson-under-test.toml", b"title = 'x'".to_vec());
        assert_eq!(path, PathBuf::from("picked:/lesson-under-test.toml"));
        assert!(is_picked(&path));
        assert_eq!(read(&path).as_deref(), Some(&b"title = 'x'"[..]));
        assert_eq!(read(Path::new("picked:/absent.toml")), None);
        assert_eq!(read(Path::new("lesson-under-test.toml")), None);
    }

    #[test]
    fn only_the_newest_picks_are_kept() {
        for i in 0..MAX_KEPT + 2 {
            keep(&format!("many-{i}.csv"), vec![i as u8]);
        }
        assert_eq!(read(Path::new("picked:/many-0.csv")), None);
        let last = format!("picked:/many-{}.csv", MAX_KEPT + 1);
        assert!(read(Path::new(&last)).is_some());
    }
}
