//! Middleware around every route: request ids, tracing, CORS, timeouts, panics caught, and every
//! error answered as a problem — including those axum and tower produce themselves (404, 405,
//! 408, 413).

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self as axum_middleware, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, Any as AnyOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use super::error::{ApiError, FinalErrorBody, PROBLEM_JSON, REQUEST_ID, problem_response};
use crate::config::Settings;
use crate::state::AppState;

/// 404 for any path no route matches.
pub async fn route_not_found() -> ApiError {
    ApiError::NotFound
}

/// Wraps the router in the middleware stack (outermost first).
pub fn wrap(router: Router<Arc<AppState>>, settings: &Settings) -> Router<Arc<AppState>> {
    let x_request_id = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %loggable_path(request.uri().path()),
                request_id,
            )
        })
        .on_request(())
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO));
    // Innermost first: each `layer` wraps everything added before it.
    router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum_middleware::from_fn(record_metrics))
        .layer(axum_middleware::from_fn_with_state(
            settings.public_base_url.starts_with("https://"),
            security_headers,
        ))
        .layer(axum_middleware::from_fn_with_state(
            Duration::from_secs(settings.request_timeout_seconds),
            time_limit,
        ))
        .layer(axum_middleware::map_response(problem_for_bare_errors))
        .layer(axum_middleware::from_fn(scope_request_id))
        .layer(cors(settings))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

/// Headers every answer carries: no sniffing, no framing, no referrer, a content policy (the
/// bundled Swagger UI gets one that lets its own scripts run), and HSTS behind https.
async fn security_headers(
    State(https): State<bool>,
    request: Request,
    next: axum_middleware::Next,
) -> Response {
    let docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    };
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CONTENT_SECURITY_POLICY, policy);
    if https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// Counts each request by route template and status, and times it.
async fn record_metrics(request: Request, next: axum_middleware::Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Paths that carry secrets in a segment are logged with the segment masked.
fn loggable_path(path: &str) -> String {
    const TOKEN_PREFIXES: [&str; 3] = ["/pay/", "/d/", "/unsubscribe/"];
    for prefix in TOKEN_PREFIXES {
        if let Some(index) = path.find(prefix) {
            return format!("{}{{token}}", &path[..index + prefix.len()]);
        }
    }
    path.to_owned()
}

fn cors(settings: &Settings) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::LOCATION,
        ])
        .max_age(Duration::from_secs(600));
    if settings.cors_origins.iter().any(|origin| origin == "*") {
        return layer.allow_origin(AnyOrigin);
    }
    let origins: Vec<HeaderValue> = settings
        .cors_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    layer.allow_origin(AllowOrigin::list(origins))
}

/// Bounds every request by `REQUEST_TIMEOUT_SECONDS`; a CSV import, which may carry 100,000
/// rows, gets twenty times as long.
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let limit = if request.uri().path().ends_with("/clients/import") {
        limit * 20
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs(), "request timed out");
            ApiError::Unavailable("The request took too long.".into()).into_response()
        }
    }
}

async fn scope_request_id(request: Request, next: Next) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    REQUEST_ID.scope(id, next.run(request)).await
}

/// Rewrites error responses that are not problems yet (axum's 405, a 413 from a limit, a
/// timeout) into problems, keeping their headers (`Allow`, …).
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    // Problems, and the HTML pages shown to clients (payment links), are answers already.
    let answered = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            value.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || value.as_bytes().starts_with(b"text/html")
        });
    let answered = answered || response.extensions().get::<FinalErrorBody>().is_some();
    if !(status.is_client_error() || status.is_server_error()) || answered {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("This media type is not accepted here.".into())
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            ApiError::Unavailable("The request took too long or a dependency is down.".into())
        }
        other if other.is_server_error() => {
            ApiError::Internal(anyhow::anyhow!("bare {other} response"))
        }
        other => ApiError::BadRequest(format!(
            "{}.",
            other.canonical_reason().unwrap_or("Bad request")
        )),
    };
    let problem = error.into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.status = problem_parts.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    problem_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "An unexpected error occurred; it has been logged.".into(),
        Vec::new(),
    )
}
