//! Exhaustive enumeration: every input of a small input space through the
//! model, giving the exact density of states that the samplers are measured
//! against.
//!
//! Input number `i` has level `(i / K^j) mod K` at coordinate `j`, so a batch
//! is a contiguous range of numbers and is written with a mixed-radix
//! counter. Batches run in parallel with rayon; counts are integers, so the
//! result is identical on any number of threads and with any batch size.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::gray::tally_gray;
use crate::tally::{tally_batches, Tally};
use crate::{Binning, ConfigError, Dos, Model, SampleError};

/// The largest input space enumerated: `2^32` inputs, half an hour or more
/// for the benchmark's small MLP on two cores.
pub const MAX_INPUTS: u64 = 1 << 32;

/// Inputs per batch unless set otherwise: large enough that the per-batch
/// overhead vanishes, small enough to keep all threads busy.
pub const DEFAULT_BATCH: usize = 4096;

/// An enumeration of one model, validated and ready to run.
///
/// ```
/// use gwl_core::{compare, Binning, Enumerator, NaiveMc, SumOfBits};
///
/// let model = SumOfBits::new(12).unwrap();
/// let binning = Binning::with_width(-0.5, 12.5, 1.0).unwrap();
/// let truth = Enumerator::new(&model).unwrap().run(&binning).unwrap();
/// assert_eq!(truth.counts[6], 924); // C(12, 6)
/// let exact = model.exact_dos(&binning);
/// for (counted, formula) in truth.dos().ln_g.iter().zip(&exact.ln_g) {
///     assert!((counted - formula).abs() < 1e-12);
/// }
///
/// let naive = NaiveMc::new(&model, 1000, 7).unwrap().run(&binning).unwrap();
/// let accuracy = compare(&naive.dos, &truth.dos());
/// assert_eq!(accuracy.n_truth_bins, 13);
/// assert!(accuracy.n_missed >= 2, "1000 samples cannot see 1 input in 4096");
/// ```
#[derive(Debug, Clone)]
pub struct Enumerator<'m, M: Model + ?Sized> {
    model: &'m M,
    n_inputs: u64,
    batch: usize,
}

/// Exact counts of the outputs of every input, on one binning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enumeration {
    pub binning: Binning,
    pub counts: Vec<u64>,
    /// Finite outputs below `binning.e_min()` and at or above `e_max()`.
    pub below: u64,
    pub above: u64,
    pub nonfinite: u64,
    /// Extremes over all finite outputs, in range or not; `+inf` and `-inf`
    /// when no output was finite.
    pub min_output: f64,
    pub max_output: f64,
    /// Forward evaluations, one per input.
    pub evals: u64,
    pub seconds: f64,
}

impl Enumeration {
    /// The exact density of states (bins with no input are unvisited).
    pub fn dos(&self) -> Dos {
        Dos::from_counts(self.binning, &self.counts)
    }

    fn from_tally(binning: Binning, tally: Tally, evals: u64, seconds: f64) -> Self {
        let Tally {
            counts,
            below,
            above,
            nonfinite,
            min_output,
            max_output,
        } = tally;
        Self {
            binning,
            counts,
            below,
            above,
            nonfinite,
            min_output,
            max_output,
            evals,
            seconds,
        }
    }
}

impl<'m, M: Model + ?Sized> Enumerator<'m, M> {
    /// Refuses `K < 2` and input spaces above [`MAX_INPUTS`].
    pub fn new(model: &'m M) -> Result<Self, ConfigError> {
        let n_inputs = count_inputs(model.input_len(), model.levels())?;
        Ok(Self {
            model,
            n_inputs,
            batch: DEFAULT_BATCH,
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

    /// `K^D`, the number of inputs a run evaluates.
    pub fn n_inputs(&self) -> u64 {
        self.n_inputs
    }

    pub fn run(&self, binning: &Binning) -> Result<Enumeration, SampleError> {
        let start = Instant::now();
        let d = self.model.input_len();
        let levels = self.model.levels();
        let tally = tally_batches(
            self.model,
            binning,
            self.n_inputs,
            self.batch,
            |_, first, buf| write_inputs(first, d, levels, buf),
        )?;
        Ok(Enumeration::from_tally(
            *binning,
            tally,
            self.n_inputs,
            start.elapsed().as_secs_f64(),
        ))
    }

    /// Like [`Enumerator::run`], in Gray-code order through the model's
    /// incremental path (see the `gray` module) when the model has one and is
    /// binary; otherwise exactly [`Enumerator::run`]. The counts equal
    /// `run`'s only as far as the model's incremental outputs equal its
    /// forward outputs: a model whose `f32` state rounds may move an output
    /// that sits on a bin edge into the neighbouring bin.
    pub fn run_incremental(&self, binning: &Binning) -> Result<Enumeration, SampleError> {
        let model = self.model;
        if model.state_len() == 0 || model.levels() != 2 || model.input_len() == 0 {
            return self.run(binning);
        }
        let start = Instant::now();
        let tally = tally_gray(model, binning)?;
        Ok(Enumeration::from_tally(
            *binning,
            tally,
            self.n_inputs,
            start.elapsed().as_secs_f64(),
        ))
    }

    /// The lowest and highest finite outputs over the whole input space, for
    /// choosing a binning; `(+inf, -inf)` when no output is finite.
    pub fn output_range(&self) -> Result<(f64, f64), SampleError> {
        let any = Binning::with_count(0.0, 1.0, 1).expect("a fixed valid binning");
        let result = self.run_incremental(&any)?;
        Ok((result.min_output, result.max_output))
    }
}

/// `K^D`, or the error that says how large it would be.
pub fn count_inputs(d: usize, levels: u8) -> Result<u64, ConfigError> {
    if levels < 2 {
        return Err(ConfigError::BadLevels(levels));
    }
    let k = u64::from(levels);
    let limit = (0..)
        .take_while(|&n| k.checked_pow(n).is_some_and(|c| c <= MAX_INPUTS))
        .count();
    let limit = limit - 1;
    if d > limit {
        return Err(ConfigError::TooManyToEnumerate {
            d,
            limit,
            inputs: describe_power(k, d),
        });
    }
    Ok(k.pow(d as u32))
}

/// `K^D` written out exactly while it fits in 128 bits, else to the nearest
/// power of ten; either way the reader sees how far past the limit it is.
fn describe_power(k: u64, d: usize) -> String {
    match u32::try_from(d)
        .ok()
        .and_then(|d| u128::from(k).checked_pow(d))
    {
        Some(n) => format!("{k}^{d} = {n}"),
        None => format!("{k}^{d} (about 10^{:.0})", d as f64 * (k as f64).log10()),
    }
}

/// Writes inputs number `first, first + 1, ...` until `buf` is full.
fn write_inputs(first: u64, d: usize, levels: u8, buf: &mut [u8]) {
    if d == 0 {
        return;
    }
    let mut digits = vec![0u8; d];
    let mut rest = first;
    for digit in digits.iter_mut() {
        *digit = (rest % u64::from(levels)) as u8;
        rest /= u64::from(levels);
    }
    for input in buf.chunks_exact_mut(d) {
        input.copy_from_slice(&digits);
        increment(&mut digits, levels);
    }
}

fn increment(digits: &mut [u8], levels: u8) {
    for digit in digits.iter_mut() {
        *digit += 1;
        if *digit < levels {
            return;
        }
        *digit = 0;
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::{Activation, IntegerLinear, RandomMlp, SumOfBits};

    /// The reference: one input at a time, each decoded on its own by
    /// division, binned by hand.
    fn brute_force(model: &RandomMlp, binning: &Binning) -> (Vec<u64>, u64, f64, f64) {
        let (d, k) = (model.input_len(), u64::from(model.levels()));
        let mut counts = vec![0; binning.n_bins()];
        let (mut outside, mut lo, mut hi) = (0, f64::INFINITY, f64::NEG_INFINITY);
        for i in 0..k.pow(d as u32) {
            let input: Vec<u8> = (0..d).map(|j| (i / k.pow(j as u32) % k) as u8).collect();
            let mut out = [0.0];
            model.forward(&input, &mut out).unwrap();
            let e = out[0];
            (lo, hi) = (lo.min(e), hi.max(e));
            let edge = ((e - binning.e_min()) / binning.width()).floor();
            if edge >= 0.0 && edge < binning.n_bins() as f64 {
                counts[edge as usize] += 1;
            } else {
                outside += 1;
            }
        }
        (counts, outside, lo, hi)
    }

    fn check_against_brute_force(d: usize, levels: u8, seed: u64) {
        let model = RandomMlp::new(d, &[8, 4], levels, Activation::Tanh, seed).unwrap();
        // A range that cuts off both tails exercises `below` and `above`.
        let binning = Binning::with_count(-1.0, 1.0, 13).unwrap();
        let result = Enumerator::new(&model)
            .unwrap()
            .with_batch(100)
            .unwrap()
            .run(&binning);
        let result = result.unwrap();
        let (counts, outside, lo, hi) = brute_force(&model, &binning);
        assert_eq!(result.counts, counts, "d = {d}, levels = {levels}");
        assert_eq!(result.below + result.above, outside);
        assert_eq!((result.min_output, result.max_output), (lo, hi));
        assert_eq!(result.evals, u64::from(levels).pow(d as u32));
        assert_eq!(result.nonfinite, 0);
    }

    #[test]
    fn enumeration_equals_a_brute_force_loop() {
        for (d, seed) in (6..=12).zip(1..) {
            check_against_brute_force(d, 2, seed);
        }
        for (d, seed) in (5..=8).zip(20..) {
            check_against_brute_force(d, 3, seed);
        }
    }

    #[test]
    fn enumeration_matches_exact_counts_of_the_analytic_models() {
        let weights = vec![2, -1, 3, 0, 1, -2, 4, 1, -3, 2, 1];
        let model = IntegerLinear::new(weights).unwrap();
        let binning = Binning::with_width(-6.5, 14.5, 1.0).unwrap();
        let enumerated = Enumerator::new(&model).unwrap().run(&binning).unwrap();
        let exact = model.exact_dos(&binning);
        let dos = enumerated.dos();
        assert_eq!(dos.visited, exact.visited);
        for (a, b) in dos.ln_g.iter().zip(&exact.ln_g) {
            assert!((a - b).abs() < 1e-12);
        }
        assert_eq!(enumerated.below + enumerated.above, 0);

        let bits = SumOfBits::new(16).unwrap();
        let range = Enumerator::new(&bits).unwrap().output_range().unwrap();
        assert_eq!(range, (0.0, 16.0));
    }

    #[test]
    fn result_is_independent_of_threads_and_batch_size() {
        let model = RandomMlp::new(12, &[6], 2, Activation::Relu, 4).unwrap();
        let binning = Binning::with_count(-2.0, 2.0, 40).unwrap();
        let run_on = |threads: usize, batch: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let enumerator = Enumerator::new(&model).unwrap().with_batch(batch).unwrap();
            let mut result = pool.install(|| enumerator.run(&binning)).unwrap();
            result.seconds = 0.0;
            result
        };
        let reference = run_on(1, 4096);
        assert_eq!(run_on(2, 4096), reference);
        assert_eq!(run_on(2, 7), reference);
    }

    #[test]
    fn gray_code_order_gives_the_same_counts_as_plain_order() {
        // Integer outputs keep the incremental f32 state exact, so the two
        // orders must agree bit for bit; D = 5 is a single short block, D = 17
        // spans many lanes and several tasks.
        for (d, seed) in [(5, 1), (9, 2), (17, 3)] {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let weights = (0..d).map(|_| rng.random_range(-4..=4)).collect();
            let model = IntegerLinear::new(weights).unwrap();
            let binning = Binning::with_width(-20.5, 10.5, 2.0).unwrap();
            let enumerator = Enumerator::new(&model).unwrap();
            let mut plain = enumerator.run(&binning).unwrap();
            let mut gray = enumerator.run_incremental(&binning).unwrap();
            (plain.seconds, gray.seconds) = (0.0, 0.0);
            assert_eq!(gray, plain, "d = {d}");
        }
        // RandomMlp's binary incremental path is exact by construction; with
        // three levels it has none and the plain order is used.
        for (d, levels) in [(14, 2), (6, 3)] {
            let mlp = RandomMlp::new(d, &[5, 3], levels, Activation::Relu, 0).unwrap();
            let binning = Binning::with_count(-1.0, 1.0, 25).unwrap();
            let enumerator = Enumerator::new(&mlp).unwrap();
            let gray = enumerator.run_incremental(&binning).unwrap();
            let plain = enumerator.run(&binning).unwrap();
            assert_eq!(gray.counts, plain.counts, "d = {d}");
            assert_eq!(
                (gray.min_output, gray.max_output),
                (plain.min_output, plain.max_output)
            );
        }
    }

    #[test]
    fn too_large_spaces_are_refused_with_their_size() {
        let model = SumOfBits::new(40).unwrap();
        let e = Enumerator::new(&model).unwrap_err();
        assert_eq!(
            e.to_string(),
            "enumeration is limited to D <= 32; D = 40 would be 2^40 = 1099511627776 inputs"
        );
        let e = Enumerator::new(&SumOfBits::new(784).unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "enumeration is limited to D <= 32; D = 784 would be 2^784 (about 10^236) inputs"
        );
        let mlp = RandomMlp::new(21, &[2], 3, Activation::Tanh, 0).unwrap();
        let e = Enumerator::new(&mlp).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("enumeration is limited to D <= 20; D = 21"),
            "{e}"
        );
        assert_eq!(count_inputs(32, 2), Ok(1 << 32));
        assert_eq!(count_inputs(3, 1), Err(ConfigError::BadLevels(1)));
        let e = Enumerator::new(&model).map(|_| ()).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::TooManyToEnumerate {
                d: 40,
                limit: 32,
                ..
            }
        ));
        let small = SumOfBits::new(4).unwrap();
        let e = Enumerator::new(&small).unwrap().with_batch(0).unwrap_err();
        assert!(e.to_string().contains("`batch`"), "{e}");
    }
}
