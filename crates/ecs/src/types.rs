//! Field types and the generated field table (ECS + the AWS integration's cloudtrail fields).

use crate::fields_table::FIELDS;

/// How Elasticsearch indexes and queries a field. Integer and float widths are folded into
/// `Long` and `Double`; `match_only_text` into `Text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Keyword,
    ConstantKeyword,
    Wildcard,
    Text,
    Long,
    Double,
    Date,
    Ip,
    Boolean,
    Flattened,
    Object,
    Nested,
    GeoPoint,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::ConstantKeyword => "constant_keyword",
            FieldType::Wildcard => "wildcard",
            FieldType::Text => "text",
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Date => "date",
            FieldType::Ip => "ip",
            FieldType::Boolean => "boolean",
            FieldType::Flattened => "flattened",
            FieldType::Object => "object",
            FieldType::Nested => "nested",
            FieldType::GeoPoint => "geo_point",
        }
    }

    /// Exact string semantics (keyword, constant_keyword, wildcard, flattened leaves).
    pub fn is_keyword_like(self) -> bool {
        matches!(
            self,
            FieldType::Keyword | FieldType::ConstantKeyword | FieldType::Wildcard | FieldType::Flattened
        )
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Long | FieldType::Double)
    }
}

/// One mapped field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    /// Keyword values longer than this (in UTF-16 units, as Java counts) are not indexed.
    pub ignore_above: Option<u32>,
    /// For a multi-field such as `user_agent.original.text`, the field whose value it indexes.
    pub multi_field_of: Option<&'static str>,
    /// The value of a `constant_keyword` field.
    pub constant: Option<&'static str>,
}

/// Every mapped field, sorted by name.
pub fn all_fields() -> &'static [FieldDef] {
    &FIELDS
}

/// The definition of a mapped field.
pub fn lookup(name: &str) -> Option<&'static FieldDef> {
    FIELDS.binary_search_by(|f| f.name.cmp(name)).ok().map(|i| &FIELDS[i])
}

/// What a field name resolves to: a mapped field, a leaf under a `flattened` field, or a field
/// that is not mapped (Elasticsearch maps such fields dynamically from the first value it sees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Mapped(&'static FieldDef),
    /// A key inside a flattened field: `(the flattened field, the key path inside it)`.
    FlattenedLeaf(&'static FieldDef),
    Unmapped,
}

impl Resolved {
    pub fn field_type(self) -> Option<FieldType> {
        match self {
            Resolved::Mapped(d) => Some(d.ty),
            Resolved::FlattenedLeaf(_) => Some(FieldType::Keyword),
            Resolved::Unmapped => None,
        }
    }
}

/// Resolve a field name against the table.
pub fn resolve(name: &str) -> Resolved {
    if let Some(d) = lookup(name) {
        return Resolved::Mapped(d);
    }
    let mut end = name.len();
    while let Some(dot) = name[..end].rfind('.') {
        if let Some(d) = lookup(&name[..dot]) {
            return match d.ty {
                FieldType::Flattened => Resolved::FlattenedLeaf(d),
                _ => Resolved::Unmapped,
            };
        }
        end = dot;
    }
    Resolved::Unmapped
}

/// The default `ignore_above` for strings Elasticsearch maps dynamically in `logs-*` and
/// `filebeat-*` indices (keyword, 1024).
pub const DYNAMIC_IGNORE_ABOVE: u32 = 1024;
