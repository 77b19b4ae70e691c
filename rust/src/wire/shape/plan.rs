//! Compiled walks: the short member sequences the protocol reference documents (and the simulator sends: tick,
//! quote and `/ws_ksp` elements) each have straight-line code of their own, in which every step's kind and
//! quoting is a constant. A shape whose forms equal one of them is walked by it, without the per-step dispatch
//! of the interpreted walk; any other shape is interpreted. Only the forms are compiled: the texts between
//! values (key spellings, the order of keys of one form) and the keys' bits stay data, so one plan serves every
//! spelling of its sequence.
//!
//! Long sequences stay interpreted: their straight-line code would be many times the size of the interpreter's
//! loop, and a trial build that compiled quote10's 49 steps ran no faster.
//!
//! Both walks read each step with [`read_step`], so a plan gives exactly the interpreted walk's result.

use seq_macro::seq;

use super::{read_step, walk_steps, Step, Stop, MAX_STEPS};
use crate::wire::fields::Fields;
use crate::wire::keys::Kind;
use crate::wire::padded::Padded;

/// How a member's value is written: how it is read, and whether it is a string.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Form {
    /// How the value is read.
    pub kind: Kind,
    /// The value is a string (the text before it ends with its opening quote).
    pub quoted: bool,
}

impl Form {
    /// A value written bare (a number).
    pub const fn bare(kind: Kind) -> Form {
        Form {
            kind,
            quoted: false,
        }
    }

    /// A value written as a string.
    const fn string(kind: Kind) -> Form {
        Form { kind, quoted: true }
    }

    /// True for a number written as a string: a shape's text after it starts with its closing quote, so that the
    /// text's comparison checks the quote (see [`super::read_step`]).
    pub const fn quote_in_text(self) -> bool {
        self.quoted
            && matches!(
                self.kind,
                Kind::Decimal | Kind::Integer | Kind::TradeTime | Kind::BookTime
            )
    }
}

/// `isuSrtCd`.
const CODE: Form = Form::string(Kind::Code);
/// A price or `accTrdval`, bare.
const DECIMAL: Form = Form::bare(Kind::Decimal);
/// A quantity or total, bare.
const INTEGER: Form = Form::bare(Kind::Integer);
/// `trdTm`, bare.
const TIME: Form = Form::bare(Kind::TradeTime);
/// `ordAcptTm`, bare.
const BOOK_TIME: Form = Form::bare(Kind::BookTime);

/// `tick` for stocks in the order of the vendor's example: `isuSrtCd, trdPrc, trdvol, accTrdvol, accTrdval,
/// trdTm`.
const TICK_STOCK_EXAMPLE: [Form; 6] = [CODE, DECIMAL, INTEGER, INTEGER, DECIMAL, TIME];
/// `tick` for stocks in the order of the preset table (the simulator's): `isuSrtCd, trdPrc, trdvol, trdTm,
/// accTrdvol, accTrdval`.
const TICK_STOCK: [Form; 6] = [CODE, DECIMAL, INTEGER, TIME, INTEGER, DECIMAL];
/// `tick` for futures and options: `isuSrtCd, trdPrc, trdvol, trdTm, accTrdvol`.
const TICK_DERIVATIVE: [Form; 5] = [CODE, DECIMAL, INTEGER, TIME, INTEGER];
/// A `/ws_ksp`|`/ws_kdq` element, every value a string: `isuSrtCd, trdPrc, trdVol, trdTm`.
const MARKET_TRADE: [Form; 4] = [
    CODE,
    Form::string(Kind::Decimal),
    Form::string(Kind::Integer),
    Form::string(Kind::TradeTime),
];
/// `quote` for stocks: `isuSrtCd, accTrdvol`, then the best ask's and the best bid's price and quantity.
const QUOTE_STOCK: [Form; 6] = [CODE, INTEGER, DECIMAL, INTEGER, DECIMAL, INTEGER];
/// `quote` for futures and options: `isuSrtCd`, the best ask's and bid's price and quantity, `ordAcptTm`.
const QUOTE_DERIVATIVE: [Form; 6] = [CODE, DECIMAL, INTEGER, DECIMAL, INTEGER, BOOK_TIME];

/// Which objects a shape reads; each plan is for one of them, so that where the objects are known when compiled
/// (the `/ws_ksp` element loop) the other plans are left out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Objects {
    /// `/ws_ksp`|`/ws_kdq` elements.
    Market,
    /// Push `params`.
    Preset,
}

/// The compiled walk a shape uses, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Plan(u8);

/// Declares the compiled sequences (`objects, #[inline] walk = FORMS[len]`, in the order of their plans): the table
/// [`Plan::of`] looks a shape up in, a walk function for each, and [`Plan::walk`] dispatching to them. The tick and
/// `/ws_ksp` walks are inlined where shapes are walked; the quote walks are called, which keeps those loops smaller.
macro_rules! plans {
    ($($objects:ident, #[$inline:meta] $walk:ident = $forms:ident[$len:literal];)+) => {
        /// Every compiled sequence and the objects it is for; plan `i + 1` walks the `i`th.
        const SEQUENCES: &[(Objects, &[Form])] = &[$((Objects::$objects, &$forms)),+];

        impl Plan {
            /// Walks `len` `steps` from the value at `at`, compiled when the plan is one (see
            /// [`super::walk_steps`] for the result).
            #[inline(always)]
            pub fn walk(
                self,
                objects: Objects,
                steps: &[Step; MAX_STEPS],
                len: usize,
                fields: &mut Fields,
                frame: Padded<'_>,
                at: usize,
            ) -> Result<usize, (usize, usize, Stop)> {
                let mut plan = 0;
                $(
                    plan += 1;
                    if objects == Objects::$objects && self.0 == plan {
                        return $walk(steps, fields, frame, at);
                    }
                )+
                walk_steps(&steps[..len.min(MAX_STEPS)], fields, frame, at)
            }
        }

        $(
            #[doc = concat!("The compiled walk of [`", stringify!($forms), "`].")]
            #[$inline]
            fn $walk(
                steps: &[Step; MAX_STEPS],
                fields: &mut Fields,
                frame: Padded<'_>,
                mut at: usize,
            ) -> Result<usize, (usize, usize, Stop)> {
                seq!(I in 0..$len {
                    at = read_step(fields, frame, at, &steps[I], $forms[I])
                        .map_err(|stop| (I, at, stop))?;
                });
                Ok(at)
            }
        )+
    };
}

plans! {
    Preset, #[inline(always)] walk_tick_stock_example = TICK_STOCK_EXAMPLE[6];
    Preset, #[inline(always)] walk_tick_stock = TICK_STOCK[6];
    Preset, #[inline(always)] walk_tick_derivative = TICK_DERIVATIVE[5];
    Preset, #[inline(never)] walk_quote_stock = QUOTE_STOCK[6];
    Preset, #[inline(never)] walk_quote_derivative = QUOTE_DERIVATIVE[6];
    Market, #[inline(always)] walk_market_trade = MARKET_TRADE[4];
}

impl Plan {
    /// No compiled walk: the shape is interpreted.
    pub const NONE: Plan = Plan(0);

    /// The plan of a shape of `objects` with `steps`: the compiled walk of their forms, or [`Plan::NONE`].
    pub fn of(objects: Objects, steps: &[Step]) -> Plan {
        let forms = steps.iter().map(|step| step.form);
        SEQUENCES
            .iter()
            .position(|&(of, sequence)| of == objects && sequence.iter().copied().eq(forms.clone()))
            .map_or(Plan::NONE, |i| Plan(i as u8 + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::corpus::{TICK, TICK_FUTURES, WS_KSP};
    use crate::wire::shape::ShapeSlot;
    use crate::wire::{scan_frame, KeyOrder, PadBuffer, Parsed, Scratch, Source};

    fn push(params: &str) -> String {
        format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
    }

    /// Every documented sequence as the simulator writes it, with the slot it is learned in and its forms.
    fn documented() -> Vec<(String, ShapeSlot, &'static [Form])> {
        let tick = ShapeSlot::Preset(Source::Tick);
        let quote = ShapeSlot::Preset(Source::Quote);
        let tick_stock = r#""preset":"tick","isuSrtCd":"005930","trdPrc":2465000,"trdvol":2,"trdTm":14412000,"accTrdvol":251916,"accTrdval":627899637000"#;
        let quote_stock = r#""preset":"quote","isuSrtCd":"005930","accTrdvol":251916,"askStep1BstordPrc":2465000,"askStep1BstordRqty":144,"bidStep1BstordPrc":2464000,"bidStep1BstordRqty":298"#;
        let quote_derivative = r#""preset":"quote","isuSrtCd":"101N6000","askStep1BstordPrc":308.75,"askStep1BstordRqty":13,"bidStep1BstordPrc":308.7,"bidStep1BstordRqty":17,"ordAcptTm":10153512"#;
        vec![
            (TICK.to_string(), tick, &TICK_STOCK_EXAMPLE),
            (push(tick_stock), tick, &TICK_STOCK),
            (TICK_FUTURES.to_string(), tick, &TICK_DERIVATIVE),
            (WS_KSP.to_string(), ShapeSlot::Market, &MARKET_TRADE),
            (push(quote_stock), quote, &QUOTE_STOCK),
            (push(quote_derivative), quote, &QUOTE_DERIVATIVE),
        ]
    }

    fn scratch() -> Box<Scratch> {
        Box::new(Scratch {
            order: KeyOrder::EMPTY,
            fields: Fields::EMPTY,
            pad: PadBuffer::EMPTY,
        })
    }

    /// What parsing `frame` gives, as text to compare.
    fn parse(frame: &str, scratch: &mut Scratch) -> String {
        let mut out = Parsed::new();
        let result = scan_frame(frame.as_bytes(), &mut out, scratch);
        format!(
            "{result:?} {:?} {:?} {:?}",
            out.trades, out.books, out.signals
        )
    }

    #[test]
    fn every_documented_sequence_is_walked_compiled() {
        for (frame, slot, forms) in documented() {
            let mut scratch = scratch();
            parse(&frame, &mut scratch);
            let shape = &scratch.order.shapes.shapes[slot.index()];
            let learned: Vec<Form> = shape.steps[..usize::from(shape.len)]
                .iter()
                .map(|step| step.form)
                .collect();
            assert_eq!(learned, forms, "{frame}");
            assert_ne!(shape.plan, Plan::NONE, "{frame}");
        }
        let undocumented = push(
            r#""preset":"tick","trdPrc":2465000,"isuSrtCd":"005930","trdvol":2,"trdTm":14412000"#,
        );
        let mut scratch = scratch();
        parse(&undocumented, &mut scratch);
        let shape = &scratch.order.shapes.shapes[ShapeSlot::Preset(Source::Tick).index()];
        assert_eq!((shape.len, shape.plan), (4, Plan::NONE), "interpreted");
    }

    #[test]
    fn a_compiled_walk_reads_what_the_interpreted_walk_reads() {
        for (frame, slot, _) in documented() {
            // Each member in turn: a value the fast path leaves to the general one, a number that continues past
            // the shape's text, a string where a number was, an unknown key, and the member dropped.
            let members: Vec<usize> = frame.match_indices(",\"").map(|(at, _)| at + 1).collect();
            let mut variants = vec![frame.replace('0', "1")];
            for &at in &members {
                let (head, member) = frame.split_at(at);
                let colon = member.find(':').expect("a member");
                let end = member[colon..].find([',', '}']).expect("a delimiter") + colon;
                let (key, value, tail) =
                    (&member[..colon], &member[colon + 1..end], &member[end..]);
                variants.extend([
                    format!("{head}{key}:{value}*001{tail}"),
                    format!("{head}{key}:{value}e1{tail}"),
                    format!(r#"{head}{key}:"{}"{tail}"#, value.trim_matches('"')),
                    format!(r#"{head}"unknownKey":{value}{tail}"#),
                    format!("{head}{}", &tail[1..]),
                ]);
            }
            for variant in variants {
                let mut compiled = scratch();
                let mut interpreted = scratch();
                parse(&frame, &mut compiled);
                parse(&frame, &mut interpreted);
                interpreted.order.shapes.shapes[slot.index()].plan = Plan::NONE;
                assert_eq!(
                    parse(&variant, &mut compiled),
                    parse(&variant, &mut interpreted),
                    "{variant}"
                );
                assert_eq!(
                    parse(&frame, &mut compiled),
                    parse(&frame, &mut interpreted),
                    "after {variant}"
                );
            }
        }
    }
}
