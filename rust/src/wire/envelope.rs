//! The JSON-RPC envelope of a `/ws` frame: `{"jsonrpc", "method", "params", "id", "result", "error"}` in any
//! order, dispatched to a push preset, a reply, or a server heartbeat request.

use super::fields::Fields;
use super::key_order::KeyOrder;
use super::keys::Key;
use super::msg::{Parsed, ReplyKind, Source, ABSENT};
use super::push;
use super::reply::{self, ErrorReply, Span};
use super::scan::{Prefix, Scanner};
use crate::error::Reject;

/// The start of nearly every push, through the colon before its `params`, consumed in one comparison.
const PUSH_PREFIX: Prefix<3> = Prefix::new(br#"{"jsonrpc":"2.0","method":"push","params":"#);

/// The `method` member.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Method {
    /// No `method` member: a response.
    Absent,
    /// `push`: market data.
    Push,
    /// `heartbeat`: a request the client must answer.
    Heartbeat,
    /// Any other method: not something a server sends.
    Other,
}

/// Members of the envelope, for duplicate detection.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Member {
    JsonRpc = 1,
    Method = 2,
    Params = 4,
    Id = 8,
    Result = 16,
    Error = 32,
}

/// What the envelope said, gathered before deciding what the frame is.
struct Envelope {
    seen: u8,
    method: Method,
    params_is_object: bool,
    id: i64,
    result: Option<Span>,
    error: Option<ErrorReply>,
}

impl Envelope {
    /// Records `member`; a second sighting is a duplicate key.
    #[inline(always)]
    fn see(&mut self, member: Member) -> Result<(), Reject> {
        let bit = member as u8;
        if self.seen & bit != 0 {
            return Err(Reject::DuplicateKey);
        }
        self.seen |= bit;
        Ok(())
    }
}

/// Scans a `/ws` frame object whose `{` is next and fills `out`. Inlined into the frame scan: called, with the
/// shape walk inlined in it, it cost a tick frame 25 more instructions (the call, and registers saved and spilled).
#[inline(always)]
pub(crate) fn scan(
    s: &mut Scanner<'_>,
    out: &mut Parsed,
    fields: &mut Fields,
    order: &mut KeyOrder,
) -> Result<(), Reject> {
    let mut env = Envelope {
        seen: 0,
        method: Method::Absent,
        params_is_object: false,
        id: ABSENT,
        result: None,
        error: None,
    };
    let mut first = true;
    if s.eat_prefix(&PUSH_PREFIX) {
        env.seen = Member::JsonRpc as u8 | Member::Method as u8 | Member::Params as u8;
        env.method = Method::Push;
        // The usual push is compact through its end: its params are read by the fast path alone, and the
        // envelope closes right after them. Anything else is read again by the general loop below.
        if let Some(frame) = s.padded() {
            if let Some(end) = fields.scan_compact_object(frame, s.pos(), order, None) {
                if frame.byte(end) == b'}' {
                    s.set_pos(end + 1);
                    env.params_is_object = true;
                    return dispatch(&env, fields, out);
                }
            }
        }
        fields.reset();
        params(s, &mut env, fields, order)?;
        first = false;
    } else {
        fields.reset();
        s.expect(b'{')?;
    }
    while let Some(key) = s.next_key(&mut first)? {
        match key.bytes {
            b"jsonrpc" => {
                env.see(Member::JsonRpc)?;
                s.skip_value(1)?;
            }
            b"method" => {
                env.see(Member::Method)?;
                env.method = match s.string()?.bytes {
                    b"push" => Method::Push,
                    b"heartbeat" => Method::Heartbeat,
                    _ => Method::Other,
                };
            }
            b"params" => {
                env.see(Member::Params)?;
                params(s, &mut env, fields, order)?;
            }
            b"id" => {
                env.see(Member::Id)?;
                env.id = reply::integer_or_absent(s, 1)?;
            }
            b"result" => {
                env.see(Member::Result)?;
                env.result = Some(reply::result(s, 1)?);
            }
            b"error" => {
                env.see(Member::Error)?;
                env.error = reply::error(s, 1)?;
            }
            _ => s.skip_value(1)?,
        }
    }
    dispatch(&env, fields, out)
}

/// Reads `params`: an object is scanned as push fields; any other value is skipped (and is wrong for a push).
#[inline(always)]
fn params(
    s: &mut Scanner<'_>,
    env: &mut Envelope,
    fields: &mut Fields,
    order: &mut KeyOrder,
) -> Result<(), Reject> {
    if s.peek()? == b'{' {
        env.params_is_object = true;
        fields.scan_object(s, 1, order)
    } else {
        s.skip_value(1)
    }
}

/// Decides what the frame is once all its members are read.
#[inline(always)]
fn dispatch(env: &Envelope, fields: &Fields, out: &mut Parsed) -> Result<(), Reject> {
    let answered = env.result.is_some() || env.error.is_some();
    match env.method {
        Method::Push => {
            if answered {
                return Err(Reject::NotProtocol);
            }
            if env.seen & Member::Params as u8 == 0 {
                return Err(Reject::MissingField);
            }
            if !env.params_is_object {
                return Err(Reject::WrongType);
            }
            let source = if fields.seen.has(Key::Preset) {
                fields.preset
            } else {
                Source::Change
            };
            if source == Source::Tick {
                push::emit_trade(source, fields, out, push::TICK_KEYS)
            } else {
                push::emit(source, fields, out)
            }
        }
        Method::Heartbeat if !answered => {
            let none = Span::default();
            out.replies.push(reply::reply(
                ReplyKind::HeartbeatRequest,
                env.id,
                ABSENT,
                none,
            ));
            Ok(())
        }
        Method::Heartbeat | Method::Other => Err(Reject::NotProtocol),
        Method::Absent => {
            let r = match (env.result, env.error) {
                (Some(text), None) => reply::reply(ReplyKind::Result, env.id, ABSENT, text),
                (None, Some(e)) => reply::reply(ReplyKind::Error, env.id, e.code, e.message),
                _ => return Err(Reject::NotProtocol),
            };
            out.replies.push(r);
            Ok(())
        }
    }
}
