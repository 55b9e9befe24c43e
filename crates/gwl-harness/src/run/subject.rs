//! The models an experiment samples: trained networks (trained once and
//! cached, keyed by everything that produced them), a user's Sequential
//! network, and the analytic models with exact densities.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use gwl_core::{IntegerLinear, Model, SumOfBits};
use gwl_nn::{named_model, Engine, PreparedData, Sidecar, WEIGHTS_FILE};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{AnalyticKind, ModelName, ModelRef, SequentialModel};

/// A network trained on binary MNIST 0/1, ready to sample.
pub struct TrainedNet {
    pub name: String,
    pub engine: Engine,
    pub sidecar: Sidecar,
    pub dir: PathBuf,
    pub height: usize,
    pub width: usize,
    /// Test inputs as levels and their labels (1 = the digit one).
    pub test_inputs: Vec<u8>,
    pub test_labels: Vec<u8>,
    /// True when this call trained the model rather than reading the cache.
    pub trained_now: bool,
}

impl TrainedNet {
    pub fn test_accuracy(&self) -> f64 {
        self.sidecar
            .record
            .last()
            .map_or(f64::NAN, |r| r.test_accuracy)
    }
}

/// Something to sample.
pub enum Subject {
    Net(Box<TrainedNet>),
    User {
        label: String,
        engine: Box<Engine>,
        height: usize,
        width: usize,
    },
    SumBits(SumOfBits),
    IntLinear(IntegerLinear),
}

impl Subject {
    pub fn model(&self) -> &dyn Model {
        match self {
            Subject::Net(net) => &net.engine,
            Subject::User { engine, .. } => engine.as_ref(),
            Subject::SumBits(m) => m,
            Subject::IntLinear(m) => m,
        }
    }

    pub fn net(&self) -> Option<&TrainedNet> {
        match self {
            Subject::Net(net) => Some(net),
            _ => None,
        }
    }

    /// Image side lengths, for networks.
    pub fn image_shape(&self) -> Option<(usize, usize)> {
        match self {
            Subject::Net(net) => Some((net.height, net.width)),
            Subject::User { height, width, .. } => Some((*height, *width)),
            _ => None,
        }
    }
}

/// Where trained models are cached: `target/gwl-models` under the
/// workspace, or `GWL_MODELS_DIR`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("GWL_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let here = Path::new(env!("CARGO_MANIFEST_DIR"));
            here.ancestors()
                .nth(2)
                .unwrap_or(here)
                .join("target")
                .join("gwl-models")
        })
}

/// How to train a named model; `None` keeps the named model's own setting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrainOverrides {
    pub epochs: Option<usize>,
    pub batch_size: Option<usize>,
    pub lr: Option<f64>,
}

/// Builds the subject a spec names.
pub fn obtain(model: &ModelRef, spec_dir: &Path, overrides: TrainOverrides) -> Result<Subject> {
    match model {
        ModelRef::Named(ModelName::Trained { .. }) => {
            let name = model.label();
            Ok(Subject::Net(Box::new(trained_net(&name, overrides)?)))
        }
        ModelRef::Named(ModelName::Analytic { kind, dim }) => analytic(*kind, *dim as usize, None),
        ModelRef::Analytic(a) => analytic(a.analytic, a.dim as usize, a.max_weight),
        ModelRef::Sequential(user) => user_net(user, spec_dir),
    }
}

/// The integer-weight linear model of the experiments: weights drawn from
/// `-max_weight..=max_weight` (default 3) with a fixed seed, so its exact
/// counts are a cheap dynamic programme.
pub fn int_linear(dim: usize, max_weight: Option<u32>) -> Result<IntegerLinear> {
    let m = max_weight.unwrap_or(3) as i32;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let weights = (0..dim).map(|_| rng.random_range(-m..=m)).collect();
    Ok(IntegerLinear::new(weights)?)
}

fn analytic(kind: AnalyticKind, dim: usize, max_weight: Option<u32>) -> Result<Subject> {
    Ok(match kind {
        AnalyticKind::SumBits => Subject::SumBits(SumOfBits::new(dim)?),
        AnalyticKind::IntLinear => Subject::IntLinear(int_linear(dim, max_weight)?),
    })
}

fn user_net(user: &SequentialModel, spec_dir: &Path) -> Result<Subject> {
    let (arch_path, weights) = (spec_dir.join(&user.arch_toml), spec_dir.join(&user.weights));
    let text = std::fs::read_to_string(&arch_path)
        .with_context(|| format!("cannot read {}", arch_path.display()))?;
    let arch: gwl_nn::Arch = toml::from_str(&text)
        .with_context(|| format!("{}: bad architecture", arch_path.display()))?;
    let (height, width) = (user.input.height as usize, user.input.width as usize);
    let shape = gwl_nn::InputShape::image(height, width);
    let engine = Engine::from_safetensors(&arch, shape, &weights)
        .with_context(|| format!("cannot load {}", weights.display()))?;
    let label = user.name.clone().unwrap_or_else(|| {
        weights
            .file_stem()
            .map_or("user".into(), |s| s.to_string_lossy().into_owned())
    });
    Ok(Subject::User {
        label,
        engine: Box::new(engine),
        height,
        width,
    })
}

/// A named network, trained on first use and read from the cache after.
pub fn trained_net(name: &str, overrides: TrainOverrides) -> Result<TrainedNet> {
    let named = named_model(name).ok_or_else(|| {
        anyhow!(
            "unknown model `{name}`; known: {}",
            gwl_nn::MODEL_NAMES.join(", ")
        )
    })?;
    let mut config = named.config.clone();
    config.epochs = overrides.epochs.unwrap_or(config.epochs);
    config.batch_size = overrides.batch_size.unwrap_or(config.batch_size);
    config.lr = overrides.lr.unwrap_or(config.lr);
    let key = gwl_nn::spec_hash(&named.arch, named.shape, &config, &named.prep);
    let dir = models_dir().join(format!("{name}-{}", &key[..12]));
    let data = PreparedData::load(named.prep).context("cannot prepare the training data")?;
    let trained_now = !dir.join(gwl_nn::SIDECAR_FILE).exists();
    if trained_now {
        train_into(&dir, &named.arch, named.shape, &data, &config)
            .with_context(|| format!("cannot train {name}"))?;
    }
    let sidecar = Sidecar::read(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let engine =
        Engine::from_safetensors(&sidecar.arch, sidecar.input_shape, dir.join(WEIGHTS_FILE))
            .with_context(|| format!("cannot build the engine for {}", dir.display()))?;
    Ok(TrainedNet {
        name: name.to_owned(),
        engine,
        height: sidecar.input_shape.height,
        width: sidecar.input_shape.width,
        sidecar,
        dir,
        test_inputs: data.test_images.iter().map(|&v| v.round() as u8).collect(),
        test_labels: data.test_labels.clone(),
        trained_now,
    })
}

/// Trains into a temporary folder beside `dir` and renames it into place,
/// so an interrupted training never leaves a model that looks finished.
fn train_into(
    dir: &Path,
    arch: &gwl_nn::Arch,
    shape: gwl_nn::InputShape,
    data: &PreparedData,
    config: &gwl_nn::TrainConfig,
) -> Result<()> {
    let parent = dir.parent().context("model folder has no parent")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.tmp{}",
        dir.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let mut trained =
        with_one_candle_thread(|| gwl_nn::train(arch, shape, &data.train_data(), config))?;
    trained.save(&tmp)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    std::fs::rename(&tmp, dir)
        .with_context(|| format!("cannot move the model to {}", dir.display()))?;
    Ok(())
}

/// candle reads `RAYON_NUM_THREADS` at every matrix product, and these
/// networks are so small that one thread trains faster than two (gwl-nn's
/// `train` docs). The global rayon pool is built first, so the engine and
/// enumeration keep every core.
fn with_one_candle_thread<T>(f: impl FnOnce() -> T) -> T {
    let _ = rayon::ThreadPoolBuilder::new().build_global();
    let before = std::env::var_os("RAYON_NUM_THREADS");
    std::env::set_var("RAYON_NUM_THREADS", "1");
    let out = f();
    match before {
        Some(v) => std::env::set_var("RAYON_NUM_THREADS", v),
        None => std::env::remove_var("RAYON_NUM_THREADS"),
    }
    out
}
