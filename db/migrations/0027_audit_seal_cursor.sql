-- Issue 13: the audit sealer follows a cursor instead of a queue row per audit entry. Each booking wrote, through a
-- trigger, a row into audit_unsealed that the sealer then deleted: a trigger call, a heap row, an index entry and a dead
-- tuple per audited action. Now each audit row carries the id of the transaction that wrote it (xact), and the sealer
-- remembers how far it has read in transaction ids.
--
-- Identity ids are handed out before commit, so an id cursor would skip a row whose transaction commits after a later one
-- was sealed. A transaction id cursor does not: every transaction with an id below a snapshot's xmin had ended when that
-- snapshot was taken, so its rows are visible to any later read. The sealer seals every visible row at or after the cursor
-- that has no seal yet (the unique (clinic_id, audit_id) index answers that), then moves the cursor to the xmin of the
-- snapshot it took before reading. Rows of transactions still running stay at or after it and are read next time.
-- (Transaction ids are per server: under Citus each worker would keep its own cursor.)

-- Seal what is queued with the old sealer first, so every row that has no xact below is sealed.
alter table audit_log add column xact xid8;
select seal_audit(2147483647);
drop trigger audit_log_queue on audit_log;
drop function queue_audit_for_seal();
drop table audit_unsealed;
alter table audit_log alter column xact set default pg_current_xact_id();
-- The sealer's read, and the count of what is waiting (unsealed_audit).
create index audit_log_xact on audit_log (xact);

-- One row: every audit row whose transaction id is below next_xact is sealed.
create table audit_seal_cursor (
    only_row  boolean primary key default true check (only_row),
    next_xact xid8 not null
);
-- After the ALTER above no transaction that wrote audit rows without an xact is still running, and any transaction still
-- running has an id at or above this snapshot's xmin.
insert into audit_seal_cursor (next_xact) values (pg_snapshot_xmin(pg_current_snapshot()));
-- The cursor is no clinic's data: clinic_app does not read it, only through unsealed_audit().

-- The current clinic's audit rows that are not sealed yet. SECURITY DEFINER only to read the cursor; the rows are the
-- transaction's clinic's, as row-level security would give them.
create function unsealed_audit() returns table (audit_id bigint, occurred_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as $$
    select a.id, a.occurred_at from audit_log a
     where a.clinic_id = current_clinic_id() and a.xact >= (select next_xact from audit_seal_cursor)
       and not exists (select 1 from audit_seals s where s.clinic_id = a.clinic_id and s.audit_id = a.id)
$$;
revoke all on function unsealed_audit() from public;
grant execute on function unsealed_audit() to clinic_app;

-- Seals up to p_limit rows, in transaction id then audit id order, each appended to its clinic's chain; returns how many.
-- One sealer at a time across instances: the others wait, then find what it left.
create or replace function seal_audit(p_limit integer) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    upto xid8;
    from_xact xid8;
    last_xact xid8;
    c uuid;
    head_seq bigint;
    head_hash bytea;
    next_hash bytea;
    r audit_log;
    sealed integer := 0;
begin
    perform pg_advisory_xact_lock(hashtextextended('audit-seal', 0));
    upto := pg_snapshot_xmin(pg_current_snapshot()); -- taken before the read below, which sees every transaction below it
    select next_xact into from_xact from audit_seal_cursor;
    for r in select b.* from (select a.* from audit_log a
                               where a.xact >= from_xact
                                 and not exists (select 1 from audit_seals s where s.clinic_id = a.clinic_id and s.audit_id = a.id)
                               order by a.xact, a.id limit p_limit) b
              order by b.clinic_id, b.xact, b.id loop
        if c is distinct from r.clinic_id then
            c := r.clinic_id;
            select s.seq, s.hash into head_seq, head_hash from audit_seals s where s.clinic_id = c order by s.seq desc limit 1;
            head_seq := coalesce(head_seq, 0);
            head_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
        end if;
        head_seq := head_seq + 1;
        next_hash := sha256(head_hash || audit_canonical(r));
        insert into audit_seals (clinic_id, seq, audit_id, prev_hash, hash) values (c, head_seq, r.id, head_hash, next_hash);
        head_hash := next_hash;
        last_xact := greatest(last_xact, r.xact);
        sealed := sealed + 1;
    end loop;
    -- A full batch may have left rows behind: of its last transaction, and of every later one.
    update audit_seal_cursor set next_xact = case when sealed < p_limit then upto else least(upto, last_xact) end
     where next_xact < case when sealed < p_limit then upto else least(upto, last_xact) end;
    return sealed;
end $$;
revoke all on function seal_audit(integer) from public;
grant execute on function seal_audit(integer) to clinic_app;

-- Verification reports how many rows wait for the sealer from unsealed_audit; the chain walk is unchanged.
create or replace function verify_audit_chain()
returns table (ok boolean, checked bigint, broken_seq bigint, broken_audit_id bigint, problem text, unsealed bigint)
language plpgsql stable as $$
declare
    expected_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    expected_seq bigint := 0;
    s record;
    n bigint := 0;
    pending bigint;
begin
    select count(*) into pending from unsealed_audit();
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
