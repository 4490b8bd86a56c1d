insert into contacts (
    id, workspace_id, name, emails, phones, company, job_title, properties, stage, owner_id,
    consent_granted, consent_at, consent_source, search, created_at, updated_at, first_touch_at
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
