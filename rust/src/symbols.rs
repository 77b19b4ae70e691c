//! `SymbolTable`: instrument code <-> dense `u32` id, with a fixed capacity set at construction.
//!
//! Lookup is an open-addressing (linear probing) hash table keyed by the inline [`Code`], sized once to at least
//! twice the capacity, so neither a lookup nor an insert ever allocates. Slots hold the code itself beside the
//! id and the symbol's [`TradeState`], so a hit costs one slot's cache lines (one, or two where the slot straddles a
//! line boundary), the lines the parser prefetched when it read the code (see [`SymbolTable::code_hint`]): the
//! duplicate and gap checks of a trade find their state there.

use crate::prefetch::CodeHint;
use crate::wire::{Code, ABSENT};

/// Book depth of stocks, ETFs and indices.
pub const STOCK_DEPTH: u8 = 10;
/// Book depth of futures and options (8-character codes).
pub const DERIVATIVE_DEPTH: u8 = 5;

/// The book depth an instrument has, from its code: derivatives have 8-character codes and 5 levels.
pub fn depth_of(code: &Code) -> u8 {
    if code.as_bytes().len() == 8 {
        DERIVATIVE_DEPTH
    } else {
        STOCK_DEPTH
    }
}

const EMPTY: u32 = u32::MAX;

/// What the feed keeps per symbol to check each trade against the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeState {
    /// Cumulative volume of the last tick/tick10 trade, or [`ABSENT`].
    pub last_acc: i64,
    /// Exchange time (ns) of the last trade applied; 0 = none.
    pub last_trade_time: i64,
    /// Its trades come from a per-symbol stream, so copies on the market-wide streams are skipped.
    pub skip_market_trades: bool,
    /// Its bars starting before this time (ns) that market-wide trades land in are flagged `BAR_GAP`: they span a
    /// time when its market's stream was not live (session start, or the end of an outage). `i64::MIN`: none.
    pub market_partial_until: i64,
}

impl TradeState {
    /// Nothing known yet.
    pub const NONE: TradeState = TradeState {
        last_acc: ABSENT,
        last_trade_time: 0,
        skip_market_trades: false,
        market_partial_until: i64::MIN,
    };
}

impl Default for TradeState {
    fn default() -> Self {
        Self::NONE
    }
}

/// One hash slot: the code kept inline beside its id and trade state, so a lookup touches this slot alone.
#[derive(Clone, Copy, Debug)]
struct Slot {
    code: Code,
    /// The id, or [`EMPTY`].
    id: u32,
    state: TradeState,
}

impl Slot {
    /// A slot holding no code.
    const VACANT: Slot = Slot {
        code: Code::EMPTY,
        id: EMPTY,
        state: TradeState::NONE,
    };
}

/// Where a code's slot is: pass it back to [`SymbolTable::state`] / [`SymbolTable::state_mut`]. Valid until the
/// table is truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotIndex(u32);

/// Dense ids for instrument codes, in order of first sight.
#[derive(Debug)]
pub struct SymbolTable {
    codes: Vec<Code>,
    /// Length is a power of two.
    slots: Box<[Slot]>,
    mask: usize,
}

impl SymbolTable {
    /// An empty table with room for `capacity` codes; allocates everything now.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, EMPTY as usize - 1);
        let slots = (capacity * 2).next_power_of_two().max(8);
        Self {
            codes: Vec::with_capacity(capacity),
            slots: vec![Slot::VACANT; slots].into_boxed_slice(),
            mask: slots - 1,
        }
    }

    /// Most codes the table can hold.
    pub fn capacity(&self) -> usize {
        self.codes.capacity()
    }

    /// Number of codes held.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when no code is held.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The id of `code`, if known.
    #[inline]
    pub fn get(&self, code: &Code) -> Option<u32> {
        self.find(code).map(|(id, _)| id)
    }

    /// The id and slot of `code`, if known.
    #[inline]
    pub fn find(&self, code: &Code) -> Option<(u32, SlotIndex)> {
        match self.probe(code) {
            (slot, true) => Some((self.slots[slot].id, SlotIndex(slot as u32))),
            (_, false) => None,
        }
    }

    /// The slot holding `code` (and true), or the vacant slot where it would go (and false).
    #[inline(always)]
    fn probe(&self, code: &Code) -> (usize, bool) {
        let mut slot = hash(code) & self.mask;
        loop {
            let entry = &self.slots[slot];
            if entry.id == EMPTY {
                return (slot, false);
            }
            if entry.code == *code {
                return (slot, true);
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// The id and slot of `code`, adding it when new (with a fresh [`TradeState`]), and whether it was new;
    /// `None` when it is new and the table is full.
    #[inline]
    pub fn get_or_insert(&mut self, code: &Code) -> Option<(u32, SlotIndex, bool)> {
        let (slot, found) = self.probe(code);
        if found {
            return Some((self.slots[slot].id, SlotIndex(slot as u32), false));
        }
        if self.codes.len() == self.codes.capacity() {
            return None;
        }
        let id = self.codes.len() as u32;
        self.codes.push(*code);
        self.slots[slot] = Slot {
            code: *code,
            id,
            state: TradeState::default(),
        };
        debug_assert_eq!(self.get(code), Some(id));
        Some((id, SlotIndex(slot as u32), true))
    }

    /// The trade state in `slot`.
    #[inline(always)]
    pub fn state(&self, slot: SlotIndex) -> &TradeState {
        &self.slots[slot.0 as usize].state
    }

    /// The trade state in `slot`, to update.
    #[inline(always)]
    pub fn state_mut(&mut self, slot: SlotIndex) -> &mut TradeState {
        &mut self.slots[slot.0 as usize].state
    }

    /// Where this table keeps each code's slot, for the parser to prefetch (see [`CodeHint`]).
    pub fn code_hint(&self) -> CodeHint {
        CodeHint::new(&self.slots)
    }

    /// The code of `id`.
    pub fn code(&self, id: u32) -> Option<&Code> {
        self.codes.get(id as usize)
    }

    /// All codes, in id order.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    /// Forgets every code with an id >= `len`, newest first, restoring the table exactly as it was when it held
    /// `len` codes (removing the most recent linear-probing inserts in reverse order is an exact undo).
    pub fn truncate(&mut self, len: usize) {
        while self.codes.len() > len {
            let Some(code) = self.codes.pop() else { break };
            let id = self.codes.len() as u32;
            let mut slot = hash(&code) & self.mask;
            while self.slots[slot].id != id {
                slot = (slot + 1) & self.mask;
            }
            self.slots[slot] = Slot::VACANT;
        }
    }
}

/// The slot index `code` hashes to, before masking.
#[inline(always)]
fn hash(code: &Code) -> usize {
    code.hash() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Code {
        Code::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn ids_are_dense_in_order_of_first_sight() {
        let mut t = SymbolTable::new(4);
        assert!(matches!(t.get_or_insert(&c("005930")), Some((0, _, true))));
        assert!(matches!(t.get_or_insert(&c("000660")), Some((1, _, true))));
        assert!(matches!(t.get_or_insert(&c("005930")), Some((0, _, false))));
        assert_eq!(t.get(&c("000660")), Some(1));
        assert_eq!(t.get(&c("K1")), None);
        assert_eq!(t.code(1), Some(&c("000660")));
    }

    #[test]
    fn full_table_refuses_new_codes_only() {
        let mut t = SymbolTable::new(2);
        t.get_or_insert(&c("A")).unwrap();
        t.get_or_insert(&c("B")).unwrap();
        assert_eq!(t.get_or_insert(&c("C")), None);
        assert!(matches!(t.get_or_insert(&c("B")), Some((1, _, false))));
    }

    #[test]
    fn many_codes_round_trip_and_truncate_undoes_inserts() {
        let mut t = SymbolTable::new(5000);
        for i in 0..4000 {
            t.get_or_insert(&c(&format!("{i:06}"))).unwrap();
        }
        for i in 0..4000 {
            assert_eq!(t.get(&c(&format!("{i:06}"))), Some(i));
        }
        t.truncate(3000);
        assert_eq!(t.len(), 3000);
        for i in 0..4000 {
            let want = (i < 3000).then_some(i);
            assert_eq!(t.get(&c(&format!("{i:06}"))), want);
        }
        assert!(matches!(
            t.get_or_insert(&c("999999")),
            Some((3000, _, true))
        ));
    }

    #[test]
    fn depth_from_code_length() {
        assert_eq!(depth_of(&c("005930")), 10);
        assert_eq!(depth_of(&c("101N6000")), 5);
        assert_eq!(depth_of(&c("K1")), 10);
    }
}
