//! Imports: HubSpot and Pipedrive contact files through `closer import contacts`, with a dry
//! run first, a second import that changes nothing, a changed row that updates its record,
//! invalid rows that stop the import or go to an error file, and a workspace's export read
//! back into a new workspace unchanged — on both engines.

use serde_json::Value;

use crate::helpers::{TestApp, closer_on as run, fixture_path as fixture};

/// A directory of its own under the system's, removed afterwards.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("closer-import-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn contacts(app: &TestApp, query: &str) -> Vec<Value> {
    let res = app
        .get(&format!("/api/v1/contacts?limit=200{query}"), &app.token)
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

fn by_email<'a>(list: &'a [Value], email: &str) -> &'a Value {
    list.iter()
        .find(|c| c["emails"].as_array().unwrap().iter().any(|e| e == email))
        .unwrap_or_else(|| panic!("{email} in {list:?}"))
}

crate::on_both_backends!(
    hubspot_and_pipedrive_files_import_after_a_dry_run_and_again_without_change,
    a_workspaces_export_imports_into_a_new_workspace_unchanged
);

async fn hubspot_and_pipedrive_files_import_after_a_dry_run_and_again_without_change(app: TestApp) {
    let (_, err, ok) = run(
        &app,
        &[
            "user",
            "add",
            "owner@example.com",
            "--name",
            "Olive Owner",
            "--role",
            "manager",
        ],
    );
    assert!(ok, "{err}");
    let hubspot = fixture("hubspot-contacts.csv");

    let (out, err, ok) = run(&app, &["import", "contacts", &hubspot, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("dry run: nothing was written"), "{out}");
    assert!(
        out.contains("would create 7, update 0, leave 0 unchanged; 1 rows are people an earlier row holds; 0 invalid"),
        "{out}"
    );
    assert!(
        contacts(&app, "").await.is_empty(),
        "a dry run writes nothing"
    );

    let (out, err, ok) = run(&app, &["import", "contacts", &hubspot, "--quiet"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("created 7, updated 0, unchanged 0; 1 rows merged"),
        "{out}"
    );
    assert!(
        out.contains("owner \"Jane Doe\" (1 rows) is not a user of this workspace"),
        "{out}"
    );
    let list = contacts(&app, "").await;
    assert_eq!(list.len(), 7);
    let ada = by_email(&list, "ada@analytical.example");
    assert_eq!(
        ada["name"], "Ada Lovelace",
        "the first row of a person sets the fields"
    );
    assert_eq!(ada["stage"], "customer");
    assert_eq!(
        ada["created_at"], "2024-01-15T09:30:00Z",
        "the file's creation time"
    );
    assert_eq!(ada["phones"][0], "+442079460018");
    assert_eq!(ada["properties"]["city"], "London");
    assert_eq!(ada["properties"]["country"], "United Kingdom");
    assert_eq!(ada["properties"]["original_source"], "Offline Sources");
    assert!(ada["owner_id"].is_string(), "the owner matched by email");
    let grace = by_email(&list, "grace@navy.example");
    assert_eq!(
        grace["stage"], "prospect",
        "a sales qualified lead is a prospect"
    );
    assert_eq!(
        grace["phones"].as_array().unwrap().len(),
        2,
        "phone and mobile"
    );
    let alan = by_email(&list, "alan@bletchley.example");
    assert!(
        alan["owner_id"].is_null(),
        "an unknown owner leaves it unassigned"
    );
    assert_eq!(
        by_email(&list, "barbara@mit.example")["stage"],
        "customer",
        "an evangelist is a customer"
    );

    // The same file again changes nothing.
    let (out, err, ok) = run(&app, &["import", "contacts", &hubspot]);
    assert!(ok, "{err}");
    assert!(
        out.contains("created 0, updated 0, unchanged 7; 1 rows merged"),
        "{out}"
    );
    let again = contacts(&app, "").await;
    assert_eq!(
        again.iter().map(|c| &c["updated_at"]).collect::<Vec<_>>(),
        list.iter().map(|c| &c["updated_at"]).collect::<Vec<_>>()
    );

    // A changed row updates its record, found by its id although its email changed.
    let dir = TempDir::new();
    let changed = dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        "Record ID,First Name,Last Name,Email\n52,Grace,Brewster Hopper,grace@hopper.example\n",
    )
    .unwrap();
    let (out, err, ok) = run(&app, &["import", "contacts", changed.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 1, unchanged 0"), "{out}");
    let res = app
        .get(
            &format!("/api/v1/contacts/{}", grace["id"].as_str().unwrap()),
            &app.token,
        )
        .await;
    let grace: Value = res.json().await.unwrap();
    assert_eq!(grace["name"], "Grace Brewster Hopper");
    assert_eq!(
        grace["emails"],
        serde_json::json!(["grace@navy.example", "grace@hopper.example"])
    );

    // Pipedrive's people: Ada is found by her email; the others are new.
    let (out, err, ok) = run(
        &app,
        &["import", "contacts", &fixture("pipedrive-persons.csv")],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created 2, updated 1, unchanged 0"), "{out}");
    let list = contacts(&app, "").await;
    let hedy = by_email(&list, "hedy@frequency.example");
    assert_eq!(hedy["company"], "Frequency Hopping Inc");
    assert_eq!(hedy["created_at"], "2023-11-02T10:15:00Z");
    assert!(hedy["owner_id"].is_string(), "the owner matched by name");
    assert_eq!(hedy["properties"]["person_label"], "Hot lead");

    // An invalid row stops the whole file, every problem listed with its line.
    let invalid = fixture("hubspot-contacts-invalid.csv");
    let (out, err, ok) = run(&app, &["import", "contacts", &invalid]);
    assert!(!ok);
    assert!(
        err.contains("nothing was imported: 3 invalid rows"),
        "{err}"
    );
    assert!(out.contains("line 3: row: has no email or phone"), "{out}");
    assert!(
        out.contains("line 4: Email: is not a valid email address"),
        "{out}"
    );
    assert!(
        out.contains("line 5: Lifecycle Stage: \"wizard\" is not a lifecycle stage")
            && out.contains("Create Date: \"yesterday\" is not a date"),
        "{out}"
    );
    assert_eq!(
        contacts(&app, "").await.len(),
        9,
        "nothing of the file was written"
    );

    // With --continue-on-error the valid rows import and the others go to a file to fix.
    let errors = dir.path().join("rejected.csv");
    let (out, err, ok) = run(
        &app,
        &[
            "import",
            "contacts",
            &invalid,
            "--continue-on-error",
            "--errors",
            errors.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("created 2") && out.contains("3 rejected"),
        "{out}"
    );
    let rejected = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(rejected.lines().count(), 4, "{rejected}");
    assert!(rejected.starts_with("Record ID,First Name,Last Name,Email,Phone Number,Lifecycle Stage,Create Date,Import error\n"));
    let fixed = rejected
        .replace("62,No,Identity,,", "62,No,Identity,no@example.com,")
        .replace("not-an-email", "bad@example.com")
        .replace("wizard,yesterday", "lead,2024-01-04");
    std::fs::write(&errors, fixed).unwrap();
    let (out, err, ok) = run(&app, &["import", "contacts", errors.to_str().unwrap()]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("created 3, updated 0, unchanged 0"), "{out}");
    assert_eq!(contacts(&app, "").await.len(), 14);

    // Only those who may edit every contact import.
    let (_, err, ok) = run(
        &app,
        &["import", "contacts", &hubspot, "--workspace", "nope"],
    );
    assert!(!ok && err.contains("nope"), "{err}");
}

async fn a_workspaces_export_imports_into_a_new_workspace_unchanged(app: TestApp) {
    let (_, err, ok) = run(
        &app,
        &["import", "contacts", &fixture("hubspot-contacts.csv")],
    );
    assert!(ok, "{err}");
    let res = app
        .post_json(
            "/api/v1/contacts",
            &app.token,
            &serde_json::json!({
                "email": "consent@example.com", "name": "=cmd|' /C calc'!A0",
                "phones": ["+1 202 555 0111"],
                "consent": {"granted": true, "at": "2026-01-02T03:04:05Z", "source": "webinar"},
                "properties": {"seats": 12, "tier": "gold"}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);

    let dir = TempDir::new();
    let exported = dir.path().join("contacts.csv");
    let (out, err, ok) = run(&app, &["export", "contacts"]);
    assert!(ok, "{err}");
    std::fs::write(&exported, &out).unwrap();
    let (_, err, ok) = run(&app, &["workspace", "create", "copy"]);
    assert!(ok, "{err}");
    let (report, err, ok) = run(
        &app,
        &[
            "import",
            "contacts",
            exported.to_str().unwrap(),
            "--workspace",
            "copy",
        ],
    );
    assert!(ok, "{err}");
    assert!(report.contains("created 8,"), "{report}");
    let (copied, err, ok) = run(&app, &["export", "contacts", "--workspace", "copy"]);
    assert!(ok, "{err}");

    // Every column compares equal but the record's own id and its time of last change.
    let rows = |text: &str| crate::helpers::export_rows(text, &["id", "updated_at"]);
    let (before, after) = (rows(&out), rows(&copied));
    assert_eq!(before.len(), 8);
    assert_eq!(before, after);
    // Imported once more, the copy does not change: each record is found by its old id.
    let (report, err, ok) = run(
        &app,
        &[
            "import",
            "contacts",
            exported.to_str().unwrap(),
            "--workspace",
            "copy",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        report.contains("created 0, updated 0, unchanged 8"),
        "{report}"
    );
}
