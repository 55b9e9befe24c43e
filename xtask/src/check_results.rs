//! `cargo xtask check-results`: the committed results still have the tables
//! and experiment folders the code writes today.

pub fn run() -> anyhow::Result<()> {
    let root = crate::workspace_root();
    gwl_harness::check_committed(&root.join("results"), &root.join("experiments"))?;
    println!("committed results match the tables the code writes");
    Ok(())
}
