//! Content hashes that key caches and finished runs.
//!
//! A key is the SHA-256 of everything that produced a result, each part
//! serialized as JSON under its own name. Naming the parts means that moving
//! a value from one part to another changes the key, and JSON of our spec
//! types is deterministic (structs serialize in field order; the types hold
//! no hash maps).

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Accumulates named parts and yields a hex digest.
#[derive(Debug, Clone, Default)]
pub struct ContentHash {
    hasher: Sha256,
}

impl ContentHash {
    pub fn new() -> ContentHash {
        ContentHash::default()
    }

    /// Adds `value` under `name`. Lengths are hashed before each piece so
    /// that no two different part lists can run together into the same
    /// bytes.
    pub fn part<T: Serialize + ?Sized>(mut self, name: &str, value: &T) -> Result<ContentHash> {
        let json = serde_json::to_vec(value)
            .with_context(|| format!("cannot serialize hash part `{name}`"))?;
        self.hasher.update((name.len() as u64).to_le_bytes());
        self.hasher.update(name.as_bytes());
        self.hasher.update((json.len() as u64).to_le_bytes());
        self.hasher.update(&json);
        Ok(self)
    }

    /// Adds raw bytes (e.g. a weights file) under `name`.
    pub fn bytes(mut self, name: &str, bytes: &[u8]) -> ContentHash {
        self.hasher.update((name.len() as u64).to_le_bytes());
        self.hasher.update(name.as_bytes());
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
        self
    }

    /// Full 64-digit lowercase hex digest.
    pub fn hex(self) -> String {
        self.hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// First 16 hex digits: short enough for file names, and 64 bits keep
    /// collisions out of reach for the few thousand entries a cache holds.
    pub fn short(self) -> String {
        let mut hex = self.hex();
        hex.truncate(16);
        hex
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_values_and_part_names() {
        let a = ContentHash::new()
            .part("seed", &1u64)
            .unwrap()
            .part("model", "mlp-4")
            .unwrap();
        let same = ContentHash::new()
            .part("seed", &1u64)
            .unwrap()
            .part("model", "mlp-4")
            .unwrap();
        let other = ContentHash::new()
            .part("seed", &2u64)
            .unwrap()
            .part("model", "mlp-4")
            .unwrap();
        let renamed = ContentHash::new()
            .part("sed", &1u64)
            .unwrap()
            .part("model", "mlp-4")
            .unwrap();
        let a = a.hex();
        assert_eq!(a.len(), 64);
        assert_eq!(a, same.hex());
        assert_ne!(a, other.hex());
        assert_ne!(a, renamed.hex());
    }

    #[test]
    fn short_hash_is_a_prefix_of_the_full_one() {
        let h = ContentHash::new().bytes("w", b"abc");
        assert!(h.clone().hex().starts_with(&h.short()));
    }
}
