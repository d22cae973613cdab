-- Issue 13: the dispatcher records a text's outcome and seals its body in one update, in one transaction. Before, each
-- batch's outcomes were committed first and the bodies sealed in a second transaction: two updates of each text (each a
-- new row version and an entry in every one of its indexes), and a failed seal left the bodies of texts already recorded
-- in clear. Now a failure rolls back both, and the texts are reconciled and recorded again after their lease.

-- The claim also returns the text's call: the dispatcher seals a caller's text under the call's key (DataKeys.ForTextsAsync).
drop function sms_claim(integer, integer);
create function sms_claim(p_limit integer, p_lease_seconds integer)
returns table (clinic_id uuid, id uuid, to_phone text, body text, ref text, attempts integer, opted_out boolean, call_id text)
language sql security definer set search_path = public, pg_temp as $$
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
              exists (select 1 from sms_opt_outs o where o.clinic_id = m.clinic_id and o.phone = m.to_phone), m.call_id
$$;
revoke all on function sms_claim(integer, integer) from public;
grant execute on function sms_claim(integer, integer) to clinic_app;

-- Records one attempt's outcome (as in 0008_messages.sql) and, when p_body_sealed is given, stores the body sealed
-- (TextBodies.SealedMarker in body, the sealed bytes and their key beside it). A body already sealed, erased ('[erased]')
-- or removed ('[removed after …]') is left as it is: the seal was made from the body as claimed, and the row is checked
-- under its lock here. A late 'sent' for a text already settled (delivered, or failed by the patient's erasure) keeps its
-- status and its error.
create function record_sms_attempt(p_id uuid, p_attempt integer, p_status text, p_sid text, p_twilio_status text,
                                   p_code integer, p_error text, p_retry_at timestamptz, p_opt_out boolean,
                                   p_body_sealed bytea, p_data_key_id uuid)
returns text language plpgsql as $$
declare
    m sms_messages;
begin
    update sms_messages set
           status = case when p_status = 'sent' and status <> 'sending' then status else p_status end,
           twilio_sid = coalesce(twilio_sid, p_sid), twilio_status = coalesce(twilio_status, p_twilio_status),
           sent_at = case when p_status = 'sent' then coalesce(sent_at, now()) else sent_at end,
           error_code = case when status = 'sending' then p_code else error_code end,
           error_message = case when status = 'sending' then p_error else error_message end,
           next_attempt_at = coalesce(p_retry_at, next_attempt_at), updated_at = now(),
           body = case when p_body_sealed is not null and body_sealed is null and body not like '[%' then '[sealed]' else body end,
           body_sealed = case when p_body_sealed is not null and body_sealed is null and body not like '[%' then p_body_sealed else body_sealed end,
           data_key_id = case when p_body_sealed is not null and body_sealed is null and body not like '[%' then p_data_key_id else data_key_id end
     where clinic_id = current_clinic_id() and id = p_id and attempts = p_attempt
       and (status = 'sending' or p_status = 'sent')
    returning * into m;
    if m.id is null then
        return null;
    end if;
    if p_opt_out then
        insert into sms_opt_outs (clinic_id, phone, reason) values (m.clinic_id, m.to_phone, 'twilio_21610') on conflict do nothing;
    end if;
    perform emit_event('sms', jsonb_build_object('message_id', m.id, 'kind', m.kind, 'status', m.status));
    if m.status <> 'queued' then
        perform audit('sms-dispatcher', 'sms.' || m.status, 'sms_message', m.id::text,
                      jsonb_strip_nulls(jsonb_build_object('kind', m.kind, 'twilio_sid', m.twilio_sid, 'error_code', p_code, 'attempts', p_attempt)));
    end if;
    return m.status;
end $$;

-- The outcome alone, for an instance still running the code before this migration.
create or replace function record_sms_attempt(p_id uuid, p_attempt integer, p_status text, p_sid text, p_twilio_status text,
                                              p_code integer, p_error text, p_retry_at timestamptz, p_opt_out boolean)
returns text language sql as $$
    select record_sms_attempt(p_id, p_attempt, p_status, p_sid, p_twilio_status, p_code, p_error, p_retry_at, p_opt_out, null, null)
$$;

-- Done-with texts whose bodies are still in clear: held back when queued (capped, opted out), or recorded when sealing
-- failed, or from before bodies were sealed. The dispatcher seals them every few seconds (TextBodies.SealLeftoversAsync),
-- across clinics. A text sealed as it is recorded never enters this index.
create index sms_messages_in_clear on sms_messages (clinic_id, id)
 where body_sealed is null and status not in ('queued', 'sending') and body not like '[%';

create function sms_in_clear(p_limit integer) returns table (clinic_id uuid, id uuid, to_phone text, call_id text, body text)
language sql stable security definer set search_path = public, pg_temp as $$
    select m.clinic_id, m.id, m.to_phone, m.call_id, m.body from sms_messages m
     where m.body_sealed is null and m.status not in ('queued', 'sending') and m.body not like '[%'
     order by m.clinic_id, m.id limit p_limit
$$;
revoke all on function sms_in_clear(integer) from public;
grant execute on function sms_in_clear(integer) to clinic_app;
