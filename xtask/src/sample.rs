//! `cargo xtask sample --spec my.toml`: the samplers on a user's network.

use std::path::PathBuf;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Experiment spec naming your Sequential network (see
    /// experiments/examples/my-model.toml)
    #[arg(long)]
    spec: PathBuf,
    /// quick or full budget of the spec
    #[arg(long, default_value = "full")]
    profile: gwl_harness::Profile,
    /// Results folder (default: results/user/<spec id>)
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("results").join("user"));
    let written = gwl_harness::sample_user(&args.spec, args.profile, &out, &root.join("target"))
        .with_context(|| format!("cannot sample {}", args.spec.display()))?;
    println!("results in {}", written.display());
    Ok(())
}
