//! Small models for the sampler's tests only.

use rayon::prelude::*;

use crate::{Change, Model, ModelError};

/// Wraps a model and evaluates batches of more than one input in parallel
/// with rayon, one input per task, so tests can check that thread counts
/// do not change results.
#[derive(Debug, Clone)]
pub(crate) struct Parallel<M>(pub M);

impl<M: Model> Model for Parallel<M> {
    fn input_len(&self) -> usize {
        self.0.input_len()
    }
    fn levels(&self) -> u8 {
        self.0.levels()
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        let d = self.input_len();
        inputs
            .par_chunks(d)
            .zip(outputs.par_iter_mut())
            .try_for_each(|(x, out)| self.0.forward(x, std::slice::from_mut(out)))
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        let d = self.input_len();
        inputs
            .par_chunks(d)
            .zip(outputs.par_iter_mut())
            .zip(grads.par_chunks_mut(d))
            .try_for_each(|((x, out), g)| self.0.forward_grad(x, std::slice::from_mut(out), g))
    }
}

/// Outputs NaN for inputs whose first coordinate is 1, and the number of
/// ones otherwise.
#[derive(Debug, Clone)]
pub(crate) struct NanWhenFirstSet(pub usize);

impl Model for NanWhenFirstSet {
    fn input_len(&self) -> usize {
        self.0
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        for (x, out) in inputs.chunks(self.0).zip(outputs.iter_mut()) {
            let ones = x.iter().map(|&v| f64::from(v)).sum::<f64>();
            *out = if x[0] == 1 { f64::NAN } else { ones };
        }
        Ok(())
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        grads.iter_mut().for_each(|g| *g = 1.0);
        self.forward(inputs, outputs)
    }
}

/// Wraps a model and counts the inputs it evaluated incrementally, to check
/// that the sampler takes the incremental path.
#[derive(Debug)]
pub(crate) struct CountingChanges<M> {
    pub model: M,
    pub changed: std::sync::atomic::AtomicU64,
}

impl<M> CountingChanges<M> {
    pub fn new(model: M) -> Self {
        Self {
            model,
            changed: Default::default(),
        }
    }

    pub fn changed(&self) -> u64 {
        self.changed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<M: Model> Model for CountingChanges<M> {
    fn input_len(&self) -> usize {
        self.model.input_len()
    }
    fn levels(&self) -> u8 {
        self.model.levels()
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        self.model.forward(inputs, outputs)
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        self.model.forward_grad(inputs, outputs, grads)
    }
    fn state_len(&self) -> usize {
        self.model.state_len()
    }
    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        self.model.forward_with_state(inputs, outputs, states)
    }
    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        self.changed
            .fetch_add(changes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.model.forward_changed(inputs, changes, states, outputs)
    }
}

/// The sum of the levels, with any number of levels (even an invalid one),
/// any `D` (even 0), and a finite output only where the sum is at most
/// `finite_up_to`.
#[derive(Debug, Clone)]
pub(crate) struct LevelSum {
    pub d: usize,
    pub levels: u8,
    pub finite_up_to: f64,
}

impl Model for LevelSum {
    fn input_len(&self) -> usize {
        self.d
    }
    fn levels(&self) -> u8 {
        self.levels
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        for (j, out) in outputs.iter_mut().enumerate() {
            let sum: f64 = inputs[j * self.d..(j + 1) * self.d]
                .iter()
                .map(|&v| f64::from(v))
                .sum();
            *out = if sum <= self.finite_up_to {
                sum
            } else {
                f64::NAN
            };
        }
        Ok(())
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        let step = f32::from(self.levels.max(2) - 1);
        grads.iter_mut().for_each(|g| *g = step);
        self.forward(inputs, outputs)
    }
}
