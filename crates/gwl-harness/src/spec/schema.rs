//! The spec schema the checker walks. It mirrors the serde types in
//! `spec.rs`; a test serializes fully populated values and compares their
//! keys with these lists, so the two cannot drift apart silently.

use std::collections::HashSet;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::check::{join, Bounds, Checker, Field, Kind, Schema};
use super::ModelName;

const INT_POSITIVE: Kind = Kind::Int {
    min: 1,
    max: i64::MAX,
};
const INT_ANY_UNSIGNED: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};
const POSITIVE: Kind = Kind::Float(Bounds::POSITIVE);

pub(crate) const SAMPLER_KINDS: &[&str] = &["naive", "wl", "gwl", "gwl-multi"];

pub(crate) static SPEC: Schema = Schema {
    fields: &[
        Field::req("id", Kind::Ident),
        Field::req("description", Kind::Str),
        Field::req("truth", Kind::Word(&["enumeration", "analytic", "none"])),
        Field::opt("base_seed", INT_ANY_UNSIGNED),
        Field::opt("data", Kind::Table(&DATA)),
        Field::opt("train", Kind::Table(&TRAIN)),
        Field::req("budget", Kind::Table(&BUDGET)),
        Field::opt("quick", Kind::Table(&BUDGET)),
        Field::opt("full", Kind::Table(&BUDGET)),
        Field::req("models", Kind::Custom(check_models)),
        Field::req("samplers", Kind::Tables(&SAMPLER)),
        Field::opt("outputs", Kind::Table(&OUTPUTS)),
    ],
    hook: Some(check_spec),
};

pub(crate) static DATA: Schema = Schema {
    fields: &[
        Field::req("dataset", Kind::Word(&["mnist01", "fashion01"])),
        Field::opt("threshold", Kind::Float(Bounds::closed(0.0, 1.0))),
        Field::opt(
            "downsampled_threshold",
            Kind::Float(Bounds::closed(0.0, 1.0)),
        ),
    ],
    hook: None,
};

pub(crate) static TRAIN: Schema = Schema {
    fields: &[
        Field::req("batch_size", INT_POSITIVE),
        Field::req("learning_rate", POSITIVE),
        Field::opt("seed", INT_ANY_UNSIGNED),
    ],
    hook: None,
};

pub(crate) static BUDGET: Schema = Schema {
    fields: &[
        Field::opt("evaluations", INT_POSITIVE),
        Field::opt("seconds", POSITIVE),
        Field::opt("seeds", INT_POSITIVE),
        Field::opt("walkers", INT_POSITIVE),
        Field::opt("train_epochs", INT_ANY_UNSIGNED),
    ],
    hook: None,
};

pub(crate) static SAMPLER: Schema = Schema {
    fields: &[
        Field::req("kind", Kind::Word(SAMPLER_KINDS)),
        Field::opt("label", Kind::Ident),
        Field::opt("bin_width", POSITIVE),
        Field::opt("range", Kind::Custom(check_range)),
        Field::opt("walkers", INT_POSITIVE),
        Field::opt(
            "flatness",
            Kind::Float(Bounds {
                lo: 0.0,
                hi: 1.0,
                lo_open: true,
                hi_open: true,
            }),
        ),
        Field::opt("check_every", INT_POSITIVE),
        Field::opt(
            "ln_f_final",
            Kind::Float(Bounds {
                lo: 0.0,
                hi: 1.0,
                lo_open: true,
                hi_open: false,
            }),
        ),
        Field::opt("one_over_t", Kind::Bool),
        Field::opt("target", Kind::Word(&["bin", "smooth"])),
        Field::opt("cap", POSITIVE),
        Field::opt(
            "uniform_mix",
            Kind::Float(Bounds {
                lo: 0.0,
                hi: 1.0,
                lo_open: false,
                hi_open: true,
            }),
        ),
        Field::opt("alpha", POSITIVE),
        Field::opt("expected_moves", POSITIVE),
    ],
    hook: Some(check_sampler_kind),
};

pub(crate) static SEQUENTIAL: Schema = Schema {
    fields: &[
        Field::opt("name", Kind::Ident),
        Field::req("arch_toml", Kind::Str),
        Field::req("weights", Kind::Custom(check_weights_path)),
        Field::req("input", Kind::Table(&INPUT)),
    ],
    hook: None,
};

pub(crate) static INPUT: Schema = Schema {
    fields: &[
        Field::req("height", INT_POSITIVE),
        Field::req("width", INT_POSITIVE),
    ],
    hook: None,
};

pub(crate) static ANALYTIC: Schema = Schema {
    fields: &[
        Field::req("analytic", Kind::Word(&["sum-bits", "int-linear"])),
        Field::req("dim", INT_POSITIVE),
        Field::opt("max_weight", INT_POSITIVE),
    ],
    hook: Some(check_analytic),
};

pub(crate) static OUTPUTS: Schema = Schema {
    fields: &[
        Field::opt("tables", Kind::List(&Kind::Ident)),
        Field::opt("figures", Kind::List(&Kind::Ident)),
        Field::opt("formats", Kind::List(&Kind::Word(&["png", "svg"]))),
        Field::opt("thresholds", Kind::List(&Kind::Float(Bounds::ANY))),
        Field::opt("error_targets", Kind::List(&POSITIVE)),
        Field::opt(
            "curve_points",
            Kind::Int {
                min: 2,
                max: 100_000,
            },
        ),
        Field::opt("grid", Kind::Table(&GRID)),
    ],
    hook: None,
};

pub(crate) static GRID: Schema = Schema {
    fields: &[
        Field::req("per_bin", INT_POSITIVE),
        Field::req("max_rows", INT_POSITIVE),
        Field::opt("scale", Kind::Int { min: 1, max: 64 }),
    ],
    hook: None,
};

/// Sampler keys by the first kind they apply to; each kind takes its own
/// keys and those of the kinds before it.
const KEYS_BY_KIND: &[(&str, &[&str])] = &[
    ("naive", &["kind", "label", "bin_width", "range"]),
    (
        "wl",
        &[
            "walkers",
            "flatness",
            "check_every",
            "ln_f_final",
            "one_over_t",
        ],
    ),
    ("gwl", &["target", "cap", "uniform_mix"]),
    ("gwl-multi", &["alpha", "expected_moves"]),
];

fn check_sampler_kind(c: &mut Checker, path: &str, _span: Range<usize>, table: &DeTable) {
    let Some(kind) = table.get("kind").and_then(|v| v.get_ref().as_str()) else {
        return;
    };
    let Some(rank) = KEYS_BY_KIND.iter().position(|(k, _)| *k == kind) else {
        return;
    };
    for (key, _) in table.iter() {
        let name = key.get_ref().as_ref();
        let first = KEYS_BY_KIND
            .iter()
            .position(|(_, keys)| keys.contains(&name));
        if let Some(first) = first.filter(|&f| f > rank) {
            let kinds = SAMPLER_KINDS[first..].join(", ");
            let msg = format!("does not apply to sampler kind `{kind}` (only to {kinds})");
            c.report(key.span(), &join(path, name), msg);
        }
    }
}

fn check_range(c: &mut Checker, path: &str, v: &Spanned<DeValue>) {
    if v.get_ref().as_str() == Some("auto") {
        return;
    }
    let pair = v.get_ref().as_array().filter(|a| a.len() == 2);
    let bounds = pair.and_then(|a| Some((c.number(&a[0])?, c.number(&a[1])?)));
    match bounds {
        Some((lo, hi)) if lo < hi => {}
        Some(_) => c.report(v.span(), path, "range needs lo < hi".to_owned()),
        None => c.mismatch(path, v, "\"auto\" or [lo, hi]"),
    }
}

fn check_weights_path(c: &mut Checker, path: &str, v: &Spanned<DeValue>) {
    match v.get_ref().as_str() {
        Some(s) if s.ends_with(".safetensors") => {}
        Some(_) => c.report(v.span(), path, "expected a .safetensors file".to_owned()),
        None => c.mismatch(path, v, "a path to a .safetensors file"),
    }
}

fn check_analytic(c: &mut Checker, path: &str, _span: Range<usize>, table: &DeTable) {
    let kind = table.get("analytic").and_then(|v| v.get_ref().as_str());
    if let (Some("sum-bits"), Some((key, _))) = (kind, table.get_key_value("max_weight")) {
        let msg = "applies only to analytic = \"int-linear\"".to_owned();
        c.report(key.span(), &join(path, "max_weight"), msg);
    }
}

fn check_models(c: &mut Checker, path: &str, v: &Spanned<DeValue>) {
    let Some(items) = v.get_ref().as_array() else {
        return c.mismatch(path, v, "an array of model names or tables");
    };
    if items.is_empty() {
        c.report(v.span(), path, "must not be empty".to_owned());
    }
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let sub = format!("{path}[{i}]");
        check_model(c, &sub, item);
        if let Some(name) = item.get_ref().as_str() {
            if !seen.insert(name.to_owned()) {
                c.report(item.span(), &sub, format!("model `{name}` listed twice"));
            }
        }
    }
}

fn check_model(c: &mut Checker, path: &str, v: &Spanned<DeValue>) {
    match v.get_ref() {
        DeValue::String(name) => {
            if let Err(msg) = name.parse::<ModelName>() {
                c.report(v.span(), path, msg);
            }
        }
        DeValue::Table(t) if t.contains_key("analytic") => c.table(path, v.span(), t, &ANALYTIC),
        DeValue::Table(t) => c.table(path, v.span(), t, &SEQUENTIAL),
        _ => c.mismatch(path, v, "a model name or a table"),
    }
}

/// Checks that need several top-level keys at once.
fn check_spec(c: &mut Checker, _path: &str, span: Range<usize>, doc: &DeTable) {
    check_profiles(c, span.clone(), doc);
    check_sampler_labels(c, doc);
}

/// Each profile, after laying its block over `[budget]`, must say how long
/// a run lasts, how many seeds and how many walkers.
fn check_profiles(c: &mut Checker, span: Range<usize>, doc: &DeTable) {
    let Some(base) = doc.get("budget").and_then(|v| v.get_ref().as_table()) else {
        return;
    };
    let base_span = doc.get("budget").map_or(span, |v| v.span());
    for profile in ["quick", "full"] {
        let over = doc.get(profile).and_then(|v| v.get_ref().as_table());
        let has = |key: &str| base.contains_key(key) || over.is_some_and(|t| t.contains_key(key));
        let mut missing = Vec::new();
        if !has("evaluations") && !has("seconds") {
            missing.push("evaluations or seconds");
        }
        missing.extend(["seeds", "walkers"].into_iter().filter(|k| !has(k)));
        if !missing.is_empty() {
            let msg = format!(
                "profile `{profile}` has no {}; set it in [budget] or [{profile}]",
                missing.join(", ")
            );
            c.report(base_span.clone(), profile, msg);
        }
    }
}

/// Labels name table rows and figure lines, so two samplers may not share
/// one (a label defaults to the kind).
fn check_sampler_labels(c: &mut Checker, doc: &DeTable) {
    let Some(items) = doc.get("samplers").and_then(|v| v.get_ref().as_array()) else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let Some(t) = item.get_ref().as_table() else {
            continue;
        };
        let label = t
            .get("label")
            .or_else(|| t.get("kind"))
            .and_then(|v| v.get_ref().as_str());
        if let Some(label) = label {
            if !seen.insert(label.to_owned()) {
                let msg = format!("sampler label `{label}` used twice; set a distinct `label`");
                c.report(item.span(), &format!("samplers[{i}]"), msg);
            }
        }
    }
}
