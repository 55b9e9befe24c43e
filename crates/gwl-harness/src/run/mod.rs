//! The runner: `reproduce` turns experiment specs into results. Each
//! experiment id has one module; they share the context below, which caches
//! finished runs (so an interrupted reproduction resumes), keeps the
//! manifest current, and drives the progress bars.

mod analytic;
mod bench;
mod check;
mod claims;
mod context;
mod mnist;
mod sampling;
mod subject;
mod toy;
mod truth;
mod user;

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};

pub use bench::wl_steps_report;
pub use check::{check_committed, schemas};
pub use claims::{check_claims, Findings};
pub use context::Context;
pub use sampling::{run_sampler, wl_config, RunBudget, SamplerRun, TracePoint};
pub use subject::{models_dir, obtain, trained_net, Subject, TrainOverrides, TrainedNet};
pub use user::sample_user;

use crate::{load_dir, Profile, Spec};

/// Experiment ids `reproduce all` runs, in order.
pub const EXPERIMENT_IDS: &[&str] = &["toy-accuracy", "toy-efficiency", "analytic", "mnist-dos"];

/// What `reproduce` is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub profile: Profile,
    pub seeds: Option<u32>,
    /// Root of the results (`results/`, or a scratch folder in CI).
    pub results: PathBuf,
    /// Root of the caches of finished runs and ground truths.
    pub cache: PathBuf,
    /// Folder of the experiment specs.
    pub experiments: PathBuf,
}

/// Runs the experiments named by `ids` (`all` for every one) and writes
/// their tables, figures, manifests and the report.
pub fn reproduce(ids: &[String], opts: &RunOptions) -> Result<Findings> {
    let specs = load_dir(&opts.experiments)?;
    let wanted = select(ids, &specs)?;
    let progress = crate::Progress::from_env();
    let mut findings = Findings::default();
    for spec in wanted {
        let mut ctx = Context::new(spec, opts, progress.clone())?;
        let started = std::time::Instant::now();
        match spec.id.as_str() {
            "toy-accuracy" => toy::accuracy(&mut ctx, &mut findings),
            "toy-efficiency" => toy::efficiency(&mut ctx, &mut findings),
            "mnist-dos" => mnist::run(&mut ctx, &mut findings),
            "analytic" => analytic::run(&mut ctx, &mut findings),
            other => bail!("experiment `{other}` has a spec but no runner"),
        }
        .with_context(|| format!("experiment {} failed", spec.id))?;
        ctx.finish(started.elapsed().as_secs_f64())?;
        claims::save_findings(&opts.results, &spec.id, &findings.only(&spec.id))?;
    }
    claims::write_report(&opts.results, &findings)?;
    Ok(findings)
}

fn select<'a>(ids: &[String], specs: &'a [Spec]) -> Result<Vec<&'a Spec>> {
    if ids.is_empty() || ids.iter().any(|id| id == "all") {
        let mut all: Vec<&Spec> = Vec::new();
        for id in EXPERIMENT_IDS {
            all.extend(specs.iter().filter(|s| s.id == *id));
        }
        return Ok(all);
    }
    ids.iter()
        .map(|id| {
            specs.iter().find(|s| &s.id == id).with_context(|| {
                let known: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
                format!("no experiment `{id}`; known: {}", known.join(", "))
            })
        })
        .collect()
}

/// Default profile of `reproduce`.
pub fn default_profile() -> Profile {
    Profile::Full
}
