//! Pipelines and transactions of any shape (`Queue`): any number of requests of any commands,
//! raw ones included, built in a loop; each answer read by its handle, typed as its method
//! says, or as a value; per-command errors; EXECABORT and WATCH in a transaction.

use std::time::Duration;

use bytes::Bytes;
use tredis::prelude::*;
use tredis::{Queue, Queued, Value};

use crate::both;
use crate::support::b;

both!(
    async fn a_pipeline_of_a_hundred_mixed_commands_built_in_a_loop(c, k) {
        c.set(k.key("text"), "abc").await?;
        let p = c.pipeline();
        let mut q = Queue::new();
        let mut counters: Vec<Queued<i64>> = Vec::new();
        let mut sets: Vec<Queued<()>> = Vec::new();
        let mut fields: Vec<Queued<Value>> = Vec::new();
        let mut reads: Vec<Queued<Option<Bytes>>> = Vec::new();
        for i in 0..25 {
            counters.push(q.push(p.incrby(k.key("n"), i)));
            sets.push(q.push(p.set(k.key(&format!("s{i}")), i)));
            fields.push(q.push(p.raw("HSET").key(k.key("h")).arg(format!("f{i}")).arg(i)));
            reads.push(q.push(p.get(k.key(&format!("s{i}")))));
        }
        // One fails on the server, one is refused before sending: each alone.
        let failing = q.push(p.incr(k.key("text")));
        let refused = q.push(p.set(k.key("never"), "v").ex(Duration::from_millis(1500)));
        let size = q.push(p.raw("HLEN").key(k.key("h")));
        assert_eq!(q.len(), 103);
        let mut answers = p.execute(q).await;
        assert_eq!(answers.len(), 103);
        let mut total = 0;
        for (i, (((n, s), f), r)) in counters.into_iter().zip(sets).zip(fields).zip(reads).enumerate() {
            total += i as i64;
            assert_eq!(answers.take(n)?, total);
            answers.take(s)?;
            assert_eq!(answers.take(f)?, Value::Int(1));
            assert_eq!(answers.take(r)?, Some(b(&i.to_string())));
        }
        let failing = answers.take(failing).unwrap_err();
        assert_eq!((failing.code(), failing.command()), (Some("ERR"), Some("INCR")), "{failing}");
        assert_eq!(answers.take(refused).unwrap_err().kind(), ErrorKind::Argument);
        assert_eq!(answers.take(size)?, Value::Int(25));
        assert_eq!(c.exists(k.key("never")).await?, 0);
        assert_eq!(c.get(k.key("text")).await?, Some(b("abc")), "the connection is in step");
        Ok(())
    }
);

both!(
    async fn dynamic_answers_read_as_values(c, k) {
        let p = c.pipeline();
        let mut q = Queue::new();
        for _ in 0..10 {
            let _ = q.push(p.incr(k.key("n")));
        }
        let _ = q.push(p.raw("NO.SUCH.COMMAND"));
        let mut values = p.execute(q).await.into_iter();
        for n in 1..=10 {
            assert_eq!(values.next().unwrap()?, Value::Int(n));
        }
        assert_eq!(values.next().unwrap().unwrap_err().command(), Some("NO.SUCH.COMMAND"));
        assert!(values.next().is_none());

        let mut q = Queue::new();
        let typed = q.push(p.get(k.key("n")));
        let other = q.push(p.get(k.key("n")));
        let missing = q.push(p.get(k.key("missing")));
        let mut answers = p.execute(q).await;
        assert_eq!(answers.take(typed.as_value())?, Value::Bulk(b("10")));
        assert_eq!(answers.take_value(other.index()).expect("not taken")?, Value::Bulk(b("10")));
        assert!(answers.take_value(other.index()).is_none(), "an answer is taken once");
        assert!(answers.take_value(99).is_none());
        let left: Vec<Value> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(left, vec![Value::Null], "only `missing` is left");
        drop(missing);
        // An empty queue sends nothing.
        assert!(p.execute(Queue::new()).await.is_empty());
        Ok(())
    }
);

both!(
    async fn a_transaction_of_any_shape(c, k) {
        let tx = c.multi();
        let mut q = Queue::new();
        let incrs: Vec<Queued<i64>> = (0..20).map(|_| q.push(tx.incr(k.key("n")))).collect();
        let seen = q.push(tx.raw("GET").key(k.key("n")));
        let mut answers = tx.exec(q).await?.expect("no WATCH, so it runs");
        for (i, h) in incrs.into_iter().enumerate() {
            assert_eq!(answers.take(h)?, i as i64 + 1);
        }
        assert_eq!(answers.take(seen)?, Value::Bulk(b("20")));

        // A command the server refuses to queue discards the whole transaction: EXECABORT.
        let mut q = Queue::new();
        let _ = q.push(tx.incr(k.key("n")));
        let _ = q.push(tx.raw("NO.SUCH.COMMAND").arg(1));
        let _ = q.push(tx.incr(k.key("n")));
        let e = tx.exec(q).await.unwrap_err();
        assert_eq!(e.code(), Some("EXECABORT"), "{e}");
        assert!(e.is_unexecuted());
        assert!(e.to_string().contains("unknown command"), "names the refused command: {e}");
        assert_eq!(c.get(k.key("n")).await?, Some(b("20")), "nothing ran");

        // A bad argument sends nothing at all.
        let mut q = Queue::new();
        let _ = q.push(tx.incr(k.key("n")));
        let _ = q.push(tx.set(k.key("s"), "v").ex(Duration::from_millis(1)));
        assert_eq!(tx.exec(q).await.unwrap_err().kind(), ErrorKind::Argument);
        assert_eq!(c.get(k.key("n")).await?, Some(b("20")));

        // WATCH: a watched key that changed before EXEC, and nothing runs.
        let tx = c.watch(k.key("n")).await?;
        c.incr(k.key("n")).await?;
        let mut q = Queue::new();
        let _ = q.push(tx.incr(k.key("n")));
        let _ = q.push(tx.raw("SET").key(k.key("s")).arg("v"));
        assert!(tx.exec(q).await?.is_none());
        assert_eq!(c.get(k.key("n")).await?, Some(b("21")));
        assert_eq!(c.exists(k.key("s")).await?, 0);
        Ok(())
    }
);
