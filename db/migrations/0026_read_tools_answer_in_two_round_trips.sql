-- Issue 13: a tool that only reads (check_availability, lookup_procedure) works its answer out first and records it in one
-- statement, instead of claiming the tool call, reading, storing the result and committing (ToolLedger.AnswerOnceAsync).

-- Records the answer to a read-only tool call and returns the answer stored for it: this one, or the first one when the
-- call was answered before (a replay, or a concurrent duplicate: the insert waits for it to commit, then finds its row).
-- The record is not worth a WAL flush to the caller on the line: it commits asynchronously (synchronous_commit off for
-- this transaction only). A database crash can lose the last fraction of a second of records; a replay then reads again.
create function record_tool_answer(p_tool_call_id text, p_call_id text, p_tool_name text, p_answer text) returns text
language plpgsql as $$
declare
    stored text;
begin
    if current_clinic_id() is null then
        raise exception 'no clinic is set for this transaction' using errcode = '42501';
    end if;
    perform set_config('synchronous_commit', 'off', true);
    insert into tool_calls (clinic_id, tool_call_id, call_id, tool_name, result)
    values (current_clinic_id(), p_tool_call_id, p_call_id, p_tool_name, p_answer)
    on conflict do nothing;
    if found then
        return p_answer;
    end if;
    select t.result into stored from tool_calls t where t.clinic_id = current_clinic_id() and t.tool_call_id = p_tool_call_id;
    return coalesce(stored, p_answer);
end $$;
