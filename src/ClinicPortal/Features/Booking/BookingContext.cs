using ClinicPortal.Features.Procedures;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

/// <summary>What a booking needs to be checked, loaded in one round trip: the clinic, the provider
/// the caller named, the procedure, and that provider's hours, and time off over the alternatives' window
/// (BookingStore.AlternativeDays from the day: a loser's alternatives need them too).
/// A booking takes it from the clinic's catalogue in memory (CatalogueCache), at CatalogueVersion; a reschedule reads it here.</summary>
public sealed record BookingContext(ClinicInfo Clinic, ProviderRef? Provider, ProcedureRow? Procedure,
    IReadOnlyList<HoursRow> Hours, IReadOnlyList<BusySpan> TimeOff, long? CatalogueVersion = null)
{
    public static readonly Duration DefaultLength = Duration.FromMinutes(30);

    public Duration Length => Procedure is null ? DefaultLength : Duration.FromMinutes(Procedure.DurationMinutes);
    public Duration Buffer => Procedure is null ? Duration.Zero : Duration.FromMinutes(Procedure.BufferAfterMinutes);

    private const string ProviderMatch = "(p.slug = @slug or p.id::text = @raw or lower(p.name) = lower(@raw))";

    /// <summary>The id of the active provider a caller named (parameters @raw and @slug), as a subquery; null when none matches.</summary>
    public const string NamedProvider = $"(select p.id from providers p where p.active and {ProviderMatch} order by p.slug limit 1)";

    private static readonly string Sql = ScheduleStore.LoadSql($"p.id = {NamedProvider}", $"provider_id = {NamedProvider}", appointments: false);

    public static async Task<BookingContext> LoadAsync(NpgsqlConnection conn, Guid clinic, string provider, string? procedure, LocalDate day)
    {
        var (from, to) = ScheduleStore.Window(day, BookingStore.AlternativeDays);
        // The procedure's match runs only when one was named: it is the costliest statement here (term_match_score).
        await using var cmd = conn.ForClinic(clinic, procedure is null ? Sql : Sql + ProcedureCatalog.MatchSql).With("raw", provider)
            .With("slug", Slug(provider)).With("from", from.ToDateTimeUtc()).With("to", to.ToDateTimeUtc());
        if (procedure is not null) cmd.With("query", procedure);
        await using var reader = await cmd.ReaderAsync();
        var clinicInfo = (await reader.RowsAsync(ScheduleRows.Clinic)).Single();
        var match = (await reader.RowsAsync(ScheduleRows.Provider)).SingleOrDefault();
        var hours = await reader.RowsAsync(ScheduleRows.Hours);
        var timeOff = await reader.RowsAsync(ScheduleRows.Span);
        var procedureRow = procedure is null ? null : (await reader.RowsAsync(ProcedureCatalog.Row)).SingleOrDefault();
        return new BookingContext(clinicInfo, match, procedureRow, hours, timeOff);
    }

    /// <summary>"Dr. Patel" → "dr-patel", so callers can say a name where the agent passes it on.</summary>
    public static string Slug(string spoken)
    {
        var chars = spoken.Trim().ToLowerInvariant().Replace("doctor ", "dr ").Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-');
        return string.Join('-', new string(chars.ToArray()).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
