//! What is wrong with a template, said for the person who wrote it: the variable, filter, test
//! or function at fault, where it is (line and column), and what a known object has instead.

use std::collections::HashSet;

use minijinja::ErrorKind;
use serde_json::Value;

/// One thing wrong with a template: the name at fault, when there is one, and what to say.
pub(super) struct Problem {
    /// The name at fault (`client.first_name`, `upperr`).
    pub name: Option<String>,
    /// The message, with the name and its place.
    pub message: String,
}

/// Whether an error is an unknown filter, test, function or method.
pub(super) fn is_unknown_callable(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::UnknownFilter
            | ErrorKind::UnknownTest
            | ErrorKind::UnknownFunction
            | ErrorKind::UnknownMethod
    )
}

/// What a minijinja error means to the person who wrote the template.
pub(super) fn describe(source: &str, error: &minijinja::Error, context: &Value) -> Problem {
    let range = error.range();
    let at = match (&range, error.line()) {
        (Some(range), line) => place(source, range.start, line),
        (None, Some(line)) => format!(" on line {line}"),
        (None, None) => String::new(),
    };
    // The source the error points at: a filter's or function's name, then its arguments.
    let spanned = range
        .and_then(|range| source.get(range))
        .unwrap_or_default();
    let called: String = spanned
        .trim_start_matches(['.', ' '])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let detail = error
        .detail()
        .map_or_else(|| error.kind().to_string(), str::to_owned);
    let named = |what: &str| Problem {
        message: format!("unknown {what} {called}{at}"),
        name: Some(called.clone()),
    };
    match error.kind() {
        ErrorKind::UndefinedError => {
            // minijinja names the undefined expression in backticks: `client.first_name`.
            let name = detail
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .or_else(|| is_path(spanned).then(|| spanned.trim().to_owned()));
            match name {
                Some(name) => Problem {
                    message: format!("unknown variable {name}{at}{}", hint(&name, context)),
                    name: Some(name),
                },
                None => Problem {
                    message: format!("undefined value{at}"),
                    name: None,
                },
            }
        }
        ErrorKind::UnknownFilter if !called.is_empty() => named("filter"),
        ErrorKind::UnknownTest if !called.is_empty() => named("test"),
        ErrorKind::UnknownFunction if !called.is_empty() => named("function"),
        _ => Problem {
            message: format!("template error{at}: {detail}"),
            name: None,
        },
    }
}

/// ` on line L (column C)` for a byte offset of `source`; `line` is minijinja's when it has one.
fn place(source: &str, offset: usize, line: Option<usize>) -> String {
    let Some(before) = source.get(..offset) else {
        return line.map_or_else(String::new, |line| format!(" on line {line}"));
    };
    let line = line.unwrap_or_else(|| before.matches('\n').count() + 1);
    let column = before
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    format!(" on line {line} (column {column})")
}

/// Whether text is a plain dotted name such as `client.name`.
fn is_path(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// The shortest part of a dotted name the context does not have (`foo` of `foo.bar`,
/// `client.nickname`, `client.name.upper`), with the offset where the template first writes
/// it; `None` when the context has the whole name.
fn unknown_part(source: &str, name: &str, context: &Value) -> Option<(Option<usize>, String)> {
    let mut value = context;
    let mut known = 0;
    for part in name.split('.') {
        match value.get(part).filter(|_| value.is_object()) {
            Some(inner) => {
                value = inner;
                known += 1;
            }
            None => {
                let unknown = name
                    .split('.')
                    .take(known + 1)
                    .collect::<Vec<_>>()
                    .join(".");
                return Some((locate(source, &unknown), unknown));
            }
        }
    }
    None
}

/// Where a name first appears in the tags of a template (`{{ … }}`, `{% … %}`), as a byte
/// offset: a whole name, not part of a longer one nor an attribute of something else.
fn locate(source: &str, name: &str) -> Option<usize> {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(open) = source[from..].find(['{']).map(|i| from + i) {
        let closing = match source.get(open..open + 2) {
            Some("{{") => "}}",
            Some("{%") => "%}",
            _ => {
                from = open + 1;
                continue;
            }
        };
        let end = source[open + 2..]
            .find(closing)
            .map_or(source.len(), |i| open + 2 + i);
        let tag = &source[open..end];
        let mut search = 0;
        while let Some(found) = tag[search..].find(name).map(|i| search + i) {
            let before = tag[..found].chars().next_back();
            let after = tag[found + name.len()..].chars().next();
            if !before.is_some_and(|c| is_name_char(c) || c == '.')
                && !after.is_some_and(is_name_char)
            {
                return Some(open + found);
            }
            search = found + name.len();
        }
        from = end;
    }
    None
}

/// For an unknown attribute of a known object, what the object has: `: client has email,
/// external_ref, name, phone`.
fn hint(name: &str, context: &Value) -> String {
    let Some((parent, _)) = name.rsplit_once('.') else {
        return String::new();
    };
    let mut value = context;
    for part in parent.split('.') {
        match value.get(part) {
            Some(inner) => value = inner,
            None => return String::new(),
        }
    }
    match value.as_object() {
        Some(fields) => {
            let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
            names.sort_unstable();
            format!(": {parent} has {}", names.join(", "))
        }
        None => String::new(),
    }
}

/// The unknown variables among the names a template uses without setting them (minijinja's
/// undeclared variables, attribute paths included), in the order the template writes them;
/// `globals` (`range`, `namespace`, …) are known.
pub(super) fn unknown_variables(
    source: &str,
    names: HashSet<String>,
    globals: &[String],
    context: &Value,
) -> Vec<Problem> {
    let mut unknown: Vec<(Option<usize>, String)> = names
        .into_iter()
        .filter(|name| {
            let first = name.split('.').next().unwrap_or(name);
            !globals.iter().any(|global| global == first)
        })
        .filter_map(|name| unknown_part(source, &name, context))
        .collect();
    unknown.sort();
    unknown.dedup();
    unknown
        .into_iter()
        .map(|(offset, name)| Problem {
            message: format!(
                "unknown variable {name}{}{}",
                offset.map_or_else(String::new, |at| place(source, at, None)),
                hint(&name, context)
            ),
            name: Some(name),
        })
        .collect()
}
