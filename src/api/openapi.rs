//! The OpenAPI document as generators read it. utoipa derives it from the handlers and types;
//! three things it cannot say are put right here, on the finished document, so that client
//! generators make one named model per resource and a tagged union for schedules:
//!
//! - a page's `items` refer to the item's own schema (utoipa inlines a generic's argument);
//! - a property that is a reference or `null` carries its description itself (utoipa puts it
//!   on the reference inside `oneOf`, where generators and readers do not look);
//! - a union tagged by a property (`#[serde(tag = "type")]` over newtypes) becomes `oneOf`
//!   of the variants' schemas with a `discriminator`, each variant schema naming its tag.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::schema::{Object, ObjectBuilder, OneOfBuilder, Schema, Type};

/// Prefix of the schemas utoipa names after `ListResponse<T>`.
const LIST_PREFIX: &str = "ListResponse_";
/// Where component schemas are referred to.
const SCHEMA_REF: &str = "#/components/schemas/";

/// The document with the corrections above; unchanged if it cannot be read back (it always
/// can: it is utoipa's own serialisation).
pub fn refine(document: OpenApi) -> OpenApi {
    let Ok(mut value) = serde_json::to_value(&document) else {
        return document;
    };
    if let Some(schemas) = value
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        refer_list_items(schemas);
        tag_unions(schemas);
        for schema in schemas.values_mut() {
            hoist_descriptions(schema);
        }
    }
    serde_json::from_value(value).unwrap_or(document)
}

/// `ListResponse_X.items` refers to `X` when `X` is a component.
fn refer_list_items(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix(LIST_PREFIX) else {
            continue;
        };
        if !schemas.contains_key(item) {
            continue;
        }
        if let Some(items) = schemas
            .get_mut(&name)
            .and_then(|list| list.pointer_mut("/properties/items/items"))
        {
            *items = json!({ "$ref": format!("{SCHEMA_REF}{item}") });
        }
    }
}

/// One variant of a tagged union as utoipa writes it: `allOf` of the variant's schema and an
/// object holding only the tag.
struct TaggedVariant {
    schema: String,
    tag: String,
    value: String,
    description: Option<Value>,
}

fn tagged_variant(variant: &Value) -> Option<TaggedVariant> {
    let parts = variant.get("allOf")?.as_array()?;
    let [reference, tag_object] = parts.as_slice() else {
        return None;
    };
    let schema = reference
        .get("$ref")?
        .as_str()?
        .strip_prefix(SCHEMA_REF)?
        .to_owned();
    let properties = tag_object.get("properties")?.as_object()?;
    let [(tag, tag_schema)] = properties.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let [value] = tag_schema.get("enum")?.as_array()?.as_slice() else {
        return None;
    };
    Some(TaggedVariant {
        schema,
        tag: tag.clone(),
        value: value.as_str()?.to_owned(),
        description: variant.get("description").cloned(),
    })
}

/// Unions whose every variant is a tagged reference become `oneOf` references with a
/// discriminator; the tag moves into each variant's schema as a required one-value property.
fn tag_unions(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(variants) = schemas
            .get(&name)
            .and_then(|schema| schema.get("oneOf"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        let Some(tagged) = variants
            .iter()
            .map(tagged_variant)
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let Some(tag) = tagged.first().map(|variant| variant.tag.clone()) else {
            continue;
        };
        if tagged.iter().any(|variant| variant.tag != tag) {
            continue;
        }
        let mut mapping = Map::new();
        let mut one_of = Vec::new();
        for variant in &tagged {
            let reference = format!("{SCHEMA_REF}{}", variant.schema);
            mapping.insert(variant.value.clone(), json!(reference));
            one_of.push(json!({ "$ref": reference }));
            if let Some(schema) = schemas.get_mut(&variant.schema) {
                name_tag(schema, &tag, &variant.value, variant.description.as_ref());
            }
        }
        if let Some(union) = schemas.get_mut(&name).and_then(Value::as_object_mut) {
            union.insert("oneOf".into(), Value::Array(one_of));
            union.insert(
                "discriminator".into(),
                json!({ "propertyName": tag, "mapping": mapping }),
            );
        }
    }
}

/// Adds the tag to a variant's schema: required, with its one value.
fn name_tag(schema: &mut Value, tag: &str, value: &str, description: Option<&Value>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(description) = description
        && !object.contains_key("description")
    {
        object.insert("description".into(), description.clone());
    }
    let properties = object
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(properties) = properties {
        properties.insert(
            tag.into(),
            json!({
                "type": "string",
                "enum": [value],
                "description": format!("Always `{value}`: the `{tag}` that selects this variant."),
            }),
        );
    }
    let required = object
        .entry("required")
        .or_insert_with(|| json!([]))
        .as_array_mut();
    if let Some(required) = required
        && !required.iter().any(|field| field == tag)
    {
        required.insert(0, json!(tag));
    }
}

/// Properties (at any depth) that are `oneOf`/`anyOf`/`allOf` without a description take the
/// description of the member that has one.
fn hoist_descriptions(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            hoist_member_description(property);
            hoist_descriptions(property);
        }
    }
    if let Some(items) = object.get_mut("items") {
        hoist_descriptions(items);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(members) = object.get_mut(key).and_then(Value::as_array_mut) {
            members.iter_mut().for_each(hoist_descriptions);
        }
    }
}

fn hoist_member_description(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if object.contains_key("description") {
        return;
    }
    let description = ["oneOf", "anyOf", "allOf"].iter().find_map(|key| {
        object
            .get_mut(*key)?
            .as_array_mut()?
            .iter_mut()
            .find_map(|member| member.as_object_mut()?.remove("description"))
    });
    if let Some(description) = description {
        object.insert("description".into(), description);
    }
}

/// A string that is one of `values` (a field's `schema_with` replaces its doc comment, so the
/// description is given here).
fn one_of(values: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

/// What an audit entry was done to.
pub(super) fn audit_targets() -> Object {
    one_of(
        &crate::services::audit::TARGET_KINDS,
        "What it was done to.",
    )
}

/// Where a document's bytes are kept.
pub(super) fn document_storage() -> Object {
    one_of(
        &crate::api::documents::STORAGE_KINDS,
        "Where its bytes are kept: `database`, or `object` (the configured object store).",
    )
}

/// The provider that accepted a notification, or `null`.
pub(super) fn notification_providers() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(crate::channels::TRANSPORT_NAMES)),
        )
        .item(Object::with_type(Type::Null))
        .description(Some(
            "The provider that accepted it (`console`: logged only, outside production); \
             `null` until one has.",
        ))
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refined(schemas: Value) -> Value {
        let mut value = json!({ "components": { "schemas": schemas } });
        let schemas = value
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .unwrap();
        refer_list_items(schemas);
        tag_unions(schemas);
        schemas.values_mut().for_each(hoist_descriptions);
        value["components"]["schemas"].clone()
    }

    #[test]
    fn a_page_refers_to_its_items_schema() {
        let schemas = refined(json!({
            "Thing": { "type": "object" },
            "ListResponse_Thing": { "properties": { "items": { "type": "array", "items": { "type": "object" } } } },
        }));
        assert_eq!(
            schemas["ListResponse_Thing"]["properties"]["items"]["items"],
            json!({ "$ref": "#/components/schemas/Thing" })
        );
    }

    #[test]
    fn a_tagged_union_gets_a_discriminator_and_its_variants_their_tag() {
        let schemas = refined(json!({
            "A": { "type": "object", "required": ["x"], "properties": { "x": { "type": "string" } } },
            "Union": { "oneOf": [{
                "allOf": [
                    { "$ref": "#/components/schemas/A" },
                    { "type": "object", "required": ["type"], "properties": { "type": { "type": "string", "enum": ["a"] } } },
                ],
                "description": "The A kind.",
            }] },
        }));
        assert_eq!(
            schemas["Union"]["oneOf"],
            json!([{ "$ref": "#/components/schemas/A" }])
        );
        assert_eq!(
            schemas["Union"]["discriminator"],
            json!({ "propertyName": "type", "mapping": { "a": "#/components/schemas/A" } })
        );
        assert_eq!(schemas["A"]["required"], json!(["type", "x"]));
        assert_eq!(schemas["A"]["properties"]["type"]["enum"], json!(["a"]));
        assert_eq!(schemas["A"]["description"], "The A kind.");
    }

    #[test]
    fn a_nullable_reference_carries_its_description() {
        let schemas = refined(json!({
            "B": { "properties": { "p": { "oneOf": [
                { "$ref": "#/components/schemas/P", "description": "The p." },
                { "type": "null" },
            ] } } },
        }));
        assert_eq!(schemas["B"]["properties"]["p"]["description"], "The p.");
        assert!(
            schemas["B"]["properties"]["p"]["oneOf"][0]
                .get("description")
                .is_none()
        );
    }
}
