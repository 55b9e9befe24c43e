//! A candle network seen through gwl-core's [`Model`] trait: the reference
//! backend, slow but differentiated by candle's autograd, against which
//! faster engines are checked.
//!
//! The networks are piecewise linear in their input, so at a switch the
//! gradient is a convention. A max pool sends its gradient to the first
//! maximum of each window in row-major order, as PyTorch does (see
//! `models/pool.rs`); this matters, since binary inputs make tied windows
//! common. A relu at exactly 0 passes the gradient (candle's convention;
//! PyTorch passes none), which with real-valued weights happens only by
//! accident.

use candle_core::{Device, Tensor, Var};
use gwl_core::{Model, ModelError};

use crate::{InputShape, LoadedModel, Net, NnError};

/// Inputs per candle call; bounds the memory of the autograd graph.
const DEFAULT_BATCH: usize = 256;

/// A [`LoadedModel`] as a [`Model`] over inputs with `levels` grey levels.
pub struct CandleModel {
    model: LoadedModel,
    levels: u8,
    batch_size: usize,
}

impl CandleModel {
    /// Binary inputs (levels 0 and 1).
    pub fn new(model: LoadedModel) -> Self {
        Self {
            model,
            levels: 2,
            batch_size: DEFAULT_BATCH,
        }
    }

    /// Inputs with `levels` grey levels, seen by the network as `v / (levels - 1)`.
    pub fn with_levels(model: LoadedModel, levels: u8) -> Result<Self, NnError> {
        if levels < 2 {
            return Err(NnError::bad_arch(format!(
                "levels must be at least 2, got {levels}"
            )));
        }
        Ok(Self {
            model,
            levels,
            batch_size: DEFAULT_BATCH,
        })
    }

    /// Changes how many inputs go through candle at once.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    pub fn model(&self) -> &LoadedModel {
        &self.model
    }

    fn shape(&self) -> InputShape {
        self.model.shape
    }

    /// The images `[n, c, h, w]` of a batch of levels.
    fn images(&self, inputs: &[u8]) -> candle_core::Result<Tensor> {
        let scale = 1.0 / f32::from(self.levels - 1);
        let values: Vec<f32> = inputs.iter().map(|&v| f32::from(v) * scale).collect();
        let s = self.shape();
        Tensor::from_vec(
            values,
            (inputs.len() / s.len(), s.channels, s.height, s.width),
            &Device::Cpu,
        )
    }

    fn check_lengths(&self, inputs: &[u8], outputs: &[f64]) -> Result<(), ModelError> {
        let d = self.input_len();
        if inputs.len() != outputs.len() * d {
            return Err(ModelError::new(format!(
                "{} input levels for {} outputs of {d} coordinates",
                inputs.len(),
                outputs.len()
            )));
        }
        Ok(())
    }
}

/// Logits and their gradients with respect to the images, for continuous
/// images `xs` `[n, c, h, w]`. Each logit depends only on its own image (batch
/// norms are in evaluation mode), so the gradient of their sum is every
/// image's own gradient.
pub fn input_gradients(net: &dyn Net, xs: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
    let xs = Var::from_tensor(&xs.detach())?;
    let logits = net.forward_t(xs.as_tensor(), false)?;
    let grads = logits.sum_all()?.backward()?;
    let grad = match grads.get(xs.as_tensor()) {
        Some(g) => g.clone(),
        // A network that ignores its input has zero gradient everywhere.
        None => xs.as_tensor().zeros_like()?,
    };
    Ok((logits.detach(), grad))
}

fn fault(e: candle_core::Error) -> ModelError {
    ModelError::new(format!("candle: {e}"))
}

impl Model for CandleModel {
    fn input_len(&self) -> usize {
        self.shape().len()
    }

    fn levels(&self) -> u8 {
        self.levels
    }

    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        self.check_lengths(inputs, outputs)?;
        let d = self.input_len();
        for (ins, outs) in inputs
            .chunks(self.batch_size * d)
            .zip(outputs.chunks_mut(self.batch_size))
        {
            let xs = self.images(ins).map_err(fault)?;
            let logits = self.model.net.forward_t(&xs, false).map_err(fault)?;
            let logits = logits.detach().to_vec1::<f32>().map_err(fault)?;
            outs.iter_mut()
                .zip(logits)
                .for_each(|(o, l)| *o = f64::from(l));
        }
        Ok(())
    }

    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        self.check_lengths(inputs, outputs)?;
        if grads.len() != inputs.len() {
            return Err(ModelError::new(format!(
                "gradient buffer holds {} values for {} input levels",
                grads.len(),
                inputs.len()
            )));
        }
        let d = self.input_len();
        let chunk = self.batch_size * d;
        let batches = inputs
            .chunks(chunk)
            .zip(outputs.chunks_mut(self.batch_size));
        for ((ins, outs), gs) in batches.zip(grads.chunks_mut(chunk)) {
            let xs = self.images(ins).map_err(fault)?;
            let (logits, grad) = input_gradients(self.model.net.as_ref(), &xs).map_err(fault)?;
            let logits = logits.to_vec1::<f32>().map_err(fault)?;
            outs.iter_mut()
                .zip(logits)
                .for_each(|(o, l)| *o = f64::from(l));
            let grad = grad
                .flatten_all()
                .and_then(|g| g.to_vec1::<f32>())
                .map_err(fault)?;
            gs.copy_from_slice(&grad);
        }
        Ok(())
    }
}
