-- Audit rows never carry the patient's name (an immutable chain cannot honour an erasure request);
-- the event rows the dashboard reads do, and can be scrubbed.
-- The booking hot path as one function call: idempotency claim, patient, appointment, audit row and
-- event row in one transaction (DESIGN.md, Hot path). The caller prepares both possible answers, so
-- the stored tool result is written here too. The overlap check is the exclusion constraint, reached
-- through ON CONFLICT DO NOTHING: no row back means the slot was taken.

-- Claims a tool call for the current clinic: true when this transaction is the first with that id.
-- Otherwise the earlier result is in stored_result (a concurrent duplicate waits here for the first
-- transaction to commit or roll back, then reads or takes over the claim).
create function claim_tool_call(p_tool_call_id text, p_call_id text, p_tool_name text, out claimed boolean, out stored_result text)
language plpgsql as $$
begin
    insert into tool_calls (clinic_id, tool_call_id, call_id, tool_name)
    values (current_clinic_id(), p_tool_call_id, p_call_id, p_tool_name) on conflict do nothing;
    claimed := found;
    if not claimed then
        select t.result into stored_result from tool_calls t
         where t.clinic_id = current_clinic_id() and t.tool_call_id = p_tool_call_id;
    end if;
end $$;

create function book_appointment(
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

    insert into patients (clinic_id, name, phone) values (clinic, p_patient_name, p_patient_phone)
    on conflict (clinic_id, phone) do update set name = patients.name
    returning id into patient;

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

-- Move a live appointment. An UPDATE cannot use ON CONFLICT, so the exclusion violation (23P01) is
-- caught here and the appointment stays where it was. Reschedules for one provider take a
-- transaction-scoped advisory lock first: two UPDATEs racing into one slot would otherwise wait on
-- each other's uncommitted rows and deadlock.
create function reschedule_appointment(
    p_tool_call_id text, p_call_id text, p_actor text, p_appointment_id uuid, p_provider_id uuid,
    p_starts_at timestamptz, p_ends_at timestamptz, p_blocked_until timestamptz, p_detail jsonb,
    p_rescheduled_result text, p_conflict_result text, p_not_found_result text)
returns table (outcome text, result text)
language plpgsql as $$
declare
    clinic uuid := current_clinic_id();
    claimed boolean;
    chosen text;
    answer text;
    moved uuid;
begin
    if clinic is null then
        raise exception 'no clinic is set for this transaction' using errcode = '42501';
    end if;
    if p_tool_call_id is not null then
        select c.claimed, c.stored_result into claimed, answer from claim_tool_call(p_tool_call_id, p_call_id, 'reschedule_appointment') c;
        if not claimed then
            return query select 'replay', answer;
            return;
        end if;
    end if;

    perform pg_advisory_xact_lock(hashtextextended('provider:' || clinic::text || p_provider_id::text, 0));
    begin
        update appointments
           set starts_at = p_starts_at, ends_at = p_ends_at, blocked_until = p_blocked_until, updated_at = now()
         where clinic_id = clinic and id = p_appointment_id and provider_id = p_provider_id
           and status in ('pending', 'confirmed')
        returning id into moved;
        if moved is null then
            chosen := 'not_found'; answer := p_not_found_result;
        else
            chosen := 'rescheduled'; answer := p_rescheduled_result;
            perform audit(p_actor, 'appointment.rescheduled', 'appointment', moved::text,
                          (p_detail - 'patient_name') || jsonb_build_object('starts_at', p_starts_at, 'ends_at', p_ends_at));
            perform emit_event('reschedule', p_detail || jsonb_build_object(
                'appointment_id', moved, 'starts_at', p_starts_at, 'ends_at', p_ends_at, 'actor', p_actor));
        end if;
    exception when exclusion_violation then
        chosen := 'conflict'; answer := p_conflict_result;
        perform audit(p_actor, 'appointment.conflict', 'appointment', p_appointment_id::text,
                      (p_detail - 'patient_name') || jsonb_build_object('starts_at', p_starts_at, 'ends_at', p_ends_at));
        perform emit_event('collision', p_detail || jsonb_build_object(
            'appointment_id', p_appointment_id, 'starts_at', p_starts_at, 'ends_at', p_ends_at, 'actor', p_actor));
    end;
    if p_tool_call_id is not null then
        update tool_calls set result = answer where clinic_id = clinic and tool_call_id = p_tool_call_id;
    end if;
    return query select chosen, answer;
end $$;
