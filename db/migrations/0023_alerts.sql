-- Alerts (docs/operations.md, Alerts): each clinic's rules and their thresholds, the history of every alert (one row per
-- time a rule fired, resolved or still firing), and where the clinic's admins get them. The monitor
-- (Features/Alerts/AlertMonitor.cs) measures and calls observe_alert; the database keeps one firing alert per rule, audits
-- each change and tells live pages.

-- A rule a clinic changed; a rule without a row runs with its default (AlertRules.cs).
create table alert_rules (
    clinic_id      uuid not null references clinics (id),
    rule           text not null check (rule in ('webhook_p95', 'tool_failures', 'text_failures', 'text_queue', 'assistant_silent',
                                                 'sealer_lag', 'database')),
    enabled        boolean not null default true,
    threshold      numeric not null check (threshold > 0 and threshold <= 100000),
    window_minutes integer not null check (window_minutes between 1 and 1440),
    updated_at     timestamptz not null default now(),
    primary key (clinic_id, rule)
);

create table alerts (
    clinic_id   uuid not null,
    id          bigint generated always as identity,
    rule        text not null,
    started_at  timestamptz not null default now(),
    resolved_at timestamptz,
    threshold   numeric not null,
    value       numeric,        -- the worst figure seen while it fired
    summary     text not null,  -- what fired, in words (figures only: never a patient's data)
    notified_at timestamptz,    -- when the clinic's admins were last sent it
    primary key (clinic_id, id),
    check (resolved_at is null or resolved_at >= started_at)
);
-- At most one firing alert per rule: two monitors observing at once cannot open it twice.
create unique index alerts_firing on alerts (clinic_id, rule) where resolved_at is null;
create index alerts_started on alerts (clinic_id, started_at desc);

do $$
declare t text;
begin
    foreach t in array array['alert_rules', 'alerts']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (clinic_id = current_clinic_id()) '
                       'with check (clinic_id = current_clinic_id())', t);
    end loop;
end $$;
grant select, insert, update on alert_rules, alerts to clinic_app;

-- Tool calls per clinic, counted with the webhook's response times (written by each instance every few seconds): the
-- failure-rate rule reads them. A call that failed got an error instead of a result (and left no row in tool_calls).
alter table webhook_latency
    add column tool_calls    integer not null default 0,
    add column tool_failures integer not null default 0;

-- The silent-assistant rule reads the clinic's last tool call, and analytics counts tool calls and texts by time.
create index tool_calls_created on tool_calls (clinic_id, created_at);
create index sms_messages_created on sms_messages (clinic_id, created_at);

-- Alert texts go through the outbox like any other text.
alter table sms_messages drop constraint sms_messages_kind_check;
alter table sms_messages add constraint sms_messages_kind_check check (kind in ('follow_up', 'confirmation', 'alert'));

-- An admin's mobile for alert texts. Staff accounts are not a clinic's rows, so the runtime role reaches them only through
-- the two functions below, and only for people of the current clinic.
alter table staff_users add column alert_phone text check (alert_phone ~ '^\+[1-9][0-9]{7,14}$');

-- The current clinic's admins, with where they get alerts.
create function alert_recipients()
returns table (user_id uuid, email text, display_name text, alert_phone text)
language sql stable security definer set search_path = public, pg_temp
as $$ select u.id, u.email, u.display_name, u.alert_phone from clinic_staff s join staff_users u on u.id = s.user_id
       where s.clinic_id = current_clinic_id() and s.role = 'admin' order by u.display_name $$;

-- Sets (or with null clears) a person's alert mobile; false when they do not work at the current clinic.
create function staff_set_alert_phone(p_user uuid, p_phone text) returns boolean
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if not exists (select 1 from clinic_staff where clinic_id = current_clinic_id() and user_id = p_user) then
        return false;
    end if;
    update staff_users set alert_phone = p_phone where id = p_user;
    return true;
end $$;
revoke all on function alert_recipients(), staff_set_alert_phone(uuid, text) from public;
grant execute on function alert_recipients(), staff_set_alert_phone(uuid, text) to clinic_app;

-- One observation of one rule in the current clinic. Firing with no firing alert opens one (audited alert.fired, an 'alert'
-- event); firing again keeps the worst value; quiet with a firing alert resolves it (audited alert.resolved, an event).
-- Returns what changed: 'fired', 'resolved', 'firing' or 'quiet', and the alert's id.
create function observe_alert(p_rule text, p_firing boolean, p_value numeric, p_threshold numeric, p_summary text,
                              out change text, out alert_id bigint)
language plpgsql as $$
declare
    open_alert alerts;
begin
    select * into open_alert from alerts where clinic_id = current_clinic_id() and rule = p_rule and resolved_at is null for update;
    if p_firing and open_alert.id is null then
        insert into alerts (clinic_id, rule, threshold, value, summary)
        values (current_clinic_id(), p_rule, p_threshold, p_value, p_summary)
        on conflict (clinic_id, rule) where resolved_at is null do nothing
        returning id into alert_id;
        if alert_id is null then -- another monitor opened it a moment ago
            change := 'firing'; return;
        end if;
        perform audit('system:alerts', 'alert.fired', 'alert', alert_id::text,
                      jsonb_build_object('rule', p_rule, 'value', p_value, 'threshold', p_threshold, 'summary', p_summary));
        perform emit_event('alert', jsonb_build_object('alert_id', alert_id, 'rule', p_rule, 'state', 'firing', 'summary', p_summary));
        change := 'fired';
    elsif p_firing then
        update alerts set value = greatest(value, p_value) where clinic_id = open_alert.clinic_id and id = open_alert.id;
        alert_id := open_alert.id;
        change := 'firing';
    elsif open_alert.id is not null then
        update alerts set resolved_at = now() where clinic_id = open_alert.clinic_id and id = open_alert.id;
        perform audit('system:alerts', 'alert.resolved', 'alert', open_alert.id::text,
                      jsonb_build_object('rule', p_rule, 'value', p_value, 'threshold', open_alert.threshold,
                                         'fired_at', open_alert.started_at));
        perform emit_event('alert', jsonb_build_object('alert_id', open_alert.id, 'rule', p_rule, 'state', 'resolved',
                                                       'summary', open_alert.summary));
        alert_id := open_alert.id;
        change := 'resolved';
    else
        change := 'quiet';
    end if;
end $$;

-- An episode that could not be written while it happened (the database itself was unreachable): recorded afterwards, fired
-- and resolved, both audited.
create function record_past_alert(p_rule text, p_started timestamptz, p_resolved timestamptz, p_value numeric, p_threshold numeric,
                                  p_summary text) returns bigint
language plpgsql as $$
declare
    new_id bigint;
begin
    insert into alerts (clinic_id, rule, started_at, resolved_at, threshold, value, summary)
    values (current_clinic_id(), p_rule, p_started, p_resolved, p_threshold, p_value, p_summary)
    returning id into new_id;
    perform audit('system:alerts', 'alert.fired', 'alert', new_id::text,
                  jsonb_build_object('rule', p_rule, 'value', p_value, 'threshold', p_threshold, 'summary', p_summary, 'at', p_started));
    perform audit('system:alerts', 'alert.resolved', 'alert', new_id::text,
                  jsonb_build_object('rule', p_rule, 'value', p_value, 'threshold', p_threshold, 'fired_at', p_started));
    perform emit_event('alert', jsonb_build_object('alert_id', new_id, 'rule', p_rule, 'state', 'resolved', 'summary', p_summary));
    return new_id;
end $$;

-- Texts one alert to the current clinic's admins who gave a mobile, through the outbox, unless this rule was sent in the
-- last hour (a flapping rule texts at most once an hour). Returns how many texts were queued; null when it was not sent
-- (sent within the hour), and then the app sends no email either.
create function notify_alert(p_alert_id bigint, p_body text) returns integer
language plpgsql as $$
declare
    a alerts;
    r record;
    queued integer := 0;
begin
    select * into a from alerts where clinic_id = current_clinic_id() and id = p_alert_id for update;
    if a.id is null or exists (select 1 from alerts x where x.clinic_id = a.clinic_id and x.rule = a.rule
                                                        and x.notified_at > now() - interval '1 hour') then
        return null;
    end if;
    update alerts set notified_at = now() where clinic_id = a.clinic_id and id = a.id;
    for r in select * from alert_recipients() where alert_phone is not null loop
        if queue_sms('alert', 'alert:' || a.id || ':' || r.user_id, r.alert_phone, p_body, null, null, 'system:alerts') is not null then
            queued := queued + 1;
        end if;
    end loop;
    return queued;
end $$;
grant execute on function observe_alert(text, boolean, numeric, numeric, text), record_past_alert(text, timestamptz, timestamptz, numeric, numeric, text),
    notify_alert(bigint, text) to clinic_app;
