-- Companies (accounts) and the web domains that name them. A domain belongs to one company
-- of a workspace: the unique key is what makes two concurrent creations naming one domain one
-- company. Contacts and deals point at their company; deleting a company unlinks them.
create table companies (
    id uuid primary key,
    workspace_id uuid not null references workspaces (id) on delete cascade,
    name text not null,
    employees integer,
    industry text,
    country text,
    owner_id uuid,
    properties jsonb not null default '{}',
    -- Lower-case name and domains, for the list's search.
    search text not null default '',
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint companies_owner_fk foreign key (workspace_id, owner_id) references users (workspace_id, id)
);
create index companies_name_idx on companies (workspace_id, name, id);

create table company_domains (
    workspace_id uuid not null,
    domain text not null,
    company_id uuid not null references companies (id) on delete cascade,
    -- The domain's place in the company's list (0: primary).
    position integer not null,
    constraint company_domains_domain_key unique (workspace_id, domain)
);
create index company_domains_company_idx on company_domains (company_id);

alter table contacts add column company_id uuid references companies (id) on delete set null;
-- Set by hand (in or out of a company): automatic linking by domain leaves the contact alone.
alter table contacts add column company_manual boolean not null default false;
create index contacts_company_idx on contacts (company_id);
alter table deals add column company_id uuid references companies (id) on delete set null;
create index deals_company_idx on deals (company_id);

-- Email identities by domain: a new company's domains find their people by index.
create index contact_identities_domain_idx
    on contact_identities (workspace_id, split_part(value, '@', 2))
    where kind = 'email';
