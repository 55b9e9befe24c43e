//! Enumeration of a binary input space in Gray-code order, through the
//! model's incremental path: consecutive inputs differ in one coordinate, so
//! a model that keeps per-input state (say, its first layer's
//! pre-activations) pays for one column instead of a whole layer.
//!
//! In reflected Gray code input number `i` is the bit pattern
//! `i ^ (i >> 1)`, and going from `i - 1` to `i` flips coordinate
//! `trailing_zeros(i)`. The space is cut into blocks of `2^BLOCK_BITS`
//! consecutive numbers; a block starts with a full forward pass and then
//! walks incrementally. Because every block starts at a multiple of its
//! length, step `s` of every block flips the same coordinate
//! `trailing_zeros(s)`, so many blocks (lanes) advance together as one batch.
//! Restarting each block also bounds how far rounding in a model's
//! incremental state can drift from its plain forward pass.

use rayon::prelude::*;

use crate::tally::Tally;
use crate::{Binning, Change, Model, ModelError};

/// Steps per block: 256 incremental steps per full forward pass.
const BLOCK_BITS: usize = 8;

/// Blocks advanced together in one call of the model.
const MAX_LANES: u64 = 256;

/// Tallies the outputs of all `2^D` binary inputs. The caller ensures the
/// model is binary with `state_len() > 0` and `1 <= D <= 32`.
pub(crate) fn tally_gray<M: Model + ?Sized>(
    model: &M,
    binning: &Binning,
) -> Result<Tally, ModelError> {
    let d = model.input_len();
    let block_bits = d.min(BLOCK_BITS);
    let n_blocks = 1u64 << (d - block_bits);
    let lanes = n_blocks.min(MAX_LANES);
    let n_tasks = n_blocks / lanes;
    let n_bins = binning.n_bins();
    (0..n_tasks)
        .into_par_iter()
        .map(|task| {
            let first_block = task * lanes;
            let mut walk = Walk::start(model, first_block, lanes as usize, block_bits)?;
            let mut tally = Tally::new(n_bins);
            tally.add(binning, &walk.outputs);
            for step in 1..1u64 << block_bits {
                walk.flip(model, step.trailing_zeros() as usize)?;
                tally.add(binning, &walk.outputs);
            }
            Ok(tally)
        })
        .try_reduce(|| Tally::new(n_bins), |a, b| Ok(a.merge(b)))
}

/// The current input, state and output of every lane of one task.
struct Walk {
    d: usize,
    inputs: Vec<u8>,
    states: Vec<f32>,
    outputs: Vec<f64>,
    changes: Vec<Change>,
}

impl Walk {
    fn start<M: Model + ?Sized>(
        model: &M,
        first_block: u64,
        lanes: usize,
        block_bits: usize,
    ) -> Result<Self, ModelError> {
        let d = model.input_len();
        let mut inputs = vec![0u8; lanes * d];
        for (lane, input) in inputs.chunks_exact_mut(d).enumerate() {
            let number = (first_block + lane as u64) << block_bits;
            let gray = number ^ (number >> 1);
            for (j, x) in input.iter_mut().enumerate() {
                *x = (gray >> j & 1) as u8;
            }
        }
        let mut states = vec![0.0f32; lanes * model.state_len()];
        let mut outputs = vec![0.0; lanes];
        model.forward_with_state(&inputs, &mut outputs, &mut states)?;
        let changes = vec![
            Change {
                coord: 0,
                old_level: 0
            };
            lanes
        ];
        Ok(Self {
            d,
            inputs,
            states,
            outputs,
            changes,
        })
    }

    fn flip<M: Model + ?Sized>(&mut self, model: &M, coord: usize) -> Result<(), ModelError> {
        for (input, change) in self.inputs.chunks_exact_mut(self.d).zip(&mut self.changes) {
            *change = Change {
                coord,
                old_level: input[coord],
            };
            input[coord] ^= 1;
        }
        model.forward_changed(
            &self.inputs,
            &self.changes,
            &mut self.states,
            &mut self.outputs,
        )
    }
}
