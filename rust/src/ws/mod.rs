//! RFC 6455 WebSocket framing for the client side, sans-IO: server frames are deframed straight out of a fixed
//! receive buffer the caller's socket reads into ([`Deframer`]); the rare client frames are encoded by
//! [`encode_frame`]. Nothing here touches a socket, and nothing allocates per frame or per read.

mod deframe;
mod encode;

pub use deframe::{
    Close, Deframer, DeframerStats, Drained, MAX_PENDING_PINGS, MIN_READ, RECV_CAPACITY,
};
pub use encode::{encode_frame, encoded_len};

use thiserror::Error;

/// A WebSocket opcode (RFC 6455 section 5.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Opcode {
    /// The next fragment of a fragmented message.
    Continuation = 0,
    /// A UTF-8 text message (or its first fragment).
    Text = 1,
    /// A binary message (or its first fragment).
    Binary = 2,
    /// A close request or answer: an optional status code and reason.
    Close = 8,
    /// A ping, answered with a pong carrying the same payload.
    Ping = 9,
    /// A pong.
    Pong = 10,
}

impl Opcode {
    /// The opcode of the 4-bit value `bits`, if RFC 6455 defines it.
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0 => Some(Self::Continuation),
            1 => Some(Self::Text),
            2 => Some(Self::Binary),
            8 => Some(Self::Close),
            9 => Some(Self::Ping),
            10 => Some(Self::Pong),
            _ => None,
        }
    }

    /// True for close, ping and pong.
    pub fn is_control(self) -> bool {
        self as u8 >= 8
    }
}

/// Largest payload of a control frame.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The 7-bit length value announcing a 16-bit length after it.
pub const LEN_16_BITS: u8 = 126;
/// The 7-bit length value announcing a 64-bit length after it.
pub const LEN_64_BITS: u8 = 127;

/// Close status: normal closure.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close status: the peer broke the protocol.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Close status: a close frame without a status code (never sent on the wire).
pub const CLOSE_NO_STATUS: u16 = 1005;
/// Close status: a message too large to process.
pub const CLOSE_TOO_LARGE: u16 = 1009;

/// A WebSocket protocol violation. Once the deframer reports one it ignores all further data.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Error)]
pub enum WsError {
    /// The server masked a frame (RFC 6455 forbids it).
    #[error("the server sent a masked frame")]
    Masked,
    /// A reserved bit (RSV1-3) was set, but no extension was negotiated.
    #[error("reserved bits {0:#05b} set but no extension was negotiated")]
    ReservedBits(u8),
    /// An opcode RFC 6455 does not define.
    #[error("unknown opcode {0}")]
    UnknownOpcode(u8),
    /// A control frame without FIN.
    #[error("a fragmented control frame")]
    FragmentedControl,
    /// A control frame with more than 125 bytes of payload.
    #[error("a control frame of {0} bytes (at most 125)")]
    ControlTooLong(u64),
    /// A 64-bit payload length with its most significant bit set.
    #[error("a 64-bit payload length with the most significant bit set")]
    LengthHighBit,
    /// A frame, or a reassembled message, longer than [`crate::wire::MAX_FRAME_LEN`].
    #[error("a message of {0} bytes is too large (at most {max})", max = crate::wire::MAX_FRAME_LEN)]
    TooLarge(u64),
    /// A continuation frame while no fragmented message was open.
    #[error("a continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message was still open.
    #[error("a new message started before the fragmented one finished")]
    InterruptedMessage,
    /// A close frame with a 1-byte payload (a status code is 2 bytes).
    #[error("a close frame with a 1-byte payload")]
    BadClosePayload,
}

impl WsError {
    /// The close status to answer this error with: 1009 for a too-large message, 1002 for the rest.
    pub fn close_code(self) -> u16 {
        match self {
            Self::TooLarge(_) => CLOSE_TOO_LARGE,
            _ => CLOSE_PROTOCOL_ERROR,
        }
    }
}
