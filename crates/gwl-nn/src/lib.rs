//! gwl-nn: the networks we study, their training, and fast inference.
//!
//! How the pieces fit: an [`Arch`] names a network (MLP, CNN, ResNet, or a
//! PyTorch-style Sequential) and, in its module docs, the safetensors
//! tensor names its weights carry. [`build`] makes the candle network from
//! an `Arch`; [`train`] fits it on binary MNIST 0/1 ([`PreparedData`],
//! [`named_model`] for the experiments' networks) and saves weights plus a
//! [`Sidecar`]; [`load_weights`] reads a safetensors file strictly, naming
//! any missing, extra or misshapen tensor. For sampling, the [`Engine`]
//! evaluates the same weights without autograd: batched forward, forward
//! with the input gradient (hand-written backward), and single-coordinate
//! updates. It implements gwl-core's `Model` and is the default backend;
//! [`CandleModel`] (autograd) stays as the reference it is tested against.
//!
//! ```
//! use gwl_core::Model;
//! use gwl_nn::engine::random_tensors;
//! use gwl_nn::{Arch, Engine, InputShape};
//!
//! let arch = Arch::Cnn { channels: [4, 8], hidden: 16 };
//! let shape = InputShape::image(8, 8);
//! let engine = Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 1)?)?;
//! let inputs = vec![1u8; 2 * shape.len()];
//! let (mut outputs, mut grads) = (vec![0.0; 2], vec![0.0f32; 2 * shape.len()]);
//! engine.forward_grad(&inputs, &mut outputs, &mut grads)?;
//! assert_eq!(outputs[0], outputs[1]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
