//! Prints what gwl-data makes of an IDX pair a user holds, e.g. original
//! MNIST or Fashion-MNIST (plain or gzip):
//! `cargo run --release -p gwl-data --example idx_info -- IMAGES LABELS`.

use std::path::PathBuf;

use gwl_data::{binary_zero_one, load_idx_pair, BinaryMnistConfig};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [images, labels] = args.as_slice() else {
        return Err("usage: idx_info IMAGES LABELS".into());
    };
    let grey = load_idx_pair(images, labels)?;
    let mut per_label = [0usize; 256];
    grey.labels()
        .iter()
        .for_each(|&l| per_label[l as usize] += 1);
    let counts: Vec<usize> = per_label.iter().copied().take_while(|&c| c > 0).collect();
    println!(
        "{} images of {}x{}, per label {counts:?}",
        grey.len(),
        grey.rows(),
        grey.cols()
    );
    println!("sha256 {}", grey.checksum());
    for side in [grey.rows(), 7, 5, 4] {
        let sets = binary_zero_one(&grey, &BinaryMnistConfig::toy(side))?;
        let (train, test) = (sets.train.class_counts(), sets.test.class_counts());
        println!("labels 0/1 at {side}x{side}: train {train:?}, test {test:?}");
    }
    Ok(())
}
