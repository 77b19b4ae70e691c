//! `Batch`: frames received together, ingested as one pipeline so that each frame's memory arrives while the
//! next one is parsed.

use crate::error::Reject;
use crate::wire;

use super::{Checked, Feed};

/// Frames received together (one socket read's, one `ingest_many` list), ingested with the same results, in the
/// same order, as [`Feed::ingest`] on each, but pipelined: a frame is checked (its symbols resolved, the rows of
/// its trade or books prefetched) and applied only after the next frame is parsed, so that those rows come into
/// cache while the parser works. Two kinds of frame are applied at once instead: one carrying replies (their text
/// lives in the frame), and one of several trades (a `/ws_ksp` array). Such an array's apply prefetches its own
/// rows ahead ([`super::State::apply_trades`]), while the next parse would push its symbols' slots, just read by
/// the check, out of cache: callgrind's cache simulation counts 12.8 L1 misses per `/ws_ksp` trade when the array
/// waited, 10.8 applied at once. [`Batch::finish`], or dropping the batch, applies the frame still waiting; the
/// counts are final after it.
#[derive(Debug)]
pub struct Batch<'f> {
    feed: &'f mut Feed,
    recv_time: i64,
    /// The parse buffer in which a checked frame waits to be applied, and what the check found, if one does.
    pending: Option<(usize, Checked)>,
    /// Rows written so far.
    rows: usize,
    /// Frames that wrote no rows so far (replies, signals, rejects, ...).
    without_rows: usize,
}

impl<'f> Batch<'f> {
    /// An empty batch of frames received at `recv_time`.
    pub(super) fn new(feed: &'f mut Feed, recv_time: i64) -> Self {
        Self {
            feed,
            recv_time,
            pending: None,
            rows: 0,
            without_rows: 0,
        }
    }

    /// Parses `frame`, applies the frame waiting before it, then checks this one (a reject is counted as
    /// [`Feed::ingest`] counts it) and leaves it waiting.
    pub fn ingest(&mut self, frame: &[u8]) {
        let feed = &mut *self.feed;
        feed.state.stats.frames += 1;
        let hint = feed.state.symbols.code_hint();
        let buffer = self.pending.map_or(0, |(waiting, _)| 1 - waiting);
        let parsed = wire::parse_frame_hinted(frame, &mut feed.parsed[buffer], Some(hint));
        self.apply_pending();
        let feed = &mut *self.feed;
        if let Err(reason) = parsed {
            feed.state.stats.reject(reason, frame);
            self.settle(Err(reason));
            return;
        }
        let parsed = &feed.parsed[buffer];
        match feed.state.check(parsed, true) {
            Err(reason) => {
                feed.state.stats.reject(reason, frame);
                self.settle(Err(reason));
            }
            Ok(checked) if parsed.replies.is_empty() && parsed.trades.len() < 2 => {
                self.pending = Some((buffer, checked));
            }
            Ok(checked) => {
                let rows = feed
                    .state
                    .apply_checked(parsed, checked, frame, self.recv_time);
                self.settle(Ok(rows));
            }
        }
    }

    /// Applies the frame still waiting (dropping the batch does it too).
    pub fn finish(&mut self) {
        self.apply_pending();
    }

    /// Rows the frames applied so far wrote.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Frames applied or rejected so far that wrote no rows (replies, signals, rejects, ...).
    pub fn without_rows(&self) -> usize {
        self.without_rows
    }

    /// Applies the frame waiting, if any (it needs no frame text: a frame with replies never waits). Inlined into
    /// [`Batch::ingest`]: called, it cost a tick frame 19 more instructions.
    #[inline(always)]
    fn apply_pending(&mut self) {
        if let Some((waiting, checked)) = self.pending.take() {
            let feed = &mut *self.feed;
            let rows =
                feed.state
                    .apply_checked(&feed.parsed[waiting], checked, &[], self.recv_time);
            self.settle(Ok(rows));
        }
    }

    /// Counts one frame's result.
    fn settle(&mut self, result: Result<usize, Reject>) {
        match result {
            Ok(rows) if rows > 0 => self.rows += rows,
            _ => self.without_rows += 1,
        }
    }
}

impl Drop for Batch<'_> {
    /// Applies the frame still waiting (not while unwinding from a panic: the feed is then left as it was).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.apply_pending();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::Date;
    use crate::feed::{Feed, FeedConfig};

    fn feed() -> Feed {
        Feed::new(
            FeedConfig {
                trade_capacity: 64,
                quote_capacity: 16,
                symbol_capacity: 5,
                bar_capacity: 16,
                bar_close_delay_ns: 0,
            },
            Date::new(2026, 11, 25).unwrap(),
        )
    }

    fn tick(code: &str, time: u32, price: u32, qty: u32, acc: u32) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","method":"push","params":{{"preset":"tick","isuSrtCd":"{code}","trdPrc":{price},"trdvol":{qty},"accTrdvol":{acc},"trdTm":{time}}}}}"#
        )
    }

    /// Everything a frame can change, as text.
    fn state(feed: &mut Feed) -> String {
        let s = &mut feed.state;
        let events: Vec<_> = s.events.drain().collect();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{events:?}\n{:?}",
            s.trades.as_slice(),
            s.quotes.as_slice(),
            s.books,
            s.last_update,
            s.bars,
            s.stats,
            s.symbols.codes(),
            s.clock.latest(),
        )
    }

    #[test]
    fn a_batch_leaves_the_feed_as_ingesting_each_frame_does() {
        let quote = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":70100,"askStep1BstordRqty":5,"bidStep1BstordPrc":70000,"bidStep1BstordRqty":7,"accTrdvol":12}}"#;
        let frames = [
            tick("005930", 9_000_000, 70_000, 2, 10),
            tick("000660", 9_000_050, 120_000, 1, 1),
            tick("005930", 9_000_100, 70_100, 2, 10),
            quote.to_string(),
            r#"{"jsonrpc":"2.0","id":3,"result":{"message":"ok"}}"#.to_string(),
            tick("005930", 9_001_000, 70_200, 3, 15),
            "{not json".to_string(),
            r#"[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"09001500"},{"isuSrtCd":"K1","trdPrc":"0","trdVol":"0","trdTm":"31000000"}]"#.to_string(),
            r#"{"jsonrpc":"2.0","method":"heartbeat","id":9}"#.to_string(),
            tick("035420", 9_002_000, 200_000, 1, 1),
            tick("051910", 9_002_000, 400_000, 1, 1),
            tick("068270", 9_003_000, 150_000, 1, 1),
            tick("000660", 9_010_000, 121_000, 4, 5),
            tick("000660", 9_011_000, 121_500, 5, 10),
            tick("000660", 9_011_000, 121_500, 5, 10),
        ];
        let (mut each, mut batched) = (feed(), feed());
        let mut rows = 0;
        let mut without_rows = 0;
        for frame in &frames {
            match each.ingest(frame.as_bytes(), 7) {
                Ok(n) if n > 0 => rows += n,
                _ => without_rows += 1,
            }
        }
        let mut batch = batched.batch(7);
        for frame in &frames {
            batch.ingest(frame.as_bytes());
        }
        batch.finish();
        assert_eq!((batch.rows(), batch.without_rows()), (rows, without_rows));
        drop(batch);
        // Without rows: the two duplicates, the reply, the bad JSON, the heartbeat and the code past the capacity.
        assert_eq!((rows, without_rows), (9, 6));
        assert_eq!(state(&mut batched), state(&mut each));
    }

    #[test]
    fn dropping_a_batch_applies_the_frame_still_waiting() {
        let mut f = feed();
        let mut batch = f.batch(7);
        batch.ingest(tick("005930", 9_000_000, 70_000, 2, 10).as_bytes());
        drop(batch);
        assert_eq!(f.state.trades.written(), 1);
        assert_eq!(f.state.stats.frames, 1);
    }
}
