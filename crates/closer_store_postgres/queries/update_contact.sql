update contacts set
    name = $1, emails = $2, phones = $3, company = $4, job_title = $5, properties = $6, stage = $7,
    owner_id = $8, consent_granted = $9, consent_at = $10, consent_source = $11, search = $12,
    updated_at = $13
where workspace_id = $14 and id = $15
