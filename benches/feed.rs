//! Feed benchmarks: `Feed::ingest` end to end (parse, symbols, rings, books and all three bar intervals) on
//! realistic streams of tick frames, quote10 frames and `/ws_ksp` arrays of 50 trades.
//!
//! Each iteration ingests a whole pre-generated stream into a fresh feed (built outside the timing), so every
//! tick is new (cumulative volumes advance) and bars close as exchange time moves. Divide the time per
//! iteration by the stream's frame (or trade) count for the per-message cost. The `parse_only` twin of each
//! stream runs the wire parser alone on the same frames, and the `apply_only` twin applies the same frames
//! parsed beforehand, which splits the cost between parsing and applying.

use std::fmt::Write as _;
use std::hint::black_box;

use _kfeed::clock::Date;
use _kfeed::feed::{Feed, FeedConfig};
use _kfeed::wire::{parse_frame, Parsed};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const SYMBOLS: usize = 2000;
const FRAMES: usize = 50_000;
const TRADES_PER_ARRAY: usize = 50;

/// A small deterministic generator (xorshift), so the streams are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn code(i: usize) -> String {
    format!("{:06}", 100 + i * 5)
}

/// `HHMMSSmm` for hundredths `cs` after 09:00:00.00.
fn hhmmsscc(cs: usize) -> u32 {
    let total = 9 * 360_000 + cs;
    let (h, rest) = (total / 360_000, total % 360_000);
    let (m, rest) = (rest / 6000, rest % 6000);
    (h * 1_000_000 + m * 10_000 + rest) as u32
}

fn tick_frames() -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut acc = vec![0i64; SYMBOLS];
    (0..FRAMES)
        .map(|n| {
            let s = rng.below(SYMBOLS as u64) as usize;
            let qty = 1 + rng.below(500) as i64;
            acc[s] += qty;
            let price = 50_000 + 100 * rng.below(50);
            format!(
                r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"tick","isuSrtCd":"{}","trdPrc":{price},"trdvol":{qty},"accTrdvol":{},"accTrdval":{},"trdTm":{}}}}}"#,
                code(s),
                acc[s],
                acc[s] * price as i64,
                hhmmsscc(n / 4)
            )
        })
        .collect()
}

fn quote10_frames() -> Vec<String> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..FRAMES)
        .map(|_| {
            let s = rng.below(SYMBOLS as u64) as usize;
            let mid = 50_000 + 100 * rng.below(50);
            let mut params = format!(r#""preset":"quote10","isuSrtCd":"{}","accTrdvol":{}"#, code(s), rng.below(1 << 20));
            let (mut ask_total, mut bid_total) = (0, 0);
            for n in 1..=10 {
                let (aq, bq) = (rng.below(5000), rng.below(5000));
                ask_total += aq;
                bid_total += bq;
                write!(
                    params,
                    r#","askStep{n}BstordPrc":{},"askStep{n}BstordRqty":{aq},"bidStep{n}BstordPrc":{},"bidStep{n}BstordRqty":{bq}"#,
                    mid + 100 * n,
                    mid - 100 * (n - 1)
                )
                .unwrap();
            }
            write!(
                params,
                r#","askordTotRqty":{ask_total},"bidordTotRqty":{bid_total},"pstoffhrAskTotOrdRqty":0,"pstoffhrBidTotOrdRqty":0,"deemTrdPrc":0,"deemTrdvol":0,"deemAccTrdvol":0"#
            )
            .unwrap();
            format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
        })
        .collect()
}

fn market_frames() -> Vec<String> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    (0..FRAMES / TRADES_PER_ARRAY * 2)
        .map(|n| {
            let items: Vec<String> = (0..TRADES_PER_ARRAY)
                .map(|_| {
                    format!(
                        r#"{{"isuSrtCd":"{}","trdPrc":"{}","trdVol":"{}","trdTm":"{}"}}"#,
                        code(rng.below(SYMBOLS as u64) as usize),
                        1000 + 5 * rng.below(1000),
                        1 + rng.below(300),
                        hhmmsscc(n * 5)
                    )
                })
                .collect();
            format!("[{}]", items.join(","))
        })
        .collect()
}

fn fresh_feed() -> Feed {
    Feed::new(
        FeedConfig {
            trade_capacity: 1 << 17,
            quote_capacity: 1 << 16,
            symbol_capacity: 4096,
            bar_capacity: 1 << 14,
            ..FeedConfig::default()
        },
        Date::new(2026, 11, 25).unwrap(),
    )
}

fn bench_stream(c: &mut Criterion, name: &str, frames: &[String], expected_rows: usize) {
    let bytes: usize = frames.iter().map(String::len).sum();
    let mut probe = fresh_feed();
    let rows: usize = frames
        .iter()
        .map(|f| probe.ingest(f.as_bytes(), 0).unwrap())
        .sum();
    assert_eq!(rows, expected_rows, "{name}: every frame must apply");
    let mut group = c.benchmark_group("feed");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("{name}/{}x", frames.len()), |b| {
        b.iter_batched_ref(
            fresh_feed,
            |feed| {
                for frame in frames {
                    black_box(feed.ingest(black_box(frame.as_bytes()), 0)).ok();
                }
            },
            BatchSize::PerIteration,
        );
    });
    let mut parsed = Parsed::new();
    group.bench_function(format!("{name}/{}x/parse_only", frames.len()), |b| {
        b.iter(|| {
            for frame in frames {
                black_box(parse_frame(black_box(frame.as_bytes()), &mut parsed)).ok();
            }
        });
    });
    let preparsed: Vec<Parsed> = frames
        .iter()
        .map(|frame| {
            parse_frame(frame.as_bytes(), &mut parsed).unwrap();
            Parsed {
                trades: parsed.trades.clone(),
                books: parsed.books.clone(),
                signals: parsed.signals.clone(),
                replies: parsed.replies.clone(),
            }
        })
        .collect();
    group.bench_function(format!("{name}/{}x/apply_only", frames.len()), |b| {
        b.iter_batched_ref(
            fresh_feed,
            |feed| {
                for (p, frame) in preparsed.iter().zip(frames) {
                    black_box(feed.apply_parsed(p, frame.as_bytes(), 0)).ok();
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn feed_benches(c: &mut Criterion) {
    bench_stream(c, "tick", &tick_frames(), FRAMES);
    bench_stream(c, "quote10", &quote10_frames(), FRAMES);
    let market = market_frames();
    bench_stream(c, "ws_ksp_50", &market, market.len() * TRADES_PER_ARRAY);
}

criterion_group!(benches, feed_benches);
criterion_main!(benches);
