//! A small deterministic generator for tests that draw many cases: the same cases on every run.

/// Xorshift64: cheap, deterministic, and spread enough to draw test cases.
pub(crate) struct TestRng(u64);

impl TestRng {
    /// A generator started from `seed` (not zero: zero stays zero).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits.
    pub(crate) fn bits(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The next number below `n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.bits() % n
    }
}
