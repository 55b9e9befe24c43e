//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong building, loading, saving or training a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// An architecture that cannot be built for the given input shape.
    #[error("invalid architecture: {reason}")]
    BadArch { reason: String },

    /// A tensor the network needs is not in the weights file.
    #[error("{file}: missing tensor `{name}` (expected shape {expected:?})")]
    MissingTensor {
        file: PathBuf,
        name: String,
        expected: Vec<usize>,
    },

    /// A tensor in the weights file that the network does not use.
    #[error("{file}: unexpected tensor `{name}` (shape {found:?})")]
    ExtraTensor {
        file: PathBuf,
        name: String,
        found: Vec<usize>,
    },

    /// A tensor whose shape differs from what the network needs.
    #[error("{file}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    WrongShape {
        file: PathBuf,
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    /// A tensor stored in a type we do not read.
    #[error(
        "{file}: tensor `{name}` has dtype {found}, expected f32 (f16, bf16, f64 are converted)"
    )]
    WrongDtype {
        file: PathBuf,
        name: String,
        found: String,
    },

    /// A file that could not be read or written.
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A safetensors file that does not parse.
    #[error("{file}: not a valid safetensors file: {source}")]
    Safetensors {
        file: PathBuf,
        #[source]
        source: safetensors::SafeTensorError,
    },

    /// A sidecar file that does not parse or does not match its weights.
    #[error("{file}: {reason}")]
    Sidecar { file: PathBuf, reason: String },

    /// A training configuration or data set that cannot be used.
    #[error("invalid training setup: {reason}")]
    BadTraining { reason: String },

    /// The training data could not be had.
    #[error("data: {0}")]
    Data(#[from] gwl_data::DataError),

    /// A fault inside candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

impl NnError {
    pub(crate) fn bad_arch(reason: impl Into<String>) -> Self {
        Self::BadArch {
            reason: reason.into(),
        }
    }

    pub(crate) fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            file: file.into(),
            source,
        }
    }
}
