//! Training on the real binary MNIST 0/1 digits (fetched through gwl-data on
//! first use): accuracy of every named model, determinism, and the saved
//! model directory.
//!
//! Each named model trains once per test. candle is held to one thread
//! (`RAYON_NUM_THREADS=1`, measured fastest for networks this small) so that
//! the test harness's own threads can keep the cores busy with separate
//! models.

use std::time::Instant;

use candle_core::{Device, Tensor};
use gwl_nn::{
    named_model, save_tensors, train, varmap_tensors, LoadedModel, NnError, PreparedData,
    TrainConfig, Trained, SIDECAR_FILE, WEIGHTS_FILE,
};

fn one_candle_thread() {
    // candle reads this at every matrix product; every test sets the same value.
    std::env::set_var("RAYON_NUM_THREADS", "1");
}

fn train_named(name: &str) -> (Trained, PreparedData) {
    one_candle_thread();
    let model = named_model(name).unwrap();
    let data = PreparedData::load(model.prep).unwrap();
    assert_eq!(data.shape, model.shape);
    let started = Instant::now();
    let trained = train(&model.arch, model.shape, &data.train_data(), &model.config).unwrap();
    println!(
        "{name}: test accuracy {:.4} after {} epochs, {:.1} s",
        trained.test_accuracy(),
        model.config.epochs,
        started.elapsed().as_secs_f64()
    );
    (trained, data)
}

/// The issue asks for at least 99% test accuracy at 28x28. Digits 0 and 1
/// are easy to tell apart: all three reach it within three epochs.
fn assert_full_size_accuracy(name: &str) {
    let (trained, data) = train_named(name);
    assert_eq!(
        data.test_labels.len(),
        425,
        "the fixed 80/20 split of 2128 digits"
    );
    let accuracy = trained.test_accuracy();
    assert!(accuracy >= 0.99, "{name}: test accuracy {accuracy}");
}

#[test]
fn mlp_28_reaches_99_percent() {
    assert_full_size_accuracy("mlp-28");
}

#[test]
fn cnn_28_reaches_99_percent() {
    assert_full_size_accuracy("cnn-28");
}

#[test]
fn resnet_28_reaches_99_percent() {
    assert_full_size_accuracy("resnet-28");
}

/// The toy images keep little of a digit (16 or 25 pixels), so no network
/// can be perfect on them; at 4x4 about 96-97% is the plateau these networks
/// reach, at 5x5 about 98-99%. The bound is loose on purpose: it catches a
/// network that does not learn, not one that learns slightly worse.
#[test]
fn toy_models_learn_the_downsampled_digits() {
    for name in ["mlp-4", "cnn-4", "mlp-5", "cnn-5"] {
        let (trained, _) = train_named(name);
        let accuracy = trained.test_accuracy();
        assert!(accuracy > 0.9, "{name}: test accuracy {accuracy}");
    }
}

fn short_config(seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 32,
        lr: 3e-3,
        seed,
        weight_decay: 0.0,
    }
}

#[test]
fn training_is_reproducible_from_its_seed() {
    one_candle_thread();
    let model = named_model("mlp-4").unwrap();
    let data = PreparedData::load(model.prep).unwrap();
    let weights = |seed| {
        let trained = train(
            &model.arch,
            model.shape,
            &data.train_data(),
            &short_config(seed),
        )
        .unwrap();
        let tensors = varmap_tensors(&trained.varmap).unwrap();
        let values: Vec<Vec<f32>> = tensors
            .values()
            .map(|t| t.flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        (values, trained.sidecar.record)
    };
    let (a, record_a) = weights(5);
    let (b, record_b) = weights(5);
    let (c, _) = weights(6);
    assert_eq!(a, b, "same seed, same weights");
    assert_eq!(
        record_a.iter().map(|r| r.test_loss).collect::<Vec<_>>(),
        record_b.iter().map(|r| r.test_loss).collect::<Vec<_>>()
    );
    assert_ne!(a, c, "another seed, other weights");
}

fn test_images(data: &PreparedData) -> Tensor {
    let s = data.shape;
    let n = data.test_labels.len();
    Tensor::from_vec(
        data.test_images.clone(),
        (n, 1, s.height, s.width),
        &Device::Cpu,
    )
    .unwrap()
}

#[test]
fn a_saved_model_loads_back_with_its_record() {
    one_candle_thread();
    let model = named_model("cnn-4").unwrap();
    let data = PreparedData::load(model.prep).unwrap();
    let mut trained = train(
        &model.arch,
        model.shape,
        &data.train_data(),
        &short_config(1),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    trained.save(dir.path()).unwrap();

    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [SIDECAR_FILE, WEIGHTS_FILE],
        "no temporary file may be left behind"
    );

    let loaded = LoadedModel::load(dir.path()).unwrap();
    let sidecar = loaded.sidecar.as_ref().unwrap();
    assert_eq!(sidecar, &trained.sidecar);
    assert_eq!(
        (sidecar.arch.clone(), sidecar.input_shape),
        (model.arch.clone(), model.shape)
    );
    assert_eq!(sidecar.data_checksum, data.checksum);
    assert_eq!(sidecar.data_prep, Some(model.prep));
    assert_eq!(sidecar.record.len(), 2);

    let xs = test_images(&data);
    let want = trained
        .to_loaded()
        .unwrap()
        .forward(&xs)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let got = loaded.forward(&xs).unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(got, want, "f32 weights round-trip exactly");
}

#[test]
fn a_model_directory_with_foreign_weights_is_refused() {
    one_candle_thread();
    let model = named_model("mlp-4").unwrap();
    let data = PreparedData::load(model.prep).unwrap();
    let mut trained = train(
        &model.arch,
        model.shape,
        &data.train_data(),
        &short_config(2),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    trained.save(dir.path()).unwrap();

    // Same names and shapes, other values: only the recorded checksum can tell.
    let other = train(
        &model.arch,
        model.shape,
        &data.train_data(),
        &short_config(3),
    )
    .unwrap();
    save_tensors(
        &varmap_tensors(&other.varmap).unwrap(),
        &dir.path().join(WEIGHTS_FILE),
    )
    .unwrap();
    let err = LoadedModel::load(dir.path())
        .err()
        .expect("foreign weights must be refused");
    assert!(matches!(err, NnError::Sidecar { .. }), "{err}");

    std::fs::remove_file(dir.path().join(SIDECAR_FILE)).unwrap();
    let err = LoadedModel::load(dir.path())
        .err()
        .expect("a directory without sidecar is refused");
    assert!(err.to_string().contains(SIDECAR_FILE), "{err}");
}
