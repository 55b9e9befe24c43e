//! Recovering the density from the smooth target, whose `T` is not flat
//! inside a bin.
//!
//! Two estimators, both accumulated over the final stage of a run:
//!
//! - **Frozen** (exact multicanonical reweighting). With `T` frozen the
//!   walkers sample `pi(x) ~ exp(-T(f(x)))`, so a visit lands in bin `b`
//!   with probability `sum_{x in b} exp(-T(f(x))) / Z`. Weighting each visit
//!   by `exp(T(E_visit))` cancels that factor: the expected sum of weights in
//!   bin `b` over `N` visits is `N g_b / Z`, one constant times `g_b`. It is
//!   exact in the limit, but it rests on the visit counts of the final stage
//!   alone, and those fluctuate as much as any histogram.
//! - **Within-bin** (the default). Learning goes on, and each visit adds
//!   `exp(T(E_visit) - ln_g[b])`, the target's offset inside its bin. Once
//!   Wang-Landau has made the histogram flat, `sum_{x in b} exp(-T(f(x)))`
//!   is the same for every bin, and writing `T = ln_g[b] + s_b` inside bin
//!   `b` gives `ln g_b = ln_g[b] + ln mean_visits exp(s_b) + const`. This
//!   keeps what learning has averaged over the whole run and corrects only
//!   for the shape of `T` inside each bin; with the bin target `s_b = 0` and
//!   it is `ln_g` itself.
//!
//! Sums are kept in log space for the same reason `ln_g` is.

use serde::{Deserialize, Serialize};

use super::proposal::log_add;

/// Per bin: `ln sum exp(T(E_visit))`, `ln sum exp(T(E_visit) - ln_g[b])`,
/// and the number of visits. A bin with no visits holds 0 rather than
/// `-inf`, which JSON cannot carry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Reweighting {
    pub ln_weight: Vec<f64>,
    pub ln_offset: Vec<f64>,
    pub visits: Vec<u64>,
}

impl Reweighting {
    pub fn new(n_bins: usize) -> Self {
        Self {
            ln_weight: vec![0.0; n_bins],
            ln_offset: vec![0.0; n_bins],
            visits: vec![0; n_bins],
        }
    }

    /// One visit to bin `bin_idx` at target value `t`, with the bin's `ln_g`.
    pub fn add(&mut self, bin_idx: usize, t: f64, ln_g: f64) {
        let first = self.visits[bin_idx] == 0;
        let acc = |sum: &mut f64, v: f64| *sum = if first { v } else { log_add(*sum, v) };
        acc(&mut self.ln_weight[bin_idx], t);
        acc(&mut self.ln_offset[bin_idx], t - ln_g);
        self.visits[bin_idx] += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.visits.iter().all(|&v| v == 0)
    }

    /// The estimate; bins the final stage never reached keep their `ln_g`.
    pub fn estimate(&self, ln_g: &[f64], frozen: bool) -> Vec<f64> {
        if frozen {
            self.frozen_estimate(ln_g)
        } else {
            (0..ln_g.len())
                .map(|b| match self.visits[b] {
                    0 => ln_g[b],
                    n => ln_g[b] + self.ln_offset[b] - (n as f64).ln(),
                })
                .collect()
        }
    }

    /// The frozen estimate lives on its own scale; to put uncovered bins'
    /// `ln_g` beside it, it is shifted to agree with `ln_g` on average over
    /// the bins it covers. (The shift does not change covered bins relative
    /// to each other, which is where the estimate is exact.)
    fn frozen_estimate(&self, ln_g: &[f64]) -> Vec<f64> {
        let covered: Vec<usize> = (0..ln_g.len()).filter(|&b| self.visits[b] > 0).collect();
        if covered.is_empty() {
            return ln_g.to_vec();
        }
        let shift = covered
            .iter()
            .map(|&b| ln_g[b] - self.ln_weight[b])
            .sum::<f64>()
            / covered.len() as f64;
        (0..ln_g.len())
            .map(|b| {
                if self.visits[b] > 0 {
                    self.ln_weight[b] + shift
                } else {
                    ln_g[b]
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_weights_sum_in_log_space_and_uncovered_bins_keep_ln_g() {
        let mut r = Reweighting::new(3);
        r.add(0, 1.0, 0.0);
        r.add(0, 1.0, 0.0);
        r.add(2, 5.0, 0.0);
        assert!((r.ln_weight[0] - (1.0 + 2f64.ln())).abs() < 1e-15);
        let est = r.estimate(&[0.0, 7.0, 0.0], true);
        assert_eq!(est[1], 7.0);
        // Covered bins keep their difference.
        assert!((est[2] - est[0] - (5.0 - 1.0 - 2f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn within_bin_correction_is_the_mean_offset_and_vanishes_for_a_flat_bin() {
        let mut r = Reweighting::new(2);
        r.add(0, 3.0, 3.0);
        r.add(0, 3.0, 3.0);
        r.add(1, 4.0, 5.0);
        r.add(1, 6.0, 5.0);
        let est = r.estimate(&[3.0, 5.0], false);
        assert!((est[0] - 3.0).abs() < 1e-15);
        let mean = ((-1f64).exp() + 1f64.exp()) / 2.0;
        assert!((est[1] - (5.0 + mean.ln())).abs() < 1e-12);
    }
}
