//! The machine-readable record of what ran, written beside the results.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::io::write_json_atomic;
use crate::spec::Profile;

/// Name of the random number generator every run is seeded into; recorded
/// so that a reader knows what a seed means.
pub const RNG_NAME: &str = "ChaCha8";

/// One experiment's manifest: `results/<id>/manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub experiment: String,
    pub profile: Profile,
    /// Version of the gwl crates (they share the workspace version).
    pub gwl_version: String,
    /// `git rev-parse HEAD`, when run inside a checkout with git available.
    pub git_commit: Option<String>,
    /// Whether the checkout had uncommitted changes; `None` without git.
    pub git_dirty: Option<bool>,
    pub rng: String,
    pub threads: usize,
    /// Hash of the spec file's contents, to tell which spec produced this.
    pub spec_hash: String,
    /// Seconds since the Unix epoch when the experiment started.
    pub started_unix: u64,
    pub total_seconds: f64,
    pub runs: Vec<RunRecord>,
    /// Named durations outside runs, e.g. training and enumeration.
    pub timings: Vec<Timing>,
}

/// One finished run of a sampler on a model with a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub model: String,
    pub sampler: String,
    pub seed: u64,
    pub evaluations: u64,
    pub seconds: f64,
    /// Key of the run in the run store; equal keys mean an equal run.
    pub key: String,
    /// True when the run was read back from a previous invocation.
    pub cached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub what: String,
    pub seconds: f64,
    pub cached: bool,
}

impl Manifest {
    /// A manifest for an experiment starting now, with versions, git state
    /// and the rayon thread count filled in.
    pub fn start(experiment: &str, profile: Profile, spec_hash: &str) -> Manifest {
        let (git_commit, git_dirty) = git_state();
        Manifest {
            experiment: experiment.to_owned(),
            profile,
            gwl_version: env!("CARGO_PKG_VERSION").to_owned(),
            git_commit,
            git_dirty,
            rng: RNG_NAME.to_owned(),
            threads: rayon::current_num_threads(),
            spec_hash: spec_hash.to_owned(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            total_seconds: 0.0,
            runs: Vec::new(),
            timings: Vec::new(),
        }
    }

    pub fn push_run(&mut self, run: RunRecord) {
        self.runs.push(run);
    }

    pub fn push_timing(&mut self, what: &str, seconds: f64, cached: bool) {
        self.timings.push(Timing {
            what: what.to_owned(),
            seconds,
            cached,
        });
    }

    /// Seeds that appear in the runs, sorted and without repeats.
    pub fn seeds(&self) -> Vec<u64> {
        let mut seeds: Vec<u64> = self.runs.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        seeds
    }

    /// Writes the manifest atomically; called after every run so that an
    /// interrupted experiment still records what finished.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_json_atomic(path, self)
    }
}

/// Commit and dirtiness of the working tree, if git can tell. Git is
/// optional: a tarball checkout or a machine without git just records none.
fn git_state() -> (Option<String>, Option<bool>) {
    let commit = git(&["rev-parse", "HEAD"]);
    let dirty = commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain"]))
        .map(|s| !s.is_empty());
    (commit, dirty)
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_with_runs_and_seeds() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::start("toy-accuracy", Profile::Quick, "abc");
        for seed in [2, 1, 2] {
            m.push_run(RunRecord {
                model: "mlp-4".into(),
                sampler: "wl".into(),
                seed,
                evaluations: 10,
                seconds: 0.5,
                key: format!("k{seed}"),
                cached: false,
            });
        }
        m.push_timing("train mlp-4", 1.25, true);
        let path = dir.path().join("manifest.json");
        m.write(&path).unwrap();
        let back: Manifest = crate::io::read_json(&path).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(back.seeds(), vec![1, 2]);
        assert_eq!(back.rng, "ChaCha8");
        assert!(back.threads >= 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"profile\": \"quick\""), "{text}");
    }
}
