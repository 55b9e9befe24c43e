//! Ground truths: exhaustive enumeration of a toy network, exact counts of
//! an analytic model; cached by the model's key and the bin width.

use anyhow::{bail, Result};
use gwl_core::{Binning, Dos, Enumerator, Model};
use serde::{Deserialize, Serialize};

use super::context::Context;
use super::subject::Subject;
use crate::{truth_key, Store};

/// The exact density of a model on bins that cover all its outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub dos: Dos,
    pub min_output: f64,
    pub max_output: f64,
    pub seconds: f64,
}

/// Bins of `width` aligned to multiples of it, covering `[lo, hi]`.
pub fn covering(lo: f64, hi: f64, width: f64) -> Result<Binning> {
    let start = (lo / width).floor() * width;
    let end = (hi / width).floor() * width + width;
    Ok(Binning::with_width(start, end, width)?)
}

/// The truth of `subject` at `width`, computed once and cached.
pub fn truth(ctx: &mut Context, subject: &Subject, key: &str, width: f64) -> Result<Truth> {
    let store = Store::new(ctx.opts.cache.join("truths"));
    let truth_key = truth_key(key, width)?;
    if let Some(found) = store.get::<Truth>(&truth_key)? {
        ctx.manifest
            .push_timing("ground truth", found.seconds, true);
        return Ok(found);
    }
    let started = std::time::Instant::now();
    let found = match subject {
        Subject::SumBits(m) => analytic(m.ln_counts(), width, |b| m.exact_dos(b))?,
        Subject::IntLinear(m) => analytic(m.ln_counts(), width, |b| m.exact_dos(b))?,
        _ => enumerate(subject.model(), width)?,
    };
    let found = Truth {
        seconds: started.elapsed().as_secs_f64(),
        ..found
    };
    ctx.manifest
        .push_timing("ground truth", found.seconds, false);
    store.put(&truth_key, &found)?;
    Ok(found)
}

fn analytic(
    ln_counts: Vec<(i64, f64)>,
    width: f64,
    exact: impl Fn(&Binning) -> Dos,
) -> Result<Truth> {
    let (Some(first), Some(last)) = (ln_counts.first(), ln_counts.last()) else {
        bail!("the analytic model has no outputs");
    };
    let (lo, hi) = (first.0 as f64, last.0 as f64);
    // Integer outputs sit on bin edges; shifting by half a unit puts each
    // integer in the middle of its bin when the width is 1.
    let binning = covering(lo - 0.5, hi + 0.5, width)?;
    Ok(Truth {
        dos: exact(&binning),
        min_output: lo,
        max_output: hi,
        seconds: 0.0,
    })
}

/// Logits of the networks we enumerate stay far inside this; bins aligned to
/// multiples of the width over it are cut down to the covering range after
/// one pass, instead of a first pass to find the range and a second to count.
const WIDE: f64 = 1e4;

fn enumerate(model: &dyn Model, width: f64) -> Result<Truth> {
    let enumerator = Enumerator::new(&model)?;
    let mut counted = enumerator.run(&covering(-WIDE, WIDE, width)?)?;
    if counted.below + counted.above > 0 {
        // Outputs beyond the wide bins: a second pass on the exact range.
        let (lo, hi) = (counted.min_output, counted.max_output);
        counted = enumerator.run(&covering(lo, hi, width)?)?;
    }
    if counted.below + counted.above + counted.nonfinite > 0 {
        bail!(
            "enumeration left {} inputs outside the bins and {} non-finite",
            counted.below + counted.above,
            counted.nonfinite
        );
    }
    let (lo, hi) = (counted.min_output, counted.max_output);
    let binning = covering(lo, hi, width)?;
    // Both binnings start at a multiple of the width, so the covering bins
    // are a contiguous run of the wide ones.
    let first = ((binning.e_min() - counted.binning.e_min()) / width).round() as usize;
    let counts = &counted.counts[first..first + binning.n_bins()];
    Ok(Truth {
        dos: Dos::from_counts(binning, counts),
        min_output: lo,
        max_output: hi,
        seconds: 0.0,
    })
}
