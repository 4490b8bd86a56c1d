//! `closer property list|add|set|delete`: custom property definitions from the terminal,
//! under the same rules as the API and Settings → Properties.

use closer_app::properties::PropertyRequest;
use closer_app::{App, AppError, Principal};
use closer_domain::property::{PropertyDef, PropertyOf, PropertyType};

use crate::cli::PropertyCommand;

fn print(d: &PropertyDef) -> anyhow::Result<()> {
    let options = if d.options.is_empty() {
        String::new()
    } else {
        format!(" [{}]", d.options.join(", "))
    };
    outln!(
        "{}  {} {} ({}) \"{}\"{options}",
        d.id,
        d.of.as_str(),
        d.name,
        d.kind.as_str(),
        d.label
    );
    Ok(())
}

/// `--property NAME=VALUE` options as a properties patch: an empty value clears the property.
pub fn assignments(
    raw: &[String],
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, closer_domain::FieldError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let mut map = serde_json::Map::new();
    for a in raw {
        let Some((name, value)) = a.split_once('=') else {
            return Err(closer_domain::FieldError::new(
                "property",
                format!("{a:?} is not NAME=VALUE"),
            ));
        };
        let value = value.trim();
        map.insert(
            name.trim().to_owned(),
            if value.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(value.to_owned())
            },
        );
    }
    Ok(Some(map))
}

fn id(raw: &str) -> anyhow::Result<uuid::Uuid> {
    raw.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{raw:?} is not a property id (a UUID)"))
}

pub async fn run(app: App, cmd: PropertyCommand) -> anyhow::Result<()> {
    match cmd {
        PropertyCommand::List { of, workspace } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let of = of
                .map(|o| PropertyOf::parse(&o).map_err(|e| AppError::Invalid(vec![e])))
                .transpose()?;
            let defs = app.property_defs(&Principal::operator(ws), of).await?;
            if defs.is_empty() {
                outln!("no properties defined");
            }
            for d in &defs {
                print(d)?;
            }
        }
        PropertyCommand::Add {
            name,
            of,
            kind,
            label,
            options,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let mut errors = Vec::new();
            let of = PropertyOf::parse(&of).map_err(|e| errors.push(e)).ok();
            let kind = PropertyType::parse(&kind).map_err(|e| errors.push(e)).ok();
            let (Some(of), Some(kind), true) = (of, kind, errors.is_empty()) else {
                return Err(AppError::Invalid(errors).into());
            };
            let req = PropertyRequest {
                of,
                name,
                label: label.unwrap_or_default(),
                kind,
                options,
            };
            let d = app.define_property(&Principal::operator(ws), req).await?;
            print(&d)?;
        }
        PropertyCommand::Set {
            id: raw,
            label,
            options,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let d = app
                .update_property(&Principal::operator(ws), id(&raw)?, &label, &options)
                .await?;
            print(&d)?;
        }
        PropertyCommand::Delete {
            id: raw,
            yes,
            workspace,
        } => {
            let ws = app.access().workspace_by_slug(&workspace).await?.id;
            let property = id(&raw)?;
            crate::activities::confirmed(yes, "a property's definition")?;
            app.delete_property(&Principal::operator(ws), property)
                .await?;
            outln!("property {property} deleted");
        }
    }
    Ok(())
}
