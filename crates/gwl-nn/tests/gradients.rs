//! Input gradients from candle's autograd against central finite differences
//! of the same network, and the `Model` adapter against both.
//!
//! The gradient under test is the f32 one the adapter uses. The finite
//! differences are taken on the same weights in f64 with step 1e-6: the
//! networks are piecewise linear in their input (relu, max pool, batch norm
//! in eval mode, linear maps), so a central difference is exact unless a
//! relu or pooling switch lies within the step, and at 1e-6 none does at
//! these seeded points. (An f32 difference needs a step near 1e-2 to rise
//! above rounding, and at that step switches along a random direction moved
//! the CNN's difference by 1.6% from the derivative on either side of the
//! switch, so it cannot separate a subtle backward bug from a kink.) What is
//! left is the f32 rounding of the gradient itself, ~1e-6 relative per
//! operation; we accept |fd - grad| <= 1e-3 * max(|fd|, |grad|) + 1e-5 *
//! max|grad|, far above that rounding and far below any error of a backward
//! pass: candle's own max-pool backward, which this crate replaces, was off
//! by a factor of 4 per pooling layer.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use gwl_core::Model;
use gwl_nn::{
    build, init_seeded, input_gradients, varmap_tensors, Arch, CandleModel, InputShape, Layer,
    LoadedModel, Net, Stage, TensorMap,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const STEP: f64 = 1e-6;
const SIDE: usize = 8;
const D: usize = SIDE * SIDE;

/// A randomly initialised network; batch norms get running statistics and
/// affine parameters away from the identity so that they matter.
fn random_model(arch: &Arch, seed: u64) -> LoadedModel {
    random_model_at(arch, SIDE, seed)
}

fn random_model_at(arch: &Arch, side: usize, seed: u64) -> LoadedModel {
    let shape = InputShape::image(side, side);
    LoadedModel::from_tensors(arch, shape, random_weights(arch, shape, seed)).unwrap()
}

/// The same network as [`random_model`] computing in f64.
fn random_model_f64(arch: &Arch, side: usize, seed: u64) -> Box<dyn Net> {
    let shape = InputShape::image(side, side);
    let tensors = random_weights(arch, shape, seed)
        .into_iter()
        .map(|(name, t)| (name, t.to_dtype(DType::F64).unwrap()))
        .collect();
    build(
        arch,
        shape,
        VarBuilder::from_tensors(tensors, DType::F64, &Device::Cpu),
    )
    .unwrap()
}

fn random_weights(arch: &Arch, shape: InputShape, seed: u64) -> TensorMap {
    let varmap = VarMap::new();
    build(
        arch,
        shape,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    init_seeded(&varmap, seed).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
    let mut tensors = varmap_tensors(&varmap).unwrap();
    for (name, tensor) in tensors.iter_mut() {
        let (lo, hi) = if name.ends_with("running_var") {
            (0.5, 2.0)
        } else if name.ends_with("running_mean") || (name.contains("bn") && name.ends_with("bias"))
        {
            (-0.3, 0.3)
        } else if name.contains("bn") && name.ends_with("weight") {
            (0.5, 1.5)
        } else {
            continue;
        };
        let values: Vec<f32> = (0..tensor.elem_count())
            .map(|_| rng.random_range(lo..hi))
            .collect();
        *tensor = Tensor::from_vec(values, tensor.dims(), &Device::Cpu).unwrap();
    }
    tensors
}

fn logit(net: &dyn Net, x: &[f64]) -> f64 {
    let side = (x.len() as f64).sqrt() as usize;
    let xs = Tensor::from_vec(x.to_vec(), (1, 1, side, side), &Device::Cpu).unwrap();
    net.forward_t(&xs, false).unwrap().to_vec1::<f64>().unwrap()[0]
}

fn central_difference(model: &dyn Net, x: &[f64], direction: &[f64]) -> f64 {
    let shifted = |sign: f64| -> Vec<f64> {
        x.iter()
            .zip(direction)
            .map(|(a, u)| a + sign * STEP * u)
            .collect()
    };
    (logit(model, &shifted(1.0)) - logit(model, &shifted(-1.0))) / (2.0 * STEP)
}

fn assert_close(what: &str, fd: f64, grad: f64, scale: f64) {
    let tolerance = 1e-3 * fd.abs().max(grad.abs()) + 1e-5 * scale;
    assert!(
        (fd - grad).abs() <= tolerance,
        "{what}: finite difference {fd} vs autograd {grad}"
    );
}

/// Checks 3 random continuous points: the derivative along 3 random unit
/// directions, and along the 5 coordinates with the largest gradient.
fn check_gradients(arch: &Arch, side: usize, seed: u64) {
    let d = side * side;
    let model = random_model_at(arch, side, seed);
    let exact = random_model_f64(arch, side, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for point in 0..3 {
        let x: Vec<f64> = (0..d).map(|_| rng.random_range(0.0..1.0)).collect();
        let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let xs = Tensor::from_vec(xs, (1, 1, side, side), &Device::Cpu).unwrap();
        let (_, grad) = input_gradients(model.net.as_ref(), &xs).unwrap();
        let grad: Vec<f64> = grad
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        assert!(
            scale > 0.0,
            "{arch:?}: the gradient vanishes at point {point}"
        );

        for dir in 0..3 {
            let u: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
            let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
            let u: Vec<f64> = u.iter().map(|v| v / norm).collect();
            let along: f64 = grad.iter().zip(&u).map(|(g, v)| g * v).sum();
            let fd = central_difference(exact.as_ref(), &x, &u);
            assert_close(
                &format!("{arch:?} point {point} direction {dir}"),
                fd,
                along,
                scale,
            );
        }

        let mut coords: Vec<usize> = (0..d).collect();
        coords.sort_by(|&a, &b| grad[b].abs().total_cmp(&grad[a].abs()));
        for &i in &coords[..5] {
            let mut e = vec![0.0; d];
            e[i] = 1.0;
            let fd = central_difference(exact.as_ref(), &x, &e);
            assert_close(
                &format!("{arch:?} point {point} coordinate {i}"),
                fd,
                grad[i],
                scale,
            );
        }
    }
}

/// Max and average pooling with windows that overlap (stride < kernel) or
/// leave rows over (5 = 2 * 2 + 1), where candle's own pooling backward is
/// wrong or refuses.
#[test]
fn sequential_pooling_gradients_match_finite_differences() {
    let arch = Arch::Sequential {
        layers: vec![
            Layer::Conv2d {
                in_channels: 1,
                out_channels: 3,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            Layer::Relu,
            Layer::MaxPool2d {
                kernel: 3,
                stride: Some(2),
            },
            Layer::AvgPool2d {
                kernel: 2,
                stride: Some(1),
            },
            Layer::Flatten,
            Layer::Linear {
                in_features: 3,
                out_features: 1,
            },
        ],
    };
    // 5x5 -> max pool 3 stride 2 -> 2x2 -> avg pool 2 stride 1 -> 1x1.
    check_gradients(&arch, 5, 10);
}

fn mlp() -> Arch {
    Arch::Mlp {
        hidden: vec![16, 8],
    }
}

fn cnn() -> Arch {
    Arch::Cnn {
        channels: [4, 6],
        hidden: 8,
    }
}

fn resnet() -> Arch {
    Arch::ResNet {
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
    }
}

#[test]
fn mlp_input_gradients_match_finite_differences() {
    check_gradients(&mlp(), SIDE, 1);
}

#[test]
fn cnn_input_gradients_match_finite_differences() {
    check_gradients(&cnn(), SIDE, 2);
    // 5 is not a multiple of the pooling windows: 5 -> 2 -> 1.
    check_gradients(&cnn(), 5, 13);
}

#[test]
fn resnet_input_gradients_match_finite_differences() {
    check_gradients(&resnet(), SIDE, 3);
    // Odd sides through the stride-2 convolutions: 7 -> 4.
    check_gradients(&resnet(), 7, 8);
}

fn binary_inputs(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * D).map(|_| u8::from(rng.random_bool(0.3))).collect()
}

/// The adapter returns the network's own logits and gradients, whatever its
/// batch size, and `forward` agrees with `forward_grad`.
#[test]
fn candle_model_matches_the_network_at_any_batch_size() {
    for arch in [mlp(), cnn(), resnet()] {
        let n = 7;
        let inputs = binary_inputs(n, 9);
        let xs: Vec<f32> = inputs.iter().map(|&v| f32::from(v)).collect();
        let xs = Tensor::from_vec(xs, (n, 1, SIDE, SIDE), &Device::Cpu).unwrap();
        let reference = random_model(&arch, 4);
        let (want_logits, want_grads) = input_gradients(reference.net.as_ref(), &xs).unwrap();
        let want_logits = want_logits.to_vec1::<f32>().unwrap();
        let want_grads = want_grads.flatten_all().unwrap().to_vec1::<f32>().unwrap();

        for batch_size in [1, 3, 256] {
            let model = CandleModel::new(random_model(&arch, 4)).with_batch_size(batch_size);
            let (mut outputs, mut grads) = (vec![0.0; n], vec![0.0f32; n * D]);
            model
                .forward_grad(&inputs, &mut outputs, &mut grads)
                .unwrap();
            let mut forward_only = vec![0.0; n];
            model.forward(&inputs, &mut forward_only).unwrap();
            for i in 0..n {
                // Batches of different size may sum in a different order.
                let tolerance = 1e-5 * (1.0 + f64::from(want_logits[i]).abs());
                assert!(
                    (outputs[i] - f64::from(want_logits[i])).abs() <= tolerance,
                    "{arch:?}"
                );
                assert!(
                    (forward_only[i] - outputs[i]).abs() <= tolerance,
                    "{arch:?}"
                );
            }
            for (g, w) in grads.iter().zip(&want_grads) {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "{arch:?}: {g} vs {w}"
                );
            }
        }
    }
}

/// With K levels the network sees `v / (K - 1)` and the gradient is taken
/// with respect to that value.
#[test]
fn candle_model_scales_grey_levels_to_the_unit_interval() {
    let levels = 5u8;
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let inputs: Vec<u8> = (0..2 * D).map(|_| rng.random_range(0..levels)).collect();
    let model = CandleModel::with_levels(random_model(&mlp(), 5), levels).unwrap();
    assert_eq!((model.levels(), model.input_len()), (levels, D));
    let (mut outputs, mut grads) = (vec![0.0; 2], vec![0.0f32; 2 * D]);
    model
        .forward_grad(&inputs, &mut outputs, &mut grads)
        .unwrap();

    let values: Vec<f32> = inputs
        .iter()
        .map(|&v| f32::from(v) / f32::from(levels - 1))
        .collect();
    let xs = Tensor::from_vec(values, (2, 1, SIDE, SIDE), &Device::Cpu).unwrap();
    let (logits, grad) = input_gradients(model.model().net.as_ref(), &xs).unwrap();
    let logits = logits.to_vec1::<f32>().unwrap();
    assert_eq!(
        outputs,
        logits.iter().map(|&l| f64::from(l)).collect::<Vec<_>>()
    );
    assert_eq!(grads, grad.flatten_all().unwrap().to_vec1::<f32>().unwrap());
}

#[test]
fn candle_model_refuses_mismatched_buffers() {
    let model = CandleModel::new(random_model(&mlp(), 6));
    let inputs = binary_inputs(2, 1);
    let mut outputs = vec![0.0; 3];
    assert!(model.forward(&inputs, &mut outputs).is_err());
    let (mut outputs, mut grads) = (vec![0.0; 2], vec![0.0f32; D]);
    assert!(model
        .forward_grad(&inputs, &mut outputs, &mut grads)
        .is_err());
    assert!(CandleModel::with_levels(random_model(&mlp(), 6), 1).is_err());
}
