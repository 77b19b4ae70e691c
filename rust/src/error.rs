//! Reject reasons: why a frame was refused. Each is counted by the feed, with the last sample kept.

use thiserror::Error;

/// Why a frame was rejected. A rejected frame changes no ring, book or bar.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Error)]
#[repr(u8)]
pub enum Reject {
    /// Not valid JSON, or cut short.
    #[error("not valid JSON or truncated")]
    Malformed = 0,
    /// Nested deeper than the scanner allows.
    #[error("nested too deeply")]
    TooDeep = 1,
    /// Longer than the largest frame accepted, or more rows than one frame may carry.
    #[error("frame too large")]
    TooLarge = 2,
    /// A field had a JSON type that cannot carry its value (e.g. an object where a price belongs).
    #[error("a field has the wrong type")]
    WrongType = 3,
    /// A number was NaN, infinite, negative where that is impossible, not a number, or overflowed.
    #[error("a number is invalid (NaN, negative, overflow or not numeric)")]
    BadNumber = 4,
    /// A required field was missing.
    #[error("a required field is missing")]
    MissingField = 5,
    /// A key appeared twice in one object.
    #[error("a key appears twice")]
    DuplicateKey = 6,
    /// The `preset` is not one kfeed knows.
    #[error("unknown preset")]
    UnknownPreset = 7,
    /// The code is empty, too long, or has characters a code cannot have.
    #[error("invalid instrument code")]
    BadCode = 8,
    /// Valid JSON but neither a push, a market-trade array nor a JSON-RPC reply.
    #[error("not a frame of the Koscom protocol")]
    NotProtocol = 9,
    /// The code is not known and could not be added (the feed only accepts preloaded codes).
    #[error("unknown symbol")]
    UnknownSymbol = 10,
    /// The symbol table is full.
    #[error("symbol table full")]
    SymbolCapacity = 11,
    /// A time field is not a valid `HHMMSSmm`.
    #[error("invalid time")]
    BadTime = 12,
    /// A trade whose cumulative volume does not advance past what was already applied: a duplicate or
    /// replayed frame. Applying it would count its volume twice.
    #[error("duplicate or replayed trade")]
    Duplicate = 13,
}

impl Reject {
    /// Every reason, in counter order.
    pub const ALL: [Reject; 14] = [
        Reject::Malformed,
        Reject::TooDeep,
        Reject::TooLarge,
        Reject::WrongType,
        Reject::BadNumber,
        Reject::MissingField,
        Reject::DuplicateKey,
        Reject::UnknownPreset,
        Reject::BadCode,
        Reject::NotProtocol,
        Reject::UnknownSymbol,
        Reject::SymbolCapacity,
        Reject::BadTime,
        Reject::Duplicate,
    ];

    /// A stable `snake_case` name, used as the key in `feed.stats()["rejects"]`.
    pub fn name(self) -> &'static str {
        match self {
            Reject::Malformed => "malformed",
            Reject::TooDeep => "too_deep",
            Reject::TooLarge => "too_large",
            Reject::WrongType => "wrong_type",
            Reject::BadNumber => "bad_number",
            Reject::MissingField => "missing_field",
            Reject::DuplicateKey => "duplicate_key",
            Reject::UnknownPreset => "unknown_preset",
            Reject::BadCode => "bad_code",
            Reject::NotProtocol => "not_protocol",
            Reject::UnknownSymbol => "unknown_symbol",
            Reject::SymbolCapacity => "symbol_capacity",
            Reject::BadTime => "bad_time",
            Reject::Duplicate => "duplicate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_reason_in_discriminant_order() {
        for (i, r) in Reject::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }
}
