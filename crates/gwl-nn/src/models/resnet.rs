//! ResNet of basic blocks (two 3x3 convolutions with batch norm and a skip
//! connection), sized for 28x28 digits on a few CPU cores.

use candle_core::{ModuleT, Tensor};
use candle_nn::{BatchNorm, Conv2d, Linear, Module, VarBuilder};

use super::{batch_norm, conv, logits, require_positive, Net};
use crate::{InputShape, NnError, Stage};

const BN_EPS: f64 = 1e-5;

/// A convolution followed by its batch norm, the unit every part of a ResNet is made of.
struct ConvBn {
    conv: Conv2d,
    bn: BatchNorm,
}

impl ConvBn {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        names: (&str, &str),
        vb: &VarBuilder,
    ) -> candle_core::Result<Self> {
        // Batch norm follows at once, so a conv bias would only duplicate its shift.
        let conv = conv(
            c_in,
            c_out,
            kernel,
            stride,
            kernel / 2,
            false,
            vb.pp(names.0),
        )?;
        let bn = batch_norm(c_out, BN_EPS, vb.pp(names.1))?;
        Ok(Self { conv, bn })
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        self.bn.forward_t(&self.conv.forward(xs)?, train)
    }
}

struct BasicBlock {
    first: ConvBn,
    second: ConvBn,
    /// Projection of the input when the block changes resolution or width;
    /// otherwise the input is added unchanged.
    down: Option<ConvBn>,
}

impl BasicBlock {
    fn new(c_in: usize, c_out: usize, stride: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let first = ConvBn::new(c_in, c_out, 3, stride, ("conv1", "bn1"), &vb)?;
        let second = ConvBn::new(c_out, c_out, 3, 1, ("conv2", "bn2"), &vb)?;
        let down = if stride != 1 || c_in != c_out {
            Some(ConvBn::new(
                c_in,
                c_out,
                1,
                stride,
                ("down.conv", "down.bn"),
                &vb,
            )?)
        } else {
            None
        };
        Ok(Self {
            first,
            second,
            down,
        })
    }

    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let ys = self.first.forward_t(xs, train)?.relu()?;
        let ys = self.second.forward_t(&ys, train)?;
        let shortcut = match &self.down {
            Some(down) => down.forward_t(xs, train)?,
            None => xs.clone(),
        };
        (ys + shortcut)?.relu()
    }
}

pub(crate) struct ResNet {
    stem: ConvBn,
    blocks: Vec<BasicBlock>,
    fc: Linear,
}

impl ResNet {
    pub(crate) fn new(
        shape: InputShape,
        stem: usize,
        stages: &[Stage],
        vb: VarBuilder,
    ) -> Result<Self, NnError> {
        require_positive("resnet stem", stem)?;
        if stages.is_empty() {
            return Err(NnError::bad_arch("resnet needs at least one stage"));
        }
        for (s, stage) in stages.iter().enumerate() {
            require_positive(&format!("resnet stages[{s}].channels"), stage.channels)?;
            require_positive(&format!("resnet stages[{s}].blocks"), stage.blocks)?;
        }
        let stem_unit = ConvBn::new(shape.channels, stem, 3, 1, ("stem.conv", "stem.bn"), &vb)?;
        let blocks = build_blocks(stem, stages, &vb.pp("stages"))?;
        let last = stages[stages.len() - 1].channels;
        let fc = candle_nn::linear(last, 1, vb.pp("fc"))?;
        Ok(Self {
            stem: stem_unit,
            blocks,
            fc,
        })
    }
}

fn build_blocks(
    stem: usize,
    stages: &[Stage],
    vb: &VarBuilder,
) -> candle_core::Result<Vec<BasicBlock>> {
    let mut blocks = Vec::new();
    let mut c_in = stem;
    for (s, stage) in stages.iter().enumerate() {
        for b in 0..stage.blocks {
            // Every stage after the first halves the resolution in its first block.
            let stride = if s > 0 && b == 0 { 2 } else { 1 };
            blocks.push(BasicBlock::new(
                c_in,
                stage.channels,
                stride,
                vb.pp(s).pp(b),
            )?);
            c_in = stage.channels;
        }
    }
    Ok(blocks)
}

impl Net for ResNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = self.stem.forward_t(xs, train)?.relu()?;
        for block in &self.blocks {
            xs = block.forward_t(&xs, train)?;
        }
        let pooled = xs.mean((2, 3))?;
        logits(self.fc.forward(&pooled)?)
    }
}
