//! Library errors. The binary and the app wrap these in `anyhow` at their edge.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LabError {
    #[error("unknown setting `{key}` (known settings: {known})")]
    UnknownKey { key: String, known: String },
    #[error("invalid value `{value}` for `{key}`: {reason}")]
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
    /// A file the user gave (a config, scenario, lesson, recording, table) refused: the path
    /// names it, whatever kind it is.
    #[error("{path}: {reason}")]
    ConfigFile { path: String, reason: String },
    #[error("training stopped at {0}")]
    Diverged(String),
    #[error("dataset error: {0}")]
    Dataset(String),
    #[error("projection error: {0}")]
    Projection(String),
    #[error("device error: {0}")]
    Device(String),
    #[error("could not start the {what} thread: {source}")]
    Thread {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("tensor read-back failed: {0}")]
    Readback(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl LabError {
    pub fn invalid(key: &str, value: impl ToString, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = LabError> = std::result::Result<T, E>;
