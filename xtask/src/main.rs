//! `cargo xtask`: the project's commands. One command per file, each with a
//! `run`; the flags live here.

use clap::{Parser, Subcommand};

mod bench;
mod check_results;
mod data;
mod reproduce;
mod sample;
mod test_cmd;
mod train;

// glibc's allocator made candle's backward pass 3-9x slower on this kind of
// machine; mimalloc keeps large temporary buffers cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "gwl: reproduce, test, train, sample, bench"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the test suite (cargo test --workspace --release)
    Test {
        /// extra arguments passed to cargo test
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Fetch, verify and convert the MNIST 0/1 data, and print counts
    Data,
    /// Train one named model and cache it, keyed by its spec
    Train {
        /// a named model, e.g. mlp-28, cnn-28, resnet-28, mlp-4, cnn-5
        model: String,
    },
    /// Run experiments and regenerate their tables, figures and report
    Reproduce(reproduce::Args),
    /// Run the samplers on your own Sequential network from safetensors
    Sample(sample::Args),
    /// Benchmark the inference engine against candle; writes results/bench/engine.md
    Bench {
        /// fewer repetitions, for a smoke run
        #[arg(long)]
        quick: bool,
    },
    /// Check that committed result tables still match what the code writes
    CheckResults,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Test { args } => test_cmd::run(&args),
        Command::Data => data::run(),
        Command::Train { model } => train::run(&model),
        Command::Reproduce(args) => reproduce::run(&args),
        Command::Sample(args) => sample::run(&args),
        Command::Bench { quick } => bench::run(quick),
        Command::CheckResults => check_results::run(),
    }
}

/// The workspace root, found from this crate's manifest directory.
pub fn workspace_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
