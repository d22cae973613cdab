using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Procedures;

public sealed record ProcedureRow(
    Guid Id, string Name, int DurationMinutes, int BufferAfterMinutes, string Description, string Recovery,
    string PriceRange, string PreparationNotes, double Score);

/// <summary>
/// Finds the clinic's procedure a caller means, as a speech-to-text transcript writes it: typos, split or joined words,
/// sound-alikes and filler around the name (term_match_score in db/migrations/0019: each name and synonym looked for in
/// the query's words, by spelling and by Double Metaphone). A procedure scoring 0 is not found: the agent is told "not
/// found" rather than handed a guess ("tattoo removal" must not become "hair removal"). An exact name or synonym answers
/// first; the scan runs only when that finds nothing.
/// </summary>
public static class ProcedureCatalog
{
    /// <summary>Best match for @query under the current clinic, or no row. Parameter: @query.</summary>
    public const string MatchSql = """
        (select id, name, duration_minutes, buffer_after_minutes, description, recovery, price_range, preparation_notes, 1.0::float8 as score
           from procedures p
          where p.active and (lower(p.name) = lower(@query) or lower(@query) = any (select lower(s) from unnest(p.synonyms) s))
          limit 1)
        union all
        (select id, name, duration_minutes, buffer_after_minutes, description, recovery, price_range, preparation_notes, score
           from (select p.*, (select max(term_match_score(q.words, term)) from unnest(array_append(p.synonyms, p.name)) as term) as score
                   from procedures p, (select match_words(@query) as words) q where p.active) m
          where score > 0
          order by score desc, name limit 1)
        limit 1;
        """;

    public static async Task<ProcedureRow?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid clinic, string query)
    {
        return await conn.ForClinic(clinic, MatchSql, tx).With("query", query).FirstOrDefaultAsync(Row);
    }

    /// <summary>A row of MatchSql.</summary>
    public static ProcedureRow Row(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetString(4),
        r.GetString(5), r.GetString(6), r.GetString(7), r.GetDouble(8));
}
