//! gwl-core: density-of-states samplers over a model's whole input space.
mod binning;
mod dos;
mod error;
mod model;

pub use binning::Binning;
pub use dos::{ln_input_space, logsumexp, Dos};
pub use error::{ConfigError, SampleError};
pub use model::{Change, Model, ModelError};
