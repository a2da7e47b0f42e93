//! The reply grammar: parses expressions such as `[bytes?]`, `pairs<bytes,double>` or `@Ttl`.
//!
//! ```text
//! T    := prim "?"*
//! prim := atom | "[" T "]" | "{" T "}" | "(" T ("," T)+ ")" | name "<" T ("," T)* ">" | "@" Record
//! atom := ok | unit | int | uint | u16 | bool | double | bytes | str | any | secs | millis
//!       | ttl_s | ttl_ms | exptime_s | exptime_ms
//! name := map | pairs | keyed | scan
//! ```
//! `ok?` is the one special case: "OK or nil" decodes to `bool` (SET NX).

/// A parsed reply expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyExpr {
    /// A scalar.
    Atom(Atom),
    /// `T?`: nil becomes `None`.
    Nullable(Box<ReplyExpr>),
    /// `[T]`: an array (or RESP3 set) of `T`.
    Array(Box<ReplyExpr>),
    /// `{T}`: a set; decodes like an array, documents that order is meaningless.
    Set(Box<ReplyExpr>),
    /// `(A, B, ...)`: a fixed-length array.
    Tuple(Vec<ReplyExpr>),
    /// `map<K,V>`: RESP3 map or RESP2 flat array, into a `HashMap`.
    Map(Box<ReplyExpr>, Box<ReplyExpr>),
    /// `pairs<K,V>`: RESP3 array of pairs or RESP2 flat array, order kept.
    Pairs(Box<ReplyExpr>, Box<ReplyExpr>),
    /// `keyed<K,V>`: RESP3 map or RESP2 array of `[k, v]`, order kept.
    Keyed(Box<ReplyExpr>, Box<ReplyExpr>),
    /// `scan<T>`: a cursor and a page of items.
    Scan(Box<ReplyExpr>),
    /// `@Name`: a hand-written record type of the runtime.
    Record(String),
}

/// Scalar reply kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atom {
    /// `+OK`, as `()`.
    Ok,
    /// Any status reply, as `()` (PONG).
    Unit,
    /// A signed integer.
    Int,
    /// A non-negative integer.
    Uint,
    /// A non-negative integer that fits in 16 bits: a port or a slot.
    U16,
    /// 0/1 or a RESP3 boolean.
    Bool,
    /// A double, or its RESP2 bulk-string form.
    Double,
    /// Binary-safe bytes.
    Bytes,
    /// UTF-8 text (bulk, status or verbatim).
    Str,
    /// Any value, undecoded.
    Any,
    /// An integer number of seconds, as a `Duration`.
    Secs,
    /// An integer number of milliseconds, as a `Duration`.
    Millis,
    /// TTL in seconds with the -1/-2 sentinels, as `Ttl`.
    TtlS,
    /// TTL in milliseconds with the -1/-2 sentinels, as `Ttl`.
    TtlMs,
    /// Expiry as Unix seconds with the -1/-2 sentinels, as `ExpireTime`.
    ExptimeS,
    /// Expiry as Unix milliseconds with the -1/-2 sentinels, as `ExpireTime`.
    ExptimeMs,
}

impl Atom {
    fn parse(s: &str) -> Option<Atom> {
        Some(match s {
            "ok" => Atom::Ok,
            "unit" => Atom::Unit,
            "int" => Atom::Int,
            "uint" => Atom::Uint,
            "u16" => Atom::U16,
            "bool" => Atom::Bool,
            "double" => Atom::Double,
            "bytes" => Atom::Bytes,
            "str" => Atom::Str,
            "any" => Atom::Any,
            "secs" => Atom::Secs,
            "millis" => Atom::Millis,
            "ttl_s" => Atom::TtlS,
            "ttl_ms" => Atom::TtlMs,
            "exptime_s" => Atom::ExptimeS,
            "exptime_ms" => Atom::ExptimeMs,
            _ => return None,
        })
    }
}

const MAX_DEPTH: usize = 16;

/// Parses a reply expression; the error says where and what was expected.
pub fn parse(src: &str) -> Result<ReplyExpr, String> {
    let mut p = Parser { src: src.as_bytes(), pos: 0, depth: 0 };
    let e = p.expr()?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.err("end of expression"));
    }
    Ok(e)
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, expected: &str) -> String {
        let rest = String::from_utf8_lossy(&self.src[self.pos.min(self.src.len())..]);
        format!("reply `{}`: expected {expected} at `{rest}`", String::from_utf8_lossy(self.src))
    }

    fn skip_ws(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.src.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(&format!("`{}`", c as char)))
        }
    }

    fn word(&mut self) -> &str {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
        {
            self.pos += 1;
        }
        std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("")
    }

    fn expr(&mut self) -> Result<ReplyExpr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("less nesting"));
        }
        let mut e = self.prim()?;
        while self.eat(b'?') {
            if matches!(e, ReplyExpr::Nullable(_)) {
                return Err(self.err("a single `?`"));
            }
            e = ReplyExpr::Nullable(Box::new(e));
        }
        self.depth -= 1;
        Ok(e)
    }

    fn list(&mut self, close: u8) -> Result<Vec<ReplyExpr>, String> {
        let mut items = vec![self.expr()?];
        while self.eat(b',') {
            items.push(self.expr()?);
        }
        self.expect(close)?;
        Ok(items)
    }

    fn prim(&mut self) -> Result<ReplyExpr, String> {
        if self.eat(b'[') {
            let inner = self.expr()?;
            self.expect(b']')?;
            return Ok(ReplyExpr::Array(Box::new(inner)));
        }
        if self.eat(b'{') {
            let inner = self.expr()?;
            self.expect(b'}')?;
            return Ok(ReplyExpr::Set(Box::new(inner)));
        }
        if self.eat(b'(') {
            let items = self.list(b')')?;
            if items.len() < 2 {
                return Err(self.err("a tuple of at least two items"));
            }
            return Ok(ReplyExpr::Tuple(items));
        }
        if self.eat(b'@') {
            let name = self.word().to_string();
            if !crate::names::is_type_ident(&name) {
                return Err(self.err("a record type name"));
            }
            return Ok(ReplyExpr::Record(name));
        }
        let word = self.word().to_string();
        if let Some(atom) = Atom::parse(&word) {
            return Ok(ReplyExpr::Atom(atom));
        }
        let generic = matches!(word.as_str(), "map" | "pairs" | "keyed" | "scan");
        if !generic {
            return Err(self.err("an atom (ok, unit, int, uint, u16, bool, double, bytes, str, any, secs, millis, ttl_s, ttl_ms, exptime_s, exptime_ms), [T], {T}, (A,B), map/pairs/keyed<K,V>, scan<T> or @Record"));
        }
        self.expect(b'<')?;
        let mut args = self.list(b'>')?;
        let want = if word == "scan" { 1 } else { 2 };
        if args.len() != want {
            return Err(self.err(&format!("{want} type argument(s) for {word}")));
        }
        let b = |e: ReplyExpr| Box::new(e);
        Ok(match word.as_str() {
            "scan" => ReplyExpr::Scan(b(args.remove(0))),
            _ => {
                let v = args.pop().unwrap_or(ReplyExpr::Atom(Atom::Any));
                let k = args.pop().unwrap_or(ReplyExpr::Atom(Atom::Any));
                match word.as_str() {
                    "map" => ReplyExpr::Map(b(k), b(v)),
                    "pairs" => ReplyExpr::Pairs(b(k), b(v)),
                    _ => ReplyExpr::Keyed(b(k), b(v)),
                }
            }
        })
    }
}

/// What the record decoders whose output is not a type of their own name give.
fn record_output(name: &str) -> Option<&'static str> {
    Some(match name {
        "UnixSecs" | "ServerTime" => "SystemTime",
        "KeyFlags" => "(Bytes, Vec<String>)",
        "LatencySample" => "(SystemTime, Duration)",
        "AutoClaimEntries" => "AutoClaim<StreamEntry>",
        "ClusterNodes" => "Vec<ClusterNode>",
        "AutoClaimIds" => "AutoClaim<StreamId>",
        _ => return None,
    })
}

impl ReplyExpr {
    /// The Rust type a caller receives, as shown in docs (`Option<Bytes>`).
    pub fn output(&self) -> String {
        match self {
            ReplyExpr::Atom(a) => match a {
                Atom::Ok | Atom::Unit => "()",
                Atom::Int => "i64",
                Atom::Uint => "u64",
                Atom::U16 => "u16",
                Atom::Bool => "bool",
                Atom::Double => "f64",
                Atom::Bytes => "Bytes",
                Atom::Str => "String",
                Atom::Any => "Value",
                Atom::Secs | Atom::Millis => "Duration",
                Atom::TtlS | Atom::TtlMs => "Ttl",
                Atom::ExptimeS | Atom::ExptimeMs => "ExpireTime",
            }
            .to_string(),
            ReplyExpr::Nullable(inner) if **inner == ReplyExpr::Atom(Atom::Ok) => "bool".into(),
            ReplyExpr::Nullable(inner) => format!("Option<{}>", inner.output()),
            ReplyExpr::Array(inner) | ReplyExpr::Set(inner) => format!("Vec<{}>", inner.output()),
            ReplyExpr::Tuple(items) => {
                format!("({})", items.iter().map(ReplyExpr::output).collect::<Vec<_>>().join(", "))
            }
            ReplyExpr::Map(k, v) => format!("HashMap<{}, {}>", k.output(), v.output()),
            ReplyExpr::Pairs(k, v) | ReplyExpr::Keyed(k, v) => {
                format!("Vec<({}, {})>", k.output(), v.output())
            }
            ReplyExpr::Scan(inner) if matches!(**inner, ReplyExpr::Pairs(..)) => {
                format!("(u64, {})", inner.output())
            }
            ReplyExpr::Scan(inner) => format!("(u64, Vec<{}>)", inner.output()),
            ReplyExpr::Record(name) => record_output(name).unwrap_or(name).to_string(),
        }
    }

    /// The records this expression names, for existence checks.
    pub fn records(&self, out: &mut Vec<String>) {
        match self {
            ReplyExpr::Atom(_) => {}
            ReplyExpr::Record(n) => out.push(n.clone()),
            ReplyExpr::Nullable(i) | ReplyExpr::Array(i) | ReplyExpr::Set(i) | ReplyExpr::Scan(i) => {
                i.records(out)
            }
            ReplyExpr::Tuple(items) => items.iter().for_each(|i| i.records(out)),
            ReplyExpr::Map(k, v) | ReplyExpr::Pairs(k, v) | ReplyExpr::Keyed(k, v) => {
                k.records(out);
                v.records(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar() {
        assert_eq!(parse("bytes?").unwrap().output(), "Option<Bytes>");
        assert_eq!(parse("ok?").unwrap().output(), "bool");
        assert_eq!(parse("[bytes?]").unwrap().output(), "Vec<Option<Bytes>>");
        assert_eq!(parse("pairs<bytes, double>").unwrap().output(), "Vec<(Bytes, f64)>");
        assert_eq!(parse("scan<bytes>").unwrap().output(), "(u64, Vec<Bytes>)");
        assert_eq!(parse("(int, double)?").unwrap().output(), "Option<(i64, f64)>");
        assert_eq!(
            parse("keyed<bytes,[@StreamEntry]>?").unwrap().output(),
            "Option<Vec<(Bytes, Vec<StreamEntry>)>>"
        );
        assert_eq!(parse("map<str,str>").unwrap().output(), "HashMap<String, String>");
        assert_eq!(parse("pairs<u16, u16>").unwrap().output(), "Vec<(u16, u16)>");
    }

    #[test]
    fn rejects_mistakes_with_position() {
        assert!(parse("byte").unwrap_err().contains("expected an atom"));
        assert!(parse("[bytes").unwrap_err().contains("expected `]`"));
        assert!(parse("map<bytes>").unwrap_err().contains("2 type argument"));
        assert!(parse("bytes??").unwrap_err().contains("single `?`"));
        assert!(parse("(int)").unwrap_err().contains("at least two"));
        assert!(parse("@lower").unwrap_err().contains("record type name"));
        assert!(parse("int extra").unwrap_err().contains("end of expression"));
    }
}
