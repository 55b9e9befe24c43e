//! How a spec names the models it samples.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A model in a spec: a built-in name, a user's Sequential network, or an
/// analytic model with parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ModelRef {
    Named(ModelName),
    Sequential(SequentialModel),
    Analytic(AnalyticModel),
}

/// Built-in model names: `<arch>-<side>` for networks trained on binary
/// MNIST at `side x side` (`mlp-4`, `cnn-5`, `resnet-28`), and
/// `<analytic>-<dim>` for analytic models (`sum-bits-784`, `int-linear-784`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ModelName {
    Trained { arch: Arch, side: u32 },
    Analytic { kind: AnalyticKind, dim: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    Mlp,
    Cnn,
    Resnet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnalyticKind {
    /// Output = number of ones; the density of states is binomial.
    SumBits,
    /// Output = integer-weighted sum of the bits; counts by dynamic
    /// programming over the weights.
    IntLinear,
}

/// A user's network: a Sequential architecture file plus its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequentialModel {
    /// Label in tables and legends; defaults to the weights' file stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Architecture TOML, relative to the spec file's folder.
    pub arch_toml: PathBuf,
    /// Weights (`.safetensors`), relative to the spec file's folder.
    pub weights: PathBuf,
    pub input: InputShape,
}

/// Binary input image shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputShape {
    pub height: u32,
    pub width: u32,
}

/// An analytic model with explicit parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticModel {
    pub analytic: AnalyticKind,
    pub dim: u32,
    /// Integer weights are drawn from `-max_weight..=max_weight`
    /// (`int-linear` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight: Option<u32>,
}

impl Arch {
    pub const ALL: [Arch; 3] = [Arch::Mlp, Arch::Cnn, Arch::Resnet];

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Mlp => "mlp",
            Arch::Cnn => "cnn",
            Arch::Resnet => "resnet",
        }
    }
}

impl AnalyticKind {
    pub const ALL: [AnalyticKind; 2] = [AnalyticKind::SumBits, AnalyticKind::IntLinear];

    pub fn as_str(self) -> &'static str {
        match self {
            AnalyticKind::SumBits => "sum-bits",
            AnalyticKind::IntLinear => "int-linear",
        }
    }
}

impl ModelName {
    /// Number of binary inputs.
    pub fn input_dim(self) -> u32 {
        match self {
            ModelName::Trained { side, .. } => side * side,
            ModelName::Analytic { dim, .. } => dim,
        }
    }
}

impl TryFrom<String> for ModelName {
    type Error = String;

    fn try_from(name: String) -> Result<ModelName, String> {
        name.parse()
    }
}

impl std::str::FromStr for ModelName {
    type Err = String;

    fn from_str(name: &str) -> Result<ModelName, String> {
        let bad = || {
            format!(
                "unknown model `{name}`; expected <arch>-<side> with arch mlp, cnn or resnet \
                 (e.g. cnn-5), or sum-bits-<dim> or int-linear-<dim>"
            )
        };
        let (stem, size) = name.rsplit_once('-').ok_or_else(bad)?;
        let size: u32 = size.parse().ok().filter(|&n| n > 0).ok_or_else(bad)?;
        if let Some(arch) = Arch::ALL.into_iter().find(|a| a.as_str() == stem) {
            return Ok(ModelName::Trained { arch, side: size });
        }
        let kind = AnalyticKind::ALL
            .into_iter()
            .find(|k| k.as_str() == stem)
            .ok_or_else(bad)?;
        Ok(ModelName::Analytic { kind, dim: size })
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelName::Trained { arch, side } => write!(f, "{}-{side}", arch.as_str()),
            ModelName::Analytic { kind, dim } => write!(f, "{}-{dim}", kind.as_str()),
        }
    }
}

impl From<ModelName> for String {
    fn from(name: ModelName) -> String {
        name.to_string()
    }
}

impl SequentialModel {
    /// Architecture and weights paths, resolved against the folder of the
    /// spec file they were written in.
    pub fn paths(&self, spec_file: &std::path::Path) -> (PathBuf, PathBuf) {
        let dir = spec_file.parent().unwrap_or(std::path::Path::new(""));
        (dir.join(&self.arch_toml), dir.join(&self.weights))
    }
}

impl ModelRef {
    /// Name in tables, legends and file names.
    pub fn label(&self) -> String {
        match self {
            ModelRef::Named(name) => name.to_string(),
            ModelRef::Sequential(m) => m.name.clone().unwrap_or_else(|| {
                let stem = m
                    .weights
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned());
                stem.unwrap_or_else(|| "sequential".to_owned())
            }),
            ModelRef::Analytic(m) => format!("{}-{}", m.analytic.as_str(), m.dim),
        }
    }

    /// Number of binary inputs, i.e. `D` in `|X| = 2^D`.
    pub fn input_dim(&self) -> u32 {
        match self {
            ModelRef::Named(name) => name.input_dim(),
            ModelRef::Sequential(m) => m.input.height * m.input.width,
            ModelRef::Analytic(m) => m.dim,
        }
    }
}
