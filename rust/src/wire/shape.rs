//! Learned object shapes: the whole member sequence of the last object of a kind (the `params` of one push
//! preset, a `/ws_ksp` element), so that the next object of that kind is read by one masked comparison of
//! the constant text between two values per member and that member's value parser: no key lookup, no
//! per-key prediction and no duplicate check per member (a shape's keys are distinct by construction).
//!
//! The short member sequences the protocol documents (tick, quote, `/ws_ksp` elements) are walked by compiled code
//! of their own ([`plan`]); any other is interpreted a step at a time.
//!
//! A cache only, like the per-key predictions of [`super::key_order::KeyOrder`]: a shape is taken only as far
//! as every byte of its text matches, and where it stops the per-key fast path (or the general path) reads
//! on, so results never depend on it. A shape is learned from an object the per-key fast path read whole.

use super::block;
use super::fields::Fields;
use super::keys::{KeySet, Kind};
use super::msg::Source;
use super::number::continues_number;
use super::padded::Padded;
use plan::{Form, Objects, Plan};

mod plan;

/// Most members a shape holds (a quote10 push has about 50).
const MAX_STEPS: usize = 64;

/// Longest constant text between two values a shape keeps, in bytes (`","askStep10BstordRqty":"` is 25).
const MAX_TEXT: usize = 32;

/// Shapes kept: one for `/ws_ksp`|`/ws_kdq` elements and one per push preset.
pub(crate) const SHAPES: usize = 7;

/// Which shape an object is read with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ShapeSlot {
    /// A market-trades array element, from its first member.
    Market,
    /// A push `params` object whose first member named this preset, from its second member.
    Preset(Source),
}

impl ShapeSlot {
    /// The objects the shape of this slot reads.
    #[inline(always)]
    fn objects(self) -> Objects {
        match self {
            ShapeSlot::Market => Objects::Market,
            ShapeSlot::Preset(_) => Objects::Preset,
        }
    }

    /// Index of the slot in [`Shapes`].
    #[inline(always)]
    fn index(self) -> usize {
        match self {
            ShapeSlot::Market => 0,
            ShapeSlot::Preset(source) => 1 + (source as usize).min(SHAPES - 2),
        }
    }
}

/// A constant text of a shape, of up to [`MAX_TEXT`] bytes.
type Text = block::Text<{ MAX_TEXT / 16 }>;

/// The text `frame[from..to]` that follows a value, when it is at most [`MAX_TEXT`] bytes and starts with no byte
/// that continues a number: a shape walk reads numbers as delimited by it. (After a value the fast path read there
/// is only a `,` or a `}`, so this refuses nothing it learns from.)
fn after_value(frame: Padded<'_>, from: usize, to: usize) -> Option<Text> {
    Text::of(frame, from, to).filter(|_| !continues_number(frame.byte(from)))
}

/// One member of a shape: how its value is read, and the text from the end of its value to the start of the
/// next value (through the object's `}` for the last member).
#[derive(Clone, Copy)]
struct Step {
    after: Text,
    /// The key's bit.
    bit: u8,
    /// How its value is read.
    form: Form,
}

impl Step {
    const EMPTY: Step = Step {
        after: Text::EMPTY,
        bit: 0,
        form: Form::bare(Kind::Skip),
    };
}

/// Why a walk stopped at a step.
#[derive(Clone, Copy)]
enum Stop {
    /// The fast path cannot read the value (the shape is kept).
    Unread,
    /// The text after the value, which ends at this offset, differs (the shape is learned anew from there).
    Differs(usize),
}

/// Reads the value of `step` at `at`, as `form` says (the step's own form, or the same as a constant the
/// compiler folds), and the text after it: the offset of the next value.
#[inline(always)]
fn read_step(
    fields: &mut Fields,
    frame: Padded<'_>,
    at: usize,
    step: &Step,
    form: Form,
) -> Result<usize, Stop> {
    // Numbers are read as delimited by the step's text, which starts with no byte that continues one (see
    // `after_value`); where the text differs, a number that continues is unread.
    let end = if form.quoted {
        fields.value_fast::<true, true>(frame, at, step.bit, form.kind)
    } else {
        fields.value_fast::<false, true>(frame, at, step.bit, form.kind)
    };
    let end = end.ok_or(Stop::Unread)?;
    if step.after.matches(frame, end) {
        Ok(end + step.after.len())
    } else {
        Err(mismatch(frame, end, step))
    }
}

/// Why `step`, whose value ended at `end`, stopped where the text after it differs: a number written as
/// a string ends past its closing quote (which its text starts with), as when the per-key path reads it, and
/// without one it is unread. Out of line: inlined, the compiler kept every step's compared block on the stack to
/// read one byte of it.
#[cold]
#[inline(never)]
fn mismatch(frame: Padded<'_>, end: usize, step: &Step) -> Stop {
    let end = if step.form.quote_in_text() {
        if frame.byte(end) != b'"' {
            return Stop::Unread;
        }
        end + 1
    } else {
        end
    };
    if continues_number(frame.byte(end)) {
        Stop::Unread
    } else {
        Stop::Differs(end)
    }
}

/// The member sequence of one kind of object, from its anchor (where the shape starts: the first member of a
/// market element, the end of the preset value of a push) to the object's closing brace.
#[derive(Clone, Copy)]
struct Shape {
    /// The text from the anchor to the first value.
    head: Text,
    steps: [Step; MAX_STEPS],
    /// Steps learned (0: none, the shape is not used).
    len: u8,
    /// The keys of every step.
    set: KeySet,
    /// The compiled walk of its forms, if any.
    plan: Plan,
}

impl Shape {
    const EMPTY: Shape = Shape {
        head: Text::EMPTY,
        steps: [Step::EMPTY; MAX_STEPS],
        len: 0,
        set: KeySet::EMPTY,
        plan: Plan::NONE,
    };

    /// The keys of the first `done` steps and the bit of the last of them.
    fn prefix(&self, done: usize) -> (KeySet, Option<u8>) {
        let mut set = KeySet::EMPTY;
        for step in &self.steps[..done] {
            set.add(KeySet::of(u32::from(step.bit)));
        }
        (set, done.checked_sub(1).map(|last| self.steps[last].bit))
    }
}

/// How far a shape took an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// The whole object was read: the offset after its `}`, and the keys read.
    Closed { end: usize, keys: KeySet },
    /// The shape stopped after `done` members: at the anchor when `done` is 0, else at the end of the last
    /// value read (where a delimiter is due). `keys` are the keys read, `last` the bit of the last one.
    Stopped {
        at: usize,
        done: usize,
        keys: KeySet,
        last: Option<u8>,
    },
}

/// A shape being learned: the slot it goes to, steps recorded so far and the end of the last value.
#[derive(Clone, Copy)]
struct Learning {
    slot: ShapeSlot,
    steps: usize,
    last_end: usize,
}

/// The learned shapes and the one being learned.
#[derive(Clone)]
pub(crate) struct Shapes {
    shapes: [Shape; SHAPES],
    learning: Option<Learning>,
}

impl Shapes {
    /// Nothing learned.
    #[allow(
        clippy::large_stack_arrays,
        reason = "the initial value of the parser's thread-local scratch, never a local"
    )]
    pub const EMPTY: Shapes = Shapes {
        shapes: [Shape::EMPTY; SHAPES],
        learning: None,
    };

    /// Reads the object at `anchor` with the shape of `slot` as far as it matches (see [`Walk`]). When its text
    /// differs, learning starts there: the steps it read are kept, and the members the fast path reads next are
    /// recorded ([`Shapes::record`]) until the object closes ([`Shapes::finish`]). A value the fast path cannot
    /// read stops the walk but keeps the shape.
    #[inline(always)]
    pub fn walk(
        &mut self,
        slot: ShapeSlot,
        fields: &mut Fields,
        frame: Padded<'_>,
        anchor: usize,
        seen: KeySet,
    ) -> Walk {
        let index = slot.index();
        let shape = &self.shapes[index];
        // Where the walk stopped, after how many steps, and whether the shape's text differs there (it is then
        // learned anew); a value the fast path leaves to the general one (a `*NNN` code, a long number), or keys
        // already read that the shape has too, stop it with the shape kept.
        let (at, done, differs) = 'stop: {
            if shape.len == 0 || seen.meets(shape.set) || !shape.head.matches(frame, anchor) {
                break 'stop (anchor, 0, !seen.meets(shape.set));
            }
            let at = anchor + shape.head.len();
            let len = usize::from(shape.len);
            match shape
                .plan
                .walk(slot.objects(), &shape.steps, len, fields, frame, at)
            {
                Ok(end) => {
                    return Walk::Closed {
                        end,
                        keys: shape.set,
                    }
                }
                Err((i, _, Stop::Differs(end))) => break 'stop (end, i + 1, true),
                Err((i, value, Stop::Unread)) => {
                    break 'stop (at_value_end(shape, i, anchor, value), i, false)
                }
            }
        };
        self.stopped(slot, at, done, differs)
    }

    /// The walk of the shape of `slot` that stopped at `at` after its first `done` steps; where its text
    /// `differs`, learning starts there (the steps that matched are kept).
    #[cold]
    fn stopped(&mut self, slot: ShapeSlot, at: usize, done: usize, differs: bool) -> Walk {
        let shape = &mut self.shapes[slot.index()];
        let (keys, last) = shape.prefix(done);
        if differs {
            shape.len = 0;
            self.learning = Some(Learning {
                slot,
                steps: done,
                last_end: at,
            });
        }
        Walk::Stopped {
            at,
            done,
            keys,
            last,
        }
    }

    /// True while a shape is being learned.
    #[inline(always)]
    pub fn learning(&self) -> bool {
        self.learning.is_some()
    }

    /// Records the member the fast path just read (its value from `value` to `end`) into the shape being
    /// learned; gives up when the shape would be too long or a text too wide.
    #[cold]
    pub fn record(
        &mut self,
        frame: Padded<'_>,
        value: usize,
        end: usize,
        bit: u8,
        kind: Kind,
        quoted: bool,
    ) {
        let Some(mut l) = self.learning else { return };
        let shape = &mut self.shapes[l.slot.index()];
        let text = match l.steps {
            0 => Text::of(frame, l.last_end, value),
            _ => after_value(frame, l.last_end, value),
        };
        let Some(text) = text.filter(|_| l.steps < MAX_STEPS) else {
            self.learning = None;
            return;
        };
        match l.steps.checked_sub(1) {
            Some(previous) => shape.steps[previous].after = text,
            None => shape.head = text,
        }
        shape.steps[l.steps] = Step {
            after: Text::EMPTY,
            bit,
            form: Form { kind, quoted },
        };
        l.steps += 1;
        l.last_end = end - usize::from(Form { kind, quoted }.quote_in_text());
        self.learning = Some(l);
    }

    /// Ends learning at the object's closing brace (`close` is the offset after it): the shape is kept when
    /// every member since the anchor was recorded.
    #[cold]
    pub fn finish(&mut self, frame: Padded<'_>, close: usize) {
        let Some(l) = self.learning.take() else {
            return;
        };
        let shape = &mut self.shapes[l.slot.index()];
        let Some(text) = after_value(frame, l.last_end, close) else {
            return;
        };
        let Some(last) = l.steps.checked_sub(1) else {
            return;
        };
        shape.steps[last].after = text;
        let (set, _) = shape.prefix(l.steps);
        shape.set = set;
        shape.len = l.steps as u8;
        shape.plan = Plan::of(l.slot.objects(), &shape.steps[..l.steps]);
    }

    /// Gives up learning (the object left the fast path).
    #[inline(always)]
    pub fn abandon(&mut self) {
        self.learning = None;
    }
}

/// Walks `steps` from the value at `at` a step at a time: the offset after the last step's text, or the index of
/// the step that stopped, the offset of its value and why.
#[inline(always)]
fn walk_steps(
    steps: &[Step],
    fields: &mut Fields,
    frame: Padded<'_>,
    mut at: usize,
) -> Result<usize, (usize, usize, Stop)> {
    for (i, step) in steps.iter().enumerate() {
        at = read_step(fields, frame, at, step, step.form).map_err(|stop| (i, at, stop))?;
    }
    Ok(at)
}

/// Where a walk whose value `i` (starting at `value`) failed stops: at the end of value `i - 1` (past its closing
/// quote, where the text before value `i` may start with it), or at the anchor for the first value.
#[inline(always)]
fn at_value_end(shape: &Shape, i: usize, anchor: usize, value: usize) -> usize {
    match i.checked_sub(1) {
        Some(previous) => {
            let step = &shape.steps[previous];
            value - step.after.len() + usize::from(step.form.quote_in_text())
        }
        None => anchor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::keys::Key;
    use crate::wire::padded::PadBuffer;

    fn padded(text: &[u8]) -> Padded<'static> {
        let text = Box::leak(text.to_vec().into_boxed_slice());
        Box::leak(Box::new(PadBuffer::EMPTY)).load(text)
    }

    #[test]
    fn text_matches_exactly_its_bytes() {
        let frame = padded(br#"{"isuSrtCd":"000210","askStep10BstordRqty":"5"}"#);
        let short = Text::of(frame, 1, 13).unwrap();
        assert!(short.matches(frame, 1));
        assert!(!short.matches(frame, 2));
        let long = Text::of(frame, 19, 44).unwrap();
        assert_eq!(long.len(), 25);
        assert!(long.matches(frame, 19));
        let other = padded(br#"{"isuSrtCd":"000210","askStep10BstordRqtx":"5"}"#);
        assert!(!long.matches(other, 19), "a difference past 16 bytes");
        let cut = padded(br#"{"isuSrtCd":"000210","askStep10Bs"#);
        assert!(!long.matches(cut, 19), "the zero pad matches no text");
        assert!(Text::of(frame, 0, 33).is_none());
    }

    #[test]
    fn a_shape_is_learned_then_walked_and_stops_where_it_differs() {
        let mut shapes = Box::new(Shapes::EMPTY);
        let mut fields = Fields::default();
        let frame = padded(br#"{"isuSrtCd":"000210","trdPrc":"81000"}"#);
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, frame, 1, KeySet::EMPTY);
        assert_eq!(
            walk,
            Walk::Stopped {
                at: 1,
                done: 0,
                keys: KeySet::EMPTY,
                last: None
            }
        );
        assert!(shapes.learning());
        let (code, price) = (
            Key::Code.bit().unwrap() as u8,
            Key::TradePrice.bit().unwrap() as u8,
        );
        shapes.record(frame, 13, 20, code, Kind::Code, true);
        shapes.record(frame, 31, 37, price, Kind::Decimal, true);
        shapes.finish(frame, 38);
        assert!(!shapes.learning());

        let next = padded(br#"{"isuSrtCd":"005930","trdPrc":"70500.5"}"#);
        let mut both = KeySet::of(u32::from(code));
        both.add(KeySet::of(u32::from(price)));
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, next, 1, KeySet::EMPTY);
        assert_eq!(
            walk,
            Walk::Closed {
                end: next.frame().len(),
                keys: both
            }
        );
        assert_eq!(fields.code.as_bytes(), b"005930");
        assert_eq!(
            fields.decimal(Key::TradePrice).to_bits(),
            70_500.5f64.to_bits()
        );

        let suffixed = padded(br#"{"isuSrtCd":"005930*001","trdPrc":"70500"}"#);
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, suffixed, 1, KeySet::EMPTY);
        assert!(matches!(walk, Walk::Stopped { at: 1, done: 0, .. }));
        assert!(
            !shapes.learning(),
            "a value left to the general path keeps the shape"
        );
        assert!(matches!(
            shapes.walk(ShapeSlot::Market, &mut fields, next, 1, KeySet::EMPTY),
            Walk::Closed { .. }
        ));

        let differs = padded(br#"{"isuSrtCd":"005930","trdVol":"1"}"#);
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, differs, 1, KeySet::EMPTY);
        assert_eq!(
            walk,
            Walk::Stopped {
                at: 20,
                done: 1,
                keys: KeySet::of(u32::from(code)),
                last: Some(code)
            }
        );
        assert!(
            shapes.learning(),
            "learning resumes after the steps that matched"
        );
        shapes.abandon();
        assert!(
            matches!(
                shapes.walk(ShapeSlot::Market, &mut fields, next, 1, KeySet::EMPTY),
                Walk::Stopped { done: 0, .. }
            ),
            "a shape that stopped short is relearned"
        );
    }

    #[test]
    fn a_quoted_numbers_closing_quote_is_checked_by_the_text_after_it() {
        let mut shapes = Box::new(Shapes::EMPTY);
        let mut fields = Fields::default();
        let (code, price) = (
            Key::Code.bit().unwrap() as u8,
            Key::TradePrice.bit().unwrap() as u8,
        );
        let learned = padded(br#"{"isuSrtCd":"000210","trdPrc":"81000"}"#);
        shapes.walk(ShapeSlot::Market, &mut fields, learned, 1, KeySet::EMPTY);
        shapes.record(learned, 13, 20, code, Kind::Code, true);
        shapes.record(learned, 31, 37, price, Kind::Decimal, true);
        shapes.finish(learned, 38);
        let mut both = KeySet::of(u32::from(code));
        both.add(KeySet::of(u32::from(price)));

        let unclosed = padded(br#"{"isuSrtCd":"005930","trdPrc":"70500}"#);
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, unclosed, 1, KeySet::EMPTY);
        assert_eq!(
            walk,
            Walk::Stopped {
                at: 20,
                done: 1,
                keys: KeySet::of(u32::from(code)),
                last: Some(code)
            },
            "a number missing its closing quote is left unread, after the code"
        );
        assert!(!shapes.learning(), "the shape is kept");

        let more = padded(br#"{"isuSrtCd":"005930","trdPrc":"70500","trdVol":"1"}"#);
        let walk = shapes.walk(ShapeSlot::Market, &mut fields, more, 1, KeySet::EMPTY);
        assert_eq!(
            walk,
            Walk::Stopped {
                at: 37,
                done: 2,
                keys: both,
                last: Some(price)
            },
            "a text that differs past the closing quote stops the walk after the quote"
        );
        assert!(shapes.learning(), "learning resumes there");
    }
}
