//! The narrow interface through which every sampler sees a network.
//!
//! An input is a vector of `input_len()` coordinates, each a level in
//! `0..levels()` stored as one `u8`. The network sees level `v` as the value
//! `v / (levels() - 1)`, so binary inputs are `0.0` and `1.0`. A batch of `n`
//! inputs is `n * input_len()` levels laid out input after input.
//!
//! Gradients are taken with respect to that network value, so changing one
//! coordinate from level `v` to level `u` moves the output by about
//! `grad_i * (u - v) / (levels() - 1)`.

use std::fmt;

/// A fault reported by a model: the samplers stop and pass it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub message: String,
}

impl ModelError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model fault: {}", self.message)
    }
}

impl std::error::Error for ModelError {}

/// A function from a discrete input to one output (for a classifier, its logit).
///
/// Outputs may be non-finite; the samplers treat such an output as a rejected
/// move and count it, they do not trust it.
pub trait Model: Sync {
    /// Number of input coordinates `D`.
    fn input_len(&self) -> usize;

    /// Number of levels `K` per coordinate; 2 for binary inputs.
    fn levels(&self) -> u8 {
        2
    }

    /// Outputs of a batch: `inputs.len() == n * D`, `outputs.len() == n`.
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError>;

    /// Outputs and input gradients of a batch: `grads.len() == n * D`.
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError>;

    /// Length in `f32` of the per-input state kept for incremental evaluation
    /// of single-coordinate changes; 0 when the model has no such path.
    fn state_len(&self) -> usize {
        0
    }

    /// Like [`Model::forward`], also writing each input's incremental state
    /// (`states.len() == n * state_len()`). Only called when `state_len() > 0`.
    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        let _ = states;
        self.forward(inputs, outputs)
    }

    /// Outputs of inputs that each differ from a previous input in one
    /// coordinate. `inputs` holds the new inputs; `changes[j]` names the
    /// coordinate of input `j` that changed and its previous level; `states`
    /// holds the previous inputs' states and is updated in place to the new
    /// inputs' states. Only called when `state_len() > 0`.
    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        let _ = (changes, states);
        self.forward(inputs, outputs)
    }
}

/// One coordinate that changed, with the level it had before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub coord: usize,
    pub old_level: u8,
}

impl<M: Model + ?Sized> Model for &M {
    fn input_len(&self) -> usize {
        (**self).input_len()
    }
    fn levels(&self) -> u8 {
        (**self).levels()
    }
    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        (**self).forward(inputs, outputs)
    }
    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        (**self).forward_grad(inputs, outputs, grads)
    }
    fn state_len(&self) -> usize {
        (**self).state_len()
    }
    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        (**self).forward_with_state(inputs, outputs, states)
    }
    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        (**self).forward_changed(inputs, changes, states, outputs)
    }
}
