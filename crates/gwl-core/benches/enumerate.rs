//! Exhaustive enumeration throughput through the `Model` trait: inputs per
//! second at D = 20 (2^20 inputs per run), for a small MLP in plain order
//! and in Gray-code order through its incremental path, and for the nearly
//! free sum-of-bits model, which shows the enumeration overhead itself.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gwl_core::{Activation, Binning, Enumerator, Model, RandomMlp, SumOfBits};

fn enumerate_d20(c: &mut Criterion) {
    let mlp = RandomMlp::new(20, &[16, 8], 2, Activation::Tanh, 0).expect("valid mlp");
    let binning = Binning::with_count(-10.0, 10.0, 100).expect("valid binning");
    let enumerator = Enumerator::new(&mlp).expect("2^20 inputs are enumerable");
    bench(c, "random_mlp_d20_16_8", &enumerator, &binning, false);
    bench(c, "random_mlp_d20_16_8_gray", &enumerator, &binning, true);

    let bits = SumOfBits::new(20).expect("valid model");
    let binning = Binning::with_width(-0.5, 20.5, 1.0).expect("valid binning");
    let enumerator = Enumerator::new(&bits).expect("2^20 inputs are enumerable");
    bench(c, "sum_of_bits_d20", &enumerator, &binning, false);
}

fn bench<M: Model>(
    c: &mut Criterion,
    name: &str,
    enumerator: &Enumerator<'_, M>,
    binning: &Binning,
    incremental: bool,
) {
    let mut group = c.benchmark_group("enumerate");
    group.throughput(Throughput::Elements(enumerator.n_inputs()));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter(|| {
            let result = if incremental {
                enumerator.run_incremental(binning)
            } else {
                enumerator.run(binning)
            };
            result.expect("model cannot fail")
        })
    });
    group.finish();
}

criterion_group!(benches, enumerate_d20);
criterion_main!(benches);
