//! The synthetic streams the feed benchmarks ingest: tick pushes, quote10 pushes and `/ws_ksp` arrays over
//! [`SYMBOLS`] symbols, deterministic from fixed seeds so every run (and every benchmark) sees the same bytes.
//! Trades spread over the symbols evenly (the worst case for the caches) or, as in a real market and in the
//! simulator's, mostly on a few names ([`Activity`]).

use std::fmt::Write as _;

use _kfeed::clock::Date;
use _kfeed::feed::{Feed, FeedConfig};

/// The feed every stream is ingested into: room for every row of a stream, built fresh for each run.
pub fn fresh_feed() -> Feed {
    Feed::new(
        FeedConfig {
            trade_capacity: 1 << 17,
            quote_capacity: 1 << 16,
            symbol_capacity: 4096,
            bar_capacity: 1 << 14,
            ..FeedConfig::default()
        },
        Date::new(2026, 11, 25).expect("a valid date"),
    )
}

/// Distinct symbols a stream draws from.
pub const SYMBOLS: usize = 2000;
/// Frames in a tick or quote10 stream (a `/ws_ksp` stream has as many trades).
const FRAMES: usize = 50_000;
/// Trades in one `/ws_ksp` array.
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

/// How a stream's trades spread over its symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Activity {
    /// Every symbol equally likely: each trade's rows are as likely to be out of cache as they can be.
    Uniform,
    /// The symbol of rank `r` (from 0) with weight `1 / (r + 1)`: Zipf(1), as `kfeed.sim` draws its market's
    /// trades, so a few names take most of them.
    Zipf,
}

/// Draws the symbol of each trade as an [`Activity`] says.
struct SymbolDraw {
    /// Cumulative Zipf weights by rank (empty for [`Activity::Uniform`]).
    cumulative: Vec<f64>,
}

impl SymbolDraw {
    fn new(activity: Activity) -> Self {
        let cumulative = match activity {
            Activity::Uniform => Vec::new(),
            Activity::Zipf => (0..SYMBOLS)
                .scan(0.0, |total, rank| {
                    *total += 1.0 / (rank + 1) as f64;
                    Some(*total)
                })
                .collect(),
        };
        Self { cumulative }
    }

    fn next(&self, rng: &mut Rng) -> usize {
        let Some(&total) = self.cumulative.last() else {
            return rng.below(SYMBOLS as u64) as usize;
        };
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(SYMBOLS - 1)
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

/// Tick pushes of symbols drawn as `activity` says, each with an advancing cumulative volume, four per hundredth
/// of a second.
fn tick_frames(activity: Activity) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let draw = SymbolDraw::new(activity);
    let mut acc = vec![0i64; SYMBOLS];
    (0..FRAMES)
        .map(|n| {
            let s = draw.next(&mut rng);
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

/// Quote10 pushes of random symbols with every level and total.
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

/// `/ws_ksp` arrays of [`TRADES_PER_ARRAY`] trades of symbols drawn as `activity` says, values as strings as the
/// vendor sends them.
fn market_frames(activity: Activity) -> Vec<String> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let draw = SymbolDraw::new(activity);
    (0..FRAMES / TRADES_PER_ARRAY * 2)
        .map(|n| {
            let items: Vec<String> = (0..TRADES_PER_ARRAY)
                .map(|_| {
                    format!(
                        r#"{{"isuSrtCd":"{}","trdPrc":"{}","trdVol":"{}","trdTm":"{}"}}"#,
                        code(draw.next(&mut rng)),
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

/// The streams every feed benchmark runs, by name, in the order they report them.
pub const STREAMS: [&str; 5] = [
    "tick",
    "quote10",
    "ws_ksp_50",
    "tick_zipf",
    "ws_ksp_50_zipf",
];

/// The frames of the stream called `name` (one of [`STREAMS`]) and how many messages they hold: frames, or the
/// trades of the `/ws_ksp` arrays.
pub fn named_stream(name: &str) -> Option<(Vec<String>, usize)> {
    let (frames, trades_per_frame) = match name {
        "tick" => (tick_frames(Activity::Uniform), 1),
        "quote10" => (quote10_frames(), 1),
        "ws_ksp_50" => (market_frames(Activity::Uniform), TRADES_PER_ARRAY),
        "tick_zipf" => (tick_frames(Activity::Zipf), 1),
        "ws_ksp_50_zipf" => (market_frames(Activity::Zipf), TRADES_PER_ARRAY),
        _ => return None,
    };
    let messages = frames.len() * trades_per_frame;
    Some((frames, messages))
}
