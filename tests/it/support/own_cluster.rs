//! A cluster of the test's own: 3 primaries and a replica of each, for tests that fail
//! nodes over, crash them or move slots, which the shared test cluster must not suffer.

use tredis::prelude::*;
use tredis::{Client, Protocol};

use super::proxy::Proxy;
use super::server::OwnServer;
use super::wait_until;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held by each test with a cluster of its own: six more servers per test would starve a
/// small machine, and the elections the tests wait for run on timers.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// One node of the cluster, with a plain client of it.
pub struct Member {
    /// The server.
    pub server: OwnServer,
    /// A client of this node alone.
    pub admin: Client,
    /// Its node ID.
    pub id: String,
}

impl Member {
    /// A new cluster node (node timeout 2 s) that knows no other yet.
    pub async fn start() -> Member {
        let server = OwnServer::cluster_node_with_timeout(2000);
        let admin = super::client_for(&server.url(), Protocol::Resp3).await;
        let id = admin.cluster_myid().await.unwrap();
        Member { server, admin, id }
    }

    /// A new Valkey cluster node (node timeout 2 s) that knows no other yet.
    pub async fn start_valkey() -> Member {
        let server = OwnServer::valkey_cluster_node();
        let admin = super::client_for(&server.url(), Protocol::Resp3).await;
        let id = admin.cluster_myid().await.unwrap();
        Member { server, admin, id }
    }

    /// A new TLS-only cluster node (its bus too), certificates of the run's own.
    pub async fn start_tls() -> Member {
        let certs = super::certs::certs();
        let server = OwnServer::cluster_node_tls(2000, &certs.args("server.pem", false));
        let admin = Client::builder().url(&server.url()).tls(certs.client()).build().unwrap();
        admin.ready().await.unwrap();
        let id = admin.cluster_myid().await.unwrap();
        Member { server, admin, id }
    }

    /// Introduces `other` to this node's cluster (CLUSTER MEET).
    pub async fn meet(&self, other: &Member) {
        let bus = u64::from(other.server.cluster_port().unwrap());
        self.admin
            .cluster_meet("127.0.0.1", u64::from(other.server.port()))
            .cluster_bus_port(bus)
            .await
            .unwrap();
    }
}

/// Three primaries with a third of the slots each, and a replica of each: members `i` and
/// `i + 3` form shard `i`. Three primaries are the fewest that can elect a replica of a dead
/// one (a majority of primaries must agree).
pub async fn small_cluster() -> Vec<Member> {
    let mut members = Vec::new();
    for _ in 0..6 {
        members.push(Member::start().await);
    }
    form(members).await
}

/// [`small_cluster`] of Valkey nodes.
pub async fn small_valkey_cluster() -> Vec<Member> {
    let mut members = Vec::new();
    for _ in 0..6 {
        members.push(Member::start_valkey().await);
    }
    form(members).await
}

/// [`small_cluster`] over TLS: clients, replication and the cluster bus.
pub async fn small_tls_cluster() -> Vec<Member> {
    let mut members = Vec::new();
    for _ in 0..6 {
        members.push(Member::start_tls().await);
    }
    form(members).await
}

/// Makes a cluster of six members: slots to the first three, each of the others a replica.
async fn form(members: Vec<Member>) -> Vec<Member> {
    for (i, range) in [(0, 5460), (5461, 10922), (10923, 16383)].into_iter().enumerate() {
        members[i].admin.cluster_addslotsrange([range]).await.unwrap();
    }
    for m in &members[1..] {
        members[0].meet(m).await;
    }
    wait_until("every node knows every other", || async {
        let mut all = true;
        for m in &members {
            all &= m.admin.cluster_info().await.unwrap().known_nodes == 6;
        }
        all
    })
    .await;
    for i in 0..3 {
        members[i + 3].admin.cluster_replicate(&members[i].id).await.unwrap();
    }
    wait_until("the cluster is ok with every replica attached", || async {
        let mut ok = true;
        for m in &members {
            ok &= m.admin.cluster_info().await.unwrap().is_ok();
        }
        for m in &members[..3] {
            ok &= m.admin.cluster_replicas(&m.id).await.is_ok_and(|r| r.len() == 1);
        }
        // A client learns the replicas from CLUSTER SLOTS, which lists them only once in sync.
        #[allow(deprecated)] // CLUSTER SLOTS is what the client reads.
        for m in &members {
            ok &= m.admin.cluster_slots().await.is_ok_and(|r| r.iter().all(|r| r.nodes.len() == 2));
        }
        ok
    })
    .await;
    members
}

/// [`small_cluster`], each node behind a fault proxy of its own whose port it announces:
/// clients learn the proxies' addresses from CLUSTER SLOTS and redirections, and reach the
/// nodes through them only. The cluster bus stays direct, so a fault on a proxy is a fault
/// between client and node alone, as a broken client-side link would be.
pub async fn proxied_cluster() -> (Vec<Member>, Vec<Proxy>) {
    let members = small_cluster().await;
    let mut proxies = Vec::new();
    for m in &members {
        let proxy = Proxy::start(&format!("127.0.0.1:{}", m.server.port())).await;
        let bus = m.server.cluster_port().unwrap().to_string();
        let port = proxy.addr().port().to_string();
        m.admin
            .config_set([
                ("cluster-announce-bus-port", bus.as_str()),
                ("cluster-announce-port", port.as_str()),
            ])
            .await
            .unwrap();
        proxies.push(proxy);
    }
    let ports: Vec<u16> = proxies.iter().map(|p| p.addr().port()).collect();
    wait_until("every node names the proxies", || async {
        let mut all = true;
        #[allow(deprecated)] // CLUSTER SLOTS is what the client reads.
        for m in &members {
            all &= m
                .admin
                .cluster_slots()
                .await
                .is_ok_and(|r| r.iter().flat_map(|r| &r.nodes).all(|n| ports.contains(&n.port)));
        }
        all
    })
    .await;
    (members, proxies)
}
