-- Text messages (Twilio) as a transactional outbox: a message row is written in the transaction that
-- decides to send it (the call's end, a voice booking), keyed so the same decision cannot queue it
-- twice; a dispatcher on any app instance sends it afterwards (DESIGN.md, Idempotency).
--
-- Send-once: Twilio's Messages API has no idempotency key. Every message body carries a random `ref`
-- (in its link). A sender claims a row with a lease (status 'sending'); a row whose earlier attempt
-- may have reached Twilio (a retry, or a lease that ran out because its sender died between Twilio's
-- acceptance and our commit) is first looked up in Twilio's message list by that ref, and is only
-- sent again when Twilio does not have it.

-- 22 characters of base64url from a random (v4) UUID: 122 random bits, unguessable.
create function new_sms_ref() returns text language sql volatile as $$
    select translate(rtrim(encode(uuid_send(gen_random_uuid()), 'base64'), '='), '+/', '-_')
$$;

create table sms_opt_outs (
    clinic_id    uuid not null,
    phone        text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
    opted_out_at timestamptz not null default now(),
    reason       text not null check (reason in ('stop_keyword', 'twilio_21610')),
    primary key (clinic_id, phone)
);

create table sms_messages (
    clinic_id       uuid not null,
    id              uuid not null default gen_random_uuid(),
    kind            text not null check (kind in ('follow_up', 'confirmation')),
    -- What decided to send it ('follow_up:<call id>', 'confirmation:<appointment id>', 'resend:<message id>').
    dedupe_key      text not null,
    ref             text not null,
    to_phone        text not null check (to_phone ~ '^\+[1-9][0-9]{7,14}$'),
    body            text not null check (length(body) between 1 and 1600),
    call_id         text,
    appointment_id  uuid,
    -- queued (waiting, or a retry is scheduled), sending (claimed; next_attempt_at is the lease's end),
    -- sent (Twilio accepted it), delivered / undelivered (Twilio's callbacks), failed (permanent error,
    -- or attempts used up), not_sent (no Twilio credentials), opted_out (the number said STOP).
    status          text not null default 'queued'
                    check (status in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'not_sent', 'opted_out')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    twilio_sid      text,
    twilio_status   text,
    error_code      integer,
    error_message   text,
    resent_from     uuid,
    created_by      text not null,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz,
    updated_at      timestamptz not null default now(),
    primary key (clinic_id, id),
    unique (clinic_id, dedupe_key),
    unique (clinic_id, ref)
);
create index sms_messages_due on sms_messages (next_attempt_at) where status in ('queued', 'sending');
create index sms_messages_phone on sms_messages (clinic_id, to_phone, created_at desc);
create index sms_messages_to on sms_messages (to_phone);

-- A confirmation link's token is the message's ref; only its SHA-256 is kept here.
create table confirmation_tokens (
    clinic_id      uuid not null,
    token_hash     bytea not null check (length(token_hash) = 32),
    appointment_id uuid not null,
    expires_at     timestamptz not null,
    used_at        timestamptz,
    primary key (clinic_id, token_hash),
    foreign key (clinic_id, appointment_id) references appointments (clinic_id, id)
);
create index confirmation_tokens_hash on confirmation_tokens (token_hash);

do $$
declare t text;
begin
    foreach t in array array['sms_opt_outs', 'sms_messages', 'confirmation_tokens']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (clinic_id = current_clinic_id()) '
                       'with check (clinic_id = current_clinic_id())', t);
    end loop;
end $$;
create policy owner_all on sms_messages to current_user using (true) with check (true);
create policy owner_read on sms_opt_outs for select to current_user using (true);
create policy owner_read on confirmation_tokens for select to current_user using (true);
grant select, insert, update on sms_messages, confirmation_tokens to clinic_app;
grant select, insert, delete on sms_opt_outs to clinic_app;

-- Queues one message for the current clinic; p_body carries '{ref}' where the ref goes (in its link).
-- Returns the new message's id, or null when the same decision queued one already. A number that
-- opted out gets a row in status 'opted_out' (staff see why nothing was sent) and no token.
create function queue_sms(p_kind text, p_dedupe_key text, p_to text, p_body text, p_call_id text, p_appointment_id uuid,
                          p_actor text, p_resent_from uuid default null)
returns uuid language plpgsql as $$
declare
    clinic uuid := current_clinic_id();
    new_ref text := new_sms_ref();
    opted boolean;
    queued uuid;
begin
    opted := exists (select 1 from sms_opt_outs o where o.clinic_id = clinic and o.phone = p_to);
    insert into sms_messages (clinic_id, kind, dedupe_key, ref, to_phone, body, call_id, appointment_id, status, created_by, resent_from)
    values (clinic, p_kind, p_dedupe_key, new_ref, p_to, replace(p_body, '{ref}', new_ref), p_call_id, p_appointment_id,
            case when opted then 'opted_out' else 'queued' end, p_actor, p_resent_from)
    on conflict (clinic_id, dedupe_key) do nothing
    returning id into queued;
    if queued is null then
        return null;
    end if;
    if p_kind = 'confirmation' and not opted then
        -- The link works until the appointment starts, and for three days at most.
        insert into confirmation_tokens (clinic_id, token_hash, appointment_id, expires_at)
        select clinic, sha256(convert_to(new_ref, 'UTF8')), a.id, least(now() + interval '3 days', a.starts_at)
          from appointments a where a.clinic_id = clinic and a.id = p_appointment_id;
    end if;
    perform emit_event('sms', jsonb_build_object('message_id', queued, 'kind', p_kind, 'status',
                                                 case when opted then 'opted_out' else 'queued' end));
    return queued;
end $$;

-- Staff resend a message that did not go: a new message (new ref, and for a confirmation a new link)
-- with the same text. Each message can be resent once; a failed resend can itself be resent.
create function resend_sms(p_message_id uuid, p_actor text, out outcome text, out message_id uuid)
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
                            p_actor, m.id);
    if message_id is null then
        outcome := 'already_resent'; return;
    end if;
    perform audit(p_actor, 'sms.resent', 'sms_message', m.id::text, jsonb_build_object('new_message_id', message_id, 'kind', m.kind));
    outcome := 'queued';
end $$;

-- The dispatcher's claim, across clinics: due messages (queued, or 'sending' whose lease ran out) move
-- to 'sending' with a lease, one more attempt counted. SKIP LOCKED lets several instances claim at once.
create function sms_claim(p_limit integer, p_lease_seconds integer)
returns table (clinic_id uuid, id uuid, to_phone text, body text, ref text, attempts integer, opted_out boolean)
language sql security definer set search_path = public as $$
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
              exists (select 1 from sms_opt_outs o where o.clinic_id = m.clinic_id and o.phone = m.to_phone)
$$;
revoke all on function sms_claim(integer, integer) from public;
grant execute on function sms_claim(integer, integer) to clinic_app;

-- When the next message falls due (for the dispatcher's sleep), across clinics.
create function sms_next_due() returns timestamptz
language sql stable security definer set search_path = public as $$
    select min(next_attempt_at) from sms_messages where status in ('queued', 'sending')
$$;
revoke all on function sms_next_due() from public;
grant execute on function sms_next_due() to clinic_app;

-- An inbound STOP or START names only a phone number: the clinics that have texted it.
create function sms_clinics_for_phone(p_phone text) returns setof uuid
language sql stable security definer set search_path = public as $$
    select distinct clinic_id from sms_messages where to_phone = p_phone
$$;
revoke all on function sms_clinics_for_phone(text) from public;
grant execute on function sms_clinics_for_phone(text) to clinic_app;

-- A confirmation link names only its token: the clinic it belongs to (nothing else), or null.
create function confirmation_token_clinic(p_token_hash bytea) returns uuid
language sql stable security definer set search_path = public as $$
    select clinic_id from confirmation_tokens where token_hash = p_token_hash limit 1
$$;
revoke all on function confirmation_token_clinic(bytea) from public;
grant execute on function confirmation_token_clinic(bytea) to clinic_app;

-- The public pages name a clinic by its slug: what a patient may see of it.
create function public_clinic(p_slug text)
returns table (id uuid, slug text, name text, phone text)
language sql stable security definer set search_path = public as $$
    select id, slug, name, phone from clinics where slug = p_slug
$$;
revoke all on function public_clinic(text) from public;
grant execute on function public_clinic(text) to clinic_app;

-- Opening a confirmation link, in the token's clinic. outcome: confirmed, already_confirmed, expired,
-- cancelled, closed (completed or no-show) or invalid. A used link keeps answering already_confirmed.
create function confirm_by_token(p_token_hash bytea)
returns table (outcome text, appointment_id uuid, starts_at timestamptz, provider_name text)
language plpgsql as $$
declare
    t confirmation_tokens;
    a appointments;
    chosen text;
begin
    select * into t from confirmation_tokens c where c.clinic_id = current_clinic_id() and c.token_hash = p_token_hash for update;
    if t.token_hash is null then
        return query select 'invalid', null::uuid, null::timestamptz, null::text;
        return;
    end if;
    select * into a from appointments x where x.clinic_id = t.clinic_id and x.id = t.appointment_id for update;
    if a.status = 'confirmed' then
        chosen := 'already_confirmed';
    elsif a.status = 'cancelled' then
        chosen := 'cancelled';
    elsif a.status <> 'pending' then
        chosen := 'closed';
    elsif t.used_at is not null or t.expires_at <= now() then
        chosen := 'expired';
    else
        update appointments set status = 'confirmed', updated_at = now() where clinic_id = a.clinic_id and id = a.id;
        update confirmation_tokens set used_at = now() where clinic_id = t.clinic_id and token_hash = t.token_hash;
        perform audit('patient:sms-link', 'appointment.confirmed', 'appointment', a.id::text, jsonb_build_object('via', 'confirmation_link'));
        perform emit_event('status', jsonb_build_object(
            'appointment_id', a.id, 'status', 'confirmed', 'source', 'patient', 'actor', 'patient:sms-link', 'starts_at', a.starts_at,
            'provider_name', (select p.name from providers p where p.clinic_id = a.clinic_id and p.id = a.provider_id),
            'patient_name', (select p.name from patients p where p.clinic_id = a.clinic_id and p.id = a.patient_id)));
        chosen := 'confirmed';
    end if;
    return query select chosen, a.id, a.starts_at, (select p.name from providers p where p.clinic_id = a.clinic_id and p.id = a.provider_id);
end $$;

-- The follow-up decision reads a call's tool calls (did it book? which procedure was looked up?).
create index tool_calls_call on tool_calls (clinic_id, call_id) where call_id is not null;

-- One send attempt's outcome, recorded only while that attempt still holds the message (its attempt
-- number); a status callback that arrived first is kept ('sent' never overwrites 'delivered').
-- Returns the message's status, or null when a later attempt holds it now.
create function record_sms_attempt(p_id uuid, p_attempt integer, p_status text, p_sid text, p_twilio_status text,
                                   p_code integer, p_error text, p_retry_at timestamptz, p_opt_out boolean)
returns text language plpgsql as $$
declare
    m sms_messages;
begin
    update sms_messages set
           status = case when p_status = 'sent' and status <> 'sending' then status else p_status end,
           twilio_sid = coalesce(twilio_sid, p_sid), twilio_status = coalesce(twilio_status, p_twilio_status),
           sent_at = case when p_status = 'sent' then coalesce(sent_at, now()) else sent_at end,
           error_code = p_code, error_message = p_error,
           next_attempt_at = coalesce(p_retry_at, next_attempt_at), updated_at = now()
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
