//! Feed counters: frames and rows by kind, rejects by reason with the last sample of each reason kept in a
//! preallocated, bounded buffer.

use crate::error::Reject;

/// Bytes kept of the last rejected frame of each reason.
pub const SAMPLE_LEN: usize = 256;

const REASONS: usize = Reject::ALL.len();

/// Everything the feed counts.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Frames offered to the feed (accepted or not).
    pub frames: u64,
    /// Trade rows written (index prints excluded).
    pub trades: u64,
    /// Quote rows written (one per book update).
    pub quotes: u64,
    /// Index prints written to the trades ring.
    pub index: u64,
    /// Market-operation signals seen.
    pub signals: u64,
    /// JSON-RPC replies and server requests seen.
    pub replies: u64,
    /// Cumulative-volume gaps detected.
    pub gaps: u64,
    /// Trades refused by a bar series because their bar had already closed (counted once per series).
    pub late_bar_trades: u64,
    /// Bars closed, over all intervals.
    pub bars_closed: u64,
    /// Market-wide trades skipped because their symbol's trades come from a per-symbol stream.
    pub market_trades_skipped: u64,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
    /// Panics caught at the Python boundary (always 0 unless there is a bug).
    pub panics: u64,
    rejects: [u64; REASONS],
    samples: Box<[[u8; SAMPLE_LEN]; REASONS]>,
    sample_lens: [u16; REASONS],
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            frames: 0,
            trades: 0,
            quotes: 0,
            index: 0,
            signals: 0,
            replies: 0,
            gaps: 0,
            late_bar_trades: 0,
            bars_closed: 0,
            market_trades_skipped: 0,
            events_dropped: 0,
            panics: 0,
            rejects: [0; REASONS],
            samples: Box::new([[0; SAMPLE_LEN]; REASONS]),
            sample_lens: [0; REASONS],
        }
    }
}

impl Stats {
    /// Counts a rejected frame and keeps its first [`SAMPLE_LEN`] bytes as the reason's sample.
    #[cold]
    pub fn reject(&mut self, reason: Reject, frame: &[u8]) {
        let i = reason as usize;
        self.rejects[i] += 1;
        let n = frame.len().min(SAMPLE_LEN);
        self.samples[i][..n].copy_from_slice(&frame[..n]);
        self.sample_lens[i] = n as u16;
    }

    /// Rejects counted for `reason`.
    pub fn rejects(&self, reason: Reject) -> u64 {
        self.rejects[reason as usize]
    }

    /// Total rejects over all reasons.
    pub fn rejects_total(&self) -> u64 {
        self.rejects.iter().sum()
    }

    /// The (truncated) last frame rejected for `reason`, if any.
    pub fn sample(&self, reason: Reject) -> Option<&[u8]> {
        let i = reason as usize;
        (self.rejects[i] > 0).then(|| &self.samples[i][..self.sample_lens[i] as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_count_and_keep_a_bounded_last_sample() {
        let mut s = Stats::default();
        assert_eq!(s.sample(Reject::Malformed), None);
        s.reject(Reject::Malformed, b"{bad");
        s.reject(Reject::Malformed, &[b'x'; 1000]);
        s.reject(Reject::TooDeep, b"[[[[");
        assert_eq!(s.rejects(Reject::Malformed), 2);
        assert_eq!(s.rejects_total(), 3);
        assert_eq!(
            s.sample(Reject::Malformed).unwrap(),
            &[b'x'; SAMPLE_LEN][..]
        );
        assert_eq!(s.sample(Reject::TooDeep).unwrap(), b"[[[[");
    }
}
