-- Analytics (docs/operations.md, Analytics): what the analytics page reads by time range stays fast on years of data.
-- Appointments by start, calls by arrival (tool calls and texts by creation came with 0023_alerts.sql), and webhook
-- response times kept by the hour for 400 days: the 5-second rows behind the dashboard last a day. The hourly rows start
-- with this migration (the flush writes both).

create index appointments_starts on appointments (clinic_id, starts_at);
create index calls_created on calls (clinic_id, created_at);

create table webhook_latency_hourly (
    clinic_id     uuid not null,
    hour          timestamptz not null,
    counts        integer[] not null,
    tool_calls    integer not null default 0,
    tool_failures integer not null default 0,
    primary key (clinic_id, hour)
);
alter table webhook_latency_hourly enable row level security;
alter table webhook_latency_hourly force row level security;
create policy tenant on webhook_latency_hourly using (clinic_id = current_clinic_id()) with check (clinic_id = current_clinic_id());
grant select, insert, update, delete on webhook_latency_hourly to clinic_app;

-- Element-wise sum of two histograms (counts per bucket), for the flush's upserts.
create function add_counts(a integer[], b integer[]) returns integer[]
language sql immutable parallel safe as $$
    select array_agg(coalesce(x, 0) + coalesce(y, 0) order by i) from unnest(a, b) with ordinality as u(x, y, i)
$$;
grant execute on function add_counts(integer[], integer[]) to clinic_app;
