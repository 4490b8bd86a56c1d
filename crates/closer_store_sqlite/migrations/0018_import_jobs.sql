-- Imports as jobs: a file uploaded to the API or the Settings page is imported in the
-- background, and any process answers for its progress from here. The rows a job set aside
-- hold personal data: they go with the job, which is kept for a week after it finished.
create table import_jobs (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    entity text not null,
    dry_run boolean not null,
    continue_on_error boolean not null,
    file_name text,
    bytes integer not null,
    bytes_read integer not null,
    headers text not null,
    summary text not null,
    status text not null,
    error text,
    created_by blob,
    created_at integer not null,
    updated_at integer not null,
    finished_at integer
);
create index import_jobs_workspace_idx on import_jobs (workspace_id, created_at);

create table import_rejects (
    job_id blob not null references import_jobs (id) on delete cascade,
    workspace_id blob not null,
    line integer not null,
    cells text not null,
    reasons text not null,
    constraint import_rejects_key primary key (job_id, line)
);
