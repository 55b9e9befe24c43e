//! gwl-core: density-of-states samplers over a model's whole input space.
mod analytic;
mod binning;
mod dos;
mod enumerate;
mod error;
mod gray;
mod metrics;
mod model;
mod naive;
mod random_mlp;
mod tally;
mod wl;

pub use analytic::{IntegerLinear, SumOfBits};
pub use binning::Binning;
pub use dos::{ln_input_space, logsumexp, Dos};
pub use enumerate::{count_inputs, Enumeration, Enumerator, DEFAULT_BATCH, MAX_INPUTS};
pub use error::{ConfigError, SampleError};
pub use metrics::{compare, measure_grad_cost_ratio, Accuracy, EvalCount};
pub use model::{Change, Model, ModelError};
pub use naive::{NaiveMc, NaiveResult};
pub use random_mlp::{Activation, RandomMlp};
pub use wl::{
    auto_range, AutoRange, AutoRangeConfig, Progress, ProposalConfig, StopReason, TargetConfig,
    WangLandau, WlConfig, WlResult,
};
