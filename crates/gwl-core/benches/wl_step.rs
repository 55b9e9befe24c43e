//! Sampler overhead per walker-step, with the analytic sum-of-bits model at
//! D = 784 so that the network is not what is measured: plain Wang-Landau
//! (incremental and full forward) against the gradient proposals.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gwl_core::{Binning, ProposalConfig, SumOfBits, TargetConfig, WangLandau, WlConfig};

const D: usize = 784;
const WALKERS: usize = 64;

fn sampler(
    proposal: ProposalConfig,
    target: TargetConfig,
    incremental: bool,
) -> WangLandau<SumOfBits> {
    let binning = Binning::with_width(-0.5, D as f64 + 0.5, 1.0).unwrap();
    let config = WlConfig {
        walkers: WALKERS,
        proposal,
        target,
        incremental,
        ln_f_final: 1e-300,
        ..WlConfig::new(binning)
    };
    let mut wl = WangLandau::new(SumOfBits::new(D).unwrap(), config).unwrap();
    // Place the walkers and leave the first steps' transients behind.
    wl.run_steps(200, &mut |_| {}).unwrap();
    wl
}

fn walker_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("wl_step_d784");
    group.throughput(Throughput::Elements(WALKERS as u64));
    let cases = [
        (
            "random_incremental",
            ProposalConfig::Random,
            TargetConfig::Bin,
            true,
        ),
        (
            "random_forward",
            ProposalConfig::Random,
            TargetConfig::Bin,
            false,
        ),
        ("gwl_bin", ProposalConfig::gwl(), TargetConfig::Bin, false),
        (
            "gwl_smooth",
            ProposalConfig::gwl(),
            TargetConfig::Smooth,
            false,
        ),
        (
            "gwl_multi_smooth",
            ProposalConfig::gwl_multi(),
            TargetConfig::Smooth,
            false,
        ),
    ];
    for (name, proposal, target, incremental) in cases {
        let mut wl = sampler(proposal, target, incremental);
        group.bench_function(name, |b| b.iter(|| wl.run_steps(1, &mut |_| {}).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, walker_steps);
criterion_main!(benches);
