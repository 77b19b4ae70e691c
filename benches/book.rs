//! Book benchmark: applying full 10-level updates (quote10) and level-1 updates (quote) in place.

use std::hint::black_box;
use std::mem::size_of;

use _kfeed::book;
use _kfeed::rows::BookRow;
use _kfeed::wire::{BookUpdate, Code, Source, ABSENT};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SYMBOLS: usize = 2000;
const UPDATES: usize = 10_000;

fn update(levels: u16) -> BookUpdate {
    let mask = (1u16 << levels) - 1;
    let mut u = BookUpdate {
        code: Code::new(b"005930").unwrap(),
        source: Source::Quote10,
        ask_total: 1000,
        bid_total: 2000,
        acc_volume: ABSENT,
        ask_price_mask: mask,
        ask_qty_mask: mask,
        bid_price_mask: mask,
        bid_qty_mask: mask,
        ..BookUpdate::default()
    };
    for i in 0..levels as usize {
        u.ask_price[i] = 50_100.0 + 100.0 * i as f64;
        u.bid_price[i] = 50_000.0 - 100.0 * i as f64;
        u.ask_qty[i] = 10 + i as i64;
        u.bid_qty[i] = 20 + i as i64;
    }
    u
}

fn book_apply(c: &mut Criterion) {
    let mut books = vec![BookRow::default(); SYMBOLS];
    for b in &mut books {
        b.book.levels = 10;
    }
    let mut group = c.benchmark_group("book");
    group.throughput(Throughput::Bytes((UPDATES * size_of::<BookRow>()) as u64));
    for levels in [10u16, 1] {
        let u = update(levels);
        group.bench_function(format!("apply_{levels}_levels/{UPDATES}x"), |b| {
            b.iter(|| {
                for i in 0..UPDATES {
                    book::apply_row(&mut books[(i * 7) % SYMBOLS], black_box(&u), i as i64);
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, book_apply);
criterion_main!(benches);
