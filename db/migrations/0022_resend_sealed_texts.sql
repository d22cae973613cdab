-- A text that is done with has its body sealed (TextBodies): resending one takes the body the app opened from the seal
-- (p_body, with '{ref}' where the old ref was); an unsealed one is resent from its stored body, as before.
drop function resend_sms(uuid, text, text, bytea);
create function resend_sms(p_message_id uuid, p_actor text, p_ref text, p_token_hash bytea, p_body text,
                           out outcome text, out message_id uuid)
language plpgsql as $$
declare
    m sms_messages;
begin
    select * into m from sms_messages where clinic_id = current_clinic_id() and id = p_message_id for update;
    if m.id is null then
        outcome := 'not_found'; return;
    end if;
    if m.status not in ('failed', 'undelivered', 'not_sent') or m.to_phone is null then
        outcome := 'not_resendable'; return;
    end if;
    if m.body_sealed is not null and p_body is null then
        outcome := 'sealed'; return;
    end if;
    if m.kind = 'confirmation' and not exists (select 1 from appointments a where a.clinic_id = m.clinic_id
                                                 and a.id = m.appointment_id and a.status = 'pending' and a.starts_at > now()) then
        outcome := 'appointment_not_pending'; return;
    end if;
    message_id := queue_sms(m.kind, 'resend:' || m.id, m.to_phone, coalesce(p_body, replace(m.body, m.ref, '{ref}')), m.call_id,
                            m.appointment_id, p_actor, m.id, p_ref, case when m.kind = 'confirmation' then p_token_hash end);
    if message_id is null then
        outcome := 'already_resent'; return;
    end if;
    perform audit(p_actor, 'sms.resent', 'sms_message', m.id::text, jsonb_build_object('new_message_id', message_id, 'kind', m.kind));
    outcome := 'queued';
end $$;
