//! The modification factor `ln_f`: halving on flat histograms, then `1/t`.
//!
//! Halving alone saturates: once `ln_f` is far below `1/t` the density stops
//! learning from new visits and its error stops shrinking. Belardinelli and
//! Pereyra's rule switches to `ln_f = n_bins / t` when a halving would go
//! below it, which keeps the accumulated update growing like `ln t`.
//!
//! With `W` walkers `t` counts walker-steps (`W` per step): all walkers add
//! to one shared `ln_g`, so together they act as one chain running `W`
//! times as fast, and `n_bins / t` keeps the total added per step at the
//! single-chain rate.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Schedule {
    pub ln_f: f64,
    /// Whether the `1/t` phase has begun.
    pub one_over_t: bool,
}

impl Schedule {
    pub fn new(ln_f_initial: f64) -> Self {
        Self {
            ln_f: ln_f_initial,
            one_over_t: false,
        }
    }

    /// After every step: in the `1/t` phase, `ln_f = n_bins / t`.
    pub fn after_step(&mut self, n_bins: usize, walker_steps: u64) {
        if self.one_over_t {
            self.ln_f = n_bins as f64 / walker_steps as f64;
        }
    }

    /// At a flatness check: halve on a flat histogram (the caller then
    /// clears it) and enter the `1/t` phase if allowed and due. Returns
    /// whether the histogram should be cleared.
    pub fn on_check(&mut self, flat: bool, allow_one_over_t: bool, n_bins: usize, t: u64) -> bool {
        if self.one_over_t || !flat {
            return false;
        }
        self.ln_f /= 2.0;
        let floor = n_bins as f64 / t as f64;
        if allow_one_over_t && self.ln_f <= floor {
            self.one_over_t = true;
            self.ln_f = floor;
        }
        true
    }
}

/// `min(hist) / mean(hist)` over visited bins; 0 when nothing is visited.
pub(crate) fn flatness(hist: &[u64], visited: &[bool]) -> f64 {
    let seen: Vec<u64> = hist
        .iter()
        .zip(visited)
        .filter(|(_, &v)| v)
        .map(|(&h, _)| h)
        .collect();
    if seen.is_empty() {
        return 0.0;
    }
    let mean = seen.iter().sum::<u64>() as f64 / seen.len() as f64;
    if mean == 0.0 {
        return 0.0;
    }
    *seen.iter().min().expect("non-empty") as f64 / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_hands_over_to_one_over_t_when_it_would_fall_below() {
        let mut s = Schedule::new(1.0);
        assert!(!s.on_check(false, true, 10, 100));
        assert_eq!(s.ln_f, 1.0);
        assert!(s.on_check(true, true, 10, 100));
        assert_eq!((s.ln_f, s.one_over_t), (0.5, false));
        // 0.25 <= 10 / 30: switch, and take the larger 1/t value.
        assert!(s.on_check(true, true, 10, 30));
        assert!(s.one_over_t);
        assert!((s.ln_f - 10.0 / 30.0).abs() < 1e-15);
        s.after_step(10, 1000);
        assert_eq!(s.ln_f, 0.01);
        assert!(
            !s.on_check(true, true, 10, 2000),
            "no halving in the 1/t phase"
        );
    }

    #[test]
    fn without_one_over_t_halving_goes_on() {
        let mut s = Schedule::new(1.0);
        for _ in 0..10 {
            s.on_check(true, false, 10, 1);
        }
        assert_eq!(s.ln_f, 1.0 / 1024.0);
        assert!(!s.one_over_t);
    }

    #[test]
    fn flatness_ignores_unvisited_bins() {
        assert_eq!(flatness(&[4, 0, 2], &[true, false, true]), 2.0 / 3.0);
        assert_eq!(flatness(&[0, 0], &[false, false]), 0.0);
    }
}
