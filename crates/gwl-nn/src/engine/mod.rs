//! A CPU inference engine for trained networks: batched forward passes and
//! gradients of the output with respect to the input, without autograd.
//!
//! The engine compiles an [`Arch`] and its tensors (the names of `arch.rs`)
//! into a list of steps (module `program`), folding eval-mode batch norms into the
//! conv or linear layer before them and relus into the step before them.
//! A batch is cut into chunks, one per rayon task; each task borrows a
//! scratch set of buffers from a pool, so evaluation allocates nothing once
//! warm. The backward pass computes input gradients only: transposed
//! convolutions, pooling routes and relu masks, never weight gradients.
//!
//! For walkers whose input changed in one coordinate, the engine keeps each
//! input's first-layer pre-activations as its incremental state and updates
//! them by one weight column (linear) or one kernel patch (conv).

pub mod bench;
mod build;
pub mod candle_ref;
mod conv;
mod elementwise;
mod error;
mod gemm;
mod incremental;
mod linear;
mod pool;
mod program;
mod random;
mod tensors;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use gwl_core::{Change, Model, ModelError};
use rayon::prelude::*;

pub use error::EngineError;
pub use random::{random_tensors, tensor_shapes};
pub use tensors::TensorData;

use crate::arch::{Arch, InputShape};
use program::{Op, Program, Scratch};
use tensors::TensorStore;

/// Floats of activations (all values of the network) a chunk aims to keep,
/// so a task's working set stays near the per-core L2 cache.
const CHUNK_FLOATS: usize = 1 << 17;

/// A compiled network with one output, evaluated on the CPU.
#[derive(Debug)]
pub struct Engine {
    program: Program,
    levels: u8,
    level_values: [f32; 256],
    input_len: usize,
    max_chunk: usize,
    pool: Mutex<Vec<Scratch>>,
}

impl Engine {
    /// Builds from tensors held in memory, name -> (shape, row-major values).
    pub fn from_tensors(
        arch: &Arch,
        shape: InputShape,
        tensors: BTreeMap<String, TensorData>,
    ) -> Result<Self, EngineError> {
        Self::from_store(arch, shape, TensorStore::from_map(tensors)?)
    }

    /// Builds from a safetensors file of f32 tensors.
    pub fn from_safetensors(
        arch: &Arch,
        shape: InputShape,
        path: impl AsRef<Path>,
    ) -> Result<Self, EngineError> {
        Self::from_store(arch, shape, TensorStore::from_safetensors(path.as_ref())?)
    }

    fn from_store(arch: &Arch, shape: InputShape, store: TensorStore) -> Result<Self, EngineError> {
        let program = build::compile(arch, shape, store)?;
        let found = program.dims[program.output()].len();
        if found != 1 {
            return Err(EngineError::Outputs { found });
        }
        let max_chunk = (CHUNK_FLOATS / program.floats_per_input()).max(1);
        let engine = Self {
            program,
            levels: 2,
            level_values: [0.0; 256],
            input_len: shape.len(),
            max_chunk,
            pool: Mutex::new(Vec::new()),
        };
        engine.with_levels(2)
    }

    /// Inputs of `levels` levels per coordinate; level `v` is the value
    /// `v / (levels - 1)`.
    pub fn with_levels(mut self, levels: u8) -> Result<Self, EngineError> {
        if levels < 2 {
            return Err(EngineError::Levels { levels });
        }
        self.levels = levels;
        for (v, x) in self.level_values.iter_mut().enumerate() {
            *x = v as f32 / (levels - 1) as f32;
        }
        Ok(self)
    }

    /// Multiply-adds of one forward pass through the conv and linear layers.
    pub fn multiply_adds(&self) -> usize {
        self.program
            .steps
            .iter()
            .map(|s| match &s.op {
                Op::Conv(c) => c.multiply_adds(),
                Op::Linear(l) => l.in_features * l.out_features,
                _ => 0,
            })
            .sum()
    }

    /// Overrides the largest number of inputs one task evaluates at once.
    pub fn with_max_chunk(mut self, max_chunk: usize) -> Self {
        self.max_chunk = max_chunk.max(1);
        self
    }

    /// Outputs for real-valued inputs (`xs.len() == n * input_len()`).
    pub fn forward_values(&self, xs: &[f32], outputs: &mut [f32]) {
        let d = self.input_len;
        assert_eq!(xs.len(), outputs.len() * d, "inputs and outputs disagree");
        self.for_chunks(outputs, &mut [], 0, |s, start, out, _| {
            let n = out.len();
            self.program.prepare(s, n, false);
            s.vals[0][..n * d].copy_from_slice(&xs[start * d..][..n * d]);
            self.program.forward_from(s, n, 0);
            out.copy_from_slice(&s.vals[self.program.output()][..n]);
        });
    }

    /// Outputs and input gradients for real-valued inputs.
    pub fn forward_grad_values(&self, xs: &[f32], outputs: &mut [f32], grads: &mut [f32]) {
        let d = self.input_len;
        assert_eq!(xs.len(), outputs.len() * d, "inputs and outputs disagree");
        assert_eq!(grads.len(), xs.len(), "inputs and gradients disagree");
        self.for_chunks(outputs, grads, d, |s, start, out, g| {
            let n = out.len();
            self.program.prepare(s, n, true);
            s.vals[0][..n * d].copy_from_slice(&xs[start * d..][..n * d]);
            self.program.forward_from(s, n, 0);
            out.copy_from_slice(&s.vals[self.program.output()][..n]);
            self.program.backward(s, n);
            g.copy_from_slice(&s.grads[0][..n * d]);
        });
    }

    /// Splits the batch into chunks evaluated in parallel, each with its own
    /// scratch; `extra` holds `per` floats per input (gradients or states).
    fn for_chunks<T: Send, F>(&self, outputs: &mut [T], extra: &mut [f32], per: usize, f: F)
    where
        F: Fn(&mut Scratch, usize, &mut [T], &mut [f32]) + Sync,
    {
        let n = outputs.len();
        if n == 0 {
            return;
        }
        // A multiple of the thread count of near-equal chunks, none above
        // `max_chunk`, so no thread is left with a short last chunk alone.
        let threads = rayon::current_num_threads();
        let chunks = n.div_ceil(self.max_chunk).div_ceil(threads) * threads;
        let chunk = n.div_ceil(chunks.min(n)).max(1);
        let run = |i: usize, out: &mut [T], ext: &mut [f32]| {
            let mut scratch = self
                .pool
                .lock()
                .expect("scratch pool")
                .pop()
                .unwrap_or_default();
            f(&mut scratch, i * chunk, out, ext);
            self.pool.lock().expect("scratch pool").push(scratch);
        };
        if per == 0 {
            outputs
                .par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(i, out)| run(i, out, &mut []));
        } else {
            let ext = extra.par_chunks_mut(chunk * per);
            outputs
                .par_chunks_mut(chunk)
                .zip(ext)
                .enumerate()
                .for_each(|(i, (o, e))| run(i, o, e));
        }
    }

    fn load_levels(&self, s: &mut Scratch, levels: &[u8]) {
        for (x, &v) in s.vals[0].iter_mut().zip(levels) {
            *x = self.level_values[v as usize];
        }
    }

    /// Whether the first step is a conv or linear layer on the input that
    /// nothing else reads, so its pre-activations can serve as the state.
    fn incremental(&self) -> bool {
        let steps = &self.program.steps;
        let first = steps
            .first()
            .is_some_and(|s| s.src == 0 && matches!(s.op, Op::Conv(_) | Op::Linear(_)));
        let reread = steps[1..]
            .iter()
            .any(|s| s.src == 0 || matches!(s.op, Op::Add(0)));
        first && !reread
    }

    /// Runs the network from its first step's pre-activations in
    /// `s.vals[first.dst]`.
    fn finish_from_pre_activations(&self, s: &mut Scratch, n: usize) {
        let first = &self.program.steps[0];
        if first.relu {
            let len = self.program.dims[first.dst].len() * n;
            elementwise::relu(&mut s.vals[first.dst][..len]);
        }
        self.program.forward_from(s, n, 1);
    }

    fn finish_from_state(&self, s: &mut Scratch, n: usize, out: &mut [f64]) {
        self.finish_from_pre_activations(s, n);
        copy_outputs(out, &s.vals[self.program.output()][..n]);
    }

    /// The first linear layer, when inputs are binary and it reads them
    /// directly: then it is a sum of the weight columns of the 1 bits, about
    /// half the arithmetic of the gemm. Measured on the 784-256-256-1 MLP at
    /// batch 64 it saves only ~3-5% of CPU time (the gemm runs near peak and
    /// the column sum is bound by reading W^T from L2), but never loses.
    fn binary_first_layer(&self) -> Option<&linear::Linear> {
        match self.program.steps.first() {
            Some(step) if self.levels == 2 && step.src == 0 => match &step.op {
                Op::Linear(lin) => Some(lin),
                _ => None,
            },
            _ => None,
        }
    }

    fn level_outputs(&self, inputs: &[u8], outputs: &mut [f64], grads: Option<&mut [f32]>) {
        let d = self.input_len;
        let with_grad = grads.is_some();
        let (extra, per) = match grads {
            Some(g) => (g, d),
            None => (&mut [][..], 0),
        };
        self.for_chunks(outputs, extra, per, |s, start, out, g| {
            let n = out.len();
            self.program.prepare(s, n, with_grad);
            let levels = &inputs[start * d..][..n * d];
            self.load_levels(s, levels);
            match self.binary_first_layer() {
                Some(lin) => {
                    let dst = self.program.steps[0].dst;
                    lin.forward_binary(levels, &mut s.vals[dst], n);
                    self.finish_from_pre_activations(s, n);
                }
                None => self.program.forward_from(s, n, 0),
            }
            copy_outputs(out, &s.vals[self.program.output()][..n]);
            if with_grad {
                self.program.backward(s, n);
                g.copy_from_slice(&s.grads[0][..n * d]);
            }
        });
    }
}

fn copy_outputs(dst: &mut [f64], src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s as f64;
    }
}

fn check_batch(inputs: &[u8], d: usize, n: usize) -> Result<(), ModelError> {
    if inputs.len() != n * d {
        let msg = format!(
            "{} input levels for {n} outputs of {d} coordinates",
            inputs.len()
        );
        return Err(ModelError::new(msg));
    }
    Ok(())
}

impl Model for Engine {
    fn input_len(&self) -> usize {
        self.input_len
    }

    fn levels(&self) -> u8 {
        self.levels
    }

    fn forward(&self, inputs: &[u8], outputs: &mut [f64]) -> Result<(), ModelError> {
        check_batch(inputs, self.input_len, outputs.len())?;
        self.level_outputs(inputs, outputs, None);
        Ok(())
    }

    fn forward_grad(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        grads: &mut [f32],
    ) -> Result<(), ModelError> {
        check_batch(inputs, self.input_len, outputs.len())?;
        if grads.len() != inputs.len() {
            return Err(ModelError::new("gradient buffer does not match the inputs"));
        }
        self.level_outputs(inputs, outputs, Some(grads));
        Ok(())
    }

    fn state_len(&self) -> usize {
        match self.incremental() {
            true => self.program.dims[self.program.steps[0].dst].len(),
            false => 0,
        }
    }

    fn forward_with_state(
        &self,
        inputs: &[u8],
        outputs: &mut [f64],
        states: &mut [f32],
    ) -> Result<(), ModelError> {
        incremental::forward_with_state(self, inputs, outputs, states)
    }

    fn forward_changed(
        &self,
        inputs: &[u8],
        changes: &[Change],
        states: &mut [f32],
        outputs: &mut [f64],
    ) -> Result<(), ModelError> {
        incremental::forward_changed(self, inputs, changes, states, outputs)
    }
}
