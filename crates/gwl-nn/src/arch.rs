//! Architectures of the networks we study, and the tensor names their weights
//! carry in safetensors files. These names are the contract between the candle
//! models (training, reference) and the fast inference engine.
//!
//! Every network takes a `1 x height x width` image (values in [0, 1]) and
//! returns one logit (label 1 = the digit one).
//!
//! Tensor names (shapes in PyTorch order, `[out, in]`, `[out, in, kh, kw]`):
//! - `Mlp { hidden }`: `layers.{i}.weight`, `layers.{i}.bias` for
//!   `i in 0..=hidden.len()`; relu between layers, none after the last.
//!   Input is the flattened image.
//! - `Cnn { channels: [c1, c2], hidden }`: `conv1` (3x3, padding 1, 1 -> c1),
//!   relu, max pool 2x2 stride 2; `conv2` (3x3, padding 1, c1 -> c2), relu,
//!   max pool 2; flatten; `fc1` (c2 * (h/4) * (w/4) -> hidden, floors), relu;
//!   `fc2` (hidden -> 1). Each with `.weight` and `.bias`.
//! - `ResNet { stem, stages }`: `stem.conv.weight` (3x3, padding 1, no bias,
//!   1 -> stem) then `stem.bn.*`, relu. Stage `s` has `stages[s].blocks` basic
//!   blocks of `stages[s].channels` channels named `stages.{s}.{b}.`; the first
//!   block of every stage but the first has stride 2. A block is `conv1` (3x3,
//!   padding 1, the block's stride, no bias), `bn1`, relu, `conv2` (3x3,
//!   padding 1, no bias), `bn2`, plus the shortcut, then relu. The shortcut is
//!   the identity unless the stride or channel count changes; then it is
//!   `down.conv` (1x1, the block's stride, no bias) and `down.bn`. Then global
//!   average pooling and `fc` (`.weight`, `.bias`: last channels -> 1).
//!   Batch norms carry `.weight`, `.bias`, `.running_mean`, `.running_var`
//!   (eps 1e-5) and are used in eval mode for inference.
//! - `Sequential { layers }`: PyTorch `nn.Sequential` names: layer `i` with
//!   parameters has `{i}.weight` and `{i}.bias` (batch norm also
//!   `{i}.running_mean`, `{i}.running_var`); layers without parameters still
//!   take up their index.

use serde::{Deserialize, Serialize};

/// Shape of one input image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl InputShape {
    pub fn image(height: usize, width: usize) -> Self {
        Self {
            channels: 1,
            height,
            width,
        }
    }

    /// Number of input coordinates `D`.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One stage of a ResNet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub channels: usize,
    pub blocks: usize,
}

/// A network architecture; the weights live in a safetensors file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arch {
    Mlp {
        hidden: Vec<usize>,
    },
    Cnn {
        channels: [usize; 2],
        hidden: usize,
    },
    #[serde(rename = "resnet")]
    ResNet {
        stem: usize,
        stages: Vec<Stage>,
    },
    Sequential {
        layers: Vec<Layer>,
    },
}

/// One layer of a spec-built Sequential network (PyTorch `nn.Sequential`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Layer {
    Linear {
        in_features: usize,
        out_features: usize,
    },
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        #[serde(default = "one")]
        stride: usize,
        #[serde(default)]
        padding: usize,
    },
    Relu,
    MaxPool2d {
        kernel: usize,
        #[serde(default)]
        stride: Option<usize>,
    },
    AvgPool2d {
        kernel: usize,
        #[serde(default)]
        stride: Option<usize>,
    },
    Flatten,
    BatchNorm2d {
        channels: usize,
        #[serde(default = "bn_eps")]
        eps: f64,
    },
    BatchNorm1d {
        features: usize,
        #[serde(default = "bn_eps")]
        eps: f64,
    },
}

fn one() -> usize {
    1
}

fn bn_eps() -> f64 {
    1e-5
}
