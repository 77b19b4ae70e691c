//! Memory prefetch hints: starting cache-line loads early so that independent lookups overlap their memory
//! latency. Hints only: nothing here changes a result, and an address is never dereferenced.

use crate::wire::Code;

/// Asks the CPU to start loading every cache line of `rows[index]`. No bounds check: an index past the end
/// only prefetches memory nothing reads.
#[inline(always)]
pub(crate) fn prefetch<T>(rows: &[T], index: usize) {
    let start = rows.as_ptr().wrapping_add(index).cast::<i8>();
    for offset in (0..size_of::<T>()).step_by(64) {
        prefetch_address(start.wrapping_add(offset));
    }
}

/// Asks the CPU to start loading the cache line at `address` (any address: a prefetch never faults).
#[inline(always)]
fn prefetch_address(address: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline, and a prefetch never faults or changes memory, whatever the
    // address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(address);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Where a hash table keyed by [`Code::hash`] keeps a code's slot, so the parser can prefetch the slot the
/// moment it has read a code and the lookup after parsing finds it in cache.
#[derive(Clone, Copy, Debug)]
pub struct CodeHint {
    /// Address of slot 0.
    base: usize,
    /// Slot count minus one (a power of two minus one).
    mask: usize,
    /// Bytes per slot.
    stride: usize,
}

impl CodeHint {
    /// The hint for a table whose slots are `slots` (a power-of-two count) indexed by `hash & (len - 1)`.
    pub fn new<T>(slots: &[T]) -> Self {
        debug_assert!(slots.len().is_power_of_two());
        Self {
            base: slots.as_ptr() as usize,
            mask: slots.len().wrapping_sub(1),
            stride: size_of::<T>(),
        }
    }

    /// Starts loading the slot `code` hashes to: its first and its last byte's cache lines (a slot may straddle
    /// two).
    #[inline(always)]
    pub(crate) fn touch(self, code: &Code) {
        let slot = code.hash() as usize & self.mask;
        let address = self.base.wrapping_add(slot.wrapping_mul(self.stride));
        prefetch_address(address as *const i8);
        prefetch_address(address.wrapping_add(self.stride - 1) as *const i8);
    }
}
