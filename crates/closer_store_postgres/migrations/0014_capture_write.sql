-- A capture's writes in one round trip. The adapter reads who owns the draft's identities (one
-- statement), decides in Rust what to write (the domain's merge), and sends it here: one call,
-- one implicit transaction, the statements in the order a transaction of separate statements
-- would run them, so every trigger (journeys, feeds) sees what it saw then.

-- Links a visitor to a contact unless it is someone else's already, and copies the visitor's
-- tracked history to the contact. The exclusive lock waits for tracking batches in flight for
-- the visitor (they hold it shared); the statements after it take fresh snapshots, so the copy
-- sees those batches' events.
create function link_visitor(
    p_ws uuid, p_visitor text, p_contact uuid, p_at timestamptz,
    out linked boolean, out owner uuid
) language plpgsql as $$
begin
    perform pg_advisory_xact_lock(7411, (hashtextextended(p_ws::text || ':' || p_visitor, 7) & 511)::int);
    insert into visitor_links (workspace_id, visitor, contact_id, linked_at)
        values (p_ws, p_visitor, p_contact, p_at)
        on conflict (workspace_id, visitor) do nothing;
    if found then
        -- Sessions first, then their events by `traffic_events_session_idx`: written as a
        -- join, the generic plan scanned every tracked event.
        insert into contact_traffic (contact_id, occurred_at, id, workspace_id, name, path, props)
            select p_contact, t.occurred_at, t.id, t.workspace_id, t.name, t.path, t.props
            from traffic_events t where t.session_id = any(array(
                select s.id from sessions s where s.visitor = p_visitor and s.workspace_id = p_ws))
            on conflict do nothing;
        linked := true;
        owner := p_contact;
        return;
    end if;
    linked := false;
    select l.contact_id into owner from visitor_links l
        where l.workspace_id = p_ws and l.visitor = p_visitor;
end $$;

-- Writes one upsert. `p_created`: insert the contact; otherwise `p_version` (the row's `xmin`
-- as read) rewrites it only if nobody changed it since, and a null `p_version` leaves the row
-- alone but keeps it from being erased until commit. Answers false when the contact changed or
-- went meanwhile (the adapter reads again and retries). An identity another contact took
-- meanwhile fails the call on `contact_identities_value_key` (retried the same way).
create function capture_write(
    p_ws uuid, p_contact uuid, p_created boolean, p_version text,
    p_name text, p_emails jsonb, p_phones jsonb, p_company text, p_job_title text,
    p_properties jsonb, p_stage text, p_owner uuid, p_consent_granted boolean,
    p_consent_at timestamptz, p_consent_source text, p_search text,
    p_created_at timestamptz, p_updated_at timestamptz,
    p_identity_kinds text[], p_identity_values text[],
    p_stage_row uuid, p_stage_at timestamptz, p_stage_by text,
    p_event_ids uuid[], p_event_kinds text[], p_event_at timestamptz[], p_event_props jsonb[],
    p_visitor text, p_now timestamptz
) returns boolean language plpgsql as $$
begin
    if p_created then
        insert into contacts (
            id, workspace_id, name, emails, phones, company, job_title, properties, stage, owner_id,
            consent_granted, consent_at, consent_source, search, created_at, updated_at
        ) values (
            p_contact, p_ws, p_name, p_emails, p_phones, p_company, p_job_title, p_properties,
            p_stage, p_owner, p_consent_granted, p_consent_at, p_consent_source, p_search,
            p_created_at, p_updated_at);
    elsif p_version is not null then
        update contacts set
            name = p_name, emails = p_emails, phones = p_phones, company = p_company,
            job_title = p_job_title, properties = p_properties, stage = p_stage, owner_id = p_owner,
            consent_granted = p_consent_granted, consent_at = p_consent_at,
            consent_source = p_consent_source, search = p_search, updated_at = p_updated_at
        where workspace_id = p_ws and id = p_contact and xmin::text = p_version;
        if not found then
            return false;
        end if;
    else
        perform 1 from contacts where workspace_id = p_ws and id = p_contact for key share;
        if not found then
            return false;
        end if;
    end if;
    insert into contact_identities (workspace_id, kind, value, contact_id)
        select p_ws, k, v, p_contact from unnest(p_identity_kinds, p_identity_values) as t(k, v);
    if p_stage_row is not null then
        if not p_created then
            update contact_stages set left_at = p_stage_at
                where contact_id = p_contact and left_at is null;
        end if;
        insert into contact_stages (id, workspace_id, contact_id, stage, entered_at, left_at, changed_by)
            values (p_stage_row, p_ws, p_contact, p_stage, p_stage_at, null, p_stage_by);
    end if;
    insert into events (id, workspace_id, contact_id, kind, occurred_at, properties)
        select i, p_ws, p_contact, k, a, p
        from unnest(p_event_ids, p_event_kinds, p_event_at, p_event_props) as e(i, k, a, p);
    if p_visitor is not null then
        perform link_visitor(p_ws, p_visitor, p_contact, p_now);
    end if;
    return true;
end $$;
