-- closer pipeline: pipelines and their stages, loss reasons, deals with their stage history,
-- activities, tasks, orders and their lines. Amounts are integer ten-thousandths of the
-- currency unit (exact sums in SQL); dates without a time are ISO text (YYYY-MM-DD).

create table pipelines (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    name text not null,
    is_default integer not null default 0,
    created_at integer not null,
    constraint pipelines_name_key unique (workspace_id, name)
);
-- One default pipeline per workspace.
create unique index pipelines_default_idx on pipelines (workspace_id) where is_default = 1;

create table pipeline_stages (
    id blob primary key,
    workspace_id blob not null,
    pipeline_id blob not null references pipelines (id) on delete cascade,
    name text not null,
    position integer not null,
    probability integer not null,
    forecast text not null,
    kind text not null,
    constraint pipeline_stages_pipeline_key unique (pipeline_id, id),
    constraint pipeline_stages_probability_check check (probability between 0 and 100),
    constraint pipeline_stages_forecast_check check (forecast in ('pipeline', 'best_case', 'commit', 'closed', 'omitted')),
    constraint pipeline_stages_kind_check check (kind in ('open', 'won', 'lost'))
);
create index pipeline_stages_order_idx on pipeline_stages (pipeline_id, position);

create table loss_reasons (
    workspace_id blob not null references workspaces (id) on delete cascade,
    key text not null,
    label text not null,
    position integer not null,
    primary key (workspace_id, key)
) without rowid;

create table deals (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    pipeline_id blob not null,
    stage_id blob not null,
    status text not null,
    contact_id blob not null references contacts (id) on delete cascade,
    company text,
    title text not null,
    amount integer not null,
    currency text not null,
    expected_close text,
    owner_id blob,
    source text,
    loss_reason text,
    objection text,
    closed_at integer,
    created_at integer not null,
    updated_at integer not null,
    -- A deal's stage is one of its pipeline's, and a stage holding deals cannot be deleted.
    constraint deals_stage_fk foreign key (pipeline_id, stage_id) references pipeline_stages (pipeline_id, id),
    constraint deals_owner_fk foreign key (workspace_id, owner_id) references users (workspace_id, id),
    constraint deals_status_check check (status in ('open', 'won', 'lost')),
    constraint deals_amount_check check (amount >= 0)
);
-- The board: a pipeline's open deals counted and summed by stage and currency from the index
-- alone, and each stage's most recently updated cards read in order.
create index deals_board_idx on deals (workspace_id, pipeline_id, status, stage_id, currency, amount);
create index deals_cards_idx on deals (stage_id, status, updated_at, id);
create index deals_contact_idx on deals (contact_id);
create index deals_owner_idx on deals (workspace_id, owner_id, status);

-- Every stage a deal was in, with when it entered and left and who moved it. The stage's name
-- is kept so history reads the same after a stage is renamed or removed.
create table deal_stages (
    id blob primary key,
    workspace_id blob not null,
    deal_id blob not null references deals (id) on delete cascade,
    stage_id blob not null,
    stage_name text not null,
    entered_at integer not null,
    left_at integer,
    changed_by text not null
);
create index deal_stages_deal_idx on deal_stages (deal_id, entered_at);
-- At most one open span per deal: two concurrent moves cannot both leave theirs open.
create unique index deal_stages_open_idx on deal_stages (deal_id) where left_at is null;

create table activities (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    contact_id blob not null references contacts (id) on delete cascade,
    deal_id blob references deals (id) on delete set null,
    kind text not null,
    occurred_at integer not null,
    owner_id blob,
    outcome text,
    body text,
    created_at integer not null,
    constraint activities_kind_check check (kind in ('call', 'email', 'meeting', 'demo', 'note'))
);
create index activities_contact_idx on activities (contact_id, occurred_at);
create index activities_deal_idx on activities (deal_id);

create table tasks (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    kind text not null,
    title text not null,
    body text,
    contact_id blob references contacts (id) on delete cascade,
    deal_id blob references deals (id) on delete cascade,
    assignee_id blob,
    due_at integer not null,
    status text not null,
    done_at integer,
    created_at integer not null,
    constraint tasks_kind_check check (kind in ('follow_up', 'first_contact')),
    constraint tasks_status_check check (status in ('open', 'done', 'cancelled'))
);
create index tasks_due_idx on tasks (workspace_id, status, due_at);
create index tasks_contact_idx on tasks (contact_id);
create index tasks_deal_idx on tasks (deal_id);

create table orders (
    id blob primary key,
    workspace_id blob not null references workspaces (id) on delete cascade,
    contact_id blob not null references contacts (id) on delete cascade,
    deal_id blob references deals (id) on delete set null,
    currency text not null,
    total integer not null,
    source text not null,
    placed_at integer not null,
    created_at integer not null,
    constraint orders_total_check check (total >= 0),
    constraint orders_source_check check (source in ('deal', 'api', 'import'))
);
-- Winning a deal produces one order, however often it is reopened and won again.
create unique index orders_deal_idx on orders (deal_id) where deal_id is not null;
create index orders_contact_idx on orders (contact_id, placed_at);
create index orders_placed_idx on orders (workspace_id, placed_at);

create table order_lines (
    order_id blob not null references orders (id) on delete cascade,
    position integer not null,
    product text not null,
    quantity integer not null,
    unit_price integer not null,
    primary key (order_id, position),
    constraint order_lines_quantity_check check (quantity > 0),
    constraint order_lines_price_check check (unit_price >= 0)
) without rowid;

-- Speed-to-lead: when a person first touched the contact (a call, email, meeting or demo).
alter table contacts add column first_touch_at integer;
