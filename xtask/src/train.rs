//! `cargo xtask train <model>`: trains one named model and caches it, keyed
//! by its spec, so a second call is instant.

use gwl_harness::{trained_net, TrainOverrides};

pub fn run(model: &str) -> anyhow::Result<()> {
    let net = trained_net(model, TrainOverrides::default())?;
    let status = if net.trained_now { "trained" } else { "cached" };
    println!(
        "{model}: {status} in {}; test accuracy {:.4}; training took {:.1} s",
        net.dir.display(),
        net.test_accuracy(),
        net.sidecar.train_seconds
    );
    for epoch in &net.sidecar.record {
        println!(
            "  epoch {:>2}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.1} s",
            epoch.epoch,
            epoch.train_loss,
            epoch.train_accuracy,
            epoch.test_loss,
            epoch.test_accuracy,
            epoch.seconds
        );
    }
    Ok(())
}
