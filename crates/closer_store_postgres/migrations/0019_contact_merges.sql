-- Merged contacts: each record merged into another is gone, and its id names the record it
-- went into, so a link, a bookmark or an API client holding the old id is told where the
-- person is now (404 with `merged_into`). Ids only: no personal data. Merging the survivor
-- later points these rows at the new survivor; erasing it deletes them.
create table contact_merges (
    merged_id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    into_id uuid not null,
    merged_at timestamptz not null
);
create index contact_merges_into_idx on contact_merges (into_id);
