//! Training a network as a binary classifier: Adam on binary cross-entropy of
//! the logit, seeded initialisation and shuffling, one record per epoch.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{build, init_seeded, Arch, DataPrep, InputShape, Net, NnError, Sidecar};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Seeds the initial weights and the order of the examples.
    pub seed: u64,
    /// Decoupled weight decay (AdamW); 0 gives plain Adam.
    #[serde(default)]
    pub weight_decay: f64,
}

impl TrainConfig {
    fn validate(&self) -> Result<(), NnError> {
        let bad = |reason: String| Err(NnError::BadTraining { reason });
        if self.epochs == 0 {
            return bad("epochs must be positive, got 0".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be positive, got 0".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!("lr must be positive and finite, got {}", self.lr));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return bad(format!(
                "weight_decay must be >= 0, got {}",
                self.weight_decay
            ));
        }
        Ok(())
    }
}

/// Labelled images: image `i` is `images[i * D..(i + 1) * D]` with values in
/// [0, 1], and `labels[i]` is 1 for the positive class, else 0.
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    pub images: &'a [f32],
    pub labels: &'a [u8],
}

impl Examples<'_> {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// What a network is trained and tested on, and where it came from.
#[derive(Debug, Clone)]
pub struct TrainData<'a> {
    pub train: Examples<'a>,
    pub test: Examples<'a>,
    /// Checksum of the source data, kept in the sidecar.
    pub checksum: String,
    /// How the images were prepared from the source, if known.
    pub prep: Option<DataPrep>,
}

/// One epoch of training. The train figures are running means over the
/// epoch's minibatches in training mode (they cost nothing extra); the test
/// figures come from a pass in evaluation mode after the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
    pub seconds: f64,
}

/// A trained network: its parameters and the record of how it came about.
pub struct Trained {
    pub varmap: VarMap,
    pub net: Box<dyn Net>,
    pub sidecar: Sidecar,
}

impl Trained {
    /// Test accuracy after the last epoch.
    pub fn test_accuracy(&self) -> f64 {
        self.sidecar
            .record
            .last()
            .map_or(f64::NAN, |r| r.test_accuracy)
    }
}

/// Trains `arch` on `data` as `config` says.
///
/// Speed: these networks are so small that candle's fan-out of each
/// operation over threads costs more than it gains. On 2 shared cores the
/// 28x28 ResNet took 18.8 s for 3 epochs with `RAYON_NUM_THREADS=1` (which
/// candle reads at every matrix product) against 28.8 s with two threads,
/// with identical results; binaries that train should set it. Running the
/// loop inside a one-thread rayon pool instead was slower still, since
/// candle's matrix products keep asking for the environment's thread count.
pub fn train(
    arch: &Arch,
    shape: InputShape,
    data: &TrainData,
    config: &TrainConfig,
) -> Result<Trained, NnError> {
    config.validate()?;
    check_examples("train", &data.train, shape)?;
    check_examples("test", &data.test, shape)?;
    let started = Instant::now();

    let (varmap, net) = fresh_network(arch, shape, config.seed)?;
    let params = ParamsAdamW {
        lr: config.lr,
        weight_decay: config.weight_decay,
        ..Default::default()
    };
    let mut run = Run {
        net: net.as_ref(),
        optimizer: AdamW::new(trainable_vars(&varmap), params)?,
        data,
        shape,
        config,
        has_batch_norm: has_batch_norm(&varmap),
        // A separate stream from the initialisation's, so changing the
        // network does not change the order of the examples.
        order_rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x9e37_79b9_7f4a_7c15),
        bar: progress_bar(config, data.train.len()),
    };
    let mut record = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        let row = run.epoch(epoch)?;
        report_epoch(&run.bar, &row);
        record.push(row);
    }
    run.bar.finish_and_clear();

    let seconds = started.elapsed().as_secs_f64();
    let sidecar = Sidecar::new(arch, shape, data, config, record, seconds);
    Ok(Trained {
        varmap,
        net,
        sidecar,
    })
}

/// A network over a new [`VarMap`], initialised from `seed`.
fn fresh_network(
    arch: &Arch,
    shape: InputShape,
    seed: u64,
) -> Result<(VarMap, Box<dyn Net>), NnError> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let net = build(arch, shape, vb)?;
    init_seeded(&varmap, seed)?;
    Ok((varmap, net))
}

fn has_batch_norm(varmap: &VarMap) -> bool {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    vars.keys().any(|name| name.ends_with("running_mean"))
}

/// The state of one training run.
struct Run<'a> {
    net: &'a dyn Net,
    optimizer: AdamW,
    data: &'a TrainData<'a>,
    shape: InputShape,
    config: &'a TrainConfig,
    has_batch_norm: bool,
    order_rng: ChaCha8Rng,
    bar: ProgressBar,
}

impl Run<'_> {
    fn epoch(&mut self, epoch: usize) -> Result<EpochRecord, NnError> {
        let epoch_start = Instant::now();
        let (train_loss, train_accuracy) = run_epoch(
            self.net,
            &mut self.optimizer,
            &self.data.train,
            self.shape,
            self.config,
            &mut self.order_rng,
            &self.bar,
        )?;
        if self.has_batch_norm {
            let batch_size = self.config.batch_size;
            let (train, rng) = (&self.data.train, &mut self.order_rng);
            recalibrate_batch_norm(self.net, train, self.shape, batch_size, rng)?;
        }
        let (test_loss, test_accuracy) = evaluate(self.net, self.shape, &self.data.test)?;
        Ok(EpochRecord {
            epoch,
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
            seconds: epoch_start.elapsed().as_secs_f64(),
        })
    }
}

fn check_examples(which: &str, examples: &Examples, shape: InputShape) -> Result<(), NnError> {
    if examples.is_empty() {
        return Err(NnError::BadTraining {
            reason: format!("{which} set is empty"),
        });
    }
    if examples.images.len() != examples.len() * shape.len() {
        return Err(NnError::BadTraining {
            reason: format!(
                "{which} set has {} image values for {} labels of {} coordinates",
                examples.images.len(),
                examples.len(),
                shape.len()
            ),
        });
    }
    Ok(())
}

/// Every variable but the batch norms' running statistics, which follow the
/// data rather than the gradient.
fn trainable_vars(varmap: &VarMap) -> Vec<Var> {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let mut named: Vec<(&String, &Var)> = vars
        .iter()
        .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
        .collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    named.into_iter().map(|(_, var)| var.clone()).collect()
}

fn run_epoch(
    net: &dyn Net,
    optimizer: &mut AdamW,
    examples: &Examples,
    shape: InputShape,
    config: &TrainConfig,
    rng: &mut ChaCha8Rng,
    bar: &ProgressBar,
) -> Result<(f64, f64), NnError> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(rng);
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    for batch in order.chunks(config.batch_size) {
        let (xs, ys) = gather(examples, batch, shape)?;
        let logits = net.forward_t(&xs, true)?;
        let loss = bce_with_logits(&logits, &ys)?;
        optimizer.backward_step(&loss)?;
        loss_sum += f64::from(loss.to_scalar::<f32>()?) * batch.len() as f64;
        correct += count_correct(&logits, &ys)?;
        bar.inc(batch.len() as u64);
    }
    let n = examples.len() as f64;
    Ok((loss_sum / n, correct as f64 / n))
}

/// Re-estimates the batch norms' running statistics for the current weights
/// by one pass over the training set in training mode, without updates.
///
/// During an epoch the running statistics trail the weights by about ten
/// batches (momentum 0.1), and the weights move fast: the 28x28 ResNet
/// scored 54% on the test set after its first epoch in evaluation mode while
/// its training batches scored 96%, and its final accuracy swung between 98%
/// and 99.8% with the learning rate. After this pass the statistics carry
/// the old values with weight 0.9^(number of batches), 6% for 27 batches.
fn recalibrate_batch_norm(
    net: &dyn Net,
    examples: &Examples,
    shape: InputShape,
    batch_size: usize,
    rng: &mut ChaCha8Rng,
) -> Result<(), NnError> {
    // Shuffled, since a data set stored class by class would leave the
    // statistics of the last class only.
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(rng);
    for batch in order.chunks(batch_size) {
        let (xs, _) = gather(examples, batch, shape)?;
        net.forward_t(&xs, true)?;
    }
    Ok(())
}

/// Mean loss and accuracy of `net` on `examples`, in evaluation mode.
pub fn evaluate(
    net: &dyn Net,
    shape: InputShape,
    examples: &Examples,
) -> Result<(f64, f64), NnError> {
    const CHUNK: usize = 500;
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    let all: Vec<usize> = (0..examples.len()).collect();
    for batch in all.chunks(CHUNK) {
        let (xs, ys) = gather(examples, batch, shape)?;
        let logits = net.forward_t(&xs, false)?.detach();
        loss_sum +=
            f64::from(bce_with_logits(&logits, &ys)?.to_scalar::<f32>()?) * batch.len() as f64;
        correct += count_correct(&logits, &ys)?;
    }
    let n = examples.len() as f64;
    Ok((loss_sum / n, correct as f64 / n))
}

/// The images `[b, c, h, w]` and labels `[b]` (as 0.0 / 1.0) of the examples `batch`.
fn gather(
    examples: &Examples,
    batch: &[usize],
    shape: InputShape,
) -> candle_core::Result<(Tensor, Tensor)> {
    let d = shape.len();
    let mut images = Vec::with_capacity(batch.len() * d);
    for &i in batch {
        images.extend_from_slice(&examples.images[i * d..(i + 1) * d]);
    }
    let labels: Vec<f32> = batch
        .iter()
        .map(|&i| f32::from(examples.labels[i] == 1))
        .collect();
    let dims = (batch.len(), shape.channels, shape.height, shape.width);
    Ok((
        Tensor::from_vec(images, dims, &Device::Cpu)?,
        Tensor::new(labels, &Device::Cpu)?,
    ))
}

/// Mean binary cross-entropy of logits against 0/1 targets, written as
/// `max(x, 0) - x y + ln(1 + e^-|x|)` so that large logits neither overflow
/// the exponential nor lose the loss to `ln(0)`.
pub fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let softplus_tail = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    let loss = ((logits.relu()? - (logits * targets)?)? + softplus_tail)?;
    loss.mean_all()
}

fn count_correct(logits: &Tensor, targets: &Tensor) -> candle_core::Result<usize> {
    let predicted = logits.gt(0.0)?.to_dtype(DType::F32)?;
    let hits = predicted
        .eq(targets)?
        .to_dtype(DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()?;
    Ok(hits as usize)
}

fn progress_bar(config: &TrainConfig, n_train: usize) -> ProgressBar {
    let bar = ProgressBar::new((config.epochs * n_train) as u64);
    let style = ProgressStyle::with_template("train {bar:30} {pos}/{len} examples, eta {eta}")
        .expect("static template parses");
    bar.set_style(style);
    bar
}

fn report_epoch(bar: &ProgressBar, row: &EpochRecord) {
    let line = format!(
        "epoch {:>3}  train loss {:.4} acc {:.4}  test loss {:.4} acc {:.4}  {:>6.1}s",
        row.epoch,
        row.train_loss,
        row.train_accuracy,
        row.test_loss,
        row.test_accuracy,
        row.seconds
    );
    // A hidden bar (stderr is not a terminal) swallows println.
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}
