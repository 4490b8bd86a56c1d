//! Companies and deals from the tools teams leave: a HubSpot companies export and a Pipedrive
//! deals export imported with `closer import companies|deals`, a dry run first, a second
//! import that changes nothing; the people linked to their companies and the deals closed at
//! their own times with their loss reasons; a file naming what the workspace lacks refused;
//! and a workspace's companies and deals exported and read back into a new workspace
//! unchanged — on both engines.

use serde_json::{Value, json};

use crate::helpers::{TestApp, closer_on as run, export_rows as rows, fixture_path as fixture};

/// Pipedrive's default pipeline, which the deals file names, made from the terminal.
fn pipedrive_pipeline(app: &TestApp, workspace: &str) {
    let (out, err, ok) = run(
        app,
        &[
            "pipeline",
            "create",
            "Pipedrive",
            "Lead In",
            "Contact Made",
            "Needs Defined",
            "Proposal Made",
            "Negotiations Started",
            "--workspace",
            workspace,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("Pipedrive"), "{out}");
    assert!(
        out.contains("Negotiations Started") && out.contains("83%"),
        "{out}"
    );
}

async fn list(app: &TestApp, path: &str) -> Vec<Value> {
    let res = app.get(path, &app.token).await;
    assert_eq!(res.status(), 200, "{path}");
    let body: Value = res.json().await.unwrap();
    match body.get("items") {
        Some(items) => items.as_array().unwrap().clone(),
        None => body.as_array().unwrap().clone(),
    }
}

crate::on_both_backends!(
    hubspot_companies_and_pipedrive_deals_import_once_and_move_workspaces,
    company_and_deal_files_name_every_problem,
    files_named_otherwise_import_through_one_mapping_format,
    a_company_file_is_read_a_chunk_at_a_time_and_checked_whole,
    a_to_do_list_imports_as_tasks_and_updates_them
);

#[allow(clippy::too_many_lines)]
async fn hubspot_companies_and_pipedrive_deals_import_once_and_move_workspaces(app: TestApp) {
    let (_, err, ok) = run(
        &app,
        &["import", "contacts", &fixture("hubspot-contacts.csv")],
    );
    assert!(ok, "{err}");
    let people = list(&app, "/api/v1/contacts?limit=200").await.len();

    // Companies: a dry run, the import, and again.
    let companies = fixture("hubspot-companies.csv");
    let (out, err, ok) = run(&app, &["import", "companies", &companies, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("would create 7, update 0, leave 0 unchanged"),
        "{out}"
    );
    assert!(
        list(&app, "/api/v1/companies").await.is_empty(),
        "a dry run writes nothing"
    );
    let (out, err, ok) = run(&app, &["import", "companies", &companies]);
    assert!(ok, "{err}");
    assert!(out.contains("created 7, updated 0, unchanged 0"), "{out}");
    let (out, err, ok) = run(&app, &["import", "companies", &companies]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 0, unchanged 7"), "{out}");
    let all = list(&app, "/api/v1/companies?limit=200").await;
    assert_eq!(all.len(), 7);
    let mit = all.iter().find(|c| c["name"] == "MIT").unwrap();
    assert_eq!(mit["domains"], json!(["mit.example", "web.mit.example"]));
    assert_eq!(mit["employees"], 13000);
    assert_eq!(mit["industry"], "Higher Education");
    assert_eq!(mit["created_at"], "2024-04-05T08:30:00Z");
    assert_eq!(mit["properties"]["city"], "Cambridge");
    assert!(mit["properties"].get("last_modified_date").is_none());
    // Its people, linked by their email's domain.
    let detail: Value = app
        .get(
            &format!("/api/v1/companies/{}", mit["id"].as_str().unwrap()),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = detail["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Barbara Liskov", "Margaret Hamilton"], "{detail}");
    // A changed row updates its company.
    let dir = std::env::temp_dir().join(format!("closer-records-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let changed = dir.join("companies.csv");
    std::fs::write(
        &changed,
        std::fs::read_to_string(&companies)
            .unwrap()
            .replace("\"13000\"", "\"14000\""),
    )
    .unwrap();
    let (out, err, ok) = run(&app, &["import", "companies", changed.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 1, unchanged 6"), "{out}");

    // Deals: the file names Pipedrive's pipeline.
    let deals = fixture("pipedrive-deals.csv");
    let (out, err, ok) = run(&app, &["import", "deals", &deals, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("8 invalid"),
        "the pipeline is not there yet: {out}"
    );
    assert!(
        out.contains("\"Pipedrive\" is not a pipeline of this workspace (Sales)"),
        "{out}"
    );
    pipedrive_pipeline(&app, "default");
    let (_, err, ok) = run(&app, &["pipeline", "create", "Pipedrive", "Other"]);
    assert!(!ok, "a second pipeline of that name");
    assert!(err.contains("name"), "{err}");
    let (out, err, ok) = run(&app, &["import", "deals", &deals, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("would create 8, update 0, leave 0 unchanged"),
        "{out}"
    );
    assert!(list(&app, "/api/v1/deals").await.is_empty());
    let (out, err, ok) = run(&app, &["import", "deals", &deals]);
    assert!(ok, "{err}");
    assert!(out.contains("created 8, updated 0, unchanged 0"), "{out}");
    let (out, err, ok) = run(&app, &["import", "deals", &deals]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 0, unchanged 8"), "{out}");
    let all = list(&app, "/api/v1/deals?limit=100").await;
    assert_eq!(all.len(), 8);
    let deal = |title: &str| all.iter().find(|d| d["title"] == title).unwrap().clone();
    let won = deal("Analytical Engine licence");
    assert_eq!(won["status"], "won");
    assert_eq!(won["amount"], "12500.00");
    assert_eq!(won["currency"], "GBP");
    assert_eq!(won["created_at"], "2024-01-20T09:00:00Z");
    assert_eq!(won["closed_at"], "2024-03-28T16:30:00Z");
    let lost = deal("Codebreaking consultancy");
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["loss_reason"], "competitor", "{lost}");
    assert_eq!(lost["closed_at"], "2024-04-18T09:45:00Z");
    let in_house = deal("Trajectory audit");
    assert_eq!(in_house["loss_reason"], "other");
    assert_eq!(in_house["objection"], "They built it in-house");
    let open = deal("Compiler training");
    assert_eq!(open["status"], "open");
    assert_eq!(open["amount"], "4800.50");
    assert_eq!(open["expected_close"], "2024-09-30");
    // Charles was nobody's contact yet: the deal made him.
    assert_eq!(
        list(&app, "/api/v1/contacts?limit=200").await.len(),
        people + 1
    );
    let orders = list(&app, "/api/v1/orders?limit=100").await;
    assert_eq!(
        orders.len(),
        2,
        "each won deal placed its order once: {orders:?}"
    );

    // Activities: done ones logged on their deals at their time, the rest as tasks.
    let activities = fixture("pipedrive-activities.csv");
    let (out, err, ok) = run(&app, &["import", "activities", &activities, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("would create 6, update 0, leave 0 unchanged"),
        "{out}"
    );
    let (out, err, ok) = run(&app, &["import", "activities", &activities]);
    assert!(ok, "{err}");
    assert!(out.contains("created 6, updated 0, unchanged 0"), "{out}");
    let (out, err, ok) = run(&app, &["import", "activities", &activities]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 0, unchanged 6"), "{out}");
    let ada = list(&app, "/api/v1/contacts?q=ada%40analytical.example").await;
    let logged = list(
        &app,
        &format!(
            "/api/v1/contacts/{}/activities",
            ada[0]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["kind"], "call");
    assert_eq!(logged[0]["occurred_at"], "2024-01-22T10:35:00Z");
    assert_eq!(
        logged[0]["text"],
        "Discovery call\n\nWants the licence before Q2"
    );
    assert_eq!(logged[0]["deal_id"], won["id"]);
    let tasks = list(&app, "/api/v1/tasks?status=open&limit=100").await;
    let quote = tasks
        .iter()
        .find(|t| t["title"] == "Send revised quote")
        .unwrap_or_else(|| panic!("{tasks:?}"));
    assert_eq!(quote["due_at"], "2030-03-02T00:00:00Z");
    assert_eq!(quote["deal_id"], open["id"]);
    assert!(tasks.iter().any(|t| t["title"] == "Call back about budget"));

    // Exported and read into a new workspace: the same companies and deals.
    let (_, err, ok) = run(&app, &["workspace", "create", "copy"]);
    assert!(ok, "{err}");
    pipedrive_pipeline(&app, "copy");
    let into_copy = |entity: &str| {
        let path = dir.join(format!("{entity}-export.csv"));
        run(
            &app,
            &[
                "import",
                entity,
                path.to_str().unwrap(),
                "--workspace",
                "copy",
            ],
        )
    };
    let mut exported = Vec::new();
    for entity in ["contacts", "companies", "deals", "activities", "tasks"] {
        let (out, err, ok) = run(&app, &["export", entity]);
        assert!(ok, "{err}");
        std::fs::write(dir.join(format!("{entity}-export.csv")), &out).unwrap();
        let (report, err, ok) = into_copy(entity);
        assert!(ok, "{entity}: {err}");
        assert!(
            report.contains("updated 0, unchanged 0"),
            "{entity}: {report}"
        );
        exported.push(out);
    }
    let copied = |entity: &str| {
        let (out, err, ok) = run(&app, &["export", entity, "--workspace", "copy"]);
        assert!(ok, "{err}");
        out
    };
    // Ids are the new workspace's own, and so are its users (the owners are not there).
    let without = [
        "id",
        "updated_at",
        "owner_id",
        "company_id",
        "contact_id",
        "pipeline_id",
        "stage_id",
    ];
    assert_eq!(
        rows(&exported[1], &without),
        rows(&copied("companies"), &without)
    );
    let (before, after) = (
        rows(&exported[2], &without),
        rows(&copied("deals"), &without),
    );
    assert_eq!(before.len(), 8);
    assert_eq!(before, after);
    let without = ["id", "owner_id", "contact_id", "deal_id"];
    let (before, after) = (
        rows(&exported[3], &without),
        rows(&copied("activities"), &without),
    );
    assert_eq!(before.len(), 4);
    assert_eq!(before, after);
    let without = ["id", "contact_id", "deal_id", "assignee_id"];
    let (before, after) = (
        rows(&exported[4], &without),
        rows(&copied("tasks"), &without),
    );
    assert_eq!(before.len(), 2, "the activity file's two open ones");
    assert_eq!(before, after);
    assert!(
        before
            .iter()
            .any(|t| t.contains(&("deal".into(), "Compiler training".into()))),
        "a task keeps its deal: {before:?}"
    );
    // And once more: nothing changes.
    for entity in ["companies", "deals", "activities", "tasks"] {
        let (report, err, ok) = into_copy(entity);
        assert!(ok, "{err}");
        assert!(
            report.contains("created 0, updated 0"),
            "{entity}: {report}"
        );
    }
    // The export read back into the workspace it came from (edited in a spreadsheet, say)
    // finds its own records by their ids: nothing is doubled.
    for entity in ["contacts", "companies", "deals", "activities", "tasks"] {
        let path = dir.join(format!("{entity}-export.csv"));
        let (report, err, ok) = run(&app, &["import", entity, path.to_str().unwrap()]);
        assert!(ok, "{entity}: {err}");
        assert!(report.contains("created 0,"), "{entity}: {report}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn company_and_deal_files_name_every_problem(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("closer-records-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let companies = file(
        "companies.csv",
        "Company name,Company Domain Name,Number of Employees\n\
         Good Co,good.example,10\n\
         ,gmail.com,many\n",
    );
    let (out, err, ok) = run(&app, &["import", "companies", &companies]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("nothing was imported: 1 invalid rows"),
        "{err}"
    );
    assert!(
        out.contains("line 3: Company Domain Name: gmail.com is a free-mail domain")
            && out.contains("Number of Employees: \"many\" is not a whole number")
            && out.contains("name: is needed"),
        "{out}"
    );
    assert!(
        list(&app, "/api/v1/companies").await.is_empty(),
        "nothing imported"
    );
    let (out, err, ok) = run(
        &app,
        &[
            "import",
            "companies",
            &companies,
            "--continue-on-error",
            "--errors",
            dir.join("errors.csv").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created 1,"), "{out}");

    let deals = file(
        "deals.csv",
        "Deal - Title,Person - Email,Deal - Stage,Deal - Status,Deal - Lost reason\n\
         Fine,fine@example.com,Demo,open,\n\
         Nowhere,nowhere@example.com,Lead In,open,\n\
         ,,,,\n\
         Contradiction,c@example.com,Won,open,\n",
    );
    let (out, _, ok) = run(&app, &["import", "deals", &deals]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("\"Lead In\" is not a stage of the pipeline \"Sales\"")
            && out.contains("status: is open, but the stage \"Won\" closes deals"),
        "{out}"
    );
    assert!(list(&app, "/api/v1/deals").await.is_empty());
    for (header, why) in [
        ("Deal - Title,Deal - Value\n", "names the deal's person"),
        ("Person - Email\n", "holds the deal's title"),
    ] {
        let path = file("bad-header.csv", header);
        let (_, err, ok) = run(&app, &["import", "deals", &path]);
        assert!(!ok);
        assert!(err.contains(why), "{err}");
    }
    // A contact id nobody in this workspace has, and no email or phone to make them by.
    let ghost = file(
        "ghost.csv",
        &format!("title,contact_id\nGhost deal,{}\n", uuid::Uuid::now_v7()),
    );
    let (out, _, ok) = run(&app, &["import", "deals", &ghost]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("contact_id: names no contact of this workspace"),
        "{out}"
    );
    // Over the API: the same entity names, and a header refused before a job exists.
    let res = app
        .client
        .post(app.url("/api/v1/imports?entity=deals"))
        .bearer_auth(&app.token)
        .header("content-type", "text/csv")
        .body("Deal - Value\n10\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = app
        .client
        .post(app.url("/api/v1/imports?entity=companies&dry_run=true"))
        .bearer_auth(&app.token)
        .header("content-type", "text/csv")
        .body("Company name,Company Domain Name\nApi Co,api.example\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A team whose tool names columns in German: one mapping file per file, the same format for
/// companies, deals, activities and orders, from the terminal and over the API.
#[allow(clippy::too_many_lines)]
async fn files_named_otherwise_import_through_one_mapping_format(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("closer-mapping-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let companies = file(
        "firmen.csv",
        "Nummer,Firma,Webseite,Branche,Notiz\n\
         F-1,Müller GmbH,mueller.example,Maschinenbau,intern\n\
         F-2,Schmidt AG,schmidt.example,Handel,\n",
    );
    let company_map = file(
        "firmen.toml",
        "id_column = \"Nummer\"\n[columns]\nFirma = \"name\"\nWebseite = \"domains\"\nBranche = \"industry\"\nNotiz = \"skip\"\n",
    );
    let (out, err, ok) = run(
        &app,
        &["import", "companies", &companies, "--mapping", &company_map],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created 2, updated 0, unchanged 0"), "{out}");
    let (out, err, ok) = run(
        &app,
        &["import", "companies", &companies, "--mapping", &company_map],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 0, unchanged 2"), "{out}");
    let all = list(&app, "/api/v1/companies").await;
    let mueller = all.iter().find(|c| c["name"] == "Müller GmbH").unwrap();
    assert_eq!(mueller["domains"], json!(["mueller.example"]));
    assert_eq!(mueller["industry"], "Maschinenbau");
    assert!(mueller["properties"].get("notiz").is_none(), "{mueller}");

    let deals = file(
        "geschaefte.csv",
        "Titel,Wert,Kontakt,Phase\n\
         Fräsmaschine,12000,anna@mueller.example,Demo\n",
    );
    let deal_map = file(
        "geschaefte.toml",
        "[columns]\nTitel = \"title\"\nWert = \"amount\"\nKontakt = \"email\"\nPhase = \"stage\"\n",
    );
    let (out, err, ok) = run(&app, &["import", "deals", &deals, "--mapping", &deal_map]);
    assert!(ok, "{err}");
    assert!(out.contains("created 1,"), "{out}");
    let deal = &list(&app, "/api/v1/deals").await[0];
    assert_eq!(deal["title"], "Fräsmaschine");
    assert_eq!(deal["amount"], "12000.00");
    // A deal file keeps no custom properties: the mapping says so by column.
    let wrong = file("wrong.toml", "[columns]\nPhase = \"property:phase\"\n");
    let (_, err, ok) = run(&app, &["import", "deals", &deals, "--mapping", &wrong]);
    assert!(!ok);
    assert!(
        err.contains("columns.Phase: a deal file keeps no custom properties"),
        "{err}"
    );

    // Activities over the API: the mapping's text as a parameter.
    let activities =
        "Betreff,Erledigt,Datum,Kontakt\nErstgespräch,yes,2026-01-05,anna@mueller.example\n";
    let activity_map = "[columns]\nBetreff = \"subject\"\nErledigt = \"done\"\nDatum = \"occurred_at\"\nKontakt = \"email\"\n";
    let post = |query: String, body: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/imports?{query}")))
            .bearer_auth(&app.token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let encoded = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let done = crate::import_jobs::import(
        &app,
        &format!("entity=activities&mapping={}", encoded(activity_map)),
        activities.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(done["summary"]["created"], 1, "{done}");
    let timeline: Value = app
        .get(
            &format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()),
            &app.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let contact = timeline["contact_id"].as_str().unwrap().to_owned();
    let logged = list(&app, &format!("/api/v1/contacts/{contact}/activities")).await;
    assert!(
        logged.iter().any(|a| a["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Erstgespräch")),
        "{logged:?}"
    );
    // A mapping that is not TOML, or names what an activity file lacks: 422, by name.
    for (mapping, field) in [
        ("[columns", "mapping"),
        ("[columns]\nBetreff = \"domains\"\n", "columns.Betreff"),
    ] {
        let res = post(
            format!("entity=activities&mapping={}", encoded(mapping)),
            activities,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 422, "{mapping}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem.to_string().contains(field), "{problem}");
    }

    // Orders: a shop export with its own names, the order number as the id column.
    let orders = file(
        "bestellungen.csv",
        "Bestellung,Kunde,Datum,Währung,Artikel,Preis\n\
         B-1,anna@mueller.example,2026-02-01,EUR,Ersatzteil,99.00\n",
    );
    let order_map = file(
        "bestellungen.toml",
        "id_column = \"Bestellung\"\n[columns]\nKunde = \"email\"\nDatum = \"placed_at\"\n\"Währung\" = \"currency\"\nArtikel = \"product\"\nPreis = \"unit_price\"\n",
    );
    for _ in 0..2 {
        let (_, err, ok) = run(
            &app,
            &["import", "orders", &orders, "--mapping", &order_map],
        );
        assert!(ok, "{err}");
    }
    let person: Value = app
        .get(&format!("/api/v1/contacts/{contact}/export"), &app.token)
        .await
        .json()
        .await
        .unwrap();
    let placed = person["orders"].as_array().unwrap();
    assert_eq!(placed.len(), 1, "imported once: {person}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// More companies than one chunk holds: an invalid row at the end of the file stops the whole
/// import (the file is checked whole before anything is written), and the valid file imports
/// every row once.
async fn a_company_file_is_read_a_chunk_at_a_time_and_checked_whole(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("closer-chunks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let text: String = std::iter::once("Record ID,Company name,Company Domain Name\n".to_owned())
        .chain((0..2_300).map(|i| format!("{i},Company {i},company-{i}.example\n")))
        .collect();
    let valid = dir.join("companies.csv");
    std::fs::write(&valid, &text).unwrap();
    let invalid = dir.join("invalid.csv");
    std::fs::write(&invalid, format!("{text}9999,Last,gmail.com\n")).unwrap();
    let (out, err, ok) = run(&app, &["import", "companies", invalid.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(err.contains("1 invalid rows"), "{err}");
    assert!(out.contains("line 2302:"), "{out}");
    assert!(
        list(&app, "/api/v1/companies").await.is_empty(),
        "nothing imported"
    );
    let (out, err, ok) = run(&app, &["import", "companies", valid.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("2300 rows"), "{out}");
    assert!(
        out.contains("created 2300, updated 0, unchanged 0"),
        "{out}"
    );
    let (out, err, ok) = run(
        &app,
        &["import", "companies", valid.to_str().unwrap(), "--dry-run"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("would create 0, update 0, leave 2300 unchanged"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A to-do list from another tool: tasks with and without a person, imported once; the same
/// file with a task completed updates that task and nothing else.
async fn a_to_do_list_imports_as_tasks_and_updates_them(app: TestApp) {
    let dir = std::env::temp_dir().join(format!("closer-tasks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("todo.csv");
    let todo = "Task ID,Task Title,Due Date,Status,Contact email,Notes\n\
                T1,Call back about pricing,2030-05-02 09:30,Not started,lin@acme.example,Asked for the annual plan\n\
                T2,Renew the domain,2030-06-01,Not started,,\n";
    std::fs::write(&path, todo).unwrap();
    let file = path.to_str().unwrap();
    let (out, err, ok) = run(&app, &["import", "tasks", file, "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("would create 2, update 0, leave 0 unchanged"),
        "{out}"
    );
    let (out, err, ok) = run(&app, &["import", "tasks", file]);
    assert!(ok, "{err}");
    assert!(out.contains("created 2, updated 0, unchanged 0"), "{out}");
    let tasks = list(&app, "/api/v1/tasks?status=open&limit=100").await;
    let call = tasks
        .iter()
        .find(|t| t["title"] == "Call back about pricing")
        .unwrap_or_else(|| panic!("{tasks:?}"));
    assert_eq!(call["due_at"], "2030-05-02T09:30:00Z");
    assert!(!call["contact_id"].is_null(), "the person was made: {call}");
    let domain = tasks
        .iter()
        .find(|t| t["title"] == "Renew the domain")
        .unwrap();
    assert!(domain["contact_id"].is_null(), "{domain}");
    std::fs::write(
        &path,
        todo.replace(
            "pricing,2030-05-02 09:30,Not started",
            "pricing,2030-05-02 09:30,Completed",
        ),
    )
    .unwrap();
    let (out, err, ok) = run(&app, &["import", "tasks", file]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 1, unchanged 1"), "{out}");
    let done = list(&app, "/api/v1/tasks?status=done&limit=100").await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["title"], "Call back about pricing");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "Task Title,Due Date\nNo date,\n,2030-01-01\n").unwrap();
    let (out, _, ok) = run(&app, &["import", "tasks", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        out.contains("line 2: due_at: is needed") && out.contains("line 3: title: is needed"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
