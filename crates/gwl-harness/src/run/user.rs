//! `cargo xtask sample --spec my.toml`: the `mnist-dos` treatment (density
//! table and figure, the race of samplers, a grid of inputs per bin) for a
//! user's network, written under its own folder.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::claims::{save_findings, Findings};
use super::context::Context;
use super::{mnist, RunOptions};
use crate::{Profile, Spec};

/// Runs the spec at `spec_path` on its models; returns the folder written.
pub fn sample_user(
    spec_path: &Path,
    profile: Profile,
    out: &Path,
    target: &Path,
) -> Result<PathBuf> {
    let spec = Spec::load(spec_path)?;
    let spec_dir = spec_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let opts = RunOptions {
        profile,
        seeds: None,
        results: out.to_path_buf(),
        cache: target.join("gwl-runs").join("user").join(profile.as_str()),
        experiments: spec_dir,
    };
    let mut ctx = Context::new(&spec, &opts, crate::Progress::from_env())?;
    let started = std::time::Instant::now();
    let mut findings = Findings::default();
    mnist::run(&mut ctx, &mut findings).with_context(|| format!("sampling {} failed", spec.id))?;
    ctx.finish(started.elapsed().as_secs_f64())?;
    let part = Findings {
        race: findings.race,
        mnist: findings.mnist,
        ..Findings::default()
    };
    save_findings(out, &spec.id, &part)?;
    Ok(out.join(&spec.id))
}
