//! Linear models on binary inputs whose density of states is known exactly.
//!
//! They stand in for networks in the samplers' tests: their outputs are
//! integers, so the number of inputs with each output can be counted without
//! enumerating the inputs, even at D = 784 where `2^784` inputs exist.
//! Counts are kept as natural logarithms for the same reason `Dos` is.

use crate::{logsumexp, Binning, Change, ConfigError, Dos, Model, ModelError};

/// Outputs must stay exactly representable in the `f32` incremental state.
const MAX_ABS_OUTPUT: i64 = 1 << 24;

/// `f(x) = sum_i w_i x_i` on `x in {0,1}^D`, with small integer weights.
///
/// Its exact counts come from dynamic programming over the reachable sums,
/// which costs `D` times the number of distinct sums.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegerLinear {
    weights: Vec<i32>,
}

impl IntegerLinear {
    /// Refuses an empty weight vector and weights whose absolute sum exceeds
    /// `2^24`, beyond which the `f32` incremental state would round.
    pub fn new(weights: Vec<i32>) -> Result<Self, ConfigError> {
        if weights.is_empty() {
            return Err(ConfigError::BadParameter {
                name: "weights",
                value: "[]".into(),
                why: "a model needs at least one input",
            });
        }
        let abs_sum: i64 = weights.iter().map(|&w| i64::from(w).abs()).sum();
        if abs_sum > MAX_ABS_OUTPUT {
            return Err(ConfigError::BadParameter {
                name: "weights",
                value: format!("absolute sum {abs_sum}"),
                why: "outputs must stay within 2^24 to be exact in f32 state",
            });
        }
        Ok(Self { weights })
    }

    pub fn weights(&self) -> &[i32] {
        &self.weights
    }

    /// Every reachable output with the natural log of its number of inputs,
    /// in increasing order of output.
    ///
    /// Adding one coordinate of weight `w` maps the count table `c` to
    /// `c'(s) = c(s) + c(s - w)`; done in log space the table never
    /// overflows, and the relative rounding grows only linearly in `D`.
    pub fn ln_counts(&self) -> Vec<(i64, f64)> {
        let lowest: i64 = self.weights.iter().map(|&w| i64::from(w.min(0))).sum();
        let highest: i64 = self.weights.iter().map(|&w| i64::from(w.max(0))).sum();
        let mut table = vec![f64::NEG_INFINITY; (highest - lowest + 1) as usize];
        // The all-zero input has output 0, which sits at offset -lowest.
        table[(-lowest) as usize] = 0.0;
        for &w in &self.weights {
            table = add_coordinate(&table, w);
        }
        table
            .into_iter()
            .enumerate()
            .filter(|(_, ln_c)| ln_c.is_finite())
            .map(|(offset, ln_c)| (lowest + offset as i64, ln_c))
            .collect()
    }

    /// The exact density of states on `binning`; outputs outside it are left
    /// out, so it sums to `ln |X|` only when the binning covers every output.
    pub fn exact_dos(&self, binning: &Binning) -> Dos {
        dos_from_ln_counts(&self.ln_counts(), binning)
    }

    fn output_of(&self, input: &[u8]) -> i64 {
        input
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| i64::from(w) * i64::from(x))
            .sum()
    }
}

fn add_coordinate(table: &[f64], w: i32) -> Vec<f64> {
    let shift = w as isize;
    (0..table.len() as isize)
        .map(|s| {
            let from = s - shift;
            let moved = usize::try_from(from)
                .ok()
                .and_then(|i| table.get(i))
                .copied();
            match moved {
                Some(m) => log_add(table[s as usize], m),
                None => table[s as usize],
            }
        })
        .collect()
}

fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// Sums the counts of outputs falling in each bin (in log space).
pub(crate) fn dos_from_ln_counts(ln_counts: &[(i64, f64)], binning: &Binning) -> Dos {
    let mut per_bin: Vec<Vec<f64>> = vec![Vec::new(); binning.n_bins()];
    for &(output, ln_c) in ln_counts {
        if let Some(bin_idx) = binning.bin_of(output as f64) {
            per_bin[bin_idx].push(ln_c);
        }
    }
    let visited = per_bin.iter().map(|v| !v.is_empty()).collect();
    let ln_g = per_bin
        .into_iter()
        .map(|v| if v.is_empty() { 0.0 } else { logsumexp(v) })
        .collect();
    Dos::new(*binning, ln_g, visited)
}

/// Checks a batch's slice lengths against `D` and returns the batch size.
pub(crate) fn batch_len(
    d: usize,
    inputs: &[u8],
    outputs: &[f64],
    per_input: &[(usize, usize)],
) -> Result<usize, ModelError> {
    let n = outputs.len();
    if inputs.len() != n * d {
        return Err(ModelError::new(format!(
            "inputs hold {} levels, expected {n} outputs times D = {d}",
            inputs.len()
        )));
    }
    for &(len, width) in per_input {
        if len != n * width {
            return Err(ModelError::new(format!(
                "a per-input buffer holds {len} values, expected {n} times {width}"
            )));
        }
    }
    Ok(n)
}

impl Model for IntegerLinear {
    fn input_len(&self) -> usize {
        self.weights.len()
    }

    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        let d = self.weights.len();
        batch_len(d, inputs, outputs, &[])?;
        for (input, out) in inputs.chunks_exact(d).zip(outputs.iter_mut()) {
            *out = self.output_of(input) as f64;
        }
        Ok(())
    }

    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        let d = self.weights.len();
        batch_len(d, inputs, outputs, &[(grads.len(), d)])?;
        self.forward(inputs, outputs)?;
        for grad in grads.chunks_exact_mut(d) {
            for (g, &w) in grad.iter_mut().zip(&self.weights) {
                *g = w as f32;
            }
        }
        Ok(())
    }

    /// One value: the output itself, exact in `f32` by the constructor's bound.
    fn state_len(&self) -> usize {
        1
    }

    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        batch_len(self.weights.len(), inputs, outputs, &[(states.len(), 1)])?;
        self.forward(inputs, outputs)?;
        for (state, &out) in states.iter_mut().zip(outputs.iter()) {
            *state = out as f32;
        }
        Ok(())
    }

    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        let d = self.weights.len();
        let n = batch_len(d, inputs, outputs, &[(states.len(), 1), (changes.len(), 1)])?;
        for j in 0..n {
            let Change { coord, old_level } = changes[j];
            let new_level = *inputs
                .get(j * d + coord)
                .filter(|_| coord < d)
                .ok_or_else(|| {
                    ModelError::new(format!("changed coordinate {coord} is not below D = {d}"))
                })?;
            let step = i64::from(new_level) - i64::from(old_level);
            states[j] += (i64::from(self.weights[coord]) * step) as f32;
            outputs[j] = f64::from(states[j]);
        }
        Ok(())
    }
}

/// `f(x) = number of ones in x`, `x in {0,1}^D`: `g(E) = C(D, E)`.
///
/// Behaves as an [`IntegerLinear`] with unit weights, but its exact counts
/// come from the binomial formula, so the two count methods check each other.
#[derive(Debug, Clone, PartialEq)]
pub struct SumOfBits {
    linear: IntegerLinear,
}

impl SumOfBits {
    pub fn new(d: usize) -> Result<Self, ConfigError> {
        let weights = vec![1; d];
        let linear = IntegerLinear::new(weights).map_err(|_| ConfigError::BadParameter {
            name: "d",
            value: d.to_string(),
            why: "must lie in 1..=2^24",
        })?;
        Ok(Self { linear })
    }

    pub fn d(&self) -> usize {
        self.linear.weights.len()
    }

    /// `(k, ln C(D, k))` for `k = 0..=D`, from the ratio
    /// `C(D, k+1) / C(D, k) = (D - k) / (k + 1)` up to the middle and by the
    /// symmetry `C(D, k) = C(D, D - k)` beyond it, so the rounding of the
    /// running sum is also symmetric and both ends are exactly `ln 1 = 0`.
    pub fn ln_counts(&self) -> Vec<(i64, f64)> {
        let d = self.d();
        let mut half = Vec::with_capacity(d / 2 + 1);
        let mut ln_c = 0.0;
        for k in 0..=d / 2 {
            half.push(ln_c);
            ln_c += ((d - k) as f64).ln() - ((k + 1) as f64).ln();
        }
        (0..=d).map(|k| (k as i64, half[k.min(d - k)])).collect()
    }

    /// The exact density of states on `binning`, as [`IntegerLinear::exact_dos`].
    pub fn exact_dos(&self, binning: &Binning) -> Dos {
        dos_from_ln_counts(&self.ln_counts(), binning)
    }
}

impl Model for SumOfBits {
    fn input_len(&self) -> usize {
        self.linear.input_len()
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        self.linear.forward(inputs, outputs)
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        self.linear.forward_grad(inputs, outputs, grads)
    }
    fn state_len(&self) -> usize {
        self.linear.state_len()
    }
    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        self.linear.forward_with_state(inputs, outputs, states)
    }
    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        self.linear
            .forward_changed(inputs, changes, states, outputs)
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::ln_input_space;

    fn binomial(n: u64, k: u64) -> u64 {
        (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
    }

    fn unit_bins(lo: i64, hi: i64) -> Binning {
        Binning::with_width(lo as f64 - 0.5, hi as f64 + 0.5, 1.0).unwrap()
    }

    #[test]
    fn sum_of_bits_density_is_the_binomial_coefficient() {
        let model = SumOfBits::new(30).unwrap();
        let dos = model.exact_dos(&unit_bins(0, 30));
        assert_eq!(dos.n_visited(), 31);
        for k in 0..=30 {
            let exact = (binomial(30, k) as f64).ln();
            assert!((dos.ln_g[k as usize] - exact).abs() < 1e-12, "k = {k}");
        }
    }

    #[test]
    fn counts_at_d_784_sum_to_the_input_space() {
        // Both count methods must add up to 2^784 without overflowing; the
        // DP accumulates 784 log-additions, so 1e-9 relative is generous.
        let ln_total = ln_input_space(784, 2);
        let bits = SumOfBits::new(784).unwrap().ln_counts();
        let lse = logsumexp(bits.iter().map(|c| c.1));
        assert!((lse - ln_total).abs() < 1e-9 * ln_total);

        let dp = IntegerLinear::new(vec![1; 784]).unwrap().ln_counts();
        assert_eq!(dp.len(), bits.len());
        for (a, b) in dp.iter().zip(&bits) {
            assert_eq!(a.0, b.0);
            assert!((a.1 - b.1).abs() < 1e-9 * b.1.max(1.0), "sum {}", a.0);
        }
    }

    #[test]
    fn integer_linear_counts_match_a_brute_force_count() {
        let weights = vec![3, -2, 0, 1, 1, -3, 2, 5, -1, 2];
        let model = IntegerLinear::new(weights.clone()).unwrap();
        let mut brute = std::collections::BTreeMap::<i64, u64>::new();
        for bits in 0u32..1 << weights.len() {
            let sum: i64 = (0..weights.len())
                .filter(|i| bits >> i & 1 == 1)
                .map(|i| i64::from(weights[i]))
                .sum();
            *brute.entry(sum).or_default() += 1;
        }
        let dp = model.ln_counts();
        assert_eq!(dp.len(), brute.len());
        for ((s, ln_c), (bs, bc)) in dp.iter().zip(&brute) {
            assert_eq!(s, bs);
            assert!((ln_c - (*bc as f64).ln()).abs() < 1e-12, "sum {s}");
        }
    }

    #[test]
    fn coarse_bins_add_the_counts_they_hold() {
        let model = SumOfBits::new(4).unwrap();
        // Bins [0, 2) and [2, 4) hold sums {0, 1} and {2, 3}; sum 4 is above.
        let dos = model.exact_dos(&Binning::with_count(0.0, 4.0, 2).unwrap());
        assert!((dos.ln_g[0] - 5f64.ln()).abs() < 1e-12);
        assert!((dos.ln_g[1] - 10f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn gradients_are_the_weights_and_outputs_the_weighted_sum() {
        let model = IntegerLinear::new(vec![2, -1, 4]).unwrap();
        let inputs = [1, 0, 1, 0, 1, 1];
        let (mut out, mut grads) = ([0.0; 2], [0.0f32; 6]);
        model.forward_grad(&inputs, &mut out, &mut grads).unwrap();
        assert_eq!(out, [6.0, 3.0]);
        assert_eq!(grads, [2.0, -1.0, 4.0, 2.0, -1.0, 4.0]);
    }

    #[test]
    fn incremental_outputs_follow_a_random_walk_exactly() {
        let model = IntegerLinear::new(vec![7, -3, 0, 5, -8, 1, 2, -2]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut input: Vec<u8> = (0..8).map(|_| rng.random_range(0..2)).collect();
        let (mut out, mut state) = ([0.0], [0.0f32]);
        model
            .forward_with_state(&input, &mut out, &mut state)
            .unwrap();
        for _ in 0..200 {
            let coord = rng.random_range(0..8);
            let old_level = input[coord];
            input[coord] = 1 - old_level;
            let change = [Change { coord, old_level }];
            model
                .forward_changed(&input, &change, &mut state, &mut out)
                .unwrap();
            let mut fresh = [0.0];
            model.forward(&input, &mut fresh).unwrap();
            assert_eq!(out, fresh);
        }
    }

    #[test]
    fn bad_weights_and_batches_are_refused() {
        let e = IntegerLinear::new(vec![]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter `weights` is out of range: [] (a model needs at least one input)"
        );
        let e = IntegerLinear::new(vec![1 << 23, 1 << 23, 1]).unwrap_err();
        assert!(e.to_string().contains("absolute sum 16777217"), "{e}");
        let e = SumOfBits::new(0).unwrap_err();
        assert!(e.to_string().contains("`d`"), "{e}");

        let model = SumOfBits::new(3).unwrap();
        let e = model.forward(&[1, 0], &mut [0.0]).unwrap_err();
        assert_eq!(
            e.message,
            "inputs hold 2 levels, expected 1 outputs times D = 3"
        );
    }
}
