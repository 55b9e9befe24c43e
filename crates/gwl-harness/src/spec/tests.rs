use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::check::{Kind, Schema};
use super::*;

const GOOD: &str = r#"
id = "toy"
description = "a small spec"
truth = "enumeration"
base_seed = 7
models = ["mlp-4", { analytic = "int-linear", dim = 16, max_weight = 3 }]

[data]
dataset = "mnist01"

[train]
batch_size = 64
learning_rate = 0.001

[budget]
evaluations = 1000
seeds = 2
walkers = 4
train_epochs = 3

[quick]
evaluations = 100

[full]
seeds = 5

[[samplers]]
kind = "naive"

[[samplers]]
kind = "gwl"
range = [-5, 5.5]
target = "smooth"

[outputs]
tables = ["accuracy"]
"#;

fn parse(text: &str) -> Result<Spec, SpecError> {
    Spec::parse(text, Path::new("t.toml"))
}

fn experiments_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
}

#[test]
fn good_spec_parses_and_resolves_profiles() {
    let spec = parse(GOOD).unwrap();
    assert_eq!(spec.id, "toy");
    let quick = spec.budget(Profile::Quick);
    assert_eq!(
        (quick.evaluations, quick.seeds, quick.walkers),
        (Some(100), 2, 4)
    );
    let full = spec.budget(Profile::Full);
    assert_eq!((full.evaluations, full.seeds), (Some(1000), 5));
    assert_eq!(spec.seeds(Profile::Full, None), vec![7, 8, 9, 10, 11]);
    assert_eq!(spec.seeds(Profile::Full, Some(1)), vec![7]);

    let samplers = spec.samplers(Profile::Quick);
    assert_eq!(samplers[0].walkers, None);
    assert_eq!(samplers[1].walkers, Some(4));
    assert_eq!(samplers[1].range, RangeSpec::Fixed([-5.0, 5.5]));
    assert_eq!(samplers[1].gradient.unwrap().target, Target::Smooth);
    assert_eq!(spec.models[0].label(), "mlp-4");
    assert_eq!(spec.models[0].input_dim(), 16);
    assert_eq!(spec.models[1].label(), "int-linear-16");
}

#[test]
fn three_bad_fields_are_reported_together_with_their_lines() {
    let text = "\
id = \"toy\"
description = \"x\"
truth = \"enumeration\"
models = [\"sum-bits-16\"]

[budget]
evaluations = 1000
seeds = 0
walkers = 4

[[samplers]]
kind = \"wl\"
flatness = 1.5

[[samplers]]
kind = \"gwll\"
";
    let err = parse(text).unwrap_err();
    let found: Vec<(usize, &str)> = err
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (8, "budget.seeds"),
            (13, "samplers[0].flatness"),
            (16, "samplers[1].kind")
        ],
        "{err}"
    );
    let shown = err.to_string();
    assert!(shown.contains("t.toml:8: key `budget.seeds`"), "{shown}");
    assert!(shown.contains("(3 problems)"), "{shown}");
}

#[test]
fn unknown_keys_are_refused_with_a_hint() {
    let text = format!("{}\nwalker = 3\n", minimal());
    let text = text.replace("kind = \"wl\"", "kind = \"wl\"\nflatnes = 0.8");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.problems.len(), 2, "{err}");
    let keys: BTreeSet<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains("samplers[0].flatnes"), "{err}");
    assert!(
        err.to_string().contains("did you mean `flatness`?"),
        "{err}"
    );
}

#[test]
fn parameters_of_other_sampler_kinds_are_refused() {
    let text = minimal().replace("kind = \"wl\"", "kind = \"wl\"\nalpha = 0.3\ncap = 2");
    let err = parse(&text).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["samplers[0].alpha", "samplers[0].cap"], "{err}");
}

#[test]
fn profiles_without_a_stopping_rule_are_refused() {
    let text = minimal().replace("evaluations = 10\n", "");
    let err = parse(&text).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["full", "quick"], "{err}");
}

#[test]
fn bad_models_and_ranges_are_explained() {
    let text = minimal()
        .replace(
            "models = [\"mlp-4\"]",
            "models = [\"lstm-4\", { arch_toml = \"a.toml\", weights = \"w.bin\", \
             input = { height = 4 } }]",
        )
        .replace("kind = \"wl\"", "kind = \"wl\"\nrange = [3, 1]");
    let err = parse(&text).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "models[0]",
            "models[1].input.width",
            "models[1].weights",
            "samplers[0].range"
        ],
        "{err}"
    );
}

#[test]
fn training_settings_are_optional_overrides_and_checked_when_given() {
    // Named networks carry their own training recipe (gwl-nn's
    // `named_model`); [train] and train_epochs only override it.
    let bare = minimal()
        .replace(
            "[data]\ndataset = \"mnist01\"\n[train]\nbatch_size = 8\nlearning_rate = 0.01\n",
            "",
        )
        .replace("train_epochs = 1\n", "");
    parse(&bare).unwrap();
    let bad = minimal().replace("batch_size = 8", "batch_size = 0");
    let err = parse(&bad).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["train.batch_size"], "{err}");
}

#[test]
fn syntax_errors_carry_lines() {
    let err = parse("id = \"a\"\ndescription = \n").unwrap_err();
    assert_eq!(err.problems[0].line, 2, "{err}");
}

#[test]
fn every_experiment_file_parses_and_is_named_after_its_id() {
    let specs = load_dir(&experiments_dir()).unwrap();
    let ids: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["analytic", "mnist-dos", "toy-accuracy", "toy-efficiency"]
    );
    for spec in &specs {
        assert!(
            experiments_dir()
                .join(format!("{}.toml", spec.id))
                .is_file(),
            "{}",
            spec.id
        );
        for profile in [Profile::Quick, Profile::Full] {
            assert!(!spec.seeds(profile, None).is_empty());
        }
    }
}

#[test]
fn example_user_spec_parses() {
    let path = experiments_dir().join("examples/my-model.toml");
    let spec = Spec::load(&path).unwrap();
    let ModelRef::Sequential(model) = &spec.models[0] else {
        panic!("not a Sequential model")
    };
    // The weights are the user's to supply; the architecture ships with it.
    let (arch, _weights) = model.paths(&path);
    let arch: toml::Table = toml::from_str(&std::fs::read_to_string(&arch).unwrap()).unwrap();
    assert_eq!(arch["kind"].as_str(), Some("sequential"));
}

fn minimal() -> String {
    "id = \"m\"\ndescription = \"d\"\ntruth = \"none\"\nmodels = [\"mlp-4\"]\n\n\
     [data]\ndataset = \"mnist01\"\n[train]\nbatch_size = 8\nlearning_rate = 0.01\n\n\
     [budget]\nevaluations = 10\nseeds = 1\nwalkers = 1\ntrain_epochs = 1\n\n\
     [[samplers]]\nkind = \"wl\"\n"
        .to_owned()
}

/// Keys a fully populated value serializes to, compared with the schema,
/// so that a field added to one but not the other fails here.
fn assert_keys_match<T: Serialize>(value: &T, schema: &Schema) {
    let table = toml::Table::try_from(value).unwrap();
    let serialized: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    let declared: BTreeSet<&str> = schema.fields.iter().map(|f| f.key).collect();
    assert_eq!(serialized, declared);
}

#[test]
fn schema_lists_the_same_keys_as_the_types() {
    use super::schema::*;
    let sampler = SamplerSpec {
        kind: SamplerKind::GwlMulti,
        label: Some("a".into()),
        bin_width: Some(1.0),
        range: Some(RangeSpec::Auto(Auto::Auto)),
        walkers: Some(2),
        flatness: Some(0.8),
        check_every: Some(10),
        ln_f_final: Some(1e-6),
        one_over_t: Some(true),
        target: Some(Target::Bin),
        cap: Some(5.0),
        uniform_mix: Some(0.05),
        alpha: Some(0.1),
        expected_moves: Some(2.0),
    };
    assert_keys_match(&sampler, &SAMPLER);
    let budget = Budget {
        evaluations: Some(1),
        seconds: Some(1.0),
        seeds: Some(1),
        walkers: Some(1),
        train_epochs: Some(1),
    };
    assert_keys_match(&budget, &BUDGET);
    let outputs = Outputs {
        curve_points: Some(3),
        grid: Some(GridSpec {
            per_bin: 1,
            max_rows: 1,
            scale: 1,
        }),
        ..Outputs::default()
    };
    assert_keys_match(&outputs, &OUTPUTS);
    let seq = SequentialModel {
        name: Some("n".into()),
        arch_toml: "a".into(),
        weights: "w".into(),
        input: InputShape {
            height: 1,
            width: 1,
        },
    };
    assert_keys_match(&seq, &SEQUENTIAL);
    let analytic = AnalyticModel {
        analytic: AnalyticKind::SumBits,
        dim: 1,
        max_weight: Some(1),
    };
    assert_keys_match(&analytic, &ANALYTIC);
    assert_keys_match(
        &TrainSpec {
            batch_size: 1,
            learning_rate: 0.1,
            seed: 0,
        },
        &TRAIN,
    );
    let data = DataSpec {
        dataset: Dataset::Mnist01,
        threshold: 0.5,
        downsampled_threshold: 0.2,
    };
    assert_keys_match(&data, &DATA);
    assert!(matches!(SPEC.fields[0].kind, Kind::Ident));
}

#[test]
fn missing_keys_point_at_their_table() {
    let text = minimal().replace("kind = \"wl\"\n", "walkers = 2\n");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.key, "samplers[0].kind");
    let header = text.lines().position(|l| l == "[[samplers]]").unwrap() + 1;
    assert!(p.line == header || p.line == header + 1, "{err}");
}
