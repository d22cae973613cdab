-- Issue 13: the background reads and claims keep their plans, as the hot path's functions do since 0031. events_since
-- (every events wake-up, up to 40 a second), sms_claim and sms_next_due (every dispatcher batch) were SQL functions that
-- PostgreSQL cannot inline (SECURITY DEFINER with SET, a union, a data-modifying CTE), so each call parsed, rewrote and
-- planned its statement again: 0.52 ms around a read of 0.09 ms, 2.3 ms around a claim of 1.4 ms, and 0.60 ms around
-- a read of 0.10 ms at 200 bookings a second (docs/performance.md, tenth round). As PL/pgSQL each statement is prepared
-- once per connection. Same statements and SECURITY DEFINER, search_path pinned with pg_temp last (as 0011 set it);
-- CREATE OR REPLACE keeps the grants.

create or replace function events_since(p_after bigint, p_missing bigint[], p_limit integer)
returns table (id bigint, clinic_id uuid, kind text, occurred_at timestamptz, payload jsonb)
language plpgsql stable security definer set search_path = public, pg_temp as $$
#variable_conflict use_column
begin
    return query
        (select e.id, e.clinic_id, e.kind, e.occurred_at, e.payload from events e where e.id > p_after order by e.id limit p_limit)
        union all
        select e.id, e.clinic_id, e.kind, e.occurred_at, e.payload from events e where e.id = any (p_missing);
end $$;

create or replace function sms_next_due() returns timestamptz
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    return (select min(next_attempt_at) from sms_messages where status in ('queued', 'sending'));
end $$;

create or replace function sms_claim(p_limit integer, p_lease_seconds integer)
returns table (clinic_id uuid, id uuid, to_phone text, body text, ref text, attempts integer, opted_out boolean, call_id text)
language plpgsql security definer set search_path = public, pg_temp as $$
#variable_conflict use_column
begin
    return query
    with due as (
        select m.clinic_id, m.id from sms_messages m
         where m.status in ('queued', 'sending') and m.next_attempt_at <= now()
         order by m.next_attempt_at limit p_limit
         for update skip locked)
    update sms_messages m
       set status = 'sending', attempts = m.attempts + 1, updated_at = now(),
           next_attempt_at = now() + make_interval(secs => p_lease_seconds)
      from due
     where m.clinic_id = due.clinic_id and m.id = due.id
    returning m.clinic_id, m.id, m.to_phone, m.body, m.ref, m.attempts,
              exists (select 1 from sms_opt_outs o where o.clinic_id = m.clinic_id and o.phone = m.to_phone), m.call_id;
end $$;
