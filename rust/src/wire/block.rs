//! Sixteen bytes compared at once: which bytes of two 16-byte blocks are equal, as a 16-bit mask. On `x86_64` it
//! is three vector instructions (SSE2, part of every `x86_64` CPU); elsewhere a word-at-a-time equivalent.

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

    fn plain(a: u128, b: u128) -> u32 {
        let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
        (0..16).fold(0, |mask, i| mask | u32::from(a[i] == b[i]) << i)
    }

    #[test]
    fn equal_bytes_flags_exactly_the_equal_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
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
}
