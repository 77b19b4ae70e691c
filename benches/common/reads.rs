//! A stream of frames as a socket delivers it, for the feed benchmarks: frames back to back, read into a receive
//! buffer up to [`READ_BYTES`] at a time, and timed while each read is hot in cache.

use std::time::{Duration, Instant};

/// Bytes a socket read delivers at most (the receive buffer's size).
pub const READ_BYTES: usize = 64 * 1024;

/// A stream of frames as a socket delivers it: frames back to back, read into a receive buffer up to
/// [`READ_BYTES`] at a time (whole frames, for simplicity), and ingested from there while the read is hot in
/// cache, as a live feed ingests what `recv` just copied in. Copying a read into the buffer is the kernel's work,
/// so it is not timed.
pub struct Stream {
    /// Every frame, back to back.
    pub bytes: Vec<u8>,
    /// Per read: the end offsets in `bytes` of its frames.
    reads: Vec<Vec<usize>>,
}

impl Stream {
    /// The stream of `frames`.
    pub fn new(frames: &[String]) -> Self {
        let mut bytes = Vec::new();
        let mut reads = vec![Vec::new()];
        let mut read_start = 0;
        for frame in frames {
            if bytes.len() + frame.len() - read_start > READ_BYTES {
                read_start = bytes.len();
                reads.push(Vec::new());
            }
            bytes.extend_from_slice(frame.as_bytes());
            reads.last_mut().unwrap().push(bytes.len());
        }
        Self { bytes, reads }
    }

    /// Every frame, outside any receive buffer (for setup).
    pub fn frames(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let ends = self.reads.iter().flatten().copied();
        std::iter::once(0)
            .chain(ends.clone())
            .zip(ends)
            .map(|(start, end)| &self.bytes[start..end])
    }

    /// Reads the stream into `buffer` one read at a time and times `work` over each read's frames.
    pub fn timed(&self, buffer: &mut [u8], mut work: impl FnMut(usize, &[u8])) -> Duration {
        self.timed_reads(buffer, |first, frames| {
            for (i, frame) in frames.enumerate() {
                work(first + i, frame);
            }
        })
    }

    /// Reads the stream into `buffer` one read at a time and times `work` on each read: the index of its first
    /// frame and its frames.
    pub fn timed_reads(
        &self,
        buffer: &mut [u8],
        mut work: impl FnMut(usize, Frames<'_>),
    ) -> Duration {
        let mut spent = Duration::ZERO;
        let (mut start, mut index) = (0, 0);
        for ends in &self.reads {
            let end = *ends.last().unwrap();
            buffer[..end - start].copy_from_slice(&self.bytes[start..end]);
            let frames = Frames {
                read: &buffer[..end - start],
                ends: ends.iter(),
                start,
                from: 0,
            };
            let clock = Instant::now();
            work(index, frames);
            spent += clock.elapsed();
            index += ends.len();
            start = end;
        }
        spent
    }
}

/// The frames of one read, in order: a concrete iterator, so that walking them costs the loop that times them
/// no call per frame.
pub struct Frames<'a> {
    /// The read's bytes.
    read: &'a [u8],
    /// The end offsets in the stream of the read's frames not yet taken.
    ends: std::slice::Iter<'a, usize>,
    /// The stream offset of the read's first byte.
    start: usize,
    /// The read offset of the next frame.
    from: usize,
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let end = self.ends.next()? - self.start;
        let frame = &self.read[self.from..end];
        self.from = end;
        Some(frame)
    }
}
