//! The connection group: every command that makes sense on a shared connection.

use std::time::Duration;

use bytes::Bytes;
use tredis::commands::connection::ClientType;
use tredis::prelude::*;
use tredis::Protocol;

use crate::both;
use crate::support;

both!(
    async fn ping_and_echo(c, _k) {
        c.ping().await?;
        assert_eq!(c.ping().message("hi").await?, Bytes::from("hi"));
        assert_eq!(c.echo("hello").await?, Bytes::from("hello"));
        Ok(())
    }
);

both!(
    async fn client_identity(c, _k) {
        let id = c.client_id().await?;
        let info = c.client_info().await?;
        assert_eq!(info.id(), Some(id));
        assert_eq!(info.db(), Some(0));
        assert!(matches!(info.resp(), Some(2 | 3)));
        assert_eq!(c.client_getname().await?, None);
        assert_eq!(c.client_getredir().await?, -1);
        assert!(!c.client_help().await?.is_empty());
        let all = c.client_list().await?;
        assert!(all.iter().any(|i| i.id() == Some(id)));
        let mine = c.client_list().id(id).await?;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].addr(), info.addr());
        let normal = c.client_list().client_type(ClientType::Normal).await?;
        assert!(normal.iter().any(|i| i.id() == Some(id)));
        let replicas = c.client_list().client_type(ClientType::Replica).await?;
        assert!(replicas.iter().all(|i| i.id() != Some(id)));
        c.client_no_evict(true).await?;
        c.client_no_evict(false).await?;
        Ok(())
    }
);

/// The protocol the client negotiated shows in CLIENT INFO.
#[tokio::test]
async fn protocol_is_negotiated() {
    let _g = support::shared().await;
    for (proto, resp) in [(Protocol::Resp2, 2), (Protocol::Resp3, 3)] {
        let c = support::client(proto).await;
        assert_eq!(c.client_info().await.unwrap().resp(), Some(resp));
    }
}

both!(
    async fn client_kill_by_filters(c, k) {
        let victim = k.client(Protocol::Resp3).await;
        let info = victim.client_info().await?;
        let id = info.id().unwrap();
        let addr = info.addr().unwrap().to_string();
        let laddr = info.get("laddr").unwrap().to_string();
        // Every filter must match for a connection to be killed.
        assert_eq!(c.client_kill().id(id).client_type(ClientType::Pubsub).await?, 0);
        let n = c
            .client_kill()
            .id(id)
            .addr(&addr)
            .laddr(&laddr)
            .user("default")
            .client_type(ClientType::Normal)
            .skipme(true)
            .await?;
        assert_eq!(n, 1);
        // The killed client reconnects on its own.
        assert_ne!(victim.client_id().await?, id);
        // No filter at all is a server error, not a hang.
        assert!(c.client_kill().await.is_err());
        Ok(())
    }
);

both!(
    async fn client_tracking_modes(c, k) {
        let other = k.client(Protocol::Resp3).await;
        let redirect = other.client_id().await?;
        c.client_tracking(true).redirect(redirect).bcast().prefix(["t:a", "t:b"]).noloop().await?;
        let info = c.client_trackinginfo().await?;
        assert!(info.flags.iter().any(|f| f == "bcast"), "{info:?}");
        assert!(info.flags.iter().any(|f| f == "noloop"), "{info:?}");
        assert_eq!(info.redirect, redirect as i64);
        assert_eq!(info.prefixes.len(), 2);
        assert_eq!(c.client_getredir().await?, redirect as i64);
        c.client_tracking(false).await?;
        c.client_tracking(true).redirect(redirect).optin().await?;
        assert!(c.client_trackinginfo().await?.flags.iter().any(|f| f == "optin"));
        c.client_tracking(false).await?;
        c.client_tracking(true).redirect(redirect).optout().await?;
        assert!(c.client_trackinginfo().await?.flags.iter().any(|f| f == "optout"));
        c.client_tracking(false).await?;
        assert_eq!(c.client_trackinginfo().await?.flags, vec!["off".to_string()]);
        Ok(())
    }
);

both!(
    async fn client_unblock_a_waiting_client(c, k) {
        for how in 0..3 {
            // Blocking commands run on a connection of their own, found by its name.
            let name = format!("unblock-{how}-{}", k.key("").len());
            let blocked = k.named_client(&name, Protocol::Resp3).await;
            let waiter = tokio::spawn(async move { blocked.wait(1, Duration::from_secs(10)).await });
            let id = support::blocked_id(&c, &name).await;
            let unblocked = match how {
                0 => c.client_unblock(id).await?,
                1 => c.client_unblock(id).timeout().await?,
                _ => c.client_unblock(id).error().await?,
            };
            assert!(unblocked);
            let result = waiter.await.expect("task");
            if how == 2 {
                assert_eq!(result.unwrap_err().code(), Some("UNBLOCKED"));
            } else {
                assert_eq!(result?, 0);
            }
        }
        assert!(!c.client_unblock(u64::MAX / 2).await?);
        Ok(())
    }
);

/// CLIENT PAUSE stops every client, so it runs alone.
#[tokio::test]
async fn client_pause_and_unpause() {
    let _g = support::exclusive().await;
    let c = support::client(Protocol::Resp3).await;
    let other = support::client(Protocol::Resp2).await;
    let k = support::Keys::new("client_pause", Protocol::Resp3);
    k.clean(&c).await;
    c.client_pause(Duration::from_secs(10)).write().await.unwrap();
    // Writes wait while reads pass.
    let write = tokio::spawn({
        let other = other.clone();
        let key = k.key("k");
        async move { other.set(key, "v").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!write.is_finished());
    // Reads from another connection pass (on the writer's own connection they would queue
    // behind its paused SET).
    let reader = support::client(Protocol::Resp3).await;
    assert_eq!(reader.get(k.key("k")).await.unwrap(), None);
    c.client_unpause().await.unwrap();
    write.await.unwrap().unwrap();
    c.client_pause(Duration::from_millis(50)).all().await.unwrap();
    c.client_pause(Duration::from_millis(20)).await.unwrap();
    c.client_unpause().await.unwrap();
    c.del(k.key("k")).await.unwrap();
}
