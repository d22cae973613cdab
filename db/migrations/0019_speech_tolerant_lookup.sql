-- Look-ups that survive speech-to-text (docs/vapi.md, "How a procedure is found"). lookup_procedure, the knowledge base,
-- check_availability and book_appointment find the procedure a caller means by scoring each name and synonym (a "term")
-- against the words of what the transcriber wrote:
--   - the words are lowercased letters only, so punctuation, hyphens and digits are gone ("anti-wrinkle" = "anti wrinkle");
--   - the term is looked for in every run of the query's words one shorter to one longer than the term, joined without
--     spaces, so filler around it does not matter ("um, the nose filler thing") and neither do split or joined words
--     ("rhino plasty", "lipfiller");
--   - equal: 1. Otherwise a close spelling (Levenshtein): 2 letters off in a term of 9 letters or more, 1 in one of 6 or
--     more; or a sound-alike (Double Metaphone of each word, primary or alternate, the same) up to 60% of the letters off
--     in a short term and 40% in a longer one ("botocks" = "botox", "kemikal peel" = "chemical peel"). Score 1 - off/length.
--   - anything else scores 0, and a procedure whose best term scores 0 is not found: the agent says so rather than guess.
create extension if not exists fuzzystrmatch;

create function match_words(text) returns text[]
language sql immutable parallel safe
as $$ select coalesce(array_agg(w), '{}') from regexp_split_to_table(lower(left($1, 500)), '[^[:alpha:]]+') w where w <> '' $$;

create function term_match_score(query_words text[], term text) returns float8
language plpgsql immutable parallel safe
as $$
declare
    tw text[] := match_words(term);
    n int := cardinality(tw);
    j text := array_to_string(tw, '');
    len int := length(j);
    ts text := '';
    ta text := '';
    qn int := least(cardinality(query_words), 80);
    wj text; ws text; wa text; d int; best float8 := 0;
begin
    if n = 0 then return 0; end if;
    for x in 1..n loop
        ts := ts || dmetaphone(tw[x]); ta := ta || dmetaphone_alt(tw[x]);
    end loop;
    for i in 1..qn loop
        for k in greatest(1, n - 1)..n + 1 loop
            exit when i + k - 1 > qn;
            wj := array_to_string(query_words[i:i + k - 1], '');
            if wj = j then return 1.0; end if;
            d := levenshtein_less_equal(left(wj, 100), left(j, 100), 6);
            if (len >= 9 and d <= 2) or (len >= 6 and d <= 1) then
                best := greatest(best, 1.0 - d::float8 / len);
            elsif d <= ceil(len * case when len < 8 then 0.6 else 0.4 end) then
                ws := ''; wa := '';
                for y in i..i + k - 1 loop
                    ws := ws || dmetaphone(query_words[y]); wa := wa || dmetaphone_alt(query_words[y]);
                end loop;
                if ws in (ts, ta) or wa in (ts, ta) then best := greatest(best, 1.0 - d::float8 / len); end if;
            end if;
        end loop;
    end loop;
    return best;
end
$$;
