-- Row-level security on every clinic-owned table, forced for the owner too, and the runtime role's
-- privileges. The role `clinic_app` must exist (the embedded database creates it; README says how
-- elsewhere). A second policy, for the owner only (the role running this file), lets the few
-- SECURITY DEFINER functions below read across clinics for exactly what they return.

do $$
declare t text;
begin
    foreach t in array array['providers', 'working_hours', 'time_off', 'procedures', 'patients',
                             'appointments', 'webhook_credentials', 'tool_calls', 'call_messages',
                             'events', 'audit_log', 'audit_seals', 'audit_unsealed']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant on %I using (clinic_id = current_clinic_id()) '
                       'with check (clinic_id = current_clinic_id())', t);
    end loop;
end $$;

alter table clinics enable row level security;
alter table clinics force row level security;
create policy tenant on clinics using (id = current_clinic_id()) with check (id = current_clinic_id());

create policy owner_all on clinics to current_user using (true) with check (true);
create policy owner_read on webhook_credentials for select to current_user using (true);
create policy owner_read on events for select to current_user using (true);
create policy owner_read on audit_log for select to current_user using (true);
create policy owner_all on audit_seals to current_user using (true) with check (true);
create policy owner_all on audit_unsealed to current_user using (true) with check (true);

revoke all on all tables in schema public from public;
grant select, update on clinics to clinic_app;
grant select, insert, update, delete on providers, working_hours, time_off, procedures to clinic_app;
grant select, insert, update on patients, appointments, webhook_credentials, tool_calls to clinic_app;
grant select, insert on call_messages, events, audit_log to clinic_app;
grant select on audit_seals, audit_unsealed to clinic_app;
-- The audit trail is append-only for the runtime role (triggers in 0003 refuse it for everyone).
revoke update, delete, truncate on audit_log, audit_seals, audit_unsealed from clinic_app;

-- Webhook authentication happens before the clinic is known: this returns only credential hashes,
-- their clinic and whether they are revoked (so a revoked secret's use is audited in its clinic).
-- The app compares them in constant time with the presented secret.
create function webhook_credentials_for_auth()
returns table (clinic_id uuid, credential_id uuid, secret_hash bytea, revoked boolean)
language sql stable security definer set search_path = public
as $$ select clinic_id, id, secret_hash, revoked_at is not null from webhook_credentials $$;
revoke all on function webhook_credentials_for_auth() from public;
grant execute on function webhook_credentials_for_auth() to clinic_app;
