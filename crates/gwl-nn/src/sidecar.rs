//! The record kept beside a trained model's weights, and the on-disk layout
//! of a trained model: a directory holding `model.safetensors` and
//! `model.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::weights::{save_safetensors, write_atomic};
use crate::{Arch, DataPrep, EpochRecord, InputShape, NnError, TrainConfig, TrainData, Trained};

/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the sidecar inside a model directory.
pub const SIDECAR_FILE: &str = "model.json";

/// What a trained model is and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub arch: Arch,
    pub input_shape: InputShape,
    /// Checksum of the data the model was trained on, as the data crate reports it.
    pub data_checksum: String,
    pub data_prep: Option<DataPrep>,
    pub n_train: usize,
    pub n_test: usize,
    pub config: TrainConfig,
    pub record: Vec<EpochRecord>,
    pub train_seconds: f64,
    /// SHA-256 of the weights file, so a sidecar never vouches for other weights.
    #[serde(default)]
    pub weights_sha256: String,
}

impl Sidecar {
    pub(crate) fn new(
        arch: &Arch,
        shape: InputShape,
        data: &TrainData,
        config: &TrainConfig,
        record: Vec<EpochRecord>,
        train_seconds: f64,
    ) -> Self {
        Self {
            arch: arch.clone(),
            input_shape: shape,
            data_checksum: data.checksum.clone(),
            data_prep: data.prep,
            n_train: data.train.len(),
            n_test: data.test.len(),
            config: config.clone(),
            record,
            train_seconds,
            weights_sha256: String::new(),
        }
    }

    /// Reads `dir/model.json`.
    pub fn read(dir: &Path) -> Result<Self, NnError> {
        let path = dir.join(SIDECAR_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| NnError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| NnError::Sidecar {
            file: path,
            reason: e.to_string(),
        })
    }

    /// Checks that `dir/model.safetensors` is the file this sidecar was written for.
    pub(crate) fn check_weights(&self, dir: &Path) -> Result<(), NnError> {
        let path = dir.join(WEIGHTS_FILE);
        let found = sha256_file(&path)?;
        if found != self.weights_sha256 {
            return Err(NnError::Sidecar {
                file: dir.join(SIDECAR_FILE),
                reason: format!(
                    "weights sha256 {found} does not match the recorded {}",
                    self.weights_sha256
                ),
            });
        }
        Ok(())
    }
}

impl Trained {
    /// Writes the model to `dir` (created if missing). The weights go first and
    /// the sidecar last, so a directory with a sidecar holds a complete model.
    pub fn save(&mut self, dir: &Path) -> Result<(), NnError> {
        std::fs::create_dir_all(dir).map_err(|e| NnError::io(dir, e))?;
        let weights = dir.join(WEIGHTS_FILE);
        save_safetensors(&self.varmap, &weights)?;
        self.sidecar.weights_sha256 = sha256_file(&weights)?;
        let json = serde_json::to_string_pretty(&self.sidecar).map_err(|e| NnError::Sidecar {
            file: dir.join(SIDECAR_FILE),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join(SIDECAR_FILE), json.as_bytes())
    }
}

fn sha256_file(path: &Path) -> Result<String, NnError> {
    let bytes = std::fs::read(path).map_err(|e| NnError::io(path, e))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
