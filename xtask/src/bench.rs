//! `cargo xtask bench`: the engine against candle, written to
//! `results/bench/engine.md`.

use anyhow::Context;

pub fn run(quick: bool) -> anyhow::Result<()> {
    let report = gwl_nn::engine::bench::engine_report(quick);
    let steps = gwl_harness::wl_steps_report(quick)?;
    let dir = crate::workspace_root().join("results").join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("engine.md");
    let text = format!("{report}\n{steps}");
    gwl_harness::write_atomic(&path, text.as_bytes())?;
    println!("{text}");
    eprintln!("written to {}", path.display());
    Ok(())
}
