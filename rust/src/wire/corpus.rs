//! Test frames: the vendor's examples from the protocol reference and synthesized frames of every shape.

use std::fmt::Write;

/// The vendor's tick push.
pub const TICK: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"005930","trdPrc":2465000,"trdvol":2,"accTrdvol":251916,"accTrdval":627899637000,"trdTm":14412000}}"#;

/// The vendor's quote push.
pub const QUOTE: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"005930","askStep1BstordPrc":2465000,"askStep1BstordRqty":144,"bidStep1BstordPrc":2464000,"bidStep1BstordRqty":298}}"#;

/// The vendor's REST `price` record (= the tick10 keys).
pub const PRICE_RECORD: &str = r#"{"isuSrtCd":"005930","trdPrc":38600,"cmpprevddTpCd":"2","opnprc":38250,"hgprc":38900,"lwprc":38200,"accTrdvol":2829006,"trdTm":9544500,"trdvol":76,"accTrdval":108981501200,"cmpprevddPrc":350,"bidordPrc_1":38600,"askordPrc_1":38650,"lstAskbidTpCd":1}"#;

/// A futures tick.
pub const TICK_FUTURES: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"tick","isuSrtCd":"101N6000","trdPrc":308.7,"trdvol":3,"trdTm":10153512,"accTrdvol":120455}}"#;

/// A futures quote: level 1 plus `ordAcptTm`.
pub const QUOTE_FUTURES: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"quote","isuSrtCd":"101N6000","askStep1BstordPrc":308.75,"askStep1BstordRqty":13,"bidStep1BstordPrc":"308.70","bidStep1BstordRqty":"17","ordAcptTm":"10153512"}}"#;

/// An index push.
pub const INDEX: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"preset":"index","isuSrtCd":"K1","trdTm":10153500,"trdPrc":2409.03,"cmpprevddTpCd":"2","cmpprevddPrc":12.57,"accTrdvol":183512,"accTrdval":4512876}}"#;

/// A change push with a trade and a level-1 ask.
pub const CHANGE: &str = r#"{"jsonrpc":"2.0","method":"push","params":{"isuCd":"KR7005930003","isuSrtCd":"005930","trdPrc":53100,"trdvol":12,"trdTm":10153512,"accTrdvol":4512876,"askStep1BstordPrc":53200,"askStep1BstordRqty":1520}}"#;

/// The vendor's `/ws_ksp` example.
pub const WS_KSP: &str = r#"[{"isuSrtCd":"000210","trdPrc":"81000","trdVol":"5","trdTm":"14340400"},{"isuSrtCd":"500032","trdPrc":"12760","trdVol":"400","trdTm":"14340400"}]"#;

/// The vendor's result, error and a server heartbeat request.
pub const REPLIES: [&str; 3] = [
    r#"{"jsonrpc":"2.0","id":1,"result":{"message":"ok"}}"#,
    "{\"jsonrpc\":\"2.0\",\"error\":{\"message\":\"정상적인 JSON-RPC 형식이 아닙니다\",\"code\":47}}",
    r#"{"jsonrpc":"2.0","id":9,"method":"heartbeat"}"#,
];

/// A stock quote10 push with every key of the REST orderbook record: ask n = 53000 + 100n, bid n =
/// 53100 - 100n, ask qty 1000 + n, bid qty 2000 + n.
pub fn quote10_stock() -> String {
    let mut params = String::from(r#""preset":"quote10","isuSrtCd":"005930","accTrdvol":2829006"#);
    for n in 1..=10 {
        write!(
            params,
            r#","askStep{n}BstordPrc":{},"askStep{n}BstordRqty":{},"bidStep{n}BstordPrc":{},"bidStep{n}BstordRqty":{}"#,
            53_000 + 100 * n,
            1000 + n,
            53_100 - 100 * n,
            2000 + n
        )
        .expect("writing to a String cannot fail");
    }
    params.push_str(r#","askordTotRqty":152340,"bidordTotRqty":231877,"pstoffhrAskTotOrdRqty":0,"pstoffhrBidTotOrdRqty":0,"deemTrdPrc":0,"deemTrdvol":0,"deemAccTrdvol":0"#);
    format!(r#"{{"jsonrpc":"2.0","method":"push","params":{{{params}}}}}"#)
}

/// A futures quote10 push: 5 levels with order counts (ask n = "308.7n", bid n = "308.n"), derivative
/// total spellings and `ordAcptTm`, keys in a scrambled order.
pub fn quote10_futures() -> String {
    let mut params = String::from(r#""ordAcptTm":10153512,"isuSrtCd":"101N6000""#);
    for n in 1..=5 {
        write!(
            params,
            r#","bidStep{n}BstordCnt":{n},"askStep{n}BstordPrc":"308.7{n}","askStep{n}BstordRqty":{},"askStep{n}BstordCnt":{n},"bidStep{n}BstordPrc":308.{n},"bidStep{n}BstordRqty":{}"#,
            10 + n,
            20 + n
        )
        .expect("writing to a String cannot fail");
    }
    params.push_str(r#","askTotOrdRqty":4210,"bidTotOrdRqty":3987,"askValidOrdCnt":412,"bidValidOrdCnt":398,"deemTrdPrc":0,"preset":"quote10""#);
    format!(r#"{{"params":{{{params}}},"method":"push","jsonrpc":"2.0"}}"#)
}

/// Every valid frame above.
pub fn all_frames() -> Vec<String> {
    let mut frames: Vec<String> = [
        TICK,
        QUOTE,
        TICK_FUTURES,
        QUOTE_FUTURES,
        INDEX,
        CHANGE,
        WS_KSP,
    ]
    .iter()
    .chain(REPLIES.iter())
    .map(|s| (*s).to_owned())
    .collect();
    frames.push(format!(
        r#"{{"jsonrpc":"2.0","method":"push","params":{}}}"#,
        PRICE_RECORD.replacen('{', r#"{"preset":"tick10","#, 1)
    ));
    frames.push(quote10_stock());
    frames.push(quote10_futures());
    frames
}
