//! JSON-RPC replies and server requests: the `id`, `result` and `error` members of a frame that is not a push,
//! read as spans of the frame so the session never parses JSON in Python.

use super::msg::{Reply, ReplyKind, ABSENT};
use super::number;
use super::scan::Scanner;
use crate::error::Reject;

/// A byte span of the frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset after the last byte.
    pub end: usize,
}

/// What an `error` member said.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorReply {
    /// `code`, or [`ABSENT`] when missing or not an integer.
    pub code: i64,
    /// The `message` string's contents (escaped), or the whole string when `error` itself is a string.
    pub message: Span,
}

/// An integer in `text` and nothing else, or [`ABSENT`].
fn whole_integer(text: &[u8], quoted: bool) -> i64 {
    match number::integer(text, 0, quoted) {
        Ok((value, end)) if end == text.len() => value,
        _ => ABSENT,
    }
}

/// Reads an integer-like value (`id`, error `code`) enclosed by `depth` containers: a number or a numeric
/// string gives its value; anything else valid gives [`ABSENT`].
pub(crate) fn integer_or_absent(s: &mut Scanner<'_>, depth: usize) -> Result<i64, Reject> {
    match s.peek()? {
        b'-' | b'0'..=b'9' => {
            let start = s.pos();
            let end = number::validate(s.buf(), start)?;
            s.set_pos(end);
            Ok(whole_integer(&s.buf()[start..end], false))
        }
        b'"' => {
            let raw = s.string()?;
            Ok(if raw.escaped {
                ABSENT
            } else {
                whole_integer(raw.bytes, true)
            })
        }
        _ => {
            s.skip_value(depth)?;
            Ok(ABSENT)
        }
    }
}

/// Reads a `result` value enclosed by `depth` containers and returns its span.
pub(crate) fn result(s: &mut Scanner<'_>, depth: usize) -> Result<Span, Reject> {
    s.skip_ws();
    let start = s.pos();
    s.skip_value(depth)?;
    Ok(Span {
        start,
        end: s.pos(),
    })
}

/// Reads an `error` value enclosed by `depth` containers: `{"code":c,"message":"..."}` (either member may be
/// missing; other members are skipped), a bare string, or `null` (no error, returned as `None`).
pub(crate) fn error(s: &mut Scanner<'_>, depth: usize) -> Result<Option<ErrorReply>, Reject> {
    match s.peek()? {
        b'"' => {
            let raw = s.string()?;
            Ok(Some(ErrorReply {
                code: ABSENT,
                message: Span {
                    start: raw.start,
                    end: raw.start + raw.bytes.len(),
                },
            }))
        }
        b'n' => {
            s.skip_value(depth)?;
            Ok(None)
        }
        b'{' => {
            s.begin_object()?;
            let inner = depth + 1;
            let mut reply = ErrorReply {
                code: ABSENT,
                message: Span::default(),
            };
            let (mut seen_code, mut seen_message) = (false, false);
            let mut first = true;
            while let Some(key) = s.next_key(&mut first)? {
                match key.bytes {
                    b"code" => {
                        if std::mem::replace(&mut seen_code, true) {
                            return Err(Reject::DuplicateKey);
                        }
                        reply.code = integer_or_absent(s, inner)?;
                    }
                    b"message" => {
                        if std::mem::replace(&mut seen_message, true) {
                            return Err(Reject::DuplicateKey);
                        }
                        let raw = s.string()?;
                        reply.message = Span {
                            start: raw.start,
                            end: raw.start + raw.bytes.len(),
                        };
                    }
                    _ => s.skip_value(inner)?,
                }
            }
            Ok(Some(reply))
        }
        b'[' | b't' | b'f' | b'-' | b'0'..=b'9' => Err(Reject::WrongType),
        _ => Err(Reject::Malformed),
    }
}

/// The reply record for `kind`, with `text` a span of the frame.
pub(crate) fn reply(kind: ReplyKind, id: i64, error_code: i64, text: Span) -> Reply {
    Reply {
        kind,
        id,
        error_code,
        text_start: text.start as u32,
        text_len: (text.end - text.start) as u32,
    }
}

/// Decodes the contents of a JSON string (a reply's error message span) into text: escapes resolved,
/// surrogate pairs joined, invalid UTF-8 and lone surrogates replaced by U+FFFD. Allocates; for the cold
/// reply path only.
pub fn unescape(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            bytes.push(raw[i]);
            i += 1;
            continue;
        }
        let simple = match raw.get(i + 1) {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'b') => Some(0x08),
            Some(b'f') => Some(0x0c),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            _ => None,
        };
        if let Some(b) = simple {
            bytes.push(b);
            i += 2;
            continue;
        }
        let (ch, used) = unicode_escape(&raw[i..]);
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        i += used;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The four hex digits of `\uXXXX` at the start of `text`, if they are there.
fn hex4(text: &[u8]) -> Option<u32> {
    let digits = text.get(2..6)?;
    if text.get(1) != Some(&b'u') {
        return None;
    }
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Decodes a `\uXXXX` escape (or a surrogate pair of two) at the start of `text`: the character and the
/// number of bytes used. Anything malformed gives U+FFFD for the backslash alone.
fn unicode_escape(text: &[u8]) -> (char, usize) {
    let Some(high) = hex4(text) else {
        return (char::REPLACEMENT_CHARACTER, 1);
    };
    if (0xD800..0xDC00).contains(&high) {
        if let Some(low) = text.get(6..).and_then(hex4) {
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return (
                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                    12,
                );
            }
        }
    }
    (
        char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER),
        6,
    )
}

#[cfg(test)]
mod tests {
    use crate::error::Reject;
    use crate::wire::{parse_frame, Parsed, Reply, ReplyKind, ABSENT};

    fn one(frame: &[u8]) -> Reply {
        let mut out = Parsed::new();
        parse_frame(frame, &mut out).unwrap();
        assert_eq!(out.replies.len(), 1);
        assert!(out.trades.is_empty() && out.books.is_empty() && out.signals.is_empty());
        out.replies[0]
    }

    fn text(frame: &[u8], r: Reply) -> &[u8] {
        &frame[r.text_start as usize..(r.text_start + r.text_len) as usize]
    }

    #[test]
    fn result_with_id() {
        let frame = br#"{"jsonrpc":"2.0","id":1,"result":{"message":"ok"}}"#;
        let r = one(frame);
        assert_eq!((r.kind, r.id, r.error_code), (ReplyKind::Result, 1, ABSENT));
        assert_eq!(text(frame, r), br#"{"message":"ok"}"#);
        let frame = br#"{ "result" : [1, 2] , "id" : "7" }"#;
        let r = one(frame);
        assert_eq!((r.kind, r.id), (ReplyKind::Result, 7));
        assert_eq!(text(frame, r), b"[1, 2]");
    }

    #[test]
    fn vendor_error_without_id() {
        let frame = "{\"jsonrpc\":\"2.0\",\"error\":{\"message\":\"정상적인 JSON-RPC 형식이 아닙니다\",\"code\":47}}";
        let r = one(frame.as_bytes());
        assert_eq!((r.kind, r.id, r.error_code), (ReplyKind::Error, ABSENT, 47));
        assert_eq!(
            text(frame.as_bytes(), r),
            "정상적인 JSON-RPC 형식이 아닙니다".as_bytes()
        );
    }

    #[test]
    fn error_shapes() {
        let frame =
            br#"{"jsonrpc":"2.0","id":3,"error":{"code":"10040","message":"a\"b","data":[1]}}"#;
        let r = one(frame);
        assert_eq!((r.kind, r.id, r.error_code), (ReplyKind::Error, 3, 10040));
        assert_eq!(text(frame, r), br#"a\"b"#);
        let frame = br#"{"id":4,"error":"closing price not yet"}"#;
        let r = one(frame);
        assert_eq!((r.kind, r.id, r.error_code), (ReplyKind::Error, 4, ABSENT));
        assert_eq!(text(frame, r), b"closing price not yet");
        let frame = br#"{"id":4.5,"result":null,"error":null}"#;
        let r = one(frame);
        assert_eq!((r.kind, r.id), (ReplyKind::Result, ABSENT));
        assert_eq!(text(frame, r), b"null");
    }

    #[test]
    fn unescaping_messages() {
        use super::unescape;
        assert_eq!(unescape(br#"a\"b\\c\/d\n\t"#), "a\"b\\c/d\n\t");
        assert_eq!(unescape(br"\uc815\uc0c1"), "\u{c815}\u{c0c1}");
        assert_eq!(unescape(br"\ud83d\ude00!"), "\u{1f600}!");
        assert_eq!(unescape(br"\ud83d!"), "\u{fffd}!");
        assert_eq!(unescape(br"\u12"), "\u{fffd}u12");
        assert_eq!(unescape("정상".as_bytes()), "정상");
        assert_eq!(unescape(b"\xff"), "\u{fffd}");
    }

    #[test]
    fn heartbeat_request() {
        let r = one(br#"{"jsonrpc":"2.0","id":12,"method":"heartbeat"}"#);
        assert_eq!(
            (r.kind, r.id, r.text_len),
            (ReplyKind::HeartbeatRequest, 12, 0)
        );
    }

    #[test]
    fn not_replies() {
        let mut out = Parsed::new();
        let cases: [(&[u8], Reject); 10] = [
            (br#"{"jsonrpc":"2.0","id":1}"#, Reject::NotProtocol),
            (
                br#"{"id":1,"result":{},"error":{"code":1}}"#,
                Reject::NotProtocol,
            ),
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{}}"#,
                Reject::NotProtocol,
            ),
            (
                br#"{"message":"No API key found in request"}"#,
                Reject::NotProtocol,
            ),
            (br#""text""#, Reject::NotProtocol),
            (
                br#"{"id":1,"error":{"code":1,"code":2}}"#,
                Reject::DuplicateKey,
            ),
            (br#"{"id":1,"id":2,"result":{}}"#, Reject::DuplicateKey),
            (br#"{"id":1,"error":{"message":5}}"#, Reject::WrongType),
            (br#"{"id":1,"error":[]}"#, Reject::WrongType),
            (br#"{"id":1,"result":{}"#, Reject::Malformed),
        ];
        for (frame, want) in cases {
            assert_eq!(
                parse_frame(frame, &mut out),
                Err(want),
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }
}
