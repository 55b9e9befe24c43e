//! Fully connected network: `layers.{i}` linear maps with relu between them.

use candle_core::Tensor;
use candle_nn::{Linear, Module, VarBuilder};

use super::{logits, require_positive, Net};
use crate::{InputShape, NnError};

pub(crate) struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    pub(crate) fn new(
        shape: InputShape,
        hidden: &[usize],
        vb: VarBuilder,
    ) -> Result<Self, NnError> {
        for (i, &width) in hidden.iter().enumerate() {
            require_positive(&format!("mlp hidden[{i}]"), width)?;
        }
        let widths: Vec<usize> = std::iter::once(shape.len())
            .chain(hidden.iter().copied())
            .chain([1])
            .collect();
        let vb = vb.pp("layers");
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| candle_nn::linear(w[0], w[1], vb.pp(i)))
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { layers })
    }
}

impl Net for Mlp {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        let mut xs = xs.flatten_from(1)?;
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            xs = layer.forward(&xs)?;
            if i < last {
                xs = xs.relu()?;
            }
        }
        logits(xs)
    }
}
