//! A network with fixed weights, ready for inference.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::sidecar::WEIGHTS_FILE;
use crate::weights::{expected_tensors, load_weights, varmap_tensors, TensorMap};
use crate::{build, Arch, InputShape, Net, NnError, Sidecar, Trained};

/// A network whose weights are plain tensors (not trainable variables), so
/// backpropagation reaches only what the caller marks as a variable.
pub struct LoadedModel {
    pub arch: Arch,
    pub shape: InputShape,
    pub net: Box<dyn Net>,
    /// Present when the model was loaded from a trained-model directory.
    pub sidecar: Option<Sidecar>,
}

impl LoadedModel {
    /// Builds `arch` over `tensors`, which must hold exactly the names and
    /// shapes it needs (errors name the tensor, as for a file).
    pub fn from_tensors(
        arch: &Arch,
        shape: InputShape,
        tensors: TensorMap,
    ) -> Result<Self, NnError> {
        check_tensor_map(&expected_tensors(arch, shape)?, &tensors)?;
        let vb = VarBuilder::from_tensors(tensors.into_iter().collect(), DType::F32, &Device::Cpu);
        let net = build(arch, shape, vb)?;
        Ok(Self {
            arch: arch.clone(),
            shape,
            net,
            sidecar: None,
        })
    }

    /// Reads `arch`'s weights from a safetensors file, strictly (see [`load_weights`]).
    pub fn from_safetensors(arch: &Arch, shape: InputShape, path: &Path) -> Result<Self, NnError> {
        Self::from_tensors(arch, shape, load_weights(arch, shape, path)?)
    }

    /// Reads a trained-model directory: its sidecar, then the weights the
    /// sidecar describes, refusing weights other than those it was written with.
    pub fn load(dir: &Path) -> Result<Self, NnError> {
        let sidecar = Sidecar::read(dir)?;
        sidecar.check_weights(dir)?;
        let mut model =
            Self::from_safetensors(&sidecar.arch, sidecar.input_shape, &dir.join(WEIGHTS_FILE))?;
        model.sidecar = Some(sidecar);
        Ok(model)
    }

    /// Logits `[n]` of images `[n, c, h, w]`, batch norms in evaluation mode.
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor, NnError> {
        Ok(self.net.forward_t(xs, false)?)
    }
}

impl Trained {
    /// A copy of the trained network with its weights frozen.
    pub fn to_loaded(&self) -> Result<LoadedModel, NnError> {
        let shape = self.sidecar.input_shape;
        let mut model =
            LoadedModel::from_tensors(&self.sidecar.arch, shape, varmap_tensors(&self.varmap)?)?;
        model.sidecar = Some(self.sidecar.clone());
        Ok(model)
    }
}

/// Refuses a tensor map with a missing, misshapen or unexpected tensor.
fn check_tensor_map(
    expected: &std::collections::BTreeMap<String, Vec<usize>>,
    tensors: &TensorMap,
) -> Result<(), NnError> {
    let file = std::path::PathBuf::from("<tensors in memory>");
    for (name, dims) in expected {
        let found = tensors.get(name).ok_or_else(|| NnError::MissingTensor {
            file: file.clone(),
            name: name.clone(),
            expected: dims.clone(),
        })?;
        if found.dims() != dims.as_slice() {
            return Err(NnError::WrongShape {
                file,
                name: name.clone(),
                expected: dims.clone(),
                found: found.dims().to_vec(),
            });
        }
    }
    match tensors
        .iter()
        .find(|(name, _)| !expected.contains_key(*name))
    {
        Some((name, t)) => Err(NnError::ExtraTensor {
            file,
            name: name.clone(),
            found: t.dims().to_vec(),
        }),
        None => Ok(()),
    }
}
