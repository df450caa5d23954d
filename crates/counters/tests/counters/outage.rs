//! Redis down: `apply` fails fast with an error; back: the same counters work.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use phoneguard_core::risk::RiskCounters;
use phoneguard_risk::{CounterOp, CounterReading, Slot};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::{clean, counters, fresh_prefix, server};

/// Forwards connections on `listen` to `upstream` until stopped (an outage
/// without stopping the Redis other tests use).
struct Proxy {
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(listen: SocketAddr, upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(listen).await.unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { tasks }
    }

    async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_redis_outage_is_an_error_and_the_counters_recover_by_themselves() {
    let url = server();
    let info = redis::Client::open(url.as_str()).unwrap();
    let upstream = match &info.get_connection_info().addr() {
        redis::ConnectionAddr::Tcp(host, port) => tokio::net::lookup_host((host.as_str(), *port))
            .await
            .unwrap()
            .next()
            .unwrap(),
        other => panic!("TCP Redis expected, got {other:?}"),
    };
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = free.local_addr().unwrap();
    drop(free);
    let proxy = Proxy::start(listen, upstream).await;
    let prefix = fresh_prefix("outage");
    let c = counters(&format!("redis://{listen}"), &prefix);
    let hit = [CounterOp::Hit {
        slot: Slot::Ip,
        key: "ip:x".into(),
        record: true,
    }];
    c.connect().await.unwrap();
    c.apply(&hit, 1_700_000_000).await.unwrap();

    proxy.stop().await;
    let started = Instant::now();
    for _ in 0..3 {
        assert!(c.apply(&hit, 1_700_000_000).await.is_err());
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let proxy = Proxy::start(listen, upstream).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let read = loop {
        match c.apply(&hit, 1_700_000_000).await {
            Ok(v) => break v,
            Err(e) if Instant::now() < deadline => {
                eprintln!("still down: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("counters did not recover: {e}"),
        }
    };
    assert_eq!(
        read.iter().next().map(|(_, r)| *r),
        Some(CounterReading::Windows([2, 2, 2])),
        "the count from before the outage is still there"
    );
    proxy.stop().await;
    clean(&url, &prefix).await;
}
