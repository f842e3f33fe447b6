//! `RunConfig`: one flat description of an experiment, spoken by the CLI (`--set key=value`),
//! config/scenario files (TOML `key = value`), the trainer and the app.
//!
//! Every setting is a named field; [`SETTINGS`] lists them with their documentation, and
//! [`RunConfig::set`] is the single path through which any of them changes, so the CLI, files
//! and the UI validate identically.

use crate::error::{LabError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The self-supervised method being trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    SimClr,
    Moco,
    Clip,
    Byol,
    SimSiam,
    Barlow,
    Dino,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::SimClr,
        Method::Moco,
        Method::Clip,
        Method::Byol,
        Method::SimSiam,
        Method::Barlow,
        Method::Dino,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::SimClr => "simclr",
            Method::Moco => "moco",
            Method::Clip => "clip",
            Method::Byol => "byol",
            Method::SimSiam => "simsiam",
            Method::Barlow => "barlow",
            Method::Dino => "dino",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Method::SimClr => "SimCLR (NT-Xent)",
            Method::Moco => "MoCo v2 (momentum encoder + queue)",
            Method::Clip => "CLIP (image ↔ caption InfoNCE)",
            Method::Byol => "BYOL (predictor + EMA target)",
            Method::SimSiam => "SimSiam (predictor + stop-gradient)",
            Method::Barlow => "Barlow Twins (redundancy reduction)",
            Method::Dino => "DINO (self-distillation, centering + sharpening)",
        }
    }

    /// Methods that keep an EMA copy of the network (key encoder, target, teacher).
    pub fn has_teacher(self) -> bool {
        matches!(self, Method::Moco | Method::Byol | Method::Dino)
    }

    /// Methods whose loss has a softmax temperature `temperature`.
    pub fn uses_temperature(self) -> bool {
        matches!(self, Method::SimClr | Method::Moco | Method::Clip)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                LabError::invalid(
                    "method",
                    s,
                    "expected one of simclr, moco, clip, byol, simsiam, barlow, dino",
                )
            })
    }
}

/// Which data the encoder learns from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DatasetKind {
    /// Gaussian clusters in a few signal dimensions plus many nuisance dimensions.
    Blobs,
    /// Procedurally rendered RGB shapes.
    Shapes,
    /// UCI optical handwritten digits, 8×8 (shipped in `assets/`).
    Digits,
    /// Your own images, one sub-folder per class (`folder:PATH`).
    Folder(std::path::PathBuf),
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 3] =
        [DatasetKind::Blobs, DatasetKind::Shapes, DatasetKind::Digits];

    pub fn name(&self) -> String {
        match self {
            DatasetKind::Blobs => "blobs".into(),
            DatasetKind::Shapes => "shapes".into(),
            DatasetKind::Digits => "digits".into(),
            DatasetKind::Folder(p) => format!("folder:{}", p.display()),
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        if let Some(path) = s.trim().strip_prefix("folder:") {
            if path.trim().is_empty() {
                return Err(LabError::invalid(
                    "dataset",
                    s,
                    "folder: needs a path, e.g. folder:~/pictures/pets",
                ));
            }
            return Ok(DatasetKind::Folder(expand_home(path.trim())));
        }
        match s.trim().to_ascii_lowercase().as_str() {
            "blobs" => Ok(DatasetKind::Blobs),
            "shapes" => Ok(DatasetKind::Shapes),
            "digits" => Ok(DatasetKind::Digits),
            _ => Err(LabError::invalid(
                "dataset",
                s,
                "expected one of blobs, shapes, digits, folder:PATH",
            )),
        }
    }
}

/// `~/x` → `$HOME/x` (a shell would have done it on the command line, a config file cannot).
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

impl From<DatasetKind> for String {
    fn from(d: DatasetKind) -> String {
        d.name()
    }
}

impl TryFrom<String> for DatasetKind {
    type Error = LabError;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Adam,
    Sgd,
}

impl FromStr for OptimizerKind {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "adam" => Ok(OptimizerKind::Adam),
            "sgd" => Ok(OptimizerKind::Sgd),
            _ => Err(LabError::invalid("optimizer", s, "expected adam or sgd")),
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::Sgd => "sgd",
        })
    }
}

/// One complete experiment. Same config + same seed ⇒ same numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub method: Method,
    pub dataset: DatasetKind,
    pub seed: u64,
    pub steps: usize,
    pub batch_size: usize,
    pub augment_strength: f64,
    pub probe_size: usize,
    pub snapshot_every: usize,
    pub hidden_dim: usize,
    pub feature_dim: usize,
    pub out_dim: usize,
    pub projector_bn: bool,
    pub predictor: bool,
    pub predictor_bn: bool,
    pub predictor_hidden: usize,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub sgd_momentum: f64,
    pub weight_decay: f64,
    pub temperature: f64,
    pub learnable_temperature: bool,
    pub momentum: f64,
    pub momentum_schedule: bool,
    pub queue_size: usize,
    pub stop_gradient: bool,
    pub lambda: f64,
    pub redundancy_only: bool,
    pub student_temperature: f64,
    pub teacher_temperature: f64,
    pub centering: bool,
    pub sharpening: bool,
    pub center_momentum: f64,
    pub prototypes: usize,
}

/// How a setting takes effect when changed on a running trainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apply {
    /// Read at every step: the next step uses the new value.
    Live,
    /// Changes the network's or data's shape: the trainer rebuilds them (same seed).
    Rebuild,
}

/// Documentation of one setting, used for `--help`, the README and the UI's tooltips.
#[derive(Clone, Copy, Debug)]
pub struct SettingDoc {
    pub key: &'static str,
    pub apply: Apply,
    pub help: &'static str,
}

/// All settings in the order the README and the UI list them.
pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "method",
        apply: Apply::Rebuild,
        help: "simclr | moco | clip | byol | simsiam | barlow | dino",
    },
    SettingDoc {
        key: "dataset",
        apply: Apply::Rebuild,
        help: "blobs | shapes | digits (CLIP pairs shapes with captions)",
    },
    SettingDoc {
        key: "seed",
        apply: Apply::Rebuild,
        help: "seed of data, augmentation and initialisation: same seed ⇒ same numbers",
    },
    SettingDoc {
        key: "steps",
        apply: Apply::Live,
        help: "training steps of a headless run",
    },
    SettingDoc {
        key: "batch_size",
        apply: Apply::Live,
        help: "samples per step (two views each); contrastive methods see 2N−2 negatives",
    },
    SettingDoc {
        key: "augment_strength",
        apply: Apply::Live,
        help: "0 = identical views (trivial task), 1 = default, 3 = views that destroy the signal",
    },
    SettingDoc {
        key: "probe_size",
        apply: Apply::Rebuild,
        help: "labelled samples embedded at every snapshot for diagnostics and views",
    },
    SettingDoc {
        key: "snapshot_every",
        apply: Apply::Live,
        help: "steps between diagnostics snapshots (rows of metrics.csv)",
    },
    SettingDoc {
        key: "hidden_dim",
        apply: Apply::Rebuild,
        help: "width of the encoder's and heads' hidden layers",
    },
    SettingDoc {
        key: "feature_dim",
        apply: Apply::Rebuild,
        help: "encoder output (the representation kNN accuracy is measured on)",
    },
    SettingDoc {
        key: "out_dim",
        apply: Apply::Rebuild,
        help: "projector output dimension d (the embedding the loss sees); 2 or 3 shows the raw sphere",
    },
    SettingDoc {
        key: "projector_bn",
        apply: Apply::Live,
        help: "batch norm in the projector head (weights kept when switched off)",
    },
    SettingDoc {
        key: "predictor",
        apply: Apply::Live,
        help: "BYOL/SimSiam predictor head; off ⇒ collapse",
    },
    SettingDoc {
        key: "predictor_bn",
        apply: Apply::Live,
        help: "batch norm in the predictor's hidden layer",
    },
    SettingDoc {
        key: "predictor_hidden",
        apply: Apply::Rebuild,
        help: "predictor bottleneck width (0 = out_dim/4, at least 8, as in SimSiam)",
    },
    SettingDoc {
        key: "optimizer",
        apply: Apply::Live,
        help: "adam | sgd (SGD uses sgd_momentum); switching restarts the optimizer state",
    },
    SettingDoc {
        key: "lr",
        apply: Apply::Live,
        help: "learning rate",
    },
    SettingDoc {
        key: "sgd_momentum",
        apply: Apply::Live,
        help: "SGD momentum (PyTorch convention: no dampening)",
    },
    SettingDoc {
        key: "weight_decay",
        apply: Apply::Live,
        help: "L2 weight decay",
    },
    SettingDoc {
        key: "temperature",
        apply: Apply::Live,
        help: "τ of SimCLR/MoCo/CLIP: low τ ⇒ sharper softmax, more uniform embedding",
    },
    SettingDoc {
        key: "learnable_temperature",
        apply: Apply::Live,
        help: "CLIP: learn τ (logit scale 1/τ capped at 100) instead of fixing it",
    },
    SettingDoc {
        key: "momentum",
        apply: Apply::Live,
        help: "EMA momentum of MoCo's key encoder / BYOL's target / DINO's teacher (0 = copy of the online net)",
    },
    SettingDoc {
        key: "momentum_schedule",
        apply: Apply::Live,
        help: "raise the EMA momentum towards 1 with a cosine schedule over `steps` (BYOL/DINO)",
    },
    SettingDoc {
        key: "queue_size",
        apply: Apply::Live,
        help: "MoCo: number K of negative keys kept in the FIFO queue",
    },
    SettingDoc {
        key: "stop_gradient",
        apply: Apply::Live,
        help: "SimSiam/BYOL: no gradient through the target branch; off ⇒ collapse",
    },
    SettingDoc {
        key: "lambda",
        apply: Apply::Live,
        help: "Barlow Twins off-diagonal weight (0 = invariance only ⇒ dimensional collapse)",
    },
    SettingDoc {
        key: "redundancy_only",
        apply: Apply::Live,
        help: "Barlow Twins: drop the invariance term (⇒ nothing to learn)",
    },
    SettingDoc {
        key: "student_temperature",
        apply: Apply::Live,
        help: "DINO τ_s of the student softmax",
    },
    SettingDoc {
        key: "teacher_temperature",
        apply: Apply::Live,
        help: "DINO τ_t of the teacher softmax (sharpening: τ_t < τ_s)",
    },
    SettingDoc {
        key: "centering",
        apply: Apply::Live,
        help: "DINO: subtract the running centre from teacher logits; off ⇒ one prototype dominates",
    },
    SettingDoc {
        key: "sharpening",
        apply: Apply::Live,
        help: "DINO: teacher uses τ_t; off ⇒ teacher uses τ_s and the output goes uniform",
    },
    SettingDoc {
        key: "center_momentum",
        apply: Apply::Live,
        help: "DINO: EMA momentum of the centre",
    },
    SettingDoc {
        key: "prototypes",
        apply: Apply::Rebuild,
        help: "DINO: K output prototypes (softmax size)",
    },
];

impl Default for RunConfig {
    fn default() -> Self {
        Self::for_method(Method::SimClr)
    }
}

impl RunConfig {
    /// The paper's defaults for `method`, scaled to the toy encoder.
    pub fn for_method(method: Method) -> Self {
        let mut c = RunConfig {
            method,
            dataset: DatasetKind::Blobs,
            seed: 0,
            steps: 300,
            batch_size: 256,
            augment_strength: 1.0,
            probe_size: 1000,
            snapshot_every: 10,
            hidden_dim: 128,
            feature_dim: 64,
            out_dim: 32,
            projector_bn: true,
            predictor: true,
            predictor_bn: true,
            predictor_hidden: 0,
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            sgd_momentum: 0.9,
            weight_decay: 0.0,
            temperature: 0.5,
            learnable_temperature: false,
            momentum: 0.99,
            momentum_schedule: false,
            queue_size: 4096,
            stop_gradient: true,
            lambda: 0.0,
            redundancy_only: false,
            student_temperature: 0.1,
            teacher_temperature: 0.04,
            centering: true,
            sharpening: true,
            center_momentum: 0.9,
            prototypes: 64,
        };
        match method {
            Method::SimClr => c.temperature = 0.5,
            Method::Moco => {
                // MoCo v2's MLP head has no BN.
                c.temperature = 0.2;
                c.momentum = 0.99;
                c.projector_bn = false;
            }
            Method::Clip => {
                c.dataset = DatasetKind::Shapes;
                c.temperature = 0.07;
                c.learnable_temperature = true;
                c.projector_bn = false;
            }
            Method::Byol => c.momentum = 0.99,
            Method::SimSiam => {
                // The paper's optimizer: SGD, lr 0.05·batch/256, momentum 0.9, wd 1e-4.
                c.optimizer = OptimizerKind::Sgd;
                c.lr = 0.05;
                c.weight_decay = 1e-4;
            }
            Method::Barlow => {}
            Method::Dino => {
                // τ_t inside the paper's 0.04 → 0.07 warm-up range.
                c.momentum = 0.99;
                c.teacher_temperature = 0.05;
            }
        }
        // λ ≈ 1/D as the Barlow Twins paper recommends (0.0051 for D = 8192).
        c.lambda = 1.0 / c.out_dim as f64;
        c
    }

    /// Predictor hidden width: SimSiam's bottleneck out_dim/4, at least 8.
    pub fn predictor_width(&self) -> usize {
        if self.predictor_hidden > 0 {
            self.predictor_hidden
        } else {
            (self.out_dim / 4).max(8)
        }
    }

    /// The current value of `key`, formatted as `set` accepts it.
    pub fn get(&self, key: &str) -> Result<String> {
        let c = self;
        Ok(match key {
            "method" => c.method.to_string(),
            "dataset" => c.dataset.to_string(),
            "seed" => c.seed.to_string(),
            "steps" => c.steps.to_string(),
            "batch_size" => c.batch_size.to_string(),
            "augment_strength" => c.augment_strength.to_string(),
            "probe_size" => c.probe_size.to_string(),
            "snapshot_every" => c.snapshot_every.to_string(),
            "hidden_dim" => c.hidden_dim.to_string(),
            "feature_dim" => c.feature_dim.to_string(),
            "out_dim" => c.out_dim.to_string(),
            "projector_bn" => c.projector_bn.to_string(),
            "predictor" => c.predictor.to_string(),
            "predictor_bn" => c.predictor_bn.to_string(),
            "predictor_hidden" => c.predictor_hidden.to_string(),
            "optimizer" => c.optimizer.to_string(),
            "lr" => c.lr.to_string(),
            "sgd_momentum" => c.sgd_momentum.to_string(),
            "weight_decay" => c.weight_decay.to_string(),
            "temperature" => c.temperature.to_string(),
            "learnable_temperature" => c.learnable_temperature.to_string(),
            "momentum" => c.momentum.to_string(),
            "momentum_schedule" => c.momentum_schedule.to_string(),
            "queue_size" => c.queue_size.to_string(),
            "stop_gradient" => c.stop_gradient.to_string(),
            "lambda" => c.lambda.to_string(),
            "redundancy_only" => c.redundancy_only.to_string(),
            "student_temperature" => c.student_temperature.to_string(),
            "teacher_temperature" => c.teacher_temperature.to_string(),
            "centering" => c.centering.to_string(),
            "sharpening" => c.sharpening.to_string(),
            "center_momentum" => c.center_momentum.to_string(),
            "prototypes" => c.prototypes.to_string(),
            _ => return Err(unknown_key(key)),
        })
    }

    /// Change one setting from its text form, validating it. Returns the old value's text.
    /// On error the config is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<String> {
        let old = self.get(key)?;
        let mut next = self.clone();
        let v = value.trim();
        {
            let c = &mut next;
            match key {
                "method" => c.method = v.parse()?,
                "dataset" => c.dataset = v.parse()?,
                "seed" => c.seed = parse_num(key, v)?,
                "steps" => c.steps = parse_num(key, v)?,
                "batch_size" => c.batch_size = parse_num(key, v)?,
                "augment_strength" => c.augment_strength = parse_num(key, v)?,
                "probe_size" => c.probe_size = parse_num(key, v)?,
                "snapshot_every" => c.snapshot_every = parse_num(key, v)?,
                "hidden_dim" => c.hidden_dim = parse_num(key, v)?,
                "feature_dim" => c.feature_dim = parse_num(key, v)?,
                "out_dim" => c.out_dim = parse_num(key, v)?,
                "projector_bn" => c.projector_bn = parse_bool(key, v)?,
                "predictor" => c.predictor = parse_bool(key, v)?,
                "predictor_bn" => c.predictor_bn = parse_bool(key, v)?,
                "predictor_hidden" => c.predictor_hidden = parse_num(key, v)?,
                "optimizer" => c.optimizer = v.parse()?,
                "lr" => c.lr = parse_num(key, v)?,
                "sgd_momentum" => c.sgd_momentum = parse_num(key, v)?,
                "weight_decay" => c.weight_decay = parse_num(key, v)?,
                "temperature" => c.temperature = parse_num(key, v)?,
                "learnable_temperature" => c.learnable_temperature = parse_bool(key, v)?,
                "momentum" => c.momentum = parse_num(key, v)?,
                "momentum_schedule" => c.momentum_schedule = parse_bool(key, v)?,
                "queue_size" => c.queue_size = parse_num(key, v)?,
                "stop_gradient" => c.stop_gradient = parse_bool(key, v)?,
                "lambda" => c.lambda = parse_num(key, v)?,
                "redundancy_only" => c.redundancy_only = parse_bool(key, v)?,
                "student_temperature" => c.student_temperature = parse_num(key, v)?,
                "teacher_temperature" => c.teacher_temperature = parse_num(key, v)?,
                "centering" => c.centering = parse_bool(key, v)?,
                "sharpening" => c.sharpening = parse_bool(key, v)?,
                "center_momentum" => c.center_momentum = parse_num(key, v)?,
                "prototypes" => c.prototypes = parse_num(key, v)?,
                _ => return Err(unknown_key(key)),
            }
        }
        next.validate_key(key)?;
        *self = next;
        Ok(old)
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
        SETTINGS.iter().try_for_each(|s| self.validate_key(s.key))
    }

    fn validate_key(&self, key: &str) -> Result<()> {
        let c = self;
        match key {
            "seed"
            | "method"
            | "dataset"
            | "optimizer"
            | "projector_bn"
            | "predictor"
            | "predictor_bn"
            | "learnable_temperature"
            | "momentum_schedule"
            | "stop_gradient"
            | "redundancy_only"
            | "centering"
            | "sharpening" => Ok(()),
            "steps" => in_range(key, c.steps as f64, 1.0, 10_000_000.0),
            "batch_size" => in_range(key, c.batch_size as f64, 2.0, 4096.0),
            "augment_strength" => in_range(key, c.augment_strength, 0.0, 3.0),
            "probe_size" => in_range(key, c.probe_size as f64, 50.0, 20_000.0),
            "snapshot_every" => in_range(key, c.snapshot_every as f64, 1.0, 1_000_000.0),
            "hidden_dim" => in_range(key, c.hidden_dim as f64, 2.0, 4096.0),
            "feature_dim" => in_range(key, c.feature_dim as f64, 2.0, 4096.0),
            "out_dim" => in_range(key, c.out_dim as f64, 2.0, 1024.0),
            "predictor_hidden" => in_range(key, c.predictor_hidden as f64, 0.0, 4096.0),
            "lr" => positive(key, c.lr, 1e9),
            "sgd_momentum" => in_range(key, c.sgd_momentum, 0.0, 0.999_999),
            "weight_decay" => in_range(key, c.weight_decay, 0.0, 1.0),
            "temperature" => positive(key, c.temperature, 100.0),
            "momentum" => in_range(key, c.momentum, 0.0, 1.0),
            "queue_size" => in_range(key, c.queue_size as f64, 1.0, 65_536.0),
            "lambda" => in_range(key, c.lambda, 0.0, 100.0),
            "student_temperature" => positive(key, c.student_temperature, 100.0),
            "teacher_temperature" => positive(key, c.teacher_temperature, 100.0),
            "center_momentum" => in_range(key, c.center_momentum, 0.0, 1.0),
            "prototypes" => in_range(key, c.prototypes as f64, 2.0, 4096.0),
            _ => Err(unknown_key(key)),
        }
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
        let method = match table.get("method") {
            Some(v) => value_text("method", v)?.parse()?,
            None => Method::SimClr,
        };
        let mut c = RunConfig::for_method(method);
        for (key, v) in table.iter().filter(|(k, _)| k.as_str() != "lambda") {
            c.set(key, &value_text(key, v)?)?;
        }
        // λ defaults to 1/D (the paper's ≈ 1/8192 scaled to our D) unless the file gives it.
        match table.get("lambda") {
            Some(v) => {
                c.set("lambda", &value_text("lambda", v)?)?;
            }
            None => c.lambda = 1.0 / c.out_dim as f64,
        }
        c.validate()?;
        Ok(c)
    }

    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| LabError::io(path, e))?;
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

pub fn setting_doc(key: &str) -> Option<&'static SettingDoc> {
    SETTINGS.iter().find(|s| s.key == key)
}

fn unknown_key(key: &str) -> LabError {
    LabError::UnknownKey {
        key: key.to_string(),
        known: SETTINGS
            .iter()
            .map(|s| s.key)
            .collect::<Vec<_>>()
            .join(", "),
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

fn parse_num<T: FromStr>(key: &str, v: &str) -> Result<T> {
    v.parse::<T>()
        .map_err(|_| LabError::invalid(key, v, "not a number of the right kind"))
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(true),
        "false" | "off" | "no" | "0" => Ok(false),
        _ => Err(LabError::invalid(key, v, "expected true or false")),
    }
}

fn in_range(key: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(LabError::invalid(
            key,
            v,
            format!("must be between {lo} and {hi}"),
        ))
    }
}

fn positive(key: &str, v: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 && v <= hi {
        Ok(())
    } else {
        Err(LabError::invalid(
            key,
            v,
            format!("must be greater than 0 and at most {hi}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_validates_and_keeps_old_value_on_error() {
        let mut c = RunConfig::default();
        assert_eq!(c.set("temperature", "0.1").ok().as_deref(), Some("0.5"));
        assert!(c.set("temperature", "0").is_err());
        assert!(c.set("temperature", "-1").is_err());
        assert!(c.set("batch_size", "1").is_err());
        assert!(c.set("nonsense", "1").is_err());
        assert!(c.set("projector_bn", "maybe").is_err());
        assert_eq!(c.temperature, 0.1);
        assert_eq!(c.batch_size, 256);
    }

    #[test]
    fn toml_round_trip_is_identical() {
        let mut c = RunConfig::for_method(Method::Dino);
        c.set("teacher_temperature", "0.07").ok();
        c.set("out_dim", "3").ok();
        let back = RunConfig::from_toml(&c.to_toml());
        assert_eq!(back.ok(), Some(c));
    }

    #[test]
    fn every_setting_has_a_getter_and_setter() {
        let c = RunConfig::default();
        for s in SETTINGS {
            let v = c.get(s.key).unwrap_or_else(|e| panic!("{e}"));
            let mut d = c.clone();
            d.set(s.key, &v)
                .unwrap_or_else(|e| panic!("{}: {e}", s.key));
            assert_eq!(d, c, "{}", s.key);
        }
    }
}
