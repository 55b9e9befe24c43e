//! A network described layer by layer, named like PyTorch's `nn.Sequential` so
//! a classifier exported from PyTorch with safetensors loads unchanged.

use candle_core::{ModuleT, Tensor};
use candle_nn::{BatchNorm, Conv2d, Linear, Module, VarBuilder};

use super::pool::{avg_pool2d, max_pool2d};
use super::{batch_norm, conv, logits, Net};
use crate::{InputShape, Layer, NnError};

enum Op {
    Linear(Linear),
    Conv(Conv2d),
    Relu,
    MaxPool { kernel: usize, stride: usize },
    AvgPool { kernel: usize, stride: usize },
    Flatten,
    BatchNorm(BatchNorm),
}

pub(crate) struct Sequential {
    ops: Vec<Op>,
}

/// What flows between layers: an image of channels, or a flat feature vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Image { c: usize, h: usize, w: usize },
    Flat(usize),
}

impl Sequential {
    pub(crate) fn new(
        shape: InputShape,
        layers: &[Layer],
        vb: VarBuilder,
    ) -> Result<Self, NnError> {
        let mut flow = Flow::Image {
            c: shape.channels,
            h: shape.height,
            w: shape.width,
        };
        let mut ops = Vec::with_capacity(layers.len());
        for (i, layer) in layers.iter().enumerate() {
            flow = next_flow(flow, layer)
                .map_err(|why| NnError::bad_arch(format!("sequential layer {i}: {why}")))?;
            ops.push(make_op(layer, vb.pp(i))?);
        }
        if flow != Flow::Flat(1) {
            return Err(NnError::bad_arch(format!(
                "sequential must end in one output feature, ends in {flow:?}"
            )));
        }
        Ok(Self { ops })
    }
}

fn make_op(layer: &Layer, vb: VarBuilder) -> candle_core::Result<Op> {
    Ok(match *layer {
        Layer::Linear {
            in_features,
            out_features,
        } => Op::Linear(candle_nn::linear(in_features, out_features, vb)?),
        Layer::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        } => Op::Conv(conv(
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            true,
            vb,
        )?),
        Layer::Relu => Op::Relu,
        Layer::MaxPool2d { kernel, stride } => Op::MaxPool {
            kernel,
            stride: stride.unwrap_or(kernel),
        },
        Layer::AvgPool2d { kernel, stride } => Op::AvgPool {
            kernel,
            stride: stride.unwrap_or(kernel),
        },
        Layer::Flatten => Op::Flatten,
        Layer::BatchNorm2d { channels: n, eps } | Layer::BatchNorm1d { features: n, eps } => {
            Op::BatchNorm(batch_norm(n, eps, vb)?)
        }
    })
}

/// The shape after `layer`, or why `layer` cannot take `flow`.
fn next_flow(flow: Flow, layer: &Layer) -> Result<Flow, String> {
    match (layer, flow) {
        (
            &Layer::Linear {
                in_features,
                out_features,
            },
            Flow::Flat(n),
        ) => {
            expect_eq("in_features", in_features, n)?;
            positive("out_features", out_features)?;
            Ok(Flow::Flat(out_features))
        }
        (
            &Layer::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
            },
            Flow::Image { c, h, w },
        ) => {
            expect_eq("in_channels", in_channels, c)?;
            positive("out_channels", out_channels)?;
            let (h, w) = (
                window(h + 2 * padding, kernel, stride)?,
                window(w + 2 * padding, kernel, stride)?,
            );
            Ok(Flow::Image {
                c: out_channels,
                h,
                w,
            })
        }
        (
            &(Layer::MaxPool2d { kernel, stride } | Layer::AvgPool2d { kernel, stride }),
            Flow::Image { c, h, w },
        ) => {
            let stride = stride.unwrap_or(kernel);
            Ok(Flow::Image {
                c,
                h: window(h, kernel, stride)?,
                w: window(w, kernel, stride)?,
            })
        }
        (Layer::Relu, flow) => Ok(flow),
        (Layer::Flatten, Flow::Image { c, h, w }) => Ok(Flow::Flat(c * h * w)),
        (Layer::Flatten, flow) => Ok(flow),
        (&Layer::BatchNorm2d { channels, .. }, Flow::Image { c, .. }) => {
            expect_eq("channels", channels, c)?;
            Ok(flow)
        }
        (&Layer::BatchNorm1d { features, .. }, Flow::Flat(n)) => {
            expect_eq("features", features, n)?;
            Ok(flow)
        }
        (layer, flow) => Err(format!("{layer:?} cannot take input {flow:?}")),
    }
}

/// Output length of a sliding window, with PyTorch's floor rounding.
fn window(len: usize, kernel: usize, stride: usize) -> Result<usize, String> {
    positive("kernel", kernel)?;
    positive("stride", stride)?;
    if len < kernel {
        return Err(format!(
            "kernel {kernel} is larger than its (padded) input {len}"
        ));
    }
    Ok((len - kernel) / stride + 1)
}

fn expect_eq(field: &str, declared: usize, actual: usize) -> Result<(), String> {
    if declared != actual {
        return Err(format!("{field} is {declared} but the input has {actual}"));
    }
    Ok(())
}

fn positive(field: &str, value: usize) -> Result<(), String> {
    if value == 0 {
        return Err(format!("{field} must be positive"));
    }
    Ok(())
}

impl Net for Sequential {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = xs.clone();
        for op in &self.ops {
            xs = match op {
                Op::Linear(linear) => linear.forward(&xs)?,
                Op::Conv(conv) => conv.forward(&xs)?,
                Op::Relu => xs.relu()?,
                Op::MaxPool { kernel, stride } => max_pool2d(&xs, *kernel, *stride)?,
                Op::AvgPool { kernel, stride } => avg_pool2d(&xs, *kernel, *stride)?,
                Op::Flatten => xs.flatten_from(1)?,
                Op::BatchNorm(bn) => bn.forward_t(&xs, train)?,
            };
        }
        logits(xs)
    }
}
