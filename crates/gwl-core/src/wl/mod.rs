//! Wang-Landau sampling of a model's density of states, with pluggable
//! proposals and targets.
//!
//! How the pieces fit:
//!
//! - [`WlConfig`] holds every setting and is validated once, by
//!   [`WangLandau::new`]; after that only the model can make a run fail.
//! - The walkers sample inputs with weight `exp(-T(f(x)))`, where the target
//!   `T` is read off the learned `ln_g` (`target.rs`): a step function for
//!   [`TargetConfig::Bin`], or `ln_g` interpolated between bin centres for
//!   [`TargetConfig::Smooth`]. Either way it is extended flat beyond the
//!   range and never infinite, so no proposal is ever ruled out.
//! - A proposal (`proposal/`) draws a move and gives the exact probability
//!   of any move, forward and reverse, so that the Metropolis-Hastings test
//!   `min(1, exp(T(E) - T(E')) q(x|x') / q(x'|x))` keeps the walkers'
//!   distribution exact for a fixed `T`.
//! - A step (`step.rs`) moves all walkers: proposals (scored in parallel for
//!   large gradient proposals), one batch through the model, decisions
//!   against the density as it stood at the start of the step, then the
//!   Wang-Landau updates in walker order.
//! - The modification factor follows `schedule.rs` (halving on flat
//!   histograms, then `1/t`); the run ends at `ln_f_final`, an evaluation
//!   budget or a wall-clock budget, and says which ([`StopReason`]).
//! - With the smooth target the density is corrected for the shape of `T`
//!   inside each bin over the final share of the run (`reweight.rs`).
//! - A run can be checkpointed between calls of [`WangLandau::run_steps`]
//!   and resumed to exactly the result of an uninterrupted run
//!   (`checkpoint.rs`), and [`auto_range`] finds an output range when none
//!   is known (`range.rs`).

mod checkpoint;
mod config;
mod init;
mod proposal;
mod range;
mod reweight;
mod sampler;
mod schedule;
mod step;
mod target;
mod walkers;

#[cfg(test)]
mod balance_tests;
#[cfg(test)]
mod sampler_tests;
#[cfg(test)]
mod test_models;

pub use config::{ProposalConfig, TargetConfig, WlConfig};
pub use range::{auto_range, AutoRange, AutoRangeConfig};
pub use sampler::{Progress, StopReason, WangLandau, WlResult};
