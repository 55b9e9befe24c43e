//! gwl-core: the density of states of a model's output over its whole
//! discrete input space, and every way we estimate it.
//!
//! How the pieces fit: a [`Model`] maps each input (a vector of `D` levels,
//! binary by default) to one output, a classifier's logit. A [`Binning`]
//! cuts the output range into bins; the density of states `g(E)` counts the
//! inputs whose output falls in each bin, and a [`Dos`] holds its logarithm
//! (`ln_g`, because counts reach `2^784`), normalised so the bins add up to
//! the whole input space. Four estimators fill a `Dos`:
//!
//! - [`Enumerator`]: every input, exactly, for `D <= 32` (the ground truth);
//! - [`NaiveMc`]: uniform random inputs, which see only the bulk;
//! - [`WangLandau`]: walkers that learn `ln_g` while sampling with weight
//!   `1/g`, so every bin is visited; its proposal is random single flips
//!   (plain WL) or gradient-informed flips ([`ProposalConfig::Gwl`],
//!   [`ProposalConfig::GwlMulti`]), on a step-function or smooth target
//!   ([`TargetConfig`]);
//! - the analytic models [`SumOfBits`] and [`IntegerLinear`], whose exact
//!   densities test the others.
//!
//! [`compare`] measures an estimate against the truth. Configuration is
//! validated once ([`ConfigError`]); after that a run can fail only through
//! the model ([`SampleError`]).
//!
//! ```
//! use gwl_core::{compare, Binning, ProposalConfig, SumOfBits, WangLandau, WlConfig};
//!
//! // Twelve bits: the output is the number of ones, g(E) = C(12, E).
//! let model = SumOfBits::new(12)?;
//! let binning = Binning::with_width(-0.5, 12.5, 1.0)?;
//! let mut config = WlConfig::new(binning);
//! config.proposal = ProposalConfig::gwl();
//! config.max_evals = Some(200_000);
//! config.seed = 7;
//! let result = WangLandau::new(&model, config)?.run(&mut |_| {})?;
//! let accuracy = compare(&result.dos, &model.exact_dos(&binning));
//! assert_eq!(accuracy.n_missed, 0);
//! assert!(accuracy.mean_abs < 0.1, "{accuracy:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
