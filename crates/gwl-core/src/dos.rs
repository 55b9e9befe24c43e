//! The density of states `ln g(E)` over bins, and its normalisation.
//!
//! Densities live in log space: counts of inputs reach `2^784`, far beyond any
//! float, while their logarithms stay in the hundreds.

use serde::{Deserialize, Serialize};

use crate::Binning;

/// An estimate (or the exact value) of `ln g` per bin. Bins never visited
/// have no estimate: `visited[b] == false` and `ln_g[b]` is meaningless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dos {
    pub binning: Binning,
    pub ln_g: Vec<f64>,
    pub visited: Vec<bool>,
}

impl Dos {
    pub fn new(binning: Binning, ln_g: Vec<f64>, visited: Vec<bool>) -> Self {
        assert_eq!(ln_g.len(), binning.n_bins());
        assert_eq!(visited.len(), binning.n_bins());
        Self {
            binning,
            ln_g,
            visited,
        }
    }

    /// Exact density from integer counts per bin (empty bins unvisited).
    pub fn from_counts(binning: Binning, counts: &[u64]) -> Self {
        let ln_g = counts
            .iter()
            .map(|&c| if c > 0 { (c as f64).ln() } else { 0.0 })
            .collect();
        let visited = counts.iter().map(|&c| c > 0).collect();
        Self::new(binning, ln_g, visited)
    }

    /// Shifts `ln_g` so that `logsumexp` over visited bins equals `ln_total`
    /// (`D ln 2` for binary inputs, `D ln K` for K levels).
    pub fn normalise(&mut self, ln_total: f64) {
        let lse = logsumexp(self.visited_values());
        if lse.is_finite() {
            for (v, &seen) in self.ln_g.iter_mut().zip(&self.visited) {
                if seen {
                    *v += ln_total - lse;
                }
            }
        }
    }

    /// `log10` of the output distribution `rho = g / |X|` per bin, given
    /// `ln_total = ln |X|`; `None` for unvisited bins. Assumes `normalise`.
    pub fn log10_rho(&self, ln_total: f64) -> Vec<Option<f64>> {
        self.ln_g
            .iter()
            .zip(&self.visited)
            .map(|(&v, &seen)| seen.then(|| (v - ln_total) / std::f64::consts::LN_10))
            .collect()
    }

    /// Number of bins visited.
    pub fn n_visited(&self) -> usize {
        self.visited.iter().filter(|&&v| v).count()
    }

    fn visited_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.ln_g
            .iter()
            .zip(&self.visited)
            .filter(|(_, &s)| s)
            .map(|(&v, _)| v)
    }
}

/// `ln sum exp(x)` computed stably; `-inf` for an empty sequence.
pub fn logsumexp(xs: impl IntoIterator<Item = f64>) -> f64 {
    let xs: Vec<f64> = xs.into_iter().collect();
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + xs.iter().map(|&x| (x - max).exp()).sum::<f64>().ln()
}

/// `ln |X|` for `d` coordinates of `levels` levels each.
pub fn ln_input_space(d: usize, levels: u8) -> f64 {
    d as f64 * (levels as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_counts_sum_to_the_input_space() {
        let b = Binning::with_count(0.0, 3.0, 3).unwrap();
        let mut dos = Dos::from_counts(b, &[1, 2, 1]);
        dos.ln_g.iter_mut().for_each(|v| *v += 7.0);
        dos.normalise(ln_input_space(2, 2));
        let exact = [1f64.ln(), 2f64.ln(), 1f64.ln()];
        for (a, e) in dos.ln_g.iter().zip(exact) {
            assert!((a - e).abs() < 1e-12);
        }
        let rho = dos.log10_rho(ln_input_space(2, 2));
        assert!((rho[1].unwrap() - 0.5f64.log10()).abs() < 1e-12);
    }
}
