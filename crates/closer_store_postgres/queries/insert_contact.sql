insert into contacts (
    id, workspace_id, name, emails, phones, company, job_title, properties, stage, owner_id,
    consent_granted, consent_at, consent_source, search, created_at, updated_at
) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
