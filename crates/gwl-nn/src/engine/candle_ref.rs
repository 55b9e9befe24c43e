//! The same networks written directly with candle ops, following `arch.rs`:
//! the reference the engine is tested against (outputs and autograd input
//! gradients) and the baseline of the benchmark. Batch norm runs in eval mode
//! from its running statistics, unfolded.
//!
//! Pooling comes in two forms. candle 0.11.1's own `max_pool2d` backward
//! scales each maximum's gradient by (number of maxima in the window) / k^2
//! instead of routing it whole (a quarter of the true gradient for a single
//! maximum and a 2x2 pool), and both its pool backwards fail or misalign
//! when the input size is not a multiple of the kernel. So the reference used
//! for exactness ([`Pooling::Exact`]) pools by cropping, reshaping to windows
//! and reducing, with max pooling written as a sum against a constant mask of
//! each window's first maximum (PyTorch's rule for ties, which binary inputs
//! make common). The benchmark uses candle's native ops ([`Pooling::Native`]).

use std::collections::{BTreeMap, HashMap};

use candle_core::{DType, Device, Module, Result, Tensor, Var, D};

use super::tensors::TensorData;
use crate::arch::{Arch, InputShape, Layer};

/// How the reference pools (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Window reshapes with correct gradients; kernel == stride only.
    Exact,
    /// candle's `max_pool2d` / `avg_pool2d`.
    Native,
}

/// A candle network built from the engine's tensor map.
#[derive(Debug)]
pub struct CandleReference {
    arch: Arch,
    shape: InputShape,
    tensors: HashMap<String, Tensor>,
    pooling: Pooling,
}

impl CandleReference {
    pub fn new(
        arch: &Arch,
        shape: InputShape,
        tensors: &BTreeMap<String, TensorData>,
    ) -> Result<Self> {
        let mut map = HashMap::new();
        for (name, (dims, values)) in tensors {
            map.insert(
                name.clone(),
                Tensor::from_slice(values, dims.as_slice(), &Device::Cpu)?,
            );
        }
        Ok(Self {
            arch: arch.clone(),
            shape,
            tensors: map,
            pooling: Pooling::Exact,
        })
    }

    pub fn with_pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = pooling;
        self
    }

    fn pool(&self, xs: &Tensor, kernel: usize, stride: usize, max: bool) -> Result<Tensor> {
        match (self.pooling, max) {
            (Pooling::Native, true) => xs.max_pool2d_with_stride(kernel, stride),
            (Pooling::Native, false) => xs.avg_pool2d_with_stride(kernel, stride),
            (Pooling::Exact, _) if kernel != stride => Err(candle_core::Error::Msg(
                "exact pooling needs kernel == stride".into(),
            )),
            (Pooling::Exact, _) => exact_pool(xs, kernel, max),
        }
    }

    /// A batch of real-valued inputs as a `[n, c, h, w]` tensor.
    pub fn input(&self, xs: &[f32]) -> Result<Tensor> {
        let s = self.shape;
        let n = xs.len() / s.len();
        Tensor::from_slice(xs, (n, s.channels, s.height, s.width), &Device::Cpu)
    }

    /// Outputs `[n]` of a `[n, c, h, w]` batch.
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let out = match &self.arch {
            Arch::Mlp { hidden } => self.mlp(xs, hidden.len())?,
            Arch::Cnn { .. } => self.cnn(xs)?,
            Arch::ResNet { stages, .. } => self.resnet(xs, stages)?,
            Arch::Sequential { layers } => self.sequential(xs, layers)?,
        };
        out.flatten_all()
    }

    /// Outputs and input gradients by candle's autograd.
    pub fn forward_grad(&self, xs: &[f32]) -> Result<(Vec<f32>, Vec<f32>)> {
        let var = Var::from_tensor(&self.input(xs)?)?;
        let out = self.forward(var.as_tensor())?;
        let grads = out.sum_all()?.backward()?;
        let g = grads
            .get(var.as_tensor())
            .expect("the input takes part in the output");
        Ok((out.to_vec1()?, g.flatten_all()?.to_vec1()?))
    }

    fn get(&self, name: &str) -> Result<&Tensor> {
        self.tensors
            .get(name)
            .ok_or_else(|| candle_core::Error::Msg(format!("no tensor {name}")))
    }

    fn linear(&self, xs: &Tensor, name: &str) -> Result<Tensor> {
        let w = self.get(&format!("{name}.weight"))?;
        let b = self.get(&format!("{name}.bias"))?;
        candle_nn::Linear::new(w.clone(), Some(b.clone())).forward(xs)
    }

    fn conv(
        &self,
        xs: &Tensor,
        name: &str,
        stride: usize,
        pad: usize,
        bias: bool,
    ) -> Result<Tensor> {
        let w = self.get(&format!("{name}.weight"))?;
        let ys = match self.pooling {
            Pooling::Exact if stride > 1 => strided_conv(xs, w, pad, stride)?,
            _ => xs.conv2d(w, pad, stride, 1, 1)?,
        };
        if !bias {
            return Ok(ys);
        }
        let b = self.get(&format!("{name}.bias"))?;
        ys.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?)
    }

    fn batch_norm(&self, xs: &Tensor, name: &str, eps: f64) -> Result<Tensor> {
        let c = xs.dim(1)?;
        let view: Vec<usize> = (0..xs.rank()).map(|i| if i == 1 { c } else { 1 }).collect();
        let field = |f: &str| self.get(&format!("{name}.{f}"))?.reshape(view.as_slice());
        let std = (field("running_var")? + eps)?.sqrt()?;
        let normed = xs
            .broadcast_sub(&field("running_mean")?)?
            .broadcast_div(&std)?;
        normed
            .broadcast_mul(&field("weight")?)?
            .broadcast_add(&field("bias")?)
    }

    fn mlp(&self, xs: &Tensor, hidden: usize) -> Result<Tensor> {
        let mut xs = xs.flatten_from(1)?;
        for i in 0..=hidden {
            xs = self.linear(&xs, &format!("layers.{i}"))?;
            if i < hidden {
                xs = xs.relu()?;
            }
        }
        Ok(xs)
    }

    fn cnn(&self, xs: &Tensor) -> Result<Tensor> {
        let xs = self.pool(&self.conv(xs, "conv1", 1, 1, true)?.relu()?, 2, 2, true)?;
        let xs = self.pool(&self.conv(&xs, "conv2", 1, 1, true)?.relu()?, 2, 2, true)?;
        let xs = self.linear(&xs.flatten_from(1)?, "fc1")?.relu()?;
        self.linear(&xs, "fc2")
    }

    fn resnet(&self, xs: &Tensor, stages: &[crate::arch::Stage]) -> Result<Tensor> {
        let xs = self.conv(xs, "stem.conv", 1, 1, false)?;
        let mut xs = self.batch_norm(&xs, "stem.bn", 1e-5)?.relu()?;
        for (s, stage) in stages.iter().enumerate() {
            for b in 0..stage.blocks {
                let stride = if b == 0 && s > 0 { 2 } else { 1 };
                xs = self.block(&xs, &format!("stages.{s}.{b}"), stage.channels, stride)?;
            }
        }
        let pooled = xs.mean(D::Minus1)?.mean(D::Minus1)?;
        self.linear(&pooled, "fc")
    }

    fn block(&self, xs: &Tensor, name: &str, cout: usize, stride: usize) -> Result<Tensor> {
        let h = self.conv(xs, &format!("{name}.conv1"), stride, 1, false)?;
        let h = self.batch_norm(&h, &format!("{name}.bn1"), 1e-5)?.relu()?;
        let h = self.conv(&h, &format!("{name}.conv2"), 1, 1, false)?;
        let h = self.batch_norm(&h, &format!("{name}.bn2"), 1e-5)?;
        let shortcut = if stride != 1 || xs.dim(1)? != cout {
            let d = self.conv(xs, &format!("{name}.down.conv"), stride, 0, false)?;
            self.batch_norm(&d, &format!("{name}.down.bn"), 1e-5)?
        } else {
            xs.clone()
        };
        (h + shortcut)?.relu()
    }

    fn sequential(&self, xs: &Tensor, layers: &[Layer]) -> Result<Tensor> {
        let mut xs = xs.clone();
        for (i, layer) in layers.iter().enumerate() {
            let name = i.to_string();
            xs = match *layer {
                Layer::Linear { .. } if xs.rank() > 2 => {
                    self.linear(&xs.flatten_from(1)?, &name)?
                }
                Layer::Linear { .. } => self.linear(&xs, &name)?,
                Layer::Conv2d {
                    stride, padding, ..
                } => self.conv(&xs, &name, stride, padding, true)?,
                Layer::Relu => xs.relu()?,
                Layer::MaxPool2d { kernel, stride } => {
                    self.pool(&xs, kernel, stride.unwrap_or(kernel), true)?
                }
                Layer::AvgPool2d { kernel, stride } => {
                    self.pool(&xs, kernel, stride.unwrap_or(kernel), false)?
                }
                Layer::Flatten => xs.flatten_from(1)?,
                Layer::BatchNorm2d { eps, .. } | Layer::BatchNorm1d { eps, .. } => {
                    self.batch_norm(&xs, &name, eps)?
                }
            };
        }
        Ok(xs)
    }
}

/// A strided convolution whose input is zero-padded and cropped to exactly
/// the rows and columns its windows read. candle 0.11.1's conv2d backward
/// fails (shape mismatch) when `(size + 2 * padding - kernel) % stride != 0`.
fn strided_conv(xs: &Tensor, w: &Tensor, pad: usize, stride: usize) -> Result<Tensor> {
    let k = w.dim(2)?;
    let mut xs = xs.clone();
    for dim in [2, 3] {
        let size = xs.dim(dim)? + 2 * pad;
        let used = (size - k) / stride * stride + k;
        xs = xs.pad_with_zeros(dim, pad, pad)?.narrow(dim, 0, used)?;
    }
    xs.conv2d(w, 0, stride, 1, 1)
}

/// Non-overlapping `kernel x kernel` pooling with autograd-correct gradients.
fn exact_pool(xs: &Tensor, kernel: usize, max: bool) -> Result<Tensor> {
    let (n, c, h, w) = xs.dims4()?;
    let (oh, ow) = (h / kernel, w / kernel);
    let xs = xs
        .narrow(2, 0, oh * kernel)?
        .narrow(3, 0, ow * kernel)?
        .contiguous()?;
    let windows = (n, c, oh, kernel, ow, kernel);
    if !max {
        return xs.reshape(windows)?.mean(5)?.mean(3);
    }
    let values: Vec<f32> = xs.flatten_all()?.to_vec1()?;
    let mask = first_max_mask(&values, n * c, oh * kernel, ow * kernel, kernel);
    let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(DType::F32)?;
    (xs * mask)?.reshape(windows)?.sum(5)?.sum(3)
}

/// 1 at the first maximum (row-major) of every window, 0 elsewhere.
fn first_max_mask(values: &[f32], planes: usize, h: usize, w: usize, k: usize) -> Vec<f32> {
    let mut mask = vec![0.0; values.len()];
    for p in 0..planes {
        for oy in 0..h / k {
            for ox in 0..w / k {
                let at = |ky: usize, kx: usize| p * h * w + (oy * k + ky) * w + ox * k + kx;
                let mut best = at(0, 0);
                for i in (0..k)
                    .flat_map(|ky| (0..k).map(move |kx| (ky, kx)))
                    .map(|(y, x)| at(y, x))
                {
                    if values[i] > values[best] {
                        best = i;
                    }
                }
                mask[best] = 1.0;
            }
        }
    }
    mask
}
