//! The committed `results/` (from the full profile) must still match what
//! the code writes: the same experiment folders and the same table columns.
//! When a table changes shape, rerun `cargo xtask reproduce` and commit.

use std::path::Path;

use gwl_harness::{check_committed, schemas, EXPERIMENT_IDS};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn committed_results_have_the_folders_and_columns_the_code_writes() {
    check_committed(&root().join("results"), &root().join("experiments")).unwrap();
}

#[test]
fn a_drifted_column_in_a_copy_of_the_results_is_caught() {
    let copy = tempfile::tempdir().unwrap();
    for id in EXPERIMENT_IDS {
        let from = root().join("results").join(id);
        let to = copy.path().join(id);
        std::fs::create_dir_all(&to).unwrap();
        for schema in schemas(id) {
            for ext in ["csv", "md"] {
                let name = format!("{}.{ext}", schema.name);
                std::fs::copy(from.join(&name), to.join(&name)).unwrap();
            }
        }
    }
    check_committed(copy.path(), &root().join("experiments")).unwrap();
    let csv = copy.path().join("toy-accuracy").join("accuracy.csv");
    let text = std::fs::read_to_string(&csv)
        .unwrap()
        .replacen("mean_err", "mean_error", 1);
    std::fs::write(&csv, text).unwrap();
    let err = check_committed(copy.path(), &root().join("experiments")).unwrap_err();
    assert!(err.to_string().contains("accuracy.csv"), "{err:#}");
}
