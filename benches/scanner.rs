//! Scanner benchmarks: `parse_frame` on realistic frames of every family (parse only, no state applied).
//!
//! Frames are the vendor's own examples where the protocol reference gives one, and synthesized frames with
//! every field of their preset otherwise. Throughput is reported per frame (or per trade for the
//! market-wide arrays) and in bytes.

use std::fmt::Write;
use std::hint::black_box;

use _kfeed::wire::{parse_frame, Parsed};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The vendor's tick push.
const TICK: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":2465000,"trdvol":2,"accTrdvol":251916,"accTrdval":627899637000,"trdTm":14412000}}"#;

/// A KOSPI200 futures tick (2-decimal price, no accTrdval).
const TICK_FUTURES: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"101N6000","trdPrc":308.7,"trdvol":3,"trdTm":10153512,"accTrdvol":120455}}"#;

/// The vendor's quote push.
const QUOTE: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":2465000,"askStep1BstordRqty":144,"bidStep1BstordPrc":2464000,"bidStep1BstordRqty":298}}"#;

/// A tick10 push with the 14 keys of the vendor's REST price example.
const TICK10: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick10","isuSrtCd":"005930","trdPrc":38600,"cmpprevddTpCd":"2","opnprc":38250,"hgprc":38900,"lwprc":38200,"accTrdvol":2829006,"trdTm":9544500,"trdvol":76,"accTrdval":108981501200,"cmpprevddPrc":350,"bidordPrc_1":38600,"askordPrc_1":38650,"lstAskbidTpCd":1}}"#;

/// An index push.
const INDEX: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"index","isuSrtCd":"K1","trdTm":10153500,"trdPrc":2409.03,"cmpprevddTpCd":"2","cmpprevddPrc":12.57,"accTrdvol":183512,"accTrdval":4512876}}"#;

/// A change push: ISIN, code and the items that changed.
const CHANGE: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"isuCd":"KR7005930003","isuSrtCd":"005930","trdPrc":53100,"trdvol":12,"trdTm":10153512,"accTrdvol":4512876,"askStep1BstordPrc":53200,"askStep1BstordRqty":1520}}"#;

/// The vendor's heartbeat/init result.
const REPLY: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"message":"ok"}}"#;

/// A stock quote10 push with every key of the REST orderbook record.
fn quote10_stock() -> String {
    let mut params = String::from(r#""preset":"quote10","isuSrtCd":"005930","accTrdvol":2829006"#);
    for n in 1..=10 {
        let ask = 53_000 + 100 * n;
        let bid = 53_000 - 100 * (n - 1);
        write!(
            params,
            r#","askStep{n}BstordPrc":{ask},"askStep{n}BstordRqty":{},"bidStep{n}BstordPrc":{bid},"bidStep{n}BstordRqty":{}"#,
            1000 + 37 * n,
            2000 + 53 * n
        )
        .expect("writing to a String cannot fail");
    }
    params.push_str(r#","askordTotRqty":152340,"bidordTotRqty":231877,"pstoffhrAskTotOrdRqty":0,"pstoffhrBidTotOrdRqty":0,"deemTrdPrc":0,"deemTrdvol":0,"deemAccTrdvol":0"#);
    format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
}

/// A KOSPI200 futures quote10 push: 5 levels with order counts, derivative total spellings, `ordAcptTm`.
fn quote10_futures() -> String {
    let mut params = String::from(r#""preset":"quote10","isuSrtCd":"101N6000""#);
    for n in 1..=5 {
        let ask = 308.70 + 0.05 * f64::from(n);
        let bid = 308.70 - 0.05 * f64::from(n - 1);
        write!(
            params,
            r#","askStep{n}BstordPrc":{ask:.2},"askStep{n}BstordRqty":{},"askStep{n}BstordCnt":{},"bidStep{n}BstordPrc":{bid:.2},"bidStep{n}BstordRqty":{},"bidStep{n}BstordCnt":{}"#,
            10 + 3 * n,
            2 + n,
            12 + 5 * n,
            3 + n
        )
        .expect("writing to a String cannot fail");
    }
    params.push_str(r#","askTotOrdRqty":4210,"bidTotOrdRqty":3987,"askValidOrdCnt":412,"bidValidOrdCnt":398,"ordAcptTm":10153512,"deemTrdPrc":0"#);
    format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
}

/// A full `/ws_ksp` frame: 50 string-valued trades.
fn ws_ksp() -> String {
    let trades: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{"isuSrtCd":"{:06}","trdPrc":"{}","trdVol":"{}","trdTm":"1434{:02}00"}}"#,
                (i * 7919) % 1_000_000,
                1000 + 37 * i,
                1 + (i * 13) % 500,
                i % 60
            )
        })
        .collect();
    format!("[{}]", trades.join(","))
}

fn bench_frame(c: &mut Criterion, name: &str, frame: &[u8], elements: u64) {
    let mut out = Parsed::new();
    parse_frame(frame, &mut out).expect("benchmark frame parses");
    let mut group = c.benchmark_group("scanner");
    group.throughput(Throughput::ElementsAndBytes {
        elements,
        bytes: frame.len() as u64,
    });
    group.bench_function(name, |b| {
        b.iter(|| {
            parse_frame(black_box(frame), &mut out).expect("parses");
            black_box(&out);
        });
    });
    group.finish();
}

fn scanner(c: &mut Criterion) {
    bench_frame(c, "tick", TICK.as_bytes(), 1);
    bench_frame(c, "tick_futures", TICK_FUTURES.as_bytes(), 1);
    bench_frame(c, "quote", QUOTE.as_bytes(), 1);
    bench_frame(c, "tick10", TICK10.as_bytes(), 1);
    bench_frame(c, "quote10_stock", quote10_stock().as_bytes(), 1);
    bench_frame(c, "quote10_futures", quote10_futures().as_bytes(), 1);
    bench_frame(c, "index", INDEX.as_bytes(), 1);
    bench_frame(c, "change", CHANGE.as_bytes(), 1);
    bench_frame(c, "ws_ksp_50_trades", ws_ksp().as_bytes(), 50);
    bench_frame(c, "reply", REPLY.as_bytes(), 1);
}

criterion_group!(benches, scanner);
criterion_main!(benches);
