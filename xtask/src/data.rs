//! `cargo xtask data`: fetch, verify and convert the MNIST data, then report
//! what the experiments will see at every input size.

use anyhow::Context;
use gwl_data::{binary_mnist, data_dir, BinaryMnistConfig};

pub fn run() -> anyhow::Result<()> {
    let dir = data_dir();
    println!("data cache: {}", dir.display());
    for side in [28, 7, 5, 4] {
        let config = if side == 28 {
            BinaryMnistConfig::full()
        } else {
            BinaryMnistConfig::toy(side)
        };
        let sets = binary_mnist(&config)
            .with_context(|| format!("cannot prepare binary MNIST 0/1 at {side}x{side}"))?;
        let [train0, train1] = sets.train.class_counts();
        let [test0, test1] = sets.test.class_counts();
        println!(
            "{side:>2}x{side:<2} D = {:>3}: train {} (zeros {train0}, ones {train1}), \
             test {} (zeros {test0}, ones {test1}), checksum {}",
            sets.train.input_len(),
            sets.train.len(),
            sets.test.len(),
            &sets.checksum[..16],
        );
    }
    Ok(())
}
