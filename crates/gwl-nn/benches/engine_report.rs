//! Prints the engine-against-candle report (Markdown) to stdout:
//! `cargo bench -p gwl-nn --bench engine_report [-- --quick]`.
//! `cargo xtask bench` calls `gwl_nn::engine::bench::engine_report` directly
//! and writes results/bench/engine.md.

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    print!("{}", gwl_nn::engine::bench::engine_report(quick));
}
