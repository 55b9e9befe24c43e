//! The Wang-Landau sampler: state, run loop, stop rules and results.
//!
//! One step moves every walker once: each proposes a move, all proposals go
//! to the model in one batch, every walker's acceptance is decided against
//! the density as it stood at the start of the step, and then the density
//! and histogram updates are applied walker by walker in the fixed order
//! `0..W`. Deciding against one snapshot makes a step's forward and reverse
//! proposal probabilities refer to the same target; the fixed order makes
//! the run a function of its seed alone.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::proposal::Proposal;
use super::reweight::Reweighting;
use super::schedule::{flatness, Schedule};
use super::target::Target;
use super::walkers::{StepBuffers, Walkers};
use super::{TargetConfig, WlConfig};
use crate::{ln_input_space, ConfigError, Dos, EvalCount, Model, SampleError};

/// Walkers times coordinates from which gradient proposals are scored in
/// parallel: below it a step takes a few microseconds and handing it to
/// threads costs more than it saves.
const PARALLEL_WORK: usize = 8192;

/// Which stop rule ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// `ln_f` reached `ln_f_final` (for the smooth target: and the
    /// reweighting stage then ran its share).
    LnFFinal,
    EvalBudget,
    TimeBudget,
}

/// What a finished run reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WlResult {
    /// The estimate, normalised to `ln |X|` over visited bins.
    pub dos: Dos,
    pub stop: StopReason,
    /// Inputs evaluated without gradient (including incremental updates).
    pub forward_evals: u64,
    /// Inputs evaluated with input gradient.
    pub grad_evals: u64,
    /// Proposals rejected because the model gave a non-finite output.
    pub nonfinite: u64,
    /// Steps; each moves every walker once.
    pub steps: u64,
    pub seconds: f64,
    /// Accepted share of the evaluated proposals (null moves excluded).
    pub acceptance: f64,
    pub first_flat_seconds: Option<f64>,
    pub first_flat_evals: Option<u64>,
    pub all_visited_seconds: Option<f64>,
    pub all_visited_evals: Option<u64>,
    /// Lowest and highest finite output among all evaluated inputs.
    pub explored: (f64, f64),
}

impl WlResult {
    /// The evaluations as one count.
    pub fn evals(&self) -> EvalCount {
        EvalCount {
            forward: self.forward_evals,
            forward_grad: self.grad_evals,
        }
    }
}

/// A snapshot for a progress bar, passed to the callback of
/// [`WangLandau::run`] after every flatness check.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub steps: u64,
    pub forward_evals: u64,
    pub grad_evals: u64,
    pub seconds: f64,
    pub ln_f: f64,
    /// `min / mean` of the histogram over visited bins.
    pub flatness: f64,
    pub bins_visited: usize,
    pub n_bins: usize,
    pub explored: (f64, f64),
    pub acceptance: f64,
    /// Whether the smooth target's reweighting stage has begun.
    pub reweighting: bool,
    pub ln_g: &'a [f64],
    pub visited: &'a [bool],
}

/// Where the run stands between the learning and the reweighting stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum Stage {
    Learning,
    /// Reweighting since step `start` (with `T` frozen if the config says
    /// so); `steps` is the planned length when the stage began because
    /// `ln_f` reached its final value.
    Reweighting {
        start: u64,
        steps: Option<u64>,
    },
}

/// Everything a checkpoint holds besides the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunState {
    pub ln_g: Vec<f64>,
    pub hist: Vec<u64>,
    pub visited: Vec<bool>,
    pub n_visited: usize,
    pub schedule: Schedule,
    pub stage: Stage,
    pub reweighting: Reweighting,
    pub walkers: Option<Walkers>,
    pub steps: u64,
    pub forward_evals: u64,
    pub grad_evals: u64,
    pub nonfinite: u64,
    pub evaluated: u64,
    pub accepted: u64,
    pub explored: Option<(f64, f64)>,
    /// Seconds of sampling before the current call of `run_steps`.
    pub seconds: f64,
    pub first_flat: Option<(f64, u64)>,
    pub all_visited: Option<(f64, u64)>,
}

impl RunState {
    fn new(config: &WlConfig) -> Self {
        let n_bins = config.binning.n_bins();
        Self {
            ln_g: vec![0.0; n_bins],
            hist: vec![0; n_bins],
            visited: vec![false; n_bins],
            n_visited: 0,
            schedule: Schedule::new(config.ln_f_initial),
            stage: Stage::Learning,
            reweighting: Reweighting::new(n_bins),
            walkers: None,
            steps: 0,
            forward_evals: 0,
            grad_evals: 0,
            nonfinite: 0,
            evaluated: 0,
            accepted: 0,
            explored: None,
            seconds: 0.0,
            first_flat: None,
            all_visited: None,
        }
    }

    pub fn evals(&self) -> u64 {
        self.forward_evals + self.grad_evals
    }

    pub fn note_output(&mut self, e: f64) {
        if e.is_finite() {
            let (lo, hi) = self.explored.unwrap_or((e, e));
            self.explored = Some((lo.min(e), hi.max(e)));
        }
    }
}

/// Wang-Landau sampling of a model's density of states, with the proposals
/// and targets of [`WlConfig`].
///
/// ```
/// use gwl_core::{Binning, ProposalConfig, SumOfBits, WangLandau, WlConfig};
///
/// // f(x) = number of ones among 16 bits; one bin per possible output.
/// let binning = Binning::with_width(-0.5, 16.5, 1.0)?;
/// let config = WlConfig {
///     proposal: ProposalConfig::gwl(),
///     max_evals: Some(100_000),
///     ..WlConfig::new(binning)
/// };
/// let mut wl = WangLandau::new(SumOfBits::new(16)?, config)?;
/// let result = wl.run(&mut |progress| {
///     let _ = (progress.ln_f, progress.bins_visited);
/// })?;
/// assert_eq!(result.dos.n_visited(), 17);
/// // ln g(8) = ln C(16, 8) = ln 12870, within sampling error.
/// assert!((result.dos.ln_g[8] - 12870f64.ln()).abs() < 0.2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WangLandau<M: Model> {
    pub(super) model: M,
    pub(super) config: WlConfig,
    pub(super) proposal: Proposal,
    /// Whether the random proposal runs on the model's incremental path.
    pub(super) incremental: bool,
    /// Whether proposals are scored on rayon's threads.
    pub(super) parallel: bool,
    pub(super) state: RunState,
    pub(super) buf: StepBuffers,
    /// When the current call of `run_steps` began.
    pub(super) clock: Option<Instant>,
}

impl<M: Model> std::fmt::Debug for WangLandau<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WangLandau")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<M: Model> WangLandau<M> {
    /// Validates `config` against the model; evaluates nothing. The walkers
    /// are placed by the first call of [`run`](Self::run): uniformly random
    /// inputs, and those whose output falls outside the range are then
    /// driven into it by a greedy gradient-ranked search (see `init.rs`),
    /// whose evaluations are counted.
    pub fn new(model: M, config: WlConfig) -> Result<Self, ConfigError> {
        config.validate(model.input_len(), model.levels())?;
        let proposal = Proposal::new(&config.proposal, model.input_len(), model.levels());
        let incremental = config.incremental && !proposal.needs_grad() && model.state_len() > 0;
        let parallel = proposal.needs_grad()
            && config.walkers > 1
            && config.walkers * model.input_len() >= PARALLEL_WORK;
        let state = RunState::new(&config);
        let buf = StepBuffers::default();
        Ok(Self {
            model,
            config,
            proposal,
            incremental,
            parallel,
            state,
            buf,
            clock: None,
        })
    }

    pub fn config(&self) -> &WlConfig {
        &self.config
    }

    pub fn model(&self) -> &M {
        &self.model
    }

    /// Runs until a stop rule fires, calling `progress` after every
    /// flatness check and once at the end.
    pub fn run(&mut self, progress: &mut dyn FnMut(&Progress)) -> Result<WlResult, SampleError> {
        loop {
            if let Some(result) = self.run_steps(u64::MAX, progress)? {
                return Ok(result);
            }
        }
    }

    /// Runs at most `max_steps` more steps; `Some` once a stop rule fired,
    /// `None` if the steps ran out first (the run can then be checkpointed
    /// and continued).
    pub fn run_steps(
        &mut self,
        max_steps: u64,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Option<WlResult>, SampleError> {
        self.clock = Some(Instant::now());
        let outcome = self.run_steps_timed(max_steps, progress);
        self.state.seconds = self.seconds();
        self.clock = None;
        outcome
    }

    fn run_steps_timed(
        &mut self,
        max_steps: u64,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Option<WlResult>, SampleError> {
        self.ensure_walkers()?;
        for _ in 0..max_steps {
            if let Some(stop) = self.advance_stage() {
                progress(&self.progress());
                return Ok(Some(self.result(stop)));
            }
            self.step()?;
            if self.state.steps.checked_rem(self.config.check_every) == Some(0) {
                self.check_flatness();
                progress(&self.progress());
            }
        }
        Ok(None)
    }

    /// Seconds of sampling so far, across checkpoints.
    pub fn seconds(&self) -> f64 {
        self.state.seconds + self.clock.map_or(0.0, |c| c.elapsed().as_secs_f64())
    }

    /// The current estimate, normalised to `ln |X|` over visited bins: for
    /// the smooth target, the reweighted one once the frozen stage has
    /// visits.
    pub fn dos(&self) -> Dos {
        let ln_g = match self.config.target {
            TargetConfig::Smooth if !self.state.reweighting.is_empty() => self
                .state
                .reweighting
                .estimate(&self.state.ln_g, self.config.freeze_target),
            _ => self.state.ln_g.clone(),
        };
        let mut dos = Dos::new(self.config.binning, ln_g, self.state.visited.clone());
        dos.normalise(ln_input_space(self.model.input_len(), self.model.levels()));
        dos
    }

    /// `ln_g` as learned so far (not normalised, not reweighted).
    pub fn ln_g(&self) -> &[f64] {
        &self.state.ln_g
    }

    pub(super) fn target(&self) -> Target<'_> {
        Target::of(&self.config, &self.state.ln_g)
    }

    pub(super) fn seed_rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed);
        rng.set_stream(stream);
        rng
    }

    /// Applies the stop rules, starting the smooth target's reweighting
    /// stage when its time has come; `Some` when the run is over.
    fn advance_stage(&mut self) -> Option<StopReason> {
        let evals = self.state.evals();
        let seconds = self.seconds();
        if self.config.max_evals.is_some_and(|m| evals >= m) {
            return Some(StopReason::EvalBudget);
        }
        if self.config.max_seconds.is_some_and(|m| seconds >= m) {
            return Some(StopReason::TimeBudget);
        }
        match self.state.stage {
            Stage::Learning => self.after_learning_step(evals, seconds),
            Stage::Reweighting {
                start,
                steps: Some(n),
            } if self.state.steps - start >= n => Some(StopReason::LnFFinal),
            Stage::Reweighting { .. } => None,
        }
    }

    /// The reweighting stage takes the last `reweight_fraction` of whichever
    /// budget is set, or, when `ln_f` reaches its final value first, runs
    /// `reweight_fraction / (1 - reweight_fraction)` times as many steps as
    /// learning took, so it is the same share of the whole run.
    fn after_learning_step(&mut self, evals: u64, seconds: f64) -> Option<StopReason> {
        let rf = self.config.reweight_fraction;
        let reweights = self.config.target == TargetConfig::Smooth && rf > 0.0;
        let final_reached = self.state.schedule.ln_f <= self.config.ln_f_final;
        if final_reached && !reweights {
            return Some(StopReason::LnFFinal);
        }
        let share = 1.0 - rf;
        let budget_due = self
            .config
            .max_evals
            .is_some_and(|m| evals as f64 >= share * m as f64)
            || self
                .config
                .max_seconds
                .is_some_and(|m| seconds >= share * m);
        if reweights && (final_reached || budget_due) {
            let steps = final_reached
                .then(|| (self.state.steps as f64 * rf / share).ceil().max(1.0) as u64);
            self.state.stage = Stage::Reweighting {
                start: self.state.steps,
                steps,
            };
        }
        None
    }

    fn check_flatness(&mut self) {
        let flat = flatness(&self.state.hist, &self.state.visited) >= self.config.flatness;
        if flat && self.state.first_flat.is_none() {
            self.state.first_flat = Some((self.seconds(), self.state.evals()));
        }
        if self.frozen() {
            return;
        }
        let n_bins = self.config.binning.n_bins();
        let t = self.state.steps * self.state.ln_g_walkers();
        if self
            .state
            .schedule
            .on_check(flat, self.config.one_over_t, n_bins, t)
        {
            self.state.hist.iter_mut().for_each(|h| *h = 0);
        }
    }

    /// Whether `ln_g` (and so `T`) no longer changes.
    pub(super) fn frozen(&self) -> bool {
        self.config.freeze_target && self.state.stage != Stage::Learning
    }

    pub(super) fn acceptance(&self) -> f64 {
        if self.state.evaluated == 0 {
            0.0
        } else {
            self.state.accepted as f64 / self.state.evaluated as f64
        }
    }

    fn explored(&self) -> (f64, f64) {
        self.state.explored.unwrap_or((f64::NAN, f64::NAN))
    }

    /// Each walker's current input and output; empty before the first
    /// step has placed the walkers. For looking at what the walkers see
    /// (e.g. representative inputs per bin), never for steering them.
    pub fn walkers(&self) -> Vec<(&[u8], f64)> {
        let Some(w) = self.state.walkers.as_ref() else {
            return Vec::new();
        };
        w.x.chunks(w.d).zip(w.e.iter().copied()).collect()
    }

    /// The snapshot passed to progress callbacks.
    pub fn progress(&self) -> Progress<'_> {
        Progress {
            steps: self.state.steps,
            forward_evals: self.state.forward_evals,
            grad_evals: self.state.grad_evals,
            seconds: self.seconds(),
            ln_f: self.state.schedule.ln_f,
            flatness: flatness(&self.state.hist, &self.state.visited),
            bins_visited: self.state.n_visited,
            n_bins: self.config.binning.n_bins(),
            explored: self.explored(),
            acceptance: self.acceptance(),
            reweighting: self.state.stage != Stage::Learning,
            ln_g: &self.state.ln_g,
            visited: &self.state.visited,
        }
    }

    fn result(&self, stop: StopReason) -> WlResult {
        let s = &self.state;
        WlResult {
            dos: self.dos(),
            stop,
            forward_evals: s.forward_evals,
            grad_evals: s.grad_evals,
            nonfinite: s.nonfinite,
            steps: s.steps,
            seconds: self.seconds(),
            acceptance: self.acceptance(),
            first_flat_seconds: s.first_flat.map(|m| m.0),
            first_flat_evals: s.first_flat.map(|m| m.1),
            all_visited_seconds: s.all_visited.map(|m| m.0),
            all_visited_evals: s.all_visited.map(|m| m.1),
            explored: self.explored(),
        }
    }
}

impl RunState {
    /// Number of walkers, which scales `t` in the `1/t` rule.
    pub fn ln_g_walkers(&self) -> u64 {
        self.walkers.as_ref().map_or(1, |w| w.len() as u64)
    }
}
