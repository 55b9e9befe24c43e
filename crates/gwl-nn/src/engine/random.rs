//! Random weights for any architecture, for tests and benchmarks.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::build::expected_shapes;
use super::error::EngineError;
use super::tensors::TensorData;
use crate::arch::{Arch, InputShape};

/// Every tensor `arch` needs for inputs of `shape`, name -> shape.
pub fn tensor_shapes(
    arch: &Arch,
    shape: InputShape,
) -> Result<Vec<(String, Vec<usize>)>, EngineError> {
    expected_shapes(arch, shape)
}

/// Random tensors for `arch`, seeded with ChaCha8: weights and biases
/// uniform in `±1/sqrt(fan_in)` (PyTorch's default scale), batch norms with
/// scales, shifts, means in plausible ranges and variances in `[0.5, 1.5]`,
/// so folding them is exercised with values far from the identity.
pub fn random_tensors(
    arch: &Arch,
    shape: InputShape,
    seed: u64,
) -> Result<BTreeMap<String, TensorData>, EngineError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let shapes = expected_shapes(arch, shape)?;
    let fan_in: BTreeMap<&str, usize> = shapes
        .iter()
        .filter(|(name, dims)| name.ends_with(".weight") && dims.len() >= 2)
        .map(|(name, dims)| (name.trim_end_matches(".weight"), dims[1..].iter().product()))
        .collect();
    let mut tensors = BTreeMap::new();
    for (name, dims) in &shapes {
        let (layer, field) = name.rsplit_once('.').unwrap_or(("", name.as_str()));
        let (lo, hi) = match (fan_in.get(layer), field) {
            (Some(&fan), _) => {
                let bound = 1.0 / (fan.max(1) as f32).sqrt();
                (-bound, bound)
            }
            (None, "weight" | "running_var") => (0.5, 1.5),
            (None, _) => (-0.5, 0.5),
        };
        let values = (0..dims.iter().product())
            .map(|_| rng.random_range(lo..hi))
            .collect();
        tensors.insert(name.clone(), (dims.clone(), values));
    }
    Ok(tensors)
}
