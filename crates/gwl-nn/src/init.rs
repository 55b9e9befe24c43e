//! Seeded initialisation of a network's parameters.
//!
//! candle draws its initial weights from an unseeded thread RNG, so a
//! network built over a [`VarMap`] is overwritten here, tensor by tensor in
//! name order, from one ChaCha8 stream. Weights and biases follow PyTorch's
//! default for linear and convolution layers, uniform in +-1/sqrt(fan_in);
//! batch norms start as the identity (weight 1, bias 0, running mean 0,
//! running variance 1).

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::NnError;

/// Overwrites every variable of `varmap` from a ChaCha8 stream seeded by `seed`.
pub fn init_seeded(varmap: &VarMap, seed: u64) -> Result<(), NnError> {
    let vars = varmap.data().lock().expect("var map lock poisoned").clone();
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for name in names {
        let var = &vars[name];
        let dims = var.dims().to_vec();
        let values = match rule(name, &dims, &vars)? {
            Rule::Const(value) => vec![value; var.elem_count()],
            Rule::Uniform(bound) => (0..var.elem_count())
                .map(|_| rng.random_range(-bound..bound))
                .collect(),
        };
        var.set(&Tensor::from_vec(values, dims, &Device::Cpu)?)?;
    }
    Ok(())
}

enum Rule {
    Const(f32),
    Uniform(f32),
}

/// How the tensor `name` starts, judged from its name and its weight's rank
/// (batch norm weights are vectors, linear and convolution weights are not).
fn rule(
    name: &str,
    dims: &[usize],
    vars: &std::collections::HashMap<String, candle_core::Var>,
) -> Result<Rule, NnError> {
    let (prefix, leaf) = name.rsplit_once('.').unwrap_or(("", name));
    let sibling = |leaf: &str| {
        let key = if prefix.is_empty() {
            leaf.to_string()
        } else {
            format!("{prefix}.{leaf}")
        };
        vars.get(&key).map(|v| v.dims().to_vec())
    };
    let fan_in_bound = |weight_dims: &[usize]| {
        let fan_in: usize = weight_dims[1..].iter().product();
        1.0 / (fan_in.max(1) as f32).sqrt()
    };
    match leaf {
        "running_mean" => Ok(Rule::Const(0.0)),
        "running_var" => Ok(Rule::Const(1.0)),
        "weight" if dims.len() == 1 => Ok(Rule::Const(1.0)),
        "weight" => Ok(Rule::Uniform(fan_in_bound(dims))),
        "bias" => match sibling("weight") {
            Some(w) if w.len() == 1 => Ok(Rule::Const(0.0)),
            Some(w) => Ok(Rule::Uniform(fan_in_bound(&w))),
            None => Err(NnError::bad_arch(format!(
                "bias `{name}` has no weight beside it"
            ))),
        },
        _ => Err(NnError::bad_arch(format!(
            "no initialisation rule for tensor `{name}`"
        ))),
    }
}
