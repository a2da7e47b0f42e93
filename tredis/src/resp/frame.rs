//! [`Value`]: one RESP2 or RESP3 value as the server sent it.

use bytes::Bytes;

/// A reply value, in either protocol. Payloads are views of the connection's read buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `+OK`: a status line.
    Simple(Bytes),
    /// `-ERR ...`: an error line.
    Error(Bytes),
    /// `:42`.
    Int(i64),
    /// `$3\r\nfoo`: binary-safe bytes.
    Bulk(Bytes),
    /// `_`, or RESP2's `$-1` and `*-1`.
    Null,
    /// `*2 ...`.
    Array(Vec<Value>),
    /// `#t` / `#f` (RESP3).
    Bool(bool),
    /// `,1.5` (RESP3).
    Double(f64),
    /// `(123...` (RESP3): digits, as sent.
    BigNumber(Bytes),
    /// `!21\r\nSYNTAX ...` (RESP3).
    BulkError(Bytes),
    /// `=15\r\ntxt:...` (RESP3): a format and its text.
    Verbatim {
        /// Three-letter format, e.g. `txt` or `mkd`.
        format: [u8; 3],
        /// The text.
        text: Bytes,
    },
    /// `%2 ...` (RESP3): key-value pairs in server order.
    Map(Vec<(Value, Value)>),
    /// `~2 ...` (RESP3).
    Set(Vec<Value>),
    /// `>3 ...` (RESP3): out-of-band data (pub/sub messages, invalidations).
    Push(Vec<Value>),
}

impl Default for Value {
    /// Nil.
    fn default() -> Value {
        Value::Null
    }
}

impl Value {
    /// A short name of the value's type, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Simple(_) => "status",
            Value::Error(_) => "error",
            Value::Int(_) => "integer",
            Value::Bulk(_) => "bulk string",
            Value::Null => "nil",
            Value::Array(_) => "array",
            Value::Bool(_) => "boolean",
            Value::Double(_) => "double",
            Value::BigNumber(_) => "big number",
            Value::BulkError(_) => "bulk error",
            Value::Verbatim { .. } => "verbatim string",
            Value::Map(_) => "map",
            Value::Set(_) => "set",
            Value::Push(_) => "push",
        }
    }

    /// The error text, for error values of either protocol.
    pub fn as_error(&self) -> Option<&Bytes> {
        match self {
            Value::Error(e) | Value::BulkError(e) => Some(e),
            _ => None,
        }
    }
}
