//! Typed range bounds: scores (ZCOUNT, ZRANGE BYSCORE), lexical bounds (ZRANGE BYLEX) and the
//! three-way bound of ZRANGE itself.

use bytes::Bytes;

/// A score bound: `1.5` (inclusive), `(1.5` (exclusive), `-inf` or `+inf`.
///
/// A float converts to an inclusive bound: `client.zcount("z", 1.0, ScoreBound::PosInf)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreBound {
    /// Scores equal to it are included.
    Incl(f64),
    /// Scores equal to it are excluded.
    Excl(f64),
    /// Below every score.
    NegInf,
    /// Above every score.
    PosInf,
}

impl ScoreBound {
    /// An inclusive bound.
    pub fn incl(v: f64) -> Self {
        ScoreBound::Incl(v)
    }

    /// An exclusive bound.
    pub fn excl(v: f64) -> Self {
        ScoreBound::Excl(v)
    }

    /// The wire form; `Err` for NaN.
    pub(crate) fn write(self, out: &mut Vec<u8>) -> Result<(), &'static str> {
        let (prefix, v) = match self {
            ScoreBound::NegInf => {
                out.extend_from_slice(b"-inf");
                return Ok(());
            }
            ScoreBound::PosInf => {
                out.extend_from_slice(b"+inf");
                return Ok(());
            }
            ScoreBound::Incl(v) => ("", v),
            ScoreBound::Excl(v) => ("(", v),
        };
        if v.is_nan() {
            return Err("a score bound is NaN");
        }
        out.extend_from_slice(prefix.as_bytes());
        if v.is_infinite() {
            out.extend_from_slice(if v > 0.0 { b"+inf" } else { b"-inf" });
        } else {
            out.extend_from_slice(format!("{v:?}").as_bytes());
        }
        Ok(())
    }
}

macro_rules! score_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ScoreBound {
            fn from(v: $t) -> Self {
                ScoreBound::Incl(v as f64)
            }
        }
    )*};
}

score_from!(f64, f32, i64, i32, u32);

/// A lexical bound: `[a` (inclusive), `(a` (exclusive), `-` (below all) or `+` (above all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// Members equal to it are included.
    Incl(Bytes),
    /// Members equal to it are excluded.
    Excl(Bytes),
    /// Below every member: `-`.
    Min,
    /// Above every member: `+`.
    Max,
}

impl LexBound {
    /// An inclusive bound.
    pub fn incl(v: impl Into<Bytes>) -> Self {
        LexBound::Incl(v.into())
    }

    /// An exclusive bound.
    pub fn excl(v: impl Into<Bytes>) -> Self {
        LexBound::Excl(v.into())
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            LexBound::Min => out.push(b'-'),
            LexBound::Max => out.push(b'+'),
            LexBound::Incl(b) => {
                out.push(b'[');
                out.extend_from_slice(b);
            }
            LexBound::Excl(b) => {
                out.push(b'(');
                out.extend_from_slice(b);
            }
        }
    }
}

/// A bound of ZRANGE and ZRANGESTORE: an index by default, a score with `by_score`, a
/// member with `by_lex`. Integers convert to indexes: `client.zrange("z", 0, -1)`.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeBound {
    /// A rank; negative counts from the end.
    Index(i64),
    /// A score, with BYSCORE.
    Score(ScoreBound),
    /// A member, with BYLEX.
    Lex(LexBound),
}

macro_rules! index_from {
    ($($t:ty),*) => {$(
        impl From<$t> for RangeBound {
            fn from(v: $t) -> Self {
                RangeBound::Index(v as i64)
            }
        }
    )*};
}

index_from!(i64, i32, u32, isize);

impl From<ScoreBound> for RangeBound {
    fn from(b: ScoreBound) -> Self {
        RangeBound::Score(b)
    }
}

impl From<LexBound> for RangeBound {
    fn from(b: LexBound) -> Self {
        RangeBound::Lex(b)
    }
}

impl From<f64> for RangeBound {
    fn from(v: f64) -> Self {
        RangeBound::Score(ScoreBound::Incl(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(b: ScoreBound) -> String {
        let mut v = Vec::new();
        b.write(&mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn bounds_on_the_wire() {
        assert_eq!(wire(1.5.into()), "1.5");
        assert_eq!(wire(ScoreBound::excl(2.0)), "(2.0");
        assert_eq!(wire(ScoreBound::NegInf), "-inf");
        assert_eq!(wire(ScoreBound::Incl(f64::INFINITY)), "+inf");
        assert!(ScoreBound::Incl(f64::NAN).write(&mut Vec::new()).is_err());
        let mut v = Vec::new();
        LexBound::excl("b").write(&mut v);
        LexBound::Max.write(&mut v);
        assert_eq!(v, b"(b+");
    }
}
