//! The candle networks. Every network maps a batch `[n, c, h, w]` of images to
//! `[n]` logits; its parameters are named as `arch.rs` lays down, so the
//! safetensors files they write are what the inference engine reads.

mod cnn;
mod mlp;
mod pool;
mod resnet;
mod sequential;

use candle_core::Tensor;
use candle_nn::{BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, VarBuilder};

use crate::{Arch, InputShape, NnError};

/// A network built over a [`VarBuilder`].
pub trait Net: Send + Sync {
    /// Logits `[n]` of a batch `[n, c, h, w]`. With `train` batch norms use
    /// and update batch statistics; without, their running statistics.
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor>;
}

/// Builds the network `arch` for inputs of `shape`, taking (or creating) its
/// parameters through `vb`.
pub fn build(arch: &Arch, shape: InputShape, vb: VarBuilder) -> Result<Box<dyn Net>, NnError> {
    if shape.is_empty() {
        return Err(NnError::bad_arch(format!("empty input shape {shape:?}")));
    }
    Ok(match arch {
        Arch::Mlp { hidden } => Box::new(mlp::Mlp::new(shape, hidden, vb)?),
        Arch::Cnn { channels, hidden } => Box::new(cnn::Cnn::new(shape, *channels, *hidden, vb)?),
        Arch::ResNet { stem, stages } => Box::new(resnet::ResNet::new(shape, *stem, stages, vb)?),
        Arch::Sequential { layers } => Box::new(sequential::Sequential::new(shape, layers, vb)?),
    })
}

/// Batch norm as PyTorch has it by default: eps 1e-5, momentum 0.1, affine.
fn batch_norm(channels: usize, eps: f64, vb: VarBuilder) -> candle_core::Result<BatchNorm> {
    let config = BatchNormConfig {
        eps,
        remove_mean: true,
        affine: true,
        momentum: 0.1,
    };
    candle_nn::batch_norm(channels, config, vb)
}

/// A square convolution with or without bias.
fn conv(
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    bias: bool,
    vb: VarBuilder,
) -> candle_core::Result<Conv2d> {
    let config = Conv2dConfig {
        padding,
        stride,
        ..Default::default()
    };
    if bias {
        candle_nn::conv2d(c_in, c_out, kernel, config, vb)
    } else {
        candle_nn::conv2d_no_bias(c_in, c_out, kernel, config, vb)
    }
}

/// Turns `[n, 1]` into `[n]`, the shape every network returns.
fn logits(xs: Tensor) -> candle_core::Result<Tensor> {
    xs.squeeze(1)
}

fn require_positive(what: &str, value: usize) -> Result<(), NnError> {
    if value == 0 {
        return Err(NnError::bad_arch(format!("{what} must be positive, got 0")));
    }
    Ok(())
}
