//! Conformance: imports — a batch's lookups find people by external id, email and phone in
//! their own workspace only; its plan is written whole (new people with their history at
//! their original time, changes, ids, company links) or, when someone got there first, not
//! at all.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use closer_domain::company::domains;
use closer_domain::import::plan::{ImportRow, RowOutcome, plan_contacts};
use closer_domain::reports::Breakdown;
use closer_domain::{
    Company, CompanyDraft, CompanyId, ContactDraft, ContactPatch, Stage, Timestamp, WorkspaceId,
};

use super::contacts::{draft, email, upsert};
use super::workspace;
use crate::{BatchKeys, Store, StoreError};

fn row(line: u64, mail: &str, name: &str, id: Option<&str>) -> ImportRow {
    ImportRow {
        line,
        external_id: id.map(str::to_owned),
        draft: ContactDraft {
            name: Some(name.to_owned()),
            ..draft(mail)
        },
        created_at: None,
    }
}

fn keys(mails: &[&str], ids: &[&str]) -> BatchKeys {
    BatchKeys {
        external_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        emails: mails.iter().map(|m| email(m).as_str().to_owned()).collect(),
        phones: Vec::new(),
        domains: mails
            .iter()
            .filter_map(|m| m.split_once('@').map(|(_, d)| d.to_owned()))
            .collect(),
    }
}

async fn plan(
    store: &dyn Store,
    ws: WorkspaceId,
    rows: Vec<ImportRow>,
) -> closer_domain::import::plan::ContactPlan {
    let mut mails = Vec::new();
    let mut ids = Vec::new();
    for r in &rows {
        mails.extend(r.draft.emails.iter().map(|e| e.as_str().to_owned()));
        ids.extend(r.external_id.clone());
    }
    let mail_refs: Vec<&str> = mails.iter().map(String::as_str).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let known = store
        .import_known(ws, &keys(&mail_refs, &id_refs))
        .await
        .unwrap();
    plan_contacts(
        ws,
        "import:test.csv",
        rows,
        known,
        &HashSet::new(),
        Timestamp::now(),
    )
}

/// The reach times of the workspace's journeys since a day before `since`, sorted.
async fn reached(store: &dyn Store, ws: WorkspaceId, since: Timestamp) -> Vec<[Option<i64>; 6]> {
    let period = crate::Period {
        from: Timestamp::new(since.get() - Duration::from_hours(24)),
        to: Timestamp::new(Timestamp::now().get() + Duration::from_mins(1)),
    };
    let mut rows: Vec<_> = store
        .journeys(ws, period, &Breakdown::Channel)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|j| j.reached)
        .collect();
    rows.sort_unstable();
    rows
}

pub async fn an_import_batch_is_written_whole_or_not_at_all(store: Arc<dyn Store>) {
    let ws = workspace(&*store, "import").await;
    let other = workspace(&*store, "import-other").await;
    let ada = store
        .upsert_contact(ws, upsert(draft("ada@example.com")))
        .await
        .unwrap()
        .contact;
    let newco = Company::from_draft(
        CompanyId::new(),
        ws,
        CompanyDraft {
            name: "Newco".into(),
            domains: domains(["newco.example"]).unwrap(),
            ..CompanyDraft::default()
        },
        Timestamp::now(),
    );
    store.create_company(ws, &newco).await.unwrap();

    let mut grace = row(3, "grace@newco.example", "Grace", Some("hs-1"));
    let long_ago = Timestamp::parse_rfc3339("2024-02-03T14:05:00Z").unwrap();
    grace.created_at = Some(long_ago);
    grace.draft.stage = Some(Stage::Prospect);
    let p = plan(
        &*store,
        ws,
        vec![row(2, "ada@example.com", "Ada Lovelace", None), grace],
    )
    .await;
    assert_eq!(p.outcomes[0], RowOutcome::Updated(ada.id));
    let grace_id = p.outcomes[1].contact();
    store.write_contact_import(&p.writes).await.unwrap();

    assert_eq!(
        store.contact(ws, ada.id).await.unwrap().name.as_deref(),
        Some("Ada Lovelace")
    );
    let g = store.contact(ws, grace_id).await.unwrap();
    assert_eq!((g.created_at, g.stage), (long_ago, Stage::Prospect));
    assert_eq!(g.company_id, Some(newco.id), "linked by the email's domain");
    let history = store.stage_history(ws, grace_id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].entered_at, history[0].changed_by.as_str()),
        (long_ago, "import:test.csv")
    );
    let events = store.contact_events(ws, grace_id, 10, None).await.unwrap();
    assert_eq!(events.len(), 1, "the stage event: {events:?}");
    assert_eq!(events[0].occurred_at, long_ago);
    // Grace's journey, written with the batch as the triggers write one from a contact and
    // its first stage row: in the funnel, and a prospect, since her original creation.
    let grace_journey = [None, None, Some(long_ago.unix_micros()), None, None, None];
    let journeys = reached(&*store, ws, long_ago).await;
    assert_eq!(journeys.len(), 2, "Ada's and Grace's: {journeys:?}");
    assert!(journeys.contains(&grace_journey), "{journeys:?}");

    let found = store
        .import_known(ws, &keys(&["grace@newco.example"], &["hs-1"]))
        .await
        .unwrap();
    assert_eq!(found.external["hs-1"], grace_id);
    assert_eq!(found.contacts[&grace_id], g);
    let theirs = store
        .import_known(
            other,
            &keys(&["grace@newco.example", "ada@example.com"], &["hs-1"]),
        )
        .await
        .unwrap();
    assert!(
        theirs.external.is_empty() && theirs.identities.is_empty() && theirs.contacts.is_empty(),
        "another workspace finds nothing"
    );

    // Someone edits Ada between the lookup and the write: nothing of the batch is written.
    let stale = plan(
        &*store,
        ws,
        vec![
            row(2, "ada@example.com", "Ada King", None),
            row(3, "new@example.com", "New", Some("hs-2")),
        ],
    )
    .await;
    store
        .patch_contact(
            ws,
            ada.id,
            &ContactPatch {
                job_title: Some(Some("Countess".into())),
                ..ContactPatch::default()
            },
            "test",
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.write_contact_import(&stale.writes).await,
        Err(StoreError::NotFound)
    ));
    let after = store
        .import_known(ws, &keys(&["new@example.com"], &["hs-2"]))
        .await
        .unwrap();
    assert!(
        after.contacts.is_empty(),
        "the new row was not written either"
    );

    // Someone captures the new email between the lookup and the write.
    let raced = plan(&*store, ws, vec![row(2, "race@example.com", "Race", None)]).await;
    store
        .upsert_contact(ws, upsert(draft("race@example.com")))
        .await
        .unwrap();
    assert!(matches!(
        store.write_contact_import(&raced.writes).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.count_contacts(ws).await.unwrap(), 3);
    // The failed writes set nothing aside: a contact made since has its journey.
    let journeys = reached(&*store, ws, long_ago).await;
    assert_eq!(journeys.len(), 3, "{journeys:?}");
    assert!(journeys.contains(&grace_journey), "{journeys:?}");

    // Erasing a person takes their external id with them.
    store
        .erase_contact(ws, grace_id, Timestamp::now())
        .await
        .unwrap();
    let gone = store.import_known(ws, &keys(&[], &["hs-1"])).await.unwrap();
    assert!(gone.external.is_empty());
}

pub async fn import_jobs_report_their_progress_and_keep_their_rejected_rows(store: Arc<dyn Store>) {
    use closer_domain::ImportJobId;
    use closer_domain::import::job::{ImportEntity, ImportJob, ImportSummary, JobStatus, Rejected};

    let ws = workspace(&*store, "import-jobs").await;
    let other = workspace(&*store, "import-jobs-other").await;
    let start = Timestamp::now();
    let mut job = ImportJob {
        id: ImportJobId::new(),
        workspace_id: ws,
        entity: ImportEntity::Contacts,
        dry_run: true,
        continue_on_error: false,
        file_name: Some("hubspot.csv".into()),
        bytes: 1000,
        bytes_read: 0,
        headers: Vec::new(),
        summary: ImportSummary::default(),
        status: JobStatus::Running,
        error: None,
        created_by: None,
        created_at: start,
        updated_at: start,
        finished_at: None,
    };
    store.create_import_job(&job).await.unwrap();
    assert_eq!(store.import_job(ws, job.id).await.unwrap(), job);
    assert!(matches!(
        store.import_job(other, job.id).await,
        Err(StoreError::NotFound)
    ));

    let rejected: Vec<Rejected> = (0..1200u64)
        .map(|i| Rejected {
            line: i + 2,
            cells: vec![format!("row {i}"), "not-an-email".into()],
            reasons: vec!["email: is not an email address".into()],
        })
        .collect();
    store
        .add_import_rejects(ws, job.id, &rejected)
        .await
        .unwrap();
    // Reported twice (a retried report): each line is kept once.
    store
        .add_import_rejects(ws, job.id, &rejected[..10])
        .await
        .unwrap();
    let first = store.import_rejects(ws, job.id, 0, 1000).await.unwrap();
    assert_eq!(first.len(), 1000);
    assert_eq!(first[0], rejected[0]);
    let rest = store
        .import_rejects(ws, job.id, first[999].line, 1000)
        .await
        .unwrap();
    assert_eq!(rest.len(), 200);
    assert_eq!(rest.last(), rejected.last());
    assert!(
        store
            .import_rejects(other, job.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    job.bytes_read = 1000;
    job.headers = vec!["Email".into(), "First Name".into()];
    job.summary.rows = 1300;
    job.summary.created = 100;
    job.summary.rejected = 1200;
    job.summary
        .owners_not_set
        .insert("bob@example.com".into(), 3);
    job.status = JobStatus::Done;
    job.updated_at = Timestamp::now();
    job.finished_at = Some(job.updated_at);
    store.report_import_job(&job).await.unwrap();
    assert_eq!(store.import_job(ws, job.id).await.unwrap(), job);
    let mut foreign = job.clone();
    foreign.workspace_id = other;
    assert!(matches!(
        store.report_import_job(&foreign).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.import_jobs(ws, 10).await.unwrap(), vec![job.clone()]);
    assert!(store.import_jobs(other, 10).await.unwrap().is_empty());

    // Forgetting takes jobs last heard of before the mark, with their rows.
    store.forget_import_jobs(start).await.unwrap();
    assert!(store.import_job(ws, job.id).await.is_ok());
    let later = Timestamp::from_unix_micros(job.updated_at.unix_micros() + 1).unwrap();
    assert!(store.forget_import_jobs(later).await.unwrap() >= 1);
    assert!(matches!(
        store.import_job(ws, job.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .import_rejects(ws, job.id, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
