//! Atomic writes and the on-disk layout of results and caches.
//!
//! Everything the harness writes goes through [`write_atomic`]: a temporary
//! file in the destination's own folder (so the rename cannot cross a file
//! system), flushed to disk, then renamed over the destination. An
//! interrupted run therefore leaves either the old file or the new one,
//! never half of one, and a restarted run can trust whatever it finds.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot rename into {}", path.display()))?;
    Ok(())
}

/// Serializes `value` as pretty JSON and writes it atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .with_context(|| format!("cannot serialize {}", path.display()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads JSON written by [`write_json_atomic`]; `None` when the file does
/// not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    let value =
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    Ok(Some(value))
}

/// Renders into a temporary path in `path`'s folder with the same
/// extension (plotters picks the image format from it), then renames it
/// over `path`.
pub fn render_atomic(path: &Path, render: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .suffix(&ext)
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?
        .into_temp_path();
    render(&tmp)?;
    tmp.persist(path)
        .with_context(|| format!("cannot rename into {}", path.display()))?;
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Where one experiment's results go: `<root>/<id>/`.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    root: PathBuf,
}

impl ResultsDir {
    /// `root` is usually `results/` (or a scratch folder in CI).
    pub fn new(root: impl Into<PathBuf>) -> ResultsDir {
        ResultsDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/<id>/`.
    pub fn experiment(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// `<root>/<id>/<name>`, e.g. a table or figure file.
    pub fn file(&self, id: &str, name: &str) -> PathBuf {
        self.experiment(id).join(name)
    }

    /// `<root>/<id>/manifest.json`.
    pub fn manifest(&self, id: &str) -> PathBuf {
        self.file(id, "manifest.json")
    }

    /// `<root>/REPORT.md`.
    pub fn report(&self) -> PathBuf {
        self.root.join("REPORT.md")
    }

    /// Store of finished runs of experiment `id`, so a restarted run skips
    /// them: `<root>/<id>/runs/`.
    pub fn runs(&self, id: &str) -> Store {
        Store::new(self.experiment(id).join("runs"))
    }
}

/// A folder of JSON records keyed by content hash.
///
/// Used for finished runs (key: hash of the spec parts, profile and seed
/// that produced the run) and for cached artefacts such as trained models
/// and ground truths (key: hash of what produced them; their files go in
/// [`Store::entry_dir`]). A record is written only when its work is complete,
/// so its presence means "done".
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the record for `key`.
    pub fn record_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The record for `key`, if a previous run finished it.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        read_json(&self.record_path(key))
    }

    pub fn put<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        write_json_atomic(&self.record_path(key), value)
    }

    /// A folder for the files of entry `key` (e.g. `weights.safetensors`);
    /// write them first and [`Store::put`] the record last.
    pub fn entry_dir(&self, key: &str) -> Result<PathBuf> {
        let dir = self.dir.join(key);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }

    /// Returns the record for `key`, or computes, stores and returns it.
    pub fn get_or_insert_with<T, F>(&self, key: &str, compute: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Result<T>,
    {
        if let Some(found) = self.get(key)? {
            return Ok(found);
        }
        let value = compute()?;
        self.put(key, &value)?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn store_computes_once_and_then_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultsDir::new(dir.path()).runs("toy");
        let mut calls = 0;
        for _ in 0..2 {
            let v: Vec<f64> = store
                .get_or_insert_with("k1", || {
                    calls += 1;
                    Ok(vec![1.5, -2.0])
                })
                .unwrap();
            assert_eq!(v, vec![1.5, -2.0]);
        }
        assert_eq!(calls, 1);
        assert!(store.get::<Vec<f64>>("missing").unwrap().is_none());
        assert!(dir.path().join("toy/runs/k1.json").is_file());
    }

    #[test]
    fn render_atomic_keeps_the_extension_for_the_renderer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fig.png");
        render_atomic(&path, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png");
            std::fs::write(tmp, b"x").map_err(Into::into)
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }
}
