//! Applying a parsed [`BookUpdate`] to a symbol's book in place: only the fields the frame carried change.

use crate::rows::{BookLevels, BookRow};
use crate::wire::{BookUpdate, ABSENT};

/// Copies the levels whose bit is set in `mask` (below `depth`) from `src` into `dst`.
#[inline]
fn copy_masked<T: Copy>(dst: &mut [T], src: &[T], mask: u16, depth: u8) {
    let all = (1u16 << depth) - 1;
    let mut bits = mask & all;
    if bits == all {
        let depth = usize::from(depth);
        dst[..depth].copy_from_slice(&src[..depth]);
        return;
    }
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        dst[i] = src[i];
        bits &= bits - 1;
    }
}

/// Applies `update` to `book`: every present level below the book's depth, and the totals when present.
#[inline]
pub fn apply(book: &mut BookLevels, update: &BookUpdate) {
    let depth = book.levels;
    copy_masked(
        &mut book.ask_price,
        &update.ask_price,
        update.ask_price_mask,
        depth,
    );
    copy_masked(
        &mut book.ask_qty,
        &update.ask_qty,
        update.ask_qty_mask,
        depth,
    );
    copy_masked(
        &mut book.bid_price,
        &update.bid_price,
        update.bid_price_mask,
        depth,
    );
    copy_masked(
        &mut book.bid_qty,
        &update.bid_qty,
        update.bid_qty_mask,
        depth,
    );
    if update.ask_total != ABSENT {
        book.ask_total = update.ask_total;
    }
    if update.bid_total != ABSENT {
        book.bid_total = update.bid_total;
    }
}

/// Applies `update` to a symbol's book row at exchange time `time` (ns) and counts it.
#[inline]
pub fn apply_row(row: &mut BookRow, update: &BookUpdate, time: i64) {
    apply(&mut row.book, update);
    row.time = time;
    row.updates += 1;
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values are the point: prices are copied, not computed"
)]
mod tests {
    use super::*;
    use crate::wire::Code;

    fn book(depth: u8) -> BookLevels {
        BookLevels {
            levels: depth,
            ..BookLevels::default()
        }
    }

    fn update() -> BookUpdate {
        BookUpdate {
            code: Code::new(b"005930").unwrap(),
            ask_total: ABSENT,
            bid_total: ABSENT,
            acc_volume: ABSENT,
            ..BookUpdate::default()
        }
    }

    #[test]
    fn only_present_fields_change() {
        let mut b = book(10);
        b.bid_price[0] = 100.0;
        b.bid_qty[0] = 7;
        let mut u = update();
        u.ask_price[0] = 101.0;
        u.ask_price_mask = 1;
        u.ask_qty[0] = 3;
        u.ask_qty_mask = 1;
        u.bid_qty[0] = 9;
        u.bid_qty_mask = 1;
        u.bid_price[0] = 55.0; // not present: must be ignored
        apply(&mut b, &u);
        assert_eq!(b.ask_price[0], 101.0);
        assert_eq!(b.ask_qty[0], 3);
        assert_eq!(b.bid_price[0], 100.0);
        assert_eq!(b.bid_qty[0], 9);
        assert_eq!(b.ask_total, 0);
    }

    #[test]
    fn full_update_replaces_all_levels_and_totals() {
        let mut b = book(10);
        let mut u = update();
        for i in 0..10 {
            u.ask_price[i] = 100.0 + i as f64;
            u.ask_qty[i] = i as i64;
            u.bid_price[i] = 99.0 - i as f64;
            u.bid_qty[i] = 10 + i as i64;
        }
        u.ask_price_mask = 0x3ff;
        u.ask_qty_mask = 0x3ff;
        u.bid_price_mask = 0x3ff;
        u.bid_qty_mask = 0x3ff;
        u.ask_total = 45;
        u.bid_total = 145;
        apply(&mut b, &u);
        assert_eq!(b.ask_price, u.ask_price);
        assert_eq!(b.bid_qty, u.bid_qty);
        assert_eq!((b.ask_total, b.bid_total), (45, 145));
    }

    #[test]
    fn derivative_book_keeps_five_levels() {
        let mut b = book(5);
        let mut u = update();
        u.ask_price = [1.0; 10];
        u.ask_price_mask = 0x3ff;
        apply(&mut b, &u);
        assert_eq!(&b.ask_price[..5], &[1.0; 5]);
        assert_eq!(&b.ask_price[5..], &[0.0; 5]);
    }

    #[test]
    fn row_counts_updates_and_stamps_time() {
        let mut r = BookRow {
            book: book(10),
            ..BookRow::default()
        };
        apply_row(&mut r, &update(), 42);
        apply_row(&mut r, &update(), 43);
        assert_eq!((r.time, r.updates), (43, 2));
    }
}
