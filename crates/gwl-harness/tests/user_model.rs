//! Bring your own model, end to end: a PyTorch-style Sequential network
//! written as safetensors, the example architecture beside it, and a spec
//! naming both; `sample_user` must write the race table, the density
//! figure and the grid of inputs per bin.

use std::collections::HashMap;
use std::path::Path;

use gwl_harness::{sample_user, Profile};
use gwl_nn::engine::random_tensors;
use gwl_nn::{Arch, InputShape};

fn examples() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../experiments/examples"
    ))
}

fn write_weights(arch: &Arch, shape: InputShape, path: &Path) {
    let tensors = random_tensors(arch, shape, 3).unwrap();
    let bytes: HashMap<String, (Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, (dims, values))| {
            (
                name,
                (dims, values.iter().flat_map(|v| v.to_le_bytes()).collect()),
            )
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = bytes
        .iter()
        .map(|(name, (dims, data))| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, dims.clone(), data)
                    .unwrap();
            (name.clone(), view)
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

#[test]
fn a_user_sequential_network_is_sampled_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let arch_text = std::fs::read_to_string(examples().join("my-net.arch.toml")).unwrap();
    std::fs::write(dir.path().join("my-net.arch.toml"), &arch_text).unwrap();
    let arch: Arch = toml::from_str(&arch_text).unwrap();
    write_weights(
        &arch,
        InputShape::image(28, 28),
        &dir.path().join("my-net.safetensors"),
    );

    let spec = std::fs::read_to_string(examples().join("my-model.toml"))
        .unwrap()
        .replace("seconds = 10.0", "seconds = 0.5\nwalkers = 8")
        .replace("check_every = 1000", "check_every = 10");
    let spec_path = dir.path().join("my-model.toml");
    std::fs::write(&spec_path, spec).unwrap();

    let out = dir.path().join("out");
    let written = sample_user(&spec_path, Profile::Quick, &out, &dir.path().join("cache")).unwrap();
    for file in [
        "dos-summary.md",
        "input-shares.csv",
        "density-my-net.png",
        "inputs-my-net.png",
    ] {
        let path = written.join(file);
        assert!(
            std::fs::metadata(&path).is_ok_and(|m| m.len() > 0),
            "{} missing",
            path.display()
        );
    }
    let table = std::fs::read_to_string(written.join("dos-summary.md")).unwrap();
    assert!(table.contains("| my-net |"), "{table}");
}

#[test]
fn a_user_network_with_a_misshapen_tensor_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let arch_text = std::fs::read_to_string(examples().join("my-net.arch.toml")).unwrap();
    std::fs::write(dir.path().join("my-net.arch.toml"), &arch_text).unwrap();
    // Weights of a network whose first linear layer is narrower.
    let narrow: Arch = toml::from_str(
        &arch_text
            .replace("out_features = 32", "out_features = 16")
            .replace("in_features = 32", "in_features = 16"),
    )
    .unwrap();
    write_weights(
        &narrow,
        InputShape::image(28, 28),
        &dir.path().join("my-net.safetensors"),
    );
    let spec_path = dir.path().join("my-model.toml");
    std::fs::copy(examples().join("my-model.toml"), &spec_path).unwrap();
    let err = sample_user(
        &spec_path,
        Profile::Quick,
        &dir.path().join("out"),
        dir.path(),
    )
    .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("my-net.safetensors") && message.contains("4.weight"),
        "{message}"
    );
}
