//! `toy-accuracy` and `toy-efficiency`: samplers against exhaustive
//! enumeration on networks small enough to enumerate (D = 16, 25).

use anyhow::Result;
use gwl_core::{compare, measure_grad_cost_ratio, Model};

use super::claims::{EfficiencyRow, Findings, ToyRow};
use super::context::{Context, RunSpec};
use super::sampling::{RunBudget, SamplerRun};
use super::truth::{truth, Truth};
use crate::{
    cost_to_reach, mean_curve, mean_spread, render, Cell, Curve, DensityChart, DensitySeries,
    LineChart, Scale, Table, TableSchema, FIGURE_SIZE,
};

pub const ACCURACY: TableSchema = TableSchema {
    name: "accuracy",
    columns: &[
        "model",
        "D",
        "sampler",
        "evaluations",
        "cost",
        "grad_cost_ratio",
        "seconds",
        "mean_err",
        "mean_err_spread",
        "max_err",
        "max_err_spread",
        "bins_missed",
        "bins_nonempty",
        "seeds",
    ],
};

pub const COST_TO_TARGET: TableSchema = TableSchema {
    name: "cost-to-target",
    columns: &[
        "model",
        "sampler",
        "target_err",
        "cost",
        "seconds",
        "wl_over_sampler_cost",
        "wl_over_sampler_seconds",
    ],
};

/// Measured cost of a forward with input gradient in forwards: median of
/// timed batches, so equal budgets are equal in time, not in calls.
pub fn grad_ratio(model: &dyn Model) -> Result<f64> {
    Ok(measure_grad_cost_ratio(&model, 256, 7, 0)?)
}

pub fn accuracy(ctx: &mut Context, findings: &mut Findings) -> Result<()> {
    findings.toy = accuracy_against_truth(ctx, &ACCURACY)?;
    Ok(())
}

/// Every sampler and seed on every model of the spec at the spec's budget,
/// against the exact density: the table `schema` and one density figure per
/// model. Shared with the `analytic` experiment.
pub fn accuracy_against_truth(ctx: &mut Context, schema: &TableSchema) -> Result<Vec<ToyRow>> {
    let mut rows = Vec::new();
    let mut table = Table::new(schema);
    let width = ctx.samplers.first().map_or(1.0, |s| s.bin_width);
    for model_ref in ctx.spec.models.clone() {
        let label = model_ref.label();
        let (subject, key) = ctx.subject(&model_ref)?;
        let truth = truth(ctx, &subject, &key, width)?;
        let ratio = grad_ratio(subject.model())?;
        let d = subject.model().input_len();
        let mut chart = density_chart(&label, d, &truth);
        for index in 0..ctx.samplers.len() {
            let runs = seeds_of(
                ctx,
                &label,
                &key,
                subject.model(),
                index,
                &truth,
                ratio,
                None,
            )?;
            let row = summarise(&label, d, &runs, &truth);
            chart
                .series
                .push(series_of(&runs[0], &ctx.samplers[index].label, d));
            push_accuracy_row(&mut table, &row)?;
            rows.push(row);
        }
        let stem = ctx.out.join(format!("density-{label}"));
        render(&chart, &stem, &ctx.spec.outputs.formats, FIGURE_SIZE)?;
    }
    table.write(&ctx.out)?;
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
fn seeds_of(
    ctx: &mut Context,
    label: &str,
    key: &str,
    model: &dyn Model,
    index: usize,
    truth: &Truth,
    ratio: f64,
    fraction: Option<(usize, f64)>,
) -> Result<Vec<SamplerRun>> {
    let base = RunSpec::from_budget(&ctx.budget);
    let (tag, budget) = match fraction {
        Some((i, f)) => (
            format!("f{i}"),
            RunBudget {
                cost: base.cost.map(|c| c * f),
                seconds: base.seconds.map(|s| s * f),
            },
        ),
        None => ("full".to_owned(), base),
    };
    let mut runs = Vec::new();
    for seed in ctx.seeds.clone() {
        let spec = RunSpec {
            seed,
            binning: truth.dos.binning,
            budget,
            grad_ratio: ratio,
            tag: tag.clone(),
            keep_per_bin: 0,
        };
        runs.push(ctx.run(label, key, model, index, spec)?);
    }
    Ok(runs)
}

fn summarise(label: &str, d: usize, runs: &[SamplerRun], truth: &Truth) -> ToyRow {
    let accs: Vec<_> = runs.iter().map(|r| compare(&r.dos, &truth.dos)).collect();
    let mean = |f: &dyn Fn(&SamplerRun) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    let means: Vec<f64> = accs.iter().map(|a| a.mean_abs).collect();
    let maxes: Vec<f64> = accs.iter().map(|a| a.max_abs).collect();
    let (mean_err, max_err) = (mean_spread(&means), mean_spread(&maxes));
    ToyRow {
        model: label.to_owned(),
        d,
        sampler: runs[0].sampler.clone(),
        kind: runs[0].kind.clone(),
        evaluations: mean(&|r| r.evaluations() as f64),
        cost: mean(&|r| r.cost),
        // The ratio the runs were budgeted with, stored with them: a rerun
        // reading cached runs must not report a freshly measured one.
        grad_ratio: runs[0].grad_ratio,
        seconds: mean(&|r| r.seconds),
        mean_err: mean_err.map(|m| m.mean),
        mean_err_spread: mean_err.map(|m| m.spread),
        max_err: max_err.map(|m| m.mean),
        max_err_spread: max_err.map(|m| m.spread),
        bins_missed: accs.iter().map(|a| a.n_missed as f64).sum::<f64>() / accs.len() as f64,
        bins_nonempty: accs[0].n_truth_bins,
        seeds: runs.len(),
    }
}

fn push_accuracy_row(table: &mut Table, row: &ToyRow) -> Result<()> {
    table.push(vec![
        Cell::from(row.model.as_str()),
        Cell::from(row.d),
        Cell::from(row.sampler.as_str()),
        Cell::from(row.evaluations),
        Cell::from(row.cost),
        Cell::from(row.grad_ratio),
        Cell::from(row.seconds),
        Cell::from(row.mean_err),
        Cell::from(row.mean_err_spread),
        Cell::from(row.max_err),
        Cell::from(row.max_err_spread),
        Cell::from(row.bins_missed),
        Cell::from(row.bins_nonempty),
        Cell::from(row.seeds),
    ])
}

fn density_chart(label: &str, d: usize, truth: &Truth) -> DensityChart {
    DensityChart {
        title: format!("{label} (D = {d}): log10 rho of the logit"),
        x_label: "logit".into(),
        series: vec![DensitySeries {
            name: "enumeration (truth)".into(),
            points: points_of(&truth.dos, d),
            reference: true,
        }],
        overlay: None,
        guides: vec![0.0],
    }
}

fn series_of(run: &SamplerRun, name: &str, d: usize) -> DensitySeries {
    DensitySeries {
        name: name.to_owned(),
        points: points_of(&run.dos, d),
        reference: false,
    }
}

/// `(bin centre, log10 rho)` of a normalised density over `D` binary inputs.
pub fn points_of(dos: &gwl_core::Dos, d: usize) -> Vec<(f64, f64)> {
    dos.log10_rho(gwl_core::ln_input_space(d, 2))
        .into_iter()
        .enumerate()
        .filter_map(|(b, r)| r.map(|r| (dos.binning.center(b), r)))
        .collect()
}

/// Budget shares of the efficiency runs: each is a complete run (the smooth
/// target's reweighting stage needs the end of its own budget), so the
/// curve's points are independent runs, not snapshots of one.
const FRACTIONS: [f64; 6] = [1.0 / 32.0, 1.0 / 16.0, 1.0 / 8.0, 1.0 / 4.0, 1.0 / 2.0, 1.0];

pub fn efficiency(ctx: &mut Context, findings: &mut Findings) -> Result<()> {
    let mut table = Table::new(&COST_TO_TARGET);
    let width = ctx.samplers.first().map_or(1.0, |s| s.bin_width);
    let targets = if ctx.spec.outputs.error_targets.is_empty() {
        vec![0.1, 0.05]
    } else {
        ctx.spec.outputs.error_targets.clone()
    };
    for model_ref in ctx.spec.models.clone() {
        let label = model_ref.label();
        let (subject, key) = ctx.subject(&model_ref)?;
        let truth = truth(ctx, &subject, &key, width)?;
        let ratio = grad_ratio(subject.model())?;
        let mut by_cost = Vec::new();
        let mut by_time = Vec::new();
        let mut reached: Vec<(String, f64, Option<f64>, Option<f64>)> = Vec::new();
        for index in 0..ctx.samplers.len() {
            let curve = error_curve(ctx, &label, &key, subject.model(), index, &truth, ratio)?;
            for &target in &targets {
                let cost = cost_to_reach(&curve.costs, &curve.errors, target);
                let secs = cost_to_reach(&curve.seconds, &curve.errors, target);
                reached.push((curve.name.clone(), target, cost, secs));
            }
            by_cost.push(mean_curve(&curve.name, &curve.costs, &curve.per_seed));
            by_time.push(Curve {
                name: curve.name.clone(),
                x: curve.seconds.clone(),
                y: curve.errors.clone(),
                spread: None,
            });
        }
        for (name, target, cost, secs) in &reached {
            let wl = reached.iter().find(|r| r.0 == "wl" && r.1 == *target);
            let ratio_of = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a / b);
            let row = EfficiencyRow {
                model: label.clone(),
                sampler: name.clone(),
                target_err: *target,
                cost: *cost,
                seconds: *secs,
                wl_over_cost: wl.and_then(|w| ratio_of(w.2, *cost)),
                wl_over_seconds: wl.and_then(|w| ratio_of(w.3, *secs)),
            };
            table.push(vec![
                Cell::from(row.model.as_str()),
                Cell::from(row.sampler.as_str()),
                Cell::from(row.target_err),
                Cell::from(row.cost),
                Cell::from(row.seconds),
                Cell::from(row.wl_over_cost),
                Cell::from(row.wl_over_seconds),
            ])?;
            findings.efficiency.push(row);
        }
        let formats = ctx.spec.outputs.formats.clone();
        let evals_chart = error_chart(
            &label,
            "evaluations (forward-equivalent)",
            by_cost,
            &targets,
        );
        render(
            &evals_chart,
            &ctx.out.join(format!("error-vs-evaluations-{label}")),
            &formats,
            FIGURE_SIZE,
        )?;
        let time_chart = error_chart(&label, "seconds", by_time, &targets);
        render(
            &time_chart,
            &ctx.out.join(format!("error-vs-seconds-{label}")),
            &formats,
            FIGURE_SIZE,
        )?;
    }
    table.write(&ctx.out)?;
    Ok(())
}

/// Mean error over seeds at each budget share; a run that missed a bin the
/// truth says is non-empty has not reached any error target, so it counts
/// as an infinite error there.
struct ErrorCurve {
    name: String,
    costs: Vec<f64>,
    seconds: Vec<f64>,
    errors: Vec<f64>,
    per_seed: Vec<Vec<f64>>,
}

fn error_curve(
    ctx: &mut Context,
    label: &str,
    key: &str,
    model: &dyn Model,
    index: usize,
    truth: &Truth,
    ratio: f64,
) -> Result<ErrorCurve> {
    let name = ctx.samplers[index].label.clone();
    let mut curve = ErrorCurve {
        name,
        costs: vec![],
        seconds: vec![],
        errors: vec![],
        per_seed: vec![],
    };
    let n_seeds = ctx.seeds.len();
    curve.per_seed = vec![Vec::new(); n_seeds];
    for (i, &fraction) in FRACTIONS.iter().enumerate() {
        let runs = seeds_of(
            ctx,
            label,
            key,
            model,
            index,
            truth,
            ratio,
            Some((i, fraction)),
        )?;
        let errors: Vec<f64> = runs
            .iter()
            .map(|r| {
                let acc = compare(&r.dos, &truth.dos);
                if acc.n_missed > 0 {
                    f64::INFINITY
                } else {
                    acc.mean_abs
                }
            })
            .collect();
        for (s, e) in errors.iter().enumerate() {
            curve.per_seed[s].push(*e);
        }
        let n = runs.len() as f64;
        curve
            .costs
            .push(runs.iter().map(|r| r.cost).sum::<f64>() / n);
        curve
            .seconds
            .push(runs.iter().map(|r| r.seconds).sum::<f64>() / n);
        // The mean of a set with an infinite member is infinite: a budget
        // share reaches a target only when every seed found every bin.
        curve.errors.push(errors.iter().sum::<f64>() / n);
    }
    Ok(curve)
}

fn error_chart(label: &str, x_label: &str, curves: Vec<Curve>, targets: &[f64]) -> LineChart {
    LineChart {
        title: format!("{label}: mean |ln g error| against {x_label}"),
        x_label: x_label.into(),
        y_label: "mean |ln g_hat - ln g|".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Log10,
        curves,
        guides: targets.to_vec(),
    }
}
