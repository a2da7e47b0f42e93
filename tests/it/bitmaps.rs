//! The bitmap group, every command, under RESP2 and RESP3.

use bytes::Bytes;
use tredis::commands::bitmap::BitfieldOverflow;
use tredis::prelude::*;

use crate::both;
use crate::support::assert_argument_error;
use crate::support::assert_server_error;

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

both!(
    async fn set_and_get_bits(c, k) {
        let key = k.key("bits");
        // SETBIT replies with the bit it replaced.
        assert_eq!(c.setbit(&key, 7, 1).await?, 0);
        assert_eq!(c.setbit(&key, 7, 1).await?, 1);
        assert_eq!(c.setbit(&key, 0, 1).await?, 0);
        assert_eq!(c.get(&key).await?, Some(b(b"\x81")));
        assert_eq!(c.getbit(&key, 0).await?, 1);
        assert_eq!(c.getbit(&key, 1).await?, 0);
        assert_eq!(c.getbit(&key, 7).await?, 1);
        assert_eq!(c.setbit(&key, 0, 0).await?, 1);
        assert_eq!(c.getbit(&key, 0).await?, 0);
        // Past the end reads 0; setting there grows the string with zeros.
        assert_eq!(c.getbit(&key, 1000).await?, 0);
        assert_eq!(c.setbit(&key, 100, 1).await?, 0);
        assert_eq!(c.strlen(&key).await?, 13);
        assert_eq!(c.getbit(&key, 100).await?, 1);
        assert_eq!(c.getbit(k.key("none"), 3).await?, 0);
        // Bits of a plain string.
        c.set(k.key("s"), "a").await?;
        let bits: Vec<u64> = {
            let mut v = Vec::new();
            for i in 0..8 {
                v.push(c.getbit(k.key("s"), i).await?);
            }
            v
        };
        assert_eq!(bits, vec![0, 1, 1, 0, 0, 0, 0, 1]);
        // The server checks the value and the type.
        assert_server_error(c.setbit(&key, 1, 2).await, "ERR");
        c.rpush(k.key("list"), "x").await?;
        assert_server_error(c.getbit(k.key("list"), 0).await, "WRONGTYPE");
        assert_server_error(c.setbit(k.key("list"), 0, 1).await, "WRONGTYPE");
        Ok(())
    }
);

both!(
    async fn count_bits(c, k) {
        let key = k.key("s");
        assert_eq!(c.bitcount(&key).await?, 0);
        c.set(&key, "foobar").await?;
        assert_eq!(c.bitcount(&key).await?, 26);
        // A range is in bytes unless BIT says otherwise.
        assert_eq!(c.bitcount(&key).range(0, 0).await?, 4);
        assert_eq!(c.bitcount(&key).range(1, 1).await?, 6);
        assert_eq!(c.bitcount(&key).range(1, 1).byte().await?, 6);
        assert_eq!(c.bitcount(&key).range(-2, -1).byte().await?, 7);
        assert_eq!(c.bitcount(&key).range(5, 30).bit().await?, 17);
        assert_eq!(c.bitcount(&key).bit().range(0, 7).await?, 4);
        assert_eq!(c.bitcount(&key).range(0, -1).bit().await?, 26);
        assert_eq!(c.bitcount(&key).range(10, 5).await?, 0);
        assert_eq!(c.bitcount(k.key("none")).range(0, -1).await?, 0);
        // BYTE and BIT need a range: refused before sending.
        assert_argument_error(c.bitcount(&key).bit().await, "BITCOUNT");
        assert_argument_error(c.bitcount(&key).byte().await, "BITCOUNT");
        c.rpush(k.key("list"), "x").await?;
        assert_server_error(c.bitcount(k.key("list")).await, "WRONGTYPE");
        Ok(())
    }
);

both!(
    async fn find_bits(c, k) {
        let key = k.key("s");
        c.set(&key, [0xffu8, 0xf0, 0x00]).await?;
        assert_eq!(c.bitpos(&key, 0).await?, 12);
        assert_eq!(c.bitpos(&key, 1).await?, 0);
        c.set(&key, [0x00u8, 0xff, 0xf0]).await?;
        assert_eq!(c.bitpos(&key, 1).start(0).await?, 8);
        assert_eq!(c.bitpos(&key, 1).start(2).await?, 16);
        assert_eq!(c.bitpos(&key, 1).start(2).end(-1).await?, 16);
        assert_eq!(c.bitpos(&key, 1).start(2).end(-1).byte().await?, 16);
        assert_eq!(c.bitpos(&key, 1).start(7).end(15).bit().await?, 8);
        assert_eq!(c.bitpos(&key, 0).start(8).end(19).bit().await?, -1);
        assert_eq!(c.bitpos(&key, 0).start(8).end(20).bit().await?, 20);
        c.set(&key, [0x00u8, 0x00, 0x00]).await?;
        assert_eq!(c.bitpos(&key, 1).await?, -1);
        assert_eq!(c.bitpos(&key, 1).start(7).end(-3).bit().await?, -1);
        // Looking for a clear bit in all ones: just past the end, unless the range has an end.
        c.set(&key, [0xffu8, 0xff, 0xff]).await?;
        assert_eq!(c.bitpos(&key, 0).await?, 24);
        assert_eq!(c.bitpos(&key, 0).start(1).await?, 24);
        assert_eq!(c.bitpos(&key, 0).start(0).end(-1).await?, -1);
        // A missing key is all zeros.
        assert_eq!(c.bitpos(k.key("none"), 0).await?, 0);
        assert_eq!(c.bitpos(k.key("none"), 1).await?, -1);
        // END needs START, BYTE/BIT need END: refused before sending.
        assert_argument_error(c.bitpos(&key, 1).end(2).await, "BITPOS");
        assert_argument_error(c.bitpos(&key, 1).start(0).bit().await, "BITPOS");
        assert_argument_error(c.bitpos(&key, 1).byte().await, "BITPOS");
        assert_argument_error(c.bitpos(&key, 1).bit().await, "BITPOS");
        // The server checks the bit.
        assert_server_error(c.bitpos(&key, 2).await, "ERR");
        Ok(())
    }
);

both!(
    async fn bit_operations(c, k) {
        let (a, b_, dst, none) = (k.key("{op}a"), k.key("{op}b"), k.key("{op}dst"), k.key("{op}none"));
        c.set(&a, [0xf0u8, 0x0f]).await?;
        c.set(&b_, [0xffu8]).await?;
        // The reply is the length of the result; shorter inputs are padded with zeros.
        assert_eq!(c.bitop("AND", &dst, [&a, &b_]).await?, 2);
        assert_eq!(c.get(&dst).await?, Some(b(&[0xf0, 0x00])));
        assert_eq!(c.bitop("OR", &dst, [&a, &b_]).await?, 2);
        assert_eq!(c.get(&dst).await?, Some(b(&[0xff, 0x0f])));
        assert_eq!(c.bitop("XOR", &dst, [&a, &b_]).await?, 2);
        assert_eq!(c.get(&dst).await?, Some(b(&[0x0f, 0x0f])));
        assert_eq!(c.bitop("not", &dst, &a).await?, 2);
        assert_eq!(c.get(&dst).await?, Some(b(&[0x0f, 0xf0])));
        assert_eq!(c.bitop(b"OR", &dst, [&a, &b_, &none]).await?, 2);
        assert_eq!(c.get(&dst).await?, Some(b(&[0xff, 0x0f])));
        // Only missing inputs: an empty result deletes the destination.
        assert_eq!(c.bitop("AND", &dst, &none).await?, 0);
        assert_eq!(c.exists(&dst).await?, 0);
        // The server checks the operation and NOT's single key; an empty key list is refused first.
        assert_server_error(c.bitop("NOT", &dst, [&a, &b_]).await, "ERR");
        assert_server_error(c.bitop("NAND", &dst, [&a, &b_]).await, "ERR");
        assert_argument_error(c.bitop("AND", &dst, Vec::<String>::new()).await, "BITOP");
        Ok(())
    }
);

both!(
    async fn bitfield_operations(c, k) {
        let key = k.key("f");
        // SET replies with the old value, GET with the current one, in the order of the calls.
        assert_eq!(c.bitfield(&key).set("u8", 0, 200).get("u8", 0).await?, vec![Some(0), Some(200)]);
        assert_eq!(c.get(&key).await?, Some(b(&[200])));
        // INCRBY wraps by default.
        assert_eq!(c.bitfield(&key).incrby("u8", 0, 100).await?, vec![Some(44)]);
        assert_eq!(c.bitfield(&key).overflow(BitfieldOverflow::Wrap).incrby("u8", 0, -50).await?, vec![Some(250)]);
        // SAT stops at the limits.
        assert_eq!(c.bitfield(&key).overflow(BitfieldOverflow::Sat).incrby("u8", 0, 100).await?, vec![Some(255)]);
        // FAIL does nothing and gives None.
        assert_eq!(c.bitfield(&key).overflow(BitfieldOverflow::Fail).incrby("u8", 0, 1).await?, vec![None]);
        assert_eq!(c.bitfield(&key).get("u8", 0).await?, vec![Some(255)]);
        // OVERFLOW applies to the INCRBYs after it; several in one call.
        let r = c
            .bitfield(&key)
            .incrby("u2", 100, 5)
            .overflow(BitfieldOverflow::Fail)
            .incrby("u2", 102, 5)
            .incrby("u2", 102, 1)
            .overflow(BitfieldOverflow::Sat)
            .incrby("u2", 104, 7)
            .await?;
        assert_eq!(r, vec![Some(1), None, Some(1), Some(3)]);
        // Signed fields.
        assert_eq!(c.bitfield(&key).set("i5", 200, 10).incrby("i5", 200, 10).await?, vec![Some(0), Some(-12)]);
        assert_eq!(c.bitfield(&key).overflow(BitfieldOverflow::Sat).incrby("i5", 200, -100).await?, vec![Some(-16)]);
        assert_eq!(c.bitfield(&key).overflow(BitfieldOverflow::Fail).incrby("i5", 200, -1).await?, vec![None]);
        assert_eq!(c.bitfield(&key).get("i5", 200).get("u5", 200).await?, vec![Some(-16), Some(16)]);
        // Wide fields and reads past the end.
        assert_eq!(c.bitfield(&key).set("i64", 256, i64::MIN).get("i64", 256).await?, vec![Some(0), Some(i64::MIN)]);
        assert_eq!(c.bitfield(&key).get("u63", 256).await?, vec![Some(1 << 62)]);
        assert_eq!(c.bitfield(&key).get("u16", 100_000).await?, vec![Some(0)]);
        assert_eq!(c.bitfield(k.key("none")).get("i8", 0).await?, vec![Some(0)]);
        // No operation: an empty reply.
        assert_eq!(c.bitfield(&key).await?, vec![]);
        // The server checks the encoding.
        assert_server_error(c.bitfield(&key).get("u64", 0).await, "ERR");
        assert_server_error(c.bitfield(&key).set("x8", 0, 1).await, "ERR");
        Ok(())
    }
);

both!(
    async fn bitfield_read_only(c, k) {
        let key = k.key("f");
        c.bitfield(&key).set("u8", 0, 255).set("i8", 8, -3).set("u4", 16, 9).await?;
        assert_eq!(c.bitfield_ro(&key).get([("u8", 0)]).await?, vec![255]);
        assert_eq!(c.bitfield_ro(&key).get([("i8", 0), ("i8", 8), ("u4", 16)]).await?, vec![-1, -3, 9]);
        // Calling GET again adds more.
        assert_eq!(c.bitfield_ro(&key).get([("u4", 16)]).get(vec![("u8", 8), ("u1", 0)]).await?, vec![9, 253, 1]);
        let fields = vec![("u16".to_string(), 0i64), ("u2".to_string(), 16)];
        assert_eq!(c.bitfield_ro(&key).get(fields).await?, vec![0xfffd, 2]);
        assert_eq!(c.bitfield_ro(k.key("none")).get([("u8", 0)]).await?, vec![0]);
        assert_eq!(c.bitfield_ro(&key).await?, Vec::<i64>::new());
        // Read-only: the value is unchanged.
        assert_eq!(c.get(&key).await?, Some(b(&[0xff, 0xfd, 0x90])));
        assert_server_error(c.bitfield_ro(&key).get([("i65", 0)]).await, "ERR");
        Ok(())
    }
);
