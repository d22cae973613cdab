-- Webhook response times for the dashboard, across app instances: each instance adds one row per clinic
-- per 5-second bucket with a histogram (counts per log-scale bucket), written off the request path.
create table webhook_latency (
    clinic_id    uuid not null,
    bucket_start timestamptz not null,
    instance     text not null,
    counts       integer[] not null,
    primary key (clinic_id, bucket_start, instance)
);
alter table webhook_latency enable row level security;
alter table webhook_latency force row level security;
create policy tenant on webhook_latency using (clinic_id = current_clinic_id()) with check (clinic_id = current_clinic_id());
grant select, insert, update, delete on webhook_latency to clinic_app;
