//! Message templates: minijinja, sandboxed (no file or network access) and bounded in work, so a
//! template written by a business cannot stall the dispatcher.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// Steps a template may take when rendering (loops included).
const FUEL: u64 = 50_000;
/// Longest template accepted.
pub const MAX_TEMPLATE_LENGTH: usize = 20_000;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env
}

/// Checks that a template parses and renders against `sample`; the error says where and why.
pub fn check(source: &str, sample: &impl Serialize) -> Result<(), String> {
    if source.len() > MAX_TEMPLATE_LENGTH {
        return Err(format!("must be at most {MAX_TEMPLATE_LENGTH} characters"));
    }
    render(source, sample).map(drop)
}

/// Renders a template with a context.
pub fn render(source: &str, context: &impl Serialize) -> Result<String, String> {
    environment()
        .render_str(source, minijinja::value::Serde(context))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
}
