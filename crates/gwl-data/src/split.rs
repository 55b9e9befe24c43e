//! A stratified train/test split that is the same on every machine.
//!
//! The shuffle is our own Fisher-Yates over a seeded ChaCha8 stream rather
//! than `rand`'s `shuffle`, whose exact output rand may change in a minor
//! release; ChaCha8's stream itself is fixed by its specification.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DataError;

/// Seed of the split every experiment uses.
pub const SPLIT_SEED: u64 = 20230217;

/// Indices into a dataset, each list in ascending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Sends `round(n_c * test_fraction)` of each label's `n_c` items to the test
/// set, chosen by a seeded shuffle; labels are visited in ascending order so
/// the random stream is consumed the same way every time.
pub fn stratified_split(labels: &[u8], test_fraction: f64, seed: u64) -> Result<Split, DataError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::bad(
            "test_fraction",
            test_fraction,
            "must be in (0, 1)",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut split = Split {
        train: Vec::new(),
        test: Vec::new(),
    };
    for label in 0..=u8::MAX {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        shuffle(&mut members, &mut rng);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        split.test.extend_from_slice(&members[..n_test]);
        split.train.extend_from_slice(&members[n_test..]);
    }
    split.train.sort_unstable();
    split.test.sort_unstable();
    Ok(split)
}

fn shuffle(items: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(rng, i + 1));
    }
}

/// A draw from `0..n` by the widening multiply: `floor(u * n / 2^64)`. Its
/// bias is at most `n / 2^64`, far below anything a split could show.
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The class sizes of the digits 0 and 1 in the npm package.
    fn npm_zero_one_labels() -> Vec<u8> {
        let mut labels = vec![0u8; 1001];
        labels.extend(vec![1u8; 1127]);
        labels
    }

    #[test]
    fn split_is_stratified_and_complete() {
        let labels = npm_zero_one_labels();
        let split = stratified_split(&labels, 0.2, SPLIT_SEED).unwrap();
        let test_ones = split.test.iter().filter(|&&i| labels[i] == 1).count();
        assert_eq!((split.test.len() - test_ones, test_ones), (200, 225));
        let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
    }

    #[test]
    fn split_is_identical_across_calls() {
        let labels = npm_zero_one_labels();
        let a = stratified_split(&labels, 0.2, SPLIT_SEED).unwrap();
        assert_eq!(a, stratified_split(&labels, 0.2, SPLIT_SEED).unwrap());
        assert_ne!(a, stratified_split(&labels, 0.2, SPLIT_SEED + 1).unwrap());
    }

    /// Pins the split's output so that a change of RNG, shuffle or rounding,
    /// on any machine, fails here rather than silently moving test digits.
    #[test]
    fn split_indices_are_pinned() {
        let split = stratified_split(&npm_zero_one_labels(), 0.2, SPLIT_SEED).unwrap();
        assert_eq!(split.test[..6], PINNED_FIRST_TEST);
        assert_eq!(split.test[split.test.len() - 3..], PINNED_LAST_TEST);
    }

    const PINNED_FIRST_TEST: [usize; 6] = [1, 2, 6, 13, 23, 24];
    const PINNED_LAST_TEST: [usize; 3] = [2123, 2124, 2125];

    #[test]
    fn bad_fraction_is_refused() {
        assert!(stratified_split(&[0, 1], 0.0, 1).is_err());
        assert!(stratified_split(&[0, 1], 1.0, 1).is_err());
        assert!(stratified_split(&[0, 1], f64::NAN, 1).is_err());
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert!((0..1000).all(|_| below(&mut rng, 7) < 7));
    }
}
