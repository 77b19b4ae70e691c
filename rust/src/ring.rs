//! `Ring<T>`: a fixed-capacity ring of rows with a monotonic write sequence, and `Cursor`, a reader position that
//! tells how many rows it lost to overwrite.
//!
//! The buffer is allocated once and never reallocated, so a view into it stays valid memory for the life of the
//! ring. What a view shows stays the rows it was handed until the writer laps it: a row with sequence `s` is
//! overwritten by the write of sequence `s + capacity`. [`Ring::oldest`] tells which rows are still intact.

/// A row type the ring can stamp with its write sequence.
pub trait Sequenced: Copy + Default {
    /// Stores the row's write sequence in it (rows without a sequence field ignore it).
    fn set_seq(&mut self, seq: u64);
}

/// A fixed-capacity ring buffer of rows.
#[derive(Debug)]
pub struct Ring<T> {
    buf: Box<[T]>,
    /// Sequence of the next row to be written (= rows written so far).
    next: u64,
    /// `next % capacity`, kept incrementally so a push needs no division.
    pos: usize,
}

impl<T: Sequenced> Ring<T> {
    /// A ring holding up to `capacity` rows (at least 1), allocated and zeroed now.
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: vec![T::default(); capacity.max(1)].into_boxed_slice(),
            next: 0,
            pos: 0,
        }
    }

    /// Number of rows the ring holds.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Total rows ever written; also the sequence the next row will get.
    pub fn written(&self) -> u64 {
        self.next
    }

    /// Sequence of the oldest row still held (rows before it were overwritten).
    pub fn oldest(&self) -> u64 {
        self.next.saturating_sub(self.buf.len() as u64)
    }

    /// Appends a row, stamping it with its sequence; returns the sequence.
    #[inline]
    pub fn push(&mut self, mut row: T) -> u64 {
        let seq = self.next;
        row.set_seq(seq);
        self.buf[self.pos] = row;
        self.advance()
    }

    /// The slot the next push writes, for filling a row in place; [`Ring::commit`] then publishes it.
    #[inline]
    pub fn slot(&mut self) -> &mut T {
        &mut self.buf[self.pos]
    }

    /// Publishes the row in [`Ring::slot`]: stamps its sequence and advances the write position.
    #[inline]
    pub fn commit(&mut self) -> u64 {
        let seq = self.next;
        self.buf[self.pos].set_seq(seq);
        self.advance()
    }

    /// Moves the write position past the row just written; returns that row's sequence.
    #[inline]
    fn advance(&mut self) -> u64 {
        let seq = self.next;
        self.next += 1;
        self.pos += 1;
        if self.pos == self.buf.len() {
            self.pos = 0;
        }
        debug_assert_eq!(self.pos as u64, self.next % self.buf.len() as u64);
        seq
    }

    /// The whole buffer, in slot order (slot of sequence `s` is `s % capacity`).
    pub fn as_slice(&self) -> &[T] {
        &self.buf
    }

    /// Every row still held, in slot order, for in-place repair (rows keep their sequence).
    pub fn held_mut(&mut self) -> &mut [T] {
        let held = (self.next as usize).min(self.buf.len());
        &mut self.buf[..held]
    }

    /// Every row still held, newest first, for in-place repair of recent rows.
    pub fn held_newest_first_mut(&mut self) -> impl Iterator<Item = &mut T> {
        let held = (self.next as usize).min(self.buf.len());
        let (newer, older) = self.buf[..held].split_at_mut(self.pos.min(held));
        newer.iter_mut().rev().chain(older.iter_mut().rev())
    }

    /// The row of sequence `seq`, if it is still held.
    pub fn get(&self, seq: u64) -> Option<&T> {
        (seq >= self.oldest() && seq < self.next).then(|| &self.buf[self.index(seq)])
    }

    fn index(&self, seq: u64) -> usize {
        (seq % self.buf.len() as u64) as usize
    }
}

/// One read from a [`Cursor`]: a contiguous run of slots and how many rows were lost before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// First slot index of the run in [`Ring::as_slice`].
    pub start: usize,
    /// Number of rows in the run.
    pub len: usize,
    /// Sequence of the first row of the run.
    pub first_seq: u64,
    /// Rows overwritten before this reader saw them, since its previous read.
    pub lost: u64,
}

/// A reader's position in a ring: the sequence of the next row it has not seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    next: u64,
    lost_total: u64,
}

impl Cursor {
    /// A cursor at the ring's current write position: it sees only rows written from now on.
    pub fn at_end<T: Sequenced>(ring: &Ring<T>) -> Self {
        Self {
            next: ring.written(),
            lost_total: 0,
        }
    }

    /// Moves the cursor to sequence `seq` without counting anything lost (a reader that starts late).
    pub fn skip_to(&mut self, seq: u64) {
        self.next = seq;
    }

    /// Sequence of the next row this reader will get.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Rows lost to overwrite over the reader's whole life.
    pub fn lost_total(&self) -> u64 {
        self.lost_total
    }

    /// Takes the next contiguous run of unseen rows, at most `max_rows`, skipping (and counting) rows that were
    /// overwritten before this reader got to them. A run never crosses the end of the buffer: call again after a
    /// wrap.
    pub fn read<T: Sequenced>(&mut self, ring: &Ring<T>, max_rows: usize) -> Batch {
        let oldest = ring.oldest();
        let lost = oldest.saturating_sub(self.next);
        if lost > 0 {
            self.next = oldest;
            self.lost_total += lost;
        }
        let start = ring.index(self.next);
        let available = (ring.written() - self.next) as usize;
        let len = available.min(ring.capacity() - start).min(max_rows);
        let batch = Batch {
            start,
            len,
            first_seq: self.next,
            lost,
        };
        self.next += len as u64;
        batch
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    struct Row {
        seq: u64,
        value: u32,
    }

    impl Sequenced for Row {
        fn set_seq(&mut self, seq: u64) {
            self.seq = seq;
        }
    }

    fn row(value: u32) -> Row {
        Row { seq: 0, value }
    }

    #[test]
    fn push_stamps_monotonic_sequences_and_wraps() {
        let mut ring = Ring::new(3);
        for v in 0..7 {
            assert_eq!(ring.push(row(v)), u64::from(v));
        }
        assert_eq!(ring.written(), 7);
        assert_eq!(ring.oldest(), 4);
        assert!(ring.get(3).is_none());
        assert_eq!(ring.get(6).unwrap().value, 6);
        assert_eq!(ring.as_slice()[0].seq, 6);
    }

    #[test]
    fn held_rows_walk_newest_first_before_and_after_a_wrap() {
        let mut ring = Ring::new(4);
        for v in 0..3 {
            ring.push(row(v));
        }
        let seen: Vec<u32> = ring.held_newest_first_mut().map(|r| r.value).collect();
        assert_eq!(seen, [2, 1, 0]);
        for v in 3..6 {
            ring.push(row(v));
        }
        let seen: Vec<u32> = ring.held_newest_first_mut().map(|r| r.value).collect();
        assert_eq!(seen, [5, 4, 3, 2]);
    }

    #[test]
    fn buffer_never_moves() {
        let mut ring = Ring::new(4);
        let before = ring.as_slice().as_ptr();
        for v in 0..100 {
            ring.push(row(v));
        }
        assert_eq!(ring.as_slice().as_ptr(), before);
    }

    #[test]
    fn reader_gets_new_rows_in_contiguous_runs() {
        let mut ring = Ring::new(4);
        let mut cur = Cursor::at_end(&ring);
        for v in 0..3 {
            ring.push(row(v));
        }
        let b = cur.read(&ring, usize::MAX);
        assert_eq!((b.start, b.len, b.first_seq, b.lost), (0, 3, 0, 0));
        for v in 3..6 {
            ring.push(row(v));
        }
        let b = cur.read(&ring, usize::MAX);
        assert_eq!((b.start, b.len, b.first_seq, b.lost), (3, 1, 3, 0));
        let b = cur.read(&ring, usize::MAX);
        assert_eq!((b.start, b.len, b.first_seq, b.lost), (0, 2, 4, 0));
        assert_eq!(cur.read(&ring, usize::MAX).len, 0);
    }

    #[test]
    fn reader_counts_overwritten_rows_and_never_returns_them() {
        let mut ring = Ring::new(4);
        let mut cur = Cursor::at_end(&ring);
        for v in 0..10 {
            ring.push(row(v));
        }
        let b = cur.read(&ring, 2);
        assert_eq!((b.first_seq, b.len, b.lost), (6, 2, 6));
        let slice = &ring.as_slice()[b.start..b.start + b.len];
        assert_eq!(slice.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![6, 7]);
        let b = cur.read(&ring, 10);
        assert_eq!((b.first_seq, b.len, b.lost), (8, 2, 0));
        assert_eq!(cur.lost_total(), 6);
    }

    #[test]
    fn reader_started_late_sees_only_new_rows() {
        let mut ring = Ring::new(4);
        ring.push(row(1));
        let mut cur = Cursor::at_end(&ring);
        assert_eq!(cur.read(&ring, 10).len, 0);
        ring.push(row(2));
        let b = cur.read(&ring, 10);
        assert_eq!((b.first_seq, b.len), (1, 1));
    }
}
