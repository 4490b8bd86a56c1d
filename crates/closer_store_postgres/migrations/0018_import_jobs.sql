-- Imports as jobs: a file uploaded to the API or the Settings page is imported in the
-- background, and any process answers for its progress from here. The rows a job set aside
-- hold personal data: they go with the job, which is kept for a week after it finished.
create table import_jobs (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    entity text not null,
    dry_run boolean not null,
    continue_on_error boolean not null,
    file_name text,
    bytes bigint not null,
    bytes_read bigint not null,
    headers jsonb not null,
    summary jsonb not null,
    status text not null,
    error text,
    created_by uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    finished_at timestamptz
);
create index import_jobs_workspace_idx on import_jobs (workspace_id, created_at);

create table import_rejects (
    job_id uuid not null references import_jobs (id) on delete cascade,
    workspace_id uuid not null,
    line bigint not null,
    cells jsonb not null,
    reasons jsonb not null,
    constraint import_rejects_key primary key (job_id, line)
);
