//! Walker positions (kept in checkpoints) and the per-step work buffers
//! (rebuilt on resume).

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::proposal::Flip;

/// Every walker's input, output, gradient (gradient proposals only),
/// incremental state (incremental path only) and its own random stream.
///
/// One stream per walker means a walker's draws do not depend on how many
/// draws another walker made, which keeps runs reproducible and would let
/// walkers be proposed in parallel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Walkers {
    pub d: usize,
    pub x: Vec<u8>,
    pub e: Vec<f64>,
    pub grad: Vec<f32>,
    pub states: Vec<f32>,
    pub state_len: usize,
    pub rngs: Vec<ChaCha8Rng>,
    /// Non-finite proposals in a row, per walker.
    pub nonfinite_run: Vec<u64>,
}

impl Walkers {
    pub fn len(&self) -> usize {
        self.e.len()
    }
}

/// Row `w` of a buffer of rows of `len` values.
pub(crate) fn row<T>(buf: &[T], len: usize, w: usize) -> &[T] {
    &buf[w * len..(w + 1) * len]
}

pub(crate) fn row_mut<T>(buf: &mut [T], len: usize, w: usize) -> &mut [T] {
    &mut buf[w * len..(w + 1) * len]
}

/// Sets the levels of `flips` in `x` (to their `to`, or back to `from`).
pub(crate) fn apply(x: &mut [u8], flips: &[Flip], forward: bool) {
    for f in flips {
        x[f.coord] = if forward { f.to } else { f.from };
    }
}

/// Work buffers of one step, sized on first use.
#[derive(Debug, Default)]
pub(crate) struct StepBuffers {
    /// Every walker's proposed input; equal to the current inputs between
    /// steps, so a step only writes and undoes the moved coordinates.
    pub proposed: Vec<u8>,
    /// Proposed inputs packed for the model when some walkers hold a null
    /// move, and the walker of each packed row.
    pub packed: Vec<u8>,
    pub rows: Vec<usize>,
    pub e_new: Vec<f64>,
    pub grad_new: Vec<f32>,
    pub states_new: Vec<f32>,
    pub changes: Vec<crate::Change>,
    pub flips: Vec<Vec<Flip>>,
    pub ln_q_fwd: Vec<f64>,
    /// Per packed row.
    pub ln_q_rev: Vec<f64>,
    pub accept: Vec<bool>,
    /// One scratch buffer per walker, so walkers can be scored in parallel.
    pub scratches: Vec<Vec<f64>>,
}

impl StepBuffers {
    pub fn for_walkers(walkers: &Walkers) -> Self {
        let n = walkers.len();
        Self {
            proposed: walkers.x.clone(),
            flips: vec![Vec::new(); n],
            scratches: vec![Vec::new(); n],
            ln_q_fwd: vec![0.0; n],
            accept: vec![false; n],
            ..Self::default()
        }
    }
}
