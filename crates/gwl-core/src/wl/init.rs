//! Placing the walkers before the first step.
//!
//! Each walker starts at a uniformly random input drawn from its own stream.
//! One whose output is outside the range (or non-finite) is driven into it
//! by the greedy search of `range.rs`, minimising the distance from its
//! output to the range, restarting from fresh random inputs a few times if
//! the search sticks. Walkers that still fail take the input of a walker
//! that succeeded; if none did, the run fails with `RangeUnreachable`.
//! The search's evaluations are counted as gradient evaluations; the placed
//! inputs are then evaluated once more the way the steps need them (and
//! counted so). The first starts go to the model as one batch; the search
//! itself runs walker by walker, one climbing step per model call, which
//! is slow for a network on a GPU only when many walkers start far outside
//! the range.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::range::{Climb, Point};
use super::sampler::WangLandau;
use super::walkers::{StepBuffers, Walkers};
use crate::{Binning, Model, SampleError};

/// Random restarts per walker before it gives up on reaching the range.
const ATTEMPTS: usize = 4;
/// Candidate moves per search step when the gradient's favourite fails
/// (ranked, and as many random).
const CANDIDATES: usize = 8;

impl<M: Model> WangLandau<M> {
    pub(super) fn ensure_walkers(&mut self) -> Result<(), SampleError> {
        if self.state.walkers.is_none() {
            let walkers = self.place_walkers()?;
            self.state.walkers = Some(walkers);
        }
        if self.buf.flips.is_empty() {
            self.buf = StepBuffers::for_walkers(self.state.walkers.as_ref().expect("placed"));
        }
        Ok(())
    }

    fn place_walkers(&mut self) -> Result<Walkers, SampleError> {
        let (d, levels, n) = (
            self.model.input_len(),
            self.model.levels(),
            self.config.walkers,
        );
        let mut rngs: Vec<ChaCha8Rng> = (0..n).map(|w| self.seed_rng(w as u64 + 1)).collect();
        let binning = self.config.binning;
        let budget = 64 * d as u64 + 1000;
        let mut climb = Climb::new(&self.model, CANDIDATES);
        let mut x = Vec::with_capacity(n * d);
        let mut placed = vec![false; n];
        // All first starts in one batch: most walkers usually start inside
        // the range and need nothing more.
        let starts = rngs
            .iter_mut()
            .map(|rng| random_input(d, levels, rng))
            .collect();
        let points = climb.start_batch(starts)?;
        for (w, (rng, mut point)) in rngs.iter_mut().zip(points).enumerate() {
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    point = climb.start(random_input(d, levels, rng))?;
                }
                let limit = climb.evals + budget;
                drive(&mut climb, &mut point, &binning, limit, rng)?;
                if binning.bin_of(point.e).is_some() {
                    placed[w] = true;
                    break;
                }
            }
            x.extend_from_slice(&point.x);
        }
        let (lowest, highest) = (climb.lowest, climb.highest);
        self.state.grad_evals += climb.evals;
        for e in [lowest, highest] {
            self.state.note_output(e);
        }
        fill_unplaced(&mut x, &placed, d).ok_or(SampleError::RangeUnreachable {
            e_min: binning.e_min(),
            e_max: binning.e_max(),
            lowest,
            highest,
        })?;
        self.evaluate_placed(x, rngs)
    }

    /// Evaluates the placed inputs once more the way the steps need them
    /// (with gradient, with incremental state, or plain).
    fn evaluate_placed(
        &mut self,
        x: Vec<u8>,
        rngs: Vec<ChaCha8Rng>,
    ) -> Result<Walkers, SampleError> {
        let n = rngs.len();
        let d = self.model.input_len();
        let state_len = if self.incremental {
            self.model.state_len()
        } else {
            0
        };
        let mut e = vec![0.0; n];
        let mut grad = Vec::new();
        let mut states = vec![0.0; n * state_len];
        if self.proposal.needs_grad() {
            grad = vec![0.0; n * d];
            self.model.forward_grad(&x, &mut e, &mut grad)?;
            self.state.grad_evals += n as u64;
        } else if self.incremental {
            self.model.forward_with_state(&x, &mut e, &mut states)?;
            self.state.forward_evals += n as u64;
        } else {
            self.model.forward(&x, &mut e)?;
            self.state.forward_evals += n as u64;
        }
        let binning = self.config.binning;
        let bad =
            e.iter().any(|&v| binning.bin_of(v).is_none()) || grad.iter().any(|g| !g.is_finite());
        if bad {
            // A model whose output changed between two evaluations of one
            // input, or whose gradient is not finite there.
            let (lo, hi) = (
                e.iter().copied().fold(f64::NAN, f64::min),
                e.iter().copied().fold(f64::NAN, f64::max),
            );
            return Err(SampleError::RangeUnreachable {
                e_min: binning.e_min(),
                e_max: binning.e_max(),
                lowest: lo,
                highest: hi,
            });
        }
        e.iter().for_each(|&v| self.state.note_output(v));
        Ok(Walkers {
            d,
            x,
            e,
            grad,
            states,
            state_len,
            rngs,
            nonfinite_run: vec![0; n],
        })
    }
}

fn random_input(d: usize, levels: u8, rng: &mut ChaCha8Rng) -> Vec<u8> {
    (0..d).map(|_| rng.random_range(0..levels)).collect()
}

/// Greedy descent of the distance from the output to `[e_min, e_max)`.
fn drive<M: Model>(
    climb: &mut Climb<'_, M>,
    point: &mut Point,
    binning: &Binning,
    budget: u64,
    rng: &mut ChaCha8Rng,
) -> Result<(), SampleError> {
    let (lo, hi) = (binning.e_min(), binning.e_max());
    // Outputs at `e_max` are outside the half-open range; the small offset
    // keeps their distance positive so the search goes on.
    let nudge = 1e-9 * binning.width();
    let distance = move |e: f64| {
        if e < lo {
            lo - e
        } else if e >= hi {
            e - hi + nudge
        } else {
            0.0
        }
    };
    let inside = move |e: f64| binning.bin_of(e).is_some();
    climb.descend(point, &distance, &inside, budget, rng)
}

/// Gives every walker that was not placed the input of a placed one
/// (round-robin, so the result is fixed by the seed); `None` if no walker
/// was placed.
fn fill_unplaced(x: &mut [u8], placed: &[bool], d: usize) -> Option<()> {
    let donors: Vec<usize> = (0..placed.len()).filter(|&w| placed[w]).collect();
    if donors.is_empty() {
        return None;
    }
    let unplaced = (0..placed.len()).filter(|&w| !placed[w]);
    for (k, w) in unplaced.enumerate() {
        let donor = donors[k % donors.len()];
        x.copy_within(donor * d..(donor + 1) * d, w * d);
    }
    Some(())
}
