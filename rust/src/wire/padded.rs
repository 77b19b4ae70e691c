//! A frame read in place by the fast path: its last bytes are copied into a small per-thread buffer followed by
//! zeros, so that the fast path reads whole words anywhere near the frame's end, zeros past it, with one predicted
//! branch per read and without copying the frame.

/// Most bytes one read takes.
const READ: usize = 16;

/// Bytes of the frame's end copied into the tail buffer: a read that starts before them ends inside the frame,
/// so it is served from the frame itself.
const TAIL: usize = READ;

/// Zero bytes seen after the frame. The fast path reads at most 64 bytes past any offset it reached inside
/// the frame (a 24-byte key prediction, then up to two 16-byte numbers), so every read stays in the pad.
pub(crate) const PAD: usize = 128;

/// Reads from the tail buffer index it modulo this power of two, which keeps every read inside the buffer whatever
/// its offset; the tail and the pad fit in it, so the modulo never moves a read that stays within the pad.
const TAIL_WINDOW: usize = 256;

const _: () = assert!(TAIL + PAD <= TAIL_WINDOW && TAIL_WINDOW.is_power_of_two());

/// The buffer a frame's last [`TAIL`] bytes are copied into, followed by zeros (kept per thread and reused).
pub(crate) struct PadBuffer {
    /// Where the copy starts in the frame last loaded: its length less [`TAIL`] (0 for a shorter frame). Read from
    /// here rather than kept beside the frame's address in [`Padded`], which left the parser a register short: the
    /// frame's address was spilled, and a `/ws_ksp` trade ran 12 more instructions.
    split: usize,
    /// The frame's last [`TAIL`] bytes (all of a shorter frame), then zeros.
    bytes: [u8; TAIL_WINDOW + READ],
}

impl PadBuffer {
    /// An empty buffer.
    pub const EMPTY: PadBuffer = PadBuffer {
        split: 0,
        bytes: [0; TAIL_WINDOW + READ],
    };

    /// `frame`, readable with [`PAD`] zero bytes after it: its last [`TAIL`] bytes are copied in (a frame
    /// shorter than that is copied whole, and zeros fill the rest). Only those bytes are ever written, so every
    /// byte after them stays zero. A frame of any length: nothing is copied in proportion to it.
    #[inline(always)]
    pub fn load<'a>(&'a mut self, frame: &'a [u8]) -> Padded<'a> {
        let len = frame.len();
        let split = len.saturating_sub(TAIL);
        if let Ok(end) = <&[u8; TAIL]>::try_from(&frame[split..]) {
            self.bytes[..TAIL].copy_from_slice(end);
        } else {
            self.bytes[..TAIL].fill(0);
            self.bytes[..len].copy_from_slice(frame);
        }
        self.split = split;
        Padded { frame, tail: self }
    }
}

/// A frame followed by at least [`PAD`] zero bytes, as the fast path reads it: bytes before the tail buffer's split
/// from the frame itself, the rest from the tail buffer.
#[derive(Clone, Copy)]
pub(crate) struct Padded<'a> {
    frame: &'a [u8],
    /// The frame's bytes from its split on, then zeros, and the split.
    tail: &'a PadBuffer,
}

impl<'a> Padded<'a> {
    /// The frame itself.
    #[inline(always)]
    pub fn frame(self) -> &'a [u8] {
        self.frame
    }

    /// The `N` (at most 16) bytes at `at`, zeros past the frame. `at` must lie within `PAD - N` bytes of the
    /// frame's end. A read starting before the split comes from the frame, behind a predicted branch. The branch
    /// picks the base, not the address, so that the one load takes `base + at` as its address: no instruction
    /// stands between an offset and its load, and each value's offset waits on the value before it. Picking the
    /// address in each branch put an add there: a `/ws_ksp` trade took 4 % longer, a quote10 frame 5-7 %. Read
    /// as one load: built from single bytes, the compiler reuses a byte read just before at the same offset and
    /// assembles the value from pieces (a dozen instructions instead of one).
    #[inline(always)]
    fn bytes_at<const N: usize>(self, at: usize) -> [u8; N] {
        const { assert!(N <= READ, "a read is at most sixteen bytes") };
        let split = self.tail.split;
        // The address the read is based on, so that both reads load from `base + at`: the frame's, or for a
        // read at or after the split, the tail buffer's shifted so that `at` lands on its copy of that offset.
        let base = if at < split {
            self.frame.as_ptr()
        } else {
            debug_assert!(
                at + N <= self.frame.len() + PAD,
                "fast-path read beyond the pad"
            );
            near_the_end();
            let index = (at - split) % TAIL_WINDOW;
            self.tail
                .bytes
                .as_ptr()
                .wrapping_add(index)
                .wrapping_sub(at)
        };
        // SAFETY: before the split, `at < split = len - TAIL` and `N <= TAIL`, so the `N` bytes at `frame + at` lie
        // inside the frame; after it, `base + at` is `tail + index` with `index + N <= TAIL_WINDOW + READ`, inside
        // the tail buffer.
        unsafe { base.wrapping_add(at).cast::<[u8; N]>().read_unaligned() }
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
        self.bytes_at::<1>(at)[0]
    }
}

/// Marks the branch that calls it as the rare one (a read near a frame's end), so that the compiler lays the read
/// from the frame out as the straight path. Without it, a `/ws_ksp` trade ran 66 more instructions, a tick frame
/// 76 and a quote10 frame 589 (`make instructions`).
#[cold]
#[inline(always)]
fn near_the_end() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte from 0 to `len + PAD` as `byte`, `word` and `block` read it.
    fn reads_match_the_frame_then_zeros(p: Padded<'_>, frame: &[u8]) {
        let byte_at = |i: usize| frame.get(i).copied().unwrap_or(0);
        for at in 0..frame.len() + PAD - READ {
            assert_eq!(p.byte(at), byte_at(at), "byte {at}");
            let word: [u8; 8] = std::array::from_fn(|i| byte_at(at + i));
            assert_eq!(p.word(at), u64::from_le_bytes(word), "word {at}");
            let block: [u8; 16] = std::array::from_fn(|i| byte_at(at + i));
            assert_eq!(p.block(at), u128::from_le_bytes(block), "block {at}");
        }
    }

    #[test]
    fn frames_read_as_themselves_followed_by_zeros() {
        let mut buffer = PadBuffer::EMPTY;
        let long: Vec<u8> = (0..300).map(|i| b'a' + (i % 26) as u8).collect();
        let p = buffer.load(&long);
        assert_eq!(p.frame(), &long[..]);
        reads_match_the_frame_then_zeros(p, &long);
        for len in [0, 1, 7, 15, 16, 17, 40] {
            let frame = &long[long.len() - len..];
            let p = buffer.load(frame);
            reads_match_the_frame_then_zeros(p, frame);
        }
        let short = buffer.load(b"{\"a\":1}");
        assert_eq!(
            short.word(7),
            0,
            "stale bytes of a longer frame are cleared"
        );
        assert_eq!((short.byte(6), short.byte(7)), (b'}', 0));
    }

    #[test]
    fn long_frames_read_in_place_too() {
        let mut buffer = PadBuffer::EMPTY;
        let long: Vec<u8> = (0..20_000).map(|i| b'0' + (i % 10) as u8).collect();
        reads_match_the_frame_then_zeros(buffer.load(&long), &long);
    }
}
