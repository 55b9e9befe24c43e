//! The tensor names and shapes each network asks for are the contract with
//! the inference engine (see the module docs of `arch.rs`); these tests pin
//! them name by name.

use gwl_nn::{expected_tensors, Arch, InputShape, Layer, Stage};

fn names_and_shapes(arch: &Arch, shape: InputShape) -> Vec<(String, Vec<usize>)> {
    expected_tensors(arch, shape).unwrap().into_iter().collect()
}

fn owned(expected: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
    let mut v: Vec<_> = expected
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect();
    v.sort();
    v
}

#[test]
fn mlp_names_layers_in_order() {
    let arch = Arch::Mlp { hidden: vec![6, 3] };
    let expected = owned(&[
        ("layers.0.weight", &[6, 16]),
        ("layers.0.bias", &[6]),
        ("layers.1.weight", &[3, 6]),
        ("layers.1.bias", &[3]),
        ("layers.2.weight", &[1, 3]),
        ("layers.2.bias", &[1]),
    ]);
    assert_eq!(names_and_shapes(&arch, InputShape::image(4, 4)), expected);
}

#[test]
fn cnn_flattens_a_floored_quarter_of_the_image() {
    let arch = Arch::Cnn {
        channels: [2, 3],
        hidden: 5,
    };
    // 5x5 -> pool -> 2x2 -> pool -> 1x1.
    let expected = owned(&[
        ("conv1.weight", &[2, 1, 3, 3]),
        ("conv1.bias", &[2]),
        ("conv2.weight", &[3, 2, 3, 3]),
        ("conv2.bias", &[3]),
        ("fc1.weight", &[5, 3]),
        ("fc1.bias", &[5]),
        ("fc2.weight", &[1, 5]),
        ("fc2.bias", &[1]),
    ]);
    assert_eq!(names_and_shapes(&arch, InputShape::image(5, 5)), expected);
}

fn bn(prefix: &str, c: usize) -> Vec<(String, Vec<usize>)> {
    ["weight", "bias", "running_mean", "running_var"]
        .iter()
        .map(|leaf| (format!("{prefix}.{leaf}"), vec![c]))
        .collect()
}

#[test]
fn resnet_names_stem_blocks_projections_and_head() {
    let arch = Arch::ResNet {
        stem: 2,
        stages: vec![
            Stage {
                channels: 2,
                blocks: 2,
            },
            Stage {
                channels: 4,
                blocks: 1,
            },
        ],
    };
    let mut expected = owned(&[
        ("stem.conv.weight", &[2, 1, 3, 3]),
        ("stages.0.0.conv1.weight", &[2, 2, 3, 3]),
        ("stages.0.0.conv2.weight", &[2, 2, 3, 3]),
        ("stages.0.1.conv1.weight", &[2, 2, 3, 3]),
        ("stages.0.1.conv2.weight", &[2, 2, 3, 3]),
        ("stages.1.0.conv1.weight", &[4, 2, 3, 3]),
        ("stages.1.0.conv2.weight", &[4, 4, 3, 3]),
        ("stages.1.0.down.conv.weight", &[4, 2, 1, 1]),
        ("fc.weight", &[1, 4]),
        ("fc.bias", &[1]),
    ]);
    for (prefix, c) in [
        ("stem.bn", 2),
        ("stages.0.0.bn1", 2),
        ("stages.0.0.bn2", 2),
        ("stages.0.1.bn1", 2),
        ("stages.0.1.bn2", 2),
        ("stages.1.0.bn1", 4),
        ("stages.1.0.bn2", 4),
        ("stages.1.0.down.bn", 4),
    ] {
        expected.extend(bn(prefix, c));
    }
    expected.sort();
    assert_eq!(names_and_shapes(&arch, InputShape::image(8, 8)), expected);
}

#[test]
fn resnet_projects_the_first_block_when_the_stem_width_differs() {
    let arch = Arch::ResNet {
        stem: 2,
        stages: vec![Stage {
            channels: 3,
            blocks: 1,
        }],
    };
    let names = names_and_shapes(&arch, InputShape::image(4, 4));
    let down = names
        .iter()
        .find(|(n, _)| n == "stages.0.0.down.conv.weight");
    assert_eq!(down.map(|(_, s)| s.clone()), Some(vec![3, 2, 1, 1]));
}

#[test]
fn sequential_names_follow_layer_indices() {
    let arch = Arch::Sequential {
        layers: vec![
            Layer::Conv2d {
                in_channels: 1,
                out_channels: 2,
                kernel: 3,
                stride: 1,
                padding: 0,
            },
            Layer::BatchNorm2d {
                channels: 2,
                eps: 1e-5,
            },
            Layer::Relu,
            Layer::AvgPool2d {
                kernel: 2,
                stride: None,
            },
            Layer::Flatten,
            Layer::Linear {
                in_features: 8,
                out_features: 1,
            },
        ],
    };
    // 6x6 -> conv 3x3 -> 4x4 -> avg pool 2 -> 2x2; 2 channels x 2 x 2 = 8.
    let mut expected = owned(&[
        ("0.weight", &[2, 1, 3, 3]),
        ("0.bias", &[2]),
        ("5.weight", &[1, 8]),
        ("5.bias", &[1]),
    ]);
    expected.extend(bn("1", 2));
    expected.sort();
    assert_eq!(names_and_shapes(&arch, InputShape::image(6, 6)), expected);
}

#[test]
fn inconsistent_architectures_are_refused_with_the_reason() {
    let cnn = Arch::Cnn {
        channels: [2, 2],
        hidden: 2,
    };
    let err = expected_tensors(&cnn, InputShape::image(3, 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 4x4"), "{err}");

    let seq = Arch::Sequential {
        layers: vec![
            Layer::Flatten,
            Layer::Linear {
                in_features: 10,
                out_features: 1,
            },
        ],
    };
    let err = expected_tensors(&seq, InputShape::image(3, 3))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("layer 1") && err.contains("in_features is 10"),
        "{err}"
    );

    let two_outputs = Arch::Sequential {
        layers: vec![
            Layer::Flatten,
            Layer::Linear {
                in_features: 9,
                out_features: 2,
            },
        ],
    };
    let err = expected_tensors(&two_outputs, InputShape::image(3, 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("one output"), "{err}");

    let no_stage = Arch::ResNet {
        stem: 2,
        stages: vec![],
    };
    assert!(expected_tensors(&no_stage, InputShape::image(4, 4)).is_err());
}

#[test]
fn in_memory_tensors_are_checked_like_a_file() {
    use candle_core::{DType, Device, Tensor};
    use gwl_nn::{LoadedModel, NnError, TensorMap};

    let arch = Arch::Mlp { hidden: vec![3] };
    let shape = InputShape::image(2, 2);
    let zeros = |dims: &[usize]| Tensor::zeros(dims, DType::F32, &Device::Cpu).unwrap();
    let complete: TensorMap = expected_tensors(&arch, shape)
        .unwrap()
        .iter()
        .map(|(n, d)| (n.clone(), zeros(d)))
        .collect();
    assert!(LoadedModel::from_tensors(&arch, shape, complete.clone()).is_ok());

    let mut missing = complete.clone();
    missing.remove("layers.1.bias");
    let err = LoadedModel::from_tensors(&arch, shape, missing)
        .err()
        .unwrap();
    assert!(matches!(&err, NnError::MissingTensor { name, .. } if name == "layers.1.bias"));

    let mut extra = complete.clone();
    extra.insert("layers.2.bias".into(), zeros(&[1]));
    let err = LoadedModel::from_tensors(&arch, shape, extra)
        .err()
        .unwrap();
    assert!(matches!(&err, NnError::ExtraTensor { name, .. } if name == "layers.2.bias"));

    let mut misshapen = complete;
    misshapen.insert("layers.0.weight".into(), zeros(&[4, 3]));
    let err = LoadedModel::from_tensors(&arch, shape, misshapen)
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(
        message.contains("`layers.0.weight`") && message.contains("[4, 3]"),
        "{message}"
    );
    assert!(message.contains("[3, 4]"), "{message}");
}
