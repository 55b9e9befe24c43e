//! Errors raised while building an engine; evaluation itself cannot fail.

use std::path::PathBuf;

use thiserror::Error;

/// Why an engine could not be built from an architecture and its weights.
///
/// `source` names where the tensors came from: a file path, or `<memory>`.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("cannot read {path}: {io}")]
    Io { path: PathBuf, io: std::io::Error },

    #[error("{path}: not a safetensors file: {message}")]
    Format { path: PathBuf, message: String },

    #[error("{source_name}: tensor `{name}` has dtype {dtype}, expected f32")]
    Dtype {
        source_name: String,
        name: String,
        dtype: String,
    },

    #[error("{source_name}: tensor `{name}` is missing (expected shape {expected:?})")]
    Missing {
        source_name: String,
        name: String,
        expected: Vec<usize>,
    },

    #[error("{source_name}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        source_name: String,
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error(
        "{source_name}: tensor `{name}` holds {found} values, its shape {shape:?} needs {expected}"
    )]
    Length {
        source_name: String,
        name: String,
        shape: Vec<usize>,
        expected: usize,
        found: usize,
    },

    #[error("{source_name}: tensor `{name}` (shape {found:?}) is not used by the architecture")]
    Unused {
        source_name: String,
        name: String,
        found: Vec<usize>,
    },

    #[error("the network has {found} outputs per input, the model interface needs 1")]
    Outputs { found: usize },

    #[error("an input needs at least 2 levels, got {levels}")]
    Levels { levels: u8 },

    #[error("layer {layer}: {message}")]
    Arch { layer: String, message: String },
}
