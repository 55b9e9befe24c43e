//! A compiled network: a list of steps over numbered values, run on a chunk of
//! inputs at a time.
//!
//! Value 0 is the input; every step writes one new value, so the forward pass
//! keeps every activation the backward pass needs. Each value of a chunk of
//! `n` inputs is stored input after input, each input in `C x H x W` order
//! (PyTorch's layout, so flatten is free).

use super::conv::Conv;
use super::elementwise::{self, Affine};
use super::linear::Linear;
use super::pool::{self, Pool};

/// Per-input shape of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Dims {
    pub fn len(&self) -> usize {
        self.c * self.h * self.w
    }
}

#[derive(Debug)]
pub(crate) enum Op {
    Conv(Conv),
    Linear(Linear),
    /// A relu not fused into the step before it.
    Relu,
    MaxPool(Pool),
    AvgPool(Pool),
    GlobalAvgPool,
    /// A batch norm with no conv or linear layer before it to fold into.
    Affine(Affine),
    /// Residual sum of `src` and this value.
    Add(usize),
}

/// One step: `dst = op(src)`, followed by a relu when `relu` is set.
#[derive(Debug)]
pub(crate) struct Step {
    pub op: Op,
    pub src: usize,
    pub dst: usize,
    pub relu: bool,
}

#[derive(Debug)]
pub(crate) struct Program {
    pub steps: Vec<Step>,
    pub dims: Vec<Dims>,
}

/// Per-thread buffers, grown on first use and then reused.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub vals: Vec<Vec<f32>>,
    pub grads: Vec<Vec<f32>>,
    pub col: Vec<f32>,
}

impl Program {
    pub fn output(&self) -> usize {
        self.dims.len() - 1
    }

    /// Floats one input occupies across all values, for sizing chunks.
    pub fn floats_per_input(&self) -> usize {
        self.dims.iter().map(Dims::len).sum()
    }

    /// Sizes the scratch for a chunk of `n` inputs (no-op once large enough).
    pub fn prepare(&self, scratch: &mut Scratch, n: usize, with_grad: bool) {
        scratch.vals.resize_with(self.dims.len(), Vec::new);
        for (v, d) in self.dims.iter().enumerate() {
            scratch.vals[v].resize(d.len() * n, 0.0);
        }
        if with_grad {
            scratch.grads.resize_with(self.dims.len(), Vec::new);
            for (v, d) in self.dims.iter().enumerate() {
                scratch.grads[v].resize(d.len() * n, 0.0);
            }
        }
        let col = self
            .steps
            .iter()
            .map(|s| self.col_len(s))
            .max()
            .unwrap_or(0);
        if scratch.col.len() < col {
            scratch.col.resize(col, 0.0);
        }
    }

    fn col_len(&self, step: &Step) -> usize {
        match &step.op {
            Op::Conv(conv) => conv.col_len(),
            _ => 0,
        }
    }

    /// Runs steps `from..` on a chunk of `n` inputs whose values before
    /// `from` are already in `scratch.vals`.
    pub fn forward_from(&self, scratch: &mut Scratch, n: usize, from: usize) {
        for step in &self.steps[from..] {
            self.forward_step(step, scratch, n);
            if step.relu {
                let len = self.dims[step.dst].len() * n;
                elementwise::relu(&mut scratch.vals[step.dst][..len]);
            }
        }
    }

    /// The step's output before its fused relu.
    pub fn forward_step(&self, step: &Step, scratch: &mut Scratch, n: usize) {
        let (src, dst) = split_pair(&mut scratch.vals, step.src, step.dst);
        let (ls, ld) = (self.dims[step.src].len() * n, self.dims[step.dst].len() * n);
        let (src, dst) = (&src[..ls], &mut dst[..ld]);
        match &step.op {
            Op::Conv(conv) => conv.forward(src, dst, n, &mut scratch.col),
            Op::Linear(lin) => lin.forward(src, dst, n),
            Op::Relu => dst.copy_from_slice(src),
            Op::MaxPool(p) => p.max_forward(src, dst, n),
            Op::AvgPool(p) => p.avg_forward(src, dst, n),
            Op::GlobalAvgPool => pool::global_avg_forward(src, dst, n, self.dims[step.src]),
            Op::Affine(a) => a.forward(src, dst),
            Op::Add(_) => dst.copy_from_slice(src),
        }
        if let Op::Relu = step.op {
            return;
        }
        if let Op::Add(other) = step.op {
            let (other, dst) = split_pair(&mut scratch.vals, other, step.dst);
            elementwise::add_assign(&mut dst[..ld], &other[..ld]);
        }
    }

    /// Input gradients of the (single) output for a chunk whose forward pass
    /// has just run: afterwards `scratch.grads[0]` holds them.
    pub fn backward(&self, scratch: &mut Scratch, n: usize) {
        for (v, d) in self.dims.iter().enumerate() {
            scratch.grads[v][..d.len() * n].fill(0.0);
        }
        scratch.grads[self.output()][..n].fill(1.0);
        for step in self.steps.iter().rev() {
            self.backward_step(step, scratch, n);
        }
    }

    fn backward_step(&self, step: &Step, scratch: &mut Scratch, n: usize) {
        let (ls, ld) = (self.dims[step.src].len() * n, self.dims[step.dst].len() * n);
        if step.relu || matches!(step.op, Op::Relu) {
            let y = &scratch.vals[step.dst][..ld];
            elementwise::relu_mask(&mut scratch.grads[step.dst][..ld], y);
        }
        if let Op::Add(other) = step.op {
            let (g_dst, g_other) = split_pair(&mut scratch.grads, step.dst, other);
            elementwise::add_assign(&mut g_other[..ld], &g_dst[..ld]);
        }
        let (g_dst, g_src) = split_pair(&mut scratch.grads, step.dst, step.src);
        let (g_src, g_dst) = (&mut g_src[..ls], &g_dst[..ld]);
        let x = &scratch.vals[step.src][..ls];
        match &step.op {
            Op::Conv(conv) => conv.backward(g_dst, g_src, n, &mut scratch.col),
            Op::Linear(lin) => lin.backward(g_dst, g_src, n),
            Op::Relu | Op::Add(_) => elementwise::add_assign(g_src, g_dst),
            Op::MaxPool(p) => p.max_backward(x, g_dst, g_src, n),
            Op::AvgPool(p) => p.avg_backward(g_dst, g_src, n),
            Op::GlobalAvgPool => pool::global_avg_backward(g_dst, g_src, n, self.dims[step.src]),
            Op::Affine(a) => a.backward(g_dst, g_src),
        }
    }
}

/// Two distinct elements of a slice, the first shared and the second mutable.
fn split_pair<T>(items: &mut [T], a: usize, b: usize) -> (&T, &mut T) {
    assert_ne!(a, b, "a step reads and writes the same value");
    if a < b {
        let (lo, hi) = items.split_at_mut(b);
        (&lo[a], &mut hi[0])
    } else {
        let (lo, hi) = items.split_at_mut(a);
        (&hi[0], &mut lo[b])
    }
}
