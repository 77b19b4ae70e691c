//! Feed benchmarks: `Feed::ingest` end to end (parse, symbols, rings, books and all three bar intervals) on the
//! streams of `common/streams.rs`: tick frames, quote10 frames and `/ws_ksp` arrays of 50 trades, with trades
//! spread evenly over the symbols and, for tick and `/ws_ksp`, also Zipf(1).
//!
//! Each iteration ingests a whole pre-generated stream into a fresh feed (built outside the timing), so every
//! tick is new (cumulative volumes advance) and bars close as exchange time moves. The stream is read into a
//! 64 KiB receive buffer a read at a time, untimed (that copy is the kernel's `recv`), and each read's frames are
//! ingested from there, hot in cache as in a live feed. Divide the time per
//! iteration by the stream's frame (or trade) count for the per-message cost. The `batch` twin ingests each read's
//! frames as one [`_kfeed::feed::Batch`], as the receive path does. The `parse_only` twin of each
//! stream runs the wire parser alone on the same frames, and the `apply_only` twin applies the same frames
//! parsed beforehand, which splits the cost between parsing and applying.

use std::hint::black_box;
use std::time::Duration;

use _kfeed::wire::{parse_frame, Parsed};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "common/reads.rs"]
mod reads;
#[path = "common/streams.rs"]
mod streams;
use reads::{Stream, READ_BYTES};
use streams::{fresh_feed, named_stream, STREAMS};

/// Criterion's total time for `iters` runs, each timing itself (what it builds first is not timed).
fn total(iters: u64, mut run: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| run()).sum()
}

fn bench_stream(c: &mut Criterion, name: &str, frames: &[String], expected_rows: usize) {
    let stream = Stream::new(frames);
    let bytes = stream.bytes.len();
    let mut probe = fresh_feed();
    let rows: usize = stream.frames().map(|f| probe.ingest(f, 0).unwrap()).sum();
    assert_eq!(rows, expected_rows, "{name}: every frame must apply");
    let mut group = c.benchmark_group("feed");
    group.throughput(Throughput::Bytes(bytes as u64));
    let mut buffer = vec![0u8; READ_BYTES];
    group.bench_function(format!("{name}/{}x", frames.len()), |b| {
        b.iter_custom(|iters| {
            total(iters, || {
                let mut feed = fresh_feed();
                stream.timed(&mut buffer, |_, frame| {
                    black_box(feed.ingest(black_box(frame), 0)).ok();
                })
            })
        });
    });
    group.bench_function(format!("{name}/{}x/batch", frames.len()), |b| {
        b.iter_custom(|iters| {
            total(iters, || {
                let mut feed = fresh_feed();
                stream.timed_reads(&mut buffer, |_, frames| {
                    let mut batch = feed.batch(0);
                    for frame in frames {
                        batch.ingest(black_box(frame));
                    }
                    batch.finish();
                    black_box(batch.rows());
                })
            })
        });
    });
    let mut parsed = Parsed::new();
    group.bench_function(format!("{name}/{}x/parse_only", frames.len()), |b| {
        b.iter_custom(|iters| {
            total(iters, || {
                stream.timed(&mut buffer, |_, frame| {
                    black_box(parse_frame(black_box(frame), &mut parsed)).ok();
                })
            })
        });
    });
    let preparsed: Vec<Parsed> = stream
        .frames()
        .map(|frame| {
            parse_frame(frame, &mut parsed).unwrap();
            Parsed {
                trades: parsed.trades.clone(),
                books: parsed.books.clone(),
                signals: parsed.signals.clone(),
                replies: parsed.replies.clone(),
            }
        })
        .collect();
    group.bench_function(format!("{name}/{}x/apply_only", frames.len()), |b| {
        b.iter_custom(|iters| {
            total(iters, || {
                let mut feed = fresh_feed();
                stream.timed(&mut buffer, |i, frame| {
                    black_box(feed.apply_parsed(&preparsed[i], frame, 0)).ok();
                })
            })
        });
    });
    group.finish();
}

fn feed_benches(c: &mut Criterion) {
    for name in STREAMS {
        let (frames, messages) = named_stream(name).expect("a known stream");
        bench_stream(c, name, &frames, messages);
    }
}

criterion_group!(benches, feed_benches);
criterion_main!(benches);
