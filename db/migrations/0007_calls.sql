-- The Vapi call lifecycle: one row per call, moved forward by status-update messages (never back: a late
-- "in-progress" cannot reopen an ended call) and completed by the end-of-call report. Transcript and
-- summary are stored only after PII redaction; the raw text never reaches the database.
create function call_status_rank(status text) returns integer language sql immutable as $$
    select case status when 'queued' then 1 when 'ringing' then 2 when 'in-progress' then 3 when 'forwarding' then 4
                       when 'ended' then 5 else 0 end
$$;

create table calls (
    clinic_id        uuid not null,
    call_id          text not null,
    status           text not null,
    caller_phone     text,
    started_at       timestamptz,
    ended_at         timestamptz,
    ended_reason     text,
    duration_seconds numeric,
    summary          text,
    transcript       text,
    structured_data  jsonb,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    primary key (clinic_id, call_id)
);
alter table calls enable row level security;
alter table calls force row level security;
create policy tenant on calls using (clinic_id = current_clinic_id()) with check (clinic_id = current_clinic_id());
grant select, insert, update on calls to clinic_app;
