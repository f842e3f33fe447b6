//! `RunConfig`: one flat description of an experiment, spoken by the CLI (`--set key=value`),
//! config/scenario files (TOML `key = value`), the trainer and the app.
//!
//! Every setting is declared once, in the [`settings!`] block below: name, type, default (per
//! method where the paper differs), how a change applies, valid range, widget label and help.
//! Everything else derives from it: the typed [`Key`] and [`Setting`], [`RunConfig::get`] and
//! [`RunConfig::apply`] (the single path through which any setting changes, so the CLI, files
//! and the UI validate identically), the `settings` listing, the docs/cli.md table and the app's
//! widgets. Each method lists the knobs it shows in its spec beside its loss (`methods/*.rs`, `SPEC`).

mod choices;
mod settings;

pub use choices::{Centering, DEFAULT_OUT_DIM, DatasetKind, Method, NormKind, OptimizerKind};

pub use settings::{Apply, Domain, SettingValue, Spec, WidgetKind};

use crate::error::{LabError, Result};
use settings::settings;

settings! {
    Method method: Method = Method::SimClr;
        Rebuild, Domain::Any, "method",
        "simclr | moco | clip | byol | simsiam | barlow | vicreg | dino | dinov2";
    Dataset dataset: DatasetKind = DatasetKind::Blobs, Clip => DatasetKind::Shapes;
        Rebuild, Domain::Any, "dataset",
        "blobs | shapes | digits | folder:PATH | csv:PATH (CLIP pairs shapes with captions)";
    Seed seed: u64 = 0;
        Rebuild, Domain::Any, "seed",
        "seed of data, augmentation and initialisation: same seed ⇒ same numbers";
    Steps steps: usize = 300;
        Live, Domain::log_range(1.0, 10_000_000.0), "steps",
        "training steps of a headless run";
    BatchSize batch_size: usize = 256;
        Live, Domain::log_range(2.0, 4096.0), "batch size",
        "samples per step, two views each (SimCLR: 2N−2 negatives per anchor, CLIP: N−1)";
    AugmentStrength augment_strength: f64 = 1.0;
        Live, Domain::range(0.0, 3.0), "augmentation strength",
        "0 = identical views (trivial task), 1 = default, 3 = views that destroy the signal";
    ProbeSize probe_size: usize = 1000;
        Rebuild, Domain::log_range(50.0, 20_000.0), "probe points",
        "labelled samples embedded at every snapshot for diagnostics and views";
    SnapshotEvery snapshot_every: usize = 10;
        Live, Domain::log_range(1.0, 1_000_000.0), "steps per snapshot",
        "steps between diagnostics snapshots (rows of metrics.csv)";
    HistoryMb history_mb: usize = 64;
        Live, Domain::log_range(16.0, 65_536.0), "history memory (MB)",
        "memory the timeline keeps snapshots in; over it, older ones are thinned evenly (never those at events)";
    HiddenDim hidden_dim: usize = 128;
        Rebuild, Domain::log_range(2.0, 4096.0), "hidden width",
        "width of the encoder's and heads' hidden layers";
    FeatureDim feature_dim: usize = 64;
        Rebuild, Domain::log_range(2.0, 4096.0), "representation dimension",
        "encoder output (the representation kNN accuracy is measured on)";
    OutDim out_dim: usize = DEFAULT_OUT_DIM;
        Rebuild, Domain::log_range(2.0, 1024.0), "output dimension d",
        "projector output dimension d (the embedding the loss sees); 2 or 3 shows the raw sphere";
    ProjectorBn projector_bn: bool = true, Moco => false, Clip => false;
        Live, Domain::Any, "norm in projector",
        "normalisation (the kind `norm` chooses) in the projector's hidden layer (weights kept when switched off)";
    Predictor predictor: bool = true;
        Live, Domain::Any, "predictor",
        "BYOL/SimSiam predictor head; off ⇒ collapse";
    PredictorBn predictor_bn: bool = true;
        Live, Domain::Any, "norm in predictor",
        "normalisation (the kind `norm` chooses) in the predictor's hidden layer";
    Norm norm: NormKind = NormKind::Batch;
        Live, Domain::Any, "norm kind",
        "batch | layer | none: the kind of normalisation where projector_bn / predictor_bn are on (batch statistics couple the samples of a batch; layer statistics are each sample's own)";
    PredictorHidden predictor_hidden: usize = 0;
        Rebuild, Domain::log_range(0.0, 4096.0), "predictor width",
        "predictor bottleneck width (0 = out_dim/4, at least 8, as in SimSiam)";
    Optimizer optimizer: OptimizerKind = OptimizerKind::Adam, SimSiam => OptimizerKind::Sgd;
        Live, Domain::Any, "optimizer",
        "adam | sgd (SGD uses sgd_momentum); switching restarts the optimizer state";
    Lr lr: f64 = 1e-3, SimSiam => 0.05;
        Live, Domain::log_range(1e-7, 1e6), "learning rate",
        "learning rate (up to absurd values on purpose: a diverging run is caught and explained)";
    SgdMomentum sgd_momentum: f64 = 0.9;
        Live, Domain::range(0.0, 0.999_999), "SGD momentum",
        "SGD momentum (PyTorch convention: no dampening)";
    WeightDecay weight_decay: f64 = 0.0, SimSiam => 1e-4;
        Live, Domain::log_range(0.0, 1.0), "weight decay",
        "L2 weight decay";
    Temperature temperature: f64 = 0.5, Moco => 0.2, Clip => 0.07;
        Live, Domain::log_range(1e-3, 100.0), "temperature τ",
        "τ of SimCLR/MoCo/CLIP: low τ ⇒ sharper softmax, more uniform embedding";
    LearnableTemperature learnable_temperature: bool = false, Clip => true;
        Live, Domain::Any, "learn τ",
        "CLIP: learn τ (logit scale 1/τ capped at 100) instead of fixing it";
    Momentum momentum: f64 = 0.99;
        Live, Domain::range(0.0, 1.0), "EMA momentum",
        "EMA momentum of MoCo's key encoder / BYOL's target / DINO's teacher (0 = copy of the online net)";
    MomentumSchedule momentum_schedule: bool = false;
        Live, Domain::Any, "cosine momentum schedule",
        "raise the EMA momentum towards 1 with a cosine schedule over momentum_horizon steps (BYOL/DINO)";
    MomentumHorizon momentum_horizon: usize = 3000;
        Live, Domain::log_range(1.0, 10_000_000.0), "schedule horizon (steps)",
        "steps over which the cosine momentum schedule reaches 1 (the papers: the whole run; a live run has no end, so a fixed horizon; set it to `steps` to follow the papers headless)";
    QueueSize queue_size: usize = 4096;
        Live, Domain::log_range(1.0, 65_536.0), "queue size K",
        "MoCo: number K of negative keys kept in the FIFO queue";
    StopGradient stop_gradient: bool = true;
        Live, Domain::Any, "stop-gradient",
        "SimSiam/BYOL: no gradient through the target branch; off ⇒ collapse";
    Lambda lambda: f64 = RunConfig::default_lambda(DEFAULT_OUT_DIM);
        Live, Domain::log_range(0.0, 100.0), "λ (off-diagonal weight)",
        "Barlow Twins off-diagonal weight (0 = invariance only ⇒ dimensional collapse; default 1/d)";
    InvarianceWeight invariance_weight: f64 = 25.0;
        Live, Domain::log_range(0.0, 1000.0), "invariance weight λ",
        "VICReg: weight of the invariance term, the mean squared error between the views' embeddings";
    VarianceWeight variance_weight: f64 = 25.0;
        Live, Domain::log_range(0.0, 1000.0), "variance weight μ",
        "VICReg: weight of the variance term, a hinge max(0, 1 − std) per dimension (0 ⇒ collapse)";
    CovarianceWeight covariance_weight: f64 = 1.0;
        Live, Domain::log_range(0.0, 1000.0), "covariance weight ν",
        "VICReg: weight of the covariance term, squared off-diagonal covariances / d";
    CaptionPositives caption_positives: bool = true;
        Live, Domain::Any, "same caption = positive",
        "CLIP: every pair in the batch with the same caption counts as a positive (multi-positive InfoNCE, as supervised contrastive learning); off = only the diagonal";
    RedundancyOnly redundancy_only: bool = false;
        Live, Domain::Any, "redundancy term only",
        "Barlow Twins: drop the invariance term (⇒ nothing to learn)";
    StudentTemperature student_temperature: f64 = 0.1;
        Live, Domain::log_range(1e-3, 100.0), "student τ_s",
        "DINO τ_s of the student softmax";
    TeacherTemperature teacher_temperature: f64 = 0.04, Dino => 0.05, DinoV2 => 0.05;
        Live, Domain::log_range(1e-3, 100.0), "teacher τ_t",
        "DINO τ_t of the teacher softmax (sharpening: τ_t < τ_s)";
    Centering centering: Centering = Centering::Ema, DinoV2 => Centering::Sinkhorn;
        Live, Domain::Any, "centering",
        "DINO: ema (subtract the running centre from teacher logits) | sinkhorn (DINOv2: Sinkhorn-Knopp, 3 iterations, equal prototype marginals) | off (⇒ one prototype dominates)";
    Koleo koleo: f64 = 0.0, DinoV2 => 0.1;
        Live, Domain::log_range(0.0, 100.0), "KoLeo weight",
        "DINOv2: weight of the KoLeo regulariser −(1/n) Σᵢ log minⱼ ‖ĥᵢ − ĥⱼ‖ on the student's ℓ2-normalised representations (spreads nearest neighbours apart)";
    Sharpening sharpening: bool = true;
        Live, Domain::Any, "sharpening",
        "DINO: teacher uses τ_t; off ⇒ teacher uses τ_s and the output goes uniform";
    CenterMomentum center_momentum: f64 = 0.9;
        Live, Domain::range(0.0, 1.0), "centre momentum",
        "DINO: EMA momentum of the centre";
    Prototypes prototypes: usize = 64;
        Rebuild, Domain::log_range(2.0, 4096.0), "prototypes K",
        "DINO: K output prototypes (softmax size)";
}

impl Default for RunConfig {
    fn default() -> Self {
        Self::for_method(Method::SimClr)
    }
}

impl RunConfig {
    /// The paper's defaults for `method`, scaled to the toy encoder (declared beside each
    /// setting above).
    pub fn for_method(method: Method) -> Self {
        let mut c = Self::declared_defaults(method);
        c.method = method;
        c.lambda = Self::default_lambda(c.out_dim);
        c
    }

    /// Barlow Twins' λ scaled to d: the paper uses 0.0051 for D = 8192 (found by search);
    /// λ = 1/d is the rule of Tsai et al. 2021, which keeps the two terms balanced as d changes.
    pub const fn default_lambda(out_dim: usize) -> f64 {
        1.0 / if out_dim == 0 { 1 } else { out_dim } as f64
    }

    /// The normalisation of the projector's hidden layer (`None` when switched off).
    pub fn projector_norm(&self) -> NormKind {
        if self.projector_bn {
            self.norm
        } else {
            NormKind::None
        }
    }

    /// The normalisation of the predictor's hidden layer.
    pub fn predictor_norm(&self) -> NormKind {
        if self.predictor_bn {
            self.norm
        } else {
            NormKind::None
        }
    }

    /// The network's shape, all that building it needs.
    pub fn model(&self) -> ModelConfig {
        ModelConfig {
            method: self.method,
            hidden_dim: self.hidden_dim,
            feature_dim: self.feature_dim,
            out_dim: self.out_dim,
            predictor_hidden: if self.predictor_hidden > 0 {
                self.predictor_hidden
            } else {
                (self.out_dim / 4).max(8)
            },
            prototypes: self.prototypes,
            temperature: self.temperature,
        }
    }

    /// Change one setting, checking it against its declaration. Returns the old value; on
    /// error the config is unchanged.
    pub fn apply(&mut self, setting: Setting) -> Result<Setting> {
        setting.check()?;
        let old = self.get(setting.key());
        self.put(setting);
        Ok(old)
    }

    /// Change one setting from its text form (`--set`, files). Returns the old value's text.
    pub fn set(&mut self, key: &str, value: &str) -> Result<String> {
        let setting = Key::from_name(key)?.parse_value(value)?;
        Ok(self.apply(setting)?.text())
    }

    /// Parse `key=value`, as given to `--set`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(String, String)> {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(LabError::invalid(
                "--set",
                pair,
                "expected key=value, e.g. temperature=0.1",
            ));
        };
        let key = key.trim();
        self.set(key, value)?;
        Ok((key.to_string(), value.trim().to_string()))
    }

    /// Check every setting.
    pub fn validate(&self) -> Result<()> {
        Key::ALL.iter().try_for_each(|k| self.get(*k).check())
    }

    /// TOML text of the whole config (what `config.toml` holds).
    pub fn to_toml(&self) -> String {
        // Serialising a flat struct of plain values cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Parse TOML `key = value` lines. The `method` key (if any) picks the defaults the other
    /// keys override; every key goes through [`RunConfig::set`], so files validate exactly like
    /// `--set`.
    pub fn from_toml(text: &str) -> Result<Self> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| LabError::ConfigFile {
                    path: "<text>".into(),
                    reason: e.message().to_string(),
                })?;
        Self::from_table(&table)
    }

    pub fn from_table(table: &toml::Table) -> Result<Self> {
        let entries = table
            .iter()
            .map(|(k, v)| Ok((Key::from_name(k)?, value_text(k, v)?)))
            .collect::<Result<Vec<_>>>()?;
        let value_of = |key: Key| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        let method = match value_of(Key::Method) {
            Some(v) => v.parse()?,
            None => Method::SimClr,
        };
        let mut c = RunConfig::for_method(method);
        for (key, text) in &entries {
            c.apply(key.parse_value(text)?)?;
        }
        // λ follows d unless the file gives it.
        if value_of(Key::Lambda).is_none() {
            c.lambda = Self::default_lambda(c.out_dim);
        }
        c.validate()?;
        Ok(c)
    }

    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = crate::limits::read_text(path, crate::limits::MAX_TEXT_BYTES, "config file")?;
        Self::from_toml(&text).map_err(|e| match e {
            LabError::ConfigFile { reason, .. } => LabError::ConfigFile {
                path: path.display().to_string(),
                reason,
            },
            other => LabError::ConfigFile {
                path: path.display().to_string(),
                reason: other.to_string(),
            },
        })
    }
}

/// What building the network needs of a run's config: the experiment's other settings (τ of
/// the loss, the optimizer, the data) never reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    pub method: Method,
    pub hidden_dim: usize,
    pub feature_dim: usize,
    pub out_dim: usize,
    /// The predictor's bottleneck: SimSiam's out_dim/4, at least 8, unless set.
    pub predictor_hidden: usize,
    /// DINO's K.
    pub prototypes: usize,
    /// CLIP starts its learnable logit scale at 1/τ.
    pub temperature: f64,
}

/// A setting as one method's panel shows it: its declared label, or one that says its role
/// in this method ("target momentum").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knob {
    pub key: Key,
    label: Option<&'static str>,
}

impl Knob {
    pub const fn new(key: Key) -> Self {
        Self { key, label: None }
    }

    pub const fn labelled(key: Key, label: &'static str) -> Self {
        Self {
            key,
            label: Some(label),
        }
    }

    pub fn label(&self) -> &'static str {
        self.label.unwrap_or(self.key.spec().label)
    }
}

impl Key {
    /// The value a slider or number field of this setting gives at position `raw`: clamped to
    /// the declared range (sliders cannot leave it), rounded for integers.
    pub fn widget_value(self, raw: f64) -> Option<Setting> {
        self.from_number(self.spec().domain.clamp(raw))
    }

    /// The setting called `name`.
    pub fn from_name(name: &str) -> Result<Key> {
        Key::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name.trim())
            .ok_or_else(|| LabError::UnknownKey {
                key: name.to_string(),
                known: Key::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl std::fmt::Display for Setting {
    /// `key = value`, as the lesson card and the events say it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {}", self.key().name(), self.text())
    }
}

/// `contrastive-lab settings`: a line per setting (key, how it applies, range, help).
pub fn listing() -> String {
    let width = Key::ALL.iter().map(|k| k.name().len()).max().unwrap_or(0);
    Key::ALL
        .iter()
        .map(|k| {
            let spec = k.spec();
            format!(
                "{:width$}  {:7}  {}{}",
                spec.name,
                spec.apply.name(),
                spec.help,
                range_note(spec.domain)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The settings table of docs/cli.md (a test checks docs/cli.md holds exactly this).
pub fn markdown_table() -> String {
    let mut out = String::from("| key | applies | range | what it does |\n|---|---|---|---|\n");
    for k in Key::ALL {
        let spec = k.spec();
        let range = match spec.domain {
            Domain::Any => String::new(),
            Domain::Range { lo, hi, .. } => format!("{lo} – {hi}"),
        };
        out += &format!(
            "| `{}` | {} | {range} | {} |\n",
            spec.name,
            spec.apply.name(),
            spec.help.replace('|', "\\|")
        );
    }
    out
}

fn range_note(domain: Domain) -> String {
    match domain {
        Domain::Any => String::new(),
        Domain::Range { lo, hi, .. } => format!(" [{lo} – {hi}]"),
    }
}

fn value_text(key: &str, v: &toml::Value) -> Result<String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(LabError::invalid(
            key,
            other,
            "expected a string, number or boolean",
        )),
    }
}

#[cfg(test)]
mod tests;
