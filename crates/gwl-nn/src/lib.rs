//! gwl-nn: the networks we study, their training, and fast inference.
mod adapter;
mod arch;
pub mod engine;
mod error;
mod init;
mod loaded;
mod models;
mod named;
mod sidecar;
mod train;
mod weights;

pub use adapter::{input_gradients, CandleModel};
pub use arch::{Arch, InputShape, Layer, Stage};
pub use engine::{Engine, EngineError};
pub use error::NnError;
pub use init::init_seeded;
pub use loaded::LoadedModel;
pub use models::{build, Net};
pub use named::{named_model, spec_hash, DataPrep, NamedModel, PreparedData, MODEL_NAMES};
pub use sidecar::{Sidecar, SIDECAR_FILE, WEIGHTS_FILE};
pub use train::{
    bce_with_logits, evaluate, train, EpochRecord, Examples, TrainConfig, TrainData, Trained,
};
pub use weights::{
    expected_tensors, load_weights, save_safetensors, save_tensors, varmap_tensors, TensorMap,
};
