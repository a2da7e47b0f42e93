//! Geo records: what GEOSEARCH and GEORADIUS find.

use bytes::Bytes;

use super::{Bulk, Decode, DecodeError, Double, UInt};
use crate::resp::Value;

/// A member found by GEOSEARCH or GEORADIUS; the optional parts are there when asked for
/// (WITHDIST, WITHHASH, WITHCOORD).
#[derive(Debug, Clone, PartialEq)]
pub struct GeoHit {
    /// The member.
    pub member: Bytes,
    /// Distance from the center, in the unit of the query.
    pub dist: Option<f64>,
    /// The raw 52-bit geohash.
    pub hash: Option<u64>,
    /// Longitude and latitude.
    pub coord: Option<(f64, f64)>,
}

impl Decode for GeoHit {
    type Output = GeoHit;
    fn decode(v: Value) -> Result<GeoHit, DecodeError> {
        match v {
            // Without WITH* options, a hit is just the member.
            Value::Bulk(member) => Ok(GeoHit { member, dist: None, hash: None, coord: None }),
            Value::Array(items) if !items.is_empty() => {
                let mut it = items.into_iter();
                let member = Bulk::decode(it.next().expect("non-empty"))?;
                let mut hit = GeoHit { member, dist: None, hash: None, coord: None };
                // The server sends them in this order; each has a shape of its own.
                for item in it {
                    match item {
                        Value::Int(_) => hit.hash = Some(UInt::decode(item)?),
                        Value::Array(_) => hit.coord = Some(<(Double, Double)>::decode(item)?),
                        other => hit.dist = Some(Double::decode(other)?),
                    }
                }
                Ok(hit)
            }
            other => Err(DecodeError::mismatch("a geo hit", &other)),
        }
    }
}
