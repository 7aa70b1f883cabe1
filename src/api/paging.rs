//! Lists as integrators page and sort them: `?limit=&offset=&sort=` read once for every list,
//! and the answer `{items, total, limit, offset}` with a `Link` header (RFC 8288) to the
//! `first`, `prev`, `next` and `last` pages of the same query.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{KnownFormat, SchemaFormat};

use super::error::ApiError;
use super::extract::{ApiQuery, Page};
use super::responses::ListResponse;
use crate::repositories::Paged;
use crate::repositories::sort::{Sort, SortKey};
use crate::state::AppState;

/// The paging part of a list's query.
#[derive(Debug, Deserialize)]
struct WindowQuery {
    limit: Option<u64>,
    offset: Option<u64>,
    sort: Option<String>,
}

/// Which page of a list, in which order (keys `K`), and where it was asked for.
#[derive(Debug)]
pub struct ListWindow<K> {
    /// Page size and rows skipped.
    pub page: Page,
    /// The order asked for, else the list's default.
    pub sort: Sort<K>,
    /// The request's path and query, for the links to other pages.
    path: String,
    query: Vec<(String, String)>,
    base: String,
}

impl<K: SortKey> FromRequestParts<Arc<AppState>> for ListWindow<K> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let ApiQuery(window) = ApiQuery::<WindowQuery>::from_request_parts(parts, state).await?;
        let page = Page::new(window.limit, window.offset)?;
        let sort = match window.sort.as_deref() {
            Some(text) => text
                .parse::<Sort<K>>()
                .map_err(|message| ApiError::invalid("sort", message))?,
            None => Sort::default(),
        };
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
        let query = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
        Ok(Self {
            page,
            sort,
            path: uri.path().to_owned(),
            query,
            base: state
                .settings
                .public_base_url
                .trim_end_matches('/')
                .to_owned(),
        })
    }
}

impl<K> ListWindow<K> {
    /// The answer for a page of rows, each converted.
    pub fn answer<R, T>(&self, paged: Paged<R>, convert: impl Fn(R) -> T) -> Listed<T> {
        let body = ListResponse::from_page(paged, self.page, convert);
        let link = HeaderValue::from_str(&self.links(body.total)).ok();
        Listed { body, link }
    }

    /// The `Link` header's value for a list of `total` rows.
    fn links(&self, total: u64) -> String {
        let Page { limit, offset } = self.page;
        let last = total.saturating_sub(1) / limit * limit;
        let mut links = vec![(0, "first")];
        if offset > 0 {
            links.push((offset.saturating_sub(limit).min(last), "prev"));
        }
        if offset + limit < total {
            links.push((offset + limit, "next"));
        }
        links.push((last, "last"));
        links
            .into_iter()
            .map(|(at, rel)| format!("<{}>; rel=\"{rel}\"", self.url_at(at)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// This request's URL with `offset` set to `at` (and `limit` to the page size).
    fn url_at(&self, at: u64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query {
            if name != "offset" && name != "limit" {
                query.append_pair(name, value);
            }
        }
        query.append_pair("limit", &self.page.limit.to_string());
        query.append_pair("offset", &at.to_string());
        format!("{}{}?{}", self.base, self.path, query.finish())
    }
}

impl<K: SortKey> utoipa::IntoParams for ListWindow<K> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let integer = |minimum: u64, maximum: u64| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(minimum as f64))
                .maximum(Some(maximum as f64))
        };
        let keys: Vec<&str> = K::KEYS.iter().map(|(name, _)| *name).collect();
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .description(Some(format!(
                    "Page size: 1 to {}; default {}.",
                    Page::MAX_LIMIT,
                    Page::DEFAULT_LIMIT
                )))
                .schema(Some(integer(1, Page::MAX_LIMIT)))
                .build(),
            ParameterBuilder::new()
                .name("offset")
                .parameter_in(ParameterIn::Query)
                .description(Some(format!(
                    "Items to skip before the page: 0 to {}; default 0.",
                    Page::MAX_OFFSET
                )))
                .schema(Some(integer(0, Page::MAX_OFFSET)))
                .build(),
            ParameterBuilder::new()
                .name("sort")
                .parameter_in(ParameterIn::Query)
                .description(Some(format!(
                    "Order: {}, each ascending, or descending with a leading `-`; ties keep \
                     the order rows were created in. Default `{}`.",
                    keys.iter()
                        .map(|key| format!("`{key}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Sort::<K>::default()
                )))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(Sort::<K>::values())),
                ))
                .build(),
        ]
    }
}

/// A page of a list, answered as JSON with its `Link` header.
#[derive(Debug)]
pub struct Listed<T> {
    body: ListResponse<T>,
    link: Option<HeaderValue>,
}

impl<T: Serialize> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.body).into_response();
        if let Some(link) = self.link {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}
