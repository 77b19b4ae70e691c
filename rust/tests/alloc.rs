//! No heap allocation per frame in steady state: a counting global allocator watches `Feed::ingest` on tick,
//! quote10, tick10, index, `/ws_ksp` frames, signals, rejects and duplicates after a warm-up.
//!
//! The allocator applies to this whole test binary, which is why this is a separate integration test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use _kfeed::clock::Date;
use _kfeed::feed::{Feed, FeedConfig};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let config = FeedConfig {
        trade_capacity: 64,
        quote_capacity: 64,
        symbol_capacity: 16,
        bar_capacity: 16,
        ..FeedConfig::default()
    };
    let mut feed = Feed::new(config, Date::new(2026, 11, 25).unwrap());
    let rounds: Vec<Vec<String>> = (0..2000).map(frames).collect();
    for frame in &rounds[0] {
        let _ = feed.ingest(frame.as_bytes(), 0);
    }
    // Drain the signal events the warm-up queued; signals carry no heap data but the queue must not fill.
    feed.state.events.drain().for_each(drop);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut rows = 0;
    for round in &rounds[1..] {
        for frame in round {
            rows += feed.ingest(frame.as_bytes(), 0).unwrap_or(0);
        }
        if feed.state.events.len() > 1000 {
            feed.state.events.drain().for_each(drop);
        }
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "allocations while ingesting");
    // Every round writes 1 tick + 1 quote + tick10 (trade + quote) + index + 2 market trades = 7 rows.
    assert_eq!(rows, 7 * (rounds.len() - 1));
    assert!(feed.state.stats.bars_closed > 0);
    assert!(feed.state.stats.rejects_total() >= 3 * (rounds.len() as u64 - 1));
}
