//! A classifier exported from PyTorch as an `nn.Sequential` state dict in
//! safetensors loads here and computes the same logits.
//!
//! The files are written by hand in this test with the byte layout and key
//! names `torch.save_file(model.state_dict())` produces (including the i64
//! `num_batches_tracked` of each batch norm). The reference logits come from
//! a direct loop implementation of the same layers below, written from the
//! PyTorch layer definitions, not from candle.

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use gwl_nn::{Arch, InputShape, Layer, LoadedModel, NnError, TensorMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::Dtype;

const SIDE: usize = 6;
const C: usize = 3;

/// conv 3x3 pad 1 (1 -> 3) - batch norm - relu - max pool 2 - flatten - linear (27 -> 1).
fn arch() -> Arch {
    Arch::Sequential {
        layers: vec![
            Layer::Conv2d {
                in_channels: 1,
                out_channels: C,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            Layer::BatchNorm2d {
                channels: C,
                eps: 1e-5,
            },
            Layer::Relu,
            Layer::MaxPool2d {
                kernel: 2,
                stride: None,
            },
            Layer::Flatten,
            Layer::Linear {
                in_features: C * 9,
                out_features: 1,
            },
        ],
    }
}

struct Params {
    conv_w: Vec<f32>, // [C, 1, 3, 3]
    conv_b: Vec<f32>,
    bn_w: Vec<f32>,
    bn_b: Vec<f32>,
    bn_mean: Vec<f32>,
    bn_var: Vec<f32>,
    fc_w: Vec<f32>, // [1, C * 9]
    fc_b: Vec<f32>,
}

fn uniform(rng: &mut ChaCha8Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn params() -> Params {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    Params {
        conv_w: uniform(&mut rng, C * 9, -0.5, 0.5),
        conv_b: uniform(&mut rng, C, -0.2, 0.2),
        bn_w: uniform(&mut rng, C, 0.5, 1.5),
        bn_b: uniform(&mut rng, C, -0.3, 0.3),
        bn_mean: uniform(&mut rng, C, -0.2, 0.2),
        bn_var: uniform(&mut rng, C, 0.3, 2.0),
        fc_w: uniform(&mut rng, C * 9, -0.5, 0.5),
        fc_b: uniform(&mut rng, 1, -0.2, 0.2),
    }
}

/// One tensor as a safetensors file stores it: dtype, shape, little-endian bytes.
type Entry = (Dtype, Vec<usize>, Vec<u8>);

fn f32_entry(values: &[f32], shape: &[usize]) -> Entry {
    (
        Dtype::F32,
        shape.to_vec(),
        values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
}

fn pytorch_state_dict(p: &Params) -> BTreeMap<String, Entry> {
    let mut dict = BTreeMap::new();
    dict.insert("0.weight".into(), f32_entry(&p.conv_w, &[C, 1, 3, 3]));
    dict.insert("0.bias".into(), f32_entry(&p.conv_b, &[C]));
    dict.insert("1.weight".into(), f32_entry(&p.bn_w, &[C]));
    dict.insert("1.bias".into(), f32_entry(&p.bn_b, &[C]));
    dict.insert("1.running_mean".into(), f32_entry(&p.bn_mean, &[C]));
    dict.insert("1.running_var".into(), f32_entry(&p.bn_var, &[C]));
    dict.insert(
        "1.num_batches_tracked".into(),
        (Dtype::I64, vec![], 120i64.to_le_bytes().to_vec()),
    );
    dict.insert("5.weight".into(), f32_entry(&p.fc_w, &[1, C * 9]));
    dict.insert("5.bias".into(), f32_entry(&p.fc_b, &[1]));
    dict
}

fn write(dict: &BTreeMap<String, Entry>, path: &Path) {
    let views = dict.iter().map(|(name, (dtype, shape, bytes))| {
        (
            name.clone(),
            safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes).unwrap(),
        )
    });
    safetensors::serialize_to_file(views, None, path).unwrap();
}

/// The network computed directly from its definition, for one 6x6 image.
fn reference_logit(p: &Params, image: &[f32]) -> f32 {
    let pixel = |y: isize, x: isize| {
        let inside = (0..SIDE as isize).contains(&y) && (0..SIDE as isize).contains(&x);
        if inside {
            image[y as usize * SIDE + x as usize]
        } else {
            0.0
        }
    };
    let mut logit = p.fc_b[0];
    for c in 0..C {
        let scale = p.bn_w[c] / (p.bn_var[c] + 1e-5).sqrt();
        let activation = |y: usize, x: usize| {
            let mut sum = p.conv_b[c];
            for ky in 0..3 {
                for kx in 0..3 {
                    let v = pixel(y as isize + ky as isize - 1, x as isize + kx as isize - 1);
                    sum += p.conv_w[c * 9 + ky * 3 + kx] * v;
                }
            }
            ((sum - p.bn_mean[c]) * scale + p.bn_b[c]).max(0.0)
        };
        for py in 0..3 {
            for px in 0..3 {
                let pooled = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .iter()
                    .map(|(dy, dx)| activation(2 * py + dy, 2 * px + dx))
                    .fold(f32::NEG_INFINITY, f32::max);
                logit += p.fc_w[c * 9 + py * 3 + px] * pooled;
            }
        }
    }
    logit
}

fn images(n: usize) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..n * SIDE * SIDE)
        .map(|_| f32::from(rng.random_bool(0.4)))
        .collect()
}

fn load(dict: &BTreeMap<String, Entry>) -> Result<LoadedModel, NnError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exported.safetensors");
    write(dict, &path);
    LoadedModel::from_safetensors(&arch(), InputShape::image(SIDE, SIDE), &path)
}

#[test]
fn pytorch_sequential_gives_the_reference_logits() {
    let p = params();
    let model = load(&pytorch_state_dict(&p)).unwrap();
    let n = 8;
    let xs = images(n);
    let logits = model
        .forward(&Tensor::from_vec(xs.clone(), (n, 1, SIDE, SIDE), &Device::Cpu).unwrap())
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (i, logit) in logits.iter().enumerate() {
        let expected = reference_logit(&p, &xs[i * 36..(i + 1) * 36]);
        // Both sides sum ~40 f32 products of order one; 1e-5 is a few ulps of that.
        assert!(
            (logit - expected).abs() < 1e-5,
            "image {i}: {logit} vs {expected}"
        );
    }
}

#[test]
fn half_and_double_precision_exports_are_converted() {
    let mut p = params();
    // 1.0, 0.5 and 1.5 are exact in f16, whose bit patterns these are.
    p.bn_w = vec![1.0, 0.5, 1.5];
    let f16_bits: Vec<u8> = [0x3c00u16, 0x3800, 0x3e00]
        .iter()
        .flat_map(|b| b.to_le_bytes())
        .collect();
    let mut dict = pytorch_state_dict(&p);
    dict.insert("1.weight".into(), (Dtype::F16, vec![C], f16_bits));
    let as_f64: Vec<u8> = p
        .fc_w
        .iter()
        .flat_map(|&v| f64::from(v).to_le_bytes())
        .collect();
    dict.insert("5.weight".into(), (Dtype::F64, vec![1, C * 9], as_f64));
    let model = load(&dict).unwrap();
    let xs = images(1);
    let logit = model
        .forward(&Tensor::from_vec(xs.clone(), (1, 1, SIDE, SIDE), &Device::Cpu).unwrap())
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()[0];
    assert!((logit - reference_logit(&p, &xs)).abs() < 1e-5);
}

#[test]
fn a_wrong_shape_is_refused_naming_tensor_and_shapes() {
    let p = params();
    let mut dict = pytorch_state_dict(&p);
    dict.insert(
        "5.weight".into(),
        f32_entry(&p.fc_w[..C * 9 - 1], &[1, C * 9 - 1]),
    );
    let err = load(&dict)
        .err()
        .expect("a misshapen tensor must be refused");
    match &err {
        NnError::WrongShape {
            name,
            expected,
            found,
            ..
        } => {
            assert_eq!(
                (name.as_str(), expected.as_slice(), found.as_slice()),
                ("5.weight", &[1, 27][..], &[1, 26][..])
            );
        }
        other => panic!("expected WrongShape, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("`5.weight`")
            && message.contains("[1, 26]")
            && message.contains("[1, 27]"),
        "{message}"
    );
}

#[test]
fn a_missing_tensor_is_refused_by_name() {
    let mut dict = pytorch_state_dict(&params());
    dict.remove("1.running_var");
    let err = load(&dict).err().expect("a missing tensor must be refused");
    assert!(
        matches!(&err, NnError::MissingTensor { name, .. } if name == "1.running_var"),
        "{err}"
    );
    assert!(err.to_string().contains("`1.running_var`"));
}

#[test]
fn an_extra_tensor_is_refused_by_name() {
    let p = params();
    let mut dict = pytorch_state_dict(&p);
    dict.insert("6.weight".into(), f32_entry(&p.fc_b, &[1]));
    let err = load(&dict)
        .err()
        .expect("an unexpected tensor must be refused");
    assert!(
        matches!(&err, NnError::ExtraTensor { name, .. } if name == "6.weight"),
        "{err}"
    );
}

#[test]
fn an_integer_weight_is_refused_by_name_and_dtype() {
    let mut dict = pytorch_state_dict(&params());
    dict.insert("0.bias".into(), (Dtype::I32, vec![C], vec![0; 4 * C]));
    let err = load(&dict)
        .err()
        .expect("an integer weight must be refused");
    assert!(
        matches!(&err, NnError::WrongDtype { name, .. } if name == "0.bias"),
        "{err}"
    );
    assert!(err.to_string().contains("i32"), "{err}");
}

#[test]
fn a_file_that_is_not_safetensors_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.safetensors");
    std::fs::write(&path, b"not a safetensors file").unwrap();
    let err = LoadedModel::from_safetensors(&arch(), InputShape::image(SIDE, SIDE), &path)
        .err()
        .unwrap();
    assert!(err.to_string().contains("garbage.safetensors"), "{err}");
}

/// The CNN of `Arch::Cnn` written as a Sequential; with the CNN's weights
/// renamed to layer indices it must compute the same logits.
#[test]
fn sequential_and_native_cnn_agree_on_the_same_weights() {
    use candle_nn::{VarBuilder, VarMap};
    let shape = InputShape::image(8, 8);
    let cnn = Arch::Cnn {
        channels: [2, 3],
        hidden: 4,
    };
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, candle_core::DType::F32, &Device::Cpu);
    let native = gwl_nn::build(&cnn, shape, vb).unwrap();
    gwl_nn::init_seeded(&varmap, 3).unwrap();

    let renamed: TensorMap = gwl_nn::varmap_tensors(&varmap)
        .unwrap()
        .into_iter()
        .map(|(name, t)| {
            let (layer, leaf) = name.split_once('.').unwrap();
            let index = match layer {
                "conv1" => 0,
                "conv2" => 3,
                "fc1" => 7,
                "fc2" => 9,
                other => panic!("unexpected layer {other}"),
            };
            (format!("{index}.{leaf}"), t)
        })
        .collect();
    let seq = Arch::Sequential {
        layers: vec![
            Layer::Conv2d {
                in_channels: 1,
                out_channels: 2,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            Layer::Relu,
            Layer::MaxPool2d {
                kernel: 2,
                stride: Some(2),
            },
            Layer::Conv2d {
                in_channels: 2,
                out_channels: 3,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            Layer::Relu,
            Layer::MaxPool2d {
                kernel: 2,
                stride: None,
            },
            Layer::Flatten,
            Layer::Linear {
                in_features: 12,
                out_features: 4,
            },
            Layer::Relu,
            Layer::Linear {
                in_features: 4,
                out_features: 1,
            },
        ],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seq.safetensors");
    gwl_nn::save_tensors(&renamed, &path).unwrap();
    let imported = LoadedModel::from_safetensors(&seq, shape, &path).unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let xs: Vec<f32> = (0..5 * 64)
        .map(|_| f32::from(rng.random_bool(0.5)))
        .collect();
    let xs = Tensor::from_vec(xs, (5, 1, 8, 8), &Device::Cpu).unwrap();
    let a = native
        .forward_t(&xs, false)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let b = imported.forward(&xs).unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(
        a, b,
        "same weights, same operations: the logits must be identical"
    );
}
