-- The audit trail: append-only, hash-chained per clinic by a sealer that runs right after commit.

create function refuse_audit_change() returns trigger language plpgsql as $$
begin
    raise exception 'the audit trail is append-only: % on % is refused', tg_op, tg_table_name
        using errcode = '42501';
end $$;

create trigger audit_log_immutable before update or delete on audit_log
    for each row execute function refuse_audit_change();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function refuse_audit_change();
create trigger audit_seals_immutable before update or delete on audit_seals
    for each row execute function refuse_audit_change();
create trigger audit_seals_no_truncate before truncate on audit_seals
    for each statement execute function refuse_audit_change();

-- Queue each new audit row for sealing, in the writing transaction.
create function queue_audit_for_seal() returns trigger
language plpgsql security definer set search_path = public as $$
begin
    insert into audit_unsealed (clinic_id, audit_id) values (new.clinic_id, new.id);
    return null;
end $$;
create trigger audit_log_queue after insert on audit_log
    for each row execute function queue_audit_for_seal();

-- The bytes a seal covers. jsonb's text form is canonical (sorted keys, fixed spacing).
create function audit_canonical(a audit_log) returns bytea
language sql immutable as $$
    select convert_to(concat_ws(E'\x1f',
        a.clinic_id::text, a.id::text,
        to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        a.actor, a.action, a.subject_type, a.subject_id, a.detail::text), 'UTF8')
$$;

-- Record one audited action of the current clinic.
create function audit(p_actor text, p_action text, p_subject_type text, p_subject_id text, p_detail jsonb)
returns void language sql as $$
    insert into audit_log (clinic_id, actor, action, subject_type, subject_id, detail)
    values (current_clinic_id(), p_actor, p_action, p_subject_type, p_subject_id, coalesce(p_detail, '{}'))
$$;

-- Record one event of the current clinic for the live dashboard.
create function emit_event(p_kind text, p_payload jsonb) returns void language sql as $$
    insert into events (clinic_id, kind, payload) values (current_clinic_id(), p_kind, p_payload)
$$;

-- Seal up to p_limit queued rows per clinic, in id order; returns how many were sealed.
-- Serialised per clinic by an advisory lock so several app instances can run it at once.
create function seal_audit(p_limit integer) returns integer
language plpgsql security definer set search_path = public as $$
declare
    c uuid;
    head_seq bigint;
    head_hash bytea;
    r audit_log;
    sealed integer := 0;
    next_hash bytea;
begin
    for c in select distinct clinic_id from audit_unsealed loop
        perform pg_advisory_xact_lock(hashtextextended('audit-seal:' || c::text, 0));
        select s.seq, s.hash into head_seq, head_hash
          from audit_seals s where s.clinic_id = c order by s.seq desc limit 1;
        head_seq := coalesce(head_seq, 0);
        head_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
        for r in select a.* from audit_unsealed u
                   join audit_log a on a.clinic_id = u.clinic_id and a.id = u.audit_id
                  where u.clinic_id = c order by a.id limit p_limit loop
            head_seq := head_seq + 1;
            next_hash := sha256(head_hash || audit_canonical(r));
            insert into audit_seals (clinic_id, seq, audit_id, prev_hash, hash)
            values (c, head_seq, r.id, head_hash, next_hash);
            head_hash := next_hash;
            delete from audit_unsealed where clinic_id = c and audit_id = r.id;
            sealed := sealed + 1;
        end loop;
    end loop;
    return sealed;
end $$;
revoke all on function seal_audit(integer) from public;
grant execute on function seal_audit(integer) to clinic_app;

-- Walk the current clinic's chain in order and report the first broken link, if any.
create function verify_audit_chain()
returns table (ok boolean, checked bigint, broken_seq bigint, broken_audit_id bigint, problem text, unsealed bigint)
language plpgsql stable as $$
declare
    expected_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    expected_seq bigint := 0;
    s record;
    n bigint := 0;
    pending bigint;
begin
    select count(*) into pending from audit_unsealed where clinic_id = current_clinic_id();
    for s in select x.seq, x.audit_id, x.prev_hash, x.hash, a as row_value, a.id is not null as present
               from audit_seals x
               left join audit_log a on a.clinic_id = x.clinic_id and a.id = x.audit_id
              where x.clinic_id = current_clinic_id() order by x.seq loop
        expected_seq := expected_seq + 1;
        if s.seq <> expected_seq then
            return query select false, n, expected_seq, null::bigint, 'seal ' || expected_seq || ' is missing', pending; return;
        end if;
        if not s.present then
            return query select false, n, s.seq, s.audit_id, 'audit row ' || s.audit_id || ' is missing', pending; return;
        end if;
        if s.prev_hash <> expected_prev then
            return query select false, n, s.seq, s.audit_id, 'previous hash does not match seal ' || (s.seq - 1), pending; return;
        end if;
        if s.hash <> sha256(expected_prev || audit_canonical(s.row_value)) then
            return query select false, n, s.seq, s.audit_id, 'audit row ' || s.audit_id || ' was altered after sealing', pending; return;
        end if;
        expected_prev := s.hash;
        n := n + 1;
    end loop;
    return query select true, n, null::bigint, null::bigint, null::text, pending;
end $$;
