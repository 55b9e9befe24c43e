//! What the experiments found, the paper's claims judged against it, the
//! report, and the checks CI runs on a quick reproduction.
//!
//! Each experiment writes its findings to `results/<id>/findings.json`, so
//! the report can be rebuilt from any subset of experiments run at
//! different times.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::EXPERIMENT_IDS;
use crate::{read_json, write_json_atomic, Claim, Report, Section, Verdict};

/// One sampler on one model against the truth, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyRow {
    pub model: String,
    pub d: usize,
    pub sampler: String,
    pub kind: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub evaluations: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub cost: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub grad_ratio: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub seconds: f64,
    pub mean_err: Option<f64>,
    pub mean_err_spread: Option<f64>,
    pub max_err: Option<f64>,
    pub max_err_spread: Option<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    pub bins_missed: f64,
    pub bins_nonempty: usize,
    pub seeds: usize,
}

/// Cost and seconds one sampler needs to reach a target error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyRow {
    pub model: String,
    pub sampler: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub target_err: f64,
    pub cost: Option<f64>,
    pub seconds: Option<f64>,
    pub wl_over_cost: Option<f64>,
    pub wl_over_seconds: Option<f64>,
}

/// One sampler on one 28x28 network at equal wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaceRow {
    pub model: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub test_accuracy: f64,
    pub sampler: String,
    pub kind: String,
    pub seeds: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub seconds: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub evaluations: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub grad_ratio: f64,
    pub acceptance: Option<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    pub explored_lo: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub explored_hi: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub bins_visited: f64,
    pub n_bins: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub range_lo: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub range_hi: f64,
    pub first_flat_s: Option<f64>,
    pub all_visited_s: Option<f64>,
    /// Seconds this sampler needed to visit as many bins as plain WL did in
    /// its whole budget (mean over seeds).
    #[serde(default)]
    pub s_to_match_wl_bins: Option<f64>,
}

/// Where a 28x28 network puts the input space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MnistRow {
    pub model: String,
    #[serde(deserialize_with = "nan_if_null")]
    pub test_accuracy: f64,
    pub estimated_by: String,
    pub mode_logit: Option<f64>,
    /// log10 of the share of all inputs below 0, -5, -10, -20.
    #[serde(deserialize_with = "nans_if_null")]
    pub log10_share_below: Vec<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    pub log10_share_above_0: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub test_logit_mean_zeros: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub test_logit_mean_ones: f64,
}

/// JSON has no NaN or infinity: serde_json writes them as `null`, and
/// reading `null` back gives NaN (a share with no visited bin, an unknown
/// accuracy), which every consumer here treats as "no value".
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn nans_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let values = Vec::<Option<f64>>::deserialize(d)?;
    Ok(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub toy: Vec<ToyRow>,
    pub efficiency: Vec<EfficiencyRow>,
    pub analytic: Vec<ToyRow>,
    pub race: Vec<RaceRow>,
    pub mnist: Vec<MnistRow>,
}

impl Findings {
    /// The part of the findings an experiment produced.
    pub fn only(&self, id: &str) -> Findings {
        let mut part = Findings::default();
        match id {
            "toy-accuracy" => part.toy = self.toy.clone(),
            "toy-efficiency" => part.efficiency = self.efficiency.clone(),
            "analytic" => part.analytic = self.analytic.clone(),
            "mnist-dos" => {
                part.race = self.race.clone();
                part.mnist = self.mnist.clone();
            }
            _ => {}
        }
        part
    }

    fn merge(&mut self, other: Findings) {
        self.toy.extend(other.toy);
        self.efficiency.extend(other.efficiency);
        self.analytic.extend(other.analytic);
        self.race.extend(other.race);
        self.mnist.extend(other.mnist);
    }
}

pub fn save_findings(results: &Path, id: &str, findings: &Findings) -> Result<()> {
    write_json_atomic(&results.join(id).join("findings.json"), findings)
}

fn load_all(results: &Path) -> Result<(Findings, Vec<&'static str>)> {
    let mut all = Findings::default();
    let mut present = Vec::new();
    for id in EXPERIMENT_IDS {
        if let Some(found) = read_json::<Findings>(&results.join(id).join("findings.json"))? {
            all.merge(found);
            present.push(*id);
        }
    }
    Ok((all, present))
}

/// Writes `REPORT.md` from every experiment's findings under `results`.
pub fn write_report(results: &Path, _latest: &Findings) -> Result<()> {
    let (all, present) = load_all(results)?;
    let report = Report {
        title: "gwl: reproduction of Gradient-based Wang-Landau (ICML 2023)".into(),
        intro: vec![
            "Made by `cargo xtask reproduce`; every number below comes from the tables linked \
             in the sections. Label convention: label 1 is the digit one, and the logit is the \
             network's score for \"one\"."
                .into(),
            format!("Experiments present: {}.", present.join(", ")),
        ],
        claims: judge(&all),
        sections: sections(results, &present)?,
    };
    report.write(&results.join("REPORT.md"))
}

fn judge(f: &Findings) -> Vec<Claim> {
    vec![
        claim_toy_match(f),
        claim_range(f),
        claim_naive_tails(f),
        claim_negative_bulk(f),
    ]
}

fn is_gradient(kind: &str) -> bool {
    kind.starts_with("gwl")
}

fn claim_toy_match(f: &Findings) -> Claim {
    let rows: Vec<&ToyRow> = f.toy.iter().filter(|r| is_gradient(&r.kind)).collect();
    let good = rows.iter().filter(|r| toy_row_matches(r)).count();
    let mut evidence = String::new();
    for r in &rows {
        let _ = write!(
            evidence,
            "{} {}: mean err {}, max {}, missed {:.1}/{}; ",
            r.model,
            r.sampler,
            fmt_opt(r.mean_err),
            fmt_opt(r.max_err),
            r.bins_missed,
            r.bins_nonempty
        );
    }
    if !rows.is_empty() {
        let _ = write!(
            evidence,
            "(match = no missed bin and mean |error| <= {TOY_MATCH} nats)"
        );
    }
    let claim = "GWL's output distribution matches exhaustive enumeration on toy networks";
    tally(claim, good, rows.len(), evidence)
}

/// A density "matches" the truth when every non-empty bin was found and
/// the mean |ln g error| is at most this: about a 10% relative error per
/// bin, far below the tens of nats the density spans.
const TOY_MATCH: f64 = 0.1;

fn toy_row_matches(r: &ToyRow) -> bool {
    r.bins_missed == 0.0 && r.mean_err.is_some_and(|e| e <= TOY_MATCH)
}

fn claim_range(f: &Findings) -> Claim {
    let models = models_of(&f.race);
    let mut wins = 0;
    let mut evidence = String::new();
    for model in &models {
        let wl = most_bins(&f.race, model, |k| k == "wl");
        let best = most_bins(&f.race, model, is_gradient);
        let (Some(wl), Some(best)) = (wl, best) else {
            continue;
        };
        if best.bins_visited > wl.bins_visited {
            wins += 1;
        }
        let _ = write!(
            evidence,
            "{model}: WL {:.1} bins [{:.1}, {:.1}], best GWL ({}) {:.1} bins [{:.1}, {:.1}] \
             of {} in {:.0} s; GWL covered WL's final bins after {} s; ",
            wl.bins_visited,
            wl.explored_lo,
            wl.explored_hi,
            best.sampler,
            best.bins_visited,
            best.explored_lo,
            best.explored_hi,
            wl.n_bins,
            wl.seconds,
            best.s_to_match_wl_bins
                .map_or("n/a".into(), |s| format!("{s:.1}"))
        );
    }
    let claim = "GWL explores the output range more efficiently than WL (28x28, equal wall time)";
    tally(claim, wins, models.len(), evidence)
}

fn claim_naive_tails(f: &Findings) -> Claim {
    let models = models_of(&f.race);
    let mut blind = 0;
    let mut evidence = String::new();
    for model in &models {
        let naive = most_bins(&f.race, model, |k| k == "naive");
        let walk = most_bins(&f.race, model, |k| k != "naive");
        let (Some(n), Some(w)) = (naive, walk) else {
            continue;
        };
        if n.bins_visited < w.bins_visited {
            blind += 1;
        }
        let _ = write!(
            evidence,
            "{model}: naive MC {:.0} bins [{:.1}, {:.1}] vs {} {:.0} bins; ",
            n.bins_visited, n.explored_lo, n.explored_hi, w.sampler, w.bins_visited
        );
    }
    let claim = "Naive Monte Carlo cannot see the tails of the distribution";
    tally(claim, blind, models.len(), evidence)
}

fn claim_negative_bulk(f: &Findings) -> Claim {
    let rows: Vec<&MnistRow> = f
        .mnist
        .iter()
        .filter(|r| r.model.starts_with("cnn") || r.model.starts_with("resnet"))
        .collect();
    let mut negative = 0;
    let mut evidence = String::new();
    for r in &rows {
        let below0 = r
            .log10_share_below
            .first()
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        if r.mode_logit.is_some_and(|m| m < -5.0) && below0 > 0.5f64.log10() {
            negative += 1;
        }
        let _ = write!(
            evidence,
            "{}: bulk (mode of naive MC) at logit {}, log10 share below 0 = {}, \
             above 0 = {} (test means: zeros {:.1}, ones {:.1}); ",
            r.model,
            fmt_opt(r.mode_logit),
            fmt_log(below0),
            fmt_log(r.log10_share_above_0),
            r.test_logit_mean_zeros,
            r.test_logit_mean_ones
        );
    }
    if !rows.is_empty() {
        evidence.push_str(
            "positive logits mean \"one\" in our convention, so a bulk at large positive logits \
             is the paper's finding with the labels swapped",
        );
    }
    let claim = "For CNN and ResNet, most of the input space gets very negative logits";
    tally(claim, negative, rows.len(), evidence)
}

/// A claim that `yes` of `of` cases support; not run when there are none.
fn tally(claim: &str, yes: usize, of: usize, evidence: String) -> Claim {
    Claim {
        claim: claim.into(),
        verdict: verdict_of(yes, of),
        evidence,
    }
}

/// The run of `model` with the most bins visited among the sampler kinds
/// `pick` accepts.
fn most_bins<'a>(
    rows: &'a [RaceRow],
    model: &str,
    pick: impl Fn(&str) -> bool,
) -> Option<&'a RaceRow> {
    rows.iter()
        .filter(|r| r.model == model && pick(&r.kind))
        .max_by(|a, b| a.bins_visited.total_cmp(&b.bins_visited))
}

fn verdict_of(yes: usize, of: usize) -> Verdict {
    match (yes, of) {
        (_, 0) => Verdict::NotRun,
        (y, n) if y == n => Verdict::Supported,
        (0, _) => Verdict::NotSupported,
        _ => Verdict::Partly,
    }
}

fn models_of(rows: &[RaceRow]) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for r in rows {
        if !models.contains(&r.model) {
            models.push(r.model.clone());
        }
    }
    models
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.3}"))
}

fn fmt_log(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "none seen".into()
    }
}

fn sections(results: &Path, present: &[&str]) -> Result<Vec<Section>> {
    let mut out = Vec::new();
    for id in present {
        let dir = results.join(id);
        let mut section = Section::new(id);
        let mut tables: Vec<_> = list(&dir, "md")?;
        tables.sort();
        for table in tables {
            let caption = table
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            section = section.table_file(&caption, &table)?;
        }
        let mut figures: Vec<_> = list(&dir, "png")?;
        figures.sort();
        for figure in figures {
            let stem = figure.with_extension("");
            let caption = stem
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            section = section.figure(&caption, &stem, results);
        }
        out.push(section);
    }
    Ok(out)
}

fn list(dir: &Path, ext: &str) -> Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
    Ok(found)
}

/// The checks CI runs on a quick reproduction. Each can fail: a sampler
/// that does not converge or misses bins, a broken normalisation, a
/// gradient proposal that stops exploring, or a naive estimator that
/// suddenly sees everything would each trip one. Tolerances are set for the
/// quick profile's small budgets, with the margins stated at each.
pub fn check_claims(f: &Findings) -> Result<()> {
    let mut failures = Vec::new();
    check_toys(f, &mut failures);
    check_exploration(f, &mut failures);
    if f.toy.is_empty() && f.race.is_empty() && f.analytic.is_empty() {
        failures.push("no findings to check: did any experiment run?".into());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("claim checks failed:\n  {}", failures.join("\n  "))
    }
}

/// Mean |ln g error| plain WL and single-flip GWL must reach on the toys in
/// the quick profile. Measured there (2 seeds, 200 000 evaluations): 0.05 to
/// 0.19 for WL and 0.05 to 0.71 for GWL; a wrong proposal ratio or
/// normalisation is off by several nats and usually misses bins.
const QUICK_TOY_ERR: f64 = 1.5;

fn check_toys(f: &Findings, failures: &mut Vec<String>) {
    for r in f.toy.iter().filter(|r| r.kind == "wl" || r.kind == "gwl") {
        let ok = r.bins_missed == 0.0 && r.mean_err.is_some_and(|e| e <= QUICK_TOY_ERR);
        if !ok {
            failures.push(format!(
                "toy {} {}: mean err {} with {} bins missed (want <= {QUICK_TOY_ERR}, none missed)",
                r.model,
                r.sampler,
                fmt_opt(r.mean_err),
                r.bins_missed
            ));
        }
    }
    // Every walker-based sampler, multi-flip included, must at least find
    // every non-empty bin of a 16- or 25-bit space.
    for r in f
        .toy
        .iter()
        .filter(|r| r.kind != "naive" && r.bins_missed > 0.0)
    {
        failures.push(format!(
            "toy {} {}: {} bins missed",
            r.model, r.sampler, r.bins_missed
        ));
    }
}

/// At D = 784, uniform inputs concentrate within a few logits of the bulk,
/// so any Wang-Landau walker must get further than naive MC; and the
/// research result this project exists for, that the best gradient form
/// covers at least as many bins as plain WL in the same wall time, held
/// with margins of 20 to 50 bins in the quick profile; on the analytic
/// models at D = 784 GWL missed no bin where WL missed 32 of 99 (sum of
/// bits) and 18 of 169 (integer weights).
fn check_exploration(f: &Findings, failures: &mut Vec<String>) {
    for model in models_of(&f.race) {
        let bins = |pick: fn(&str) -> bool| {
            most_bins(&f.race, &model, pick).map_or(f64::NAN, |r| r.bins_visited)
        };
        let (naive, wl, gwl) = (
            bins(|k| k == "naive"),
            bins(|k| k == "wl"),
            bins(is_gradient),
        );
        if naive >= wl.max(gwl) {
            let walkers = wl.max(gwl);
            failures.push(format!(
                "{model}: naive MC visited {naive} bins, the walkers {walkers}"
            ));
        }
        if gwl < wl {
            failures.push(format!(
                "{model}: the best GWL form visited {gwl} bins, plain WL {wl}"
            ));
        }
    }
    let mut analytic_models: Vec<&str> = f.analytic.iter().map(|r| r.model.as_str()).collect();
    analytic_models.dedup();
    for model in analytic_models {
        let rows: Vec<&ToyRow> = f.analytic.iter().filter(|r| r.model == model).collect();
        let missed = |pick: &dyn Fn(&str) -> bool| {
            rows.iter()
                .filter(|r| pick(&r.kind))
                .map(|r| r.bins_missed)
                .fold(f64::NAN, f64::min)
        };
        let (wl, gwl) = (missed(&|k| k == "wl"), missed(&is_gradient));
        if gwl > wl {
            failures.push(format!("{model}: GWL missed {gwl} bins, plain WL {wl}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race(model: &str, kind: &str, bins: f64) -> RaceRow {
        RaceRow {
            model: model.into(),
            test_accuracy: 1.0,
            sampler: kind.into(),
            kind: kind.into(),
            seeds: 1,
            seconds: 5.0,
            evaluations: 1.0,
            grad_ratio: 2.0,
            acceptance: None,
            explored_lo: 0.0,
            explored_hi: bins,
            bins_visited: bins,
            n_bins: 60,
            range_lo: 0.0,
            range_hi: 60.0,
            first_flat_s: None,
            all_visited_s: None,
            s_to_match_wl_bins: None,
        }
    }

    fn toy(kind: &str, mean_err: f64, missed: f64) -> ToyRow {
        ToyRow {
            model: "mlp-4".into(),
            d: 16,
            sampler: kind.into(),
            kind: kind.into(),
            evaluations: 1.0,
            cost: 1.0,
            grad_ratio: 1.0,
            seconds: 1.0,
            mean_err: Some(mean_err),
            mean_err_spread: None,
            max_err: None,
            max_err_spread: None,
            bins_missed: missed,
            bins_nonempty: 20,
            seeds: 1,
        }
    }

    fn findings(naive: f64, wl: f64, gwl: f64, toy_err: f64) -> Findings {
        Findings {
            race: vec![
                race("cnn-28", "naive", naive),
                race("cnn-28", "wl", wl),
                race("cnn-28", "gwl", gwl),
            ],
            toy: vec![toy("wl", toy_err, 0.0), toy("gwl", 0.05, 0.0)],
            ..Findings::default()
        }
    }

    #[test]
    fn checks_pass_on_numbers_like_the_quick_run() {
        check_claims(&findings(10.0, 20.0, 52.0, 0.1)).unwrap();
    }

    #[test]
    fn each_check_fails_on_the_fault_it_guards() {
        let naive_sees_all = check_claims(&findings(60.0, 20.0, 52.0, 0.1)).unwrap_err();
        assert!(
            naive_sees_all.to_string().contains("naive MC visited 60"),
            "{naive_sees_all}"
        );
        let gwl_behind = check_claims(&findings(10.0, 30.0, 25.0, 0.1)).unwrap_err();
        assert!(
            gwl_behind.to_string().contains("best GWL form visited 25"),
            "{gwl_behind}"
        );
        let toy_off = check_claims(&findings(10.0, 20.0, 52.0, 3.0)).unwrap_err();
        assert!(toy_off.to_string().contains("toy mlp-4 wl"), "{toy_off}");
        let mut missed = findings(10.0, 20.0, 52.0, 0.1);
        missed.toy.push(toy("gwl-multi", 0.05, 2.0));
        let err = check_claims(&missed).unwrap_err();
        assert!(
            err.to_string().contains("gwl-multi: 2 bins missed"),
            "{err}"
        );
        assert!(check_claims(&Findings::default()).is_err());
    }

    #[test]
    fn verdicts_count_the_supporting_cases() {
        let f = findings(10.0, 20.0, 52.0, 0.1);
        assert_eq!(claim_range(&f).verdict, Verdict::Supported);
        assert_eq!(claim_naive_tails(&f).verdict, Verdict::Supported);
        assert_eq!(
            claim_range(&findings(10.0, 30.0, 25.0, 0.1)).verdict,
            Verdict::NotSupported
        );
        assert_eq!(claim_negative_bulk(&f).verdict, Verdict::NotRun);
    }
}
