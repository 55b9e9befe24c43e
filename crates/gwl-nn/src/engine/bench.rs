//! Throughput of the engine against candle, measured in one run, as a
//! Markdown report (`cargo xtask bench` writes it to results/bench/engine.md).
//!
//! Networks are those of the 28x28 experiments with random weights. candle
//! runs the same networks built from its own ops ([`CandleReference`] with
//! native pooling), once in rayon's global pool and once in a one-thread
//! pool (its best configuration on two cores); the faster is reported.
//! Each figure is the median of several timed runs of repeated calls.

use std::fmt::Write;
use std::time::Instant;

use gwl_core::{Change, Model};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::candle_ref::{CandleReference, Pooling};
use super::gemm::{matmul, Mat};
use super::random::random_tensors;
use super::Engine;
use crate::arch::{Arch, InputShape, Stage};

const BATCHES: [usize; 4] = [1, 16, 64, 256];

/// Timing effort: seconds per timed run and runs per figure.
#[derive(Debug, Clone, Copy)]
struct Effort {
    seconds: f64,
    runs: usize,
}

/// Networks of the benchmark: name and architecture, all on 1x28x28 inputs.
pub fn bench_networks() -> Vec<(&'static str, Arch)> {
    let stages = vec![
        Stage {
            channels: 16,
            blocks: 1,
        },
        Stage {
            channels: 32,
            blocks: 1,
        },
    ];
    vec![
        (
            "MLP 784-256-256-1",
            Arch::Mlp {
                hidden: vec![256, 256],
            },
        ),
        (
            "CNN conv16-pool-conv32-pool-64-1",
            Arch::Cnn {
                channels: [16, 32],
                hidden: 64,
            },
        ),
        (
            "ResNet stem 16, stages (16,1),(32,1)",
            Arch::ResNet { stem: 16, stages },
        ),
    ]
}

/// Inputs per second of one timed run of repeated calls of `f`, which
/// evaluates `batch` inputs a call.
fn timed_run(batch: usize, seconds: f64, f: &mut dyn FnMut()) -> f64 {
    let (start, mut calls) = (Instant::now(), 0usize);
    while calls == 0 || start.elapsed().as_secs_f64() < seconds {
        f();
        calls += 1;
    }
    (calls * batch) as f64 / start.elapsed().as_secs_f64()
}

/// Medians of several series timed in turns (run 1 of every series, then
/// run 2, ...), so that load from other processes on a shared machine falls
/// on all of them alike and their ratios stay meaningful.
fn interleaved(batch: usize, effort: Effort, series: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    for f in series.iter_mut() {
        f();
    }
    let mut rates = vec![Vec::new(); series.len()];
    for _ in 0..effort.runs {
        for (f, r) in series.iter_mut().zip(&mut rates) {
            r.push(timed_run(batch, effort.seconds, *f));
        }
    }
    rates
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        })
        .collect()
}

/// One row of the report.
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    fwd: f64,
    grad: f64,
    candle_fwd: f64,
    candle_grad: f64,
    incremental: f64,
}

/// candle runs in rayon's global pool and in a one-thread pool (its own
/// parallel loops follow the pool they run in); the better one counts.
fn measure(engine: &Engine, candle: &CandleReference, batch: usize, effort: Effort) -> Row {
    let d = engine.input_len();
    let mut rng = ChaCha8Rng::seed_from_u64(batch as u64);
    let levels: Vec<u8> = (0..batch * d).map(|_| rng.random_range(0..2u8)).collect();
    let xs: Vec<f32> = levels.iter().map(|&v| v as f32).collect();
    let input = candle.input(&xs).expect("candle input");
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let (mut out, mut out2, mut grads) = (vec![0.0; batch], vec![0.0; batch], vec![0.0; batch * d]);
    let mut flips = Flips::new(engine, &levels, batch);
    let r = interleaved(
        batch,
        effort,
        &mut [
            &mut || engine.forward(&levels, &mut out).expect("engine forward"),
            &mut || {
                engine
                    .forward_grad(&levels, &mut out2, &mut grads)
                    .expect("engine grad")
            },
            &mut || flips.step(engine),
            &mut || drop(candle.forward(&input).expect("candle forward")),
            &mut || single.install(|| drop(candle.forward(&input).expect("candle forward"))),
            &mut || drop(candle.forward_grad(&xs).expect("candle grad")),
            &mut || single.install(|| drop(candle.forward_grad(&xs).expect("candle grad"))),
        ],
    );
    let incremental = if engine.state_len() > 0 { r[2] } else { 0.0 };
    Row {
        fwd: r[0],
        grad: r[1],
        incremental,
        candle_fwd: r[3].max(r[4]),
        candle_grad: r[5].max(r[6]),
    }
}

/// Walkers that each flip one new coordinate per call of `forward_changed`.
struct Flips {
    xs: Vec<u8>,
    states: Vec<f32>,
    out: Vec<f64>,
    changes: Vec<Change>,
    step: usize,
}

impl Flips {
    fn new(engine: &Engine, levels: &[u8], batch: usize) -> Self {
        let len = engine.state_len();
        let mut flips = Self {
            xs: levels.to_vec(),
            states: vec![0.0; batch * len],
            out: vec![0.0; batch],
            changes: vec![
                Change {
                    coord: 0,
                    old_level: 0
                };
                batch
            ],
            step: 0,
        };
        if len > 0 {
            let (xs, out, states) = (&flips.xs, &mut flips.out, &mut flips.states);
            engine
                .forward_with_state(xs, out, states)
                .expect("engine state");
        }
        flips
    }

    fn step(&mut self, engine: &Engine) {
        if self.states.is_empty() {
            return;
        }
        let d = engine.input_len();
        self.step += 1;
        for (j, change) in self.changes.iter_mut().enumerate() {
            let coord = (self.step * 7919 + j * 31) % d;
            *change = Change {
                coord,
                old_level: self.xs[j * d + coord],
            };
            self.xs[j * d + coord] ^= 1;
        }
        let (xs, changes) = (&self.xs, &self.changes);
        engine
            .forward_changed(xs, changes, &mut self.states, &mut self.out)
            .expect("flip");
    }
}

/// GFLOP/s of a 512^3 f32 gemm split across the rayon pool by row blocks,
/// and of the CNN's forward pass at batch 64, timed in turns.
fn gemm_and_cnn_gflops(cnn: &Engine, effort: Effort) -> (f64, f64) {
    let n = 512;
    let a: Vec<f32> = (0..n * n).map(|i| (i % 7) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..n * n).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut c = vec![0.0f32; n * n];
    let rows = n.div_ceil(rayon::current_num_threads());
    let mut gemm = || {
        c.par_chunks_mut(rows * n)
            .enumerate()
            .for_each(|(i, block)| {
                let m = block.len() / n;
                let lhs = Mat::rows(&a[i * rows * n..][..m * n], m, n);
                matmul(block, false, lhs, Mat::rows(&b, n, n));
            })
    };
    let batch = 64;
    let levels: Vec<u8> = (0..batch * cnn.input_len())
        .map(|i| (i % 3 == 0) as u8)
        .collect();
    let mut out = vec![0.0; batch];
    let mut forward = || cnn.forward(&levels, &mut out).expect("engine forward");
    // Timed as calls per second, in turns.
    let calls = interleaved(1, effort, &mut [&mut gemm, &mut forward]);
    let flops = |rate: f64, macs: usize| rate * 2.0 * macs as f64 / 1e9;
    (
        flops(calls[0], n * n * n),
        flops(calls[1] * batch as f64, cnn.multiply_adds()),
    )
}

/// Runs the benchmark and returns the Markdown report. `quick` times each
/// figure once for a short while (a smoke run); otherwise medians of 3.
pub fn engine_report(quick: bool) -> String {
    let effort = match quick {
        true => Effort {
            seconds: 0.02,
            runs: 1,
        },
        false => Effort {
            seconds: 0.25,
            runs: 3,
        },
    };
    let shape = InputShape::image(28, 28);
    let mut rows = Vec::new();
    let mut gflops = (0.0, 0.0);
    for (name, arch) in bench_networks() {
        let tensors = random_tensors(&arch, shape, 0).expect("benchmark architectures are valid");
        let engine = Engine::from_tensors(&arch, shape, tensors.clone()).expect("valid tensors");
        let candle = CandleReference::new(&arch, shape, &tensors)
            .expect("candle tensors")
            .with_pooling(Pooling::Native);
        if matches!(arch, Arch::Cnn { .. }) {
            gflops = gemm_and_cnn_gflops(&engine, effort);
        }
        for batch in BATCHES {
            rows.push((
                name,
                engine.multiply_adds(),
                batch,
                measure(&engine, &candle, batch, effort),
            ));
        }
    }
    render(&rows, gflops, quick)
}

/// Same as [`engine_report`]; the name the issue asked for.
pub fn bench_report(quick: bool) -> String {
    engine_report(quick)
}

fn render(rows: &[(&str, usize, usize, Row)], gflops: (f64, f64), quick: bool) -> String {
    let mut md = String::new();
    let threads = rayon::current_num_threads();
    let _ = writeln!(md, "# Inference engine against candle\n");
    let _ =
        writeln!(
        md,
        "Inputs per second, 1x28x28 binary inputs, random weights, f32, {threads} rayon threads \
         for the engine; candle at the better of its rayon pool and one thread. {}\n",
        if quick { "Quick run: single short timings." } else { "Medians of 3 runs." }
    );
    let _ = writeln!(
        md,
        "| network | batch | engine fwd | candle fwd | fwd ratio | engine fwd+grad | \
         candle fwd+grad | fwd+grad ratio | fwd+grad cost / fwd | engine single-flip fwd |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, _, batch, r) in rows {
        let _ = writeln!(
            md,
            "| {name} | {batch} | {:.0} | {:.0} | {:.1}x | \
             {:.0} | {:.0} | {:.1}x | {:.2} | {:.0} |",
            r.fwd,
            r.candle_fwd,
            r.fwd / r.candle_fwd,
            r.grad,
            r.candle_grad,
            r.grad / r.candle_grad,
            r.fwd / r.grad,
            r.incremental,
        );
    }
    render_targets(&mut md, rows, gflops);
    md
}

fn render_targets(md: &mut String, rows: &[(&str, usize, usize, Row)], gflops: (f64, f64)) {
    let at64 = |prefix: &str| {
        rows.iter()
            .find(|(n, _, b, _)| n.starts_with(prefix) && *b == 64)
    };
    let _ = writeln!(md, "\n## Targets (batch 64)\n");
    for prefix in ["CNN", "ResNet"] {
        if let Some((_, _, _, r)) = at64(prefix) {
            let g = r.grad / r.candle_grad;
            let _ = writeln!(
                md,
                "- {prefix} fwd+grad >= 10x candle autograd: {g:.1}x, {}",
                verdict(g >= 10.0)
            );
        }
    }
    for prefix in ["MLP", "CNN", "ResNet"] {
        if let Some((_, _, _, r)) = at64(prefix) {
            let f = r.fwd / r.candle_fwd;
            let c = r.fwd / r.grad;
            let _ = writeln!(
                md,
                "- {prefix} fwd >= 3x candle fwd: {f:.1}x, {}",
                verdict(f >= 3.0)
            );
            let _ = writeln!(
                md,
                "- {prefix} fwd+grad <= 3x fwd: {c:.2}x, {}",
                verdict(c <= 3.0)
            );
        }
    }
    let (gemm, cnn) = gflops;
    let share = cnn / gemm;
    let _ = writeln!(
        md,
        "- CNN fwd >= 25% of 512^3 gemm GFLOP/s: CNN {cnn:.1} GFLOP/s at batch 64 (conv and \
         linear multiply-adds) vs gemm {gemm:.1} GFLOP/s, timed in turns = {:.0}%, {}",
        share * 100.0,
        verdict(share >= 0.25)
    );
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}
