//! The experiment harness: from a TOML spec to tables, figures and a report.
//!
//! An experiment is described by a [`Spec`] (`experiments/<id>.toml`): the
//! models, the samplers with their parameters, budgets with `quick` and
//! `full` [`Profile`]s, seeds and outputs. [`Spec::load`] checks the whole
//! file before anything runs and reports every bad key with its line at
//! once ([`SpecError`]).
//!
//! The runner (in `xtask`) then works in `results/<id>/` ([`ResultsDir`]):
//! each finished run is stored as a JSON record keyed by a [`ContentHash`]
//! of what produced it ([`Store`], [`run_key`]), so a restarted run skips
//! what already finished, and trained models and ground truths are cached
//! the same way ([`model_key`], [`truth_key`]).
//! Every file is written atomically ([`write_atomic`]). A [`Manifest`]
//! records versions, git commit, seeds, the RNG, thread count and timings;
//! [`Progress`] shows bars and prints a [`RunSummary`] per run.
//!
//! Runs over seeds are summarised by [`mean_spread`], [`mean_curve`] and
//! [`cost_to_reach`]. Results become a [`Table`] (polars, written as CSV and Markdown), charts
//! ([`LineChart`], [`DensityChart`], rendered to PNG and SVG by [`render`]
//! with an embedded font) and an [`ImageGrid`] of inputs per bin. A
//! [`Report`] stitches claims, tables and figures into `results/REPORT.md`,
//! and [`check_table`] / [`check_experiment_ids`] fail when committed
//! results no longer match what the code writes.
//!
//! ```
//! use std::path::Path;
//! use gwl_harness::{Cell, Profile, Spec, Table, TableSchema};
//!
//! let text = r#"
//! id = "demo"
//! description = "sum of bits, WL against its binomial truth"
//! truth = "analytic"
//! models = ["sum-bits-16"]
//!
//! [budget]
//! evaluations = 10_000
//! seeds = 2
//! walkers = 4
//!
//! [quick]
//! evaluations = 1_000
//!
//! [[samplers]]
//! kind = "wl"
//! "#;
//! let spec = Spec::parse(text, Path::new("demo.toml")).unwrap();
//! assert_eq!(spec.budget(Profile::Quick).evaluations, Some(1_000));
//! assert_eq!(spec.seeds(Profile::Full, None), vec![0, 1]);
//!
//! const ACCURACY: TableSchema = TableSchema { name: "accuracy", columns: &["model", "mean_err"] };
//! let mut table = Table::new(&ACCURACY);
//! table.push(vec![Cell::from("sum-bits-16"), Cell::from(0.031)]).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! table.write(dir.path()).unwrap();
//! gwl_harness::check_table(dir.path(), &ACCURACY).unwrap();
//! ```

mod drift;
mod hash;
mod io;
mod keys;
mod manifest;
mod plot;
mod progress;
mod report;
mod run;
mod spec;
mod stats;
mod table;

pub use drift::{
    check_experiment_ids, check_table, compare_columns, csv_columns, markdown_columns,
};
pub use hash::ContentHash;
pub use io::{read_json, render_atomic, write_atomic, write_json_atomic, ResultsDir, Store};
pub use keys::{model_key, run_key, truth_key, CACHE_EPOCH};
pub use manifest::{Manifest, RunRecord, Timing, RNG_NAME};
pub use plot::{
    ensure_font, render, series_color, Curve, DensityChart, DensitySeries, Draw, GridRow,
    Histogram, ImageGrid, LineChart, Scale, FAMILY, FIGURE_SIZE,
};
pub use progress::{Progress, RunSummary, NO_PROGRESS_ENV};
pub use report::{relative_link, Claim, FigureLink, Report, ReportTable, Section, Verdict};
pub use run::{
    check_claims, check_committed, default_profile, models_dir, obtain, reproduce, run_sampler,
    sample_user, schemas, trained_net, wl_config, wl_steps_report, Findings, RunBudget, RunOptions,
    SamplerRun, Subject, TracePoint, TrainOverrides, TrainedNet, EXPERIMENT_IDS,
};
pub use spec::{
    defaults, load_dir, AnalyticKind, AnalyticModel, Arch, Auto, Budget, DataSpec, Dataset,
    FigureFormat, GradientParams, GridSpec, InputShape, ModelName, ModelRef, Outputs, Problem,
    Profile, RangeSpec, ResolvedBudget, ResolvedSampler, SamplerKind, SamplerSpec, SequentialModel,
    Spec, SpecError, Target, TrainSpec, Truth, WlParams,
};
pub use stats::{cost_to_reach, mean_curve, mean_spread, MeanSpread};
pub use table::{format_float, markdown, write_frame, Cell, Table, TableFiles, TableSchema};
