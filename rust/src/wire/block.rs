//! Sixteen bytes tested at once: which bytes of two 16-byte blocks are equal, and which bytes of one are ASCII
//! digits, each as a 16-bit mask (on `x86_64` a few vector instructions, SSE2 being part of every `x86_64` CPU;
//! elsewhere a word-at-a-time equivalent), and [`Text`], a constant text compared with a padded frame that way.

use super::padded::Padded;

/// A constant text of at most `16 * N` bytes as `N` 16-byte blocks, compared with a padded frame sixteen bytes at
/// a time: a push's prefix, and the texts between the values of a learned shape.
#[derive(Clone, Copy)]
pub(crate) struct Text<const N: usize> {
    /// The text's bytes, little-endian, zero past its end.
    blocks: [u128; N],
    /// Bit `i` set for each byte `i` past the text's end, up to bit 63 (those bytes match anything).
    beyond: u64,
    /// Bytes of text.
    len: u8,
}

impl<const N: usize> Text<N> {
    /// No text: matches anywhere.
    pub const EMPTY: Self = Self::new(b"");

    /// The text `text`, which must be at most `16 * N` bytes and hold no zero byte (checked when compiled).
    pub const fn new(text: &[u8]) -> Self {
        match Self::build(text) {
            Some(compared) => compared,
            None => panic!("a text fits its blocks and holds no zero byte"),
        }
    }

    /// The text `frame[from..to]`, when it lies in the frame, fits the blocks and holds no zero byte.
    pub fn of(frame: Padded<'_>, from: usize, to: usize) -> Option<Self> {
        Self::build(frame.frame().get(from..to)?)
    }

    /// `text` as blocks, or `None` when it is longer than `16 * N` bytes or holds a zero byte (the pad past a
    /// frame's end must match no text).
    const fn build(text: &[u8]) -> Option<Self> {
        // A padded frame can be read at most 64 bytes past any offset inside it.
        assert!(16 * N <= 64, "the blocks fit the pad");
        if text.len() > 16 * N {
            return None;
        }
        let mut blocks = [0u128; N];
        let mut i = 0;
        while i < text.len() {
            if text[i] == 0 {
                return None;
            }
            blocks[i / 16] |= (text[i] as u128) << (8 * (i % 16));
            i += 1;
        }
        Some(Self {
            blocks,
            beyond: match u64::MAX.checked_shl(text.len() as u32) {
                Some(beyond) => beyond,
                None => 0,
            },
            len: text.len() as u8,
        })
    }

    /// Bytes of text.
    #[inline(always)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when `frame` continues at `at` with exactly this text.
    #[inline(always)]
    pub fn matches(&self, frame: Padded<'_>, at: usize) -> bool {
        // A text of at most 16 bytes is decided by its first block (`beyond` covers every later one).
        let mut equal = u64::from(equal_bytes(frame.block(at), self.blocks[0])) | self.beyond;
        if equal == u64::MAX {
            return true;
        }
        for i in 1..N {
            equal |= u64::from(equal_bytes(frame.block(at + 16 * i), self.blocks[i])) << (16 * i);
        }
        equal == u64::MAX
    }
}

/// Bit `i` is set when byte `i` of `a` equals byte `i` of `b` (bytes in little-endian order).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn equal_bytes(a: u128, b: u128) -> u32 {
    use core::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x};
    // SAFETY: these intrinsics need only SSE2, which the `cfg` above guarantees; they read no memory.
    unsafe {
        let a = _mm_set_epi64x((a >> 64) as i64, a as i64);
        let b = _mm_set_epi64x((b >> 64) as i64, b as i64);
        _mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) as u32
    }
}

/// Bit `i` is set when byte `i` of `a` equals byte `i` of `b` (bytes in little-endian order).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn equal_bytes(a: u128, b: u128) -> u32 {
    portable_equal_bytes(a, b)
}

/// Bit `i` is set when byte `i` of `a` is an ASCII digit (bytes in little-endian order).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn digit_bytes(a: u128) -> u32 {
    use core::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x,
        _mm_sub_epi8,
    };
    // SAFETY: these intrinsics need only SSE2, which the `cfg` above guarantees; they read no memory.
    unsafe {
        let a = _mm_set_epi64x((a >> 64) as i64, a as i64);
        // Digits become 0..=9 and every other byte 10..=255 (wrapping), so a digit is a byte whose unsigned
        // maximum with 9 is 9.
        let nine = _mm_set1_epi8(9);
        let offset = _mm_sub_epi8(a, _mm_set1_epi8(b'0' as i8));
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(offset, nine), nine)) as u32
    }
}

/// Bit `i` is set when byte `i` of `a` is an ASCII digit (bytes in little-endian order).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn digit_bytes(a: u128) -> u32 {
    portable_digit_bytes(a)
}

/// [`digit_bytes`] without vector instructions (elsewhere than `x86_64`, and the reference the tests hold the
/// vector one to).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
fn portable_digit_bytes(a: u128) -> u32 {
    a.to_le_bytes()
        .iter()
        .enumerate()
        .fold(0, |mask, (i, byte)| {
            mask | u32::from(byte.is_ascii_digit()) << i
        })
}

/// The first `len` (at most 16) bytes of `block`, zero past them.
#[inline(always)]
pub(crate) fn prefix(block: u128, len: usize) -> u128 {
    /// Entry `n` keeps the first `n` bytes.
    const MASKS: [u128; 17] = {
        let mut masks = [u128::MAX; 17];
        let mut n = 0;
        while n < 16 {
            masks[n] = (1 << (8 * n)) - 1;
            n += 1;
        }
        masks
    };
    block & MASKS[len.min(16)]
}

/// [`equal_bytes`] without vector instructions (elsewhere than `x86_64`, and the reference the tests hold the
/// vector one to): each half's zero bytes of `a ^ b`, flagged exactly and then gathered into eight bits by one
/// multiplication.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn portable_equal_bytes(a: u128, b: u128) -> u32 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let half = |x: u64| {
        // Bit 7 of each nonzero byte (exact: no carry crosses a byte).
        let nonzero = ((x & LOW7).wrapping_add(LOW7) | x) & !LOW7;
        let zero = (!nonzero & !LOW7) >> 7;
        // Byte `i`'s flag (bit 8i) lands on bit 56 + i.
        (zero.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
    };
    let x = a ^ b;
    half(x as u64) | half((x >> 64) as u64) << 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::TestRng;
    use crate::wire::padded::PadBuffer;

    #[test]
    fn a_text_matches_exactly_its_bytes() {
        let mut buffer = Box::new(PadBuffer::EMPTY);
        let frame =
            buffer.load(br#"{"jsonrpc":"2.0","method":"push","params":{"isuSrtCd":"000210"}}"#);
        let prefix = Text::<3>::new(br#"{"jsonrpc":"2.0","method":"push","params":"#);
        assert_eq!(prefix.len(), 42);
        assert!(prefix.matches(frame, 0));
        assert!(!prefix.matches(frame, 1));
        let sixteen = Text::<2>::new(br#"{"jsonrpc":"2.0""#);
        assert!(
            sixteen.matches(frame, 0),
            "a text ending on a block's last byte"
        );
        let key = Text::<2>::new(br#""isuSrtCd":""#);
        assert!(key.matches(frame, 43));
        assert!(!Text::<2>::new(br#""isuSrtCd":"000211"#).matches(frame, 43));
        assert!(Text::<2>::EMPTY.matches(frame, 7));
        let full = Text::<4>::new(&frame.frame()[..64]);
        assert!(
            full.matches(frame, 0) && !full.matches(frame, 1),
            "a text filling every block"
        );
        let mut other = Box::new(PadBuffer::EMPTY);
        let cut = other.load(br#"{"jsonrpc":"2.0","method":"pu"#);
        assert!(!prefix.matches(cut, 0), "the zero pad matches no text");
        let late = other.load(br#"{"jsonrpc":"2.0","method":"push","params"x"#);
        assert!(!prefix.matches(late, 0), "a difference in the last block");
    }

    fn plain(a: u128, b: u128) -> u32 {
        let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
        (0..16).fold(0, |mask, i| mask | u32::from(a[i] == b[i]) << i)
    }

    #[test]
    fn equal_bytes_flags_exactly_the_equal_bytes() {
        let mut rng = TestRng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = || rng.bits();
        for _ in 0..20_000 {
            let a = u128::from(next()) | u128::from(next()) << 64;
            // Copy some bytes of `a` into `b` (and sometimes bytes that differ by one bit), so both answers occur.
            let (keep, flip) = (next(), next());
            let mut b = u128::from(next()) | u128::from(next()) << 64;
            for i in 0..16 {
                if keep >> (4 * i) & 3 != 0 {
                    let byte = (a >> (8 * i)) as u8 ^ if flip >> i & 1 == 1 { 0x80 } else { 0 };
                    b = b & !(0xff << (8 * i)) | u128::from(byte) << (8 * i);
                }
            }
            assert_eq!(equal_bytes(a, b), plain(a, b));
            assert_eq!(portable_equal_bytes(a, b), plain(a, b));
        }
        assert_eq!(equal_bytes(0, 0), 0xffff);
        assert_eq!(portable_equal_bytes(u128::MAX, 0), 0);
    }

    #[test]
    fn digit_bytes_flags_exactly_the_digits() {
        for first in 0..=255u8 {
            // Every byte value, beside digits and the bytes next to the digit range, at every position.
            let bytes: [u8; 16] = std::array::from_fn(|i| match i % 4 {
                0 => first,
                1 => b'0' + (i % 10) as u8,
                2 => first.wrapping_add(i as u8),
                _ => [b'/', b':', b'9', b'0'][i / 4],
            });
            let block = u128::from_le_bytes(bytes);
            let want = (0..16).fold(0, |mask, i| {
                mask | u32::from(bytes[i].is_ascii_digit()) << i
            });
            assert_eq!(digit_bytes(block), want, "{bytes:?}");
            assert_eq!(portable_digit_bytes(block), want, "{bytes:?}");
        }
    }
}
