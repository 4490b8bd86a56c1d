-- closer reports: what the funnel reports read instead of the whole history.
--
-- journeys: one row per contact with when they first reached each funnel step and the groups
-- they are reported in (first-touch channel, source, campaign and site; owner). Triggers keep
-- it, so every write path (captures, imports, stage moves, orders, visitor links, owner
-- changes, erasure) keeps it in step without knowing about it.
--
-- visitor_days: new visitors per day and first-touch group, counted by the tracking writer:
-- the funnel's first step without scanning every session.

create table journeys (
    contact_id uuid primary key references contacts (id) on delete cascade,
    workspace_id uuid not null,
    -- The earliest of the first visit and the contact's creation: the funnel's entry.
    entered_at timestamptz not null,
    first_visit_at timestamptz,
    lead_at timestamptz,
    prospect_at timestamptz,
    opportunity_at timestamptz,
    customer_at timestamptz,
    -- The second order.
    repeat_at timestamptz,
    -- The first call, email, meeting or demo (speed-to-lead).
    first_touch_at timestamptz,
    channel text,
    source text,
    campaign text,
    site_id uuid,
    owner_id uuid,
    -- The visits before the lead, oldest first, as `channel 0x1F campaign` joined by 0x1E:
    -- attribution of leads reads it instead of joining every lead's sessions.
    lead_path text
);
create index journeys_entered_idx on journeys (workspace_id, entered_at);

-- Deal reports read by close, by creation, and stage stays by their end.
create index deals_closed_idx on deals (workspace_id, closed_at);
create index deals_created_idx on deals (workspace_id, created_at);
-- Covering: time in stage reads the index alone, without a row lookup per stay.
create index deal_stages_left_idx on deal_stages (workspace_id, left_at, entered_at, stage_id, stage_name, deal_id);

create table visitor_days (
    workspace_id uuid not null,
    -- Days since 1970-01-01, UTC.
    day integer not null,
    site_id uuid not null,
    channel text not null,
    source text not null default '',
    campaign text not null default '',
    visitors bigint not null,
    constraint visitor_days_pkey primary key (workspace_id, day, site_id, channel, source, campaign)
);

create function journeys_contact_insert() returns trigger language plpgsql as $$
begin
    insert into journeys (contact_id, workspace_id, entered_at, owner_id)
    values (new.id, new.workspace_id, new.created_at, new.owner_id);
    return null;
end $$;
create trigger journeys_contact_insert after insert on contacts
    for each row execute function journeys_contact_insert();

create function journeys_contact_owner() returns trigger language plpgsql as $$
begin
    update journeys set owner_id = new.owner_id where contact_id = new.id;
    return null;
end $$;
create trigger journeys_contact_owner after update of owner_id on contacts
    for each row when (old.owner_id is distinct from new.owner_id)
    execute function journeys_contact_owner();

create function journeys_contact_touch() returns trigger language plpgsql as $$
begin
    update journeys set first_touch_at = new.first_touch_at where contact_id = new.id;
    return null;
end $$;
create trigger journeys_contact_touch after update of first_touch_at on contacts
    for each row when (old.first_touch_at is distinct from new.first_touch_at)
    execute function journeys_contact_touch();

-- A step's time is its first reach: moving back and forth keeps the earliest.
create function journeys_stage() returns trigger language plpgsql as $$
begin
    update journeys set
        entered_at = least(entered_at, new.entered_at),
        lead_at = case when new.stage = 'lead' then least(lead_at, new.entered_at) else lead_at end,
        prospect_at = case when new.stage = 'prospect' then least(prospect_at, new.entered_at) else prospect_at end,
        opportunity_at = case when new.stage = 'opportunity' then least(opportunity_at, new.entered_at) else opportunity_at end,
        customer_at = case when new.stage = 'customer' then least(customer_at, new.entered_at) else customer_at end
    where contact_id = new.contact_id;
    return null;
end $$;
create trigger journeys_stage after insert on contact_stages
    for each row execute function journeys_stage();

-- A customer from their first order (an imported history may predate the stage move); a
-- repeat customer from their second.
create function journeys_order() returns trigger language plpgsql as $$
declare
    who uuid := case when tg_op = 'DELETE' then old.contact_id else new.contact_id end;
begin
    update journeys set
        entered_at = case when tg_op = 'INSERT' then least(entered_at, new.placed_at) else entered_at end,
        customer_at = case when tg_op = 'INSERT' then least(customer_at, new.placed_at) else customer_at end,
        repeat_at = (select placed_at from orders where contact_id = who
                     order by placed_at limit 1 offset 1)
    where contact_id = who;
    return null;
end $$;
create trigger journeys_order after insert or delete on orders
    for each row execute function journeys_order();

-- A linked visitor brings the contact's first touch, if it is earlier than the one known.
create function journeys_link() returns trigger language plpgsql as $$
begin
    update journeys set
        first_visit_at = s.started_at,
        entered_at = least(journeys.entered_at, s.started_at),
        channel = s.channel,
        source = s.source,
        campaign = s.utm_campaign,
        site_id = s.site_id
    from (select started_at, channel, source, utm_campaign, site_id from sessions
          where visitor = new.visitor and workspace_id = new.workspace_id
          order by started_at limit 1) as s
    where contact_id = new.contact_id
      and (journeys.first_visit_at is null or s.started_at < journeys.first_visit_at);
    update journeys set lead_path = (
        select string_agg(s.channel || chr(31) || coalesce(s.utm_campaign, ''), chr(30) order by s.started_at)
        from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
        where l.contact_id = new.contact_id
          and s.started_at <= coalesce(journeys.lead_at, journeys.entered_at))
    where contact_id = new.contact_id;
    return null;
end $$;
create trigger journeys_link after insert on visitor_links
    for each row execute function journeys_link();

-- Backfill what is already stored.
insert into journeys (contact_id, workspace_id, entered_at, owner_id, first_touch_at)
select id, workspace_id, created_at, owner_id, first_touch_at from contacts;

update journeys set
    lead_at = s.lead_at, prospect_at = s.prospect_at, opportunity_at = s.opportunity_at,
    customer_at = s.customer_at, entered_at = least(journeys.entered_at, s.first_at)
from (select contact_id,
             min(entered_at) as first_at,
             min(entered_at) filter (where stage = 'lead') as lead_at,
             min(entered_at) filter (where stage = 'prospect') as prospect_at,
             min(entered_at) filter (where stage = 'opportunity') as opportunity_at,
             min(entered_at) filter (where stage = 'customer') as customer_at
      from contact_stages group by contact_id) as s
where journeys.contact_id = s.contact_id;

update journeys set
    customer_at = least(customer_at, o.first_at),
    entered_at = least(entered_at, o.first_at),
    repeat_at = o.second_at
from (select contact_id, min(placed_at) as first_at,
             (array_agg(placed_at order by placed_at))[2] as second_at
      from orders group by contact_id) as o
where journeys.contact_id = o.contact_id;

update journeys set
    first_visit_at = f.started_at,
    entered_at = least(journeys.entered_at, f.started_at),
    channel = f.channel, source = f.source, campaign = f.utm_campaign, site_id = f.site_id
from (select distinct on (l.contact_id) l.contact_id, s.started_at, s.channel, s.source,
             s.utm_campaign, s.site_id
      from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
      order by l.contact_id, s.started_at) as f
where journeys.contact_id = f.contact_id;

-- Set-based (one join of links and sessions), not a subquery per contact.
update journeys set lead_path = p.path
from (select l.contact_id,
             string_agg(s.channel || chr(31) || coalesce(s.utm_campaign, ''), chr(30) order by s.started_at) as path
      from visitor_links l
      join journeys j on j.contact_id = l.contact_id
      join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
        and s.started_at <= coalesce(j.lead_at, j.entered_at)
      group by l.contact_id) as p
where journeys.contact_id = p.contact_id;

insert into visitor_days (workspace_id, day, site_id, channel, source, campaign, visitors)
select workspace_id, floor(extract(epoch from started_at) / 86400)::integer, site_id, channel,
       coalesce(source, ''), coalesce(utm_campaign, ''), count(*)
from (select distinct on (site_id, visitor) workspace_id, site_id, started_at, channel, source,
             utm_campaign
      from sessions order by site_id, visitor, started_at) as firsts
group by 1, 2, 3, 4, 5, 6;
