//! No heap allocation per frame in steady state: a counting global allocator watches `Feed::ingest` on tick,
//! quote10, tick10, index, `/ws_ksp` frames, signals, rejects and duplicates after a warm-up, and the WebSocket
//! receive path (`ws::Deframer` reads, fragments and control frames included, each read's text messages ingested
//! as one `feed::Batch`).
//!
//! The allocator applies to this whole test binary, which is why this is a separate integration test. It counts per
//! thread, so tests running in parallel do not see each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;

use _kfeed::clock::Date;
use _kfeed::feed::{Feed, FeedConfig};
use _kfeed::ws::Deframer;

struct Counting;

thread_local! {
    /// Allocations (and reallocations) made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // A thread being torn down has no counter any more; its allocations are not any test's.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

/// Allocations this thread has made so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator unchanged, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn small_feed() -> Feed {
    let config = FeedConfig {
        trade_capacity: 64,
        quote_capacity: 64,
        symbol_capacity: 16,
        bar_capacity: 16,
        ..FeedConfig::default()
    };
    Feed::new(config, Date::new(2026, 11, 25).unwrap())
}

fn frames(round: usize) -> Vec<String> {
    let acc = 1000 + round * 10;
    let (minutes, seconds) = (round / 60, round % 60);
    let time = 9_000_000 + (minutes * 10_000 + seconds * 100) as u32;
    let mut book = String::new();
    for n in 1..=10 {
        write!(
            book,
            r#","askStep{n}BstordPrc":{},"askStep{n}BstordRqty":{n},"bidStep{n}BstordPrc":{},"bidStep{n}BstordRqty":{n}"#,
            70_000 + 100 * n,
            70_000 - 100 * n
        )
        .unwrap();
    }
    vec![
        format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"tick","isuSrtCd":"005930","trdPrc":70000,"trdvol":10,"accTrdvol":{acc},"accTrdval":1,"trdTm":{time}}}}}"#
        ),
        format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"quote10","isuSrtCd":"005930","accTrdvol":{acc}{book},"askordTotRqty":55,"bidordTotRqty":55}}}}"#
        ),
        format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"tick10","isuSrtCd":"000660","trdPrc":38600,"trdvol":76,"accTrdvol":{acc},"trdTm":{time},"bidordPrc_1":38600,"askordPrc_1":38650,"lstAskbidTpCd":1}}}}"#
        ),
        format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"index","isuSrtCd":"K1","trdTm":{time},"trdPrc":2409.03,"accTrdvol":{acc}}}}}"#
        ),
        format!(
            r#"[{{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"{time}"}},{{"isuSrtCd":"500032","trdPrc":"12760","trdVol":"400","trdTm":"{time}"}}]"#
        ),
        r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":0,"trdvol":0,"trdTm":31000000}}"#.to_owned(),
        r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":1,"trdvol":1,"accTrdvol":1,"trdTm":9000000}}"#.to_owned(),
        r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","#.to_owned(),
        "[".repeat(200),
    ]
}

#[test]
fn steady_state_ingest_does_not_allocate() {
    let mut feed = small_feed();
    let rounds: Vec<Vec<String>> = (0..2000).map(frames).collect();
    for frame in &rounds[0] {
        let _ = feed.ingest(frame.as_bytes(), 0);
    }
    // Drain the signal events the warm-up queued; signals carry no heap data but the queue must not fill.
    feed.state.events.drain().for_each(drop);
    let before = allocations();
    let mut rows = 0;
    for round in &rounds[1..] {
        for frame in round {
            rows += feed.ingest(frame.as_bytes(), 0).unwrap_or(0);
        }
        if feed.state.events.len() > 1000 {
            feed.state.events.drain().for_each(drop);
        }
    }
    let after = allocations();
    assert_eq!(after - before, 0, "allocations while ingesting");
    // Every round writes 1 tick + 1 quote + tick10 (trade + quote) + index + 2 market trades = 7 rows.
    assert_eq!(rows, 7 * (rounds.len() - 1));
    assert!(feed.state.stats.bars_closed > 0);
    assert!(feed.state.stats.rejects_total() >= 3 * (rounds.len() as u64 - 1));
}

/// Server frames (unmasked) of one round: each of `frames(round)` as one text message, the first split into three
/// fragments with a ping and a pong between them, then a binary message.
fn ws_wire(round: usize) -> Vec<u8> {
    fn frame(out: &mut Vec<u8>, first: u8, payload: &[u8]) {
        out.push(first);
        match payload.len() {
            n @ 0..=125 => out.push(n as u8),
            n @ 126..=0xFFFF => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
    }
    let frames = frames(round);
    let mut wire = Vec::new();
    let first = frames[0].as_bytes();
    let third = first.len() / 3;
    frame(&mut wire, 0x01, &first[..third]);
    frame(&mut wire, 0x89, b"ping");
    frame(&mut wire, 0x00, &first[third..2 * third]);
    frame(&mut wire, 0x8A, b"");
    frame(&mut wire, 0x80, &first[2 * third..]);
    for text in &frames[1..] {
        frame(&mut wire, 0x81, text.as_bytes());
    }
    frame(&mut wire, 0x82, b"\x00\x01");
    wire
}

/// Feeds `bytes` to the deframer in 1,500-byte reads (frames split across reads), ingesting each read's text
/// messages as one batch, as `FeedStream` does; returns the rows written.
fn apply_reads(deframer: &mut Deframer, bytes: &[u8], feed: &mut Feed) -> usize {
    let mut rows = 0;
    for read in bytes.chunks(1500) {
        deframer.free_space()[..read.len()].copy_from_slice(read);
        deframer.filled(read.len()).unwrap();
        let mut batch = feed.batch(0);
        deframer.drain(|text| batch.ingest(text));
        batch.finish();
        rows += batch.rows();
        drop(batch);
        deframer.take_pings(|_| {});
        feed.state.events.drain().for_each(drop);
    }
    rows
}

#[test]
fn deframing_and_ingesting_reads_does_not_allocate() {
    let mut feed = small_feed();
    let mut deframer = Deframer::new();
    let rounds = 2000;
    let wire: Vec<u8> = (0..rounds).flat_map(ws_wire).collect();
    let (warm_up, steady) = wire.split_at(ws_wire(0).len());
    apply_reads(&mut deframer, warm_up, &mut feed);
    let before = allocations();
    let rows = apply_reads(&mut deframer, steady, &mut feed);
    let after = allocations();
    assert_eq!(
        after - before,
        0,
        "allocations while deframing and ingesting"
    );
    assert_eq!(rows, 7 * (rounds - 1));
    assert_eq!(deframer.stats().binaries, rounds as u64);
    assert_eq!(deframer.stats().pings, rounds as u64);
    assert_eq!(deframer.error(), None);
}
