//! Greedy gradient-ranked search over single-level moves: finds the output
//! range automatically, and drives walkers that start outside the range
//! into it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::proposal::{Flip, Moves};
use crate::{ConfigError, Model, SampleError};

/// Settings of [`auto_range`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoRangeConfig {
    /// Random starting inputs; each is climbed down and up.
    pub restarts: usize,
    /// Moves ranked best by the gradient that a climbing step may try, plus
    /// as many drawn at random (see [`auto_range`]).
    pub candidates: usize,
    /// Evaluation budget for the whole search.
    pub max_evals: u64,
    /// Added below the lowest and above the highest output found, as a
    /// share of the span between them.
    pub margin: f64,
    pub seed: u64,
}

impl Default for AutoRangeConfig {
    /// 4 restarts, 8 candidates, 200 000 evaluations, margin 0.05, seed 0.
    fn default() -> Self {
        Self {
            restarts: 4,
            candidates: 8,
            max_evals: 200_000,
            margin: 0.05,
            seed: 0,
        }
    }
}

impl AutoRangeConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |name, value: String, why| ConfigError::BadParameter { name, value, why };
        if self.restarts == 0 {
            return Err(bad("restarts", "0".into(), "must be at least 1"));
        }
        if self.candidates == 0 {
            return Err(bad("candidates", "0".into(), "must be at least 1"));
        }
        if self.max_evals == 0 {
            return Err(bad("max_evals", "0".into(), "must be at least 1"));
        }
        if !(self.margin.is_finite() && self.margin >= 0.0) {
            return Err(bad(
                "margin",
                self.margin.to_string(),
                "must be finite and non-negative",
            ));
        }
        Ok(())
    }
}

/// An output range found by [`auto_range`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoRange {
    /// The range to sample: the extremes found widened by the margin.
    pub e_min: f64,
    pub e_max: f64,
    /// Lowest and highest finite output seen.
    pub found_min: f64,
    pub found_max: f64,
    /// Inputs evaluated (all with gradient).
    pub evals: u64,
}

/// Searches for the lowest and highest outputs of `model`: from each of a
/// few random inputs, climb down (up) one single-level move at a time. Each
/// climbing step ranks all moves by their first-order effect and tries the
/// gradient's favourite alone; if the true output does not improve, it
/// evaluates the next-ranked candidates plus as many random moves in one
/// batch and takes the best. The climb ends when nothing improves or its
/// share of the budget is spent; the extremes seen are widened by the
/// margin.
///
/// A discrete greedy search stops at local optima: inputs whose every
/// single move makes the output worse, while the true extreme needs several
/// coordinated moves. The gradient ranking can also miss the one improving
/// move when the first-order estimate is poor. So the true range can be
/// wider than what is returned; the margin covers modest misses, and a
/// sampler started on this range reports any finite outputs beyond it in
/// its `explored` range.
pub fn auto_range<M: Model>(model: &M, opts: &AutoRangeConfig) -> Result<AutoRange, SampleError> {
    opts.validate()?;
    let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(opts.seed);
    let mut climb = Climb::new(model, opts.candidates);
    let per_climb = (opts.max_evals / (2 * opts.restarts as u64)).max(1);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for _ in 0..opts.restarts {
        let start = climb.random_input(&mut rng);
        for sign in [1.0, -1.0] {
            let mut point = climb.start(start.clone())?;
            let budget = climb.evals + per_climb;
            climb.descend(&mut point, &|e| sign * e, &|_| false, budget, &mut rng)?;
        }
        lo = lo.min(climb.lowest);
        hi = hi.max(climb.highest);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        let e = crate::ModelError::new("auto range: the model gave no finite output");
        return Err(e.into());
    }
    let span = hi - lo;
    let pad = if span > 0.0 { opts.margin * span } else { 0.5 };
    Ok(AutoRange {
        e_min: lo - pad,
        e_max: hi + pad,
        found_min: lo,
        found_max: hi,
        evals: climb.evals,
    })
}

/// An input with its output and gradient.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub x: Vec<u8>,
    pub e: f64,
    pub grad: Vec<f32>,
}

/// Greedy search state: the model, evaluations spent, outputs seen.
pub(crate) struct Climb<'m, M: Model> {
    model: &'m M,
    moves: Moves,
    candidates: usize,
    pub evals: u64,
    pub lowest: f64,
    pub highest: f64,
}

impl<'m, M: Model> Climb<'m, M> {
    pub fn new(model: &'m M, candidates: usize) -> Self {
        let moves = Moves {
            d: model.input_len(),
            levels: model.levels(),
        };
        Self {
            model,
            moves,
            candidates,
            evals: 0,
            lowest: f64::INFINITY,
            highest: f64::NEG_INFINITY,
        }
    }

    pub fn random_input(&self, rng: &mut ChaCha8Rng) -> Vec<u8> {
        (0..self.moves.d)
            .map(|_| rng.random_range(0..self.moves.levels))
            .collect()
    }

    pub fn start(&mut self, x: Vec<u8>) -> Result<Point, SampleError> {
        let (e, grad) = self.eval(&x, 1)?;
        Ok(Point { x, e: e[0], grad })
    }

    /// Evaluates many starting inputs in one batch.
    pub fn start_batch(&mut self, inputs: Vec<Vec<u8>>) -> Result<Vec<Point>, SampleError> {
        let d = self.moves.d;
        let (e, grad) = self.eval(&inputs.concat(), inputs.len())?;
        let points = inputs.into_iter().enumerate();
        Ok(points
            .map(|(j, x)| Point {
                x,
                e: e[j],
                grad: grad[j * d..(j + 1) * d].to_vec(),
            })
            .collect())
    }

    fn eval(&mut self, inputs: &[u8], n: usize) -> Result<(Vec<f64>, Vec<f32>), SampleError> {
        let mut e = vec![0.0; n];
        let mut grad = vec![0.0; n * self.moves.d];
        self.model.forward_grad(inputs, &mut e, &mut grad)?;
        self.evals += n as u64;
        for &v in e.iter().filter(|v| v.is_finite()) {
            self.lowest = self.lowest.min(v);
            self.highest = self.highest.max(v);
        }
        Ok((e, grad))
    }

    /// Moves `point` downhill in `score` until `done`, a local optimum, a
    /// non-finite output, or `evals` reaching `budget`.
    pub fn descend(
        &mut self,
        point: &mut Point,
        score: &dyn Fn(f64) -> f64,
        done: &dyn Fn(f64) -> bool,
        budget: u64,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), SampleError> {
        while point.e.is_finite() && !done(point.e) && self.evals < budget {
            let flips = self.candidate_moves(point, score, rng);
            // The gradient's favourite alone first: where the first-order
            // estimate is good this costs one evaluation per move instead
            // of a whole batch.
            if !self.try_moves(point, &flips[..1], score)?
                && !self.try_moves(point, &flips[1..], score)?
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Evaluates `flips` from `point` in one batch and moves to the best
    /// if it improves `score`; returns whether it moved.
    fn try_moves(
        &mut self,
        point: &mut Point,
        flips: &[Flip],
        score: &dyn Fn(f64) -> f64,
    ) -> Result<bool, SampleError> {
        let d = self.moves.d;
        let mut batch = Vec::with_capacity(flips.len() * d);
        for f in flips {
            let start = batch.len();
            batch.extend_from_slice(&point.x);
            batch[start + f.coord] = f.to;
        }
        let (e, grad) = self.eval(&batch, flips.len())?;
        let best = (0..flips.len())
            .filter(|&j| e[j].is_finite())
            .min_by(|&a, &b| score(e[a]).total_cmp(&score(e[b])));
        match best {
            Some(j) if score(e[j]) < score(point.e) => {
                point.x[flips[j].coord] = flips[j].to;
                point.e = e[j];
                point.grad.copy_from_slice(&grad[j * d..(j + 1) * d]);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The moves whose first-order estimate scores best, plus as many drawn
    /// uniformly, so a misleading gradient cannot hide every improving move.
    fn candidate_moves(
        &self,
        p: &Point,
        score: &dyn Fn(f64) -> f64,
        rng: &mut ChaCha8Rng,
    ) -> Vec<Flip> {
        let mut ranked: Vec<(f64, Flip)> = (0..self.moves.n_slots())
            .filter_map(|slot| self.moves.flip(&p.x, slot))
            .map(|f| (score(p.e + self.moves.delta(&p.grad, f)), f))
            .collect();
        let k = self.candidates.min(ranked.len());
        ranked.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        let best = &mut ranked[..k];
        best.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then((a.1.coord, a.1.to).cmp(&(b.1.coord, b.1.to)))
        });
        let mut flips: Vec<Flip> = best.iter().map(|r| r.1).collect();
        flips.extend((0..self.candidates).map(|_| self.moves.uniform(&p.x, rng)));
        flips
    }
}
