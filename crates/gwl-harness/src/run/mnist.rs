//! `mnist-dos`: the output distribution of the 28x28 networks over all
//! 2^784 binary images, the race between WL and the GWL forms at equal wall
//! time, where the test set sits, and what inputs the network maps where.

use anyhow::{Context as _, Result};
use gwl_core::{auto_range, AutoRange, AutoRangeConfig, Binning, Dos, Model};

use super::claims::{Findings, MnistRow, RaceRow};
use super::context::{Context, RunSpec};
use super::sampling::SamplerRun;
use super::subject::Subject;
use super::toy::{grad_ratio, points_of};
use super::truth::covering;
use crate::{
    render, Cell, Curve, DensityChart, DensitySeries, GridRow, Histogram, ImageGrid, LineChart,
    Scale, Store, Table, TableSchema, FIGURE_SIZE,
};
use gwl_nn::Engine;

pub const RACE: TableSchema = TableSchema {
    name: "dos-summary",
    columns: &[
        "model",
        "test_accuracy",
        "sampler",
        "seeds",
        "seconds",
        "evaluations",
        "grad_cost_ratio",
        "acceptance",
        "explored_lo",
        "explored_hi",
        "bins_visited",
        "n_bins",
        "range_lo",
        "range_hi",
        "first_flat_s",
        "all_visited_s",
        "s_to_match_wl_bins",
    ],
};

pub const SHARES: TableSchema = TableSchema {
    name: "input-shares",
    columns: &[
        "model",
        "test_accuracy",
        "estimated_by",
        "bulk_logit",
        "log10_share_below_0",
        "log10_share_below_-5",
        "log10_share_below_-10",
        "log10_share_below_-20",
        "log10_share_above_0",
        "test_logit_mean_zeros",
        "test_logit_mean_ones",
    ],
};

/// Thresholds of the shares table; must match `SHARES`' column names.
const THRESHOLDS: [f64; 4] = [0.0, -5.0, -10.0, -20.0];

pub fn run(ctx: &mut Context, findings: &mut Findings) -> Result<()> {
    let mut race = Table::new(&RACE);
    let mut shares = Table::new(&SHARES);
    let width = ctx
        .samplers
        .iter()
        .find(|s| s.wl.is_some())
        .map_or(1.0, |s| s.bin_width);
    let keep_per_bin = ctx
        .spec
        .outputs
        .grid
        .as_ref()
        .map_or(0, |g| g.per_bin as usize);
    for model_ref in ctx.spec.models.clone() {
        let label = model_ref.label();
        let (subject, key) = ctx.subject(&model_ref)?;
        let Some(net) = NetView::of(&subject, &label) else {
            anyhow::bail!("{}: samples networks; {label} is not one", ctx.spec.id);
        };
        let test_logits = logits(net.engine, net.test_inputs)?;
        let range = widened(output_range(ctx, &subject, &key)?, &test_logits);
        let binning = covering(range.e_min, range.e_max, width)?;
        let ratio = grad_ratio(subject.model())?;
        let mut by_sampler = Vec::new();
        for index in 0..ctx.samplers.len() {
            let mut runs = Vec::new();
            for seed in ctx.seeds.clone() {
                let budget = RunSpec::from_budget(&ctx.budget);
                let spec = RunSpec {
                    seed,
                    binning,
                    budget,
                    grad_ratio: ratio,
                    tag: "dos".into(),
                    keep_per_bin,
                };
                runs.push(ctx.run(&label, &key, subject.model(), index, spec)?);
            }
            by_sampler.push(runs);
        }
        let wl_bins = wl_final_bins(&by_sampler);
        for runs in &by_sampler {
            let mut row = race_row(&label, net.test_accuracy, runs, &range, &binning);
            row.s_to_match_wl_bins = wl_bins.and_then(|target| seconds_to_reach(runs, target));
            push_race_row(&mut race, &row)?;
            findings.race.push(row);
        }
        let best = best_estimate(&by_sampler);
        let naive = by_sampler
            .iter()
            .find(|r| r[0].kind == "naive")
            .map(|r| &r[0].dos);
        let row = shares_row(
            &net,
            naive.unwrap_or(&best.1),
            (&best.0, &best.1),
            &test_logits,
        )?;
        push_shares_row(&mut shares, &row)?;
        findings.mnist.push(row);
        figures(ctx, &net, &by_sampler, &test_logits, &binning)?;
    }
    race.write(&ctx.out)?;
    shares.write(&ctx.out)?;
    Ok(())
}

/// A network to sample, trained here or brought by the user (then without
/// a test set).
struct NetView<'s> {
    name: String,
    engine: &'s Engine,
    height: usize,
    width: usize,
    test_accuracy: f64,
    test_inputs: &'s [u8],
    test_labels: &'s [u8],
}

impl<'s> NetView<'s> {
    fn of(subject: &'s Subject, label: &str) -> Option<Self> {
        match subject {
            Subject::Net(net) => Some(Self {
                name: label.to_owned(),
                engine: &net.engine,
                height: net.height,
                width: net.width,
                test_accuracy: net.test_accuracy(),
                test_inputs: &net.test_inputs,
                test_labels: &net.test_labels,
            }),
            Subject::User {
                engine,
                height,
                width,
                ..
            } => Some(Self {
                name: label.to_owned(),
                engine,
                height: *height,
                width: *width,
                test_accuracy: f64::NAN,
                test_inputs: &[],
                test_labels: &[],
            }),
            _ => None,
        }
    }
}

/// The automatic range, found once per model and cached: a greedy
/// gradient-ranked climb down and up (gwl-core's `auto_range`).
fn output_range(ctx: &mut Context, subject: &Subject, key: &str) -> Result<AutoRange> {
    let store = Store::new(ctx.opts.cache.join("ranges"));
    if let Some(found) = store.get::<AutoRange>(key)? {
        return Ok(found);
    }
    let started = std::time::Instant::now();
    let opts = AutoRangeConfig {
        max_evals: 40_000,
        ..AutoRangeConfig::default()
    };
    let found = auto_range(&subject.model(), &opts).context("automatic range search failed")?;
    ctx.manifest
        .push_timing("auto range", started.elapsed().as_secs_f64(), false);
    store.put(key, &found)?;
    Ok(found)
}

/// The greedy search can stop at a local optimum far inside the true range
/// (on the ResNet it once topped out at logit -23 while the test set's ones
/// sit near +5), so the range also covers every test-set logit, widened by
/// the search's own margin of 5% of the span.
fn widened(found: AutoRange, test_logits: &[f64]) -> AutoRange {
    let lo = test_logits.iter().copied().fold(found.found_min, f64::min);
    let hi = test_logits.iter().copied().fold(found.found_max, f64::max);
    let pad = 0.05 * (hi - lo).max(1.0);
    AutoRange {
        e_min: found.e_min.min(lo - pad),
        e_max: found.e_max.max(hi + pad),
        ..found
    }
}

/// Mean over seeds of the bins plain WL had visited when its time ran out.
fn wl_final_bins(by_sampler: &[Vec<SamplerRun>]) -> Option<f64> {
    let runs = by_sampler.iter().find(|r| r[0].kind == "wl")?;
    Some(runs.iter().map(|r| r.dos.n_visited() as f64).sum::<f64>() / runs.len() as f64)
}

/// Mean over seeds of the first time a run had visited `target` bins: how
/// long a sampler needs to cover what plain WL covered in its whole budget.
/// `None` unless every seed got there.
fn seconds_to_reach(runs: &[SamplerRun], target: f64) -> Option<f64> {
    let times: Option<Vec<f64>> = runs
        .iter()
        .map(|r| {
            r.trace
                .iter()
                .find(|p| p.bins_visited as f64 >= target)
                .map(|p| p.seconds)
        })
        .collect();
    times.map(|t| t.iter().sum::<f64>() / t.len() as f64)
}

fn race_row(
    label: &str,
    accuracy: f64,
    runs: &[SamplerRun],
    range: &AutoRange,
    binning: &Binning,
) -> RaceRow {
    let n = runs.len() as f64;
    let mean = |f: &dyn Fn(&SamplerRun) -> f64| runs.iter().map(f).sum::<f64>() / n;
    let mean_opt = |f: &dyn Fn(&SamplerRun) -> Option<f64>| {
        let v: Vec<f64> = runs.iter().filter_map(f).collect();
        (v.len() == runs.len()).then(|| v.iter().sum::<f64>() / n)
    };
    let (lo, hi) = visited_span(runs);
    RaceRow {
        model: label.to_owned(),
        test_accuracy: accuracy,
        sampler: runs[0].sampler.clone(),
        kind: runs[0].kind.clone(),
        seeds: runs.len(),
        seconds: mean(&|r| r.seconds),
        evaluations: mean(&|r| r.evaluations() as f64),
        grad_ratio: runs[0].grad_ratio,
        acceptance: mean_opt(&|r| r.acceptance),
        explored_lo: lo,
        explored_hi: hi,
        bins_visited: mean(&|r| r.dos.n_visited() as f64),
        n_bins: binning.n_bins(),
        range_lo: range.e_min,
        range_hi: range.e_max,
        first_flat_s: mean_opt(&|r| r.first_flat_seconds),
        all_visited_s: mean_opt(&|r| r.all_visited_seconds),
        s_to_match_wl_bins: None,
    }
}

/// Mean over seeds of the lowest and highest visited bin centres.
fn visited_span(runs: &[SamplerRun]) -> (f64, f64) {
    let spans: Vec<(f64, f64)> = runs.iter().filter_map(|r| span_of(&r.dos)).collect();
    let n = spans.len().max(1) as f64;
    (
        spans.iter().map(|s| s.0).sum::<f64>() / n,
        spans.iter().map(|s| s.1).sum::<f64>() / n,
    )
}

fn span_of(dos: &Dos) -> Option<(f64, f64)> {
    let first = dos.visited.iter().position(|&v| v)?;
    let last = dos.visited.iter().rposition(|&v| v)?;
    Some((
        dos.binning.lower(first),
        dos.binning.lower(last) + dos.binning.width(),
    ))
}

fn push_race_row(table: &mut Table, row: &RaceRow) -> Result<()> {
    table.push(vec![
        Cell::from(row.model.as_str()),
        Cell::from(row.test_accuracy),
        Cell::from(row.sampler.as_str()),
        Cell::from(row.seeds),
        Cell::from(row.seconds),
        Cell::from(row.evaluations),
        Cell::from(row.grad_ratio),
        Cell::from(row.acceptance),
        Cell::from(row.explored_lo),
        Cell::from(row.explored_hi),
        Cell::from(row.bins_visited),
        Cell::from(row.n_bins),
        Cell::from(row.range_lo),
        Cell::from(row.range_hi),
        Cell::from(row.first_flat_s),
        Cell::from(row.all_visited_s),
        Cell::from(row.s_to_match_wl_bins),
    ])
}

/// The estimate the shares are read from: the first seed of the sampler
/// that visited the most bins (ties to the earlier sampler in the spec).
fn best_estimate(by_sampler: &[Vec<SamplerRun>]) -> (String, Dos) {
    let mut best = &by_sampler[0][0];
    for runs in by_sampler {
        if runs[0].kind != "naive" && runs[0].dos.n_visited() > best.dos.n_visited() {
            best = &runs[0];
        }
    }
    (best.sampler.clone(), best.dos.clone())
}

fn logits(model: &dyn Model, inputs: &[u8]) -> Result<Vec<f64>> {
    let n = inputs.len() / model.input_len();
    let mut out = vec![0.0; n];
    model.forward(inputs, &mut out)?;
    Ok(out)
}

/// Where the network puts the input space. Uniform sampling measures the
/// bulk directly, and at D = 784 no Wang-Landau run here converges in the
/// budget, so each share comes from naive Monte Carlo whenever it saw any
/// input there (resolution 1/N), and from the walker estimate that visited
/// the most bins only beyond naive MC's reach; `estimated_by` says which.
fn shares_row(
    net: &NetView,
    naive: &Dos,
    (walker, tails): (&str, &Dos),
    test_logits: &[f64],
) -> Result<MnistRow> {
    let ln_total = gwl_core::ln_input_space(net.engine.input_len(), 2);
    let mut sources = Vec::new();
    let mut pick = |name: &str, keep: &dyn Fn(f64, f64) -> bool| {
        let (value, from) = match share_of(naive, ln_total, keep) {
            Some(v) => (v, "naive"),
            None => (
                share_of(tails, ln_total, keep).unwrap_or(f64::NEG_INFINITY),
                walker,
            ),
        };
        sources.push(format!("{name}: {from}"));
        value
    };
    let below: Vec<f64> = THRESHOLDS
        .iter()
        .map(|&t| pick(&format!("<{t}"), &|_, hi| hi <= t + 1e-9))
        .collect();
    let above = pick(">0", &|lo, _| lo >= -1e-9);
    let class_mean = |label: u8| {
        let v: Vec<f64> = test_logits
            .iter()
            .zip(net.test_labels.iter())
            .filter(|(_, &l)| l == label)
            .map(|(&x, _)| x)
            .collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    Ok(MnistRow {
        model: net.name.clone(),
        test_accuracy: net.test_accuracy,
        estimated_by: sources.join("; "),
        mode_logit: mode_of(naive),
        log10_share_below: below,
        log10_share_above_0: above,
        test_logit_mean_zeros: class_mean(0),
        test_logit_mean_ones: class_mean(1),
    })
}

/// log10 of the share of all inputs in the visited bins `keep` accepts
/// (by lower and upper edge); `None` when no such bin was visited.
fn share_of(dos: &Dos, ln_total: f64, keep: &dyn Fn(f64, f64) -> bool) -> Option<f64> {
    let picked: Vec<f64> = (0..dos.ln_g.len())
        .filter(|&b| dos.visited[b])
        .filter(|&b| {
            keep(
                dos.binning.lower(b),
                dos.binning.lower(b) + dos.binning.width(),
            )
        })
        .map(|b| dos.ln_g[b])
        .collect();
    (!picked.is_empty()).then(|| (gwl_core::logsumexp(picked) - ln_total) / std::f64::consts::LN_10)
}

/// Centre of the bin holding the most inputs.
fn mode_of(dos: &Dos) -> Option<f64> {
    (0..dos.ln_g.len())
        .filter(|&b| dos.visited[b])
        .max_by(|&a, &b| dos.ln_g[a].total_cmp(&dos.ln_g[b]))
        .map(|b| dos.binning.center(b))
}

fn push_shares_row(table: &mut Table, row: &MnistRow) -> Result<()> {
    let mut cells = vec![
        Cell::from(row.model.as_str()),
        Cell::from(row.test_accuracy),
        Cell::from(row.estimated_by.as_str()),
        Cell::from(row.mode_logit),
    ];
    cells.extend(row.log10_share_below.iter().map(|&v| Cell::from(finite(v))));
    cells.push(Cell::from(finite(row.log10_share_above_0)));
    cells.push(Cell::from(row.test_logit_mean_zeros));
    cells.push(Cell::from(row.test_logit_mean_ones));
    table.push(cells)
}

/// `-inf` (no visited bin below a threshold) reads as a missing value.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn figures(
    ctx: &mut Context,
    net: &NetView,
    by_sampler: &[Vec<SamplerRun>],
    test_logits: &[f64],
    binning: &Binning,
) -> Result<()> {
    let formats = ctx.spec.outputs.formats.clone();
    let d = net.engine.input_len();
    let label = &net.name;
    let chart = DensityChart {
        title: format!("{label}: log10 rho(logit) over all 2^{d} inputs"),
        x_label: "logit (for the digit one)".into(),
        series: by_sampler
            .iter()
            .map(|runs| DensitySeries {
                name: runs[0].sampler.clone(),
                points: points_of(&runs[0].dos, d),
                reference: false,
            })
            .collect(),
        overlay: (!test_logits.is_empty())
            .then(|| Histogram::from_values("test set", test_logits, binning.width())),
        guides: vec![0.0],
    };
    render(
        &chart,
        &ctx.out.join(format!("density-{label}")),
        &formats,
        FIGURE_SIZE,
    )?;
    let curves = by_sampler
        .iter()
        .filter(|r| !r[0].trace.is_empty())
        .map(|runs| Curve {
            name: runs[0].sampler.clone(),
            x: runs[0].trace.iter().map(|p| p.seconds).collect(),
            y: runs[0]
                .trace
                .iter()
                .map(|p| p.bins_visited as f64)
                .collect(),
            spread: None,
        });
    let race = LineChart {
        title: format!("{label}: output bins visited against wall time"),
        x_label: "seconds".into(),
        y_label: format!("bins visited (of {})", binning.n_bins()),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        curves: curves.collect(),
        guides: vec![binning.n_bins() as f64],
    };
    render(
        &race,
        &ctx.out.join(format!("race-{label}")),
        &formats,
        FIGURE_SIZE,
    )?;
    sample_grid(ctx, net, by_sampler, binning)
}

/// Representative inputs per bin, from the walkers of the sampler that
/// visited the most bins.
fn sample_grid(
    ctx: &mut Context,
    net: &NetView,
    by_sampler: &[Vec<SamplerRun>],
    binning: &Binning,
) -> Result<()> {
    let Some(grid) = ctx.spec.outputs.grid.clone() else {
        return Ok(());
    };
    let Some(runs) = by_sampler.iter().max_by_key(|r| r[0].samples.len()) else {
        return Ok(());
    };
    let mut rows = Vec::new();
    for (bin, images) in &runs[0].samples {
        let lo = binning.lower(*bin);
        rows.push(GridRow {
            label: format!("logit {lo:.0}..{:.0}", lo + binning.width()),
            images: images
                .iter()
                .take(grid.per_bin as usize)
                .map(|p| unpack(p, net))
                .collect(),
        });
    }
    let image = ImageGrid {
        title: format!("{}: inputs per logit bin ({})", net.name, runs[0].sampler),
        height: net.height,
        width: net.width,
        scale: grid.scale,
        rows,
    }
    .thinned(grid.max_rows as usize);
    image.render(&ctx.out.join(format!("inputs-{}.png", net.name)))
}

fn unpack(packed: &str, net: &NetView) -> Vec<u8> {
    super::sampling::unpack_bits(packed, net.height * net.width)
}
