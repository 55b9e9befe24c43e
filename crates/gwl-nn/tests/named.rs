//! The named models of the experiments, their cache keys, the seeded
//! initialisation and the loss.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use gwl_nn::{
    bce_with_logits, build, expected_tensors, init_seeded, named_model, spec_hash, varmap_tensors,
    Arch, InputShape, MODEL_NAMES,
};

#[test]
fn every_named_model_builds_for_its_input() {
    for name in MODEL_NAMES {
        let model = named_model(name).unwrap();
        assert_eq!(model.name, *name);
        assert_eq!(model.shape.height, model.prep.side);
        expected_tensors(&model.arch, model.shape).unwrap();
    }
    assert!(named_model("mlp-7").is_none());
    assert!(named_model("resnet-4").is_none());
}

#[test]
fn spec_hashes_tell_specs_apart_and_stay_put() {
    let hashes: Vec<String> = MODEL_NAMES
        .iter()
        .map(|n| named_model(n).unwrap().spec_hash())
        .collect();
    let mut unique = hashes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), hashes.len());

    let model = named_model("mlp-4").unwrap();
    let mut config = model.config.clone();
    assert_eq!(
        spec_hash(&model.arch, model.shape, &config, &model.prep),
        hashes[3]
    );
    config.seed += 1;
    assert_ne!(
        spec_hash(&model.arch, model.shape, &config, &model.prep),
        hashes[3]
    );
    assert_eq!(hashes[3].len(), 64);
}

fn seeded_values(seed: u64) -> Vec<Vec<f32>> {
    let arch = Arch::Cnn {
        channels: [2, 3],
        hidden: 4,
    };
    let varmap = VarMap::new();
    build(
        &arch,
        InputShape::image(4, 4),
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    init_seeded(&varmap, seed).unwrap();
    varmap_tensors(&varmap)
        .unwrap()
        .values()
        .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
        .collect()
}

#[test]
fn initialisation_follows_the_seed_and_pytorch_bounds() {
    let a = seeded_values(1);
    assert_eq!(a, seeded_values(1));
    assert_ne!(a, seeded_values(2));
    // Name order: conv1.bias, conv1.weight, conv2.bias, ... ; conv1 has fan-in 9.
    let bound = 1.0 / 3.0;
    assert!(a[1].iter().all(|w| w.abs() <= bound) && a[1].iter().any(|w| w.abs() > bound / 2.0));
}

#[test]
fn bce_with_logits_is_exact_for_large_logits() {
    let logits = Tensor::new(&[-100.0f32, -2.0, 0.0, 3.0, 100.0], &Device::Cpu).unwrap();
    let targets = Tensor::new(&[0.0f32, 1.0, 1.0, 0.0, 0.0], &Device::Cpu).unwrap();
    let loss = bce_with_logits(&logits, &targets)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    // ln(1 + e^x) for a target of 0, ln(1 + e^-x) for a target of 1, in f64.
    let terms = [
        (-100.0f64, 0.0),
        (-2.0, 1.0),
        (0.0, 1.0),
        (3.0, 0.0),
        (100.0, 0.0),
    ];
    let expected: f64 = terms
        .iter()
        .map(|&(x, y)| {
            if y == 1.0 {
                (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        })
        .sum::<f64>()
        / 5.0;
    assert!(
        (f64::from(loss) - expected).abs() < 1e-5 * expected,
        "{loss} vs {expected}"
    );
}
