//! The networks the experiments study, named in one place so that
//! `cargo xtask train <name>` and the harness build, train and cache exactly
//! the same thing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sidecar::hex;
use crate::{Arch, Examples, InputShape, NnError, Stage, TrainConfig, TrainData};

/// How the binary MNIST 0/1 images are prepared for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPrep {
    /// Side of the square image; 28 keeps the digits as they are (binarised
    /// at grey 0.5), smaller sides are block means of the binarised digit.
    pub side: usize,
    /// Block-mean threshold of the downsampling; unused at side 28.
    pub threshold: f64,
}

/// A named model: what to build, on what, and how to train it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedModel {
    pub name: &'static str,
    pub arch: Arch,
    pub shape: InputShape,
    pub config: TrainConfig,
    pub prep: DataPrep,
}

/// Every name [`named_model`] knows.
pub const MODEL_NAMES: &[&str] = &[
    "mlp-28",
    "cnn-28",
    "resnet-28",
    "mlp-4",
    "cnn-4",
    "mlp-5",
    "cnn-5",
];

/// The model called `name`, if there is one.
pub fn named_model(name: &str) -> Option<NamedModel> {
    let name = *MODEL_NAMES.iter().find(|&&n| n == name)?;
    let (kind, side) = name.split_once('-')?;
    let side: usize = side.parse().ok()?;
    let arch = match (kind, side) {
        ("mlp", 28) => Arch::Mlp {
            hidden: vec![128, 64],
        },
        ("cnn", 28) => Arch::Cnn {
            channels: [8, 16],
            hidden: 32,
        },
        ("resnet", 28) => Arch::ResNet {
            stem: 8,
            stages: vec![
                Stage {
                    channels: 8,
                    blocks: 1,
                },
                Stage {
                    channels: 16,
                    blocks: 1,
                },
            ],
        },
        ("mlp", _) => Arch::Mlp {
            hidden: vec![32, 16],
        },
        ("cnn", _) => Arch::Cnn {
            channels: [8, 16],
            hidden: 32,
        },
        _ => return None,
    };
    // The toy sets hold ~1700 tiny images, so an epoch takes a fraction of a
    // second and more of them are cheap (the test accuracy plateaus after
    // ~10); the 28x28 networks converge in few. The ResNet, slowest to fit,
    // takes a larger step: at 1e-2 its test loss after 3 epochs was 0.016
    // against 0.088 at 2e-3, both at 99.5% accuracy.
    let (epochs, batch_size, lr) = match (kind, side) {
        ("resnet", _) => (3, 64, 1e-2),
        (_, 28) => (3, 64, 2e-3),
        _ => (20, 32, 3e-3),
    };
    Some(NamedModel {
        name,
        arch,
        shape: InputShape::image(side, side),
        config: TrainConfig {
            epochs,
            batch_size,
            lr,
            seed: 1,
            weight_decay: 0.0,
        },
        prep: DataPrep {
            side,
            threshold: 0.25,
        },
    })
}

/// SHA-256 (hex) of the canonical JSON of everything that determines a
/// trained model, for keying a cache of trained models.
pub fn spec_hash(arch: &Arch, shape: InputShape, config: &TrainConfig, prep: &DataPrep) -> String {
    #[derive(Serialize)]
    struct Spec<'a> {
        arch: &'a Arch,
        shape: InputShape,
        config: &'a TrainConfig,
        prep: &'a DataPrep,
    }
    let json = serde_json::to_string(&Spec {
        arch,
        shape,
        config,
        prep,
    })
    .expect("architecture and configuration serialise");
    hex(&Sha256::digest(json.as_bytes()))
}

impl NamedModel {
    /// See [`spec_hash`].
    pub fn spec_hash(&self) -> String {
        spec_hash(&self.arch, self.shape, &self.config, &self.prep)
    }
}

/// Binary MNIST 0/1 prepared as `prep` says, as network values.
#[derive(Debug, Clone)]
pub struct PreparedData {
    pub prep: DataPrep,
    pub shape: InputShape,
    pub train_images: Vec<f32>,
    pub train_labels: Vec<u8>,
    pub test_images: Vec<f32>,
    pub test_labels: Vec<u8>,
    /// The data crate's checksum of exactly these train and test sets.
    pub checksum: String,
}

impl PreparedData {
    /// Loads (fetching on first use) and prepares the digits.
    pub fn load(prep: DataPrep) -> Result<Self, NnError> {
        let config = gwl_data::BinaryMnistConfig {
            side: prep.side,
            threshold: prep.threshold,
            ..gwl_data::BinaryMnistConfig::full()
        };
        let sets = gwl_data::binary_mnist(&config)?;
        Ok(Self {
            prep,
            shape: InputShape::image(sets.train.rows(), sets.train.cols()),
            train_images: sets.train.inputs_f32(),
            train_labels: sets.train.labels().to_vec(),
            test_images: sets.test.inputs_f32(),
            test_labels: sets.test.labels().to_vec(),
            checksum: sets.checksum,
        })
    }

    /// A view for [`train`](crate::train).
    pub fn train_data(&self) -> TrainData<'_> {
        TrainData {
            train: Examples {
                images: &self.train_images,
                labels: &self.train_labels,
            },
            test: Examples {
                images: &self.test_images,
                labels: &self.test_labels,
            },
            checksum: self.checksum.clone(),
            prep: Some(self.prep),
        }
    }
}
