//! Experiment specs: what an experiment runs, read from one TOML file.
//!
//! Loading is two passes. The first walks the spanned TOML tree against the
//! schema in [`schema`] and collects *every* problem with its line and key,
//! because serde stops at the first one and a user fixing a spec should see
//! the whole list at once. Only a spec that passes is then deserialized into
//! the types below (which also refuse unknown keys, as a second guard).

mod check;
mod model;
mod profile;
mod schema;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub use model::{
    AnalyticKind, AnalyticModel, Arch, InputShape, ModelName, ModelRef, SequentialModel,
};
pub use profile::{Budget, Profile, ResolvedBudget};

/// One experiment, as written in `experiments/<id>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Experiment id; names the results folder `results/<id>/`.
    pub id: String,
    pub description: String,
    /// Where the reference density of states comes from.
    pub truth: Truth,
    /// Run `i` of a sampler uses seed `base_seed + i`.
    #[serde(default)]
    pub base_seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<TrainSpec>,
    /// Budgets shared by both profiles unless a profile block overrides them.
    pub budget: Budget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick: Option<Budget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<Budget>,
    pub models: Vec<ModelRef>,
    pub samplers: Vec<SamplerSpec>,
    #[serde(default)]
    pub outputs: Outputs,
}

/// Source of the exact density of states an experiment compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Truth {
    /// Every input evaluated; only for small input spaces.
    Enumeration,
    /// Closed-form counts of an analytic model.
    Analytic,
    /// No ground truth; the experiment reports what the samplers find.
    None,
}

/// Training data for the named networks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub dataset: Dataset,
    /// Binarisation threshold at full resolution.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Binarisation threshold after block-averaging to a toy size; lower than
    /// at full size because averaging greys out thin strokes.
    #[serde(default = "default_downsampled_threshold")]
    pub downsampled_threshold: f64,
}

fn default_threshold() -> f64 {
    0.5
}

fn default_downsampled_threshold() -> f64 {
    0.25
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    /// MNIST digits 0 and 1; label 1 is the digit one.
    Mnist01,
    /// Fashion-MNIST classes 0 and 1.
    Fashion01,
}

/// How the named networks are trained (epochs live in [`Budget`] so that a
/// profile can shorten them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    pub batch_size: u32,
    pub learning_rate: f64,
    #[serde(default)]
    pub seed: u64,
}

/// One sampler with its parameters. Parameters that do not apply to the
/// sampler's kind are refused at load time; absent ones take the defaults
/// returned by [`SamplerSpec::resolve`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerSpec {
    pub kind: SamplerKind,
    /// Name in tables and legends; defaults to the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walkers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flatness: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_every: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ln_f_final: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_over_t: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniform_mix: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Multi-flip only: bias the flip probabilities so that about this many
    /// coordinates move per step (gwl-core's `expected_moves`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_moves: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SamplerKind {
    Naive,
    Wl,
    Gwl,
    GwlMulti,
}

impl SamplerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SamplerKind::Naive => "naive",
            SamplerKind::Wl => "wl",
            SamplerKind::Gwl => "gwl",
            SamplerKind::GwlMulti => "gwl-multi",
        }
    }
}

/// Energy the gradient proposal targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Step-function `ln_g` of the current bin (plain WL acceptance).
    Bin,
    /// `ln_g` interpolated between bin centres, used in proposal and
    /// acceptance alike, with multicanonical reweighting at the end.
    Smooth,
}

/// Output range of the bins: found by the runner, or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RangeSpec {
    Auto(Auto),
    Fixed([f64; 2]),
}

/// The single word `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auto {
    Auto,
}

/// What an experiment writes besides its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Table names; each becomes `<name>.csv` and `<name>.md`.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Figure names; each becomes `<name>.<format>` per format.
    #[serde(default)]
    pub figures: Vec<String>,
    #[serde(default = "default_formats")]
    pub formats: Vec<FigureFormat>,
    /// Output thresholds for the share of the input space below each.
    #[serde(default)]
    pub thresholds: Vec<f64>,
    /// Mean errors whose cost (evaluations, seconds) the tables report.
    #[serde(default)]
    pub error_targets: Vec<f64>,
    /// Points recorded along each run for efficiency curves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve_points: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<GridSpec>,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            tables: Vec::new(),
            figures: Vec::new(),
            formats: default_formats(),
            thresholds: Vec::new(),
            error_targets: Vec::new(),
            curve_points: None,
            grid: None,
        }
    }
}

fn default_formats() -> Vec<FigureFormat> {
    vec![FigureFormat::Png, FigureFormat::Svg]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureFormat {
    Png,
    Svg,
}

/// Sample-image grid: representative inputs per output bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Images shown per bin (one row per bin).
    pub per_bin: u32,
    /// Most rows; bins are thinned evenly across the range beyond this.
    pub max_rows: u32,
    /// Screen pixels per input pixel.
    #[serde(default = "default_scale")]
    pub scale: u32,
}

fn default_scale() -> u32 {
    4
}

/// A sampler with every default filled in, ready to map onto gwl-core.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSampler {
    pub kind: SamplerKind,
    pub label: String,
    pub bin_width: f64,
    pub range: RangeSpec,
    /// `None` for naive Monte Carlo, which has no walkers.
    pub walkers: Option<u32>,
    pub wl: Option<WlParams>,
    pub gradient: Option<GradientParams>,
    /// Step size of the multi-flip proposal (`gwl-multi` only); `None`
    /// leaves gwl-core's default, which scales with D.
    pub alpha: Option<f64>,
    /// Coordinates moved per multi-flip step, if set.
    pub expected_moves: Option<f64>,
}

/// Wang-Landau schedule shared by `wl`, `gwl` and `gwl-multi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WlParams {
    pub flatness: f64,
    pub check_every: u32,
    pub ln_f_final: f64,
    pub one_over_t: bool,
}

/// Gradient proposal settings shared by `gwl` and `gwl-multi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientParams {
    pub target: Target,
    pub cap: f64,
    pub uniform_mix: f64,
}

/// Defaults for sampler parameters; the values that worked in the reference
/// implementation described in DESIGN.md §2.
pub mod defaults {
    pub const BIN_WIDTH: f64 = 1.0;
    pub const FLATNESS: f64 = 0.8;
    pub const CHECK_EVERY: u32 = 1000;
    pub const LN_F_FINAL: f64 = 1e-6;
    pub const ONE_OVER_T: bool = true;
    pub const CAP: f64 = 5.0;
    pub const UNIFORM_MIX: f64 = 0.05;
}

impl SamplerSpec {
    pub fn label(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| self.kind.as_str().to_owned())
    }

    /// Fills in defaults; `budget_walkers` is the profile's walker count,
    /// used when the sampler does not set its own.
    pub fn resolve(&self, budget_walkers: u32) -> ResolvedSampler {
        let walks = self.kind != SamplerKind::Naive;
        let gradient = matches!(self.kind, SamplerKind::Gwl | SamplerKind::GwlMulti);
        ResolvedSampler {
            kind: self.kind,
            label: self.label(),
            bin_width: self.bin_width.unwrap_or(defaults::BIN_WIDTH),
            range: self.range.unwrap_or(RangeSpec::Auto(Auto::Auto)),
            walkers: walks.then(|| self.walkers.unwrap_or(budget_walkers)),
            wl: walks.then(|| self.wl_params()),
            gradient: gradient.then(|| self.gradient_params()),
            alpha: self.alpha.filter(|_| self.kind == SamplerKind::GwlMulti),
            expected_moves: self
                .expected_moves
                .filter(|_| self.kind == SamplerKind::GwlMulti),
        }
    }

    fn wl_params(&self) -> WlParams {
        WlParams {
            flatness: self.flatness.unwrap_or(defaults::FLATNESS),
            check_every: self.check_every.unwrap_or(defaults::CHECK_EVERY),
            ln_f_final: self.ln_f_final.unwrap_or(defaults::LN_F_FINAL),
            one_over_t: self.one_over_t.unwrap_or(defaults::ONE_OVER_T),
        }
    }

    fn gradient_params(&self) -> GradientParams {
        GradientParams {
            target: self.target.unwrap_or(Target::Smooth),
            cap: self.cap.unwrap_or(defaults::CAP),
            uniform_mix: self.uniform_mix.unwrap_or(defaults::UNIFORM_MIX),
        }
    }
}

impl Spec {
    /// Reads and validates a spec file; a bad spec yields one [`SpecError`]
    /// listing every problem.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read spec {}", path.display()))?;
        Ok(Spec::parse(&text, path)?)
    }

    /// Validates `text` as a spec; `path` only labels the problems.
    pub fn parse(text: &str, path: &Path) -> Result<Spec, SpecError> {
        let problems = check::check(text);
        if !problems.is_empty() {
            return Err(SpecError {
                path: path.to_owned(),
                problems,
            });
        }
        toml::from_str(text).map_err(|err| SpecError {
            path: path.to_owned(),
            problems: vec![check::from_serde(text, &err)],
        })
    }

    /// Budgets of `profile`: the `[budget]` block with the profile's block
    /// laid over it.
    pub fn budget(&self, profile: Profile) -> ResolvedBudget {
        let over = match profile {
            Profile::Quick => self.quick.as_ref(),
            Profile::Full => self.full.as_ref(),
        };
        self.budget.overlay(over).resolve()
    }

    /// Every sampler with defaults filled in for `profile`.
    pub fn samplers(&self, profile: Profile) -> Vec<ResolvedSampler> {
        let walkers = self.budget(profile).walkers;
        self.samplers.iter().map(|s| s.resolve(walkers)).collect()
    }

    /// Seeds of the runs under `profile`, `seeds_override` replacing the
    /// profile's count (the `--seeds N` flag).
    pub fn seeds(&self, profile: Profile, seeds_override: Option<u32>) -> Vec<u64> {
        let n = seeds_override.unwrap_or(self.budget(profile).seeds);
        (0..u64::from(n)).map(|i| self.base_seed + i).collect()
    }
}

/// Every problem found in one spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

/// One bad field: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line in the spec file.
    pub line: usize,
    /// Dotted key path, e.g. `samplers[1].flatness`; empty for the document.
    pub key: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let noun = if n == 1 { "problem" } else { "problems" };
        write!(f, "invalid spec {} ({n} {noun})", self.path.display())?;
        for p in &self.problems {
            write!(f, "\n  {}:{}: ", self.path.display(), p.line)?;
            if !p.key.is_empty() {
                write!(f, "key `{}`: ", p.key)?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Loads every `*.toml` directly inside `dir`, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Spec>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| Spec::load(p)).collect()
}

#[cfg(test)]
mod tests;
