//! What every experiment runner shares: its spec, output folder, the store
//! of finished runs, the manifest and the progress bars.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use gwl_core::Model;

use super::sampling::{run_sampler, RunBudget, SamplerRun};
use super::subject::{obtain, Subject, TrainOverrides};
use super::RunOptions;
use crate::{
    model_key, run_key, ContentHash, Manifest, ModelRef, Progress, ResolvedBudget, ResolvedSampler,
    RunRecord, RunSummary, Spec, Store,
};

pub struct Context<'a> {
    pub spec: &'a Spec,
    pub opts: &'a RunOptions,
    pub out: PathBuf,
    pub runs: Store,
    pub progress: Progress,
    pub manifest: Manifest,
    pub budget: ResolvedBudget,
    pub seeds: Vec<u64>,
    pub samplers: Vec<ResolvedSampler>,
}

impl<'a> Context<'a> {
    pub fn new(spec: &'a Spec, opts: &'a RunOptions, progress: Progress) -> Result<Self> {
        let out = opts.results.join(&spec.id);
        std::fs::create_dir_all(&out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let spec_hash = ContentHash::new().part("spec", spec)?.short();
        let runs = Store::new(opts.cache.join(&spec.id));
        std::fs::create_dir_all(runs.dir())
            .with_context(|| format!("cannot create {}", runs.dir().display()))?;
        Ok(Self {
            out,
            runs,
            manifest: Manifest::start(&spec.id, opts.profile, &spec_hash),
            budget: spec.budget(opts.profile),
            seeds: spec.seeds(opts.profile, opts.seeds),
            samplers: spec.samplers(opts.profile),
            spec,
            opts,
            progress,
        })
    }

    /// The model a spec names, trained or read from the cache, with its key:
    /// the spec's key plus the trained weights' hash, so retraining (or a new
    /// user weights file) invalidates every run on the model.
    pub fn subject(&mut self, model: &ModelRef) -> Result<(Subject, String)> {
        let started = std::time::Instant::now();
        let spec_dir = self.opts.experiments.clone();
        let overrides = TrainOverrides {
            epochs: (self.budget.train_epochs > 0).then_some(self.budget.train_epochs as usize),
            batch_size: self.spec.train.as_ref().map(|t| t.batch_size as usize),
            lr: self.spec.train.as_ref().map(|t| t.learning_rate),
        };
        let subject = obtain(model, &spec_dir, overrides)
            .with_context(|| format!("cannot prepare model {}", model.label()))?;
        let mut key = model_key(self.spec, model, self.opts.profile)?;
        if let Some(net) = subject.net() {
            key = key.part("weights", &net.sidecar.weights_sha256)?;
            let cached = !net.trained_now;
            let what = format!("train {}", model.label());
            self.manifest
                .push_timing(&what, net.sidecar.train_seconds, cached);
            let accuracy = net.test_accuracy();
            let line = format!(
                "{}: {} (test accuracy {:.4}, trained in {:.1} s{})",
                self.spec.id,
                model.label(),
                accuracy,
                net.sidecar.train_seconds,
                if cached { ", cached" } else { "" }
            );
            self.progress.println(&line);
        } else {
            let what = format!("prepare {}", model.label());
            self.manifest
                .push_timing(&what, started.elapsed().as_secs_f64(), false);
        }
        Ok((subject, key.short()))
    }

    /// Runs one sampler with one seed, or reads the finished run back.
    pub fn run(
        &mut self,
        model_label: &str,
        model_key: &str,
        model: &dyn Model,
        index: usize,
        run: RunSpec,
    ) -> Result<SamplerRun> {
        let sampler = &self.samplers[index];
        let spec_sampler = &self.spec.samplers[index];
        // The bins are derived from the model (enumerated or searched range,
        // test-set logits), not written in the spec, so they join the key:
        // a run on other bins is another run.
        let spec_key = run_key(
            self.spec,
            model_key,
            spec_sampler,
            self.opts.profile,
            run.seed,
        )?;
        let bins_key = ContentHash::new().part("binning", &run.binning)?.short();
        let key = format!("{spec_key}-{}-{bins_key}", run.tag);
        if let Some(found) = self.runs.get::<SamplerRun>(&key)? {
            self.record(model_label, &found, &key, None)?;
            return Ok(found);
        }
        let bar = self
            .progress
            .run(&format!("{model_label} {}", sampler.label), 1000);
        let result = run_sampler(
            &model,
            sampler,
            run.binning,
            run.budget,
            run.grad_ratio,
            run.seed,
            run.keep_per_bin,
            Some(&self.runs.dir().join(format!("{key}.checkpoint.json"))),
            &bar,
        )?;
        self.runs.put(&key, &result)?;
        self.record(model_label, &result, &key, Some(&bar))?;
        Ok(result)
    }

    /// Notes a finished run in the manifest and prints its summary line,
    /// closing its progress bar (none when it was read back from the cache).
    fn record(
        &mut self,
        model: &str,
        run: &SamplerRun,
        key: &str,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<()> {
        let cached = bar.is_none();
        self.manifest.push_run(RunRecord {
            model: model.to_owned(),
            sampler: run.sampler.clone(),
            seed: run.seed,
            evaluations: run.evaluations(),
            seconds: run.seconds,
            key: key.to_owned(),
            cached,
        });
        let summary = RunSummary {
            experiment: self.spec.id.clone(),
            model: model.to_owned(),
            sampler: run.sampler.clone(),
            seed: run.seed,
            evaluations: run.evaluations(),
            seconds: run.seconds,
            notes: vec![("bins".into(), format!("{}", run.dos.n_visited()))],
            cached,
        };
        match bar {
            Some(bar) => self.progress.finish_run(bar, &summary),
            None => self.progress.println(&summary.to_string()),
        }
        // Rewritten after every run so an interrupted reproduction keeps
        // the record of what finished.
        self.manifest.write(&self.out.join("manifest.json"))
    }

    pub fn finish(&mut self, seconds: f64) -> Result<()> {
        self.manifest.total_seconds = seconds;
        self.manifest.write(&self.out.join("manifest.json"))
    }
}

/// One run's parameters beyond the sampler itself.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub seed: u64,
    pub binning: gwl_core::Binning,
    pub budget: RunBudget,
    pub grad_ratio: f64,
    /// Distinguishes runs of one sampler and seed at several budgets.
    pub tag: String,
    /// Representative inputs to keep per bin (0: none).
    pub keep_per_bin: usize,
}

impl RunSpec {
    /// The spec's budget as a run budget.
    pub fn from_budget(budget: &ResolvedBudget) -> RunBudget {
        RunBudget {
            cost: budget.evaluations.map(|e| e as f64),
            seconds: budget.seconds,
        }
    }
}
