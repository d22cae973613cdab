-- Texts and links that cannot be abused (docs/security.md).
--
-- A confirmation link's token is no longer the message's ref and is never stored: the app derives it from the ref with a
-- secret key (LinkTokens, the key kept in app_secrets under Data Protection) when it sends the text, and only its SHA-256
-- is kept (confirmation_tokens). The stored body holds the placeholder {token} where the link's token goes: staff see it
-- masked, and a resend makes a new ref, so a new token.

-- Secrets of the app itself (not any clinic's), each encrypted by ASP.NET Core Data Protection before it is stored.
create table app_secrets (
    name       text primary key,
    protected  text not null,
    created_at timestamptz not null default now()
);
grant select, insert on app_secrets to clinic_app;

-- Each clinic decides: whether unconfirmed voice bookings give their slot back when the link expires; whether texts may go
-- to numbers outside the clinic's country; how many texts one number may get in a day.
alter table clinics
    add column expire_unconfirmed boolean not null default true,
    add column sms_any_country boolean not null default false,
    add column sms_daily_cap integer not null default 5 check (sms_daily_cap between 1 and 100);

-- A message held back because its number had its day's texts already ('capped').
alter table sms_messages drop constraint sms_messages_status_check;
alter table sms_messages add constraint sms_messages_status_check
    check (status in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'not_sent', 'opted_out', 'capped'));

drop function resend_sms(uuid, text);
drop function queue_sms(text, text, text, text, text, uuid, text, uuid);

-- Queues one message for the current clinic. p_body carries '{ref}' (replaced by the ref here) and, for a confirmation,
-- '{token}' (replaced by the sender only). p_ref and p_token_hash come from the app for a confirmation (LinkTokens);
-- otherwise the ref is made here. Returns the new message's id, or null when the same decision queued one already.
-- A number that opted out gets a row in status 'opted_out', one over the clinic's daily cap a row in 'capped': staff see
-- why nothing went, and no link is made.
create function queue_sms(p_kind text, p_dedupe_key text, p_to text, p_body text, p_call_id text, p_appointment_id uuid,
                          p_actor text, p_resent_from uuid default null, p_ref text default null, p_token_hash bytea default null)
returns uuid language plpgsql as $$
declare
    clinic uuid := current_clinic_id();
    new_ref text := coalesce(p_ref, new_sms_ref());
    initial text;
    queued uuid;
begin
    initial := case
        when exists (select 1 from sms_opt_outs o where o.clinic_id = clinic and o.phone = p_to) then 'opted_out'
        when (select count(*) from sms_messages m where m.clinic_id = clinic and m.to_phone = p_to
                 and m.created_at > now() - interval '1 day' and m.status not in ('opted_out', 'capped'))
             >= (select k.sms_daily_cap from clinics k where k.id = clinic) then 'capped'
        else 'queued' end;
    insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, call_id, appointment_id, status, created_by, resent_from,
                              error_message)
    values (clinic, p_kind, p_dedupe_key, new_ref, p_to, replace(p_body, '{ref}', new_ref), p_call_id, p_appointment_id, initial,
            p_actor, p_resent_from, case when initial = 'capped' then 'This number already had its texts for today (the clinic''s daily cap).' end)
    on conflict (clinic_id, dedupe_key) do nothing
    returning id into queued;
    if queued is null then
        return null;
    end if;
    if p_kind = 'confirmation' and initial = 'queued' then
        if p_token_hash is null then
            raise exception 'a confirmation text needs its link token''s hash' using errcode = '22023';
        end if;
        -- The link works until the appointment starts, and for three days at most.
        insert into confirmation_tokens (clinic_id, token_hash, appointment_id, expires_at)
        select clinic, p_token_hash, a.id, least(now() + interval '3 days', a.starts_at)
          from appointments a where a.clinic_id = clinic and a.id = p_appointment_id;
    end if;
    perform emit_event('sms', jsonb_build_object('message_id', queued, 'kind', p_kind, 'status', initial));
    return queued;
end $$;

-- Staff resend a message that did not go: a new message with the same text under a new ref (for a confirmation, a new link:
-- p_ref and p_token_hash from the app). Each message can be resent once; a failed resend can itself be resent.
create function resend_sms(p_message_id uuid, p_actor text, p_ref text, p_token_hash bytea, out outcome text, out message_id uuid)
language plpgsql as $$
declare
    m sms_messages;
begin
    select * into m from sms_messages where clinic_id = current_clinic_id() and id = p_message_id for update;
    if m.id is null then
        outcome := 'not_found'; return;
    end if;
    if m.status not in ('failed', 'undelivered', 'not_sent') then
        outcome := 'not_resendable'; return;
    end if;
    if m.kind = 'confirmation' and not exists (select 1 from appointments a where a.clinic_id = m.clinic_id
                                                 and a.id = m.appointment_id and a.status = 'pending' and a.starts_at > now()) then
        outcome := 'appointment_not_pending'; return;
    end if;
    message_id := queue_sms(m.kind, 'resend:' || m.id, m.to_phone, replace(m.body, m.ref, '{ref}'), m.call_id, m.appointment_id,
                            p_actor, m.id, p_ref, case when m.kind = 'confirmation' then p_token_hash end);
    if message_id is null then
        outcome := 'already_resent'; return;
    end if;
    perform audit(p_actor, 'sms.resent', 'sms_message', m.id::text, jsonb_build_object('new_message_id', message_id, 'kind', m.kind));
    outcome := 'queued';
end $$;

-- What a confirmation link shows before anyone presses Confirm (a link previewer or a virus scanner only ever GETs):
-- the same outcomes as confirm_by_token, with 'pending' for one that can still be confirmed. Changes nothing.
create function preview_by_token(p_token_hash bytea)
returns table (outcome text, appointment_id uuid, starts_at timestamptz, provider_name text)
language sql stable as $$
    select case when a.status = 'confirmed' then 'already_confirmed'
                when a.status = 'cancelled' then 'cancelled'
                when a.status <> 'pending' then 'closed'
                when t.used_at is not null or t.expires_at <= now() then 'expired'
                else 'pending' end,
           a.id, a.starts_at, (select p.name from providers p where p.clinic_id = a.clinic_id and p.id = a.provider_id)
      from confirmation_tokens t join appointments a on a.clinic_id = t.clinic_id and a.id = t.appointment_id
     where t.clinic_id = current_clinic_id() and t.token_hash = p_token_hash
$$;

-- Voice bookings whose confirmation link expired unused, in clinics that give such slots back (across clinics, for the
-- expiry job, which then cancels each under its own clinic). The owner reads appointments for it, as it reads the
-- outbox for the dispatcher's claim.
create policy owner_read on appointments for select to current_user using (true);
create function unconfirmed_expired(p_limit integer)
returns table (clinic_id uuid, appointment_id uuid)
language sql stable security definer set search_path = public, pg_temp as $$
    select a.clinic_id, a.id
      from confirmation_tokens t
      join appointments a on a.clinic_id = t.clinic_id and a.id = t.appointment_id
      join clinics k on k.id = a.clinic_id
     where k.expire_unconfirmed and a.status = 'pending' and a.source = 'voice' and t.used_at is null and t.expires_at <= now()
       and not exists (select 1 from confirmation_tokens newer where newer.clinic_id = t.clinic_id
                          and newer.appointment_id = t.appointment_id and newer.expires_at > now())
     limit p_limit
$$;
revoke all on function unconfirmed_expired(integer) from public;
grant execute on function unconfirmed_expired(integer) to clinic_app;

-- Cancels one expired unconfirmed voice booking of the current clinic, if it still is one: the slot is free again, with an
-- audit row and a cancellation event for the dashboards. Returns whether it did.
create function expire_unconfirmed(p_appointment_id uuid)
returns boolean language plpgsql as $$
declare
    a appointments;
begin
    select * into a from appointments x where x.clinic_id = current_clinic_id() and x.id = p_appointment_id and x.status = 'pending'
       for update;
    if a.id is null or exists (select 1 from confirmation_tokens t where t.clinic_id = a.clinic_id and t.appointment_id = a.id
                                  and (t.used_at is not null or t.expires_at > now())) then
        return false;
    end if;
    update appointments set status = 'cancelled', updated_at = now() where clinic_id = a.clinic_id and id = a.id;
    perform audit('confirmation-expiry', 'appointment.expired', 'appointment', a.id::text, jsonb_build_object('reason', 'not confirmed in time'));
    perform emit_event('cancellation', jsonb_build_object(
        'appointment_id', a.id, 'starts_at', a.starts_at, 'source', 'voice', 'actor', 'confirmation-expiry', 'reason', 'expired',
        'provider_name', (select p.name from providers p where p.clinic_id = a.clinic_id and p.id = a.provider_id),
        'patient_name', (select p.name from patients p where p.clinic_id = a.clinic_id and p.id = a.patient_id)));
    return true;
end $$;
