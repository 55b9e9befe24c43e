//! Counting outputs into bins over many batches in parallel: the shared
//! engine of exhaustive enumeration and naive Monte Carlo.
//!
//! Every batch is identified by its index and produces its inputs from that
//! index alone, and the tallies are integer counts merged by addition (plus
//! a min and a max), so the result does not depend on how rayon splits the
//! batches over threads.

use rayon::prelude::*;

use crate::{Binning, Model, ModelError};

/// Integer counts of outputs per bin and outside the bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tally {
    pub counts: Vec<u64>,
    pub below: u64,
    pub above: u64,
    pub nonfinite: u64,
    /// Extremes over the finite outputs; `+inf`/`-inf` while there are none.
    pub min_output: f64,
    pub max_output: f64,
}

impl Tally {
    pub fn new(n_bins: usize) -> Self {
        Self {
            counts: vec![0; n_bins],
            below: 0,
            above: 0,
            nonfinite: 0,
            min_output: f64::INFINITY,
            max_output: f64::NEG_INFINITY,
        }
    }

    pub fn add(&mut self, binning: &Binning, outputs: &[f64]) {
        for &e in outputs {
            if !e.is_finite() {
                self.nonfinite += 1;
                continue;
            }
            self.min_output = self.min_output.min(e);
            self.max_output = self.max_output.max(e);
            match binning.bin_of(e) {
                Some(bin_idx) => self.counts[bin_idx] += 1,
                None if e < binning.e_min() => self.below += 1,
                None => self.above += 1,
            }
        }
    }

    pub fn merge(mut self, other: Self) -> Self {
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
        self.below += other.below;
        self.above += other.above;
        self.nonfinite += other.nonfinite;
        self.min_output = self.min_output.min(other.min_output);
        self.max_output = self.max_output.max(other.max_output);
        self
    }
}

/// Per-thread buffers carried through rayon's fold.
struct Work {
    tally: Tally,
    inputs: Vec<u8>,
    outputs: Vec<f64>,
}

/// Evaluates `n_inputs` inputs in batches of `batch` and tallies their
/// outputs. `fill(batch_idx, first, buf)` writes the inputs numbered
/// `first..first + buf.len() / D` of batch `batch_idx` into `buf`.
pub(crate) fn tally_batches<M, F>(
    model: &M,
    binning: &Binning,
    n_inputs: u64,
    batch: usize,
    fill: F,
) -> Result<Tally, ModelError>
where
    M: Model + ?Sized,
    F: Fn(u64, u64, &mut [u8]) + Sync,
{
    let d = model.input_len();
    let n_bins = binning.n_bins();
    let n_batches = n_inputs.div_ceil(batch as u64);
    let new_work = || Work {
        tally: Tally::new(n_bins),
        inputs: vec![0; batch * d],
        outputs: vec![0.0; batch],
    };
    (0..n_batches)
        .into_par_iter()
        .try_fold(new_work, |mut work, batch_idx| {
            let first = batch_idx * batch as u64;
            let n = (n_inputs - first).min(batch as u64) as usize;
            fill(batch_idx, first, &mut work.inputs[..n * d]);
            model.forward(&work.inputs[..n * d], &mut work.outputs[..n])?;
            work.tally.add(binning, &work.outputs[..n]);
            Ok(work)
        })
        .map(|work: Result<Work, ModelError>| work.map(|w| w.tally))
        .try_reduce(|| Tally::new(n_bins), |a, b| Ok(a.merge(b)))
}
