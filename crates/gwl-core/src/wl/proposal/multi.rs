//! Gradient-informed multi-coordinate move, in the style of the discrete
//! Langevin proposal.
//!
//! Each coordinate independently stays (log-weight 0) or takes one of its
//! legal single-level moves `m` (log-weight
//! `clamp(d_m / 2, -cap, cap) - 1 / (2 alpha)`); for binary inputs that is a
//! flip with probability `sigmoid(clamp(d_i / 2) - 1 / (2 alpha))`. The
//! product of these per-coordinate probabilities is mixed with a uniform
//! single move of weight `mix`, so `q(y|x)` stays positive for every
//! neighbour whatever the gradient says. Both parts are summed in `ln q`, so
//! the ratio is exact whichever part drew the move. When no coordinate moves
//! the proposal is the null move: the walker stays, which is exact (a
//! self-transition never upsets detailed balance) and costs no evaluation.
//!
//! With `expected_moves` set, `1 / (2 alpha)` is replaced by a bias solved
//! at each input so that about that many coordinates move; see
//! `solve_bias`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{log_add, Flip, Here, Moves, Target};

/// Newton steps for the bias of `expected_moves`.
const NEWTON_STEPS: usize = 4;

#[derive(Debug, Clone)]
pub(crate) struct GwlMulti {
    pub moves: Moves,
    pub alpha: f64,
    pub cap: f64,
    pub mix: f64,
    pub expected_moves: Option<f64>,
}

impl GwlMulti {
    /// `alpha` under which a flat target moves about `m = clamp(D / 4, 1, 2)`
    /// binary coordinates per step: each moves with probability
    /// `p0 = sigmoid(-1 / (2 alpha))`, and `p0 = min(m / D, 1/4)` gives
    /// `alpha = 1 / (2 ln(1 / p0 - 1))`. With more moves per step acceptance
    /// falls fast, since every moved coordinate multiplies in its own error.
    pub fn default_alpha(d: usize) -> f64 {
        let m = (d as f64 / 4.0).clamp(1.0, 2.0);
        let p0 = (m / d as f64).min(0.25);
        1.0 / (2.0 * (1.0 / p0 - 1.0).ln())
    }

    pub fn propose(
        &self,
        here: Here<'_>,
        target: &Target<'_>,
        rng: &mut ChaCha8Rng,
        flips: &mut Vec<Flip>,
        scratch: &mut Vec<f64>,
    ) -> f64 {
        let ln_norm = self.fill_log_weights(here, target, scratch);
        if rng.random::<f64>() < self.mix {
            flips.push(self.moves.uniform(here.x, rng));
        } else {
            self.draw(here.x, scratch, rng, flips);
        }
        self.ln_q_given(here.x, flips, scratch, ln_norm)
    }

    pub fn ln_q(
        &self,
        here: Here<'_>,
        flips: &[Flip],
        target: &Target<'_>,
        scratch: &mut Vec<f64>,
    ) -> f64 {
        let ln_norm = self.fill_log_weights(here, target, scratch);
        self.ln_q_given(here.x, flips, scratch, ln_norm)
    }

    /// Fills `scratch[slot]` with each move's log-weight (`-inf` if illegal)
    /// and returns `sum_i ln Z_i`, the per-coordinate normalisers, so that
    /// `ln prod_i p_i = sum over moved slots of weight - sum_i ln Z_i`.
    fn fill_log_weights(&self, here: Here<'_>, target: &Target<'_>, scratch: &mut Vec<f64>) -> f64 {
        let t_here = target.value(here.e);
        let log_w = |gain: f64| (0.5 * gain).clamp(-self.cap, self.cap);
        scratch.clear();
        if self.moves.levels == 2 {
            // Binary inputs, written out: slot `i` flips coordinate `i`,
            // moving the output by `(1 - 2 x_i) g_i`.
            scratch.extend(here.x.iter().zip(here.grad).map(|(&v, &g)| {
                let delta = if v == 0 { f64::from(g) } else { -f64::from(g) };
                log_w(t_here - target.value(here.e + delta))
            }));
        } else {
            for slot in 0..self.moves.n_slots() {
                scratch.push(match self.moves.flip(here.x, slot) {
                    Some(flip) => log_w(self.moves.gain(here, target, t_here, flip)),
                    None => f64::NEG_INFINITY,
                });
            }
        }
        let n_slots = self.moves.n_slots();
        let bias = match self.expected_moves {
            None => 1.0 / (2.0 * self.alpha),
            Some(m) => self.solve_bias(&scratch[..n_slots], m),
        };
        scratch.iter_mut().for_each(|w| *w -= bias);
        // Each coordinate's `ln Z_i` goes after the weights, for `draw`.
        let mut total = 0.0;
        for i in 0..self.moves.d {
            let ln_z = ln_stay_or_move(self.slots_of(i).map(|s| scratch[s]));
            scratch.push(ln_z);
            total += ln_z;
        }
        total
    }

    /// The bias `b` under which the expected number of moving coordinates,
    /// `sum_i sigmoid(ln S_i - b)` with `S_i` the sum of coordinate `i`'s
    /// move weights, is about `m`: a few Newton steps from the value that is
    /// exact for a flat target. The ratio stays exact however close the
    /// steps get, since `b` is a fixed function of the input, its output and
    /// gradient, which the reverse move recomputes at its own input.
    fn solve_bias(&self, log_w: &[f64], m: f64) -> f64 {
        let d = self.moves.d as f64;
        let m = m.min(0.5 * d);
        let ln_s: Vec<f64> = (0..self.moves.d)
            .map(|i| {
                self.slots_of(i)
                    .map(|s| log_w[s])
                    .fold(f64::NEG_INFINITY, log_add)
            })
            .collect();
        let mut b = (d / m - 1.0).ln() + ln_s.iter().sum::<f64>() / d;
        for _ in 0..NEWTON_STEPS {
            let (mut f, mut slope) = (-m, 0.0);
            for &l in &ln_s {
                let p = 1.0 / (1.0 + (b - l).exp());
                f += p;
                slope += p * (1.0 - p);
            }
            if slope <= 0.0 {
                break;
            }
            // `f` falls as `b` rises; a step is limited to 2 nats so that a
            // flat stretch of `f` cannot throw `b` far away.
            b += (f / slope).clamp(-2.0, 2.0);
        }
        b
    }

    fn slots_of(&self, coord: usize) -> std::ops::Range<usize> {
        let per = self.moves.n_slots() / self.moves.d;
        coord * per..(coord + 1) * per
    }

    fn draw(&self, x: &[u8], log_w: &[f64], rng: &mut ChaCha8Rng, flips: &mut Vec<Flip>) {
        let n_slots = self.moves.n_slots();
        for i in 0..self.moves.d {
            let ln_z = log_w[n_slots + i];
            let slots = self.slots_of(i);
            let mut u = rng.random::<f64>();
            for slot in slots {
                let p = (log_w[slot] - ln_z).exp();
                if u < p {
                    flips.push(self.moves.flip(x, slot).expect("legal slots have p > 0"));
                    break;
                }
                u -= p;
            }
        }
    }

    fn ln_q_given(&self, x: &[u8], flips: &[Flip], log_w: &[f64], ln_norm: f64) -> f64 {
        let mut ln_prod = -ln_norm;
        for (k, &flip) in flips.iter().enumerate() {
            let repeated = flips[..k].iter().any(|f| f.coord == flip.coord);
            if repeated || !self.moves.is_move(x, flip) {
                return f64::NEG_INFINITY;
            }
            ln_prod += log_w[self.moves.slot(flip)];
        }
        let product = (1.0 - self.mix).ln() + ln_prod;
        let uniform = if flips.len() == 1 {
            self.mix.ln() - (self.moves.n_valid(x) as f64).ln()
        } else {
            f64::NEG_INFINITY
        };
        log_add(product, uniform)
    }
}

/// `ln(1 + sum exp(w))` over one coordinate's move log-weights: staying has
/// weight `e^0 = 1`.
fn ln_stay_or_move(log_w: impl Iterator<Item = f64>) -> f64 {
    log_w.fold(0.0, log_add)
}
