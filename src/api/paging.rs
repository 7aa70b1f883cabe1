//! Lists as integrators page and sort them: `?limit=&offset=&sort=` read once for every list,
//! and the answer `{items, total, limit, offset}` with a `Link` header (RFC 8288) to the
//! `first`, `prev`, `next` and `last` pages of the same query. The long lists (clients,
//! notifications) also page by key: `?after=<id>` continues after that item in the same order,
//! at the same cost however deep, and their `next` link carries it on.

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
    after: Option<i64>,
}

/// Which page of a list, in which order (keys `K`), and where it was asked for.
#[derive(Debug)]
pub struct ListWindow<K> {
    /// Page size and rows skipped.
    pub page: Page,
    /// The order asked for, else the list's default.
    pub sort: Sort<K>,
    /// Keyset paging: the page continues after the item with this id (`offset` is then 0).
    pub after: Option<i64>,
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
        if let Some(after) = window.after {
            check_after::<K>(after, &sort, page)?;
        }
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
            after: window.after,
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

/// `after` is only for lists and orders that page by key, and not with `offset`.
fn check_after<K: SortKey>(after: i64, sort: &Sort<K>, page: Page) -> Result<(), ApiError> {
    if K::KEYSET.is_empty() {
        return Err(ApiError::invalid(
            "after",
            "this list pages by offset only; use offset",
        ));
    }
    if !K::KEYSET.contains(&sort.key) {
        return Err(ApiError::invalid(
            "after",
            format!(
                "pages only the orders {}; use offset for sort={sort}",
                keyset_orders::<K>()
            ),
        ));
    }
    if page.offset > 0 {
        return Err(ApiError::invalid(
            "after",
            "cannot be combined with offset: give one or the other",
        ));
    }
    if after <= 0 {
        return Err(ApiError::invalid("after", "must be an item's id"));
    }
    Ok(())
}

/// The `sort` values keyset paging takes, for messages and the document.
fn keyset_orders<K: SortKey>() -> String {
    K::KEYS
        .iter()
        .filter(|(_, key)| K::KEYSET.contains(key))
        .map(|(name, _)| format!("`{name}`, `-{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a link points: an offset, or (keyset paging) after an item's id.
#[derive(Debug, Clone, Copy)]
enum Position {
    Offset(u64),
    After(i64),
}

impl<K> ListWindow<K> {
    /// The answer for a page of rows, each converted.
    pub fn answer<R, T>(&self, paged: Paged<R>, convert: impl Fn(R) -> T) -> Listed<T> {
        self.respond(paged, None, convert)
    }

    /// The answer for a page of a list that pages by key: `id` gives a row's id, for the
    /// `next` link of a page asked for by key.
    pub fn answer_by_key<R, T>(
        &self,
        paged: Paged<R>,
        id: impl Fn(&R) -> i64,
        convert: impl Fn(R) -> T,
    ) -> Listed<T> {
        let full = u64::try_from(paged.items.len()).is_ok_and(|n| n == self.page.limit);
        let last_id = paged.items.last().map(id).filter(|_| full);
        self.respond(paged, last_id, convert)
    }

    fn respond<R, T>(
        &self,
        paged: Paged<R>,
        last_id: Option<i64>,
        convert: impl Fn(R) -> T,
    ) -> Listed<T> {
        let body = ListResponse::from_page(paged, self.page, convert);
        let link = HeaderValue::from_str(&self.links(body.total, last_id)).ok();
        Listed { body, link }
    }

    /// The `Link` header's value for a list of `total` rows. A page asked for by key links to
    /// the next by key (when it was full: `last_id` is its last row), and to the first and last
    /// by offset.
    fn links(&self, total: u64, last_id: Option<i64>) -> String {
        let Page { limit, offset } = self.page;
        let last = total.saturating_sub(1) / limit * limit;
        let mut links = vec![(Position::Offset(0), "first")];
        if self.after.is_some() {
            if let Some(id) = last_id {
                links.push((Position::After(id), "next"));
            }
        } else {
            if offset > 0 {
                links.push((
                    Position::Offset(offset.saturating_sub(limit).min(last)),
                    "prev",
                ));
            }
            if offset + limit < total {
                links.push((Position::Offset(offset + limit), "next"));
            }
        }
        links.push((Position::Offset(last), "last"));
        links
            .into_iter()
            .map(|(at, rel)| format!("<{}>; rel=\"{rel}\"", self.url_at(at)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// This request's URL at `at` (and `limit` the page size).
    fn url_at(&self, at: Position) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query {
            if !matches!(name.as_str(), "offset" | "limit" | "after") {
                query.append_pair(name, value);
            }
        }
        query.append_pair("limit", &self.page.limit.to_string());
        match at {
            Position::Offset(offset) => query.append_pair("offset", &offset.to_string()),
            Position::After(id) => query.append_pair("after", &id.to_string()),
        };
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
        let mut params = vec![
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
        ];
        if !K::KEYSET.is_empty() {
            params.push(
                ParameterBuilder::new()
                    .name("after")
                    .parameter_in(ParameterIn::Query)
                    .description(Some(format!(
                        "Keyset paging, for deep pages: the id of the last item of the previous \
                         page; this page continues after it in the same order, at the same cost \
                         however deep (`offset` grows with the depth). With `sort` {}; not with \
                         `offset`. The `next` link carries it on.",
                        keyset_orders::<K>()
                    )))
                    .schema(Some(integer(1, i64::MAX as u64)))
                    .build(),
            );
        }
        params
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
