//! Ring benchmark: pushing trade rows into a fixed-capacity ring that wraps (the trades ring's hot path).

use std::hint::black_box;
use std::mem::size_of;

use _kfeed::ring::Ring;
use _kfeed::rows::TradeRow;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 10_000;

fn ring_push(c: &mut Criterion) {
    let mut ring = Ring::<TradeRow>::new(1 << 12);
    let mut group = c.benchmark_group("ring");
    group.throughput(Throughput::Bytes((ROWS * size_of::<TradeRow>()) as u64));
    group.bench_function(format!("push_trade/{ROWS}x"), |b| {
        b.iter(|| {
            for i in 0..ROWS {
                ring.push(TradeRow {
                    seq: 0,
                    time: i as i64,
                    recv_time: 0,
                    symbol: (i & 1023) as u32,
                    price: 50_000.0,
                    qty: 3,
                    side: 1,
                    flags: 0,
                });
            }
            black_box(ring.written())
        });
    });
    group.finish();
}

criterion_group!(benches, ring_push);
criterion_main!(benches);
