//! The committed results against the code: every table an experiment
//! writes today has the same columns in `results/`, and the experiment
//! folders are exactly the specs' ids (plus the benchmark's).

use std::path::Path;

use anyhow::Result;

use super::{analytic, mnist, toy, EXPERIMENT_IDS};
use crate::{check_experiment_ids, check_table, TableSchema};

/// The tables each experiment writes.
pub fn schemas(id: &str) -> &'static [TableSchema] {
    match id {
        "toy-accuracy" => &[toy::ACCURACY],
        "toy-efficiency" => &[toy::COST_TO_TARGET],
        "analytic" => &[analytic::ANALYTIC_ACCURACY],
        "mnist-dos" => &[mnist::RACE, mnist::SHARES],
        _ => &[],
    }
}

/// Folders under `results/` that are not experiments.
const OTHER_FOLDERS: &[&str] = &["bench", "user"];

pub fn check_committed(results: &Path, experiments: &Path) -> Result<()> {
    let specs = crate::load_dir(experiments)?;
    let mut ids: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
    for id in &ids {
        anyhow::ensure!(
            EXPERIMENT_IDS.contains(id),
            "experiment `{id}` has a spec but no runner"
        );
    }
    ids.extend(
        OTHER_FOLDERS
            .iter()
            .copied()
            .filter(|f| results.join(f).is_dir()),
    );
    check_experiment_ids(results, &ids)?;
    for id in EXPERIMENT_IDS {
        for schema in schemas(id) {
            check_table(&results.join(id), schema)?;
        }
    }
    Ok(())
}
