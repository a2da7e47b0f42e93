//! The fast path for runs of bulk strings: noted in a tight loop, split off the buffer together.

use bytes::BytesMut;

use super::level::{grow, Level};
use super::{err, Decoder, Value};
use crate::Error;

/// Bulk strings noted before they are split off the buffer even though the run goes on: it
/// bounds the notes (16 bytes each) to 1 MiB.
const PENDING: usize = 1 << 16;

impl Decoder {
    /// The common case of big replies (LRANGE, MGET, HGETALL): a run of complete bulk strings
    /// inside the current aggregate, parsed in a tight loop. Their places are noted, and they
    /// are split off the buffer together, as views, once the aggregate is complete, the run
    /// ends, or [`PENDING`] are noted: so a reply that arrives over many reads is split a few
    /// times, not once per read, and the read buffer stays whole and growable meanwhile.
    /// Returns true when the run waits for more bytes (its next bulk string is incomplete).
    pub(super) fn bulk_run(&mut self, buf: &mut BytesMut) -> Result<bool, Error> {
        let Some(top) = self.stack.last() else { return Ok(false) };
        let mut left = top.left() - self.spans.len();
        loop {
            let (waits, noted) = self.note_bulks(buf, left.min(PENDING - self.spans.len()))?;
            left -= noted;
            if waits {
                return Ok(true);
            }
            self.flush(buf);
            if left == 0 || noted == 0 || buf.get(self.pos) != Some(&b'$') {
                return Ok(false);
            }
        }
    }

    /// Notes up to `most` complete bulk strings from `pos` on; returns whether the next one
    /// waits for more bytes, and how many were noted.
    fn note_bulks(&mut self, buf: &BytesMut, most: usize) -> Result<(bool, usize), Error> {
        let mut pos = self.pos;
        let mut waits = false;
        let mut noted = 0;
        while noted < most {
            if buf.get(pos) != Some(&b'$') {
                waits = pos >= buf.len();
                break;
            }
            // A length of at most 10 digits, then CRLF. Counted in u64: 10 digits overflow a
            // 32-bit usize.
            let mut i = pos + 1;
            let mut n: u64 = 0;
            while i < buf.len() && buf[i].is_ascii_digit() && i - pos <= 10 {
                n = n * 10 + u64::from(buf[i] - b'0');
                i += 1;
            }
            if i + 1 >= buf.len() && (i == buf.len() || buf[i] == b'\r') && i - pos <= 10 {
                // The header itself has not fully arrived.
                waits = true;
                break;
            }
            if i == pos + 1
                || i + 1 >= buf.len()
                || buf[i] != b'\r'
                || buf[i + 1] != b'\n'
                || n > self.limits.max_bulk_len as u64
            {
                // Negative, or unusual: the general path decides.
                break;
            }
            // Fits: it is at most `max_bulk_len`.
            let n = n as usize;
            let start = i + 2;
            let end = start + n;
            if end + 2 > buf.len() {
                // Checked at the header, before the read buffer grows for it.
                let noted_bytes = pos - self.pos;
                if self.charged.saturating_add(noted_bytes).saturating_add(end + 2 - pos)
                    > self.limits.max_reply_bytes
                {
                    return Err(self.over_budget());
                }
                waits = true;
                break;
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(err("bulk string not terminated by CRLF"));
            }
            self.spans.push((start, end));
            noted += 1;
            pos = end + 2;
        }
        self.count(noted)?;
        self.charge(pos - self.pos)?;
        self.pos = pos;
        Ok((waits, noted))
    }

    /// Splits the noted run of bulk strings off the buffer, once, and adds them to the top
    /// aggregate as views.
    pub(super) fn flush(&mut self, buf: &mut BytesMut) {
        if self.spans.is_empty() {
            return;
        }
        let frame = buf.split_to(self.pos).freeze();
        self.pos = 0;
        let top = self.stack.last_mut().expect("a run belongs to an aggregate");
        let bulks = self.spans.drain(..).map(|(start, end)| Value::Bulk(frame.slice(start..end)));
        match top {
            Level::Seq { want, items, .. } => {
                let k = bulks.len();
                if items.capacity() - items.len() < k {
                    grow(items, *want, buf.len() / 3, k);
                }
                items.extend(bulks);
            }
            _ => bulks.for_each(|v| top.push(v, buf.len())),
        }
    }
}
