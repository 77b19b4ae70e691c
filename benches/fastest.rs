//! The fastest of many passes: each stream of the feed bench ingested `PASSES` times (default 40) into a fresh
//! feed, one `Feed::ingest` per frame and each read as one `Batch`, the same way `benches/feed.rs` times it. It
//! prints the fastest pass and the median pass per message.
//!
//! A CPU-bound pass can only be slowed by what else runs on a shared host, never sped up, so the fastest of many
//! passes moves much less with the load than a median does. To compare two builds, run their binaries
//! (`target/release/deps/fastest-*`) alternately, a few times each.

use std::hint::black_box;
use std::time::Duration;

#[path = "common/reads.rs"]
mod reads;
#[path = "common/streams.rs"]
mod streams;
use reads::{Stream, READ_BYTES};
use streams::{fresh_feed, named_stream, STREAMS};

/// Passes per stream and mode unless `PASSES` says otherwise.
const DEFAULT_PASSES: usize = 40;

/// Untimed passes first, so that the allocator has settled (a fresh feed's rings are then memory already mapped,
/// as a live feed's are after its first minutes, rather than pages faulted in during the pass).
const WARM_UP_PASSES: usize = 3;

/// Times one pass of `stream` into a fresh feed (built outside the timing): one `ingest` per frame, or each read as
/// one batch.
fn pass(stream: &Stream, buffer: &mut [u8], batch: bool) -> Duration {
    let mut feed = fresh_feed();
    if batch {
        stream.timed_reads(buffer, |_, frames| {
            let mut batch = feed.batch(0);
            for frame in frames {
                batch.ingest(black_box(frame));
            }
            batch.finish();
            black_box(batch.rows());
        })
    } else {
        stream.timed(buffer, |_, frame| {
            black_box(feed.ingest(black_box(frame), 0)).ok();
        })
    }
}

fn main() {
    let passes = std::env::var("PASSES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_PASSES)
        .max(1);
    let mut buffer = vec![0u8; READ_BYTES];
    println!("ns per message, the fastest and the median of {passes} passes");
    println!("{:<22} {:>9} {:>9}", "stream", "fastest", "median");
    for name in STREAMS {
        let (frames, messages) = named_stream(name).expect("a known stream");
        let stream = Stream::new(&frames);
        let mut probe = fresh_feed();
        let rows: usize = stream.frames().map(|f| probe.ingest(f, 0).unwrap()).sum();
        assert_eq!(rows, messages, "{name}: every frame must apply");
        let messages = messages as f64;
        for batch in [false, true] {
            for _ in 0..WARM_UP_PASSES {
                pass(&stream, &mut buffer, batch);
            }
            let mut times: Vec<f64> = (0..passes)
                .map(|_| pass(&stream, &mut buffer, batch).as_nanos() as f64 / messages)
                .collect();
            times.sort_by(f64::total_cmp);
            let label = if batch {
                format!("{name}/batch")
            } else {
                name.to_string()
            };
            println!(
                "{label:<22} {:>9.1} {:>9.1}",
                times[0],
                times[times.len() / 2]
            );
        }
    }
}
