using ClinicPortal.Features.Procedures;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

/// <summary>What a booking needs to be checked, loaded in one round trip: the clinic, the provider
/// the caller named, the procedure, and that provider's hours and time off around the day.</summary>
public sealed record BookingContext(ClinicInfo Clinic, ProviderRef? Provider, ProcedureRow? Procedure,
    IReadOnlyList<HoursRow> Hours, IReadOnlyList<BusySpan> TimeOff)
{
    public static readonly Duration DefaultLength = Duration.FromMinutes(30);

    public Duration Length => Procedure is null ? DefaultLength : Duration.FromMinutes(Procedure.DurationMinutes);
    public Duration Buffer => Procedure is null ? Duration.Zero : Duration.FromMinutes(Procedure.BufferAfterMinutes);

    private const string ProviderMatch = "(p.slug = @slug or p.id::text = @raw or lower(p.name) = lower(@raw))";

    private const string Sql = $"""
        {ScheduleRows.ClinicSql}
        select p.id, p.slug, p.name from providers p where p.active and {ProviderMatch} limit 1;
        select h.provider_id, h.weekday, h.starts_at, h.ends_at
          from working_hours h join providers p on p.clinic_id = h.clinic_id and p.id = h.provider_id where {ProviderMatch};
        select t.provider_id, t.starts_at, t.ends_at
          from time_off t join providers p on p.clinic_id = t.clinic_id and p.id = t.provider_id
         where {ProviderMatch} and t.ends_at > @from and t.starts_at < @to;
        {ProcedureCatalog.MatchSql}
        """;

    public static async Task<BookingContext> LoadAsync(NpgsqlConnection conn, Guid clinic, string provider, string? procedure, LocalDate day)
    {
        var (from, to) = ScheduleStore.Window(day, 1);
        await using var cmd = conn.ForClinic(clinic, Sql).With("raw", provider).With("slug", Slug(provider))
            .With("query", procedure).With("from", from.ToDateTimeUtc()).With("to", to.ToDateTimeUtc());
        await using var reader = await cmd.ReaderAsync();
        var clinicInfo = (await reader.RowsAsync(ScheduleRows.Clinic)).Single();
        var match = (await reader.RowsAsync(ScheduleRows.Provider)).SingleOrDefault();
        var hours = await reader.RowsAsync(ScheduleRows.Hours);
        var timeOff = await reader.RowsAsync(ScheduleRows.Span);
        var procedureRow = (await reader.RowsAsync(ProcedureCatalog.Row)).SingleOrDefault();
        return new BookingContext(clinicInfo, match, procedureRow, hours, timeOff);
    }

    /// <summary>"Dr. Patel" → "dr-patel", so callers can say a name where the agent passes it on.</summary>
    public static string Slug(string spoken)
    {
        var chars = spoken.Trim().ToLowerInvariant().Replace("doctor ", "dr ").Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-');
        return string.Join('-', new string(chars.ToArray()).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
