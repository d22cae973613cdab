-- Storage limitation (GDPR 5(1)(e), docs/privacy.md): how long each clinic keeps what it does not need for long.
-- The retention job (Features/Privacy/Retention.cs) applies it in batches, one instance at a time. It never touches
-- appointments or the audit trail.
alter table clinics
    add column keep_call_records_days   integer not null default 90  check (keep_call_records_days between 1 and 3650),
    add column keep_text_bodies_days    integer not null default 90  check (keep_text_bodies_days between 1 and 3650),
    add column keep_events_days         integer not null default 30  check (keep_events_days between 1 and 3650),
    add column keep_caller_numbers_days integer not null default 365 check (keep_caller_numbers_days between 1 and 3650);

grant delete on events to clinic_app;

-- Every clinic, for the retention job (which then works in each clinic under its row-level security).
create function retention_clinics() returns setof uuid
language sql stable security definer set search_path = public, pg_temp as $$ select id from clinics order by id $$;
revoke all on function retention_clinics() from public;
grant execute on function retention_clinics() to clinic_app;

-- One batch of the current clinic's retention: at most p_batch rows of each kind. Returns what it did:
--   call_records: calls whose transcript, summary and structured data were removed (ended longer ago than the period);
--   text_bodies: texts past their period (and no longer waiting to be sent) whose body was replaced;
--   events: dashboard events deleted;
--   caller_numbers: ended calls (and their message lines) whose caller number was removed.
create function apply_retention(p_batch integer) returns jsonb
language plpgsql as $$
declare
    c clinics;
    n_records int; n_bodies int; n_events int; n_numbers int; n_lines int;
begin
    select * into c from clinics where id = current_clinic_id();
    if not found then return null; end if;

    update calls set transcript = null, summary = null, structured_data = null,
                     transcript_sealed = null, summary_sealed = null, structured_sealed = null, updated_at = now()
     where call_id in (select call_id from calls
                        where coalesce(ended_at, updated_at) < now() - make_interval(days => c.keep_call_records_days)
                          and num_nonnulls(transcript, summary, structured_data, transcript_sealed, summary_sealed, structured_sealed) > 0
                        limit p_batch);
    get diagnostics n_records = row_count;

    update sms_messages set body = format('[removed after %s days]', c.keep_text_bodies_days), body_sealed = null, updated_at = now()
     where id in (select id from sms_messages
                   where created_at < now() - make_interval(days => c.keep_text_bodies_days)
                     and status not in ('queued', 'sending') and body not like '[removed after %' and body <> '[erased]'
                   limit p_batch);
    get diagnostics n_bodies = row_count;

    delete from events
     where id in (select id from events where occurred_at < now() - make_interval(days => c.keep_events_days) limit p_batch);
    get diagnostics n_events = row_count;

    update calls set caller_phone = null, updated_at = now()
     where call_id in (select call_id from calls
                        where status = 'ended' and caller_phone is not null
                          and ended_at < now() - make_interval(days => c.keep_caller_numbers_days)
                        limit p_batch);
    get diagnostics n_numbers = row_count;
    update call_messages set customer_phone = null
     where id in (select id from call_messages
                   where customer_phone is not null and received_at < now() - make_interval(days => c.keep_caller_numbers_days)
                   limit p_batch);
    get diagnostics n_lines = row_count;

    return jsonb_build_object('call_records', n_records, 'text_bodies', n_bodies, 'events', n_events,
                              'caller_numbers', n_numbers + n_lines);
end $$;
grant execute on function apply_retention(integer) to clinic_app;
