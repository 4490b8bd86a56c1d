-- Attribution and "touches before a win" read each deal's visits. Joining a year of deals to
-- their contacts' visitor links and sessions at report time is a random read per deal and per
-- visit; the deal keeps them instead, written when it is opened and when it is won, and again
-- when its contact gains a visitor or an activity:
--   created_path  the visits up to its creation, oldest first, as `journeys.lead_path`
--                 (`channel 0x1F campaign`, joined by 0x1E);
--   won_path      the same up to its win;
--   won_touches   tracked visits plus logged activities up to its win.

alter table deals add column created_path text;
alter table deals add column won_path text;
alter table deals add column won_touches bigint;

-- The visits of a contact up to a time, as a path. The contact's visitors are looked up
-- first and their sessions by index (`= any(array(…))`): as a join, a planner with stale
-- statistics on a freshly filled sessions table chose to merge-join along the whole
-- visitor index, a scan that grows with every visitor (tenths of a second per call at ten
-- million sessions).
create function deal_path(ws uuid, contact uuid, upto timestamptz) returns text
language sql stable as $$
    select string_agg(s.channel || chr(31) || coalesce(s.utm_campaign, ''), chr(30) order by s.started_at)
    from sessions s
    where s.visitor = any(array(select l.visitor from visitor_links l
                                where l.contact_id = contact and l.workspace_id = ws))
      and s.workspace_id = ws and s.started_at <= upto
$$;

-- Tracked visits plus logged activities of a contact up to a time.
create function deal_touches(ws uuid, contact uuid, upto timestamptz) returns bigint
language sql stable as $$
    select (select count(*) from activities a where a.contact_id = contact and a.occurred_at <= upto)
         + (select count(*) from sessions s
            where s.visitor = any(array(select l.visitor from visitor_links l
                                        where l.contact_id = contact and l.workspace_id = ws))
              and s.workspace_id = ws and s.started_at <= upto)
$$;

create function deals_paths() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        new.created_path := deal_path(new.workspace_id, new.contact_id, new.created_at);
    end if;
    if new.status = 'won' and new.closed_at is not null
       and (tg_op = 'INSERT' or old.status is distinct from new.status
            or old.closed_at is distinct from new.closed_at) then
        new.won_path := deal_path(new.workspace_id, new.contact_id, new.closed_at);
        new.won_touches := deal_touches(new.workspace_id, new.contact_id, new.closed_at);
    end if;
    return new;
end $$;
create trigger deals_paths before insert or update of status, closed_at on deals
    for each row execute function deals_paths();

-- A visitor linked later may bring visits from before the deal.
create function deals_paths_link() returns trigger language plpgsql as $$
begin
    update deals set
        created_path = deal_path(new.workspace_id, new.contact_id, created_at),
        won_path = case when status = 'won' and closed_at is not null
            then deal_path(new.workspace_id, new.contact_id, closed_at) else won_path end,
        won_touches = case when status = 'won' and closed_at is not null
            then deal_touches(new.workspace_id, new.contact_id, closed_at) else won_touches end
    where contact_id = new.contact_id;
    return null;
end $$;
create trigger deals_paths_link after insert on visitor_links
    for each row execute function deals_paths_link();

-- An activity logged with a time before a win counts toward it.
create function deals_touches_activity() returns trigger language plpgsql as $$
begin
    update deals set won_touches = coalesce(won_touches, 0) + 1
    where contact_id = new.contact_id and status = 'won' and closed_at >= new.occurred_at;
    return null;
end $$;
create trigger deals_touches_activity after insert on activities
    for each row execute function deals_touches_activity();

-- Backfill what is already stored.
update deals set created_path = deal_path(workspace_id, contact_id, created_at);
update deals set
    won_path = deal_path(workspace_id, contact_id, closed_at),
    won_touches = deal_touches(workspace_id, contact_id, closed_at)
where status = 'won' and closed_at is not null;
