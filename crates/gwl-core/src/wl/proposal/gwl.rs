//! Gradient-informed single move, in the style of Gibbs-with-gradients.
//!
//! From `E = f(x)` and the input gradient, the output after move `m` is
//! estimated as `E + delta_m`, and the move's gain in log-target as
//! `d_m = -(T(E + delta_m) - T(E))`. The move is drawn from
//! `(1 - mix) softmax(clamp(d / (2 temper), -cap, cap)) + mix / M(x)`.
//! Half the gain makes the proposal balance forward and reverse moves when
//! the estimate is exact; the cap and the uniform share keep every move's
//! probability above `mix / M(x)` and within `e^(2 cap)` of any other, so a
//! rough early density can neither make the proposal deterministic nor
//! break irreducibility.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{Flip, Here, Moves, Target};

#[derive(Debug, Clone)]
pub(crate) struct GwlFlip {
    pub moves: Moves,
    pub cap: f64,
    pub mix: f64,
    pub temper: f64,
}

/// Softmax weights of one position: `weights[slot] = exp(logit - max)`
/// (0 for illegal slots), their `total`, and the number of legal moves.
struct Weights {
    total: f64,
    n_valid: usize,
}

impl GwlFlip {
    pub fn propose(
        &self,
        here: Here<'_>,
        target: &Target<'_>,
        rng: &mut ChaCha8Rng,
        flips: &mut Vec<Flip>,
        weights: &mut Vec<f64>,
    ) -> f64 {
        let w = self.fill_weights(here, target, weights);
        let flip = if rng.random::<f64>() < self.mix {
            self.moves.uniform(here.x, rng)
        } else {
            self.draw(here.x, weights, w.total, rng)
        };
        flips.push(flip);
        self.ln_q_slot(self.moves.slot(flip), weights, &w)
    }

    pub fn ln_q(
        &self,
        here: Here<'_>,
        flips: &[Flip],
        target: &Target<'_>,
        weights: &mut Vec<f64>,
    ) -> f64 {
        match flips {
            [flip] if self.moves.is_move(here.x, *flip) => {
                let w = self.fill_weights(here, target, weights);
                self.ln_q_slot(self.moves.slot(*flip), weights, &w)
            }
            _ => f64::NEG_INFINITY,
        }
    }

    fn fill_weights(&self, here: Here<'_>, target: &Target<'_>, weights: &mut Vec<f64>) -> Weights {
        let t_here = target.value(here.e);
        let scale = 1.0 / (2.0 * self.temper);
        let logit = |gain: f64| (gain * scale).clamp(-self.cap, self.cap);
        weights.clear();
        let mut n_valid = 0;
        if self.moves.levels == 2 {
            // The common binary case, written out: every slot is legal and
            // flipping coordinate `i` moves the output by `(1 - 2 x_i) g_i`.
            n_valid = self.moves.d;
            weights.extend(here.x.iter().zip(here.grad).map(|(&v, &g)| {
                let delta = if v == 0 { f64::from(g) } else { -f64::from(g) };
                logit(t_here - target.value(here.e + delta))
            }));
        } else {
            for slot in 0..self.moves.n_slots() {
                weights.push(match self.moves.flip(here.x, slot) {
                    Some(flip) => {
                        n_valid += 1;
                        logit(self.moves.gain(here, target, t_here, flip))
                    }
                    None => f64::NEG_INFINITY,
                });
            }
        }
        let max = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        let mut exp = MemoExp::default();
        for v in weights.iter_mut() {
            *v = exp.of(*v - max);
            total += *v;
        }
        Weights { total, n_valid }
    }

    fn draw(&self, x: &[u8], weights: &[f64], total: f64, rng: &mut ChaCha8Rng) -> Flip {
        let mut r = rng.random::<f64>() * total;
        let mut chosen = None;
        for (slot, &w) in weights.iter().enumerate() {
            if w > 0.0 {
                chosen = Some(slot);
                if r < w {
                    break;
                }
                r -= w;
            }
        }
        // Rounding can leave `r` just above the last weight; the last legal
        // slot is then the right answer.
        let slot = chosen.expect("at least one legal move exists");
        self.moves
            .flip(x, slot)
            .expect("weights are positive only for legal moves")
    }

    fn ln_q_slot(&self, slot: usize, weights: &[f64], w: &Weights) -> f64 {
        let p = (1.0 - self.mix) * weights[slot] / w.total + self.mix / w.n_valid as f64;
        p.ln()
    }
}

/// `exp` remembering its last two arguments. Clamped logits repeat a lot
/// (every move inside a flat stretch of `T` has gain 0, every move past the
/// cap has logit `cap`), and `exp` is most of the cost of scoring `D`
/// moves. The same argument always gives the same bits, so results do not
/// depend on the memo.
struct MemoExp {
    last: [(f64, f64); 2],
}

impl Default for MemoExp {
    /// NaN never equals an argument, so both entries start empty.
    fn default() -> Self {
        Self {
            last: [(f64::NAN, f64::NAN); 2],
        }
    }
}

impl MemoExp {
    fn of(&mut self, z: f64) -> f64 {
        if z == self.last[0].0 {
            return self.last[0].1;
        }
        if z == self.last[1].0 {
            return self.last[1].1;
        }
        let value = z.exp();
        self.last = [(z, value), self.last[0]];
        value
    }
}

#[cfg(test)]
mod tests {
    use super::MemoExp;

    #[test]
    fn remembered_exp_equals_exp_bit_for_bit() {
        let mut memo = MemoExp::default();
        for z in [0.0, 0.0, -3.5, 0.0, -3.5, 2.0, f64::NEG_INFINITY, 0.0, -0.0] {
            assert_eq!(memo.of(z).to_bits(), z.exp().to_bits(), "exp({z})");
        }
    }
}
