using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Procedures;

public sealed record ProcedureRow(
    Guid Id, string Name, int DurationMinutes, int BufferAfterMinutes, string Description, string Recovery,
    string PriceRange, string PreparationNotes, double Score);

/// <summary>
/// Finds the clinic's procedure a caller means, tolerant of typos, synonyms and filler words
/// (pg_trgm over the name and each synonym: whole similarity, the query inside a term, and a term as
/// whole words inside a longer question). Below the threshold nothing matches: the agent is told
/// "not found" rather than handed a guess ("tattoo removal" must not become "hair removal").
/// An exact name or synonym answers first; the trigram scan runs only when that finds nothing.
/// </summary>
public static class ProcedureCatalog
{
    public const double Threshold = 0.65;

    /// <summary>Best match for @query under the current clinic, or no row. Parameters: @query, @threshold.</summary>
    public const string MatchSql = """
        (select id, name, duration_minutes as DurationMinutes, buffer_after_minutes as BufferAfterMinutes, description,
                recovery, price_range as PriceRange, preparation_notes as PreparationNotes, 1.0::float8 as score
           from procedures p
          where p.active and (lower(p.name) = lower(@query) or lower(@query) = any (select lower(s) from unnest(p.synonyms) s))
          limit 1)
        union all
        (select id, name, duration_minutes, buffer_after_minutes, description, recovery, price_range, preparation_notes, score
           from (select p.*, (select max(greatest(similarity(t, q), word_similarity(q, t), strict_word_similarity(t, q)))::float8
                                from unnest(array_append(p.synonyms, p.name)) as term,
                                     lower(term) as t, lower(@query) as q) as score
                   from procedures p where p.active) m
          where score >= @threshold
          order by score desc, name limit 1)
        limit 1;
        """;

    public static async Task<ProcedureRow?> FindAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid clinic, string query)
    {
        await using var grid = await conn.QueryForClinicAsync(MatchSql, new { clinic, query, threshold = Threshold }, tx);
        return await grid.ReadSingleOrDefaultAsync<ProcedureRow>();
    }
}
