//! Wang-Landau steps per second end to end on the engine, and the share of
//! a step the sampler's own bookkeeping takes (issue target: at most 10%).
//! Written by `cargo xtask bench` beside the engine table.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;
use gwl_core::{Binning, Model, ProposalConfig, TargetConfig, WangLandau, WlConfig};
use gwl_nn::engine::bench::bench_networks;
use gwl_nn::engine::random_tensors;
use gwl_nn::{Engine, InputShape};

const WALKERS: usize = 64;

/// Markdown table: for each benchmark network and proposal, steps per
/// second (one step moves all walkers), walker-steps per second, and the
/// share of the step not spent in the model.
pub fn wl_steps_report(quick: bool) -> Result<String> {
    let steps = if quick { 20 } else { 200 };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Wang-Landau steps end to end ({WALKERS} walkers, random weights, 28x28)\n"
    );
    let _ = writeln!(
        out,
        "| network | proposal | steps/s | walker-steps/s | model share | bookkeeping share |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    for (name, arch) in bench_networks() {
        let shape = InputShape::image(28, 28);
        let engine = Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 1)?)?;
        for (label, proposal, target, incremental) in proposals() {
            let (rate, model_share) = measure(&engine, proposal, target, incremental, steps)?;
            // The incremental path changes what the model computes, so a
            // full batch timed alone is no measure of its share.
            let shares = match incremental {
                true => "n/a | n/a".to_owned(),
                false => format!(
                    "{:.1}% | {:.1}%",
                    100.0 * model_share,
                    100.0 * (1.0 - model_share)
                ),
            };
            let _ = writeln!(
                out,
                "| {name} | {label} | {rate:.1} | {:.0} | {shares} |",
                rate * WALKERS as f64
            );
        }
    }
    Ok(out)
}

fn proposals() -> [(&'static str, ProposalConfig, TargetConfig, bool); 4] {
    [
        (
            "random (plain WL), incremental",
            ProposalConfig::Random,
            TargetConfig::Bin,
            true,
        ),
        (
            "random (plain WL), full forward",
            ProposalConfig::Random,
            TargetConfig::Bin,
            false,
        ),
        (
            "gwl, smooth target",
            ProposalConfig::gwl(),
            TargetConfig::Smooth,
            false,
        ),
        (
            "gwl-multi, smooth target",
            ProposalConfig::gwl_multi(),
            TargetConfig::Smooth,
            false,
        ),
    ]
}

/// Steps per second of a short run, and the share of its time spent in the
/// model: the same number of batches of the same kind, timed alone.
fn measure(
    engine: &Engine,
    proposal: ProposalConfig,
    target: TargetConfig,
    incremental: bool,
    steps: u64,
) -> Result<(f64, f64)> {
    let mut outputs = vec![0.0; WALKERS];
    let inputs = vec![0u8; WALKERS * engine.input_len()];
    engine.forward(&inputs, &mut outputs)?;
    let lo = outputs[0] - 200.0;
    let mut config = WlConfig::new(Binning::with_width(lo, lo + 400.0, 1.0)?);
    config.walkers = WALKERS;
    config.proposal = proposal;
    config.target = target;
    config.check_every = 10;
    config.incremental = incremental;
    let mut wl = WangLandau::new(engine, config)?;
    wl.run_steps(1, &mut |_| {})?;
    let started = Instant::now();
    wl.run_steps(steps, &mut |_| {})?;
    let total = started.elapsed().as_secs_f64();
    let model = model_time(engine, proposal, steps)?;
    Ok((steps as f64 / total, (model / total).min(1.0)))
}

fn model_time(engine: &Engine, proposal: ProposalConfig, steps: u64) -> Result<f64> {
    let d = engine.input_len();
    let inputs: Vec<u8> = (0..WALKERS * d).map(|i| u8::from(i % 3 == 0)).collect();
    let mut outputs = vec![0.0; WALKERS];
    let mut grads = vec![0.0f32; WALKERS * d];
    let started = Instant::now();
    for _ in 0..steps {
        match proposal {
            ProposalConfig::Random => engine.forward(&inputs, &mut outputs)?,
            _ => engine.forward_grad(&inputs, &mut outputs, &mut grads)?,
        }
    }
    Ok(started.elapsed().as_secs_f64())
}
