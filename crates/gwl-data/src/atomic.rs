//! Files appear whole or not at all: every write goes to a temporary file in
//! the destination's folder and is renamed into place, so a crash or a full
//! disk never leaves a truncated file where good data is expected.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::DataError;

/// A path next to `dest` that no other process or thread is using.
pub(crate) fn temp_path_beside(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Writes `bytes` to `dest` atomically, creating its folder if needed.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), DataError> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(DataError::io(parent))?;
    }
    let tmp = temp_path_beside(dest);
    let result = write_then_rename(&tmp, dest, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let mut file = fs::File::create(tmp).map_err(DataError::io(tmp))?;
    file.write_all(bytes).map_err(DataError::io(tmp))?;
    file.sync_all().map_err(DataError::io(tmp))?;
    fs::rename(tmp, dest).map_err(DataError::io(dest))
}
