//! `cargo xtask test`: the README's test command, in the one release profile
//! that `reproduce` and the benchmarks also use, so CI builds once.

use std::process::Command;

use anyhow::{bail, Context};

pub fn run(extra: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["test", "--workspace", "--release"])
        .args(extra)
        .current_dir(crate::workspace_root())
        .status()
        .with_context(|| format!("cannot start {cargo}"))?;
    if !status.success() {
        bail!("tests failed ({status})");
    }
    Ok(())
}
