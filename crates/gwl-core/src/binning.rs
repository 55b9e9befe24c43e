//! Output bins: the partition of the output range on which the density of
//! states is defined.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// `n_bins` bins of equal width over `[e_min, e_max)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    e_min: f64,
    width: f64,
    n_bins: usize,
}

impl Binning {
    /// Bins of the given width; the last bin is extended so the range is
    /// covered (`n_bins = ceil((e_max - e_min) / width)`).
    pub fn with_width(e_min: f64, e_max: f64, width: f64) -> Result<Self, ConfigError> {
        check_range(e_min, e_max)?;
        if !(width.is_finite() && width > 0.0) {
            return Err(ConfigError::BadWidth(width));
        }
        // A tiny tolerance keeps a range that is an exact multiple of the
        // width from gaining an empty extra bin through rounding.
        let n_bins = (((e_max - e_min) / width) - 1e-9).ceil().max(1.0) as usize;
        Ok(Self {
            e_min,
            width,
            n_bins,
        })
    }

    /// `n_bins` equal bins exactly covering `[e_min, e_max)`.
    pub fn with_count(e_min: f64, e_max: f64, n_bins: usize) -> Result<Self, ConfigError> {
        check_range(e_min, e_max)?;
        if n_bins == 0 {
            return Err(ConfigError::BadBinCount(n_bins));
        }
        Ok(Self {
            e_min,
            width: (e_max - e_min) / n_bins as f64,
            n_bins,
        })
    }

    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    pub fn e_min(&self) -> f64 {
        self.e_min
    }

    pub fn e_max(&self) -> f64 {
        self.e_min + self.width * self.n_bins as f64
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    /// The bin holding output `e`, or `None` outside the range or non-finite.
    pub fn bin_of(&self, e: f64) -> Option<usize> {
        if !e.is_finite() || e < self.e_min {
            return None;
        }
        let bin_idx = ((e - self.e_min) / self.width).floor() as usize;
        (bin_idx < self.n_bins).then_some(bin_idx)
    }

    /// Centre of bin `bin_idx`.
    pub fn center(&self, bin_idx: usize) -> f64 {
        self.e_min + (bin_idx as f64 + 0.5) * self.width
    }

    /// Lower edge of bin `bin_idx`.
    pub fn lower(&self, bin_idx: usize) -> f64 {
        self.e_min + bin_idx as f64 * self.width
    }
}

fn check_range(e_min: f64, e_max: f64) -> Result<(), ConfigError> {
    if e_min.is_finite() && e_max.is_finite() && e_min < e_max {
        Ok(())
    } else {
        Err(ConfigError::BadRange { e_min, e_max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_fall_in_the_bin_whose_edges_hold_them() {
        let b = Binning::with_width(-1.0, 1.0, 0.5).unwrap();
        assert_eq!(b.n_bins(), 4);
        assert_eq!(b.bin_of(-1.0), Some(0));
        assert_eq!(b.bin_of(-0.5), Some(1));
        assert_eq!(b.bin_of(0.99), Some(3));
        assert_eq!(b.bin_of(1.0), None);
        assert_eq!(b.bin_of(f64::NAN), None);
        assert_eq!(b.center(0), -0.75);
    }

    #[test]
    fn bad_ranges_and_widths_are_refused_with_their_values() {
        let e = Binning::with_width(1.0, 1.0, 0.1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "empty or inverted output range: e_min = 1, e_max = 1"
        );
        let e = Binning::with_width(0.0, 1.0, -0.5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bin width must be positive and finite, got -0.5"
        );
        let e = Binning::with_count(0.0, 1.0, 0).unwrap_err();
        assert_eq!(e.to_string(), "bin count must be at least 1, got 0");
    }
}
