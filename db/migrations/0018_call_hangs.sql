-- Vapi's "hang" message says the assistant is keeping a caller waiting (a slow model, voice or tool server). The calls
-- board shows how often that happened on each call, and when last.
alter table calls
    add column hangs        integer not null default 0 check (hangs >= 0),
    add column last_hang_at timestamptz;
