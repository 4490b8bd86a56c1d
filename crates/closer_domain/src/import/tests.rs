//! Header recognition and row reading on the exact headers HubSpot and Pipedrive write.

use super::ContactField::{
    Company, CreatedAt, Email, ExternalId, FirstName, JobTitle, LastName, Name, Owner, Phone,
    Property, Skip,
};
use super::*;

/// HubSpot's contact export (Contacts → Export, "All properties" trimmed to the usual ones).
const HUBSPOT: &[&str] = &[
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Mobile Phone Number",
    "Company Name",
    "Job Title",
    "Lifecycle Stage",
    "Lead Status",
    "Contact owner",
    "Create Date",
    "City",
    "Country/Region",
    "Original Source",
    "Favourite Colour",
];

/// Pipedrive's people export.
const PIPEDRIVE: &[&str] = &[
    "Person - ID",
    "Person - Name",
    "Person - Email - Work",
    "Person - Phone - Mobile",
    "Person - Organization",
    "Person - Owner",
    "Person - Person created",
];

#[test]
fn hubspot_headers_are_recognised() {
    let cols = ContactColumns::recognise(HUBSPOT, &Mapping::default()).unwrap();
    assert_eq!(
        cols.fields,
        vec![
            ExternalId,
            FirstName,
            LastName,
            Email,
            Phone,
            Phone,
            Company,
            JobTitle,
            ContactField::Stage,
            Property("lead_status".into()),
            Owner,
            CreatedAt,
            Property("city".into()),
            Property("country".into()),
            Property("original_source".into()),
            Property("favourite_colour".into()),
        ]
    );
    let row = cols
        .read(
            &[
                "101",
                "Ada",
                "Lovelace",
                "ADA@Example.com",
                "+44 20 7946 0000",
                "+44 7911 123456",
                "Analytical Engines",
                "Founder",
                "Marketing Qualified Lead",
                "Open",
                "rep@acme.example",
                "2025-03-01 14:05",
                "London",
                "United Kingdom",
                "Organic Search",
                "",
            ],
            None,
        )
        .unwrap();
    assert_eq!(row.external_id.as_deref(), Some("101"));
    assert_eq!(row.draft.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(row.draft.emails[0].as_str(), "ada@example.com");
    assert_eq!(row.draft.phones.len(), 2);
    assert_eq!(row.draft.stage, Some(crate::Stage::Lead));
    assert_eq!(row.owner.as_deref(), Some("rep@acme.example"));
    assert_eq!(
        row.created_at,
        Timestamp::parse_rfc3339("2025-03-01T14:05:00Z")
    );
    assert_eq!(row.draft.properties["country"], "United Kingdom");
    assert!(
        !row.draft.properties.contains_key("favourite_colour"),
        "an empty cell is no value"
    );
}

#[test]
fn pipedrive_headers_are_recognised() {
    let cols = ContactColumns::recognise(PIPEDRIVE, &Mapping::default()).unwrap();
    assert_eq!(
        cols.fields,
        vec![ExternalId, Name, Email, Phone, Company, Owner, CreatedAt]
    );
    let row = cols
        .read(
            &[
                "7",
                "Grace Hopper",
                "grace@navy.example",
                "",
                "US Navy",
                "Rep",
                "2024-12-01",
            ],
            None,
        )
        .unwrap();
    assert_eq!(row.draft.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(row.draft.company.as_deref(), Some("US Navy"));
}

#[test]
fn hubspot_lifecycle_stages_map_to_closers() {
    for (raw, want) in [
        ("subscriber", Stage::Lead),
        ("Lead", Stage::Lead),
        ("Marketing Qualified Lead", Stage::Lead),
        ("marketingqualifiedlead", Stage::Lead),
        ("Sales Qualified Lead", Stage::Prospect),
        ("Opportunity", Stage::Opportunity),
        ("Customer", Stage::Customer),
        ("Evangelist", Stage::Customer),
        ("Other", Stage::Lead),
    ] {
        assert_eq!(stage(raw).unwrap(), want, "{raw}");
    }
    assert!(stage("Champion").is_err());
}

#[test]
fn a_mapping_file_overrides_and_adds() {
    let mapping = Mapping::parse(
        r#"
id_column = "Legacy Key"
[columns]
"Work Email" = "email"
"Segment" = "property:Customer Segment"
"Notes" = "skip"
"#,
    )
    .unwrap();
    let cols = ContactColumns::recognise(
        &["Legacy Key", "Record ID", "Work Email", "Segment", "Notes"],
        &mapping,
    )
    .unwrap();
    assert_eq!(
        cols.fields,
        vec![
            ExternalId,
            Property("record_id".into()),
            Email,
            Property("customer_segment".into()),
            Skip
        ]
    );
    // A field name is checked against the kind of file it maps.
    let nonsense = Mapping::parse("[columns]\n\"A\" = \"nonsense\"").unwrap();
    let wrong = ContactColumns::recognise(&["A", "Email"], &nonsense).unwrap_err();
    assert_eq!(wrong.field, "columns.A");
    assert!(
        wrong.message.contains("not a field of a contact file"),
        "{}",
        wrong.message
    );
    assert!(Mapping::parse("colour = 1").is_err());
    assert!(Mapping::parse("[columns]\n\"A\" = 3").is_err());
    let missing = ContactColumns::recognise(&["Email"], &Mapping::default().with_id_column("Key"));
    assert_eq!(missing.unwrap_err().field, "id_column");
}

#[test]
fn a_file_without_email_or_phone_is_refused() {
    let err = ContactColumns::recognise(&["First Name", "Company"], &Mapping::default());
    assert_eq!(err.unwrap_err().field, "header");
}

#[test]
fn every_problem_of_a_row_is_named_by_its_column() {
    let cols = ContactColumns::recognise(HUBSPOT, &Mapping::default()).unwrap();
    let mut cells = vec![""; HUBSPOT.len()];
    cells[3] = "not-an-email";
    cells[8] = "Champion";
    cells[11] = "yesterday";
    let errors = cols.read(&cells, None).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["Email", "Lifecycle Stage", "Create Date"]);
    let mut named_only = vec![""; HUBSPOT.len()];
    named_only[1] = "Ada";
    let errors = cols.read(&named_only, None).unwrap_err();
    assert_eq!(errors[0].field, "row", "{errors:?}");
}

#[test]
fn closers_own_export_reads_back() {
    let header = [
        "id",
        "name",
        "emails",
        "phones",
        "company",
        "company_id",
        "job_title",
        "stage",
        "owner_id",
        "consent",
        "consent_at",
        "consent_source",
        "created_at",
        "updated_at",
        "properties",
    ];
    let cols = ContactColumns::recognise(&header, &Mapping::default()).unwrap();
    let cells = [
        "0190f0a0-0000-7000-8000-000000000001",
        "Ada Lovelace",
        "ada@example.com;ada@work.example",
        "+442079460018",
        "Analytical",
        "",
        "CEO",
        "customer",
        "",
        "granted",
        "2026-01-02T03:04:05Z",
        "form:landing",
        "2025-12-01T00:00:00Z",
        "2026-01-05T00:00:00Z",
        r#"{"tier":"gold","seats":12}"#,
    ];
    let row = cols.read(&cells, None).unwrap();
    assert_eq!(row.external_id.as_deref(), Some(cells[0]));
    assert_eq!(row.draft.emails.len(), 2);
    let consent = row.draft.consent.unwrap();
    assert!(consent.granted);
    assert_eq!(consent.source.as_deref(), Some("form:landing"));
    assert_eq!(row.draft.properties["seats"], 12);
    assert_eq!(row.created_at.unwrap().to_string(), "2025-12-01T00:00:00Z");
    let mut no_time = cells;
    no_time[10] = "";
    let errors = cols.read(&no_time, None).unwrap_err();
    assert_eq!(errors[0].field, "consent_at");
}

#[test]
fn property_names_are_tidy() {
    assert_eq!(property_name(" Country/Region "), "country_region");
    assert_eq!(property_name("Lead  Status"), "lead_status");
    assert_eq!(normalise("  Record   ID "), "record id");
}

#[test]
fn one_mapping_format_names_the_fields_of_every_kind_of_file() {
    use super::activities::{ActivityColumns, ActivityField};
    use super::companies::{CompanyColumns, CompanyField};
    use super::deals::{DealColumns, DealField};
    let mapping = Mapping::parse(
        r#"
id_column = "Legacy"
[columns]
"Firma" = "name"
"Web" = "domains"
"Branche" = "property:sector"
"Abschluss" = "expected_close"
"Kontakt" = "email"
"Betreff" = "subject"
"Fällig" = "due_date"
"Lärm" = "skip"
"#,
    )
    .unwrap();
    let companies = CompanyColumns::recognise(
        &["Legacy", "Firma", "Web", "Branche", "Lärm", "ID"],
        &mapping,
    )
    .unwrap();
    assert_eq!(
        companies.fields,
        vec![
            CompanyField::ExternalId,
            CompanyField::Name,
            CompanyField::Domains,
            CompanyField::Property("sector".into()),
            CompanyField::Skip,
            // With an id column named, the built-in id names are ordinary columns.
            CompanyField::Property("id".into()),
        ]
    );
    let deals =
        DealColumns::recognise(&["Legacy", "Title", "Abschluss", "Kontakt"], &mapping).unwrap();
    assert_eq!(
        deals.fields,
        vec![
            DealField::ExternalId,
            DealField::Title,
            DealField::ExpectedClose,
            DealField::Email
        ]
    );
    let activities = ActivityColumns::recognise(
        &["Legacy", "Betreff", "Fällig", "Kontakt", "Lärm"],
        &mapping,
    )
    .unwrap();
    assert_eq!(
        activities.fields,
        vec![
            ActivityField::ExternalId,
            ActivityField::Subject,
            ActivityField::DueDate,
            ActivityField::Email,
            ActivityField::Skip
        ]
    );
    // A deal file keeps no custom properties: mapping a column to one is refused by name.
    let refused =
        DealColumns::recognise(&["Legacy", "Title", "Branche", "Kontakt"], &mapping).unwrap_err();
    assert_eq!(refused.field, "columns.Branche");
    // A field of another kind of file is refused naming the kind's own fields.
    let other = CompanyColumns::recognise(&["Legacy", "Firma", "Abschluss"], &mapping).unwrap_err();
    assert_eq!(other.field, "columns.Abschluss");
    assert!(other.message.contains("domains"), "{}", other.message);
    // The id column the mapping names must be there.
    let missing = CompanyColumns::recognise(&["Firma"], &mapping).unwrap_err();
    assert_eq!(missing.field, "id_column");
}
