//! [`Timestamp`]: the one type of every date-time column.
//!
//! Values are UTC but bound to queries as plain (offset-less) date-times. MariaDB/MySQL turn a
//! parameter sent with an offset into a `TIMESTAMP`, which ends in 2038 and so silently became
//! NULL for a reminder due in 2099; a plain date-time goes into `DATETIME(6)` whole.
//! PostgreSQL casts the plain value to `timestamptz` in the session zone, which the connection
//! pins to UTC. Reading accepts both forms.

use std::fmt;
use std::ops::Deref;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
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
        match <DateTime<Utc> as TryGetable>::try_get_by(result, index) {
            Ok(instant) => Ok(Self(instant)),
            Err(TryGetError::Null(column)) => Err(TryGetError::Null(column)),
            Err(_) => <NaiveDateTime as TryGetable>::try_get_by(result, index)
                .map(|naive| Self(naive.and_utc())),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
