//! A frame copied into a per-thread buffer with zero bytes after it, so that the fast path reads whole words
//! anywhere near the frame's end without a bounds check per read.

/// Reads index the buffer modulo this power of two (a single `and`, which lets the compiler drop the bounds
/// check); a frame and its pad fit in it, so the modulo never moves a read that stays within the pad.
const WINDOW: usize = 8 * 1024;

/// Zero bytes kept after the frame. The fast path reads at most 64 bytes past any offset it reached inside
/// the frame (a 24-byte key prediction, then up to two 16-byte numbers), so every read stays in the pad.
pub(crate) const PAD: usize = 128;

/// Largest frame the fast path takes (a full `/ws_ksp` frame is about 3.5 KiB); longer frames are parsed by
/// the general path alone.
pub(crate) const PADDED_CAP: usize = WINDOW - PAD;

/// Size of the buffer: the window and room for a block read at its last offset.
const SIZE: usize = WINDOW + 16;

/// The buffer a frame is copied into (kept per thread and reused).
pub(crate) struct PadBuffer {
    bytes: [u8; SIZE],
}

impl PadBuffer {
    /// An empty buffer.
    pub const EMPTY: PadBuffer = PadBuffer { bytes: [0; SIZE] };

    /// Copies `frame` in, followed by [`PAD`] zero bytes; `None` when it is longer than [`PADDED_CAP`].
    #[inline(always)]
    pub fn load(&mut self, frame: &[u8]) -> Option<Padded<'_>> {
        let len = frame.len();
        if len > PADDED_CAP {
            return None;
        }
        self.bytes[..len].copy_from_slice(frame);
        self.bytes[len..len + PAD].fill(0);
        Some(Padded {
            bytes: &self.bytes,
            len,
        })
    }
}

/// A frame followed by at least [`PAD`] zero bytes.
#[derive(Clone, Copy)]
pub(crate) struct Padded<'a> {
    bytes: &'a [u8; SIZE],
    len: usize,
}

impl<'a> Padded<'a> {
    /// The frame itself.
    #[inline(always)]
    pub fn frame(self) -> &'a [u8] {
        &self.bytes[..self.len]
    }

    /// The frame and its zero pad.
    #[inline(always)]
    pub fn with_pad(self) -> &'a [u8] {
        &self.bytes[..self.len + PAD]
    }

    /// The `N` (at most 16) bytes at `at`, zeros past the frame. `at` must lie within `PAD - N` bytes of the
    /// frame's end; the modulo below keeps every read in the buffer (so no bounds check is needed) and never
    /// moves a read that keeps to that rule. Read as one load: built from single bytes, the compiler reuses a
    /// byte read just before at the same offset and assembles the value from pieces (a dozen instructions
    /// instead of one).
    #[inline(always)]
    fn bytes_at<const N: usize>(self, at: usize) -> [u8; N] {
        debug_assert!(at + N <= self.len + PAD, "fast-path read beyond the pad");
        let at = at % WINDOW;
        self.bytes[at..at + N]
            .try_into()
            .expect("the buffer has room for 16 bytes at any offset in the window")
    }

    /// The eight bytes at `at` as a little-endian word (zeros past the frame), under the rule of
    /// [`Self::bytes_at`].
    #[inline(always)]
    pub fn word(self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes_at(at))
    }

    /// The sixteen bytes at `at` as a little-endian block (zeros past the frame), for comparing sixteen bytes
    /// at once; same rule.
    #[inline(always)]
    pub fn block(self, at: usize) -> u128 {
        u128::from_le_bytes(self.bytes_at(at))
    }

    /// The `len` bytes at `at` (at most `8 * N`) as `N` zero-padded little-endian words and the masks of their
    /// bytes, for comparing with a constant text a masked word at a time. Same rule as [`Self::bytes_at`].
    pub fn masked_words<const N: usize>(self, at: usize, len: usize) -> ([u64; N], [u64; N]) {
        debug_assert!(len <= 8 * N, "the text fits its words");
        let (mut words, mut masks) = ([0; N], [0; N]);
        for i in 0..len.div_ceil(8).min(N) {
            let bytes = (len - 8 * i).min(8);
            let mask = if bytes == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * bytes)) - 1
            };
            masks[i] = mask;
            words[i] = self.word(at + 8 * i) & mask;
        }
        (words, masks)
    }

    /// The byte at `at` (zero past the frame), under the same rule as [`Self::bytes_at`].
    #[inline(always)]
    pub fn byte(self, at: usize) -> u8 {
        debug_assert!(at < self.len + PAD, "fast-path read beyond the pad");
        self.bytes[at % WINDOW]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_followed_by_zeros() {
        let mut buffer = PadBuffer::EMPTY;
        let long = vec![b'x'; 300];
        assert!(buffer.load(&long).is_some());
        let p = buffer.load(b"{\"a\":1}").unwrap();
        assert_eq!(p.frame(), b"{\"a\":1}");
        assert_eq!(p.word(0), u64::from_le_bytes(*b"{\"a\":1}\0"));
        assert_eq!(p.word(7), 0, "stale bytes of a longer frame are cleared");
        assert_eq!(p.block(0), u128::from(p.word(0)));
        assert_eq!(p.block(1) as u64, p.word(1));
        assert_eq!((p.byte(6), p.byte(7)), (b'}', 0));
        assert_eq!(p.with_pad().len(), 7 + PAD);
        assert!(buffer.load(&vec![b' '; PADDED_CAP]).is_some());
        assert!(buffer.load(&vec![b' '; PADDED_CAP + 1]).is_none());
    }
}
