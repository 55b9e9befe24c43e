//! The log-weight `T(E)` whose `exp(-T(f(x)))` the walkers sample.
//!
//! `T` is read off the current `ln_g`. Outside the bin range it is extended
//! flat rather than made infinite: a first-order estimate that overshoots the
//! range must still leave the move proposable, or the chain stops being
//! irreducible (DESIGN.md §2). The acceptance test rejects out-of-range
//! outputs separately.

use super::TargetConfig;
use crate::Binning;

/// `T` for one fixed `ln_g`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    kind: TargetConfig,
    e_min: f64,
    /// `1 / width`: the proposals evaluate `T` for every move of every
    /// walker, and a multiplication is much cheaper than a division there.
    inv_width: f64,
    ln_g: &'a [f64],
}

impl<'a> Target<'a> {
    pub fn new(kind: TargetConfig, binning: &Binning, ln_g: &'a [f64]) -> Self {
        debug_assert_eq!(ln_g.len(), binning.n_bins());
        Self {
            kind,
            e_min: binning.e_min(),
            inv_width: 1.0 / binning.width(),
            ln_g,
        }
    }

    pub fn of(config: &super::WlConfig, ln_g: &'a [f64]) -> Self {
        Self::new(config.target, &config.binning, ln_g)
    }

    /// `T(e)`; non-finite `e` reads as the lowest bin, which only ever
    /// happens in a proposal's estimate from a non-finite gradient.
    #[inline]
    pub fn value(&self, e: f64) -> f64 {
        match self.kind {
            TargetConfig::Bin => self.ln_g[self.clamped_bin(e)],
            TargetConfig::Smooth => self.interpolated(e),
        }
    }

    #[inline]
    fn clamped_bin(&self, e: f64) -> usize {
        let pos = (e - self.e_min) * self.inv_width;
        // `as usize` truncates, which is the floor for the non-negative
        // positions it keeps, and saturates: negative and NaN positions
        // become bin 0. (It also avoids a libm call for `floor`.)
        (pos as usize).min(self.ln_g.len() - 1)
    }

    #[inline]
    fn interpolated(&self, e: f64) -> f64 {
        let last = self.ln_g.len() - 1;
        let u = (e - self.e_min) * self.inv_width - 0.5;
        if u.is_nan() || u <= 0.0 {
            return self.ln_g[0];
        }
        if u >= last as f64 {
            return self.ln_g[last];
        }
        // `u` is positive here, so truncation is the floor.
        let lo = u as usize;
        let frac = u - lo as f64;
        self.ln_g[lo] + frac * (self.ln_g[lo + 1] - self.ln_g[lo])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_target_interpolates_between_centres_and_is_flat_beyond() {
        let binning = Binning::with_count(0.0, 3.0, 3).unwrap();
        let ln_g = [1.0, 3.0, 7.0];
        let t = Target::new(TargetConfig::Smooth, &binning, &ln_g);
        assert_eq!(t.value(0.5), 1.0);
        assert_eq!(t.value(1.0), 2.0);
        assert_eq!(t.value(2.0), 5.0);
        assert_eq!(t.value(-100.0), 1.0);
        assert_eq!(t.value(2.6), 7.0);
        assert_eq!(t.value(1e9), 7.0);
        assert_eq!(t.value(f64::NAN), 1.0);
    }

    #[test]
    fn bin_target_is_a_step_function_extended_flat() {
        let binning = Binning::with_count(0.0, 3.0, 3).unwrap();
        let ln_g = [1.0, 3.0, 7.0];
        let t = Target::new(TargetConfig::Bin, &binning, &ln_g);
        assert_eq!(t.value(0.99), 1.0);
        assert_eq!(t.value(1.0), 3.0);
        assert_eq!(t.value(-5.0), 1.0);
        assert_eq!(t.value(50.0), 7.0);
    }
}
