//! `cargo xtask reproduce all|<id>... [--profile quick|full] [--seeds N]`:
//! trains, samples and regenerates tables, figures and the report.

use std::path::PathBuf;

use anyhow::Context;
use gwl_harness::{check_claims, reproduce, Profile, RunOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Experiment ids, or `all`
    #[arg(default_value = "all")]
    ids: Vec<String>,
    /// quick (CI, minutes) or full (the committed numbers)
    #[arg(long, default_value = "full")]
    profile: Profile,
    /// Seeds per sampler, replacing the profile's count
    #[arg(long)]
    seeds: Option<u32>,
    /// Results folder (default: results/)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fail unless the quick-profile claim checks hold
    #[arg(long)]
    check_claims: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let results = args.out.clone().unwrap_or_else(|| root.join("results"));
    let opts = RunOptions {
        profile: args.profile,
        seeds: args.seeds,
        cache: root
            .join("target")
            .join("gwl-runs")
            .join(args.profile.as_str()),
        experiments: root.join("experiments"),
        results,
    };
    let started = std::time::Instant::now();
    let findings = reproduce(&args.ids, &opts)?;
    eprintln!(
        "reproduce ({}) finished in {:.0} s; report: {}",
        args.profile,
        started.elapsed().as_secs_f64(),
        opts.results.join("REPORT.md").display()
    );
    if args.check_claims {
        check_claims(&findings).context("the quick reproduction does not hold up")?;
        eprintln!("claim checks passed");
    }
    Ok(())
}
