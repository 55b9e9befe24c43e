//! Compiles an architecture and its tensors into a [`Program`], following the
//! tensor names of `arch.rs`. Batch norms are folded into the conv or linear
//! layer before them (eval mode), relus into the step before them.

use super::conv::Conv;
use super::elementwise::Affine;
use super::error::EngineError;
use super::linear::Linear;
use super::pool::Pool;
use super::program::{Dims, Op, Program, Step};
use super::tensors::TensorStore;
use crate::arch::{Arch, InputShape, Layer, Stage};

const RESNET_BN_EPS: f64 = 1e-5;

pub(crate) fn compile(
    arch: &Arch,
    shape: InputShape,
    store: TensorStore,
) -> Result<Program, EngineError> {
    let (program, store) = compile_with(arch, shape, store)?;
    store.finish()?;
    Ok(program)
}

/// Every tensor `arch` needs for inputs of `shape`, with its shape, in the
/// order the network uses them.
pub(crate) fn expected_shapes(
    arch: &Arch,
    shape: InputShape,
) -> Result<Vec<(String, Vec<usize>)>, EngineError> {
    let (_, mut store) = compile_with(arch, shape, TensorStore::recorder())?;
    Ok(store.take_recorded())
}

fn compile_with(
    arch: &Arch,
    shape: InputShape,
    mut store: TensorStore,
) -> Result<(Program, TensorStore), EngineError> {
    let input = Dims {
        c: shape.channels,
        h: shape.height,
        w: shape.width,
    };
    let mut b = Builder {
        store: &mut store,
        steps: Vec::new(),
        dims: vec![input],
    };
    match arch {
        Arch::Mlp { hidden } => b.mlp(hidden)?,
        Arch::Cnn { channels, hidden } => b.cnn(*channels, *hidden)?,
        Arch::ResNet { stem, stages } => b.resnet(*stem, stages)?,
        Arch::Sequential { layers } => b.sequential(layers)?,
    }
    let program = Program {
        steps: b.steps,
        dims: b.dims,
    };
    Ok((program, store))
}

fn arch_error(layer: &str, message: impl Into<String>) -> EngineError {
    EngineError::Arch {
        layer: layer.to_string(),
        message: message.into(),
    }
}

struct Builder<'a> {
    store: &'a mut TensorStore,
    steps: Vec<Step>,
    dims: Vec<Dims>,
}

impl Builder<'_> {
    fn current(&self) -> usize {
        self.dims.len() - 1
    }

    fn push(&mut self, op: Op, src: usize, dims: Dims) -> usize {
        self.dims.push(dims);
        let dst = self.current();
        self.steps.push(Step {
            op,
            src,
            dst,
            relu: false,
        });
        dst
    }

    fn conv(
        &mut self,
        name: &str,
        src: usize,
        cout: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        has_bias: bool,
    ) -> Result<usize, EngineError> {
        let d = self.dims[src];
        if kernel == 0 || stride == 0 {
            return Err(arch_error(name, "kernel and stride must be positive"));
        }
        if d.h + 2 * padding < kernel || d.w + 2 * padding < kernel {
            return Err(arch_error(
                name,
                format!("kernel {kernel} larger than input {d:?}"),
            ));
        }
        let oh = (d.h + 2 * padding - kernel) / stride + 1;
        let ow = (d.w + 2 * padding - kernel) / stride + 1;
        let weight = self
            .store
            .take(&format!("{name}.weight"), &[cout, d.c, kernel, kernel])?;
        let bias = match has_bias {
            true => self.store.take(&format!("{name}.bias"), &[cout])?,
            false => vec![0.0; cout],
        };
        let conv = Conv {
            cin: d.c,
            cout,
            kernel,
            stride,
            padding,
            h: d.h,
            w: d.w,
            oh,
            ow,
            weight,
            bias,
        };
        Ok(self.push(
            Op::Conv(conv),
            src,
            Dims {
                c: cout,
                h: oh,
                w: ow,
            },
        ))
    }

    fn linear(&mut self, name: &str, in_features: usize, out: usize) -> Result<(), EngineError> {
        let src = self.current();
        let d = self.dims[src];
        if d.len() != in_features {
            let msg = format!("expects {in_features} input features, gets {d:?}");
            return Err(arch_error(name, msg));
        }
        let weight = self
            .store
            .take(&format!("{name}.weight"), &[out, in_features])?;
        let bias = self.store.take(&format!("{name}.bias"), &[out])?;
        let lin = Linear::new(in_features, out, weight, bias);
        self.push(Op::Linear(lin), src, Dims { c: out, h: 1, w: 1 });
        Ok(())
    }

    /// Eval-mode batch norm `name` over `channels`: folded into the step
    /// before it when that is a conv or linear layer, else a per-channel
    /// affine step.
    fn batch_norm(&mut self, name: &str, channels: usize, eps: f64) -> Result<(), EngineError> {
        let src = self.current();
        if self.dims[src].c != channels {
            let msg = format!("normalises {channels} channels, gets {:?}", self.dims[src]);
            return Err(arch_error(name, msg));
        }
        let (scale, shift) = self.bn_affine(name, channels, eps)?;
        let last = self.steps.last_mut().filter(|s| s.dst == src && !s.relu);
        match last.map(|s| &mut s.op) {
            Some(Op::Conv(conv)) => fold(&mut conv.weight, &mut conv.bias, &scale, &shift),
            Some(Op::Linear(lin)) => {
                let (mut w, mut b) = (std::mem::take(&mut lin.weight), lin.bias.clone());
                fold(&mut w, &mut b, &scale, &shift);
                *lin = Linear::new(lin.in_features, lin.out_features, w, b);
            }
            _ => {
                let d = self.dims[src];
                let scale = scale.iter().map(|&x| x as f32).collect();
                let shift = shift.iter().map(|&x| x as f32).collect();
                let affine = Affine {
                    scale,
                    shift,
                    plane: d.h * d.w,
                };
                self.push(Op::Affine(affine), src, d);
            }
        }
        Ok(())
    }

    /// The batch norm as `x * scale + shift`, computed in f64.
    fn bn_affine(
        &mut self,
        name: &str,
        channels: usize,
        eps: f64,
    ) -> Result<(Vec<f64>, Vec<f64>), EngineError> {
        let mut take = |field: &str| self.store.take(&format!("{name}.{field}"), &[channels]);
        let (gamma, beta) = (take("weight")?, take("bias")?);
        let (mean, var) = (take("running_mean")?, take("running_var")?);
        let scale: Vec<f64> = (0..channels)
            .map(|c| gamma[c] as f64 / (var[c] as f64 + eps).sqrt())
            .collect();
        let shift = (0..channels)
            .map(|c| beta[c] as f64 - mean[c] as f64 * scale[c])
            .collect();
        Ok((scale, shift))
    }

    fn relu(&mut self) {
        let src = self.current();
        match self.steps.last_mut() {
            Some(step) if step.dst == src && !matches!(step.op, Op::Relu) => step.relu = true,
            _ => {
                let d = self.dims[src];
                self.push(Op::Relu, src, d);
            }
        }
    }

    fn pool(
        &mut self,
        name: &str,
        kernel: usize,
        stride: usize,
        max: bool,
    ) -> Result<(), EngineError> {
        let src = self.current();
        let input = self.dims[src];
        if kernel == 0 || stride == 0 || kernel > input.h || kernel > input.w {
            return Err(arch_error(
                name,
                format!("pool {kernel}/{stride} on input {input:?}"),
            ));
        }
        let (h, w) = (
            (input.h - kernel) / stride + 1,
            (input.w - kernel) / stride + 1,
        );
        let output = Dims { c: input.c, h, w };
        let pool = Pool {
            kernel,
            stride,
            input,
            output,
        };
        let op = if max {
            Op::MaxPool(pool)
        } else {
            Op::AvgPool(pool)
        };
        self.push(op, src, output);
        Ok(())
    }

    /// Flatten changes no data (values are stored C x H x W), only the view.
    fn flatten(&mut self) {
        let src = self.current();
        let len = self.dims[src].len();
        self.dims[src] = Dims { c: len, h: 1, w: 1 };
    }

    /// A Sequential linear layer reads a flat value; the raw input is
    /// flattened implicitly, as for the MLP.
    fn flat_input(&mut self, name: &str) -> Result<(), EngineError> {
        let d = self.dims[self.current()];
        if self.current() == 0 {
            self.flatten();
        } else if d.h * d.w != 1 {
            return Err(arch_error(
                name,
                format!("linear layer on unflattened {d:?}"),
            ));
        }
        Ok(())
    }

    fn mlp(&mut self, hidden: &[usize]) -> Result<(), EngineError> {
        self.flatten();
        for (i, &out) in hidden.iter().chain([&1]).enumerate() {
            let in_features = self.dims[self.current()].len();
            self.linear(&format!("layers.{i}"), in_features, out)?;
            if i < hidden.len() {
                self.relu();
            }
        }
        Ok(())
    }

    fn cnn(&mut self, channels: [usize; 2], hidden: usize) -> Result<(), EngineError> {
        for (i, &c) in channels.iter().enumerate() {
            let name = format!("conv{}", i + 1);
            self.conv(&name, self.current(), c, 3, 1, 1, true)?;
            self.relu();
            self.pool(&name, 2, 2, true)?;
        }
        self.flatten();
        let flat = self.dims[self.current()].len();
        self.linear("fc1", flat, hidden)?;
        self.relu();
        self.linear("fc2", hidden, 1)
    }

    fn resnet(&mut self, stem: usize, stages: &[Stage]) -> Result<(), EngineError> {
        self.conv("stem.conv", 0, stem, 3, 1, 1, false)?;
        self.batch_norm("stem.bn", stem, RESNET_BN_EPS)?;
        self.relu();
        for (s, stage) in stages.iter().enumerate() {
            for b in 0..stage.blocks {
                let stride = if b == 0 && s > 0 { 2 } else { 1 };
                self.basic_block(&format!("stages.{s}.{b}"), stage.channels, stride)?;
            }
        }
        let src = self.current();
        let c = self.dims[src].c;
        self.push(Op::GlobalAvgPool, src, Dims { c, h: 1, w: 1 });
        self.linear("fc", c, 1)
    }

    fn basic_block(&mut self, name: &str, cout: usize, stride: usize) -> Result<(), EngineError> {
        let x = self.current();
        self.conv(&format!("{name}.conv1"), x, cout, 3, stride, 1, false)?;
        self.batch_norm(&format!("{name}.bn1"), cout, RESNET_BN_EPS)?;
        self.relu();
        self.conv(
            &format!("{name}.conv2"),
            self.current(),
            cout,
            3,
            1,
            1,
            false,
        )?;
        self.batch_norm(&format!("{name}.bn2"), cout, RESNET_BN_EPS)?;
        let h = self.current();
        let shortcut = if stride != 1 || self.dims[x].c != cout {
            self.conv(&format!("{name}.down.conv"), x, cout, 1, stride, 0, false)?;
            self.batch_norm(&format!("{name}.down.bn"), cout, RESNET_BN_EPS)?;
            self.current()
        } else {
            x
        };
        if self.dims[shortcut] != self.dims[h] {
            let msg = format!(
                "shortcut {:?} and block {:?} differ",
                self.dims[shortcut], self.dims[h]
            );
            return Err(arch_error(name, msg));
        }
        let d = self.dims[h];
        self.push(Op::Add(shortcut), h, d);
        self.relu();
        Ok(())
    }

    fn sequential(&mut self, layers: &[Layer]) -> Result<(), EngineError> {
        for (i, layer) in layers.iter().enumerate() {
            let name = i.to_string();
            match *layer {
                Layer::Linear {
                    in_features,
                    out_features,
                } => {
                    self.flat_input(&name)?;
                    self.linear(&name, in_features, out_features)?
                }
                Layer::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                } => {
                    let src = self.current();
                    if self.dims[src].c != in_channels {
                        let msg =
                            format!("expects {in_channels} channels, gets {:?}", self.dims[src]);
                        return Err(arch_error(&name, msg));
                    }
                    self.conv(&name, src, out_channels, kernel, stride, padding, true)?;
                }
                Layer::Relu => self.relu(),
                Layer::MaxPool2d { kernel, stride } => {
                    self.pool(&name, kernel, stride.unwrap_or(kernel), true)?
                }
                Layer::AvgPool2d { kernel, stride } => {
                    self.pool(&name, kernel, stride.unwrap_or(kernel), false)?
                }
                Layer::Flatten => self.flatten(),
                Layer::BatchNorm2d { channels, eps }
                | Layer::BatchNorm1d {
                    features: channels,
                    eps,
                } => self.batch_norm(&name, channels, eps)?,
            }
        }
        Ok(())
    }
}

/// `W' = W * scale[o]`, `b' = b * scale[o] + shift[o]`, row `o` per output.
fn fold(weight: &mut [f32], bias: &mut [f32], scale: &[f64], shift: &[f64]) {
    let row = weight.len() / bias.len();
    for (o, ws) in weight.chunks_exact_mut(row).enumerate() {
        for w in ws {
            *w = (*w as f64 * scale[o]) as f32;
        }
        bias[o] = (bias[o] as f64 * scale[o] + shift[o]) as f32;
    }
}
