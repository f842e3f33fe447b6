//! The Python references `bench` measures against (PyTorch, openTSNE, numpy): where their
//! scripts are, whether Python has their modules, and the numbers they print.

use crate::error::{LabError, Result};
use std::path::PathBuf;
use std::process::Command;

/// A reference script at `rel`, looked up from the working directory, then the crate.
pub fn reference_file(rel: &str) -> Option<PathBuf> {
    [
        std::env::current_dir().ok().map(|d| d.join(rel)),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

/// Whether `python3` can import `module`.
pub fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The number a reference script printed as `key=<x>`, or its last error line.
pub fn printed_number(out: &std::process::Output, key: &str, script: &str) -> Result<f64> {
    let prefix = format!("{key}=");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find_map(|w| w.strip_prefix(prefix.as_str()).and_then(|v| v.parse().ok()))
        .ok_or_else(|| {
            LabError::Device(format!(
                "{script} printed no {key}: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ))
        })
}
