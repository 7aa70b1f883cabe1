//! `clients`.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable,
    PaginatorTrait, QueryFilter, QuerySelect, Select,
};

use super::sort::{Sort, SortKey};
use crate::domain::{BusinessId, ClientId};
use crate::entities::client;

/// A client of the business.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: ClientId,
) -> Result<Option<client::Model>, DbErr> {
    client::Entity::find_by_id(id.0)
        .filter(client::Column::BusinessId.eq(business.0))
        .one(db)
        .await
}

/// The business's clients among `ids` (others' and unknown ids are left out).
pub async fn find_many(
    db: &impl ConnectionTrait,
    business: BusinessId,
    ids: &[i64],
) -> Result<Vec<client::Model>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(
            client::Entity::find()
                .filter(client::Column::BusinessId.eq(business.0))
                .filter(client::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// What a list of clients is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSortKey {
    /// The order they were added in.
    Added,
    /// Their name.
    Name,
    /// Their e-mail address.
    Email,
}

impl SortKey for ClientSortKey {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("created_at", Self::Added),
        ("name", Self::Name),
        ("email", Self::Email),
    ];
    const DEFAULT_DESCENDING: bool = false;
    const KEYSET: &'static [Self] = &[Self::Added, Self::Name];
}

/// The order of a list of clients: `created_at` (the default), `name` or `email`, with a
/// leading `-` for descending.
pub type ClientSort = Sort<ClientSortKey>;

/// The business's clients matching `search` (name, e-mail or phone, ignoring case).
fn matching(business: BusinessId, search: Option<&str>) -> Select<client::Entity> {
    let query = client::Entity::find().filter(client::Column::BusinessId.eq(business.0));
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(search) => query.filter(search_condition(search)),
        None => query,
    }
}

/// How many of the business's clients match `search`.
pub async fn count(
    db: &impl ConnectionTrait,
    business: BusinessId,
    search: Option<&str>,
) -> Result<u64, DbErr> {
    matching(business, search).count(db).await
}

/// A page of the business's clients matching `search`, in `sort`'s order: `limit` after
/// skipping `offset`, or after the client `after` (keyset paging; `sort` must be one of
/// [`ClientSortKey::KEYSET`](SortKey::KEYSET)).
pub async fn page(
    db: &impl ConnectionTrait,
    business: BusinessId,
    search: Option<&str>,
    sort: ClientSort,
    limit: u64,
    offset: u64,
    after: Option<&client::Model>,
) -> Result<Vec<client::Model>, DbErr> {
    let column = match sort.key {
        ClientSortKey::Added => None,
        ClientSortKey::Name => Some(client::Column::Name),
        ClientSortKey::Email => Some(client::Column::Email),
    };
    sort.from_anchor(
        matching(business, search),
        column,
        client::Column::Id,
        after,
    )
    .limit(limit)
    .offset(offset)
    .all(db)
    .await
}

fn search_condition(search: &str) -> Condition {
    const ESCAPE: char = '!';
    let escape = |text: &str| {
        text.chars()
            .flat_map(|c| match c {
                '%' | '_' | ESCAPE => vec![ESCAPE, c],
                _ => vec![c],
            })
            .collect::<String>()
    };
    let pattern = |text: &str| LikeExpr::new(format!("%{}%", escape(text))).escape(ESCAPE);
    let lowered = search.to_lowercase();
    let mut condition = Condition::any()
        .add(Expr::expr(Func::lower(Expr::col(client::Column::Name))).like(pattern(&lowered)))
        .add(client::Column::Email.like(pattern(&lowered)));
    if let Some(digits) = phone_digits(search) {
        condition = condition.add(client::Column::Phone.like(pattern(&digits)));
    }
    condition
}

/// The digits (and `+`) of a query written as a phone number or part of one (`+44 20 7946`,
/// `(415) 555-26`): only digits, spaces, `+ - ( ) .` and at least [`PHONE_QUERY_DIGITS`] digits.
/// Other queries (`Client 12`, `Flat 3B`) are not looked for in phone numbers, where their
/// digits would match almost anyone's.
fn phone_digits(search: &str) -> Option<String> {
    let phone_like = search
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'));
    let digits: String = search
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let enough = digits.chars().filter(char::is_ascii_digit).count() >= PHONE_QUERY_DIGITS;
    (phone_like && enough).then_some(digits)
}

/// The fewest digits a query needs to be looked for in phone numbers.
const PHONE_QUERY_DIGITS: usize = 3;

/// Clients by id whatever their business: only for the dispatcher, which works for all
/// businesses and takes ids from notifications that carry their own business.
pub async fn find_many_any(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<client::Model>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        found.extend(
            client::Entity::find()
                .filter(client::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Records a client's opt-out from a channel (from a signed link, which names the client but
/// not the business); false when there is no such client.
pub async fn opt_out(
    db: &impl ConnectionTrait,
    id: ClientId,
    channel: crate::domain::Channel,
) -> Result<bool, DbErr> {
    let column = match channel {
        crate::domain::Channel::Email => client::Column::OptedOutEmail,
        crate::domain::Channel::Sms => client::Column::OptedOutSms,
        crate::domain::Channel::Whatsapp => client::Column::OptedOutWhatsapp,
    };
    let result = client::Entity::update_many()
        .col_expr(column, Expr::value(true))
        .filter(client::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The e-mails and external references of the business's clients, when it has at most `most`
/// clients; `None` when it has more.
pub async fn keys_of_at_most(
    db: &impl ConnectionTrait,
    business: BusinessId,
    most: u64,
) -> Result<Option<Vec<(Option<String>, Option<String>)>>, DbErr> {
    let keys = client::Entity::find()
        .filter(client::Column::BusinessId.eq(business.0))
        .select_only()
        .column(client::Column::Email)
        .column(client::Column::ExternalRef)
        .limit(most + 1)
        .into_tuple::<(Option<String>, Option<String>)>()
        .all(db)
        .await?;
    Ok((keys.len() as u64 <= most).then_some(keys))
}

/// Clients of the business with any of these e-mails.
pub async fn find_by_emails(
    db: &impl ConnectionTrait,
    business: BusinessId,
    emails: &[String],
) -> Result<Vec<client::Model>, DbErr> {
    find_by_keys(db, business, client::Column::Email, emails).await
}

/// Clients of the business whose `column` holds one of `keys`, a statement per run of keys
/// within [`crate::db::BYTES_PER_STATEMENT`].
async fn find_by_keys(
    db: &impl ConnectionTrait,
    business: BusinessId,
    column: client::Column,
    keys: &[String],
) -> Result<Vec<client::Model>, DbErr> {
    let mut found = Vec::new();
    let runs = crate::db::statement_runs(keys.iter().collect(), 500, |key| key.len() + 8);
    for run in runs {
        found.extend(
            client::Entity::find()
                .filter(client::Column::BusinessId.eq(business.0))
                .filter(column.is_in(run.into_iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Clients of the business with any of these external references.
pub async fn find_by_external_refs(
    db: &impl ConnectionTrait,
    business: BusinessId,
    refs: &[String],
) -> Result<Vec<client::Model>, DbErr> {
    find_by_keys(db, business, client::Column::ExternalRef, refs).await
}

/// Inserts a client.
pub async fn insert(
    db: &impl ConnectionTrait,
    row: client::ActiveModel,
) -> Result<client::Model, DbErr> {
    row.insert(db).await
}

/// Inserts many clients in one statement.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    rows: Vec<client::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = crate::db::rows_per_statement(client::Column::iter().count());
    for chunk in crate::db::statement_runs(rows, per_statement, crate::db::row_bytes) {
        client::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Saves changed fields.
pub async fn update(
    db: &impl ConnectionTrait,
    row: client::ActiveModel,
) -> Result<client::Model, DbErr> {
    row.update(db).await
}

/// Deletes a client of the business; false when there was none.
pub async fn delete(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: ClientId,
) -> Result<bool, DbErr> {
    let result = client::Entity::delete_many()
        .filter(client::Column::Id.eq(id.0))
        .filter(client::Column::BusinessId.eq(business.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Whose clients a provider's account message concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountHolder {
    /// The business that brought its own account.
    Business(i64),
    /// The platform's account: every business without its own account of that provider.
    Platform {
        /// Twilio or WhatsApp.
        provider: crate::domain::Provider,
    },
}

/// Records that the holder of this phone number opted out of (or back into) a channel, for the
/// clients the provider account serves. Returns how many clients changed.
pub async fn set_opt_out_by_phone(
    db: &impl ConnectionTrait,
    holder: AccountHolder,
    phone: &str,
    channel: crate::domain::Channel,
    opted_out: bool,
) -> Result<u64, DbErr> {
    let column = match channel {
        crate::domain::Channel::Email => client::Column::OptedOutEmail,
        crate::domain::Channel::Sms => client::Column::OptedOutSms,
        crate::domain::Channel::Whatsapp => client::Column::OptedOutWhatsapp,
    };
    let update = client::Entity::update_many()
        .col_expr(column, Expr::value(opted_out))
        .filter(client::Column::Phone.eq(phone));
    let update = match holder {
        AccountHolder::Business(id) => update.filter(client::Column::BusinessId.eq(id)),
        AccountHolder::Platform { provider } => update.filter(
            client::Column::BusinessId.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::entities::provider_credential::Column::BusinessId)
                    .from(crate::entities::provider_credential::Entity)
                    .and_where(crate::entities::provider_credential::Column::Provider.eq(provider))
                    .to_owned(),
            ),
        ),
    };
    Ok(update.exec(db).await?.rows_affected)
}
