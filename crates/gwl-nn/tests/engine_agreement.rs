//! The fast engine reads the files this crate writes and computes what the
//! candle adapter computes: the tensor-name contract of `arch.rs`, checked
//! end to end from both sides.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use gwl_core::Model;
use gwl_nn::{
    build, init_seeded, save_tensors, varmap_tensors, Arch, CandleModel, Engine, InputShape,
    LoadedModel, Stage,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Writes a seeded network with batch-norm statistics away from the
/// identity, and returns the path's directory guard.
fn saved_network(
    arch: &Arch,
    shape: InputShape,
    seed: u64,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let varmap = VarMap::new();
    build(
        arch,
        shape,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    init_seeded(&varmap, seed).unwrap();
    let mut tensors = varmap_tensors(&varmap).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (name, tensor) in tensors.iter_mut() {
        let (lo, hi) = match name.rsplit_once('.').map(|(_, leaf)| leaf) {
            Some("running_var") => (0.5, 2.0),
            Some("running_mean") => (-0.3, 0.3),
            _ => continue,
        };
        let values: Vec<f32> = (0..tensor.elem_count())
            .map(|_| rng.random_range(lo..hi))
            .collect();
        *tensor = Tensor::from_vec(values, tensor.dims(), &Device::Cpu).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    save_tensors(&tensors, &path).unwrap();
    (dir, path)
}

fn check_agreement(arch: &Arch, side: usize) {
    let shape = InputShape::image(side, side);
    let (_dir, path) = saved_network(arch, shape, 3);
    let candle = CandleModel::new(LoadedModel::from_safetensors(arch, shape, &path).unwrap());
    let engine = Engine::from_safetensors(arch, shape, &path).unwrap();

    let (n, d) = (6, shape.len());
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let inputs: Vec<u8> = (0..n * d).map(|_| u8::from(rng.random_bool(0.3))).collect();
    let (mut want_out, mut want_grad) = (vec![0.0; n], vec![0.0f32; n * d]);
    candle
        .forward_grad(&inputs, &mut want_out, &mut want_grad)
        .unwrap();
    let (mut out, mut grad) = (vec![0.0; n], vec![0.0f32; n * d]);
    engine.forward_grad(&inputs, &mut out, &mut grad).unwrap();

    // Both sum the same f32 products in different orders: agreement to a
    // few parts in 1e5 of the largest magnitude involved.
    let out_scale = want_out.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (a, b) in out.iter().zip(&want_out) {
        assert!(
            (a - b).abs() <= 1e-4 * out_scale,
            "{arch:?}: output {a} vs {b}"
        );
    }
    let grad_scale = want_grad.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (a, b) in grad.iter().zip(&want_grad) {
        assert!(
            (a - b).abs() <= 1e-4 * grad_scale,
            "{arch:?}: gradient {a} vs {b}"
        );
    }
}

#[test]
fn engine_matches_the_candle_mlp() {
    check_agreement(
        &Arch::Mlp {
            hidden: vec![16, 8],
        },
        5,
    );
}

#[test]
fn engine_matches_the_candle_cnn() {
    check_agreement(
        &Arch::Cnn {
            channels: [4, 6],
            hidden: 8,
        },
        5,
    );
    check_agreement(
        &Arch::Cnn {
            channels: [4, 6],
            hidden: 8,
        },
        8,
    );
}

#[test]
fn engine_matches_the_candle_resnet() {
    let arch = Arch::ResNet {
        stem: 4,
        stages: vec![
            Stage {
                channels: 4,
                blocks: 1,
            },
            Stage {
                channels: 6,
                blocks: 1,
            },
        ],
    };
    check_agreement(&arch, 7);
}
