//! Summaries over seeds: mean and spread, averaged curves, and the cost at
//! which a curve first reaches a target error.

use crate::plot::Curve;

/// Mean and sample standard deviation of a set of values (one per seed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSpread {
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); 0 for one value.
    pub spread: f64,
    pub n: usize,
}

/// Mean and spread of the finite values; `None` when there are none.
pub fn mean_spread(values: &[f64]) -> Option<MeanSpread> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return None;
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    let spread = if n > 1 {
        let ss: f64 = finite.iter().map(|v| (v - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(MeanSpread { mean, spread, n })
}

/// Averages runs recorded at the same checkpoints (`x` shared, one `y` per
/// run) into one curve with its spread. Checkpoints past the end of a
/// shorter run average the runs that reached them.
pub fn mean_curve(name: &str, x: &[f64], runs: &[Vec<f64>]) -> Curve {
    let mut curve = Curve {
        name: name.to_owned(),
        spread: Some(Vec::new()),
        ..Curve::default()
    };
    for (i, &xi) in x.iter().enumerate() {
        let values: Vec<f64> = runs.iter().filter_map(|r| r.get(i).copied()).collect();
        if let Some(ms) = mean_spread(&values) {
            curve.x.push(xi);
            curve.y.push(ms.mean);
            if let Some(s) = curve.spread.as_mut() {
                s.push(ms.spread);
            }
        }
    }
    curve
}

/// The cost (evaluations or seconds) at which `errors` first falls to
/// `target`, interpolated linearly in log-log between the checkpoint before
/// and the one that reached it (errors and costs shrink and grow roughly
/// as powers of each other); `None` when the run never reached it.
pub fn cost_to_reach(costs: &[f64], errors: &[f64], target: f64) -> Option<f64> {
    let hit = errors.iter().position(|&e| e <= target)?;
    if hit == 0 {
        return Some(costs[0]);
    }
    let (c0, c1, e0, e1) = (costs[hit - 1], costs[hit], errors[hit - 1], errors[hit]);
    let all_positive = [c0, c1, e0, e1, target].iter().all(|v| *v > 0.0);
    if !all_positive || e0 == e1 {
        return Some(c1);
    }
    let t = (target.ln() - e0.ln()) / (e1.ln() - e0.ln());
    Some((c0.ln() + t * (c1.ln() - c0.ln())).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_spread() {
        let ms = mean_spread(&[1.0, 2.0, 3.0, f64::NAN]).unwrap();
        assert_eq!((ms.mean, ms.spread, ms.n), (2.0, 1.0, 3));
        assert_eq!(mean_spread(&[5.0]).unwrap().spread, 0.0);
        assert!(mean_spread(&[]).is_none());
    }

    #[test]
    fn curves_average_per_checkpoint() {
        let c = mean_curve(
            "wl",
            &[1.0, 2.0, 3.0],
            &[vec![1.0, 3.0, 5.0], vec![3.0, 5.0]],
        );
        assert_eq!(c.x, vec![1.0, 2.0, 3.0]);
        assert_eq!(c.y, vec![2.0, 4.0, 5.0]);
        assert_eq!(c.spread.unwrap()[2], 0.0);
    }

    #[test]
    fn cost_to_reach_interpolates_in_log_log() {
        // error = 10 / sqrt(cost): reaches 0.1 at cost 1e4 exactly.
        let costs = [1e2, 1e3, 1e5];
        let errors: Vec<f64> = costs.iter().map(|c: &f64| 10.0 / c.sqrt()).collect();
        let c = cost_to_reach(&costs, &errors, 0.1).unwrap();
        assert!((c / 1e4 - 1.0).abs() < 1e-9, "{c}");
        assert_eq!(cost_to_reach(&costs, &errors, 1e-3), None);
        assert_eq!(cost_to_reach(&costs, &errors, 5.0), Some(1e2));
    }
}
