-- Issue 13 (docs/performance.md): one caller's bookings no longer queue behind each other. A caller who is already a patient
-- is reused without locking their row. The booking used
-- to upsert the patient with ON CONFLICT ... DO UPDATE, a no-op update that still locked the row until commit. Two
-- bookings from one number (a family booking together, a clinic's test phone) then ran one after the other.
-- Now: find the patient; insert only a new one (ON CONFLICT DO NOTHING: a concurrent insert of the same number waits for
-- the other to commit, and then that row is read). The appointment's foreign key still takes a KEY SHARE lock on the
-- patient, which concurrent bookings share without waiting.
create or replace function book_appointment(
    p_tool_call_id text, p_call_id text, p_actor text, p_source appointment_source,
    p_appointment_id uuid, p_code text, p_provider_id uuid, p_procedure_id uuid,
    p_starts_at timestamptz, p_ends_at timestamptz, p_blocked_until timestamptz,
    p_patient_name text, p_patient_phone text, p_notes bytea, p_detail jsonb,
    p_booked_result text, p_conflict_result text)
returns table (outcome text, result text)
language plpgsql as $$
declare
    clinic uuid := current_clinic_id();
    patient uuid;
    booked uuid;
    claimed boolean;
    answer text;
begin
    if clinic is null then
        raise exception 'no clinic is set for this transaction' using errcode = '42501';
    end if;
    if p_tool_call_id is not null then
        select c.claimed, c.stored_result into claimed, answer from claim_tool_call(p_tool_call_id, p_call_id, 'book_appointment') c;
        if not claimed then
            return query select 'replay', answer;
            return;
        end if;
    end if;

    select id into patient from patients where clinic_id = clinic and phone = p_patient_phone;
    if patient is null then
        insert into patients (clinic_id, name, phone) values (clinic, p_patient_name, p_patient_phone)
        on conflict (clinic_id, phone) do nothing
        returning id into patient;
        if patient is null then -- another booking added this number since; its row is committed now
            select id into patient from patients where clinic_id = clinic and phone = p_patient_phone;
        end if;
    end if;

    insert into appointments (clinic_id, id, provider_id, patient_id, procedure_id, starts_at, ends_at,
                              blocked_until, status, confirmation_code, source, notes_ciphertext, created_by)
    values (clinic, p_appointment_id, p_provider_id, patient, p_procedure_id, p_starts_at, p_ends_at,
            p_blocked_until, case p_source when 'voice' then 'pending' else 'confirmed' end::appointment_status,
            p_code, p_source, p_notes, p_actor)
    on conflict do nothing
    returning id into booked;

    if booked is null then
        if exists (select 1 from appointments where clinic_id = clinic and confirmation_code = p_code) then
            -- Not a slot conflict: the random code was taken. The caller retries with a new one.
            raise exception 'confirmation code already in use' using errcode = 'CP001';
        end if;
        perform audit(p_actor, 'appointment.conflict', 'provider', p_provider_id::text,
                      (p_detail - 'patient_name') || jsonb_build_object('starts_at', p_starts_at, 'ends_at', p_ends_at));
        perform emit_event('collision', p_detail || jsonb_build_object(
            'starts_at', p_starts_at, 'ends_at', p_ends_at, 'patient_name', p_patient_name, 'actor', p_actor));
        if p_tool_call_id is not null then
            update tool_calls set result = p_conflict_result
             where clinic_id = clinic and tool_call_id = p_tool_call_id;
        end if;
        return query select 'conflict', p_conflict_result;
        return;
    end if;

    perform audit(p_actor, 'appointment.booked', 'appointment', booked::text,
                  (p_detail - 'patient_name') || jsonb_build_object('starts_at', p_starts_at, 'ends_at', p_ends_at, 'code', p_code));
    perform emit_event('booking', p_detail || jsonb_build_object(
        'appointment_id', booked, 'starts_at', p_starts_at, 'ends_at', p_ends_at,
        'patient_name', p_patient_name, 'actor', p_actor));
    if p_tool_call_id is not null then
        update tool_calls set result = p_booked_result
         where clinic_id = clinic and tool_call_id = p_tool_call_id;
    end if;
    return query select 'booked', p_booked_result;
end $$;


-- 0023 added sms_messages (clinic_id, created_at) for the analytics and alert reads of texts by time. On a young table the
-- planner then chose it for the daily cap's count in queue_sms (every text of the clinic since yesterday, filtered by
-- number) over the index on the number: measured under saturation, queue_sms went from 2.0 ms to 13 ms a booking and
-- bookings from 303/s to 251/s. Those reads scan the clinic's texts instead.
drop index sms_messages_created;

-- check_availability reads a provider's appointments around a day. The only index that could find them was the no-overlap
-- constraint's GiST index, whose range test (&&) PostgreSQL keeps out of index scans under row-level security (it is not
-- leakproof): every appointment the provider ever had was read and filtered (33 ms with a year of 11,000). This one
-- finds those that end after the window starts (1.2 ms), and answers from the index alone.
create index appointments_upcoming on appointments (clinic_id, provider_id, blocked_until) include (starts_at) where status <> 'cancelled';
