//! A bounded queue of events for the session: JSON-RPC replies, market-operation signals and detected gaps.
//!
//! The queue holds at most a fixed number of events and a fixed number of reply-text bytes; past either limit
//! a new event is dropped and counted. Signals and gaps carry no heap data; only reply texts (control frames,
//! never market data) are copied out of the frame.

use std::collections::VecDeque;

use crate::wire::Code;

/// Most events queued before new ones are dropped.
pub const EVENT_CAPACITY: usize = 4096;
/// Most reply-text bytes queued before new replies are dropped.
pub const TEXT_BUDGET: usize = 16 << 20;

/// One event for the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `{"id":n,"result":...}`: the raw JSON text of `result`.
    Result {
        /// Request id, or `ABSENT`.
        id: i64,
        /// The `result` value's JSON text.
        text: Box<[u8]>,
    },
    /// `{"error":{"code":c,"message":m}}`.
    Error {
        /// Request id, or `ABSENT`.
        id: i64,
        /// Vendor error code, or `ABSENT`.
        code: i64,
        /// The message, still JSON-escaped.
        message: Box<[u8]>,
    },
    /// A heartbeat request from the server, to be answered with the same id.
    Heartbeat {
        /// Request id, or `ABSENT`.
        id: i64,
    },
    /// A market-operation signal (`trdTm` >= 24000000).
    Signal {
        /// Code the signal came on.
        code: Code,
        /// The raw signal value.
        value: u32,
        /// The feed's exchange time when it arrived, ns since the epoch.
        time: i64,
    },
    /// A break in a symbol's cumulative volume: `expected` = previous cumulative + this trade's quantity.
    Gap {
        /// The symbol.
        code: Code,
        /// Cumulative volume the trade should have reached.
        expected: i64,
        /// Cumulative volume it carried.
        got: i64,
        /// Exchange time of the symbol's last applied trade before the gap (the trade that revealed it when none
        /// was seen before), ns since the epoch: trades from here on may be missing.
        time: i64,
    },
}

impl Event {
    fn text_len(&self) -> usize {
        match self {
            Event::Result { text, .. } => text.len(),
            Event::Error { message, .. } => message.len(),
            _ => 0,
        }
    }
}

/// The bounded event queue.
#[derive(Debug)]
pub struct Events {
    queue: VecDeque<Event>,
    text_bytes: usize,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            queue: VecDeque::with_capacity(EVENT_CAPACITY),
            text_bytes: 0,
        }
    }
}

impl Events {
    /// Queues an event; returns false (and queues nothing) when the queue is full.
    pub fn push(&mut self, event: Event) -> bool {
        let text = event.text_len();
        if self.queue.len() == EVENT_CAPACITY || self.text_bytes + text > TEXT_BUDGET {
            return false;
        }
        self.text_bytes += text;
        self.queue.push_back(event);
        true
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes every queued event, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.text_bytes = 0;
        self.queue.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_bounded_by_count() {
        let mut ev = Events::default();
        for i in 0..EVENT_CAPACITY {
            assert!(ev.push(Event::Heartbeat { id: i as i64 }));
        }
        assert!(!ev.push(Event::Heartbeat { id: -1 }));
        assert_eq!(ev.drain().count(), EVENT_CAPACITY);
        assert!(ev.is_empty());
        assert!(ev.push(Event::Heartbeat { id: 0 }));
    }

    #[test]
    fn queue_is_bounded_by_text_bytes() {
        let mut ev = Events::default();
        let big = vec![b'x'; TEXT_BUDGET / 2 + 1].into_boxed_slice();
        assert!(ev.push(Event::Result {
            id: 1,
            text: big.clone()
        }));
        assert!(!ev.push(Event::Result { id: 2, text: big }));
        assert_eq!(ev.len(), 1);
    }
}
