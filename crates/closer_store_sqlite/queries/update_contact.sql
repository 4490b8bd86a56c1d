update contacts set
    name = ?, emails = ?, phones = ?, company = ?, job_title = ?, properties = ?, stage = ?,
    owner_id = ?, consent_granted = ?, consent_at = ?, consent_source = ?, search = ?,
    updated_at = ?
where workspace_id = ? and id = ?
