//! [`Timestamp`]: the one type of every date-time column.
//!
//! Values are UTC but bound to queries as plain (offset-less) date-times. MariaDB/MySQL turn a
//! parameter sent with an offset into a `TIMESTAMP`, which ends in 2038 and so silently became
//! NULL for a reminder due in 2099; a plain date-time goes into `DATETIME(6)` whole.
//! PostgreSQL casts the plain value to `timestamptz` in the session zone, which the connection
//! pins to UTC. Reading accepts both forms.

use std::fmt;
use std::ops::Deref;

use chrono::format::{Fixed, Item, Numeric, Pad, Parsed};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::sqlx::Row;
use sea_orm::sqlx::sqlite::SqliteRow;
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable};

/// An instant stored in a date-time column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Deref for Timestamp {
    type Target = DateTime<Utc>;

    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

/// sea-orm asks each part of a composite primary key (`message_hours`) to convert from an
/// auto-increment id, which an instant never is.
impl sea_orm::TryFromU64 for Timestamp {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("Timestamp"))
    }
}

impl From<Timestamp> for Value {
    fn from(value: Timestamp) -> Self {
        Value::ChronoDateTime(Some(value.0.naive_utc()))
    }
}

impl Nullable for Timestamp {
    fn null() -> Value {
        Value::ChronoDateTime(None)
    }
}

impl ValueType for Timestamp {
    fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
        match value {
            Value::ChronoDateTime(Some(naive)) => Ok(Self(naive.and_utc())),
            Value::ChronoDateTimeUtc(Some(instant)) => Ok(Self(instant)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Timestamp".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::ChronoDateTime
    }

    fn column_type() -> ColumnType {
        ColumnType::DateTime
    }
}

impl TryGetable for Timestamp {
    fn try_get_by<I: ColIdx>(result: &QueryResult, index: I) -> Result<Self, TryGetError> {
        if let Some(row) = result.try_as_sqlite_row()
            && let Some(instant) = as_sqlite_stores_it(row, index)
        {
            return Ok(instant);
        }
        match <DateTime<Utc> as TryGetable>::try_get_by(result, index) {
            Ok(instant) => Ok(Self(instant)),
            Err(TryGetError::Null(column)) => Err(TryGetError::Null(column)),
            Err(_) => <NaiveDateTime as TryGetable>::try_get_by(result, index)
                .map(|naive| Self(naive.and_utc())),
        }
    }
}

/// How SQLite holds what this type writes: the text sqlx makes of a plain date-time
/// (`2026-11-30 09:00:00.123456`, the fraction only when there is one).
const SQLITE_TEXT: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond),
];

/// Reads an SQLite value in the form this type writes, parsed against that one form. sqlx's
/// own decoding tries RFC 3339 and then up to a dozen format strings, each parsed afresh: a
/// tenth of the server's time serving a page of clients. `None` for NULL or any other form,
/// which the general decoding then reads.
fn as_sqlite_stores_it<I: ColIdx>(row: &SqliteRow, index: I) -> Option<Timestamp> {
    // As an option, a NULL is no error to build and throw away.
    let text: &str = row
        .try_get::<Option<&str>, _>(index.as_sqlx_sqlite_index())
        .ok()??;
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, SQLITE_TEXT.iter()).ok()?;
    let naive = parsed.to_naive_datetime_with_offset(0).ok()?;
    Some(Timestamp(naive.and_utc()))
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::{ConnectionTrait, Database, Statement};

    use super::*;

    /// Every form an SQLite date-time column may hold reads as the instant it names: the
    /// text this type writes (with and without a fraction) through the one-form parse, and
    /// RFC 3339 text or a Unix time through sqlx's general decoding.
    #[tokio::test]
    async fn sqlite_values_read_as_the_instants_they_name() {
        let db = Database::connect("sqlite::memory:")
            .await
            .expect("database");
        let at = |micros: u32| {
            Utc.with_ymd_and_hms(2099, 12, 31, 23, 59, 58).unwrap()
                + chrono::Duration::microseconds(micros.into())
        };
        let cases = [
            ("'2099-12-31 23:59:58.123456'", at(123_456)),
            ("'2099-12-31 23:59:58.5'", at(500_000)),
            ("'2099-12-31 23:59:58'", at(0)),
            ("'2099-12-31T23:59:58.25Z'", at(250_000)),
            ("'2099-12-31T23:59:58+00:00'", at(0)),
            ("4102444798", at(0)),
        ];
        let null = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT NULL AS at",
            ))
            .await
            .expect("query")
            .expect("a row");
        assert!(matches!(
            null.try_get_nullable::<Timestamp>("", "at"),
            Err(TryGetError::Null(_))
        ));
        assert_eq!(
            null.try_get::<Option<Timestamp>>("", "at").expect("NULL"),
            None
        );
        for (stored, expected) in cases {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT {stored} AS at"),
                ))
                .await
                .expect("query")
                .expect("a row");
            let read: Timestamp = row.try_get("", "at").expect(stored);
            assert_eq!(*read, expected, "{stored}");
            let sqlite_row = row.try_as_sqlite_row().expect("an SQLite row");
            assert_eq!(
                as_sqlite_stores_it(sqlite_row, "at").is_some(),
                stored.contains(' '),
                "{stored} read by the one-form parse only when in the form written"
            );
        }
        let written = Timestamp(at(7));
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT ? AS at",
                [written.into()],
            ))
            .await
            .expect("query")
            .expect("a row");
        assert_eq!(row.try_get::<Timestamp>("", "at").expect("read"), written);
    }
}
