//! Custom properties an admin defines for contacts, companies or deals: a name, a label, a
//! type (text, number, money, date, select, multi-select, checkbox, URL) and, for the select
//! types, the options. A defined property's value is checked and stored in one form whatever
//! wrote it — the API, a form, the web app, an import — so reports and filters can trust it.
//! Properties nobody defined stay free-form, as they always were.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::FieldError;
use crate::pipeline::Amount;

/// Longest text value, in characters.
pub const MAX_TEXT: usize = 1_000;
/// Most options a select may have.
pub const MAX_OPTIONS: usize = 100;
/// Most properties a workspace defines per kind of record.
pub const MAX_DEFINED: usize = 100;

/// Which records a property belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyOf {
    Contacts,
    Companies,
    Deals,
}

impl PropertyOf {
    pub const ALL: [PropertyOf; 3] = [
        PropertyOf::Contacts,
        PropertyOf::Companies,
        PropertyOf::Deals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PropertyOf::Contacts => "contacts",
            PropertyOf::Companies => "companies",
            PropertyOf::Deals => "deals",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "of",
                    format!("{raw:?} is not a kind of record; use contacts, companies or deals"),
                )
            })
    }
}

/// What a property holds, and so which input a form draws for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyType {
    Text,
    Number,
    Money,
    Date,
    Select,
    MultiSelect,
    Checkbox,
    Url,
}

impl PropertyType {
    pub const ALL: [PropertyType; 8] = [
        PropertyType::Text,
        PropertyType::Number,
        PropertyType::Money,
        PropertyType::Date,
        PropertyType::Select,
        PropertyType::MultiSelect,
        PropertyType::Checkbox,
        PropertyType::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PropertyType::Text => "text",
            PropertyType::Number => "number",
            PropertyType::Money => "money",
            PropertyType::Date => "date",
            PropertyType::Select => "select",
            PropertyType::MultiSelect => "multi_select",
            PropertyType::Checkbox => "checkbox",
            PropertyType::Url => "url",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "type",
                    format!(
                        "{raw:?} is not a property type; use text, number, money, date, select, \
                         multi_select, checkbox or url"
                    ),
                )
            })
    }

    pub fn has_options(self) -> bool {
        matches!(self, PropertyType::Select | PropertyType::MultiSelect)
    }
}

/// A defined property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyDef {
    pub id: uuid::Uuid,
    pub of: PropertyOf,
    /// The key in the records' `properties`: lower case letters, digits and `_`.
    pub name: String,
    /// What forms and pages call it.
    pub label: String,
    pub kind: PropertyType,
    /// A select's choices, in the order forms offer them.
    pub options: Vec<String>,
}

/// A property's name as records and reports use it: 1 to 40 of `a-z`, `0-9` and `_`,
/// starting with a letter (`plan`, `annual_revenue`).
pub fn property_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let ok = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(FieldError::new(
            "name",
            "must be 1 to 40 lower-case letters, digits or _, starting with a letter (like annual_revenue)",
        ))
    }
}

/// A select's options: each one line of 1 to 80 characters, no repeats, at most `MAX_OPTIONS`.
pub fn property_options(kind: PropertyType, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut options: Vec<String> = Vec::new();
    for o in raw {
        let o = o.split_whitespace().collect::<Vec<_>>().join(" ");
        if o.is_empty() {
            continue;
        }
        if o.chars().count() > 80 || o.contains(';') {
            return Err(FieldError::new(
                "options",
                format!("{o:?}: an option is at most 80 characters, without ';'"),
            ));
        }
        if !options.contains(&o) {
            options.push(o);
        }
    }
    match (kind.has_options(), options.len()) {
        (true, 0) => Err(FieldError::new(
            "options",
            "a select needs at least one option",
        )),
        (true, n) if n > MAX_OPTIONS => Err(FieldError::new(
            "options",
            format!("at most {MAX_OPTIONS} options"),
        )),
        (false, n) if n > 0 => Err(FieldError::new(
            "options",
            "only select and multi_select properties have options",
        )),
        _ => Ok(options),
    }
}

impl PropertyDef {
    /// The value as stored, from what was written (JSON from the API; text from a form, a
    /// CSV cell or the terminal): a text, a number, an exact amount as text, a `YYYY-MM-DD`
    /// date, one option, a list of options, a boolean, an http(s) URL. `Null` (or an empty
    /// text) clears it. The error names `properties.NAME`.
    pub fn value(&self, raw: &Value) -> Result<Value, FieldError> {
        let field = format!("properties.{}", self.name);
        let fail = |why: String| Err(FieldError::new(&field, why));
        let text = match raw {
            Value::Null => return Ok(Value::Null),
            Value::String(s) if s.trim().is_empty() && self.kind != PropertyType::Checkbox => {
                return Ok(Value::Null);
            }
            Value::String(s) => Some(s.trim()),
            _ => None,
        };
        match self.kind {
            PropertyType::Text => match text {
                Some(t) if t.chars().count() > MAX_TEXT => {
                    fail(format!("must be at most {MAX_TEXT} characters"))
                }
                Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
                    fail("must not contain control characters".into())
                }
                Some(t) => Ok(Value::String(t.to_owned())),
                None => match raw {
                    Value::Number(n) => Ok(Value::String(n.to_string())),
                    _ => fail("must be text".into()),
                },
            },
            PropertyType::Number => {
                let n = match (raw, text) {
                    (Value::Number(n), _) => n.as_f64(),
                    (_, Some(t)) => t.replace([',', ' '], "").parse::<f64>().ok(),
                    _ => None,
                };
                match n.filter(|n| n.is_finite()) {
                    // A whole number is stored as one (40 seats, not 40.0).
                    #[allow(clippy::cast_possible_truncation)]
                    Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(Value::from(n as i64)),
                    Some(n) => {
                        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
                    }
                    None => fail(format!("{} is not a number", short(raw))),
                }
            }
            PropertyType::Money => {
                let t = match (raw, text) {
                    (Value::Number(n), _) => n.to_string(),
                    (_, Some(t)) => t.to_owned(),
                    _ => return fail("must be an amount, like 1200.50".into()),
                };
                Amount::parse(&field, &t).map(|a| Value::String(a.to_string()))
            }
            PropertyType::Date => match text {
                Some(t) => crate::parse_date(&field, t).map(|d| Value::String(d.to_string())),
                None => fail("must be a date, YYYY-MM-DD".into()),
            },
            PropertyType::Select => match text {
                Some(t) => self.option(t).map(Value::String).ok_or_else(|| {
                    FieldError::new(&field, format!("{t:?} is not one of {}", self.choices()))
                }),
                None => fail(format!("must be one of {}", self.choices())),
            },
            PropertyType::MultiSelect => {
                // A list from the API, or `a;b` as HubSpot exports a multiple checkbox.
                let parts: Vec<String> = match raw {
                    Value::Array(items) => {
                        let mut parts = Vec::new();
                        for i in items {
                            match i.as_str() {
                                Some(s) => parts.push(s.to_owned()),
                                None => return fail("must be a list of options".into()),
                            }
                        }
                        parts
                    }
                    Value::String(s) => s.split(';').map(str::to_owned).collect(),
                    _ => return fail("must be a list of options".into()),
                };
                let mut chosen: Vec<String> = Vec::new();
                for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
                    let Some(o) = self.option(p) else {
                        return fail(format!("{p:?} is not one of {}", self.choices()));
                    };
                    if !chosen.contains(&o) {
                        chosen.push(o);
                    }
                }
                // In the definition's order, so equal choices are stored equally.
                chosen.sort_by_key(|c| self.options.iter().position(|o| o == c));
                Ok(if chosen.is_empty() {
                    Value::Null
                } else {
                    Value::Array(chosen.into_iter().map(Value::String).collect())
                })
            }
            PropertyType::Checkbox => match (raw, text.map(str::to_ascii_lowercase).as_deref()) {
                (Value::Bool(b), _) => Ok(Value::Bool(*b)),
                (_, Some("true" | "yes" | "1" | "on" | "y")) => Ok(Value::Bool(true)),
                (_, Some("false" | "no" | "0" | "off" | "n" | "")) => Ok(Value::Bool(false)),
                _ => fail(format!("{} is not yes or no", short(raw))),
            },
            PropertyType::Url => match text {
                Some(t) if t.len() <= 2_000 => match url::Url::parse(t) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                        Ok(Value::String(u.to_string()))
                    }
                    _ => fail(format!("{t:?} is not a web address (http:// or https://)")),
                },
                Some(_) => fail("must be at most 2000 characters".into()),
                None => fail("must be a web address".into()),
            },
        }
    }

    /// The option as defined, matched without regard to case.
    fn option(&self, raw: &str) -> Option<String> {
        self.options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(raw.trim()))
            .cloned()
    }

    fn choices(&self) -> String {
        self.options.join(", ")
    }

    /// The value as a form's field shows it (a multi-select's options a line each).
    pub fn form_text(&self, v: Option<&Value>) -> String {
        match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            Some(Value::Bool(b)) => if *b { "true" } else { "false" }.into(),
            Some(other) => other.to_string(),
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Checks every defined property among `props` (the others pass as they are), each mistake
/// named by its property; a cleared value stays `Null` (a patch removes the key with it).
pub fn typed(
    defs: &[PropertyDef],
    props: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for (k, v) in props {
        match defs.iter().find(|d| &d.name == k) {
            Some(d) => match d.value(v) {
                Ok(v) => {
                    out.insert(k.clone(), v);
                }
                Err(e) => errors.push(e),
            },
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: PropertyType, options: &[&str]) -> PropertyDef {
        PropertyDef {
            id: uuid::Uuid::nil(),
            of: PropertyOf::Contacts,
            name: "p".into(),
            label: "P".into(),
            kind,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    #[test]
    fn values_are_stored_in_one_form_per_type() {
        use PropertyType as T;
        let ok = |kind, options: &[&str], raw: Value| def(kind, options).value(&raw).unwrap();
        assert_eq!(ok(T::Text, &[], json!("  Gold ")), json!("Gold"));
        assert_eq!(ok(T::Number, &[], json!("1,200.5")), json!(1200.5));
        assert_eq!(ok(T::Number, &[], json!(7)), json!(7));
        assert_eq!(ok(T::Money, &[], json!("1200.50")), json!("1200.50"));
        assert_eq!(ok(T::Date, &[], json!("2027-01-31")), json!("2027-01-31"));
        assert_eq!(
            ok(T::Select, &["Gold", "Silver"], json!("gold")),
            json!("Gold")
        );
        assert_eq!(
            ok(T::MultiSelect, &["A", "B", "C"], json!("c; a;a")),
            json!(["A", "C"])
        );
        assert_eq!(ok(T::MultiSelect, &["A", "B"], json!(["b"])), json!(["B"]));
        assert_eq!(ok(T::Checkbox, &[], json!("Yes")), json!(true));
        assert_eq!(ok(T::Checkbox, &[], json!("")), json!(false));
        assert_eq!(ok(T::Checkbox, &[], json!(false)), json!(false));
        assert_eq!(
            ok(T::Url, &[], json!("https://acme.example/x")),
            json!("https://acme.example/x")
        );
        assert_eq!(ok(T::Date, &[], json!("")), Value::Null, "empty clears");
        assert_eq!(ok(T::Number, &[], Value::Null), Value::Null);
    }

    #[test]
    fn wrong_values_name_their_property() {
        use PropertyType as T;
        let err = |kind, options: &[&str], raw: Value| def(kind, options).value(&raw).unwrap_err();
        for (kind, options, raw) in [
            (T::Number, &[][..], json!("lots")),
            (T::Number, &[], json!(true)),
            (T::Money, &[], json!("-3")),
            (T::Money, &[], json!("12 EUR")),
            (T::Date, &[], json!("31/01/2027")),
            (T::Select, &["Gold"], json!("Bronze")),
            (T::MultiSelect, &["A"], json!(["A", "Z"])),
            (T::MultiSelect, &["A"], json!([1])),
            (T::Checkbox, &[], json!("perhaps")),
            (T::Url, &[], json!("javascript:alert(1)")),
            (T::Url, &[], json!("acme.example")),
            (T::Text, &[], json!({"a": 1})),
            (T::Text, &[], json!("a\u{0}b")),
        ] {
            let e = err(kind, options, raw.clone());
            assert_eq!(e.field, "properties.p", "{kind:?} {raw}");
        }
    }

    #[test]
    fn names_and_options_are_checked() {
        assert_eq!(property_name(" annual_revenue ").unwrap(), "annual_revenue");
        for bad in ["", "Plan", "1st", "a-b", "é", &"a".repeat(41)] {
            assert!(property_name(bad).is_err(), "{bad}");
        }
        let opts = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            property_options(
                PropertyType::Select,
                &opts(&[" Gold ", "", "Gold", "Silver"])
            )
            .unwrap(),
            ["Gold", "Silver"]
        );
        assert!(property_options(PropertyType::Select, &opts(&["", " "])).is_err());
        assert!(property_options(PropertyType::Text, &opts(&["x"])).is_err());
        assert!(property_options(PropertyType::MultiSelect, &opts(&["a;b"])).is_err());
    }

    #[test]
    fn defined_properties_are_typed_and_others_pass() {
        let defs = vec![PropertyDef {
            name: "seats".into(),
            ..def(PropertyType::Number, &[])
        }];
        let props = json!({"seats": "40", "color": "blue"});
        let typed = typed(&defs, props.as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(typed), json!({"seats": 40, "color": "blue"}));
        let bad = json!({"seats": "many"});
        let errors = super::typed(&defs, bad.as_object().unwrap()).unwrap_err();
        assert_eq!(errors[0].field, "properties.seats");
    }
}
