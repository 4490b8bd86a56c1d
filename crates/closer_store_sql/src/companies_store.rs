//! Companies written once over `Engine`: the record and its domains, the list, edits in one
//! transaction with the contacts they link, and the company's people, deals and orders.

use closer_domain::pipeline::Deal;
use closer_domain::{Company, CompanyId, Contact, ContactId, Domain, UserId, WorkspaceId};
use closer_store::{CompanyQuery, Cursor, OwnerFilter, Page, StoreError};

use crate::{CONTACT_COLUMNS, Columns, DEAL_COLUMNS, Engine, Param, Sql, Step, required};

const COMPANY_COLUMNS: &str = "id, workspace_id, name, employees, industry, country, owner_id, properties, created_at, updated_at";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A company from its row; its domains are filled in afterwards.
fn company_row(r: &dyn Columns) -> Result<Company, StoreError> {
    Ok(Company {
        id: CompanyId(required("id", r.uuid("id")?)?),
        workspace_id: WorkspaceId(required("workspace_id", r.uuid("workspace_id")?)?),
        name: required("name", r.text("name")?)?,
        domains: Vec::new(),
        employees: r
            .integer("employees")?
            .map(u32::try_from)
            .transpose()
            .map_err(corrupt)?,
        industry: r.text("industry")?,
        country: r.text("country")?,
        owner_id: r.uuid("owner_id")?.map(UserId),
        properties: match required("properties", r.json("properties")?)? {
            serde_json::Value::Object(map) => map,
            other => return Err(corrupt(format!("company properties {other}"))),
        },
        created_at: required("created_at", r.timestamp("created_at")?)?,
        updated_at: required("updated_at", r.timestamp("updated_at")?)?,
    })
}

/// The companies with their domains, in their order.
async fn with_domains(
    e: &impl Engine,
    ws: WorkspaceId,
    mut companies: Vec<Company>,
) -> Result<Vec<Company>, StoreError> {
    if companies.is_empty() {
        return Ok(companies);
    }
    let ids: Vec<uuid::Uuid> = companies.iter().map(|c| c.id.0).collect();
    let mut sql = Sql::new(
        e.dialect(),
        format!(
            "select company_id, domain from company_domains where {} = ",
            e.dialect().unindexed("workspace_id")
        ),
    );
    sql.bind(Param::Uuid(ws.0)).push(" and company_id");
    sql.bind_ids(&ids).push(" order by company_id, position");
    let rows = e
        .fetch(sql, |r| {
            let domain = required("domain", r.text("domain")?)?;
            Ok((
                required("company_id", r.uuid("company_id")?)?,
                Domain::parse(&domain).map_err(|e| corrupt(e.message))?,
            ))
        })
        .await?;
    for (company, domain) in rows {
        if let Some(c) = companies.iter_mut().find(|c| c.id.0 == company) {
            c.domains.push(domain);
        }
    }
    Ok(companies)
}

/// The text the list's search matches: name and domains, lower case.
fn search_text(c: &Company) -> String {
    let mut s = c.name.to_lowercase();
    for d in &c.domains {
        s.push(' ');
        s.push_str(d.as_str());
    }
    s
}

/// The statements that store a company's domains (after its old ones are gone) and link the
/// workspace's contacts without a company whose email is at one of them.
fn domain_steps(e: &impl Engine, ws: WorkspaceId, c: &Company) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, d) in c.domains.iter().enumerate() {
        steps.push(Step::any(e.sql(
            "insert into company_domains (workspace_id, domain, company_id, position) \
             values ($1, $2, $3, $4)",
            [
                ws.0.into(),
                d.as_str().to_owned().into(),
                c.id.0.into(),
                Param::Int(i64::try_from(i).unwrap_or(i64::MAX)),
            ],
        )));
        steps.push(Step::any(link_domain_sql(e, ws, d, c.id)));
    }
    steps
}

/// Links the workspace's contacts without a company whose email is at `domain`.
fn link_domain_sql(e: &impl Engine, ws: WorkspaceId, domain: &Domain, company: CompanyId) -> Sql {
    e.sql(
        &format!(
            "update contacts set company_id = $1 \
             where workspace_id = $2 and company_id is null and company_manual = false and id in \
             (select contact_id from contact_identities where workspace_id = $2 \
              and kind = 'email' and {} = $3)",
            e.dialect().email_domain("value")
        ),
        [
            company.0.into(),
            ws.0.into(),
            domain.as_str().to_owned().into(),
        ],
    )
}

pub async fn link_domain(
    e: &impl Engine,
    ws: WorkspaceId,
    domain: &Domain,
    company: CompanyId,
) -> Result<u64, StoreError> {
    e.execute(link_domain_sql(e, ws, domain, company)).await
}

fn properties_text(c: &Company) -> String {
    serde_json::Value::Object(c.properties.clone()).to_string()
}

pub async fn create_company(
    e: &impl Engine,
    ws: WorkspaceId,
    c: &Company,
) -> Result<(), StoreError> {
    let insert = e.sql(
        &format!(
            "insert into companies (id, workspace_id, name, employees, industry, country, \
             owner_id, properties, search, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, {}, $9, $10, $11)",
            e.dialect().json_text("$8")
        ),
        [
            c.id.0.into(),
            ws.0.into(),
            c.name.clone().into(),
            Param::MaybeInt(c.employees.map(i64::from)),
            Param::MaybeText(c.industry.clone()),
            Param::MaybeText(c.country.clone()),
            Param::MaybeUuid(c.owner_id.map(|u| u.0)),
            Param::Text(properties_text(c)),
            Param::Text(search_text(c)),
            Param::Time(c.created_at),
            Param::Time(c.updated_at),
        ],
    );
    let mut steps = vec![Step::any(insert)];
    steps.extend(domain_steps(e, ws, c));
    e.transaction(steps).await
}

pub async fn save_company(e: &impl Engine, ws: WorkspaceId, c: &Company) -> Result<(), StoreError> {
    let update = e.sql(
        &format!(
            "update companies set name = $3, employees = $4, industry = $5, country = $6, \
             owner_id = $7, properties = {}, search = $9, updated_at = $10 \
             where workspace_id = $1 and id = $2",
            e.dialect().json_text("$8")
        ),
        [
            ws.0.into(),
            c.id.0.into(),
            c.name.clone().into(),
            Param::MaybeInt(c.employees.map(i64::from)),
            Param::MaybeText(c.industry.clone()),
            Param::MaybeText(c.country.clone()),
            Param::MaybeUuid(c.owner_id.map(|u| u.0)),
            Param::Text(properties_text(c)),
            Param::Text(search_text(c)),
            Param::Time(c.updated_at),
        ],
    );
    let mut steps = vec![
        Step::must_change(update),
        Step::any(e.sql(
            "delete from company_domains where workspace_id = $1 and company_id = $2",
            [ws.0.into(), c.id.0.into()],
        )),
    ];
    steps.extend(domain_steps(e, ws, c));
    e.transaction(steps).await
}

pub async fn delete_company(
    e: &impl Engine,
    ws: WorkspaceId,
    id: CompanyId,
) -> Result<(), StoreError> {
    e.transaction(vec![Step::must_change(e.sql(
        "delete from companies where workspace_id = $1 and id = $2",
        [ws.0.into(), id.0.into()],
    ))])
    .await
}

pub async fn company(
    e: &impl Engine,
    ws: WorkspaceId,
    id: CompanyId,
) -> Result<Company, StoreError> {
    let sql = e.sql(
        &format!("select {COMPANY_COLUMNS} from companies where workspace_id = $1 and id = $2"),
        [ws.0.into(), id.0.into()],
    );
    let one = e.fetch_one(sql, company_row).await?;
    Ok(with_domains(e, ws, vec![one]).await?.remove(0))
}

pub async fn companies_by_id(
    e: &impl Engine,
    ws: WorkspaceId,
    ids: &[CompanyId],
) -> Result<Vec<Company>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = ids.iter().map(|c| c.0).collect();
    // By key: SQLite, planning without statistics, would walk the workspace's companies.
    let mut sql = Sql::new(
        e.dialect(),
        format!(
            "select {COMPANY_COLUMNS} from companies where {} = ",
            e.dialect().unindexed("workspace_id")
        ),
    );
    sql.bind(Param::Uuid(ws.0)).push(" and id");
    sql.bind_ids(&ids);
    let found = e.fetch(sql, company_row).await?;
    with_domains(e, ws, found).await
}

pub async fn list_companies(
    e: &impl Engine,
    ws: WorkspaceId,
    q: &CompanyQuery,
) -> Result<Page<Company>, StoreError> {
    let d = e.dialect();
    let mut sql = Sql::new(
        d,
        format!("select {COMPANY_COLUMNS} from companies where workspace_id = "),
    );
    sql.bind(Param::Uuid(ws.0));
    match q.owner {
        Some(OwnerFilter::Unassigned) => {
            sql.push(" and owner_id is null");
        }
        Some(OwnerFilter::User(u)) => {
            sql.push(" and owner_id = ").bind(Param::Uuid(u.0));
        }
        None => {}
    }
    if let Some(text) = &q.q {
        let test = d.contains("search", &sql.next_placeholder());
        sql.params.push(Param::Text(text.to_lowercase()));
        sql.push(" and ").push(&test);
    }
    if let Some(after) = q.after {
        sql.push(" and (created_at, id) < (")
            .bind(Param::Time(after.at))
            .push(", ")
            .bind(Param::Uuid(after.id))
            .push(")");
    }
    sql.push(" order by created_at desc, id desc limit ")
        .bind(Param::Int(i64::from(q.limit) + 1));
    let mut items = e.fetch(sql, company_row).await?;
    let more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    let next = if more {
        items.last().map(|c| Cursor::new(c.created_at, c.id.0))
    } else {
        None
    };
    Ok(Page {
        items: with_domains(e, ws, items).await?,
        next,
    })
}

pub async fn company_by_domains(
    e: &impl Engine,
    ws: WorkspaceId,
    domains: &[Domain],
) -> Result<Option<CompanyId>, StoreError> {
    for d in domains {
        let sql = e.sql(
            "select company_id from company_domains where workspace_id = $1 and domain = $2",
            [ws.0.into(), d.as_str().to_owned().into()],
        );
        if let Some(id) = e
            .fetch_optional(sql, |r| required("company_id", r.uuid("company_id")?))
            .await?
        {
            return Ok(Some(CompanyId(id)));
        }
    }
    Ok(None)
}

pub async fn link_contact(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
    company: CompanyId,
) -> Result<bool, StoreError> {
    let sql = e.sql(
        "update contacts set company_id = $3 \
         where workspace_id = $1 and id = $2 and company_id is null and company_manual = false",
        [ws.0.into(), contact.0.into(), company.0.into()],
    );
    Ok(e.execute(sql).await? > 0)
}

pub async fn set_contact_company(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
    company: Option<CompanyId>,
) -> Result<(), StoreError> {
    e.transaction(vec![Step::must_change(e.sql(
        "update contacts set company_id = $3, company_manual = true \
         where workspace_id = $1 and id = $2",
        [
            ws.0.into(),
            contact.0.into(),
            Param::MaybeUuid(company.map(|c| c.0)),
        ],
    ))])
    .await
}

pub async fn company_of(
    e: &impl Engine,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<Option<CompanyId>, StoreError> {
    let sql = e.sql(
        "select company_id from contacts where workspace_id = $1 and id = $2",
        [ws.0.into(), contact.0.into()],
    );
    Ok(e.fetch_one(sql, |r| r.uuid("company_id"))
        .await?
        .map(CompanyId))
}

pub async fn company_contacts(
    e: &impl Engine,
    ws: WorkspaceId,
    company: CompanyId,
    limit: u32,
) -> Result<Vec<Contact>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {CONTACT_COLUMNS} from contacts where workspace_id = $1 and company_id = $2 \
             order by created_at desc, id desc limit $3"
        ),
        [ws.0.into(), company.0.into(), Param::Int(i64::from(limit))],
    );
    e.fetch(sql, |r| crate::contact(r)).await
}

pub async fn company_deals(
    e: &impl Engine,
    ws: WorkspaceId,
    company: CompanyId,
    limit: u32,
) -> Result<Vec<Deal>, StoreError> {
    let sql = e.sql(
        &format!(
            "select {DEAL_COLUMNS} from deals where workspace_id = $1 and (company_id = $2 \
             or contact_id in (select id from contacts where workspace_id = $1 and company_id = $2)) \
             order by created_at desc, id desc limit $3"
        ),
        [ws.0.into(), company.0.into(), Param::Int(i64::from(limit))],
    );
    e.fetch(sql, |r| crate::deal(r)).await
}
