//! What a trainer thread publishes: one [`Published`] value, replaced whole (one `Arc` swap),
//! so that every field a reader takes belongs to the same run and the same moment.

use super::session::{Incident, Session};
use crate::config::RunConfig;
use crate::run::History;
use crate::run::snapshot::{Event, Snapshot};
use std::sync::Arc;

/// What the UI shows besides the snapshot. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub step: usize,
    pub paused: bool,
    pub steps_per_s: f64,
    pub device: String,
    pub config: Option<RunConfig>,
    pub events: Vec<Event>,
    /// The last error (invalid value, failed rebuild …), shown as a banner until dismissed.
    pub error: Option<String>,
    /// The last non-finite-loss incident.
    pub incident: Option<Incident>,
    /// Latest training loss.
    pub loss: f64,
    /// Increments whenever the run starts over (reset, replaced config): views drop what they
    /// kept of the previous run.
    pub run_id: u64,
    /// Class names of the dataset, indexed by label.
    pub class_names: Vec<String>,
    /// What the dataset wants the user to know (e.g. unreadable files skipped).
    pub data_warning: Option<String>,
    /// Scripted changes still ahead (a scenario's or lesson's auto-play).
    pub script: Vec<crate::scenario::ScriptStep>,
    /// How many commands the trainer has taken from its channel, in the order they were sent:
    /// a command whose number ([`Trainer::send`]) is at most this is reflected in this state
    /// (the app shows a setting it sent as pending until then).
    pub handled: u64,
    /// Recovering a run (see [`super::Command::Recover`]): the step its replay goes to.
    pub recovering: Option<usize>,
}

/// Several augmented views of one probe sample, as the trainer's dataset makes them.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentationPreview {
    pub input: crate::data::InputKind,
    /// The clean sample, flattened.
    pub base: Vec<f32>,
    /// Views at `strength`, each flattened like `base`.
    pub views: Vec<Vec<f32>>,
    pub strength: f64,
    pub label: String,
}

/// The probe's clean samples, for hover thumbnails. Published once per run.
#[derive(Clone, Debug)]
pub struct ProbeSamples {
    pub input: crate::data::InputKind,
    /// `[n, input_len]`
    pub inputs: Vec<f32>,
    /// Caption of each probe sample, where the dataset has them.
    pub captions: Vec<Option<String>>,
    /// Dataset index of each probe sample, and the size of the kNN reference split (exports).
    pub indices: Vec<usize>,
    pub n_reference: usize,
}

pub(super) fn probe_samples(session: &Session) -> ProbeSamples {
    let source = session.source();
    let probe = session.probe();
    ProbeSamples {
        input: source.input(),
        inputs: probe.inputs.clone(),
        captions: probe
            .indices
            .iter()
            .map(|&i| source.caption_text(i))
            .collect(),
        indices: probe.indices.clone(),
        n_reference: probe.n_reference,
    }
}

/// Views in a preview.
pub const PREVIEW_VIEWS: usize = 8;

pub(super) fn make_preview(session: &Session) -> Option<AugmentationPreview> {
    let source = session.source();
    let index = *session.probe().indices.first()?;
    let strength = session.config().augment_strength;
    // A fixed stream: the same views for the same strength, so the grid changes only when the
    // strength does.
    let mut rng = crate::rng::Rng::fork(session.config().seed, "preview");
    Some(AugmentationPreview {
        input: source.input(),
        base: source.base(index).to_vec(),
        views: (0..PREVIEW_VIEWS)
            .map(|_| source.view(index, &mut rng, strength as f32))
            .collect(),
        strength,
        label: source
            .class_names()
            .get(source.label(index))
            .cloned()
            .unwrap_or_default(),
    })
}

/// Everything a run publishes, replaced as a whole: each field belongs to the same run
/// (`status.run_id`) and the same moment.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub status: Status,
    /// The newest snapshot of this run.
    pub snapshot: Option<Arc<Snapshot>>,
    /// One row per snapshot of this run.
    pub history: History,
    /// Views of one sample at the current augmentation strength.
    pub preview: Option<Arc<AugmentationPreview>>,
    /// The probe's clean samples (hover thumbnails, exports).
    pub probe: Option<Arc<ProbeSamples>>,
    /// The future the last rewind abandoned (the plots draw it as ghost curves; the views can
    /// show it beside the new path).
    pub branch: Option<Arc<Branch>>,
}

/// A future abandoned by a rewind: the step it branched at, its metrics and its recording.
#[derive(Debug)]
pub struct Branch {
    pub from: usize,
    pub history: History,
    pub recording: crate::run::Recording,
}
