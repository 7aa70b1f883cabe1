//! Message templates: minijinja, sandboxed (no file or network access) and bounded in work, so a
//! template written by a business cannot stall the dispatcher.
//!
//! A template is checked when it is written ([`check`]) and rendered when a message is made
//! ([`render`]). The check is strict: every variable and attribute it names must be in the
//! context, and every filter, test and function it calls must exist, so a typo is refused with
//! its name and place rather than sent as an empty gap. Rendering stays lenient (a missing value
//! prints as nothing), so a template stored before the check became strict sends as it did.

mod problems;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::Value;

use self::problems::{Problem, describe, is_unknown_callable, unknown_variables};

/// Steps a template may take when rendering (loops included).
const FUEL: u64 = 50_000;
/// Longest template accepted.
pub const MAX_TEMPLATE_LENGTH: usize = 20_000;

fn environment(undefined: UndefinedBehavior) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(undefined);
    env
}

/// Checks a template as it is written, against `sample`, a context holding every variable a
/// message can use (each with a value, lists with one item).
///
/// It must parse, render within the work bound, and name only what exists: the error lists each
/// unknown variable (`client.first_name`, an attribute of a known object included), filter, test
/// or function with where it is, e.g. `unknown variable client.first_name on line 1 (column 7)`
/// (columns count characters from 1). The template is rendered strictly with `sample`, which
/// finds what the branches it takes use; the names of the branches it does not take are found
/// by minijinja's list of the template's undeclared variables; and a render with every value
/// empty finds the filters of the branches only empty values take (`{% else %}`). A guard does
/// not make an unknown name acceptable: `{{ client.nickname | default('') }}` or
/// `{% if client.nickname %}` is refused, since no message could ever have it.
pub fn check(source: &str, sample: &impl Serialize) -> Result<(), String> {
    if source.len() > MAX_TEMPLATE_LENGTH {
        return Err(format!("must be at most {MAX_TEMPLATE_LENGTH} characters"));
    }
    let context = serde_json::to_value(sample)
        .map_err(|error| format!("template context cannot be read: {error}"))?;
    let strict = environment(UndefinedBehavior::SemiStrict);
    let template = strict
        .template_from_str(source)
        .map_err(|error| describe(source, &error, &context).message)?;
    let mut problems: Vec<Problem> = Vec::new();
    if let Err(error) = template.render(Serde(&context)) {
        problems.push(describe(source, &error, &context));
    }
    let globals: Vec<String> = strict.globals().map(|(name, _)| name.to_owned()).collect();
    for problem in unknown_variables(
        source,
        template.undeclared_variables(true),
        &globals,
        &context,
    ) {
        if !problems.iter().any(|p| p.name == problem.name) {
            problems.push(problem);
        }
    }
    let lenient = environment(UndefinedBehavior::Lenient);
    if let Err(error) = lenient.render_str(source, Serde(&blank(&context)))
        && is_unknown_callable(error.kind())
    {
        let problem = describe(source, &error, &context);
        if !problems.iter().any(|p| p.message == problem.message) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// Renders a template with a context. Unknown variables print as nothing, as they did before
/// templates were checked strictly, so messages of stored reminders render as they always have.
pub fn render(source: &str, context: &impl Serialize) -> Result<String, String> {
    environment(UndefinedBehavior::Lenient)
        .render_str(source, Serde(context))
        .map_err(|error| match error.line() {
            Some(line) => format!(
                "template error on line {line}: {}",
                error.detail().unwrap_or(&error.to_string())
            ),
            None => format!(
                "template error: {}",
                error.detail().unwrap_or(&error.to_string())
            ),
        })
}

/// The context with every value empty: blank text, empty lists, zero, false.
fn blank(value: &Value) -> Value {
    match value {
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Number(_) => Value::from(0),
        Value::Bool(_) => Value::Bool(false),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, inner)| (key.clone(), blank(inner)))
                .collect(),
        ),
        Value::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A context shaped as messages' are: objects, text and a list with one item.
    fn sample() -> Value {
        json!({
            "amount": "£125.00",
            "client": {"email": "ann@example.com", "name": "Ann"},
            "documents": [{"link": "https://example.com/d/1", "name": "invoice.pdf"}],
        })
    }

    #[test]
    fn variables_render_and_missing_ones_are_empty() {
        let context = json!({"client": {"name": "Ann"}, "amount": "£125.00"});
        assert_eq!(
            render("Hi {{ client.name }}, {{ amount }}{{ nothing }}", &context).unwrap(),
            "Hi Ann, £125.00"
        );
    }

    #[test]
    fn broken_and_runaway_templates_are_refused() {
        assert!(
            check("Hi {{ client.name ", &json!({}))
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            check(
                "{% for i in range(100000) %}{{ i }}{% endfor %}",
                &json!({})
            )
            .is_err()
        );
        assert!(check("{% include 'x' %}", &json!({})).is_err());
    }

    #[test]
    fn an_unknown_variable_or_attribute_is_named_with_its_place() {
        assert_eq!(
            check("Hi {{ client.first_name }}", &sample()).unwrap_err(),
            "unknown variable client.first_name on line 1 (column 7): client has email, name"
        );
        assert_eq!(
            check("Dear {{ client.name }},\n  pay {{ amout }}", &sample()).unwrap_err(),
            "unknown variable amout on line 2 (column 10)"
        );
        assert_eq!(
            check("{{ nope.deeper.still }}", &sample()).unwrap_err(),
            "unknown variable nope on line 1 (column 4)"
        );
        // A loop variable's attributes are those of the list's items.
        assert_eq!(
            check("{% for d in documents %}{{ d.nme }}{% endfor %}", &sample()).unwrap_err(),
            "unknown variable d.nme on line 1 (column 28)"
        );
    }

    #[test]
    fn unknown_names_are_found_in_branches_the_sample_does_not_take() {
        assert_eq!(
            check(
                "{% if amount %}{{ amount }}{% else %}{{ client.nick }}{% endif %}",
                &sample()
            )
            .unwrap_err(),
            "unknown variable client.nick on line 1 (column 41): client has email, name"
        );
        // A guard does not make a name that no message has acceptable.
        for guarded in [
            "{% if client.nick %}{{ client.nick }}{% endif %}",
            "{{ client.nick | default('friend') }}",
            "{% if client.nick is defined %}x{% endif %}",
        ] {
            assert!(
                check(guarded, &sample())
                    .unwrap_err()
                    .starts_with("unknown variable client.nick on line 1"),
                "{guarded}"
            );
        }
        // Every problem is listed, in order.
        assert_eq!(
            check("{{ one }} {% if false %}{{ two }}{% endif %}", &sample()).unwrap_err(),
            "unknown variable one on line 1 (column 4); unknown variable two on line 1 (column 28)"
        );
    }

    #[test]
    fn unknown_filters_tests_and_functions_are_named_with_their_place() {
        assert_eq!(
            check("{{ client.name | upperr }}", &sample()).unwrap_err(),
            "unknown filter upperr on line 1 (column 18)"
        );
        assert_eq!(
            check("{{ client.name | truncat(5) }}", &sample()).unwrap_err(),
            "unknown filter truncat on line 1 (column 18)"
        );
        assert_eq!(
            check("{% if amount is nonempty %}x{% endif %}", &sample()).unwrap_err(),
            "unknown test nonempty on line 1 (column 17)"
        );
        assert_eq!(
            check("{{ today() }}", &sample()).unwrap_err(),
            "unknown function today on line 1 (column 4)"
        );
        // Only a message without a payment takes this branch: found all the same.
        assert_eq!(
            check(
                "{% if amount %}{{ amount }}{% else %}{{ client.name | titel }}{% endif %}",
                &sample()
            )
            .unwrap_err(),
            "unknown filter titel on line 1 (column 55)"
        );
    }

    #[test]
    fn conditions_defaults_loops_and_builtins_are_accepted() {
        for source in [
            "{% if client.email %}Write to {{ client.email }}{% else %}No e-mail{% endif %}",
            "{{ amount | default('nothing', true) }}",
            "{{ client.name | default(client.email) | upper }}",
            "{% for d in documents %}{{ loop.index }}. {{ d.name }}: {{ d.link }}\n{% endfor %}",
            "{% for d in documents %}{{ d.name }}{% else %}none{% endfor %}",
            "{{ documents | map(attribute='name') | join(', ') }} {{ documents[0].link }}",
            "{% set greeting = 'Hi' %}{{ greeting }} {{ client.name }}",
            "{% macro line(d) %}- {{ d.name }}{% endmacro %}{% for d in documents %}{{ line(d) }}{% endfor %}",
            "{{ range(2) | join(',') }} {{ namespace(n=1).n }} {{ dict(a=1).a }}",
            "{% if client.name is string and amount is defined %}ok{% endif %}",
            "{% raw %}{{ literally }}{% endraw %}",
        ] {
            assert_eq!(check(source, &sample()), Ok(()), "{source}");
        }
    }

    #[test]
    fn sends_stay_lenient_where_checks_are_strict() {
        let source = "Hi {{ client.first_name }}";
        assert!(check(source, &sample()).is_err());
        assert_eq!(render(source, &sample()).unwrap(), "Hi ");
    }
}
