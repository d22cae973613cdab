-- Issue 13: the functions every booking and every text calls keep their plans. A SQL-language function that is not inlined
-- (an INSERT never is, nor a body with a sub-select) is parsed, rewritten under row-level security and planned again each
-- time a statement calls it. PL/pgSQL prepares its statements once per connection. A voice booking called audit() once
-- and emit_event() twice, the dispatcher's record of its text each once more, and catalogue_is() called
-- catalogue_version(), whose sub-select kept it from being inlined (docs/performance.md, ninth round).
-- The three are now PL/pgSQL, with the same statements and permissions (CREATE OR REPLACE keeps the grants).

create or replace function audit(p_actor text, p_action text, p_subject_type text, p_subject_id text, p_detail jsonb)
returns void language plpgsql as $$
begin
    insert into audit_log (clinic_id, actor, action, subject_type, subject_id, detail)
    values (current_clinic_id(), p_actor, p_action, p_subject_type, p_subject_id, coalesce(p_detail, '{}'));
end $$;

create or replace function emit_event(p_kind text, p_payload jsonb) returns void language plpgsql as $$
begin
    insert into events (clinic_id, kind, payload) values (current_clinic_id(), p_kind, p_payload);
end $$;

-- catalogue_is() (0029) calls it first in every booking's batch; CatalogueCache reads it with the clinic.
create or replace function catalogue_version() returns bigint language plpgsql stable as $$
begin
    return coalesce((select version from catalogue_versions where clinic_id = current_clinic_id()), 0);
end $$;
