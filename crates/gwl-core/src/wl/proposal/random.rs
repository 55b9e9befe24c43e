//! Plain Wang-Landau: one legal single-level move drawn uniformly.
//!
//! For binary inputs every input has exactly `D` moves, so the proposal is
//! symmetric and the ratio is 1. With more levels a coordinate at an extreme
//! level has one move instead of two, `q(y|x) = 1 / M(x)` differs from
//! `q(x|y) = 1 / M(y)`, and the ratio `M(x) / M(y)` keeps it exact.

use rand_chacha::ChaCha8Rng;

use super::{Flip, Here, Moves};

#[derive(Debug, Clone)]
pub(crate) struct RandomMove {
    pub moves: Moves,
}

impl RandomMove {
    pub fn propose(&self, here: Here<'_>, rng: &mut ChaCha8Rng, flips: &mut Vec<Flip>) -> f64 {
        flips.push(self.moves.uniform(here.x, rng));
        -(self.moves.n_valid(here.x) as f64).ln()
    }

    pub fn ln_q(&self, here: Here<'_>, flips: &[Flip]) -> f64 {
        match flips {
            [flip] if self.moves.is_move(here.x, *flip) => {
                -(self.moves.n_valid(here.x) as f64).ln()
            }
            _ => f64::NEG_INFINITY,
        }
    }
}
