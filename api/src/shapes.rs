//! Shapes the OpenAPI document gives to values the handlers read as plain strings: a name,
//! a time zone. Each states exactly what the service accepts, so a client (or a fuzzer)
//! that follows the document is never refused for the form of a value.

use std::borrow::Cow;

use utoipa::{
    openapi::{schema::SchemaType, ArrayBuilder, ObjectBuilder, RefOr, Schema, Type},
    PartialSchema, ToSchema,
};

use crate::id::Id;

// What `input::Fields::string` accepts with a limit of 128. The length lives in the
// pattern, which counts the characters between the surrounding whitespace.
/// 1 to 128 characters once surrounding whitespace is trimmed (it is), with no control
/// character.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(
    value_type = String,
    pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,126}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
    example = "Support EMEA"
)]
pub struct Name(String);

/// An IANA time zone name the service knows (those of its tz database).
pub struct TimeZone;

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some("An IANA time zone name, e.g. `Europe/Paris`."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .examples(["Europe/Paris"])
            .into()
    }
}

impl ToSchema for TimeZone {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

/// Up to 100 distinct ids, or null (`Fields::strings` refuses a repeated one).
pub fn distinct_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::Array, Type::Null]))
        .items(utoipa::openapi::Ref::from_schema_name(Id::name()))
        .max_items(Some(100))
        .unique_items(true)
}

/// Up to 3660 distinct dates written `YYYY-MM-DD`.
pub fn distinct_dates() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Date,
                )))
                .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
        )
        .max_items(Some(3660))
        .unique_items(true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_documented_time_zone_parses() {
        assert!(chrono_tz::TZ_VARIANTS
            .iter()
            .all(|tz| tz.name().parse::<chrono_tz::Tz>().is_ok()));
    }
}
