//! The closed sets of named values a setting takes (the method, the optimizer, the norm, the
//! centering) and the dataset, with their names as the CLI and files spell them.

use super::Key;
use crate::error::{LabError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A closed set of named values (the method, the optimizer, the norm, the centering): `ALL` in
/// order, `name()`, `Display` as the name, and `FromStr` taking the name (or an alias, any
/// case), refusing anything else naming the setting and the choices.
macro_rules! named_choices {
    ($ty:ident, $key:ident, { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = LabError;
            fn from_str(s: &str) -> Result<Self> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name $(| $alias)* => Ok($ty::$variant),)+
                    _ => Err(LabError::invalid(
                        Key::$key.name(),
                        s,
                        format!("expected one of {}", [$($name),+].join(", ")),
                    )),
                }
            }
        }
    };
}

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
    Vicreg,
    Dino,
    DinoV2,
}

/// The output dimension d of the projector (and so the default λ's 1/d).
pub const DEFAULT_OUT_DIM: usize = 32;

impl Method {
    /// The one dataset this method needs, if it needs one: CLIP pairs images with captions,
    /// which only `shapes` has.
    pub fn required_dataset(self) -> Option<DatasetKind> {
        (self == Method::Clip).then_some(DatasetKind::Shapes)
    }

    /// Whether this method can train on `dataset` (see [`Self::required_dataset`]).
    pub fn trains_on(self, dataset: &DatasetKind) -> bool {
        self.required_dataset().is_none_or(|d| *dataset == d)
    }

    /// DINO and DINOv2: a student matching an EMA teacher over K prototypes.
    pub fn is_dino(self) -> bool {
        matches!(self, Method::Dino | Method::DinoV2)
    }

    /// Methods that keep an EMA copy of the network (key encoder, target, teacher).
    pub fn has_teacher(self) -> bool {
        matches!(self, Method::Moco | Method::Byol) || self.is_dino()
    }

    /// Methods whose loss has a softmax temperature `temperature`.
    pub fn uses_temperature(self) -> bool {
        matches!(self, Method::SimClr | Method::Moco | Method::Clip)
    }
}

named_choices!(Method, Method, {
    SimClr => "simclr",
    Moco => "moco",
    Clip => "clip",
    Byol => "byol",
    SimSiam => "simsiam",
    Barlow => "barlow",
    Vicreg => "vicreg",
    Dino => "dino",
    DinoV2 => "dinov2",
});

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
    /// Your own vectors, one row per sample with a label column (`csv:PATH`).
    Csv(std::path::PathBuf),
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
            DatasetKind::Csv(p) => format!("csv:{}", p.display()),
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The datasets a path names: prefix, how it is made, an example.
type PathDataset = (
    &'static str,
    fn(std::path::PathBuf) -> DatasetKind,
    &'static str,
);
const PATH_DATASETS: [PathDataset; 2] = [
    ("folder:", DatasetKind::Folder, "folder:~/pictures/pets"),
    ("csv:", DatasetKind::Csv, "csv:~/data/iris.csv"),
];

impl FromStr for DatasetKind {
    type Err = LabError;
    fn from_str(s: &str) -> Result<Self> {
        for (prefix, make, example) in PATH_DATASETS {
            if let Some(path) = s.trim().strip_prefix(prefix) {
                if path.trim().is_empty() {
                    return Err(LabError::invalid(
                        Key::Dataset.name(),
                        s,
                        format!("{prefix} needs a path, e.g. {example}"),
                    ));
                }
                return Ok(make(expand_home(path.trim())));
            }
        }
        match s.trim().to_ascii_lowercase().as_str() {
            "blobs" => Ok(DatasetKind::Blobs),
            "shapes" => Ok(DatasetKind::Shapes),
            "digits" => Ok(DatasetKind::Digits),
            _ => Err(LabError::invalid(
                Key::Dataset.name(),
                s,
                "expected one of blobs, shapes, digits, folder:PATH, csv:PATH",
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

named_choices!(OptimizerKind, Optimizer, {
    Adam => "adam",
    Sgd => "sgd",
});

/// The normalisation layer of the projector's and predictor's hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// Statistics over the batch (the papers'): couples the samples of a batch.
    Batch,
    /// Statistics over each sample's features: no coupling across the batch.
    Layer,
    None,
}

named_choices!(NormKind, Norm, {
    Batch => "batch",
    Layer => "layer",
    None => "none",
});

/// How DINO keeps its teacher from settling on one prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CenteringRepr", into = "String")]
pub enum Centering {
    /// DINO: subtract a running mean of the teacher's logits.
    Ema,
    /// DINOv2: Sinkhorn-Knopp normalisation of the teacher's outputs (equal prototype marginals).
    Sinkhorn,
    Off,
}

// `true` / `false`: what config files said when centering was a flag.
named_choices!(Centering, Centering, {
    Ema => "ema" | "true",
    Sinkhorn => "sinkhorn",
    Off => "off" | "none" | "false",
});

/// Files written before `centering` had three values stored it as a flag.
#[derive(Deserialize)]
#[serde(untagged)]
enum CenteringRepr {
    Flag(bool),
    Name(String),
}

impl TryFrom<CenteringRepr> for Centering {
    type Error = LabError;
    fn try_from(r: CenteringRepr) -> Result<Self> {
        match r {
            CenteringRepr::Flag(true) => Ok(Centering::Ema),
            CenteringRepr::Flag(false) => Ok(Centering::Off),
            CenteringRepr::Name(s) => s.parse(),
        }
    }
}

impl From<Centering> for String {
    fn from(c: Centering) -> String {
        c.to_string()
    }
}
