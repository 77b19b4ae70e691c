//! Instructions per message of `Feed::ingest`, of the parser alone and of a `Batch` on the feed benchmarks' streams, counted by
//! valgrind's callgrind. Unlike a time, an instruction count is the same on every run whatever else the machine
//! is doing, so a change to the core shows up exactly on these shared, noisy machines (it does not see cache
//! misses: the `feed` benchmark's times do).
//!
//! `cargo bench --bench instructions` runs this binary again under `valgrind --tool=callgrind` once per stream
//! and mode, counting only inside [`measured`] and [`measured_batch`], and prints a table. Given `<stream> <mode>` it is that child.

use std::hint::black_box;
use std::process::{Command, ExitCode};

use _kfeed::feed::Feed;
use _kfeed::wire::{parse_frame, Parsed};

#[path = "common/streams.rs"]
mod streams;
use streams::{fresh_feed, named_stream, STREAMS};

/// What is counted for each stream: the whole ingest a frame at a time, the parser alone, or the whole ingest
/// as one [`_kfeed::feed::Batch`].
const MODES: [&str; 3] = ["ingest", "parse", "batch"];

/// The work counted: every frame ingested into a feed built beforehand, or only parsed; returns how many frames
/// were taken.
#[inline(never)]
fn measured(mode: &str, feed: &mut Feed, parsed: &mut Parsed, frames: &[String]) -> usize {
    let mut ok = 0;
    for frame in frames {
        let frame = black_box(frame.as_bytes());
        let result = if mode == "parse" {
            parse_frame(frame, parsed).map(|()| 1)
        } else {
            feed.ingest(frame, 0)
        };
        ok += usize::from(black_box(result).is_ok());
    }
    ok
}

/// The work counted in the batch mode: every frame ingested as one batch into a feed built beforehand; returns
/// how many frames were taken. Apart from [`measured`], so that neither changes how the other is compiled.
#[inline(never)]
fn measured_batch(feed: &mut Feed, frames: &[String]) -> usize {
    let mut batch = feed.batch(0);
    for frame in frames {
        batch.ingest(black_box(frame.as_bytes()));
    }
    batch.finish();
    frames.len() - batch.without_rows()
}

/// The child: counts nothing itself (callgrind does), but checks that every frame was taken.
fn child(name: &str, mode: &str) -> ExitCode {
    let Some((frames, _)) = named_stream(name) else {
        eprintln!("unknown stream {name}");
        return ExitCode::FAILURE;
    };
    let mut feed = fresh_feed();
    let ok = if mode == "batch" {
        measured_batch(&mut feed, &frames)
    } else {
        measured(mode, &mut feed, &mut Parsed::new(), &frames)
    };
    if ok == frames.len() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{name}: only {ok} of {} frames were taken", frames.len());
        ExitCode::FAILURE
    }
}

/// Instructions callgrind counted inside [`measured`] for one stream and mode.
fn count(name: &str, mode: &str) -> Result<u64, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*instructions::measured*",
        ])
        .arg(&me)
        .args([name, mode])
        .output()
        .map_err(|e| {
            format!("valgrind could not be run ({e}); it is in Debian's valgrind package")
        })?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{name} {mode} failed:\n{log}"));
    }
    log.lines()
        .find_map(|line| line.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no instruction count in callgrind's output:\n{log}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [name, mode] = args.as_slice() {
        if MODES.contains(&mode.as_str()) {
            return child(name, mode);
        }
    }
    println!("instructions per message (callgrind; frames from benches/common/streams.rs)");
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "stream", "messages", "ingest", "parse", "apply", "batch"
    );
    for name in STREAMS {
        let Some((_, messages)) = named_stream(name) else {
            continue;
        };
        let per_message = |mode| count(name, mode).map(|n| n as f64 / messages as f64);
        match (
            per_message("ingest"),
            per_message("parse"),
            per_message("batch"),
        ) {
            (Ok(ingest), Ok(parse), Ok(batch)) => println!(
                "{name:<16} {messages:>10} {ingest:>10.0} {parse:>10.0} {:>10.0} {batch:>10.0}",
                ingest - parse
            ),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
