//! The app's state as one JSON object: what the browser lab writes into its `#lab-status`
//! element at every snapshot, for tests and scripts to read.
//!
//! ```json
//! {"step":420,"loss":-0.93,"knn":0.97,"std_sqrt_d":0.88,"config":{"method":"simsiam",…},
//!  "runs":1,"errors":[],"drive":"frames","lesson":null,"snapshot_step":420,"steps_per_s":61.0,
//!  "timeline_step":null,"paused":false,"frames_per_s":30.2}
//! ```
//! `loss`, `knn` and `std_sqrt_d` are those of run A's newest snapshot (`null` before its
//! first); `config` is run A's config as its trainer published it; `errors` every message the
//! page showed; `timeline_step` the recorded step the views show (`null`: live).

use super::LabApp;
use serde_json::{Value, json};

impl LabApp {
    /// The state `#lab-status` shows, with `errors`, every message shown so far.
    pub fn lab_status(&self, errors: &[String]) -> Value {
        let published = self.published();
        let snapshot = published.snapshot.as_deref();
        let config = published
            .status
            .config
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(Value::Null);
        json!({
            "step": published.status.step,
            "loss": snapshot.map(|s| s.loss),
            "knn": snapshot.map(|s| s.diagnostics.knn_acc),
            "std_sqrt_d": snapshot.map(|s| s.diagnostics.spread()),
            "snapshot_step": snapshot.map(|s| s.step),
            "config": config,
            "runs": self.slots.len(),
            "errors": errors,
            "drive": self.drive.name(),
            "paused": published.status.paused,
            "lesson": self.lesson(),
            "timeline_step": self.shown_step(),
            "steps_per_s": published.status.steps_per_s,
            "frames_per_s": self.frames_per_second(),
        })
    }

    /// Every message the app shows now: the run's error, a file action's failure, the notice,
    /// why the trainer could not start (the page keeps each one it has seen).
    pub fn messages_shown(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.startup_error.clone());
        out.extend(self.slots.iter().filter_map(|s| s.status().error.clone()));
        if let Some(Err(e)) = &self.files.message {
            out.push(e.clone());
        }
        out.extend(self.notice.clone());
        out
    }
}
