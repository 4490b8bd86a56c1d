-- closer foundation: workspaces, access, users, contacts with identities and stage history,
-- events, forms, erasures. Timestamps are timestamptz (microseconds); ids are UUIDv7
-- (docs/adr/0001-storage-encodings.md).

create table workspaces (
    id uuid primary key,
    slug text not null,
    name text not null,
    default_region text,
    created_at timestamptz not null,
    constraint workspaces_slug_key unique (slug)
);

create table api_tokens (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    role text not null,
    hash text not null,
    label text,
    created_at timestamptz not null,
    constraint api_tokens_hash_key unique (hash),
    constraint api_tokens_role_check check (role in ('admin', 'member'))
);

create table users (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    email text not null,
    name text not null,
    role text not null,
    created_at timestamptz not null,
    constraint users_email_key unique (workspace_id, email),
    constraint users_workspace_id_key unique (workspace_id, id)
);

create table contacts (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    name text,
    emails jsonb not null default '[]',
    phones jsonb not null default '[]',
    company text,
    job_title text,
    properties jsonb not null default '{}',
    stage text not null,
    owner_id uuid,
    consent_granted boolean,
    consent_at timestamptz,
    consent_source text,
    search text not null default '',
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint contacts_stage_check check (stage in ('lead', 'prospect', 'opportunity', 'customer', 'disqualified')),
    constraint contacts_owner_fk foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create index contacts_created_idx on contacts (workspace_id, created_at, id);
create index contacts_updated_idx on contacts (workspace_id, updated_at, id);
create index contacts_stage_idx on contacts (workspace_id, stage);
create index contacts_owner_idx on contacts (workspace_id, owner_id);

-- One row per normalised email or phone: the dedupe key. The unique constraint is what makes
-- two concurrent posts of the same new email one contact.
create table contact_identities (
    workspace_id uuid not null,
    kind text not null,
    value text not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    constraint contact_identities_value_key unique (workspace_id, kind, value),
    constraint contact_identities_kind_check check (kind in ('email', 'phone'))
);
create index contact_identities_contact_idx on contact_identities (contact_id);

create table contact_stages (
    id uuid primary key,
    workspace_id uuid not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    stage text not null,
    entered_at timestamptz not null,
    left_at timestamptz,
    changed_by text not null
);
create index contact_stages_contact_idx on contact_stages (contact_id, entered_at);

create table events (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    contact_id uuid references contacts (id) on delete cascade,
    kind text not null,
    occurred_at timestamptz not null,
    properties jsonb not null default '{}'
);
create index events_contact_idx on events (contact_id, occurred_at);

create table forms (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    key text not null,
    name text not null,
    redirect_url text,
    created_at timestamptz not null,
    constraint forms_key_key unique (key)
);
create index forms_workspace_idx on forms (workspace_id, created_at);

-- Proof that an erasure happened, holding no personal data.
create table erasures (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    contact_id uuid not null,
    erased_at timestamptz not null
);
