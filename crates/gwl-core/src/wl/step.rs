//! One step of all walkers: propose, evaluate in one batch, decide, commit,
//! update the density.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::proposal::Flip;
use super::proposal::{ln_acceptance, Here};
use super::sampler::{Stage, WangLandau};
use super::target::Target;
use super::walkers::{apply, row, row_mut, StepBuffers, Walkers};
use crate::{Change, Model, SampleError};

/// One walker's stream, move, `ln q` and scratch buffer, with its index.
type WalkerSlots<'a> = (
    usize,
    (
        (&'a mut ChaCha8Rng, &'a mut Vec<Flip>),
        (&'a mut f64, &'a mut Vec<f64>),
    ),
);

impl<M: Model> WangLandau<M> {
    pub(super) fn step(&mut self) -> Result<(), SampleError> {
        self.propose_all();
        let n = self.evaluate()?;
        self.state.evaluated += n as u64;
        self.decide_all()?;
        self.commit_all();
        self.update_all();
        self.state.steps += 1;
        let t = self.state.steps * self.state.ln_g_walkers();
        self.state
            .schedule
            .after_step(self.config.binning.n_bins(), t);
        Ok(())
    }

    /// Every walker draws its move from its own stream; walkers are
    /// independent here, so they run in parallel when the work is large
    /// enough, with results identical to a sequential loop.
    fn propose_all(&mut self) {
        let target = Target::of(&self.config, &self.state.ln_g);
        let walkers = self
            .state
            .walkers
            .as_mut()
            .expect("walkers are placed before stepping");
        let Walkers {
            d,
            x,
            e,
            grad,
            rngs,
            ..
        } = walkers;
        let d = *d;
        let buf = &mut self.buf;
        let proposal = &self.proposal;
        let work = |(w, ((rng, flips), (ln_q, scratch))): WalkerSlots<'_>| {
            let grad = if grad.is_empty() {
                &[][..]
            } else {
                row(grad, d, w)
            };
            let here = Here {
                x: row(x, d, w),
                e: e[w],
                grad,
            };
            *ln_q = proposal.propose(here, &target, rng, flips, scratch);
        };
        let (flips, ln_q, scratches) = (&mut buf.flips, &mut buf.ln_q_fwd, &mut buf.scratches);
        if self.parallel {
            rngs.par_iter_mut()
                .zip(flips.par_iter_mut())
                .zip(ln_q.par_iter_mut().zip(scratches.par_iter_mut()))
                .enumerate()
                .for_each(work);
        } else {
            rngs.iter_mut()
                .zip(flips.iter_mut())
                .zip(ln_q.iter_mut().zip(scratches.iter_mut()))
                .enumerate()
                .for_each(work);
        }
        for (w, flips) in buf.flips.iter().enumerate() {
            apply(row_mut(&mut buf.proposed, d, w), flips, true);
        }
    }

    /// Evaluates every non-null proposal in one batch; returns how many.
    fn evaluate(&mut self) -> Result<usize, SampleError> {
        let walkers = self.state.walkers.as_ref().expect("walkers are placed");
        let (d, n_walkers) = (walkers.d, walkers.len());
        let buf = &mut self.buf;
        buf.rows.clear();
        buf.rows
            .extend((0..n_walkers).filter(|&w| !buf.flips[w].is_empty()));
        let n = buf.rows.len();
        pack(buf, d, n_walkers);
        let inputs: &[u8] = if n == n_walkers {
            &buf.proposed
        } else {
            &buf.packed
        };
        buf.e_new.resize(n, 0.0);
        if self.proposal.needs_grad() {
            buf.grad_new.resize(n * d, 0.0);
            self.model
                .forward_grad(inputs, &mut buf.e_new, &mut buf.grad_new)?;
            self.state.grad_evals += n as u64;
        } else if self.incremental {
            // Only the random proposal runs incrementally, and it never
            // proposes a null move, so the rows are all walkers in order.
            buf.states_new.clear();
            buf.states_new.extend_from_slice(&walkers.states);
            buf.changes.clear();
            buf.changes.extend(buf.flips.iter().map(|f| Change {
                coord: f[0].coord,
                old_level: f[0].from,
            }));
            self.model.forward_changed(
                inputs,
                &buf.changes,
                &mut buf.states_new,
                &mut buf.e_new,
            )?;
            self.state.forward_evals += n as u64;
        } else {
            self.model.forward(inputs, &mut buf.e_new)?;
            self.state.forward_evals += n as u64;
        }
        Ok(n)
    }

    fn decide_all(&mut self) -> Result<(), SampleError> {
        self.reverse_all();
        self.buf.accept.iter_mut().for_each(|a| *a = false);
        for j in 0..self.buf.rows.len() {
            let w = self.buf.rows[j];
            self.buf.accept[w] = self.decide(w, j)?;
        }
        Ok(())
    }

    /// `ln q(x | x')` of every evaluated proposal that could be accepted:
    /// the reverse move scored at the proposed input with its own output and
    /// gradient. Rows are independent, so they run in parallel when the work
    /// is large enough; other rows get a placeholder that is never read.
    fn reverse_all(&mut self) {
        let needs_grad = self.proposal.needs_grad();
        let symmetric = !needs_grad && self.model.levels() == 2;
        let target = Target::of(&self.config, &self.state.ln_g);
        let (d, binning, proposal) = (self.model.input_len(), &self.config.binning, &self.proposal);
        let StepBuffers {
            proposed,
            rows,
            e_new,
            grad_new,
            flips,
            ln_q_fwd,
            ln_q_rev,
            scratches,
            ..
        } = &mut self.buf;
        ln_q_rev.resize(rows.len(), 0.0);
        let work = |(j, (ln_q, scratch)): (usize, (&mut f64, &mut Vec<f64>))| {
            let w = rows[j];
            let grad = if needs_grad {
                row(grad_new, d, j)
            } else {
                &[][..]
            };
            let usable = binning.bin_of(e_new[j]).is_some() && grad.iter().all(|g| g.is_finite());
            *ln_q = if symmetric {
                // Binary random flips are symmetric.
                ln_q_fwd[w]
            } else if usable {
                let reverse: Vec<Flip> = flips[w].iter().map(|f| f.reversed()).collect();
                let there = Here {
                    x: row(proposed, d, w),
                    e: e_new[j],
                    grad,
                };
                proposal.ln_q(there, &reverse, &target, scratch)
            } else {
                f64::NEG_INFINITY
            };
        };
        if self.parallel {
            ln_q_rev
                .par_iter_mut()
                .zip(scratches.par_iter_mut())
                .enumerate()
                .for_each(work);
        } else {
            ln_q_rev
                .iter_mut()
                .zip(scratches.iter_mut())
                .enumerate()
                .for_each(work);
        }
    }

    /// Accept or reject walker `w`'s proposal, evaluated in packed row `j`.
    fn decide(&mut self, w: usize, j: usize) -> Result<bool, SampleError> {
        let e_new = self.buf.e_new[j];
        let d = self.model.input_len();
        let needs_grad = self.proposal.needs_grad();
        let grad_ok = !needs_grad || row(&self.buf.grad_new, d, j).iter().all(|g| g.is_finite());
        if !e_new.is_finite() || !grad_ok {
            return self.reject_nonfinite(w);
        }
        self.state.walkers.as_mut().expect("placed").nonfinite_run[w] = 0;
        self.state.note_output(e_new);
        if self.config.binning.bin_of(e_new).is_none() {
            return Ok(false);
        }
        let target = Target::of(&self.config, &self.state.ln_g);
        let walkers = self.state.walkers.as_mut().expect("placed");
        let t_here = target.value(walkers.e[w]);
        let ln_q = (self.buf.ln_q_fwd[w], self.buf.ln_q_rev[j]);
        let ln_a = ln_acceptance(t_here, target.value(e_new), ln_q.0, ln_q.1);
        Ok(ln_a >= 0.0 || walkers.rngs[w].random::<f64>().ln() < ln_a)
    }

    fn reject_nonfinite(&mut self, w: usize) -> Result<bool, SampleError> {
        self.state.nonfinite += 1;
        let run = &mut self.state.walkers.as_mut().expect("placed").nonfinite_run[w];
        *run += 1;
        if *run >= self.config.nonfinite_limit {
            return Err(SampleError::StuckOnNonFinite {
                walker: w,
                count: *run,
            });
        }
        Ok(false)
    }

    /// Moves accepted walkers to their proposals and undoes the rest in the
    /// proposal buffer, which then equals the current inputs again.
    fn commit_all(&mut self) {
        let walkers = self.state.walkers.as_mut().expect("placed");
        let buf = &mut self.buf;
        let (d, s) = (walkers.d, walkers.state_len);
        for (j, &w) in buf.rows.iter().enumerate() {
            let flips = &buf.flips[w];
            if !buf.accept[w] {
                apply(row_mut(&mut buf.proposed, d, w), flips, false);
                continue;
            }
            self.state.accepted += 1;
            apply(row_mut(&mut walkers.x, d, w), flips, true);
            walkers.e[w] = buf.e_new[j];
            if !walkers.grad.is_empty() {
                row_mut(&mut walkers.grad, d, w).copy_from_slice(row(&buf.grad_new, d, j));
            }
            if self.incremental {
                row_mut(&mut walkers.states, s, w).copy_from_slice(row(&buf.states_new, s, j));
            }
        }
    }

    /// The Wang-Landau update at every walker's (possibly new) bin, in
    /// walker order; in the frozen stage, the reweighting visit instead.
    fn update_all(&mut self) {
        let n_bins = self.config.binning.n_bins();
        for w in 0..self.buf.accept.len() {
            let e = self.state.walkers.as_ref().expect("placed").e[w];
            let bin_idx = self
                .config
                .binning
                .bin_of(e)
                .expect("walkers stay in range");
            if !self.state.visited[bin_idx] {
                self.state.visited[bin_idx] = true;
                self.state.n_visited += 1;
                if self.state.n_visited == n_bins {
                    self.state.all_visited = Some((self.seconds(), self.state.evals()));
                }
            }
            self.state.hist[bin_idx] += 1;
            if self.state.stage != Stage::Learning {
                let t = self.target().value(e);
                self.state
                    .reweighting
                    .add(bin_idx, t, self.state.ln_g[bin_idx]);
            }
            if !self.frozen() {
                self.state.ln_g[bin_idx] += self.state.schedule.ln_f;
            }
        }
    }
}

/// Packs the moving walkers' rows together when some walkers hold a null
/// move; otherwise the proposal buffer itself is evaluated.
fn pack(buf: &mut StepBuffers, d: usize, n_walkers: usize) {
    if buf.rows.len() == n_walkers {
        return;
    }
    buf.packed.clear();
    for &w in &buf.rows {
        buf.packed.extend_from_slice(row(&buf.proposed, d, w));
    }
}
