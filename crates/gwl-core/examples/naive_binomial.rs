//! Naive Monte Carlo on the sum-of-bits model against its exact binomial
//! density: error over the bins it reached and the bins it missed, the
//! baseline beside `wl_compare`.
//!
//! `cargo run --release -p gwl-core --example naive_binomial -- D SAMPLES SEEDS`

use gwl_core::{compare, Binning, NaiveMc, SumOfBits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let [d, samples, seeds] = args[..] else {
        return Err("usage: naive_binomial D SAMPLES SEEDS".into());
    };
    let model = SumOfBits::new(d as usize)?;
    // Unit bins centred on the integer outputs 0..=D.
    let binning = Binning::with_width(-0.5, d as f64 + 0.5, 1.0)?;
    let truth = model.exact_dos(&binning);
    for seed in 0..seeds {
        let result = NaiveMc::new(&model, samples, seed)?.run(&binning)?;
        let acc = compare(&result.dos, &truth);
        println!(
            "D {d} samples {samples} seed {seed}: mean err {:.4} max err {:.4} \
             missed {}/{} in {:.2} s",
            acc.mean_abs, acc.max_abs, acc.n_missed, acc.n_truth_bins, result.seconds
        );
    }
    Ok(())
}
