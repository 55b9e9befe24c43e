//! Cache keys for the artefacts of a spec: trained models, ground truths,
//! and finished runs. Each key hashes exactly what produced the artefact,
//! so editing one sampler's parameters reruns that sampler only, and
//! retraining a model reruns everything sampled on it.

use anyhow::Result;

use crate::hash::ContentHash;
use crate::spec::{ModelRef, Profile, SamplerSpec, Spec};

/// Bumped by hand when code changes what an unchanged spec produces (a
/// sampler fix, a new training loop), so stale caches are not reused. The
/// spec cannot see code changes; this constant is how the code says so.
pub const CACHE_EPOCH: u32 = 1;

/// Key of a trained (or loaded) model: data, training settings, the model
/// itself and the profile's epochs. Returned unfinished so the caller can
/// add what only it can read, e.g. a user model's weights bytes via
/// [`ContentHash::bytes`].
pub fn model_key(spec: &Spec, model: &ModelRef, profile: Profile) -> Result<ContentHash> {
    let epochs = spec.budget(profile).train_epochs;
    ContentHash::new()
        .part("epoch", &CACHE_EPOCH)?
        .part("data", &spec.data)?
        .part("train", &spec.train)?
        .part("model", model)?
        .part("train_epochs", &epochs)
}

/// Key of a ground truth (enumeration or analytic counts) of a model at a
/// bin width: `model_key` is the model's finished key.
pub fn truth_key(model_key: &str, bin_width: f64) -> Result<String> {
    let hash = ContentHash::new()
        .part("epoch", &CACHE_EPOCH)?
        .part("model", model_key)?
        .part("bin_width", &bin_width)?;
    Ok(hash.short())
}

/// Key of one run: the model's key, the sampler's parameters, the budget
/// that limits a run, and the seed. The number of seeds is left out on
/// purpose: asking for more seeds reuses the runs already done.
pub fn run_key(
    spec: &Spec,
    model_key: &str,
    sampler: &SamplerSpec,
    profile: Profile,
    seed: u64,
) -> Result<String> {
    let budget = spec.budget(profile);
    let hash = ContentHash::new()
        .part("epoch", &CACHE_EPOCH)?
        .part("model", model_key)?
        .part("sampler", sampler)?
        .part("evaluations", &budget.evaluations)?
        .part("seconds", &budget.seconds)?
        .part("walkers", &budget.walkers)?
        .part("curve_points", &spec.outputs.curve_points)?
        .part("seed", &seed)?;
    Ok(hash.short())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn spec(extra: &str) -> Spec {
        let text = format!(
            "id = \"k\"\ndescription = \"d\"\ntruth = \"analytic\"\nmodels = [\"sum-bits-16\"]\n\
             [budget]\nevaluations = 100\nseeds = 2\nwalkers = 2\n{extra}\n\
             [[samplers]]\nkind = \"wl\"\n[[samplers]]\nkind = \"gwl\"\n"
        );
        Spec::parse(&text, Path::new("k.toml")).unwrap()
    }

    fn keys(s: &Spec) -> Vec<String> {
        let model = model_key(s, &s.models[0], Profile::Full).unwrap().short();
        s.samplers
            .iter()
            .map(|smp| run_key(s, &model, smp, Profile::Full, 0).unwrap())
            .collect()
    }

    #[test]
    fn run_keys_change_only_with_what_produced_the_run() {
        let base = keys(&spec(""));
        assert_ne!(base[0], base[1]);
        assert_eq!(keys(&spec("")), base);
        // More seeds reuse the runs already done.
        assert_eq!(keys(&spec("[full]\nseeds = 5")), base);
        // A longer budget reruns everything.
        let longer = keys(&spec("[full]\nevaluations = 200"));
        assert_ne!(longer[0], base[0]);
        assert_ne!(longer[1], base[1]);
        // The quick profile's budget does not touch full-profile keys.
        assert_eq!(keys(&spec("[quick]\nevaluations = 5")), base);
    }

    #[test]
    fn truth_key_depends_on_bin_width() {
        assert_ne!(truth_key("m", 1.0).unwrap(), truth_key("m", 0.5).unwrap());
        assert_ne!(truth_key("m", 1.0).unwrap(), truth_key("n", 1.0).unwrap());
    }
}
