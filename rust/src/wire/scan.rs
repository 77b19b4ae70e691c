//! Byte scanner over one borrowed frame: whitespace, strings, object keys and fully validated skips of any
//! JSON value, with a fixed nesting limit. It never allocates; what it finds is returned as spans of the frame.

use super::block::Text;
use super::number;
use super::padded::Padded;
use crate::error::Reject;

/// Deepest nesting of arrays and objects accepted (the outermost value is depth 1).
pub const MAX_DEPTH: usize = 16;

/// A JSON string as it appears in the frame: the bytes between the quotes, still escaped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawStr<'a> {
    /// The bytes between the quotes.
    pub bytes: &'a [u8],
    /// Offset of the first byte after the opening quote.
    pub start: usize,
    /// True when the string holds a backslash escape.
    pub escaped: bool,
}

/// A cursor over one frame. Every method either advances past well-formed input or returns the reason it
/// cannot; after an error the position is meaningless and the frame is rejected.
pub(crate) struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The same frame as the fast path reads it (with zeros after it). Every frame parsed has it; only tests
    /// build a scanner without it, to run the general path alone.
    padded: Option<Padded<'a>>,
}

/// A constant byte string of at most `16 * N` bytes that [`Scanner::eat_prefix`] consumes: a padded frame is
/// compared with its [`Text`], an unpadded one with the bytes.
pub(crate) struct Prefix<const N: usize> {
    text: &'static [u8],
    compared: Text<N>,
}

impl<const N: usize> Prefix<N> {
    /// The prefix `text`, under the rules of [`Text::new`].
    pub const fn new(text: &'static [u8]) -> Self {
        Self {
            text,
            compared: Text::new(text),
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of byte `i` set when byte `i` of `word` may equal `byte`; the lowest such byte is exact.
#[inline(always)]
pub(crate) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Bit 7 of byte `i` set when byte `i` may be a JSON control character (< 0x20); the lowest is exact.
#[inline(always)]
fn bytes_below_space(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x20) & !word & HIGHS
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `buf` with no fast path (tests of the general path alone).
    #[cfg(test)]
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            padded: None,
        }
    }

    /// A scanner at the start of a padded frame, which the fast path can read.
    pub fn new_padded(frame: Padded<'a>) -> Self {
        Self {
            buf: frame.frame(),
            pos: 0,
            padded: Some(frame),
        }
    }

    /// The frame with its zero pad, when it has one.
    #[inline(always)]
    pub fn padded(&self) -> Option<Padded<'a>> {
        self.padded
    }

    /// The whole frame.
    pub fn buf(&self) -> &'a [u8] {
        self.buf
    }

    /// The current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (an offset a number parser returned).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Skips JSON whitespace.
    #[inline(always)]
    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    #[inline(always)]
    pub fn peek(&mut self) -> Result<u8, Reject> {
        self.skip_ws();
        self.buf.get(self.pos).copied().ok_or(Reject::Malformed)
    }

    /// Skips whitespace and consumes `byte`, or fails with `Malformed`.
    #[inline(always)]
    pub fn expect(&mut self, byte: u8) -> Result<(), Reject> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(Reject::Malformed)
        }
    }

    /// Consumes `prefix` when the input continues with exactly it. A padded frame is compared sixteen bytes at a
    /// time (past the frame's end the pad reads as zeros, which no prefix contains).
    #[inline(always)]
    pub fn eat_prefix<const N: usize>(&mut self, prefix: &Prefix<N>) -> bool {
        let matched = match self.padded {
            Some(frame) => prefix.compared.matches(frame, self.pos),
            None => self.buf[self.pos..].starts_with(prefix.text),
        };
        if matched {
            self.pos += prefix.text.len();
        }
        matched
    }

    /// Checks that only whitespace remains.
    pub fn finish(&mut self) -> Result<(), Reject> {
        self.skip_ws();
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(Reject::Malformed)
        }
    }

    /// Reads a string whose opening quote was just consumed, up to and past its closing quote.
    #[inline(always)]
    pub fn string_body(&mut self) -> Result<RawStr<'a>, Reject> {
        let start = self.pos;
        let mut escaped = false;
        let mut pos = start;
        loop {
            while let Some(chunk) = self.buf.get(pos..pos + 8) {
                let word = u64::from_le_bytes([
                    chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
                ]);
                let hits =
                    bytes_equal(word, b'"') | bytes_equal(word, b'\\') | bytes_below_space(word);
                if hits != 0 {
                    pos += (hits.trailing_zeros() / 8) as usize;
                    break;
                }
                pos += 8;
            }
            let &b = self.buf.get(pos).ok_or(Reject::Malformed)?;
            match b {
                b'"' => {
                    self.pos = pos + 1;
                    return Ok(RawStr {
                        bytes: &self.buf[start..pos],
                        start,
                        escaped,
                    });
                }
                b'\\' => {
                    escaped = true;
                    pos = self.escape_end(pos + 1)?;
                }
                0..=0x1f => return Err(Reject::Malformed),
                _ => pos += 1,
            }
        }
    }

    /// Validates the escape whose backslash precedes `pos`; returns the offset after it.
    fn escape_end(&self, pos: usize) -> Result<usize, Reject> {
        match self.buf.get(pos) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(pos + 1),
            Some(b'u') => {
                let hex = self.buf.get(pos + 1..pos + 5).ok_or(Reject::Malformed)?;
                if hex.iter().all(u8::is_ascii_hexdigit) {
                    Ok(pos + 5)
                } else {
                    Err(Reject::Malformed)
                }
            }
            _ => Err(Reject::Malformed),
        }
    }

    /// Reads a string value (skipping whitespace first); any other JSON type is `WrongType`.
    #[inline(always)]
    pub fn string(&mut self) -> Result<RawStr<'a>, Reject> {
        if self.peek()? != b'"' {
            return Err(Reject::WrongType);
        }
        self.pos += 1;
        self.string_body()
    }

    /// Consumes `{`, or fails with `WrongType` when the value is another JSON type.
    pub fn begin_object(&mut self) -> Result<(), Reject> {
        if self.peek()? != b'{' {
            return Err(Reject::WrongType);
        }
        self.pos += 1;
        Ok(())
    }

    /// Steps to the next key of an object whose `{` was consumed: `Some(key)` positioned at its value (past
    /// the colon), or `None` after consuming the closing `}`. `first` tracks whether a comma is due.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<RawStr<'a>>, Reject> {
        if self.key_start(first)?.is_none() {
            return Ok(None);
        }
        let key = self.string_body()?;
        self.colon()?;
        Ok(Some(key))
    }

    /// Steps into the next key of an object whose `{` was consumed: `Some(offset)` of the key's first byte
    /// (its opening quote consumed), or `None` after consuming the closing `}`. `first` tracks whether a
    /// comma is due. The caller reads the key ([`Self::string_body`] or [`Self::key_end`]) and the colon.
    #[inline(always)]
    pub fn key_start(&mut self, first: &mut bool) -> Result<Option<usize>, Reject> {
        let mut b = self.peek()?;
        if *first {
            *first = false;
            if b == b'}' {
                self.pos += 1;
                return Ok(None);
            }
        } else {
            match b {
                b'}' => {
                    self.pos += 1;
                    return Ok(None);
                }
                b',' => {
                    self.pos += 1;
                    b = self.peek()?;
                }
                _ => return Err(Reject::Malformed),
            }
        }
        if b != b'"' {
            return Err(Reject::Malformed);
        }
        self.pos += 1;
        Ok(Some(self.pos))
    }

    /// Moves past a key whose closing quote is at `quote` (found by the caller) and past the colon.
    #[inline(always)]
    pub fn key_end(&mut self, quote: usize) -> Result<(), Reject> {
        self.pos = quote + 1;
        self.colon()
    }

    /// Consumes the colon after a key.
    #[inline(always)]
    fn colon(&mut self) -> Result<(), Reject> {
        if self.buf.get(self.pos) == Some(&b':') {
            self.pos += 1;
            Ok(())
        } else {
            self.expect(b':')
        }
    }

    /// Skips one complete JSON value, validating it, where `depth` containers already enclose it.
    pub fn skip_value(&mut self, depth: usize) -> Result<(), Reject> {
        // Bit i of `objects` is set when the container at relative level i+1 is an object.
        let mut objects: u32 = 0;
        let mut level = 0usize;
        loop {
            // Here a value is due.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    if depth + level + 1 > MAX_DEPTH {
                        return Err(Reject::TooDeep);
                    }
                    self.pos += 1;
                    let is_object = open == b'{';
                    objects = (objects << 1) | u32::from(is_object);
                    level += 1;
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.pos += 1;
                        objects >>= 1;
                        level -= 1;
                    } else {
                        if is_object {
                            self.member_name()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.pos += 1;
                    self.string_body()?;
                }
                b'-' | b'0'..=b'9' => self.pos = number::validate(self.buf, self.pos)?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return Err(Reject::Malformed),
            }
            // A value ended: close containers until another value is due.
            loop {
                if level == 0 {
                    return Ok(());
                }
                let is_object = objects & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        if is_object {
                            self.member_name()?;
                        }
                        break;
                    }
                    b'}' if is_object => {}
                    b']' if !is_object => {}
                    _ => return Err(Reject::Malformed),
                }
                self.pos += 1;
                objects >>= 1;
                level -= 1;
            }
        }
    }

    /// Reads `"name":` inside an object being skipped.
    fn member_name(&mut self) -> Result<(), Reject> {
        self.expect(b'"')?;
        self.string_body()?;
        self.expect(b':')
    }

    /// Consumes the literal `word` (true, false, null).
    fn literal(&mut self, word: &[u8]) -> Result<(), Reject> {
        if self.buf[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Reject::Malformed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(text: &str) -> Result<usize, Reject> {
        let mut s = Scanner::new(text.as_bytes());
        s.skip_value(0)?;
        s.finish()?;
        Ok(s.pos())
    }

    #[test]
    fn skips_every_json_type() {
        for ok in [
            "0",
            "-1.5e+3",
            "\"a\\\"b\\u00e9\"",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[1,[2,{\"a\":[]}],\"x\"]",
            " { \"a\" : 1 , \"b\" : { } } ",
            "\"\u{d55c}\u{ae00}\"",
        ] {
            assert!(skip(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "",
            "[1,]",
            "{\"a\":1,}",
            "{,}",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1:2}",
            "tru",
            "nul",
            "\"abc",
            "\"a\\x\"",
            "\"a\\u12g4\"",
            "\"tab\there\"",
            "[}",
            "{]",
            "1.",
            "-",
            "01x",
            "[1]]",
        ] {
            assert_eq!(skip(bad), Err(Reject::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(skip(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(skip(&deep), Err(Reject::TooDeep));
        let mut s = Scanner::new(b"{\"a\":[]}");
        assert_eq!(s.skip_value(MAX_DEPTH - 1), Err(Reject::TooDeep));
    }

    #[test]
    fn strings_are_spans_of_the_frame() {
        let frame = b"\"0123456789abcdef\\n\" ";
        let mut s = Scanner::new(frame);
        let raw = s.string().unwrap();
        assert_eq!(raw.bytes, b"0123456789abcdef\\n");
        assert_eq!(raw.start, 1);
        assert!(raw.escaped);
        assert_eq!(s.pos(), 20);
        let mut s = Scanner::new(b"{\"key\" :1}");
        s.begin_object().unwrap();
        let mut first = true;
        assert_eq!(s.next_key(&mut first).unwrap().unwrap().bytes, b"key");
        assert_eq!(s.buf()[s.pos()], b'1');
    }

    #[test]
    fn control_bytes_inside_long_strings_are_found() {
        for at in 0..20 {
            let mut text = vec![b'a'; 20];
            text[at] = 0x01;
            let mut frame = vec![b'"'];
            frame.extend_from_slice(&text);
            frame.push(b'"');
            let mut s = Scanner::new(&frame);
            assert_eq!(s.string().unwrap_err(), Reject::Malformed, "at {at}");
        }
    }
}
