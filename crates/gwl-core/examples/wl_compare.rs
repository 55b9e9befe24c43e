//! Plain WL against the gradient forms on the sum-of-bits model, whose
//! density is the binomial coefficient: accuracy, evaluations and seconds.
//!
//! ```text
//! cargo run --release -p gwl-core --example wl_compare -- \
//!     D EVALS SEEDS WALKERS [FORMS] [CAP] [MOVES]
//! ```
//!
//! FORMS is a comma-separated subset of the form names (all by default);
//! CAP replaces the default cap of the gradient proposals; MOVES sets the
//! multi-flip proposal's `expected_moves`.

use gwl_core::{
    compare, ln_input_space, Binning, Dos, ProposalConfig, SumOfBits, TargetConfig, WangLandau,
    WlConfig,
};

struct Outcome {
    error: f64,
    max_error: f64,
    seconds: f64,
    acceptance: f64,
    to_target: Option<(u64, f64)>,
    all_visited: Option<(u64, f64)>,
    first_flat: Option<u64>,
    visited: usize,
    explored: (f64, f64),
}

fn run_one(
    d: usize,
    evals: u64,
    seed: u64,
    walkers: usize,
    proposal: ProposalConfig,
    target: TargetConfig,
) -> Outcome {
    let model = SumOfBits::new(d).unwrap();
    let binning = Binning::with_width(-0.5, d as f64 + 0.5, 1.0).unwrap();
    let truth = model.exact_dos(&binning);
    let config = WlConfig {
        walkers,
        proposal,
        target,
        check_every: 500,
        ln_f_final: 1e-12,
        max_evals: Some(evals),
        seed,
        ..WlConfig::new(binning)
    };
    let ln_total = ln_input_space(d, 2);
    let mut to_target = None;
    let mut wl = WangLandau::new(model, config).unwrap();
    let result = wl
        .run(&mut |p| {
            if to_target.is_none() && p.bins_visited == p.n_bins {
                let mut dos = Dos::new(binning, p.ln_g.to_vec(), p.visited.to_vec());
                dos.normalise(ln_total);
                if compare(&dos, &truth).mean_abs <= 0.05 {
                    to_target = Some((p.forward_evals + p.grad_evals, p.seconds));
                }
            }
        })
        .unwrap();
    let acc = compare(&result.dos, &truth);
    Outcome {
        error: if acc.n_missed == 0 {
            acc.mean_abs
        } else {
            f64::NAN
        },
        max_error: acc.max_abs,
        seconds: result.seconds,
        acceptance: result.acceptance,
        to_target,
        all_visited: result.all_visited_evals.zip(result.all_visited_seconds),
        first_flat: result.first_flat_evals,
        visited: result.dos.n_visited(),
        explored: result.explored,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).map_or(default, |s| s.parse().unwrap());
    let (d, evals, seeds, walkers) = (
        arg(0, 64) as usize,
        arg(1, 2_000_000),
        arg(2, 3),
        arg(3, 4) as usize,
    );
    let cap: f64 = args.get(5).map_or(5.0, |s| s.parse().unwrap());
    let wanted: Option<Vec<String>> = args
        .get(4)
        .filter(|s| *s != "all")
        .map(|s| s.split(',').map(String::from).collect());
    let gwl = ProposalConfig::Gwl {
        cap,
        uniform_mix: 0.05,
        temper: 1.0,
    };
    let moves: Option<f64> = args.get(6).map(|s| s.parse().unwrap());
    let multi = ProposalConfig::GwlMulti {
        alpha: None,
        cap,
        uniform_mix: 0.05,
        expected_moves: moves,
    };
    let forms = [
        ("wl random/bin", ProposalConfig::Random, TargetConfig::Bin),
        ("gwl/bin", gwl, TargetConfig::Bin),
        ("gwl/smooth", gwl, TargetConfig::Smooth),
        ("gwl-multi/bin", multi, TargetConfig::Bin),
        ("gwl-multi/smooth", multi, TargetConfig::Smooth),
    ];
    println!("D = {d}, {evals} evaluations, {walkers} walkers, seeds 1..={seeds}");
    let forms = forms
        .into_iter()
        .filter(|f| wanted.as_ref().is_none_or(|w| w.iter().any(|n| n == f.0)));
    for (name, proposal, target) in forms {
        for seed in 1..=seeds {
            let o = run_one(d, evals, seed, walkers, proposal, target);
            println!(
                "{name:17} seed {seed}: err {:.4} (max {:.3}) in {:.2} s, acc {:.3}; \
                 {} bins, outputs {:?}; err<=0.05 at {:?}; all bins at {:?}; \
                 first flat at {:?}",
                o.error,
                o.max_error,
                o.seconds,
                o.acceptance,
                o.visited,
                o.explored,
                o.to_target,
                o.all_visited,
                o.first_flat
            );
        }
    }
}
