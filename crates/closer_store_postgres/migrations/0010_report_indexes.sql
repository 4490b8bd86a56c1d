-- On SQLite, 0010 adds narrow indexes for speed-to-lead and closed deals. PostgreSQL plans
-- those reads with its statistics over heap tables; the migration keeps both engines' numbers
-- and names in step, and mends the link trigger of 0006.
--
-- That trigger wrote a lead's path with a join of the contact's visitor links and sessions.
-- On a freshly filled sessions table (a demo, an import), with statistics that still said
-- the links were few, the planner merge-joined along the whole visitor index: a scan that
-- grows with every visitor, up to tenths of a second per capture at ten million sessions.
-- The contact's visitors are now looked up first and their sessions read by index.
create or replace function journeys_link() returns trigger language plpgsql as $$
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
        from sessions s
        where s.visitor = any(array(select l.visitor from visitor_links l
                                    where l.contact_id = new.contact_id
                                      and l.workspace_id = new.workspace_id))
          and s.workspace_id = new.workspace_id
          and s.started_at <= coalesce(journeys.lead_at, journeys.entered_at))
    where contact_id = new.contact_id;
    return null;
end $$;
