-- Attribution and "touches before a win" read each deal's visits. Joining a year of deals to
-- their contacts' visitor links and sessions at report time is a random read per deal and per
-- visit (over a second for 200,000 deals); the deal keeps them instead, written when it is
-- opened and when it is won, and again when its contact gains a visitor or an activity:
--   created_path  the visits up to its creation, oldest first, as `journeys.lead_path`
--                 (`channel 0x1F campaign`, joined by 0x1E);
--   won_path      the same up to its win;
--   won_touches   tracked visits plus logged activities up to its win.

alter table deals add column created_path text;
alter table deals add column won_path text;
alter table deals add column won_touches integer;

create trigger deals_paths_insert after insert on deals
begin
    update deals set created_path = (
        select group_concat(p.touch, char(30)) from (
            select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
            from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
            where l.contact_id = new.contact_id and s.started_at <= new.created_at
            order by s.started_at) as p)
    where id = new.id;
end;

create trigger deals_paths_won after update of status, closed_at on deals
when new.status = 'won' and new.closed_at is not null
begin
    update deals set
        won_path = (
            select group_concat(p.touch, char(30)) from (
                select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
                from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
                where l.contact_id = new.contact_id and s.started_at <= new.closed_at
                order by s.started_at) as p),
        won_touches =
            (select count(*) from activities a
             where a.contact_id = new.contact_id and a.occurred_at <= new.closed_at)
            + (select count(*) from visitor_links l join sessions s
                 on s.visitor = l.visitor and s.workspace_id = l.workspace_id
               where l.contact_id = new.contact_id and s.started_at <= new.closed_at)
    where id = new.id;
end;

-- A visitor linked later may bring visits from before the deal.
create trigger deals_paths_link after insert on visitor_links
begin
    update deals set
        created_path = (
            select group_concat(p.touch, char(30)) from (
                select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
                from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
                where l.contact_id = new.contact_id and s.started_at <= deals.created_at
                order by s.started_at) as p),
        won_path = case when deals.status = 'won' and deals.closed_at is not null then (
            select group_concat(p.touch, char(30)) from (
                select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
                from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
                where l.contact_id = new.contact_id and s.started_at <= deals.closed_at
                order by s.started_at) as p) else won_path end,
        won_touches = case when deals.status = 'won' and deals.closed_at is not null then
            (select count(*) from activities a
             where a.contact_id = new.contact_id and a.occurred_at <= deals.closed_at)
            + (select count(*) from visitor_links l join sessions s
                 on s.visitor = l.visitor and s.workspace_id = l.workspace_id
               where l.contact_id = new.contact_id and s.started_at <= deals.closed_at)
            else won_touches end
    where contact_id = new.contact_id;
end;

-- An activity logged with a time before a win counts toward it.
create trigger deals_touches_activity after insert on activities
begin
    update deals set won_touches = coalesce(won_touches, 0) + 1
    where contact_id = new.contact_id and status = 'won' and closed_at >= new.occurred_at;
end;

-- Backfill what is already stored.
update deals set created_path = (
    select group_concat(p.touch, char(30)) from (
        select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
        from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
        where l.contact_id = deals.contact_id and s.started_at <= deals.created_at
        order by s.started_at) as p);

update deals set
    won_path = (
        select group_concat(p.touch, char(30)) from (
            select s.channel || char(31) || coalesce(s.utm_campaign, '') as touch
            from visitor_links l join sessions s on s.visitor = l.visitor and s.workspace_id = l.workspace_id
            where l.contact_id = deals.contact_id and s.started_at <= deals.closed_at
            order by s.started_at) as p),
    won_touches =
        (select count(*) from activities a
         where a.contact_id = deals.contact_id and a.occurred_at <= deals.closed_at)
        + (select count(*) from visitor_links l join sessions s
             on s.visitor = l.visitor and s.workspace_id = l.workspace_id
           where l.contact_id = deals.contact_id and s.started_at <= deals.closed_at)
where status = 'won' and closed_at is not null;
