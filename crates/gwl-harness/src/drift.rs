//! `--check` mode: do the committed results still match what the code would
//! write? A renamed column or experiment otherwise leaves stale files in
//! `results/` that the report keeps quoting.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::table::TableSchema;

/// Column names in the header of a committed CSV file.
pub fn csv_columns(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = text.lines().next().unwrap_or("");
    Ok(header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_owned())
        .collect())
}

/// Column names in the header row of a committed Markdown table.
pub fn markdown_columns(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with('|'))
        .unwrap_or("");
    let inner = header.trim().trim_start_matches('|').trim_end_matches('|');
    Ok(inner
        .split(" | ")
        .map(|c| c.trim().replace("\\|", "|"))
        .collect())
}

/// Fails, naming the file and the differences, when `found` is not exactly
/// `expected` in order.
pub fn compare_columns(path: &Path, found: &[String], expected: &[&str]) -> Result<()> {
    if found
        .iter()
        .map(String::as_str)
        .eq(expected.iter().copied())
    {
        return Ok(());
    }
    let found_set: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let expected_set: BTreeSet<&str> = expected.iter().copied().collect();
    let missing: Vec<&str> = expected_set.difference(&found_set).copied().collect();
    let extra: Vec<&str> = found_set.difference(&expected_set).copied().collect();
    bail!(
        "{}: columns differ from what the code writes (missing: [{}]; unexpected: [{}]; \
         found order: [{}]); rerun the experiment to regenerate it",
        path.display(),
        missing.join(", "),
        extra.join(", "),
        found.join(", ")
    )
}

/// Checks `<dir>/<name>.csv` and `<dir>/<name>.md` against `schema`.
pub fn check_table(dir: &Path, schema: &TableSchema) -> Result<()> {
    let csv = dir.join(format!("{}.csv", schema.name));
    compare_columns(&csv, &csv_columns(&csv)?, schema.columns)?;
    let md = dir.join(format!("{}.md", schema.name));
    compare_columns(&md, &markdown_columns(&md)?, schema.columns)
}

/// Fails when the experiment folders under `results_root` differ from
/// `ids`: a folder without a spec is stale, a spec without a folder was
/// never committed. Hidden folders (caches) are ignored.
pub fn check_experiment_ids(results_root: &Path, ids: &[&str]) -> Result<()> {
    let mut folders = BTreeSet::new();
    let entries = std::fs::read_dir(results_root)
        .with_context(|| format!("cannot list {}", results_root.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", results_root.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !name.starts_with('.') {
            folders.insert(name);
        }
    }
    let expected: BTreeSet<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    let stale: Vec<&String> = folders.difference(&expected).collect();
    let absent: Vec<&String> = expected.difference(&folders).collect();
    if stale.is_empty() && absent.is_empty() {
        return Ok(());
    }
    bail!(
        "{}: experiment folders differ from the specs (without a spec: {stale:?}; \
         without results: {absent:?})",
        results_root.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Cell, Table};

    const SCHEMA: TableSchema = TableSchema {
        name: "t",
        columns: &["model", "mean_err"],
    };

    #[test]
    fn freshly_written_table_passes_and_a_renamed_column_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut table = Table::new(&SCHEMA);
        table
            .push(vec![Cell::from("mlp-4"), Cell::from(0.5)])
            .unwrap();
        table.write(dir.path()).unwrap();
        check_table(dir.path(), &SCHEMA).unwrap();

        let drifted = TableSchema {
            name: "t",
            columns: &["model", "max_err"],
        };
        let err = check_table(dir.path(), &drifted).unwrap_err().to_string();
        assert!(err.contains("missing: [max_err]"), "{err}");
        assert!(err.contains("unexpected: [mean_err]"), "{err}");
        assert!(err.contains("t.csv"), "{err}");
    }

    #[test]
    fn experiment_folders_must_match_the_spec_ids() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["toy-accuracy", "old-experiment", ".cache"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("REPORT.md"), "x").unwrap();
        check_experiment_ids(dir.path(), &["toy-accuracy", "old-experiment"]).unwrap();
        let err = check_experiment_ids(dir.path(), &["toy-accuracy", "analytic"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("without a spec: [\"old-experiment\"]"),
            "{err}"
        );
        assert!(err.contains("without results: [\"analytic\"]"), "{err}");
    }
}
