//! Inputs as the samplers and networks see them: each image a vector of
//! levels `0..K` (one `u8` per pixel, row after row), with a 0/1 label.

use crate::DataError;

/// `n` images of `rows x cols` levels in `0..levels`, each with a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    inputs: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    levels: u8,
}

impl Dataset {
    /// A dataset whose inputs all lie in `0..levels`.
    pub fn new(
        inputs: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        levels: u8,
    ) -> Result<Self, DataError> {
        if rows == 0 || cols == 0 {
            return Err(DataError::bad(
                "rows x cols",
                format!("{rows}x{cols}"),
                "must be positive",
            ));
        }
        if levels < 2 {
            return Err(DataError::bad("levels", levels, "need at least 2"));
        }
        if inputs.len() != labels.len() * rows * cols {
            let images = inputs.len() / (rows * cols);
            return Err(DataError::CountMismatch {
                images,
                labels: labels.len(),
            });
        }
        if let Some(&v) = inputs.iter().find(|&&v| v >= levels) {
            return Err(DataError::bad("inputs", v, "a level is not below `levels`"));
        }
        Ok(Self {
            inputs,
            labels,
            rows,
            cols,
            levels,
        })
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

    /// Number of input coordinates `D = rows * cols`.
    pub fn input_len(&self) -> usize {
        self.rows * self.cols
    }

    /// Number of levels `K` per coordinate.
    pub fn levels(&self) -> u8 {
        self.levels
    }

    /// All inputs laid out input after input, as gwl-core's `Model` takes them.
    pub fn inputs(&self) -> &[u8] {
        &self.inputs
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    pub fn input(&self, i: usize) -> &[u8] {
        let d = self.input_len();
        &self.inputs[i * d..(i + 1) * d]
    }

    /// Inputs as network values `level / (K - 1)`, so binary inputs are 0.0 and 1.0.
    pub fn inputs_f32(&self) -> Vec<f32> {
        let top = (self.levels - 1) as f32;
        self.inputs.iter().map(|&v| v as f32 / top).collect()
    }

    /// Labels as 0.0 / 1.0 targets.
    pub fn labels_f32(&self) -> Vec<f32> {
        self.labels.iter().map(|&l| l as f32).collect()
    }

    /// How many inputs carry label 0 and label 1 (other labels are not counted).
    pub fn class_counts(&self) -> [usize; 2] {
        let ones = self.labels.iter().filter(|&&l| l == 1).count();
        let zeros = self.labels.iter().filter(|&&l| l == 0).count();
        [zeros, ones]
    }

    /// The inputs at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let inputs = indices
            .iter()
            .flat_map(|&i| self.input(i).iter().copied())
            .collect();
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Dataset {
            inputs,
            labels,
            rows: self.rows,
            cols: self.cols,
            levels: self.levels,
        }
    }

    /// Shrinks binary images to `side x side`: each output pixel is the mean
    /// of the input area it covers, then 1 where that mean is at least
    /// `threshold`.
    ///
    /// When `side` does not divide the image (28 to 5), input pixels on a
    /// block border count with the fraction of their area inside the block,
    /// so every input pixel contributes with total weight one. A threshold
    /// near 0.25 keeps the strokes: digits cover a small part of the frame,
    /// so at 0.5 most 4x4 blocks come out blank.
    pub fn downsample(&self, side: usize, threshold: f64) -> Result<Dataset, DataError> {
        if self.levels != 2 {
            return Err(DataError::bad(
                "levels",
                self.levels,
                "downsampling needs binary inputs",
            ));
        }
        if side == 0 || side > self.rows.min(self.cols) {
            return Err(DataError::bad(
                "side",
                side,
                "must be in 1..=the image side",
            ));
        }
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(DataError::bad("threshold", threshold, "must be in (0, 1]"));
        }
        let row_w = overlap_weights(self.rows, side);
        let col_w = overlap_weights(self.cols, side);
        // Weights are in units of 1/side of a pixel along each axis, so a
        // block's weights sum to rows * cols.
        let cut = threshold * (self.rows * self.cols) as f64;
        let mut inputs = Vec::with_capacity(self.len() * side * side);
        for i in 0..self.len() {
            let image = self.input(i);
            for r in &row_w {
                for c in &col_w {
                    let sum = block_sum(image, self.cols, r, c);
                    inputs.push(u8::from(sum as f64 >= cut));
                }
            }
        }
        Dataset::new(inputs, self.labels.clone(), side, side, 2)
    }
}

/// For each of `side` output cells, the input indices it overlaps and the
/// overlap length, in units of `1 / side` input pixels.
fn overlap_weights(n: usize, side: usize) -> Vec<Vec<(usize, usize)>> {
    (0..side)
        .map(|cell| {
            let (lo, hi) = (cell * n, (cell + 1) * n);
            (0..n)
                .filter_map(|p| {
                    let overlap = hi.min((p + 1) * side).saturating_sub(lo.max(p * side));
                    (overlap > 0).then_some((p, overlap))
                })
                .collect()
        })
        .collect()
}

fn block_sum(
    image: &[u8],
    cols: usize,
    rows_w: &[(usize, usize)],
    cols_w: &[(usize, usize)],
) -> usize {
    let mut sum = 0;
    for &(r, wr) in rows_w {
        for &(c, wc) in cols_w {
            sum += wr * wc * image[r * cols + c] as usize;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_rows(rows: &[&str]) -> Dataset {
        let inputs = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        Dataset::new(inputs, vec![1], rows.len(), rows[0].len(), 2).unwrap()
    }

    #[test]
    fn downsample_by_whole_blocks_averages_each_block() {
        let d = from_rows(&["#...", "....", "##..", "#..."]);
        // Blocks (2x2) hold 1, 0, 3 and 0 set pixels: means 0.25, 0, 0.75, 0.
        assert_eq!(d.downsample(2, 0.25).unwrap().input(0), &[1, 0, 1, 0]);
        assert_eq!(d.downsample(2, 0.5).unwrap().input(0), &[0, 0, 1, 0]);
    }

    #[test]
    fn fractional_blocks_weight_border_pixels_by_area() {
        // 3 -> 2: the middle pixel is split half and half between the cells.
        let d = from_rows(&["...", ".#.", "..."]);
        // Each output cell covers 1.5 x 1.5 pixels and a quarter of the set pixel.
        let cut_below = 0.25 / 2.25 - 1e-9;
        assert_eq!(d.downsample(2, cut_below).unwrap().input(0), &[1, 1, 1, 1]);
        assert_eq!(
            d.downsample(2, 0.25 / 2.25 + 1e-9).unwrap().input(0),
            &[0, 0, 0, 0]
        );
    }

    #[test]
    fn weights_cover_every_pixel_once() {
        for (n, side) in [(28, 4), (28, 5), (28, 7), (5, 3)] {
            let w = overlap_weights(n, side);
            let mut per_pixel = vec![0; n];
            for cell in &w {
                assert_eq!(cell.iter().map(|&(_, o)| o).sum::<usize>(), n);
                for &(p, o) in cell {
                    per_pixel[p] += o;
                }
            }
            assert!(
                per_pixel.iter().all(|&t| t == side),
                "n = {n}, side = {side}"
            );
        }
    }

    #[test]
    fn downsample_validates_its_parameters() {
        let d = from_rows(&["#.", ".#"]);
        assert!(d.downsample(0, 0.25).is_err());
        assert!(d.downsample(3, 0.25).is_err());
        assert!(d.downsample(1, 0.0).is_err());
        assert!(d.downsample(1, f64::NAN).is_err());
    }

    #[test]
    fn out_of_range_levels_are_refused() {
        assert!(Dataset::new(vec![0, 2], vec![0], 1, 2, 2).is_err());
        assert!(Dataset::new(vec![0, 1, 1], vec![0], 1, 2, 2).is_err());
    }

    #[test]
    fn values_and_subsets_follow_levels() {
        let d = Dataset::new(vec![0, 1, 2, 2, 1, 0], vec![0, 1, 1], 1, 2, 3).unwrap();
        assert_eq!(d.inputs_f32()[..2], [0.0, 0.5]);
        let s = d.subset(&[2, 0]);
        assert_eq!(s.inputs(), &[1, 0, 0, 1]);
        assert_eq!(s.class_counts(), [1, 1]);
    }
}
