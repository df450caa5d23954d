//! http-floor: the floor of the HTTP stack phoneguard uses: axum 0.8 + hyper 1 + tokio, a route
//! answering the same fixed 300-byte JSON as the nginx ceiling, with phoneguard's
//! layers switched on one by one through LAYERS (comma list):
//! limit, timeout, catch, problemize, track (metrics counter+histogram), reqid (uuid v4).
//! RT=ct runs a current-thread runtime; WORKERS=n sets multi-thread workers.
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

const BODY: &str = r#"{"number":"+8613800138000","national":"13800138000","country":"CN","valid":true,"location":{"province":"北京","city":"北京","area_code":"010","zip":"100000"},"carrier":{"code":"cmcc","name":"中国移动","network":"mno","segment":"138"},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;

async fn number() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

async fn problemize(resp: Response) -> Response {
    if resp.status().as_u16() < 400 {
        return resp;
    }
    resp
}

async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(start.elapsed().as_secs_f64());
    resp
}

fn main() {
    let layers = std::env::var("LAYERS").unwrap_or_default();
    let on = |l: &str| layers.split(',').any(|x| x == l || x == "all");
    let rec = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let _ = metrics::set_global_recorder(rec);
    let mut app = Router::new().route("/v1/numbers/{number}", get(number));
    if on("limit") {
        app = app
            .layer(DefaultBodyLimit::max(65536))
            .layer(RequestBodyLimitLayer::new(65536));
    }
    if on("timeout") {
        app = app.layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ));
    }
    if on("catch") {
        app = app.layer(CatchPanicLayer::new());
    }
    if on("problemize") {
        app = app.layer(axum::middleware::map_response(problemize));
    }
    if on("track") {
        app = app.layer(axum::middleware::from_fn(track));
    }
    if on("reqid") {
        app = app
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    }
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:18190".into());
    let rt = match std::env::var("RT").as_deref() {
        Ok("ct") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            if let Ok(w) = std::env::var("WORKERS") {
                b.worker_threads(w.parse().unwrap());
            }
            b.enable_all().build()
        }
    }
    .unwrap();
    rt.block_on(async move {
        let l = tokio::net::TcpListener::bind(&addr).await.unwrap();
        println!("listening on http://{addr} layers={layers}");
        axum::serve(l, app).await.unwrap();
    });
}
