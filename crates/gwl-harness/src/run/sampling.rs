//! One sampler on one model: maps a spec's sampler onto gwl-core, runs it
//! under a budget and records what the tables and figures need.

use std::path::Path;

use anyhow::{Context, Result};
use gwl_core::{Binning, Dos, Model, NaiveMc, ProposalConfig, TargetConfig, WangLandau, WlConfig};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{ResolvedSampler, SamplerKind, Target};

/// What a run may spend. Costs are in forward-equivalent evaluations: a
/// forward with input gradient counts as the measured time ratio of the two
/// (DESIGN.md §3), so samplers with and without gradients get equal budgets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunBudget {
    pub cost: Option<f64>,
    pub seconds: Option<f64>,
}

/// One point of a run's trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TracePoint {
    pub seconds: f64,
    pub cost: f64,
    pub bins_visited: usize,
    pub lo: f64,
    pub hi: f64,
}

/// A finished run: its estimate, its costs and its trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerRun {
    pub sampler: String,
    pub kind: String,
    pub seed: u64,
    pub dos: Dos,
    pub forward_evals: u64,
    pub grad_evals: u64,
    /// Forward-equivalent evaluations at the measured gradient cost ratio.
    pub cost: f64,
    pub grad_ratio: f64,
    pub seconds: f64,
    pub acceptance: Option<f64>,
    pub stop: String,
    pub first_flat_seconds: Option<f64>,
    pub all_visited_seconds: Option<f64>,
    /// Lowest and highest output seen (inside or outside the bins).
    pub explored: Option<(f64, f64)>,
    pub trace: Vec<TracePoint>,
    /// Representative inputs per bin `(bin, packed inputs)`, from the
    /// walkers; empty unless asked for.
    #[serde(default)]
    pub samples: Vec<(usize, Vec<String>)>,
}

impl SamplerRun {
    pub fn evaluations(&self) -> u64 {
        self.forward_evals + self.grad_evals
    }
}

/// Runs `sampler` on `model` over `binning` with `budget`.
pub fn run_sampler<M: Model>(
    model: &M,
    sampler: &ResolvedSampler,
    binning: Binning,
    budget: RunBudget,
    grad_ratio: f64,
    seed: u64,
    keep_per_bin: usize,
    checkpoint: Option<&Path>,
    bar: &ProgressBar,
) -> Result<SamplerRun> {
    match sampler.kind {
        SamplerKind::Naive => run_naive(model, sampler, binning, budget, grad_ratio, seed, bar),
        _ => {
            let run = WlRun {
                sampler,
                binning,
                budget,
                grad_ratio,
                seed,
                keep_per_bin,
                checkpoint,
            };
            run_wl(model, &run, bar)
        }
    }
}

fn run_naive<M: Model>(
    model: &M,
    sampler: &ResolvedSampler,
    binning: Binning,
    budget: RunBudget,
    grad_ratio: f64,
    seed: u64,
    bar: &ProgressBar,
) -> Result<SamplerRun> {
    let n_samples = naive_samples(model, budget)?;
    bar.set_length(n_samples);
    let naive = NaiveMc::new(model, n_samples, seed)
        .with_context(|| format!("cannot configure {}", sampler.label))?;
    let result = naive
        .run(&binning)
        .with_context(|| format!("{} failed", sampler.label))?;
    bar.set_position(n_samples);
    Ok(SamplerRun {
        sampler: sampler.label.clone(),
        kind: sampler.kind.as_str().to_owned(),
        seed,
        dos: result.dos,
        forward_evals: result.evals,
        grad_evals: 0,
        cost: result.evals as f64,
        grad_ratio,
        seconds: result.seconds,
        acceptance: None,
        stop: "samples".into(),
        first_flat_seconds: None,
        all_visited_seconds: None,
        explored: None,
        trace: Vec::new(),
        samples: Vec::new(),
    })
}

/// Naive Monte Carlo takes a sample count; a wall-clock budget is turned
/// into one by timing a short batch first, since the sampler itself has no
/// clock.
fn naive_samples<M: Model>(model: &M, budget: RunBudget) -> Result<u64> {
    if let Some(cost) = budget.cost {
        return Ok(cost.max(1.0) as u64);
    }
    let seconds = budget.seconds.unwrap_or(1.0);
    // Uniform random inputs, as the sampler will draw them: an all-zero
    // probe would flatter a model whose first layer skips zero inputs.
    let probe = 4096usize;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let levels = model.levels();
    let inputs: Vec<u8> = (0..probe * model.input_len())
        .map(|_| rng.random_range(0..levels))
        .collect();
    let mut outputs = vec![0.0; probe];
    model
        .forward(&inputs, &mut outputs)
        .context("cannot time the model")?;
    let start = std::time::Instant::now();
    model
        .forward(&inputs, &mut outputs)
        .context("cannot time the model")?;
    let per_input = start.elapsed().as_secs_f64() / probe as f64;
    Ok(((seconds / per_input.max(1e-9)) as u64).max(probe as u64))
}

/// One Wang-Landau run's settings, beyond the model.
struct WlRun<'a> {
    sampler: &'a ResolvedSampler,
    binning: Binning,
    budget: RunBudget,
    grad_ratio: f64,
    seed: u64,
    keep_per_bin: usize,
    checkpoint: Option<&'a Path>,
}

fn run_wl<M: Model>(model: &M, run: &WlRun, bar: &ProgressBar) -> Result<SamplerRun> {
    let sampler = run.sampler;
    let mut wl = start_or_resume(model, run)?;
    let mut trace = Vec::new();
    let mut samples = BinSamples::new(run.binning.n_bins(), run.keep_per_bin, run.seed);
    bar.set_length(1000);
    let (budget, grad_ratio) = (run.budget, run.grad_ratio);
    let mut on_progress = |p: &gwl_core::Progress| {
        let cost = p.forward_evals as f64 + p.grad_evals as f64 * grad_ratio;
        trace.push(TracePoint {
            seconds: p.seconds,
            cost,
            bins_visited: p.bins_visited,
            lo: p.explored.0,
            hi: p.explored.1,
        });
        bar.set_position(progress_permille(budget, cost, p.seconds));
        bar.set_message(format!("bins {}/{}", p.bins_visited, p.n_bins));
    };
    // Steps in chunks so the walkers' inputs can be looked at and the state
    // saved between them; chunking does not change the run (gwl-core's
    // checkpoint test pins that).
    let mut saved_at = wl.seconds();
    let result = loop {
        let done = wl
            .run_steps(SAMPLE_EVERY, &mut on_progress)
            .with_context(|| format!("{} failed", sampler.label))?;
        if run.keep_per_bin > 0 {
            for (input, output) in wl.walkers() {
                if let Some(bin_idx) = run.binning.bin_of(output) {
                    samples.offer(bin_idx, input);
                }
            }
        }
        if let Some(result) = done {
            break result;
        }
        if let Some(path) = run
            .checkpoint
            .filter(|_| wl.seconds() - saved_at >= CHECKPOINT_EVERY_S)
        {
            wl.checkpoint(path)
                .with_context(|| format!("cannot checkpoint {}", sampler.label))?;
            saved_at = wl.seconds();
        }
    };
    if let Some(path) = run.checkpoint.filter(|p| p.exists()) {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(SamplerRun {
        sampler: sampler.label.clone(),
        kind: sampler.kind.as_str().to_owned(),
        seed: run.seed,
        cost: result.forward_evals as f64 + result.grad_evals as f64 * grad_ratio,
        forward_evals: result.forward_evals,
        grad_evals: result.grad_evals,
        grad_ratio,
        seconds: result.seconds,
        acceptance: Some(result.acceptance),
        stop: format!("{:?}", result.stop),
        first_flat_seconds: result.first_flat_seconds,
        all_visited_seconds: result.all_visited_seconds,
        explored: Some(result.explored),
        dos: result.dos,
        trace,
        samples: samples.into_packed(),
    })
}

/// A run interrupted after its last checkpoint resumes from it (the
/// trajectory and kept inputs restart there; the density, histogram,
/// walkers, RNG streams and counters continue exactly).
fn start_or_resume<'m, M: Model>(model: &'m M, run: &WlRun) -> Result<WangLandau<&'m M>> {
    if let Some(path) = run.checkpoint.filter(|p| p.exists()) {
        return WangLandau::resume(model, path).with_context(|| {
            format!(
                "cannot resume {} from {}",
                run.sampler.label,
                path.display()
            )
        });
    }
    let config = wl_config(
        run.sampler,
        run.binning,
        run.budget,
        run.grad_ratio,
        run.seed,
    );
    WangLandau::new(model, config)
        .with_context(|| format!("cannot configure {}", run.sampler.label))
}

/// Seconds of sampling between checkpoints of a run.
const CHECKPOINT_EVERY_S: f64 = 10.0;

fn progress_permille(budget: RunBudget, cost: f64, seconds: f64) -> u64 {
    let by_cost = budget.cost.map_or(0.0, |c| cost / c);
    let by_time = budget.seconds.map_or(0.0, |s| seconds / s);
    (by_cost.max(by_time).min(1.0) * 1000.0) as u64
}

/// The gwl-core configuration of a spec's sampler. A gradient proposal's
/// evaluation budget is its cost budget divided by the gradient cost ratio.
pub fn wl_config(
    sampler: &ResolvedSampler,
    binning: Binning,
    budget: RunBudget,
    grad_ratio: f64,
    seed: u64,
) -> WlConfig {
    let mut config = WlConfig::new(binning);
    let (proposal, target) = proposal_and_target(sampler);
    config.proposal = proposal;
    config.target = target;
    if let Some(walkers) = sampler.walkers {
        config.walkers = walkers as usize;
    }
    if let Some(wl) = sampler.wl {
        config.flatness = wl.flatness;
        config.check_every = u64::from(wl.check_every);
        config.ln_f_final = wl.ln_f_final;
        config.one_over_t = wl.one_over_t;
    }
    let per_eval = if matches!(proposal, ProposalConfig::Random) {
        1.0
    } else {
        grad_ratio
    };
    config.max_evals = budget.cost.map(|c| (c / per_eval).max(1.0) as u64);
    config.max_seconds = budget.seconds;
    config.seed = seed;
    config
}

fn proposal_and_target(sampler: &ResolvedSampler) -> (ProposalConfig, TargetConfig) {
    let target = match sampler.gradient.map(|g| g.target) {
        Some(Target::Smooth) => TargetConfig::Smooth,
        _ => TargetConfig::Bin,
    };
    let proposal = match (sampler.kind, sampler.gradient) {
        (SamplerKind::Gwl, Some(g)) => ProposalConfig::Gwl {
            cap: g.cap,
            uniform_mix: g.uniform_mix,
            temper: 1.0,
        },
        (SamplerKind::GwlMulti, Some(g)) => ProposalConfig::GwlMulti {
            alpha: sampler.alpha,
            cap: g.cap,
            uniform_mix: g.uniform_mix,
            expected_moves: sampler.expected_moves,
        },
        _ => ProposalConfig::Random,
    };
    (proposal, target)
}

/// Steps between looks at the walkers' inputs.
const SAMPLE_EVERY: u64 = 50;

/// Up to `keep` inputs per bin, a uniform choice (reservoir sampling) among
/// all the walker states offered for that bin, so the kept inputs spread
/// over the whole run rather than its start.
struct BinSamples {
    keep: usize,
    seen: Vec<u64>,
    kept: Vec<Vec<Vec<u8>>>,
    rng: ChaCha8Rng,
}

impl BinSamples {
    fn new(n_bins: usize, keep: usize, seed: u64) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5a4d_504c_4553);
        Self {
            keep,
            seen: vec![0; n_bins],
            kept: vec![Vec::new(); n_bins],
            rng,
        }
    }

    fn offer(&mut self, bin_idx: usize, input: &[u8]) {
        self.seen[bin_idx] += 1;
        let kept = &mut self.kept[bin_idx];
        if kept.len() < self.keep {
            kept.push(input.to_vec());
        } else {
            let slot = self.rng.random_range(0..self.seen[bin_idx]);
            if (slot as usize) < self.keep {
                kept[slot as usize] = input.to_vec();
            }
        }
    }

    fn into_packed(self) -> Vec<(usize, Vec<String>)> {
        self.kept
            .into_iter()
            .enumerate()
            .filter(|(_, k)| !k.is_empty())
            .map(|(b, k)| (b, k.iter().map(|x| pack_bits(x)).collect()))
            .collect()
    }
}

/// A binary input as hex, eight coordinates a byte, so cached runs stay small.
pub fn pack_bits(input: &[u8]) -> String {
    input
        .chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |acc, (i, &v)| acc | (u8::from(v > 0) << i))
        })
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Inverse of [`pack_bits`] for an input of `len` coordinates.
pub fn unpack_bits(packed: &str, len: usize) -> Vec<u8> {
    let bytes: Vec<u8> = (0..packed.len() / 2)
        .filter_map(|i| u8::from_str_radix(&packed[2 * i..2 * i + 2], 16).ok())
        .collect();
    (0..len)
        .map(|i| bytes.get(i / 8).map_or(0, |b| (b >> (i % 8)) & 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_inputs_unpack_to_themselves() {
        let input: Vec<u8> = (0..21).map(|i| u8::from(i % 3 == 0)).collect();
        assert_eq!(unpack_bits(&pack_bits(&input), 21), input);
    }

    #[test]
    fn reservoir_keeps_at_most_its_share_per_bin() {
        let mut samples = BinSamples::new(3, 2, 1);
        for i in 0..10u8 {
            samples.offer(1, &[i]);
        }
        samples.offer(2, &[7]);
        let packed = samples.into_packed();
        assert_eq!(packed.len(), 2);
        assert_eq!(packed[0].1.len(), 2);
        assert_eq!(packed[1], (2, vec![pack_bits(&[7])]));
    }
}
