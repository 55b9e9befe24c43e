//! Configuration errors. Every constructor validates its parameters once and
//! returns one of these, naming the parameter and the bad value; after that
//! the sampling loops cannot fail except through the model.

use thiserror::Error;

use crate::ModelError;

/// A parameter that cannot work, with its name and value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    #[error("empty or inverted output range: e_min = {e_min}, e_max = {e_max}")]
    BadRange { e_min: f64, e_max: f64 },
    #[error("bin width must be positive and finite, got {0}")]
    BadWidth(f64),
    #[error("bin count must be at least 1, got {0}")]
    BadBinCount(usize),
    #[error("flatness must lie in (0, 1), got {0}")]
    BadFlatness(f64),
    #[error("walkers must be at least 1, got {0}")]
    ZeroWalkers(usize),
    #[error("levels K must be at least 2, got {0}")]
    BadLevels(u8),
    #[error("enumeration is limited to D <= {limit}; D = {d} would be {inputs} inputs")]
    TooManyToEnumerate {
        d: usize,
        limit: usize,
        inputs: String,
    },
    #[error("parameter `{name}` is out of range: {value} ({why})")]
    BadParameter {
        name: &'static str,
        value: String,
        why: &'static str,
    },
}

/// Why a sampler could not finish.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SampleError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(
        "walker {walker} produced {count} non-finite outputs in a row at its current input; \
         the model is not usable there"
    )]
    StuckOnNonFinite { walker: usize, count: u64 },
    #[error("checkpoint {path}: {why}")]
    Checkpoint { path: String, why: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "no walker could be brought into the output range [{e_min}, {e_max}); \
         outputs seen while searching spanned [{lowest}, {highest}]"
    )]
    RangeUnreachable {
        e_min: f64,
        e_max: f64,
        lowest: f64,
        highest: f64,
    },
}
