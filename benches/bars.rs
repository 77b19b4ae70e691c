//! Bar benchmark: adding trades of many symbols to 10 s / 1 min / 10 min bars with clock-driven closing, each
//! interval's series offered every trade (`BarSeries::add_trade`). The feed takes that path only for the
//! intervals whose open bar does not take a trade; it adds a trade to the others at once (`feed.rs`,
//! `apply_trade`), which `benches/feed.rs` and `make fastest` time.

use std::hint::black_box;
use std::mem::size_of;

use _kfeed::bars::{Bars, SERIES};
use _kfeed::rows::TradeRow;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SYMBOLS: usize = 2000;
const TRADES: usize = 10_000;
/// Exchange time step between trades: 5 ms, so 10 s bars close every 2000 trades.
const STEP_NS: i64 = 5_000_000;

fn bar_update(c: &mut Criterion) {
    let mut bars = Bars::new(SYMBOLS, 1 << 14);
    let mut clock = 0i64;
    let mut group = c.benchmark_group("bars");
    group.throughput(Throughput::Bytes((TRADES * size_of::<TradeRow>()) as u64));
    group.bench_function(format!("add_trade_3_intervals/{TRADES}x"), |b| {
        b.iter(|| {
            for i in 0..TRADES {
                clock += STEP_NS;
                let id = ((i * 7919) % SYMBOLS) as u32;
                for k in 0..SERIES {
                    let mut series = bars.series(k);
                    series.close_through(clock);
                    black_box(series.add_trade(
                        id,
                        clock,
                        50_000.0 + (i % 13) as f64,
                        3,
                        false,
                        clock,
                    ));
                }
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bar_update);
criterion_main!(benches);
