//! Proposals: how a walker picks its next input, and the exact probability
//! of every move, which the acceptance test needs in both directions.
//!
//! A move changes coordinates by one level each (for binary inputs: flips
//! bits). Every proposal can give `ln q(y | x)` for any `y`, which is what
//! the sampler uses for the reverse move and what the detailed-balance tests
//! use to build whole transition matrices.

mod gwl;
mod multi;
mod random;

use rand_chacha::ChaCha8Rng;

use super::target::Target;
use super::ProposalConfig;
pub(crate) use gwl::GwlFlip;
pub(crate) use multi::GwlMulti;
pub(crate) use random::RandomMove;

/// A walker's position: its input, output and (for gradient proposals) the
/// gradient of the output with respect to the input values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Here<'a> {
    pub x: &'a [u8],
    pub e: f64,
    pub grad: &'a [f32],
}

/// One coordinate moved from level `from` to level `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Flip {
    pub coord: usize,
    pub from: u8,
    pub to: u8,
}

impl Flip {
    pub fn reversed(self) -> Self {
        Self {
            coord: self.coord,
            from: self.to,
            to: self.from,
        }
    }
}

/// One of the proposals of [`ProposalConfig`], built for a model's shape.
#[derive(Debug, Clone)]
pub(crate) enum Proposal {
    Random(RandomMove),
    Gwl(GwlFlip),
    Multi(GwlMulti),
}

impl Proposal {
    pub fn new(config: &ProposalConfig, d: usize, levels: u8) -> Self {
        let moves = Moves { d, levels };
        match *config {
            ProposalConfig::Random => Self::Random(RandomMove { moves }),
            ProposalConfig::Gwl {
                cap,
                uniform_mix,
                temper,
            } => Self::Gwl(GwlFlip {
                moves,
                cap,
                mix: uniform_mix,
                temper,
            }),
            ProposalConfig::GwlMulti {
                alpha,
                cap,
                uniform_mix,
                expected_moves,
            } => {
                let alpha = alpha.unwrap_or_else(|| GwlMulti::default_alpha(d));
                Self::Multi(GwlMulti {
                    moves,
                    alpha,
                    cap,
                    mix: uniform_mix,
                    expected_moves,
                })
            }
        }
    }

    /// Whether the proposal reads the gradient (so walkers need
    /// `forward_grad`).
    pub fn needs_grad(&self) -> bool {
        !matches!(self, Self::Random(_))
    }

    /// Draws a move from `here` into `flips` (left empty for a null move,
    /// which keeps the walker where it is) and returns its `ln q`.
    pub fn propose(
        &self,
        here: Here<'_>,
        target: &Target<'_>,
        rng: &mut ChaCha8Rng,
        flips: &mut Vec<Flip>,
        scratch: &mut Vec<f64>,
    ) -> f64 {
        flips.clear();
        match self {
            Self::Random(p) => p.propose(here, rng, flips),
            Self::Gwl(p) => p.propose(here, target, rng, flips, scratch),
            Self::Multi(p) => p.propose(here, target, rng, flips, scratch),
        }
    }

    /// `ln q(y | here)` where `y` is `here.x` changed by `flips`;
    /// `-inf` for a `y` the proposal can never reach in one move.
    pub fn ln_q(
        &self,
        here: Here<'_>,
        flips: &[Flip],
        target: &Target<'_>,
        scratch: &mut Vec<f64>,
    ) -> f64 {
        match self {
            Self::Random(p) => p.ln_q(here, flips),
            Self::Gwl(p) => p.ln_q(here, flips, target, scratch),
            Self::Multi(p) => p.ln_q(here, flips, target, scratch),
        }
    }
}

/// The single-level moves of an input of `d` coordinates with `levels`
/// levels, indexed by slot: for binary inputs slot `i` flips coordinate `i`;
/// otherwise slot `2i` raises coordinate `i` and slot `2i + 1` lowers it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moves {
    pub d: usize,
    pub levels: u8,
}

impl Moves {
    pub fn n_slots(&self) -> usize {
        if self.levels == 2 {
            self.d
        } else {
            2 * self.d
        }
    }

    /// The move of slot `slot` from `x`, or `None` where it would leave
    /// `0..levels`.
    pub fn flip(&self, x: &[u8], slot: usize) -> Option<Flip> {
        if self.levels == 2 {
            return Some(Flip {
                coord: slot,
                from: x[slot],
                to: 1 - x[slot],
            });
        }
        let coord = slot / 2;
        let from = x[coord];
        let to = if slot & 1 == 0 {
            from.checked_add(1)?
        } else {
            from.checked_sub(1)?
        };
        (to < self.levels).then_some(Flip { coord, from, to })
    }

    pub fn slot(&self, flip: Flip) -> usize {
        if self.levels == 2 {
            flip.coord
        } else {
            2 * flip.coord + usize::from(flip.to < flip.from)
        }
    }

    /// Whether `flip` is a legal single-level move from `x`.
    pub fn is_move(&self, x: &[u8], flip: Flip) -> bool {
        flip.coord < self.d
            && x[flip.coord] == flip.from
            && flip.to < self.levels
            && flip.from.abs_diff(flip.to) == 1
    }

    /// Number of legal moves from `x`: `2D` less one per coordinate at
    /// either extreme level (always `D` for binary inputs).
    pub fn n_valid(&self, x: &[u8]) -> usize {
        if self.levels == 2 {
            return self.d;
        }
        let top = self.levels - 1;
        2 * self.d - x.iter().filter(|&&v| v == 0 || v == top).count()
    }

    /// A legal move drawn uniformly. Drawing a slot and redrawing when it is
    /// illegal is uniform over the legal ones, and at least half the slots
    /// are legal, so the loop ends quickly.
    pub fn uniform(&self, x: &[u8], rng: &mut ChaCha8Rng) -> Flip {
        use rand::Rng;
        loop {
            if let Some(flip) = self.flip(x, rng.random_range(0..self.n_slots())) {
                return flip;
            }
        }
    }

    /// The first-order change of the output under `flip`: the gradient is
    /// taken with respect to the value `level / (levels - 1)`.
    pub fn delta(&self, grad: &[f32], flip: Flip) -> f64 {
        let step = f64::from(flip.to) - f64::from(flip.from);
        let g = f64::from(grad[flip.coord]);
        if self.levels == 2 {
            step * g
        } else {
            step * g / f64::from(self.levels - 1)
        }
    }

    /// The estimated gain `d = -(T(E + delta) - T(E))` of a move.
    pub fn gain(&self, here: Here<'_>, target: &Target<'_>, t_here: f64, flip: Flip) -> f64 {
        -(target.value(here.e + self.delta(here.grad, flip)) - t_here)
    }
}

/// `ln(exp(a) + exp(b))`, exact when either is `-inf`.
pub(crate) fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// `ln` of the Metropolis-Hastings acceptance ratio for a move from output
/// `e` to `e_new` under target `T`: `T(E) - T(E') + ln q(x|x') - ln q(x'|x)`.
/// The walkers sample `pi(x) ~ exp(-T(f(x)))`, so this makes the chain
/// reversible with respect to `pi`.
pub(crate) fn ln_acceptance(t_here: f64, t_there: f64, ln_q_fwd: f64, ln_q_rev: f64) -> f64 {
    t_here - t_there + ln_q_rev - ln_q_fwd
}
