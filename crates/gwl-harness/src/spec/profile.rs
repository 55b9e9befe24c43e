//! Profiles and the budgets they override.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How much compute a run gets: `quick` for CI, `full` for the committed
/// numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    Quick,
    Full,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Profile> {
        match s {
            "quick" => Ok(Profile::Quick),
            "full" => Ok(Profile::Full),
            _ => anyhow::bail!("unknown profile `{s}`; expected quick or full"),
        }
    }
}

/// Budget fields as written in `[budget]`, `[quick]` and `[full]`; every
/// field optional so that a profile block states only what it changes.
/// Loading checks that each profile ends up with seeds, walkers and at least
/// one of evaluations and seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Network evaluations per run (every proposal counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<u64>,
    /// Wall-clock seconds per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Number of seeds per (model, sampler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u32>,
    /// Walkers advanced together, unless a sampler sets its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walkers: Option<u32>,
    /// Training epochs of the named networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_epochs: Option<u32>,
}

/// A profile's budget with the base filled in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ResolvedBudget {
    /// A run stops at whichever of `evaluations` and `seconds` comes first.
    pub evaluations: Option<u64>,
    pub seconds: Option<f64>,
    pub seeds: u32,
    pub walkers: u32,
    /// Zero when the spec trains nothing.
    pub train_epochs: u32,
}

impl Budget {
    /// Fields of `over` replace those of `self`.
    pub fn overlay(&self, over: Option<&Budget>) -> Budget {
        let Some(o) = over else { return self.clone() };
        Budget {
            evaluations: o.evaluations.or(self.evaluations),
            seconds: o.seconds.or(self.seconds),
            seeds: o.seeds.or(self.seeds),
            walkers: o.walkers.or(self.walkers),
            train_epochs: o.train_epochs.or(self.train_epochs),
        }
    }

    /// Only called on specs that passed loading, which guarantees seeds and
    /// walkers after overlay; the fallbacks keep this total anyway.
    pub fn resolve(&self) -> ResolvedBudget {
        ResolvedBudget {
            evaluations: self.evaluations,
            seconds: self.seconds,
            seeds: self.seeds.unwrap_or(1),
            walkers: self.walkers.unwrap_or(1),
            train_epochs: self.train_epochs.unwrap_or(0),
        }
    }
}
