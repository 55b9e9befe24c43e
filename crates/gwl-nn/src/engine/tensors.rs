//! The weights an engine is built from: a name -> (shape, values) map that
//! remembers which tensors were taken, so that missing, misshapen and unused
//! tensors are all reported by name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::error::EngineError;

/// One tensor in row-major order with its shape.
pub type TensorData = (Vec<usize>, Vec<f32>);

/// Tensors by name, with the names already taken.
#[derive(Debug)]
pub(crate) struct TensorStore {
    source_name: String,
    tensors: BTreeMap<String, TensorData>,
    taken: BTreeSet<String>,
    /// When set, `take` hands out zeros of the expected shape and records the
    /// request instead of reading `tensors`: a dry run listing what an
    /// architecture needs.
    recorded: Option<Vec<(String, Vec<usize>)>>,
}

impl TensorStore {
    pub(crate) fn from_map(tensors: BTreeMap<String, TensorData>) -> Result<Self, EngineError> {
        let source_name = "<memory>".to_string();
        for (name, (shape, values)) in &tensors {
            let expected: usize = shape.iter().product();
            if expected != values.len() {
                return Err(EngineError::Length {
                    source_name,
                    name: name.clone(),
                    shape: shape.clone(),
                    expected,
                    found: values.len(),
                });
            }
        }
        Ok(Self {
            source_name,
            tensors,
            taken: BTreeSet::new(),
            recorded: None,
        })
    }

    pub(crate) fn from_safetensors(path: &Path) -> Result<Self, EngineError> {
        let bytes = std::fs::read(path).map_err(|io| EngineError::Io {
            path: path.to_path_buf(),
            io,
        })?;
        let file = SafeTensors::deserialize(&bytes).map_err(|e| EngineError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let source_name = path.display().to_string();
        let mut tensors = BTreeMap::new();
        for (name, view) in file.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(EngineError::Dtype {
                    source_name,
                    name,
                    dtype: format!("{:?}", view.dtype()),
                });
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.insert(name, (view.shape().to_vec(), values));
        }
        Ok(Self {
            source_name,
            tensors,
            taken: BTreeSet::new(),
            recorded: None,
        })
    }

    pub(crate) fn recorder() -> Self {
        Self {
            source_name: "<dry run>".to_string(),
            tensors: BTreeMap::new(),
            taken: BTreeSet::new(),
            recorded: Some(Vec::new()),
        }
    }

    pub(crate) fn take_recorded(&mut self) -> Vec<(String, Vec<usize>)> {
        self.recorded.take().unwrap_or_default()
    }

    /// The values of tensor `name`, which must have shape `expected`.
    pub(crate) fn take(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>, EngineError> {
        if let Some(recorded) = &mut self.recorded {
            recorded.push((name.to_string(), expected.to_vec()));
            return Ok(vec![0.0; expected.iter().product()]);
        }
        let Some((shape, values)) = self.tensors.get(name) else {
            return Err(EngineError::Missing {
                source_name: self.source_name.clone(),
                name: name.to_string(),
                expected: expected.to_vec(),
            });
        };
        if shape != expected {
            return Err(EngineError::Shape {
                source_name: self.source_name.clone(),
                name: name.to_string(),
                expected: expected.to_vec(),
                found: shape.clone(),
            });
        }
        self.taken.insert(name.to_string());
        Ok(values.clone())
    }

    /// Fails on the first tensor nobody took. PyTorch's batch-norm step
    /// counter carries no weight, so it is allowed to stay behind.
    pub(crate) fn finish(self) -> Result<(), EngineError> {
        let unused = self.tensors.iter().find(|(name, _)| {
            !self.taken.contains(name.as_str()) && !name.ends_with(".num_batches_tracked")
        });
        match unused {
            Some((name, (shape, _))) => Err(EngineError::Unused {
                source_name: self.source_name.clone(),
                name: name.clone(),
                found: shape.clone(),
            }),
            None => Ok(()),
        }
    }
}
