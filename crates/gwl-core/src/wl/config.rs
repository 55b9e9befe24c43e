//! Settings of a Wang-Landau run, with their defaults and validation.

use serde::{Deserialize, Serialize};

use crate::{Binning, ConfigError};

/// How a walker proposes its next input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProposalConfig {
    /// Change one uniformly chosen coordinate by one level (for binary
    /// inputs: flip one bit). Plain Wang-Landau.
    Random,
    /// Gradient-informed single move: the move changing the target most
    /// favourably by a first-order estimate is the most likely.
    Gwl {
        /// Cap on `|d| / 2`, so that a rough early density cannot make the
        /// proposal deterministic.
        #[serde(default = "default_cap")]
        cap: f64,
        /// Probability of a uniform move instead, which keeps every move
        /// possible whatever the gradient says.
        #[serde(default = "default_uniform_mix")]
        uniform_mix: f64,
        /// The estimated gain is divided by this before the softmax.
        #[serde(default = "default_temper")]
        temper: f64,
    },
    /// Discrete-Langevin style: every coordinate moves independently.
    GwlMulti {
        /// Step size; `None` picks `1 / (2 ln(D / m - 1))` with
        /// `m = clamp(D / 4, 1, 2)`, so about `m` coordinates move per step
        /// when the target is flat. A fixed `alpha` would make the expected
        /// number of moves grow in proportion to `D`, and at D = 784 almost
        /// every such proposal would be rejected.
        #[serde(default)]
        alpha: Option<f64>,
        #[serde(default = "default_cap")]
        cap: f64,
        #[serde(default = "default_uniform_mix")]
        uniform_mix: f64,
        /// When set, `alpha` is replaced by a bias solved at every input so
        /// that this many coordinates are expected to move, whatever the
        /// gains. With a fixed `alpha` a rough early density caps the gain of
        /// half the coordinates at once, hundreds move together at D = 784,
        /// and acceptance collapses (measured: 0.18).
        #[serde(default)]
        expected_moves: Option<f64>,
    },
}

impl ProposalConfig {
    /// `Gwl` with its defaults: cap 5, uniform mix 0.05, temper 1.
    pub fn gwl() -> Self {
        Self::Gwl {
            cap: default_cap(),
            uniform_mix: default_uniform_mix(),
            temper: 1.0,
        }
    }

    /// `GwlMulti` with its defaults: automatic alpha, cap 5, uniform mix 0.05.
    pub fn gwl_multi() -> Self {
        Self::GwlMulti {
            alpha: None,
            cap: default_cap(),
            uniform_mix: default_uniform_mix(),
            expected_moves: None,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            Self::Random => Ok(()),
            Self::Gwl {
                cap,
                uniform_mix,
                temper,
            } => {
                check_cap(cap)?;
                check_mix(uniform_mix)?;
                positive("temper", temper)
            }
            Self::GwlMulti {
                alpha,
                cap,
                uniform_mix,
                expected_moves,
            } => {
                check_cap(cap)?;
                check_mix(uniform_mix)?;
                alpha.map_or(Ok(()), |a| positive("alpha", a))?;
                expected_moves.map_or(Ok(()), |m| positive("expected_moves", m))
            }
        }
    }
}

/// The log-weight `-T(E)` the walkers sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetConfig {
    /// Classic Wang-Landau: `T(E) = ln_g[bin of E]`, a step function.
    Bin,
    /// `T(E)` is `ln_g` interpolated linearly between bin centres and flat
    /// beyond the outermost centres, used by the proposal and the acceptance
    /// alike. Because `T` varies inside a bin, the density is recovered by
    /// multicanonical reweighting in a final stage with `T` frozen.
    Smooth,
}

/// Everything a Wang-Landau run needs besides the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WlConfig {
    pub binning: Binning,
    /// Walkers advancing together; their proposals form one model batch.
    #[serde(default = "default_walkers")]
    pub walkers: usize,
    #[serde(default = "default_proposal")]
    pub proposal: ProposalConfig,
    #[serde(default = "default_target")]
    pub target: TargetConfig,
    /// A histogram is flat when its minimum over visited bins is at least
    /// this share of its mean.
    #[serde(default = "default_flatness")]
    pub flatness: f64,
    /// Steps (each moving every walker once) between flatness checks.
    #[serde(default = "default_check_every")]
    pub check_every: u64,
    #[serde(default = "default_ln_f_initial")]
    pub ln_f_initial: f64,
    /// The run stops (or, for the smooth target, starts reweighting) once
    /// `ln_f` is at most this.
    #[serde(default = "default_ln_f_final")]
    pub ln_f_final: f64,
    /// Switch to `ln_f = n_bins / t` once halving would fall below it.
    #[serde(default = "default_true")]
    pub one_over_t: bool,
    /// Stop after this many model evaluations (forward and gradient alike).
    #[serde(default)]
    pub max_evals: Option<u64>,
    /// Stop after this many seconds of sampling.
    #[serde(default)]
    pub max_seconds: Option<f64>,
    #[serde(default)]
    pub seed: u64,
    /// Use the model's incremental path for the random proposal when it
    /// has one.
    #[serde(default = "default_true")]
    pub incremental: bool,
    /// Share of the run at its end over which the smooth target's density
    /// is reweighted (ignored by the bin target); see `freeze_target`.
    #[serde(default = "default_reweight_fraction")]
    pub reweight_fraction: f64,
    /// Smooth target only. `true`: freeze `T` for the final stage and
    /// report exact multicanonical reweighting (exact in the limit, but as
    /// noisy as that stage's histogram). `false` (default): keep learning
    /// and correct `ln_g` for the shape of `T` inside each bin, which
    /// assumes the flat histogram Wang-Landau converges to.
    #[serde(default)]
    pub freeze_target: bool,
    /// Consecutive non-finite proposals from one walker before the run
    /// gives up on the model.
    #[serde(default = "default_nonfinite_limit")]
    pub nonfinite_limit: u64,
}

impl WlConfig {
    /// Defaults: 8 walkers, random proposal, bin target, flatness 0.8, a
    /// check every 1000 steps, `ln_f` from 1 to 1e-6 with the 1/t schedule,
    /// no budgets, seed 0, incremental on, reweighting over the last 0.1 of the
    /// run without freezing the target, and at most
    /// 1000 non-finite proposals in a row.
    pub fn new(binning: Binning) -> Self {
        Self {
            binning,
            walkers: default_walkers(),
            proposal: default_proposal(),
            target: default_target(),
            flatness: default_flatness(),
            check_every: default_check_every(),
            ln_f_initial: default_ln_f_initial(),
            ln_f_final: default_ln_f_final(),
            one_over_t: true,
            max_evals: None,
            max_seconds: None,
            seed: 0,
            incremental: true,
            reweight_fraction: default_reweight_fraction(),
            freeze_target: false,
            nonfinite_limit: default_nonfinite_limit(),
        }
    }

    /// Checks every parameter against the model's input shape.
    pub fn validate(&self, input_len: usize, levels: u8) -> Result<(), ConfigError> {
        if levels < 2 {
            return Err(ConfigError::BadLevels(levels));
        }
        if input_len == 0 {
            return Err(bad("input_len", 0, "the model has no inputs to sample"));
        }
        if self.walkers == 0 {
            return Err(ConfigError::ZeroWalkers(self.walkers));
        }
        if !(self.flatness > 0.0 && self.flatness < 1.0) {
            return Err(ConfigError::BadFlatness(self.flatness));
        }
        if self.check_every == 0 {
            return Err(bad("check_every", 0, "must be at least 1"));
        }
        positive("ln_f_initial", self.ln_f_initial)?;
        positive("ln_f_final", self.ln_f_final)?;
        if self.ln_f_final >= self.ln_f_initial {
            return Err(bad(
                "ln_f_final",
                self.ln_f_final,
                "must be below ln_f_initial",
            ));
        }
        self.validate_budgets()?;
        self.proposal.validate()
    }

    fn validate_budgets(&self) -> Result<(), ConfigError> {
        if self.max_evals == Some(0) {
            return Err(bad("max_evals", 0, "must be at least 1"));
        }
        if let Some(s) = self.max_seconds {
            positive("max_seconds", s)?;
        }
        let rf = self.reweight_fraction;
        if !(0.0..1.0).contains(&rf) {
            return Err(bad("reweight_fraction", rf, "must lie in [0, 1)"));
        }
        if self.nonfinite_limit == 0 {
            return Err(bad("nonfinite_limit", 0, "must be at least 1"));
        }
        Ok(())
    }
}

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> ConfigError {
    ConfigError::BadParameter {
        name,
        value: value.to_string(),
        why,
    }
}

fn positive(name: &'static str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(bad(name, value, "must be positive and finite"))
    }
}

fn check_cap(cap: f64) -> Result<(), ConfigError> {
    positive("cap", cap)
}

fn check_mix(mix: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&mix) {
        Ok(())
    } else {
        Err(bad("uniform_mix", mix, "must lie in [0, 1]"))
    }
}

fn default_cap() -> f64 {
    5.0
}
fn default_uniform_mix() -> f64 {
    0.05
}
fn default_temper() -> f64 {
    1.0
}
fn default_walkers() -> usize {
    8
}
fn default_proposal() -> ProposalConfig {
    ProposalConfig::Random
}
fn default_target() -> TargetConfig {
    TargetConfig::Bin
}
fn default_flatness() -> f64 {
    0.8
}
fn default_check_every() -> u64 {
    1000
}
fn default_ln_f_initial() -> f64 {
    1.0
}
fn default_ln_f_final() -> f64 {
    1e-6
}
fn default_true() -> bool {
    true
}
fn default_reweight_fraction() -> f64 {
    0.1
}
fn default_nonfinite_limit() -> u64 {
    1000
}
