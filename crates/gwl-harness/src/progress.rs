//! Progress on stderr: one bar per experiment (runs done), one per run
//! (evaluations or seconds done), and a one-line summary per finished run.
//!
//! Bars are hidden when stderr is not a terminal (CI logs, redirects) or
//! when `GWL_NO_PROGRESS` is set; summaries are printed either way, since
//! they are the log of what ran.

use std::fmt;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Environment variable that turns the bars off.
pub const NO_PROGRESS_ENV: &str = "GWL_NO_PROGRESS";

const EXPERIMENT_TEMPLATE: &str = "{prefix:>16} [{bar:30}] {pos}/{len} runs {elapsed_precise}";
const RUN_TEMPLATE: &str = "{prefix:>32} [{bar:30}] {percent:>3}% {msg} eta {eta}";

/// The set of bars of one `reproduce` invocation.
#[derive(Debug, Clone)]
pub struct Progress {
    multi: MultiProgress,
    visible: bool,
}

/// A finished run, printed as one line.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub experiment: String,
    pub model: String,
    pub sampler: String,
    pub seed: u64,
    pub evaluations: u64,
    pub seconds: f64,
    /// Further `name value` pairs, e.g. `("mean_err", "0.034")`.
    pub notes: Vec<(String, String)>,
    /// Read back from a previous invocation rather than run.
    pub cached: bool,
}

impl Progress {
    /// Bars shown only on a terminal and without `GWL_NO_PROGRESS`.
    pub fn from_env() -> Progress {
        let wanted = std::env::var_os(NO_PROGRESS_ENV).is_none() && std::io::stderr().is_terminal();
        Progress::with_visibility(wanted)
    }

    /// No bars; summaries still go to stderr.
    pub fn hidden() -> Progress {
        Progress::with_visibility(false)
    }

    fn with_visibility(visible: bool) -> Progress {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            visible,
        }
    }

    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// Bar counting the runs of experiment `id`.
    pub fn experiment(&self, id: &str, n_runs: u64) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(n_runs));
        bar.set_style(style(EXPERIMENT_TEMPLATE));
        bar.set_prefix(id.to_owned());
        bar
    }

    /// Bar for one run; `total` is its budget in evaluations, or in
    /// milliseconds when the run is limited by time.
    pub fn run(&self, label: &str, total: u64) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(style(RUN_TEMPLATE));
        bar.set_prefix(label.to_owned());
        if self.visible {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        bar
    }

    /// Removes a run's bar and prints its summary line.
    pub fn finish_run(&self, bar: &ProgressBar, summary: &RunSummary) {
        bar.finish_and_clear();
        self.multi.remove(bar);
        self.println(&summary.to_string());
    }

    /// Prints a line to stderr above the bars (or plainly when hidden).
    pub fn println(&self, line: &str) {
        // A hidden MultiProgress swallows println, so print directly then.
        if !self.visible || self.multi.println(line).is_err() {
            eprintln!("{line}");
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file; a bad one is a bug that the
    // tests below catch, so falling back to the default style is enough.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} seed {}: {} evaluations in {:.2} s",
            self.experiment, self.model, self.sampler, self.seed, self.evaluations, self.seconds
        )?;
        for (name, value) in &self.notes {
            write!(f, ", {name} {value}")?;
        }
        if self.cached {
            write!(f, " (cached)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_one_line_with_notes() {
        let s = RunSummary {
            experiment: "toy-accuracy".into(),
            model: "mlp-4".into(),
            sampler: "gwl".into(),
            seed: 3,
            evaluations: 200_000,
            seconds: 1.234,
            notes: vec![("mean_err".into(), "0.034".into())],
            cached: true,
        };
        assert_eq!(
            s.to_string(),
            "toy-accuracy mlp-4 gwl seed 3: 200000 evaluations in 1.23 s, mean_err 0.034 (cached)"
        );
    }

    #[test]
    fn templates_are_valid() {
        for t in [EXPERIMENT_TEMPLATE, RUN_TEMPLATE] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn hidden_progress_runs_through_a_whole_experiment() {
        let p = Progress::hidden();
        assert!(!p.is_visible());
        let exp = p.experiment("toy", 2);
        let run = p.run("mlp-4 wl seed 1", 100);
        run.inc(100);
        let summary = RunSummary {
            experiment: "toy".into(),
            model: "mlp-4".into(),
            sampler: "wl".into(),
            seed: 1,
            evaluations: 100,
            seconds: 0.1,
            notes: Vec::new(),
            cached: false,
        };
        p.finish_run(&run, &summary);
        exp.inc(1);
        assert!(run.is_finished());
    }
}
