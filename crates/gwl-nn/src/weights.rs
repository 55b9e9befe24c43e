//! Weights on disk: safetensors files written atomically and read strictly.
//!
//! Reading checks the file against the tensors [`build`](crate::build) asks
//! for: every one present, of a float dtype, of the expected shape, and
//! nothing else in the file. f32 is the native type; f16, bf16 and f64
//! tensors are converted to f32 on load, since a PyTorch export may carry any
//! of them. A batch norm's `num_batches_tracked` counter, which PyTorch writes
//! into every state dict but which plays no part in inference, is skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use safetensors::{Dtype, SafeTensors};

use crate::{build, Arch, InputShape, NnError};

/// Named tensors in name order.
pub type TensorMap = BTreeMap<String, Tensor>;

/// Writes the variables of `varmap` to `path` as f32 safetensors.
pub fn save_safetensors(varmap: &VarMap, path: &Path) -> Result<(), NnError> {
    save_tensors(&varmap_tensors(varmap)?, path)
}

/// A detached copy of every variable of `varmap`.
pub fn varmap_tensors(varmap: &VarMap) -> Result<TensorMap, NnError> {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let copy = |(name, var): (&String, &candle_core::Var)| {
        Ok((name.clone(), var.as_detached_tensor().copy()?))
    };
    vars.iter().map(copy).collect()
}

/// Writes `tensors` (converted to f32) to `path`. The bytes go to a
/// temporary file beside `path` that is renamed over it once complete, so a
/// crash never leaves a truncated file under the final name.
pub fn save_tensors(tensors: &TensorMap, path: &Path) -> Result<(), NnError> {
    let mut blobs = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let values = tensor
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        blobs.push((name.as_str(), tensor.dims().to_vec(), bytes));
    }
    let views = blobs.iter().map(|(name, dims, bytes)| {
        let view = safetensors::tensor::TensorView::new(Dtype::F32, dims.clone(), bytes)
            .expect("byte length matches the shape by construction");
        (*name, view)
    });
    let data = safetensors::serialize(views, None).map_err(|source| NnError::Safetensors {
        file: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, &data)
}

/// Writes `data` to `path` through a temporary file in the same directory.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), NnError> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, data).map_err(|e| NnError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        NnError::io(path, e)
    })
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Names and shapes of every tensor the network `arch` needs, found by
/// building it once over an empty [`VarMap`].
pub fn expected_tensors(
    arch: &Arch,
    shape: InputShape,
) -> Result<BTreeMap<String, Vec<usize>>, NnError> {
    let varmap = VarMap::new();
    build(
        arch,
        shape,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )?;
    let vars = varmap.data().lock().expect("var map lock poisoned");
    Ok(vars
        .iter()
        .map(|(name, var)| (name.clone(), var.dims().to_vec()))
        .collect())
}

/// Reads the weights of `arch` from the safetensors file `path`, refusing a
/// file with a missing, misshapen, non-float or unexpected tensor. The error
/// names the first offending tensor in name order.
pub fn load_weights(arch: &Arch, shape: InputShape, path: &Path) -> Result<TensorMap, NnError> {
    let bytes = std::fs::read(path).map_err(|e| NnError::io(path, e))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|source| NnError::Safetensors {
        file: path.to_path_buf(),
        source,
    })?;
    let expected = expected_tensors(arch, shape)?;
    let mut tensors = TensorMap::new();
    for (name, dims) in &expected {
        tensors.insert(name.clone(), read_tensor(&file, name, dims, path)?);
    }
    check_no_extra(&file, &expected, path)?;
    Ok(tensors)
}

fn read_tensor(
    file: &SafeTensors,
    name: &str,
    expected: &[usize],
    path: &Path,
) -> Result<Tensor, NnError> {
    let view = file.tensor(name).map_err(|_| NnError::MissingTensor {
        file: path.to_path_buf(),
        name: name.to_string(),
        expected: expected.to_vec(),
    })?;
    if view.shape() != expected {
        return Err(NnError::WrongShape {
            file: path.to_path_buf(),
            name: name.to_string(),
            expected: expected.to_vec(),
            found: view.shape().to_vec(),
        });
    }
    let dtype = match view.dtype() {
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        other => {
            return Err(NnError::WrongDtype {
                file: path.to_path_buf(),
                name: name.to_string(),
                found: format!("{other:?}").to_lowercase(),
            })
        }
    };
    let tensor = Tensor::from_raw_buffer(view.data(), dtype, expected, &Device::Cpu)?;
    Ok(tensor.to_dtype(DType::F32)?)
}

fn check_no_extra(
    file: &SafeTensors,
    expected: &BTreeMap<String, Vec<usize>>,
    path: &Path,
) -> Result<(), NnError> {
    let mut names = file.names();
    names.sort();
    for name in names {
        if expected.contains_key(name) || is_batch_counter(name, expected) {
            continue;
        }
        let found = file
            .tensor(name)
            .map(|v| v.shape().to_vec())
            .unwrap_or_default();
        return Err(NnError::ExtraTensor {
            file: path.to_path_buf(),
            name: name.to_string(),
            found,
        });
    }
    Ok(())
}

/// Whether `name` is PyTorch's `num_batches_tracked` of a batch norm we load.
fn is_batch_counter(name: &str, expected: &BTreeMap<String, Vec<usize>>) -> bool {
    match name.strip_suffix("num_batches_tracked") {
        Some(prefix) => expected.contains_key(&format!("{prefix}running_mean")),
        None => false,
    }
}
