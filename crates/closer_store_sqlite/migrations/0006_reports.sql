-- closer reports: what the funnel reports read instead of the whole history.
--
-- journeys: one row per contact with when they first reached each funnel step and the groups
-- they are reported in (first-touch channel, source, campaign and site; owner). Triggers keep
-- it, so every write path (captures, imports, stage moves, orders, visitor links, owner
-- changes, erasure) keeps it in step without knowing about it.
--
-- visitor_days: new visitors per day and first-touch group, counted by the tracking writer:
-- the funnel's first step without scanning every session.

-- Clustered by workspace and entry: a report's period is one range of the table itself (read
-- through a secondary index it cost a row lookup per person, three times slower).
create table journeys (
    workspace_id blob not null,
    -- The earliest of the first visit and the contact's creation: the funnel's entry.
    entered_at integer not null,
    contact_id blob not null references contacts (id) on delete cascade,
    first_visit_at integer,
    lead_at integer,
    prospect_at integer,
    opportunity_at integer,
    customer_at integer,
    -- The second order.
    repeat_at integer,
    -- The first call, email, meeting or demo (speed-to-lead).
    first_touch_at integer,
    channel text,
    source text,
    campaign text,
    site_id blob,
    owner_id blob,
    -- The visits before the lead, oldest first, as `channel 0x1F campaign` joined by 0x1E:
    -- attribution of leads reads it instead of joining every lead's sessions.
    lead_path text,
    constraint journeys_pkey primary key (workspace_id, entered_at, contact_id)
) without rowid;
-- The triggers find a contact's row by its id.
create unique index journeys_contact_idx on journeys (contact_id);

-- Deal reports read by close, by creation, and stage stays by their end.
create index deals_closed_idx on deals (workspace_id, closed_at);
create index deals_created_idx on deals (workspace_id, created_at);
-- Covering: time in stage reads the index alone, without a row lookup per stay.
create index deal_stages_left_idx on deal_stages (workspace_id, left_at, entered_at, stage_id, stage_name, deal_id);

create table visitor_days (
    workspace_id blob not null,
    -- Days since 1970-01-01, UTC.
    day integer not null,
    site_id blob not null,
    channel text not null,
    source text not null default '',
    campaign text not null default '',
    visitors integer not null,
    constraint visitor_days_pkey primary key (workspace_id, day, site_id, channel, source, campaign)
) without rowid;

create trigger journeys_contact_insert after insert on contacts
begin
    insert into journeys (contact_id, workspace_id, entered_at, owner_id)
    values (new.id, new.workspace_id, new.created_at, new.owner_id);
end;

create trigger journeys_contact_owner after update of owner_id on contacts
begin
    update journeys set owner_id = new.owner_id where contact_id = new.id;
end;

create trigger journeys_contact_touch after update of first_touch_at on contacts
begin
    update journeys set first_touch_at = new.first_touch_at where contact_id = new.id;
end;

-- A step's time is its first reach: moving back and forth keeps the earliest.
create trigger journeys_stage after insert on contact_stages
begin
    update journeys set
        entered_at = min(entered_at, new.entered_at),
        lead_at = case when new.stage = 'lead' and (lead_at is null or lead_at > new.entered_at)
            then new.entered_at else lead_at end,
        prospect_at = case when new.stage = 'prospect' and (prospect_at is null or prospect_at > new.entered_at)
            then new.entered_at else prospect_at end,
        opportunity_at = case when new.stage = 'opportunity' and (opportunity_at is null or opportunity_at > new.entered_at)
            then new.entered_at else opportunity_at end,
        customer_at = case when new.stage = 'customer' and (customer_at is null or customer_at > new.entered_at)
            then new.entered_at else customer_at end
    where contact_id = new.contact_id;
end;

-- A customer from their first order (an imported history may predate the stage move); a
-- repeat customer from their second.
create trigger journeys_order_insert after insert on orders
begin
    update journeys set
        entered_at = min(entered_at, new.placed_at),
        customer_at = min(coalesce(customer_at, new.placed_at), new.placed_at),
        repeat_at = (select placed_at from orders where contact_id = new.contact_id
                     order by placed_at limit 1 offset 1)
    where contact_id = new.contact_id;
end;

create trigger journeys_order_delete after delete on orders
begin
    update journeys set
        repeat_at = (select placed_at from orders where contact_id = old.contact_id
                     order by placed_at limit 1 offset 1)
    where contact_id = old.contact_id;
end;

-- A linked visitor brings the contact's first touch, if it is earlier than the one known, and
-- the path of visits before the lead (over all of the contact's visitors).
create trigger journeys_link after insert on visitor_links
begin
    update journeys set
        first_visit_at = s.started_at,
        entered_at = min(entered_at, s.started_at),
        channel = s.channel,
        source = s.source,
        campaign = s.utm_campaign,
        site_id = s.site_id
    from (select started_at, channel, source, utm_campaign, site_id from sessions
          where visitor = new.visitor and workspace_id = new.workspace_id
          order by started_at limit 1) as s
    where contact_id = new.contact_id and (first_visit_at is null or s.started_at < first_visit_at);
    update journeys set lead_path = (
        select group_concat(p.touch, char(30)) from (
            select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
            from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
            where l.contact_id = new.contact_id
              and s.started_at <= coalesce(journeys.lead_at, journeys.entered_at)
            order by s.started_at) as p)
    where contact_id = new.contact_id;
end;

-- Backfill what is already stored.
insert into journeys (contact_id, workspace_id, entered_at, owner_id, first_touch_at)
select id, workspace_id, created_at, owner_id, first_touch_at from contacts;

update journeys set
    lead_at = s.lead_at, prospect_at = s.prospect_at, opportunity_at = s.opportunity_at,
    customer_at = s.customer_at, entered_at = min(journeys.entered_at, s.first_at)
from (select contact_id,
             min(entered_at) as first_at,
             min(case when stage = 'lead' then entered_at end) as lead_at,
             min(case when stage = 'prospect' then entered_at end) as prospect_at,
             min(case when stage = 'opportunity' then entered_at end) as opportunity_at,
             min(case when stage = 'customer' then entered_at end) as customer_at
      from contact_stages group by contact_id) as s
where journeys.contact_id = s.contact_id;

update journeys set
    customer_at = min(coalesce(customer_at, o.first_at), o.first_at),
    entered_at = min(entered_at, o.first_at),
    repeat_at = (select placed_at from orders where contact_id = journeys.contact_id
                 order by placed_at limit 1 offset 1)
from (select contact_id, min(placed_at) as first_at from orders group by contact_id) as o
where journeys.contact_id = o.contact_id;

update journeys set
    first_visit_at = f.started_at,
    entered_at = min(entered_at, f.started_at),
    channel = f.channel, source = f.source, campaign = f.utm_campaign, site_id = f.site_id
from (select l.contact_id, s.started_at, s.channel, s.source, s.utm_campaign, s.site_id,
             row_number() over (partition by l.contact_id order by s.started_at) as n
      from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id) as f
where journeys.contact_id = f.contact_id and f.n = 1;

update journeys set lead_path = (
    select group_concat(p.touch, char(30)) from (
        select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
        from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
        where l.contact_id = journeys.contact_id
          and s.started_at <= coalesce(journeys.lead_at, journeys.entered_at)
        order by s.started_at) as p)
where exists (select 1 from visitor_links l where l.contact_id = journeys.contact_id);

insert into visitor_days (workspace_id, day, site_id, channel, source, campaign, visitors)
select workspace_id, started_at / 86400000000, site_id, channel, coalesce(source, ''),
       coalesce(utm_campaign, ''), count(*)
from (select workspace_id, site_id, started_at, channel, source, utm_campaign,
             row_number() over (partition by site_id, visitor order by started_at) as n
      from sessions) as firsts
where n = 1
group by 1, 2, 3, 4, 5, 6;
