-- Crypto-shredding and erasure (docs/privacy.md).
--
-- Each patient gets their own data key, made by the app and kept here wrapped by the notes key ring (the app's
-- NoteProtector; the database never sees a key in clear). What describes the patient and is kept for a while is sealed
-- under it: appointment notes, and call transcripts, summaries and structured data. A call from a number that is not a
-- patient yet gets a key of its own. Erasing a patient destroys their keys (wrapped := null) and overwrites every column
-- that identifies them; appointment times, provider and status stay, under the patient's id, for the clinic's figures.
create table data_keys (
    clinic_id    uuid not null references clinics (id),
    id           uuid not null,
    -- The patient the key belongs to; null for a call's own key until the caller is known (a merge moves keys over).
    patient_id   uuid,
    wrapped      bytea,
    created_at   timestamptz not null default now(),
    destroyed_at timestamptz,
    primary key (clinic_id, id),
    check ((wrapped is null) = (destroyed_at is not null))
);
create index data_keys_patient on data_keys (clinic_id, patient_id) where patient_id is not null;
alter table data_keys enable row level security;
alter table data_keys force row level security;
create policy tenant on data_keys using (clinic_id = current_clinic_id()) with check (clinic_id = current_clinic_id());
grant select, insert, update (patient_id, wrapped, destroyed_at) on data_keys to clinic_app;

alter table patients
    add column erased_at timestamptz,
    alter column phone drop not null,
    add constraint patients_phone_unless_erased check (phone is not null or erased_at is not null);

alter table calls
    add column data_key_id       uuid,
    add column transcript_sealed bytea,
    add column summary_sealed    bytea,
    add column structured_sealed bytea,
    add foreign key (clinic_id, data_key_id) references data_keys (clinic_id, id);

-- A text's body is sealed too once it is done with (sent, failed, …; TextBodies): body then reads '[sealed]'.
alter table sms_messages
    alter column to_phone drop not null,
    add column data_key_id uuid,
    add column body_sealed bytea,
    add foreign key (clinic_id, data_key_id) references data_keys (clinic_id, id);
grant update (body, body_sealed, data_key_id) on sms_messages to clinic_app;

-- A merge deletes the duplicate record; erasure overwrites what the runtime role could not change before.
grant delete on patients to clinic_app;
grant update (payload) on events to clinic_app;
grant update (customer_phone) on call_messages to clinic_app;
grant update (result) on tool_calls to clinic_app;

-- The patient's calls: from their number, sealed under one of their keys, or where one of their appointments was booked
-- or moved. The Patients page, the subject-access export and erasure all use this.
create function patient_calls(p_patient uuid) returns setof text
language sql stable as $$
    select c.call_id from calls c where c.caller_phone = (select phone from patients where id = p_patient)
    union
    select c.call_id from calls c join data_keys k on k.clinic_id = c.clinic_id and k.id = c.data_key_id where k.patient_id = p_patient
    union
    select t.call_id from tool_calls t
     where t.call_id is not null and t.outcome in ('booked', 'rescheduled')
       and (t.result::jsonb ->> 'appointment_id')::uuid in (select id from appointments where patient_id = p_patient)
$$;
grant execute on function patient_calls(uuid) to clinic_app;

-- Erases one patient of the current clinic (docs/privacy.md, "Erasure"): destroys the patient's data keys and the keys of
-- their calls, and overwrites their name, phone and email, the caller number on their calls, transcripts and summaries
-- kept in clear before sealing existed, the recipient and body of their texts, their name in dashboard events and in
-- stored tool results, and their opt-out. Appointments stay (times, provider, status) under the anonymous patient id.
-- Audited with the patient id and the counts only. Null when there is no such patient (or they are erased already).
create function erase_patient(p_patient uuid, p_actor text) returns jsonb
language plpgsql as $$
declare
    p patients;
    appts uuid[];
    their_calls text[];
    phone_forms text[];
    counts jsonb;
    n_keys int; n_calls int; n_texts int; n_events int; n_results int;
begin
    select * into p from patients where id = p_patient and erased_at is null for update;
    if not found then return null; end if;
    appts := array(select id from appointments where patient_id = p.id);
    their_calls := array(select patient_calls(p.id));
    -- The number as it may appear in stored text: +447700900123, 447700900123, and its last ten and nine digits (which
    -- 07700900123 and 7700900123 contain).
    phone_forms := array[p.phone, substr(p.phone, 2), right(p.phone, 10), right(p.phone, 9)];

    update data_keys set wrapped = null, destroyed_at = now()
     where wrapped is not null
       and (patient_id = p.id or id in (select data_key_id from calls where call_id = any (their_calls) and data_key_id is not null)
            or id in (select data_key_id from sms_messages where (to_phone = p.phone or appointment_id = any (appts) or call_id = any (their_calls))
                                                              and data_key_id is not null));
    get diagnostics n_keys = row_count;

    update patients set name = 'Erased patient', phone = null, email = null, erased_at = now() where id = p.id;
    update appointments set notes_ciphertext = null, updated_at = now() where patient_id = p.id and notes_ciphertext is not null;

    update calls set caller_phone = null, transcript = null, summary = null, structured_data = null, updated_at = now()
     where call_id = any (their_calls);
    get diagnostics n_calls = row_count;
    update call_messages set customer_phone = null where customer_phone = p.phone or (call_id = any (their_calls) and customer_phone is not null);

    update sms_messages set to_phone = null, body = '[erased]', body_sealed = null, updated_at = now(),
           status = case when status in ('queued', 'sending') then 'failed' else status end,
           error_message = case when status in ('queued', 'sending') then 'the patient was erased before it was sent' else error_message end
     where to_phone = p.phone or appointment_id = any (appts) or call_id = any (their_calls);
    get diagnostics n_texts = row_count;
    delete from sms_opt_outs where phone = p.phone;

    update events set payload = payload || jsonb_build_object('patient_name', 'Erased patient')
     where payload ->> 'patient_name' = p.name;
    get diagnostics n_events = row_count;

    update tool_calls
       set result = replace(replace(replace(replace(replace(result, p.name, 'Erased patient'), phone_forms[1], ''), phone_forms[2], ''),
                                    phone_forms[3], ''), phone_forms[4], '')
     where call_id = any (their_calls) and (position(p.name in result) > 0 or position(phone_forms[4] in result) > 0);
    get diagnostics n_results = row_count;

    counts := jsonb_build_object('appointments_kept', cardinality(appts), 'keys_destroyed', n_keys, 'calls', n_calls, 'texts', n_texts,
                                 'events', n_events, 'tool_results', n_results);
    perform audit(p_actor, 'patient.erased', 'patient', p.id::text, counts);
    return counts;
end $$;
grant execute on function erase_patient(uuid, text) to clinic_app;
