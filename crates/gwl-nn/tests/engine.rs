//! The inference engine against candle: outputs and input gradients equal
//! candle's autograd to f32 rounding on the networks of the experiments and
//! on random Sequential specs; incremental updates equal full evaluation.
//!
//! Tolerance: the engine folds batch norms and sums in a different order, so
//! results differ from candle's by f32 rounding only; we allow 1e-4 of the
//! largest magnitude in the compared vector plus 1e-6.

use std::collections::BTreeMap;

use gwl_core::{Change, Model};
use gwl_nn::engine::candle_ref::CandleReference;
use gwl_nn::engine::{random_tensors, tensor_shapes, TensorData};
use gwl_nn::{Arch, Engine, EngineError, InputShape, Layer, Stage};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn assert_close(what: &str, engine: &[f32], reference: &[f32]) {
    assert_eq!(engine.len(), reference.len(), "{what}: lengths differ");
    let scale = reference.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let tol = 1e-4 * scale + 1e-6;
    for (i, (a, b)) in engine.iter().zip(reference).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: engine {a}, candle {b}, tolerance {tol}"
        );
    }
}

fn mlp() -> Arch {
    Arch::Mlp {
        hidden: vec![128, 64],
    }
}

fn cnn(channels: [usize; 2], hidden: usize) -> Arch {
    Arch::Cnn { channels, hidden }
}

fn resnet() -> Arch {
    let stages = vec![
        Stage {
            channels: 8,
            blocks: 1,
        },
        Stage {
            channels: 16,
            blocks: 1,
        },
    ];
    Arch::ResNet { stem: 8, stages }
}

/// Binary inputs (what the samplers feed) and uniform real inputs.
fn inputs(d: usize, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * d)
        .map(|i| {
            if i < n * d / 2 {
                rng.random_range(0..2u8) as f32
            } else {
                rng.random::<f32>()
            }
        })
        .collect()
}

fn check_against_candle(arch: &Arch, shape: InputShape, n: usize, seed: u64) {
    let tensors = random_tensors(arch, shape, seed).unwrap();
    let engine = Engine::from_tensors(arch, shape, tensors.clone()).unwrap();
    let reference = CandleReference::new(arch, shape, &tensors).unwrap();
    let xs = inputs(shape.len(), n, seed + 1);
    let (ref_out, ref_grad) = reference.forward_grad(&xs).unwrap();

    let mut out = vec![0.0; n];
    engine.forward_values(&xs, &mut out);
    assert_close("forward", &out, &ref_out);

    let (mut out, mut grad) = (vec![0.0; n], vec![0.0; xs.len()]);
    engine.forward_grad_values(&xs, &mut out, &mut grad);
    assert_close("forward_grad output", &out, &ref_out);
    assert_close("input gradient", &grad, &ref_grad);
}

#[test]
fn mlp_matches_candle() {
    check_against_candle(&mlp(), InputShape::image(28, 28), 6, 1);
}

#[test]
fn cnn_matches_candle() {
    check_against_candle(&cnn([8, 16], 32), InputShape::image(28, 28), 6, 2);
}

#[test]
fn cnn_of_the_experiments_matches_candle() {
    check_against_candle(&cnn([16, 32], 64), InputShape::image(28, 28), 4, 3);
}

#[test]
fn resnet_matches_candle() {
    check_against_candle(&resnet(), InputShape::image(28, 28), 4, 4);
}

#[test]
fn toy_sizes_match_candle() {
    check_against_candle(&cnn([4, 8], 16), InputShape::image(5, 5), 9, 5);
    check_against_candle(
        &Arch::Mlp { hidden: vec![16] },
        InputShape::image(4, 4),
        9,
        6,
    );
    check_against_candle(&resnet(), InputShape::image(5, 5), 3, 7);
}

/// The gradient against central differences of the engine's own outputs,
/// independent of candle: on a real-valued input, relu kinks are unlikely
/// within a step of 1e-3, and f32 outputs of size ~1 have differences
/// accurate to ~1e-4 at that step.
#[test]
fn gradient_matches_finite_differences() {
    let (arch, shape) = (cnn([4, 8], 16), InputShape::image(6, 6));
    let engine =
        Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 8).unwrap()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x: Vec<f32> = (0..shape.len()).map(|_| rng.random::<f32>()).collect();
    let (mut out, mut grad) = (vec![0.0], vec![0.0; x.len()]);
    engine.forward_grad_values(&x, &mut out, &mut grad);
    let h = 1e-3;
    let scale = grad.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    for i in 0..x.len() {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        let (mut fu, mut fd) = ([0.0], [0.0]);
        engine.forward_values(&up, &mut fu);
        engine.forward_values(&down, &mut fd);
        let fdiff = (fu[0] - fd[0]) / (2.0 * h);
        assert!(
            (fdiff - grad[i]).abs() <= 2e-2 * scale + 1e-3,
            "coordinate {i}: {fdiff} vs {}",
            grad[i]
        );
    }
}

#[test]
fn model_trait_reads_levels_as_values() {
    let (arch, shape) = (cnn([4, 8], 16), InputShape::image(5, 5));
    let tensors = random_tensors(&arch, shape, 10).unwrap();
    let engine = Engine::from_tensors(&arch, shape, tensors)
        .unwrap()
        .with_levels(3)
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n = 7;
    let levels: Vec<u8> = (0..n * 25).map(|_| rng.random_range(0..3u8)).collect();
    let xs: Vec<f32> = levels.iter().map(|&v| v as f32 / 2.0).collect();
    let (mut want, mut want_grad) = (vec![0.0; n], vec![0.0; xs.len()]);
    engine.forward_grad_values(&xs, &mut want, &mut want_grad);

    let (mut out, mut grad) = (vec![0.0; n], vec![0.0; xs.len()]);
    engine.forward_grad(&levels, &mut out, &mut grad).unwrap();
    let out32: Vec<f32> = out.iter().map(|&o| o as f32).collect();
    assert_close("outputs", &out32, &want);
    assert_close("gradients", &grad, &want_grad);
    engine.forward(&levels, &mut out).unwrap();
    let out32: Vec<f32> = out.iter().map(|&o| o as f32).collect();
    assert_close("forward outputs", &out32, &want);
    assert_eq!(engine.levels(), 3);
    assert!(engine.forward(&levels[1..], &mut out).is_err());
}

/// Binary inputs take the column-sum path through the first linear layer;
/// it must agree with the gemm path on the same values.
#[test]
fn binary_first_layer_matches_gemm_path() {
    let (arch, shape) = (mlp(), InputShape::image(28, 28));
    let engine =
        Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 19).unwrap()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    let n = 9;
    let levels: Vec<u8> = (0..n * shape.len())
        .map(|_| rng.random_range(0..2u8))
        .collect();
    let xs: Vec<f32> = levels.iter().map(|&v| v as f32).collect();
    let (mut want, mut out) = (vec![0.0; n], vec![0.0; n]);
    engine.forward_values(&xs, &mut want);
    engine.forward(&levels, &mut out).unwrap();
    let out32: Vec<f32> = out.iter().map(|&o| o as f32).collect();
    assert_close("binary path", &out32, &want);
    assert!(
        Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 19).unwrap())
            .unwrap()
            .with_levels(1)
            .is_err()
    );
}

/// Walkers flip random coordinates many times; after every flip the
/// incremental outputs must equal a full evaluation of the new inputs.
fn check_incremental(arch: &Arch, shape: InputShape, levels: u8, seed: u64) {
    let tensors = random_tensors(arch, shape, seed).unwrap();
    let engine = Engine::from_tensors(arch, shape, tensors)
        .unwrap()
        .with_levels(levels)
        .unwrap();
    let (d, n, len) = (shape.len(), 5, engine.state_len());
    assert!(len > 0, "{arch:?} has an incremental path");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut xs: Vec<u8> = (0..n * d).map(|_| rng.random_range(0..levels)).collect();
    let (mut states, mut out) = (vec![0.0; n * len], vec![0.0; n]);
    engine
        .forward_with_state(&xs, &mut out, &mut states)
        .unwrap();
    let mut full = vec![0.0; n];
    for _ in 0..40 {
        let changes: Vec<Change> = (0..n)
            .map(|j| {
                let coord = rng.random_range(0..d);
                let old_level = xs[j * d + coord];
                xs[j * d + coord] = (old_level + rng.random_range(1..levels)) % levels;
                Change { coord, old_level }
            })
            .collect();
        engine
            .forward_changed(&xs, &changes, &mut states, &mut out)
            .unwrap();
        engine.forward(&xs, &mut full).unwrap();
        let (a, b): (Vec<f32>, Vec<f32>) = out
            .iter()
            .zip(&full)
            .map(|(&a, &b)| (a as f32, b as f32))
            .unzip();
        assert_close("incremental output", &a, &b);
    }
}

#[test]
fn incremental_linear_first_layer_matches_full_evaluation() {
    check_incremental(&mlp(), InputShape::image(28, 28), 2, 12);
    check_incremental(
        &Arch::Mlp { hidden: vec![16] },
        InputShape::image(4, 4),
        4,
        13,
    );
}

#[test]
fn incremental_conv_first_layer_matches_full_evaluation() {
    check_incremental(&cnn([8, 16], 32), InputShape::image(28, 28), 2, 14);
    check_incremental(&cnn([4, 8], 16), InputShape::image(5, 5), 3, 15);
    check_incremental(&resnet(), InputShape::image(12, 12), 2, 16);
    let strided = Arch::Sequential {
        layers: vec![
            Layer::Conv2d {
                in_channels: 1,
                out_channels: 3,
                kernel: 3,
                stride: 2,
                padding: 1,
            },
            Layer::BatchNorm2d {
                channels: 3,
                eps: 1e-5,
            },
            Layer::Relu,
            Layer::Flatten,
            Layer::Linear {
                in_features: 3 * 4 * 4,
                out_features: 1,
            },
        ],
    };
    check_incremental(&strided, InputShape::image(7, 8), 2, 17);
}

#[test]
fn state_free_networks_report_no_incremental_path() {
    let arch = Arch::Sequential {
        layers: vec![
            Layer::MaxPool2d {
                kernel: 2,
                stride: None,
            },
            Layer::Flatten,
            Layer::Linear {
                in_features: 4,
                out_features: 1,
            },
        ],
    };
    let shape = InputShape::image(4, 4);
    let engine = Engine::from_tensors(&arch, shape, random_tensors(&arch, shape, 1).unwrap());
    assert_eq!(engine.unwrap().state_len(), 0);
}

fn tensors_for(arch: &Arch, shape: InputShape) -> BTreeMap<String, TensorData> {
    random_tensors(arch, shape, 0).unwrap()
}

#[test]
fn missing_tensor_is_named() {
    let (arch, shape) = (cnn([4, 8], 16), InputShape::image(8, 8));
    let mut tensors = tensors_for(&arch, shape);
    tensors.remove("conv2.bias");
    let err = Engine::from_tensors(&arch, shape, tensors).unwrap_err();
    assert!(matches!(&err, EngineError::Missing { name, expected, .. }
            if name == "conv2.bias" && expected == &[8]));
    assert!(err.to_string().contains("conv2.bias"), "{err}");
}

#[test]
fn misshapen_tensor_is_named_with_both_shapes() {
    let (arch, shape) = (cnn([4, 8], 16), InputShape::image(8, 8));
    let mut tensors = tensors_for(&arch, shape);
    tensors.insert("fc1.weight".into(), (vec![16, 31], vec![0.0; 16 * 31]));
    let err = Engine::from_tensors(&arch, shape, tensors).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("fc1.weight") && msg.contains("[16, 31]") && msg.contains("[16, 32]"),
        "{msg}"
    );
}

#[test]
fn unused_tensor_is_named() {
    let (arch, shape) = (mlp(), InputShape::image(4, 4));
    let mut tensors = tensors_for(&arch, shape);
    tensors.insert("layers.9.weight".into(), (vec![2], vec![0.0; 2]));
    let err = Engine::from_tensors(&arch, shape, tensors).unwrap_err();
    assert!(
        matches!(&err, EngineError::Unused { name, .. } if name == "layers.9.weight"),
        "{err}"
    );
}

#[test]
fn resnet_tensor_names_follow_the_contract() {
    let names: Vec<String> = tensor_shapes(&resnet(), InputShape::image(8, 8))
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for want in [
        "stem.conv.weight",
        "stem.bn.running_var",
        "stages.0.0.conv1.weight",
        "stages.1.0.down.conv.weight",
        "stages.1.0.down.bn.bias",
        "fc.weight",
        "fc.bias",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with("stages.0.0.down")),
        "identity shortcut has weights"
    );
}

#[test]
fn safetensors_file_loads_like_memory() {
    let (arch, shape) = (resnet(), InputShape::image(6, 6));
    let tensors = tensors_for(&arch, shape);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(name, (dims, values))| {
            (
                name.clone(),
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                dims.clone(),
            )
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
        .iter()
        .map(|(name, data, dims)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, dims.clone(), data);
            (name.clone(), view.unwrap())
        })
        .collect();
    safetensors::serialize_to_file(views, None, &path).unwrap();

    let from_file = Engine::from_safetensors(&arch, shape, &path).unwrap();
    let from_memory = Engine::from_tensors(&arch, shape, tensors).unwrap();
    let xs = inputs(shape.len(), 3, 18);
    let (mut a, mut b) = (vec![0.0; 3], vec![0.0; 3]);
    from_file.forward_values(&xs, &mut a);
    from_memory.forward_values(&xs, &mut b);
    assert_eq!(a, b);
    let missing = Engine::from_safetensors(&arch, shape, dir.path().join("absent.safetensors"));
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("absent.safetensors"));
}

/// A random conv -> [batch norm] -> relu -> [pool] stack, then a linear head.
fn sequential_spec() -> impl Strategy<Value = (Arch, InputShape)> {
    let conv = (
        1usize..4,
        1usize..=3,
        1usize..=2,
        0usize..=1,
        any::<bool>(),
        0usize..3,
    );
    (
        1usize..=2,
        5usize..=9,
        5usize..=9,
        prop::collection::vec(conv, 1..=2),
        any::<bool>(),
    )
        .prop_filter_map("kernel larger than its input", |(c, h, w, convs, bn1d)| {
            build_spec(
                InputShape {
                    channels: c,
                    height: h,
                    width: w,
                },
                &convs,
                bn1d,
            )
        })
}

fn build_spec(
    shape: InputShape,
    convs: &[(usize, usize, usize, usize, bool, usize)],
    bn1d: bool,
) -> Option<(Arch, InputShape)> {
    let (mut c, mut h, mut w) = (shape.channels, shape.height, shape.width);
    let mut layers = Vec::new();
    for &(out, kernel, stride, padding, bn, pool) in convs {
        if h + 2 * padding < kernel || w + 2 * padding < kernel {
            return None;
        }
        layers.push(Layer::Conv2d {
            in_channels: c,
            out_channels: out,
            kernel,
            stride,
            padding,
        });
        (c, h, w) = (
            out,
            (h + 2 * padding - kernel) / stride + 1,
            (w + 2 * padding - kernel) / stride + 1,
        );
        if bn {
            layers.push(Layer::BatchNorm2d {
                channels: c,
                eps: 1e-5,
            });
        }
        layers.push(Layer::Relu);
        if pool > 0 && h >= 2 && w >= 2 {
            layers.push(match pool {
                1 => Layer::MaxPool2d {
                    kernel: 2,
                    stride: None,
                },
                _ => Layer::AvgPool2d {
                    kernel: 2,
                    stride: Some(2),
                },
            });
            (h, w) = (h / 2, w / 2);
        }
    }
    layers.push(Layer::Flatten);
    layers.push(Layer::Linear {
        in_features: c * h * w,
        out_features: 6,
    });
    if bn1d {
        layers.push(Layer::BatchNorm1d {
            features: 6,
            eps: 1e-5,
        });
    }
    layers.push(Layer::Relu);
    layers.push(Layer::Linear {
        in_features: 6,
        out_features: 1,
    });
    Some((Arch::Sequential { layers }, shape))
}

proptest! {
    // No failure persistence: a regression file would land in the source tree.
    #![proptest_config(ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sequential_specs_match_candle(
        (arch, shape) in sequential_spec(),
        seed in 0u64..1000,
    ) {
        check_against_candle(&arch, shape, 3, seed);
    }
}
