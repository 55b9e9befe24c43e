//! Exactness of every proposal on tiny input spaces: the full transition
//! matrix for a fixed `ln_g` satisfies detailed balance, is irreducible, and
//! with the exact density its stationary distribution is flat over bins;
//! and each proposal's sampler draws moves with the probabilities its
//! `ln_q` states.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::proposal::{ln_acceptance, Flip, Here, Proposal};
use super::target::Target;
use super::{ProposalConfig, TargetConfig};
use crate::{Activation, Binning, Model, RandomMlp};

/// A tiny space with every input's output and gradient.
struct Space {
    inputs: Vec<Vec<u8>>,
    e: Vec<f64>,
    grad: Vec<Vec<f32>>,
    binning: Binning,
}

impl Space {
    fn of(model: &impl Model, n_bins: usize) -> Self {
        let (d, k) = (model.input_len(), model.levels());
        let n = (k as usize).pow(d as u32);
        let inputs: Vec<Vec<u8>> = (0..n)
            .map(|mut i| {
                (0..d)
                    .map(|_| {
                        let v = (i % k as usize) as u8;
                        i /= k as usize;
                        v
                    })
                    .collect()
            })
            .collect();
        let mut e = vec![0.0; n];
        let mut flat_grad = vec![0.0; n * d];
        model
            .forward_grad(&inputs.concat(), &mut e, &mut flat_grad)
            .unwrap();
        let grad = flat_grad.chunks(d).map(<[f32]>::to_vec).collect();
        let lo = e.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let binning = Binning::with_count(lo - 1e-6, hi + 1e-6, n_bins).unwrap();
        Self {
            inputs,
            e,
            grad,
            binning,
        }
    }

    fn here(&self, i: usize) -> Here<'_> {
        Here {
            x: &self.inputs[i],
            e: self.e[i],
            grad: &self.grad[i],
        }
    }

    fn exact_ln_g(&self) -> Vec<f64> {
        let mut counts = vec![0u64; self.binning.n_bins()];
        for &e in &self.e {
            counts[self.binning.bin_of(e).unwrap()] += 1;
        }
        // Empty bins hold no input, so any value is fine there.
        counts.iter().map(|&c| (c.max(1) as f64).ln()).collect()
    }

    fn flips(&self, from: usize, to: usize) -> Vec<Flip> {
        let (x, y) = (&self.inputs[from], &self.inputs[to]);
        (0..x.len())
            .filter(|&i| x[i] != y[i])
            .map(|i| Flip {
                coord: i,
                from: x[i],
                to: y[i],
            })
            .collect()
    }

    /// The transition matrix of one walker under fixed `ln_g`.
    fn transitions(&self, proposal: &Proposal, kind: TargetConfig, ln_g: &[f64]) -> Vec<Vec<f64>> {
        let target = Target::new(kind, &self.binning, ln_g);
        let n = self.inputs.len();
        let mut scratch = Vec::new();
        let mut p = vec![vec![0.0; n]; n];
        for a in 0..n {
            for b in (0..n).filter(|&b| b != a) {
                let fwd = self.flips(a, b);
                let ln_q = proposal.ln_q(self.here(a), &fwd, &target, &mut scratch);
                if ln_q == f64::NEG_INFINITY {
                    continue;
                }
                let rev: Vec<Flip> = fwd.iter().map(|f| f.reversed()).collect();
                let ln_q_rev = proposal.ln_q(self.here(b), &rev, &target, &mut scratch);
                let t = (target.value(self.e[a]), target.value(self.e[b]));
                let ln_a = ln_acceptance(t.0, t.1, ln_q, ln_q_rev).min(0.0);
                p[a][b] = (ln_q + ln_a).exp();
            }
            let stay = 1.0 - p[a].iter().sum::<f64>();
            assert!(stay > -1e-12, "row {a} sums above 1");
            p[a][a] = stay.max(0.0);
        }
        p
    }

    fn stationary(&self, kind: TargetConfig, ln_g: &[f64]) -> Vec<f64> {
        let target = Target::new(kind, &self.binning, ln_g);
        let w: Vec<f64> = self.e.iter().map(|&e| (-target.value(e)).exp()).collect();
        let z: f64 = w.iter().sum();
        w.iter().map(|v| v / z).collect()
    }
}

fn assert_detailed_balance(p: &[Vec<f64>], pi: &[f64]) {
    for a in 0..p.len() {
        for b in (0..p.len()).filter(|&b| b != a) {
            let (ab, ba) = (pi[a] * p[a][b], pi[b] * p[b][a]);
            let scale = ab.max(ba);
            assert!(
                (ab - ba).abs() <= 1e-12 * scale,
                "flow {a}->{b} = {ab} but {b}->{a} = {ba}"
            );
        }
    }
}

/// Every input reaches every other through moves of positive probability.
fn assert_irreducible(p: &[Vec<f64>]) {
    let n = p.len();
    for start in 0..n {
        let mut seen = vec![false; n];
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(a) = stack.pop() {
            for b in 0..n {
                if p[a][b] > 0.0 && !seen[b] {
                    seen[b] = true;
                    stack.push(b);
                }
            }
        }
        assert!(
            seen.iter().all(|&s| s),
            "not every input is reachable from input {start}"
        );
    }
}

/// Iterates the lazy chain `(I + P) / 2` (same stationary distribution,
/// but aperiodic even on the bipartite hypercube) from the all-zeros input
/// and returns the mass per bin.
fn bin_mass_after_mixing(space: &Space, p: &[Vec<f64>]) -> Vec<f64> {
    let n = p.len();
    let mut v = vec![0.0; n];
    v[0] = 1.0;
    for _ in 0..4000 {
        let mut next = vec![0.0; n];
        for a in 0..n {
            for b in 0..n {
                next[b] += 0.5 * v[a] * p[a][b];
            }
            next[a] += 0.5 * v[a];
        }
        v = next;
    }
    let mut mass = vec![0.0; space.binning.n_bins()];
    for (a, &m) in v.iter().enumerate() {
        mass[space.binning.bin_of(space.e[a]).unwrap()] += m;
    }
    mass
}

fn proposals() -> Vec<ProposalConfig> {
    vec![
        ProposalConfig::Random,
        ProposalConfig::gwl(),
        ProposalConfig::Gwl {
            cap: 0.7,
            uniform_mix: 0.0,
            temper: 2.0,
        },
        ProposalConfig::gwl_multi(),
        ProposalConfig::GwlMulti {
            alpha: Some(0.6),
            cap: 1.5,
            uniform_mix: 0.2,
            expected_moves: None,
        },
        ProposalConfig::GwlMulti {
            alpha: None,
            cap: 4.0,
            uniform_mix: 0.05,
            expected_moves: Some(1.5),
        },
    ]
}

fn check_all(model: &impl Model) {
    let space = Space::of(model, 5);
    // Arbitrary, with steps large enough that the caps bind.
    let arbitrary = [0.3, 9.0, -4.0, 2.5, 14.0];
    for config in proposals() {
        let proposal = Proposal::new(&config, model.input_len(), model.levels());
        for kind in [TargetConfig::Bin, TargetConfig::Smooth] {
            let p = space.transitions(&proposal, kind, &arbitrary);
            assert_detailed_balance(&p, &space.stationary(kind, &arbitrary));
            assert_irreducible(&p);
        }
        let exact = space.exact_ln_g();
        let p = space.transitions(&proposal, TargetConfig::Bin, &exact);
        let mass = bin_mass_after_mixing(&space, &p);
        let occupied: Vec<f64> = mass.iter().copied().filter(|&m| m > 0.0).collect();
        let share = 1.0 / occupied.len() as f64;
        for m in occupied {
            assert!(
                (m - share).abs() < 1e-9,
                "{config:?}: bin mass {m}, expected {share}"
            );
        }
    }
}

#[test]
fn every_binary_proposal_is_reversible_irreducible_and_flat_at_the_exact_density() {
    let model = RandomMlp::new(5, &[4], 2, Activation::Tanh, 11).unwrap();
    check_all(&model);
}

#[test]
fn every_three_level_proposal_is_reversible_irreducible_and_flat_at_the_exact_density() {
    let model = RandomMlp::new(4, &[3], 3, Activation::Tanh, 5).unwrap();
    check_all(&model);
}

/// Draws many moves from one input and compares their frequencies with
/// `exp(ln_q)`. With 200 000 draws a probability `p` has standard error
/// `sqrt(p (1 - p) / 200 000) <= 0.0012`; 5 standard errors plus 1e-4
/// leaves a false alarm rate far below one in a million per destination.
fn assert_draws_follow_ln_q(model: &impl Model, config: ProposalConfig, start: usize) {
    let space = Space::of(model, 5);
    let ln_g = [0.3, 9.0, -4.0, 2.5, 14.0];
    let target = Target::new(TargetConfig::Smooth, &space.binning, &ln_g);
    let proposal = Proposal::new(&config, model.input_len(), model.levels());
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (mut flips, mut scratch) = (Vec::new(), Vec::new());
    let n_draws = 200_000;
    let mut counts = std::collections::HashMap::<Vec<u8>, u64>::new();
    let here = space.here(start);
    for _ in 0..n_draws {
        let ln_q = proposal.propose(here, &target, &mut rng, &mut flips, &mut scratch);
        if !flips.is_empty() {
            let stated = proposal.ln_q(here, &flips, &target, &mut scratch);
            assert!(
                (ln_q - stated).abs() < 1e-12,
                "propose says {ln_q}, ln_q says {stated}"
            );
        }
        let mut y = here.x.to_vec();
        super::walkers::apply(&mut y, &flips, true);
        *counts.entry(y).or_default() += 1;
    }
    for b in (0..space.inputs.len()).filter(|&b| b != start) {
        let p = proposal
            .ln_q(here, &space.flips(start, b), &target, &mut scratch)
            .exp();
        let freq = *counts.get(&space.inputs[b]).unwrap_or(&0) as f64 / n_draws as f64;
        let tol = 5.0 * (p * (1.0 - p) / n_draws as f64).sqrt() + 1e-4;
        assert!(
            (freq - p).abs() <= tol,
            "{config:?}: to {b} drawn {freq}, stated {p}"
        );
    }
}

#[test]
fn every_proposal_draws_moves_with_its_stated_probabilities() {
    let binary = RandomMlp::new(5, &[4], 2, Activation::Tanh, 11).unwrap();
    let three = RandomMlp::new(4, &[3], 3, Activation::Tanh, 5).unwrap();
    for config in proposals() {
        assert_draws_follow_ln_q(&binary, config, 0);
        assert_draws_follow_ln_q(&binary, config, 13);
        // Input 40 of the three-level space mixes extreme and middle levels.
        assert_draws_follow_ln_q(&three, config, 40);
    }
}
