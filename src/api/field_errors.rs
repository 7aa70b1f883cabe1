//! Every field error of a JSON body in one answer. serde stops at the first value it cannot
//! read; to report the others too, the body is read again with the value at fault replaced by
//! a stand-in of the type serde expected, until it reads or nothing more can be learnt. The
//! stand-ins only let reading go on: a body with any error is refused whole.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use crate::domain::FieldError;

/// Most errors reported for one body (and readings tried).
const MAX_ERRORS: usize = 50;

/// One place in a JSON document: an object key or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The errors reading `value` as `T` (empty when it reads), and its unknown fields when
/// `strict`, each named by its dotted path (`payment.amount`, `offsets[2]`).
pub fn collect<T: DeserializeOwned>(mut value: Value, strict: bool) -> Vec<FieldError> {
    let mut errors: Vec<(Vec<Step>, FieldError)> = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..MAX_ERRORS * 2 {
        unknown.clear();
        let read: Result<T, _> = {
            let mut record = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
            let ignoring = serde_ignored::Deserializer::new(&value, &mut record);
            serde_path_to_error::deserialize(ignoring)
        };
        let Err(error) = read else { break };
        let mut steps = steps_of(error.path());
        let message = error.inner().to_string();
        let expected = match missing_field(&message) {
            Some(field) => {
                steps.push(Step::Key(field.to_owned()));
                None
            }
            None => expected_type(&message),
        };
        let already = errors
            .iter()
            .any(|(reported, _)| steps.starts_with(reported));
        if !already {
            let text = match expected {
                None => "is required".to_owned(),
                Some(_) => readable(&message),
            };
            errors.push((steps.clone(), FieldError::new(dotted(&steps), text)));
        } else if errors.iter().any(|(reported, _)| *reported == steps) && expected.is_none() {
            break;
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
        // A missing field is tried as null first: serde then says which type it wants.
        let stand_in = match expected {
            None => Value::Null,
            Some(stand_in) => stand_in,
        };
        if !replace(&mut value, &steps, stand_in) {
            break;
        }
    }
    let mut found: Vec<FieldError> = errors.into_iter().map(|(_, error)| error).collect();
    if strict {
        found.extend(
            unknown
                .into_iter()
                .map(|field| FieldError::new(field, "unknown field")),
        );
    }
    found
}

fn steps_of(path: &serde_path_to_error::Path) -> Vec<Step> {
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// `payment.amount`, `offsets[2]`; `body` for the whole document.
fn dotted(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            Step::Key(key) if text.is_empty() => text.push_str(key),
            Step::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
        }
    }
    if text.is_empty() { "body".into() } else { text }
}

/// The one error serde reported for a form, a query or a body: named by its path (`whole` when
/// it is about the whole), and a missing field by its own name.
pub fn first_error<E: std::fmt::Display>(
    error: serde_path_to_error::Error<E>,
    whole: &str,
) -> FieldError {
    let mut steps = steps_of(error.path());
    let message = error.into_inner().to_string();
    let message = match missing_field(&message) {
        Some(field) => {
            steps.push(Step::Key(field.to_owned()));
            "is required".to_owned()
        }
        None => readable(&message),
    };
    let field = if steps.is_empty() {
        whole.to_owned()
    } else {
        dotted(&steps)
    };
    FieldError::new(field, message)
}

/// The field named by serde's "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// A value of the type serde's message says it expected, to read on with.
fn expected_type(message: &str) -> Option<Value> {
    let expected = message.rsplit_once("expected ")?.1;
    let expected = expected.split(" at line ").next().unwrap_or(expected);
    if let Some(variant) = expected
        .strip_prefix("one of `")
        .or_else(|| expected.strip_prefix('`'))
        .and_then(|rest| rest.split('`').next())
    {
        return Some(Value::String(variant.to_owned()));
    }
    let stand_in = if expected.contains("string") || expected.contains("char") {
        Value::String(String::new())
    } else if expected.contains("bool") {
        Value::Bool(false)
    } else if [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
    ]
    .iter()
    .any(|number| expected.starts_with(number))
        || expected.contains("integer")
        || expected.contains("number")
    {
        Value::from(0)
    } else if expected.contains("sequence") || expected.contains("tuple") {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    };
    Some(stand_in)
}

/// Puts `stand_in` at `steps`; false when the place does not exist (nothing to read on from).
fn replace(value: &mut Value, steps: &[Step], stand_in: Value) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut here = value;
    for step in parents {
        let next = match step {
            Step::Key(key) => here.get_mut(key.as_str()),
            Step::Index(index) => here.get_mut(*index),
        };
        let Some(next) = next else { return false };
        here = next;
    }
    match (last, here) {
        (Step::Key(key), Value::Object(map)) => {
            map.insert(key.clone(), stand_in);
            true
        }
        (Step::Index(index), Value::Array(items)) if *index < items.len() => {
            items[*index] = stand_in;
            true
        }
        _ => false,
    }
}

/// serde's message in words an API user can act on: no position suffix, and date-times name
/// the format they must have.
pub fn readable(message: &str) -> String {
    let message = match message.find(" at line ") {
        Some(index) => &message[..index],
        None => message,
    };
    // chrono's parse errors, from `DateTime` fields.
    const DATE_ERRORS: [&str; 6] = [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "input is not enough for unique date and time",
        "no possible date and time matching input",
    ];
    if DATE_ERRORS.contains(&message) {
        format!(
            "must be an RFC 3339 date-time with an offset, e.g. 2027-01-15T09:00:00Z ({message})"
        )
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Payment {
        amount: i64,
        currency: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Draft {
        title: String,
        payment: Option<Payment>,
        count: Option<u32>,
        tags: Vec<String>,
    }

    fn fields(value: Value, strict: bool) -> Vec<String> {
        let mut fields: Vec<String> = collect::<Draft>(value, strict)
            .into_iter()
            .map(|error| error.field)
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn every_error_is_reported_with_its_path() {
        let errors = fields(
            json!({"payment": {"amount": "ten", "currency": 5}, "count": -1, "tags": ["a", 2]}),
            false,
        );
        assert_eq!(
            errors,
            [
                "count",
                "payment.amount",
                "payment.currency",
                "tags[1]",
                "title"
            ]
        );
    }

    #[test]
    fn a_missing_field_is_named_and_required() {
        let errors = collect::<Draft>(json!({"tags": []}), false);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "title");
        assert_eq!(errors[0].message, "is required");
    }

    #[test]
    fn unknown_fields_join_the_errors_when_strict() {
        let value = json!({"title": 1, "tags": [], "emial": "x"});
        assert_eq!(fields(value.clone(), true), ["emial", "title"]);
        assert_eq!(fields(value, false), ["title"]);
    }

    #[test]
    fn a_readable_body_has_no_errors() {
        assert!(fields(json!({"title": "t", "tags": []}), true).is_empty());
    }
}
