//! Naive Monte Carlo: uniform random inputs, `g_hat(b) = |X| n_b / N`.
//!
//! It sees only where uniform inputs land: a bin holding a share `p` of the
//! input space is missed by `N` samples with probability `(1 - p)^N`, so the
//! tails that matter stay empty. It is the baseline the samplers must beat.
//!
//! Batch `i` draws its inputs from its own ChaCha8 stream (`seed`, stream
//! `i`), so a run depends on the seed and the batch size but not on the
//! number of threads.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::tally::{tally_batches, Tally};
use crate::{ln_input_space, Binning, ConfigError, Dos, Model, SampleError};

/// A naive Monte Carlo run, validated and ready to run.
#[derive(Debug, Clone)]
pub struct NaiveMc<'m, M: Model + ?Sized> {
    model: &'m M,
    n_samples: u64,
    seed: u64,
    batch: usize,
}

/// What `N` uniform inputs say about the density of states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveResult {
    /// `ln g_hat = ln |X| + ln n_b - ln N` in bins hit at least once; this is
    /// already on the absolute scale, so it sums to `ln |X|` less the share
    /// of samples that fell outside the bins.
    pub dos: Dos,
    pub hits: Vec<u64>,
    /// Bins of the binning never hit.
    pub n_missed: usize,
    pub below: u64,
    pub above: u64,
    pub nonfinite: u64,
    /// Forward evaluations, one per sample.
    pub evals: u64,
    pub seconds: f64,
    pub seed: u64,
    /// The generator behind `seed`, for the record.
    pub rng: String,
}

impl NaiveResult {
    /// Samples that landed in no bin (outside the range or non-finite).
    pub fn out_of_range(&self) -> u64 {
        self.below + self.above + self.nonfinite
    }
}

impl<'m, M: Model + ?Sized> NaiveMc<'m, M> {
    /// Refuses models with fewer than two levels; `n_samples` may be 0 (an
    /// estimate that misses every bin).
    pub fn new(model: &'m M, n_samples: u64, seed: u64) -> Result<Self, ConfigError> {
        if model.levels() < 2 {
            return Err(ConfigError::BadLevels(model.levels()));
        }
        Ok(Self {
            model,
            n_samples,
            seed,
            batch: crate::enumerate::DEFAULT_BATCH,
        })
    }

    pub fn with_batch(mut self, batch: usize) -> Result<Self, ConfigError> {
        if batch == 0 {
            return Err(ConfigError::BadParameter {
                name: "batch",
                value: "0".into(),
                why: "a batch holds at least one input",
            });
        }
        self.batch = batch;
        Ok(self)
    }

    pub fn run(&self, binning: &Binning) -> Result<NaiveResult, SampleError> {
        let start = Instant::now();
        let (seed, levels) = (self.seed, self.model.levels());
        let d = self.model.input_len();
        let tally = tally_batches(
            self.model,
            binning,
            self.n_samples,
            self.batch,
            |batch_idx, _, buf| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(batch_idx);
                fill_uniform(&mut rng, levels, buf);
            },
        )?;
        let ln_total = ln_input_space(d, levels);
        Ok(self.result(binning, tally, ln_total, start.elapsed().as_secs_f64()))
    }

    fn result(&self, binning: &Binning, tally: Tally, ln_total: f64, seconds: f64) -> NaiveResult {
        let ln_n = (self.n_samples as f64).ln();
        let ln_g = tally
            .counts
            .iter()
            .map(|&c| {
                if c > 0 {
                    ln_total + (c as f64).ln() - ln_n
                } else {
                    0.0
                }
            })
            .collect();
        let visited: Vec<bool> = tally.counts.iter().map(|&c| c > 0).collect();
        NaiveResult {
            n_missed: visited.iter().filter(|&&v| !v).count(),
            dos: Dos::new(*binning, ln_g, visited),
            hits: tally.counts,
            below: tally.below,
            above: tally.above,
            nonfinite: tally.nonfinite,
            evals: self.n_samples,
            seconds,
            seed: self.seed,
            rng: "ChaCha8Rng, one stream per batch".into(),
        }
    }
}

/// Uniform levels; binary inputs take 64 of them from each random word.
fn fill_uniform(rng: &mut ChaCha8Rng, levels: u8, buf: &mut [u8]) {
    if levels == 2 {
        for chunk in buf.chunks_mut(64) {
            let word: u64 = rng.random();
            for (i, x) in chunk.iter_mut().enumerate() {
                *x = (word >> i & 1) as u8;
            }
        }
    } else {
        buf.iter_mut()
            .for_each(|x| *x = rng.random_range(0..levels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, RandomMlp, SumOfBits};

    fn unit_bins(d: usize) -> Binning {
        Binning::with_width(-0.5, d as f64 + 0.5, 1.0).unwrap()
    }

    /// `P(bin b unhit in N samples) = (1 - p_b)^N` with `p_b = C(D, b) / 2^D`.
    fn miss_probabilities(d: usize, n: u64) -> Vec<f64> {
        let ln_total = ln_input_space(d, 2);
        let counts = SumOfBits::new(d).unwrap().ln_counts();
        counts
            .iter()
            .map(|&(_, ln_c)| (1.0 - (ln_c - ln_total).exp()).powf(n as f64))
            .collect()
    }

    #[test]
    fn missed_bins_agree_with_binomial_tail_probabilities() {
        let (d, n, seeds) = (20, 2000, 30);
        let model = SumOfBits::new(d).unwrap();
        let q = miss_probabilities(d, n);
        // The miss indicators of a multinomial are negatively correlated, so
        // summing their variances over-estimates the spread of the total:
        // a 4-sigma band on that over-estimate is a conservative test.
        let expected = seeds as f64 * q.iter().sum::<f64>();
        let sd = (seeds as f64 * q.iter().map(|q| q * (1.0 - q)).sum::<f64>()).sqrt();
        let observed: usize = (0..seeds)
            .map(|seed| {
                let mc = NaiveMc::new(&model, n, seed)
                    .unwrap()
                    .with_batch(256)
                    .unwrap();
                mc.run(&unit_bins(d)).unwrap().n_missed
            })
            .sum();
        let z = (observed as f64 - expected) / sd;
        assert!(
            z.abs() < 4.0,
            "observed {observed}, expected {expected:.1} +- {sd:.1}"
        );
    }

    #[test]
    fn well_sampled_bins_are_estimated_within_their_sampling_error() {
        let (d, n) = (20, 200_000);
        let model = SumOfBits::new(d).unwrap();
        let result = NaiveMc::new(&model, n, 7)
            .unwrap()
            .run(&unit_bins(d))
            .unwrap();
        let exact = model.exact_dos(&unit_bins(d));
        let ln_total = ln_input_space(d, 2);
        let mut checked = 0;
        for b in 0..=d {
            let p = (exact.ln_g[b] - ln_total).exp();
            if p < 0.01 {
                continue;
            }
            // ln g_hat - ln g ~ (n_b - Np) / (Np) has standard deviation
            // sqrt((1 - p) / (N p)); 5 of those over 11 bins leaves a false
            // alarm rate below 1e-5.
            let tol = 5.0 * ((1.0 - p) / (n as f64 * p)).sqrt();
            let err = (result.dos.ln_g[b] - exact.ln_g[b]).abs();
            assert!(err < tol, "bin {b}: error {err:.4} > {tol:.4}");
            checked += 1;
        }
        assert_eq!(checked, 11);
        assert_eq!(result.evals, n);
        assert_eq!(result.hits.iter().sum::<u64>() + result.out_of_range(), n);
    }

    #[test]
    fn a_seed_gives_the_same_run_on_any_number_of_threads() {
        let model = RandomMlp::new(30, &[8], 3, Activation::Tanh, 1).unwrap();
        let binning = Binning::with_count(-1.0, 1.0, 20).unwrap();
        let run_on = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mc = NaiveMc::new(&model, 5000, seed)
                .unwrap()
                .with_batch(300)
                .unwrap();
            let mut result = pool.install(|| mc.run(&binning)).unwrap();
            result.seconds = 0.0;
            result
        };
        let reference = run_on(1, 3);
        assert_eq!(run_on(2, 3), reference);
        assert_ne!(run_on(2, 4).hits, reference.hits);
        assert!(
            reference.below + reference.above > 0,
            "the range should cut the tails"
        );
    }

    #[test]
    fn levels_are_drawn_uniformly() {
        // 64 000 draws per level value: the share of each value has standard
        // deviation below 0.002, so 0.01 is a 5-sigma band.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for levels in [2u8, 3, 5] {
            let mut buf = vec![0u8; 64_000 * levels as usize];
            fill_uniform(&mut rng, levels, &mut buf);
            for v in 0..levels {
                let share = buf.iter().filter(|&&x| x == v).count() as f64 / buf.len() as f64;
                assert!(
                    (share - 1.0 / levels as f64).abs() < 0.01,
                    "level {v} of {levels}"
                );
            }
        }
    }

    #[test]
    fn zero_samples_miss_every_bin_and_zero_batches_are_refused() {
        let model = SumOfBits::new(8).unwrap();
        let result = NaiveMc::new(&model, 0, 1)
            .unwrap()
            .run(&unit_bins(8))
            .unwrap();
        assert_eq!(result.n_missed, 9);
        let e = NaiveMc::new(&model, 10, 1)
            .unwrap()
            .with_batch(0)
            .unwrap_err();
        assert!(e.to_string().contains("`batch`"), "{e}");
    }
    #[test]
    fn a_fixed_seed_gives_pinned_hits() {
        // Pins the sampling scheme (ChaCha8, one stream per batch, 64 bits
        // per word): a change here changes every recorded naive result.
        let model = SumOfBits::new(10).unwrap();
        let result = NaiveMc::new(&model, 1000, 1)
            .unwrap()
            .run(&unit_bins(10))
            .unwrap();
        assert_eq!(result.hits, [1, 8, 56, 118, 198, 219, 220, 118, 44, 18, 0]);
    }
}
