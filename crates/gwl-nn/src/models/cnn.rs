//! Small convolutional network: two conv-relu-pool stages, then two linear layers.

use candle_core::Tensor;
use candle_nn::{Conv2d, Linear, Module, VarBuilder};

use super::pool::max_pool2d;
use super::{conv, logits, require_positive, Net};
use crate::{InputShape, NnError};

pub(crate) struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    fc1: Linear,
    fc2: Linear,
}

impl Cnn {
    pub(crate) fn new(
        shape: InputShape,
        channels: [usize; 2],
        hidden: usize,
        vb: VarBuilder,
    ) -> Result<Self, NnError> {
        let [c1, c2] = channels;
        require_positive("cnn channels[0]", c1)?;
        require_positive("cnn channels[1]", c2)?;
        require_positive("cnn hidden", hidden)?;
        // Two 2x2 max pools with floor rounding leave h/4 x w/4 positions.
        let (h, w) = (shape.height / 4, shape.width / 4);
        if h == 0 || w == 0 {
            return Err(NnError::bad_arch(format!(
                "cnn needs inputs of at least 4x4, got {}x{}",
                shape.height, shape.width
            )));
        }
        Ok(Self {
            conv1: conv(shape.channels, c1, 3, 1, 1, true, vb.pp("conv1"))?,
            conv2: conv(c1, c2, 3, 1, 1, true, vb.pp("conv2"))?,
            fc1: candle_nn::linear(c2 * h * w, hidden, vb.pp("fc1"))?,
            fc2: candle_nn::linear(hidden, 1, vb.pp("fc2"))?,
        })
    }
}

impl Net for Cnn {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        let xs = max_pool2d(&self.conv1.forward(xs)?.relu()?, 2, 2)?;
        let xs = max_pool2d(&self.conv2.forward(&xs)?.relu()?, 2, 2)?;
        let xs = self.fc1.forward(&xs.flatten_from(1)?)?.relu()?;
        logits(self.fc2.forward(&xs)?)
    }
}
